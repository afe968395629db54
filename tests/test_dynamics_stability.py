"""Lyapunov exponents, contraction and the ISS condition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm._reference import reference_cell
from blocksim_lstm.dynamics import (
    contraction,
    iss_condition,
    join_state,
    lyapunov_exponents,
    split_state,
    trajectory,
)
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.realization import balanced_realization
from blocksim_lstm.training import calculated_weights


def sig(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def fd_A(p: LSTMParams, x: np.ndarray, u: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    n = x.size
    X = np.concatenate([x + eps * np.eye(n), x - eps * np.eye(n)])
    h0, c0 = split_state(X)
    tr = reference_cell(p, np.tile(u, (2 * n, 1, 1)), h0=h0, c0=c0)
    fx = join_state(tr.h[:, 0], tr.c[:, 0])
    return (fx[:n] - fx[n:]).T / (2 * eps)


# ------------------------------------------------------------------ Lyapunov
def test_linear_regime_exponents_are_the_log_moduli_of_the_plant_poles(rng) -> None:
    """The calculated weights act as the plant: the exponents along any forced
    trajectory are log |pole| (each complex pair twice)."""
    p = calculated_weights()
    u = rng.standard_normal((3000, 1))
    le = lyapunov_exponents(p, u, k=4, burn_in=200)
    poles = lti.poles(balanced_realization(lti.seed_plant()))
    expected = np.sort(np.log(np.abs(poles)))[::-1]
    np.testing.assert_allclose(le, expected, rtol=0, atol=1e-3)
    assert le[0] == pytest.approx(np.log(0.9801986733), abs=2e-4)


def test_largest_exponent_equals_the_explicit_jacobian_product(rng) -> None:
    """k = 1: the QR method is the growth of one vector through the product of
    the Jacobians; here those come from finite differences of the reference cell."""
    p = LSTMParams.random(3, 2, 1, seed=5)
    u = rng.standard_normal((40, 2))
    x = join_state(p.h0, p.c0)
    v = np.linalg.qr(np.random.default_rng(7).standard_normal((6, 1)))[0][:, 0]
    tr = reference_cell(p, u)
    log_growth = 0.0
    for t in range(40):
        v = fd_A(p, x, u[t]) @ v
        log_growth += np.log(np.linalg.norm(v))
        v /= np.linalg.norm(v)
        x = join_state(tr.h[t], tr.c[t])
    le = lyapunov_exponents(p, u, k=1, seed=7)
    assert le[0] == pytest.approx(log_growth / 40, abs=1e-8)


def test_trajectory_is_the_reference_run(rng) -> None:
    p = LSTMParams.random(3, 2, 2, seed=1)
    u = rng.standard_normal((20, 2))
    X = trajectory(p, u)
    tr = reference_cell(p, u)
    np.testing.assert_allclose(X[1:], join_state(tr.h, tr.c), rtol=0, atol=1e-14)
    np.testing.assert_array_equal(X[0], join_state(p.h0, p.c0))


def test_contraction_is_the_largest_singular_value(rng) -> None:
    p = LSTMParams.random(3, 2, 1, seed=2)
    u = rng.standard_normal((60, 2))
    X = trajectory(p, u)
    c = contraction(p, u, burn_in=10, points=6)
    assert list(c.steps) == [10, 20, 30, 39, 49, 59]
    for t, s in zip(c.steps, c.singular_values, strict=True):
        assert s == pytest.approx(np.linalg.norm(fd_A(p, X[t], u[t]), 2), rel=1e-7)
    full = contraction(p, u, points=None)
    assert full.steps.size == 60 and full.max >= c.max
    assert full.to_dict()["points"] == 60
    assert 0 <= full.contracting_fraction <= 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p, u: lyapunov_exponents(p, u, k=0), "k: expected an integer >= 1"),
        (lambda p, u: lyapunov_exponents(p, u, k=7), r"k: expected 1 <= k <= 2Nn = 6"),
        (lambda p, u: lyapunov_exponents(p, u, burn_in=10), "u: expected more than"),
        (lambda p, u: contraction(p, u[:, :1]), r"u: expected 2 columns"),
        (lambda p, u: trajectory(p, u, x0=np.zeros(5)), r"x0: expected shape"),
        (lambda p, u: contraction(p, u, points=0), "points: expected an integer"),
    ],
)
def test_bad_input(call, match) -> None:
    p = LSTMParams.random(3, 2, 1)
    u = np.zeros((10, 2))
    with pytest.raises(ValueError, match=match):
        call(p, u)


# ----------------------------------------------------------------------- ISS
def test_iss_by_hand_one_unit() -> None:
    W = np.array([[0.2], [-0.3], [0.5], [0.1]])
    R = np.array([[0.4], [0.2], [-0.6], [-0.3]])
    b = np.array([0.1, -0.5, 0.3, 0.2])
    p = LSTMParams.from_arrays(W, R, b, np.ones((1, 1)))
    res = iss_condition(p, u_max=2.0)
    sf = sig(0.3 * 2 + 0.2 + 0.5)  # sigma(|Wf| u_max + |Rf| + |bf|)
    si = sig(0.2 * 2 + 0.4 + 0.1)
    so = sig(0.1 * 2 + 0.3 + 0.2)
    rho = sf + so * si * 0.6
    assert res.sigma_f == pytest.approx(sf, rel=1e-15)
    assert res.sigma_i == pytest.approx(si, rel=1e-15)
    assert res.sigma_o == pytest.approx(so, rel=1e-15)
    assert res.norm_rg == pytest.approx(0.6, rel=1e-15)
    assert res.rho == pytest.approx(rho, rel=1e-14)
    assert res.margin == pytest.approx(1 - rho, rel=1e-14)
    assert rho > 1 and res.holds is False
    # signed bias: sigma(... + bf) with bf = -0.5: this network passes that way
    rho2 = sig(0.8 - 0.5) + sig(0.5 + 0.2) * sig(0.8 + 0.1) * 0.6
    assert res.signed_rho == pytest.approx(rho2, rel=1e-14)
    assert rho2 < 1 and res.signed_holds is True


def test_iss_rows_and_infinity_norms() -> None:
    """Two units: the bounds take the largest absolute row sum of [W u_max, R, b]."""
    nn = 2
    W = np.zeros((8, 1))
    R = np.zeros((8, 2))
    b = np.zeros(8)
    R[2:4] = [[0.1, -0.2], [0.3, 0.05]]  # Rf rows: sums 0.3, 0.35
    b[2:4] = [-1.0, 0.2]  # |bf|: 1.0, 0.2 -> row sums 1.3, 0.55
    R[4:6] = [[0.2, 0.1], [-0.1, -0.05]]  # Rg: |.|_inf = 0.3
    p = LSTMParams.from_arrays(W, R, b, np.ones((1, nn)))
    res = iss_condition(p)
    assert res.sigma_f == pytest.approx(sig(1.3), rel=1e-15)
    assert res.sigma_i == pytest.approx(0.5) and res.sigma_o == pytest.approx(0.5)
    assert res.norm_rg == pytest.approx(0.3)
    assert res.rho == pytest.approx(sig(1.3) + 0.25 * 0.3)
    assert res.holds and res.margin > 0
    # signed: rows 0.3 - 1.0 and 0.35 + 0.2: the larger is 0.55
    assert res.signed_rho == pytest.approx(sig(0.55) + 0.25 * 0.3)


def test_iss_on_the_calculated_weights() -> None:
    """|bf| = 100 makes the paper's forget bound 1: the test fails by |Rg|_inf."""
    p = calculated_weights()
    res = iss_condition(p)
    nrg = np.max(np.abs(p.gate("R", "g")).sum(axis=1))
    assert (res.sigma_f, res.sigma_i, res.sigma_o) == (1.0, 1.0, 1.0)
    assert res.norm_rg == pytest.approx(nrg, rel=1e-15)
    assert not res.holds and res.margin == pytest.approx(-nrg, rel=1e-12)
    # with the sign kept the forget bound is sigma(-100) ~ 0: margin 1 - |Rg|_inf
    assert res.signed_margin == pytest.approx(1 - nrg, rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    nn=st.integers(1, 5),
    ni=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    u_max=st.floats(0.1, 3.0),
)
def test_gate_bounds_hold_on_every_trajectory(nn, ni, seed, u_max) -> None:
    """Soundness: with |u| <= u_max the gates never exceed the bounds used."""
    rng = np.random.default_rng(seed)
    p = LSTMParams.from_arrays(
        rng.standard_normal((4 * nn, ni)),
        rng.standard_normal((4 * nn, nn)),
        rng.standard_normal(4 * nn) * 2,
        rng.standard_normal((1, nn)),
        h0=rng.uniform(-1, 1, nn),
        c0=rng.normal(0, 3, nn),
    )
    res = iss_condition(p, u_max=u_max)
    u = rng.uniform(-u_max, u_max, (4, 100, ni))
    tr = reference_cell(p, u)
    tiny = 1e-15
    assert tr.f.max() <= res.sigma_f + tiny and tr.i.max() <= res.sigma_i + tiny
    assert tr.o.max() <= res.sigma_o + tiny
    assert res.signed_rho <= res.rho + tiny
    assert res.rho == pytest.approx(
        res.sigma_f + res.sigma_o * res.sigma_i * res.norm_rg, rel=1e-12
    )


def test_iss_refuses_bad_u_max() -> None:
    with pytest.raises(ValueError, match="u_max: expected"):
        iss_condition(LSTMParams.random(2, 1, 1), u_max=-1.0)
