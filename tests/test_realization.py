"""Minimal and balanced realizations: same transfer function, right Gramians."""

from __future__ import annotations

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import solve_discrete_lyapunov

from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.realization import (
    balanced_realization,
    hankel_singular_values,
    minimal_realization,
    realize,
)

POINTS = np.array([1.7, -1.3 + 0.4j, 2.0j, 1.1 - 1.1j])  # outside the unit circle


def _tf(sys: ct.StateSpace, z: complex) -> np.ndarray:
    A, B, C, D = (np.asarray(m) for m in (sys.A, sys.B, sys.C, sys.D))
    return C @ np.linalg.solve(z * np.eye(A.shape[0]) - A, B) + D


def _same_tf(a: ct.StateSpace, b: ct.StateSpace, rtol: float = 1e-9) -> None:
    for z in POINTS:
        np.testing.assert_allclose(_tf(a, z), _tf(b, z), rtol=rtol, atol=rtol)


@settings(max_examples=20, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 10_000),
)
def test_balanced_realization_balances_the_gramians(nx, nu, ny, seed) -> None:
    sys = lti.random_stable(nx, nu, ny, seed=seed)
    bal = balanced_realization(sys)
    _same_tf(sys, bal)
    A, B, C = (np.asarray(m) for m in (bal.A, bal.B, bal.C))
    Wc = solve_discrete_lyapunov(A, B @ B.T)
    Wo = solve_discrete_lyapunov(A.T, C.T @ C)
    hsv = hankel_singular_values(sys)
    np.testing.assert_allclose(Wc, Wo, atol=1e-8 * hsv[0])
    np.testing.assert_allclose(Wc, np.diag(hsv[: A.shape[0]]), atol=1e-8 * hsv[0])


def test_hankel_singular_values_are_sqrt_of_gramian_product_eigenvalues() -> None:
    sys = lti.seed_plant()
    A, B, C = (np.asarray(m) for m in (sys.A, sys.B, sys.C))
    Wc = solve_discrete_lyapunov(A, B @ B.T)
    Wo = solve_discrete_lyapunov(A.T, C.T @ C)
    want = np.sort(np.sqrt(np.linalg.eigvals(Wc @ Wo).real))[::-1]
    np.testing.assert_allclose(hankel_singular_values(sys), want, rtol=1e-6)


def test_balanced_seed_plant_has_a_contractive_a() -> None:
    bal = balanced_realization(lti.seed_plant())
    assert np.linalg.norm(bal.A, 2) <= 1.0 + 1e-12
    assert np.linalg.norm(lti.seed_plant().A, 2) > 5  # companion form is not


def test_minimal_realization_drops_hidden_states() -> None:
    sys = lti.random_stable(3, 2, 2, seed=3)
    A, B, C, D = (np.asarray(m) for m in (sys.A, sys.B, sys.C, sys.D))
    # add one unreachable and one unobservable state
    A2 = np.zeros((5, 5))
    A2[:3, :3] = A
    A2[3, 3], A2[4, 4] = 0.5, -0.2
    A2[4, :3] = 1.0  # state 4 is driven by x but never seen
    B2 = np.vstack([B, np.zeros((1, 2)), np.ones((1, 2))])
    C2 = np.hstack([C, np.ones((2, 1)), np.zeros((2, 1))])
    big = ct.ss(A2, B2, C2, D, 1)
    small = minimal_realization(big)
    assert small.nstates == 3
    _same_tf(big, small)
    assert lti.match_distance(lti.poles(small), lti.poles(sys)) < 1e-10


def test_minimal_realization_of_a_gain_has_no_state() -> None:
    sys = ct.ss([[0.5]], [[0.0]], [[1.0]], [[2.0]], 1)
    assert minimal_realization(sys).nstates == 0
    assert balanced_realization(sys).nstates == 0


def test_balanced_refuses_unstable_systems() -> None:
    sys = ct.ss([[1.2]], [[1.0]], [[1.0]], [[0.0]], 1)
    with pytest.raises(ValueError, match="stable system.*realization='given'"):
        balanced_realization(sys)


def test_realize() -> None:
    sys = lti.seed_plant()
    assert realize(sys, "given") is sys
    _same_tf(realize(sys, "balanced"), sys)
    with pytest.raises(ValueError, match=r"realization: expected one of \('balanced'"):
        realize(sys, "modal")
