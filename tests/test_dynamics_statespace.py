"""State-space form and analytic Jacobians of the LSTM, against the reference cell."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm._reference import reference_cell
from blocksim_lstm.dynamics import (
    initial_state,
    jacobians,
    join_state,
    jvp,
    output_map,
    split_state,
    state_map,
    vjp,
)
from blocksim_lstm.dynamics._jacobian import state_jacobian
from blocksim_lstm.dynamics._statespace import step_parts
from blocksim_lstm.training import calculated_weights


def gaussian_params(nn: int, ni: int, no: int, seed: int, scale: float) -> LSTMParams:
    """Weights in the interesting (not saturated) range: N(0, scale^2)."""
    rng = np.random.default_rng(seed)
    return LSTMParams.from_arrays(
        rng.standard_normal((4 * nn, ni)) * scale,
        rng.standard_normal((4 * nn, nn)) * scale,
        rng.standard_normal(4 * nn),
        rng.standard_normal((no, nn)),
        rng.standard_normal(no),
    )


def reference_step(
    p: LSTMParams, x: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One step of the reference cell from states x (B, 2Nn), inputs u (B, Ni)."""
    h0, c0 = split_state(np.atleast_2d(x))
    uu = np.atleast_2d(u)[:, None, :]
    uu = np.broadcast_to(uu, (h0.shape[0], 1, p.ni))
    tr = reference_cell(p, uu, h0=h0, c0=c0)
    return join_state(tr.h[:, 0], tr.c[:, 0]), tr.y[:, 0]


def fd_jacobians(p: LSTMParams, x: np.ndarray, u: np.ndarray, eps: float = 1e-6):
    """Central differences of the reference cell: all perturbations in one batch."""
    n, ni = x.size, u.size
    X = np.concatenate([x + eps * np.eye(n), x - eps * np.eye(n)])
    X = np.concatenate([X, np.tile(x, (2 * ni, 1))])
    U = np.tile(u, (2 * n, 1))
    U = np.concatenate([U, u + eps * np.eye(ni), u - eps * np.eye(ni)])
    xs, ys = reference_step(p, X, U)
    dx = (xs[:n] - xs[n : 2 * n]).T / (2 * eps)
    dy = (ys[:n] - ys[n : 2 * n]).T / (2 * eps)
    du = (xs[2 * n : 2 * n + ni] - xs[2 * n + ni :]).T / (2 * eps)
    dyu = (ys[2 * n : 2 * n + ni] - ys[2 * n + ni :]).T / (2 * eps)
    return dx, du, dy, dyu


def test_maps_equal_reference_cell_over_a_sequence(rng) -> None:
    p = LSTMParams.random(3, 4, 2, seed=3)
    u = rng.standard_normal((51, 4))
    tr = reference_cell(p, u)
    x = initial_state(p)
    for t in range(51):
        np.testing.assert_allclose(output_map(p, x, u[t]), tr.y[t], rtol=0, atol=1e-14)
        x = state_map(p, x, u[t])
        np.testing.assert_allclose(split_state(x)[0], tr.h[t], rtol=0, atol=1e-14)
        np.testing.assert_allclose(split_state(x)[1], tr.c[t], rtol=0, atol=1e-14)


def test_maps_are_batched(rng) -> None:
    p = LSTMParams.random(4, 2, 3, seed=1)
    X = rng.standard_normal((7, 8))
    U = rng.standard_normal((7, 2))
    xs, ys = reference_step(p, X, U)
    np.testing.assert_allclose(state_map(p, X, U), xs, rtol=0, atol=1e-14)
    np.testing.assert_allclose(output_map(p, X, U), ys, rtol=0, atol=1e-14)
    # one input broadcast against many states
    np.testing.assert_allclose(
        state_map(p, X, U[0]), reference_step(p, X, np.tile(U[0], (7, 1)))[0]
    )


@settings(max_examples=40, deadline=None)
@given(
    nn=st.integers(1, 8),
    ni=st.integers(1, 3),
    no=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    scale=st.floats(0.2, 1.5),
)
def test_jacobians_equal_central_differences_of_reference_cell(
    nn: int, ni: int, no: int, seed: int, scale: float
) -> None:
    p = gaussian_params(nn, ni, no, seed, scale)
    rng = np.random.default_rng(seed + 1)
    x = join_state(rng.uniform(-1, 1, nn), rng.normal(0, 2, nn))
    u = rng.standard_normal(ni)
    J = jacobians(p, x, u)
    A, B, C, D = fd_jacobians(p, x, u)
    big = np.block([[J.A, J.B], [J.C, J.D]])
    fd = np.block([[A, B], [C, D]])
    assert np.max(np.abs(big - fd)) <= 1e-7 * max(1.0, np.max(np.abs(big)))


def test_jacobians_batched_equal_one_by_one(rng) -> None:
    p = gaussian_params(3, 2, 2, 5, 1.0)
    X = rng.standard_normal((4, 6))
    U = rng.standard_normal((4, 2))
    J = jacobians(p, X, U)
    for k in range(4):
        Jk = jacobians(p, X[k], U[k])
        for m in "ABCD":
            np.testing.assert_allclose(
                getattr(J, m)[k], getattr(Jk, m), rtol=1e-14, atol=1e-15
            )


def test_jvp_and_vjp_are_products_with_A(rng) -> None:
    p = gaussian_params(5, 2, 1, 7, 1.0)
    x = rng.standard_normal(10)
    u = rng.standard_normal(2)
    A = jacobians(p, x, u).A
    V = rng.standard_normal((10, 3))
    np.testing.assert_allclose(jvp(p, x, u, V), A @ V, rtol=1e-13, atol=1e-14)
    w = rng.standard_normal(10)
    np.testing.assert_allclose(vjp(p, x, u, w), A.T @ w, rtol=1e-13, atol=1e-14)
    parts = step_parts(p, x, u)
    np.testing.assert_allclose(jvp(p, x, u, V, parts=parts), A @ V, atol=1e-14)
    np.testing.assert_allclose(vjp(p, x, u, w, parts=parts), A.T @ w, atol=1e-14)
    np.testing.assert_array_equal(state_jacobian(p, x, u), A)


def test_calculated_weights_jacobian_at_origin_is_the_construction() -> None:
    """At x = 0, u = 0 the gates are sigmoid(+-100): A_hh = Rg, B_h = Wg, C = F Rg."""
    p = calculated_weights()
    J = jacobians(p, np.zeros(10), [0.0])
    nn = p.nn
    Rg, Wg = p.gate("R", "g"), p.gate("W", "g")
    np.testing.assert_allclose(J.A[:nn, :nn], Rg, rtol=0, atol=1e-15)
    np.testing.assert_allclose(J.B[:nn], Wg, rtol=0, atol=1e-15)
    np.testing.assert_allclose(J.C[:, :nn], p.F @ Rg, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(J.D, p.F @ Wg, rtol=1e-14, atol=1e-15)
    # the cell state is disabled: dc/dc = f = sigmoid(-100)
    f = 1.0 / (1.0 + np.exp(100.0))
    np.testing.assert_allclose(np.diag(J.A[nn:, nn:]), f, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda p: state_map(p, np.zeros(5), [0.0]),
            r"x: expected shape \(\.\.\., 2Nn\)",
        ),
        (lambda p: state_map(p, np.zeros(6), [0.0, 1.0]), r"u: expected shape"),
        (lambda p: jacobians(p, [np.nan] * 6, [0.0]), "x: expected finite"),
        (lambda p: output_map(p, np.zeros(6), [np.inf]), "u: expected finite"),
        (lambda p: state_map("p", np.zeros(6), [0.0]), "params: expected LSTMParams"),
    ],
)
def test_bad_input_is_refused(call, match) -> None:
    p = LSTMParams.random(3, 1, 1)
    with pytest.raises((ValueError, TypeError), match=match):
        call(p)
