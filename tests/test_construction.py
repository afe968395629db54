"""The three constructions: linear part exact, tanh part small, clear refusals."""

from __future__ import annotations

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm._reference import reference_cell, sigmoid
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.construction import (
    CONSTRUCTIONS,
    construct,
    lstm_from_state_space,
    lstm_from_state_space_delayed,
    lstm_from_state_space_nx,
    nx_feedthrough,
)


def _linear_network(p: LSTMParams, u: np.ndarray) -> np.ndarray:
    """The network with tanh and the gates replaced by their linear limits."""
    Rg, Wg = p.gate("R", "g"), p.gate("W", "g")
    h = p.h0.copy()
    ys = []
    for t in range(u.shape[0]):
        h = Rg @ h + Wg @ u[t]
        ys.append(p.F @ h + p.bF)
    return np.array(ys)


def _fir() -> ct.StateSpace:
    """y(t) = 0.5 u(t-1) + u(t-2): a pure FIR filter, all poles at the origin."""
    A = np.array([[0.0, 0.0], [1.0, 0.0]])
    return lti.state_space(A, [[1.0], [0.0]], [[0.5, 1.0]], [[0.0]], ts=0.1)


@settings(max_examples=25, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["spec", "delayed"]),
)
def test_linear_part_is_the_system_exactly(nx, nu, ny, seed, method) -> None:
    sys = lti.random_stable(nx, nu, ny, seed=seed)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((40, nu))
    x0 = rng.standard_normal(nx)
    c = construct(sys, 1e-3, method=method, x0=x0)
    y = lti.simulate(sys, u, x0=x0)
    np.testing.assert_allclose(_linear_network(c.params, u), y, rtol=1e-8, atol=1e-8)


def test_sizes_of_the_constructions() -> None:
    sys = lti.random_stable(4, 2, 3, seed=1)
    assert lstm_from_state_space(sys).nn == 6
    assert lstm_from_state_space_nx(sys).nn == 4
    assert lstm_from_state_space_delayed(sys).nn == 10
    for p in (lstm_from_state_space(sys), lstm_from_state_space_delayed(sys)):
        assert (p.ni, p.no) == (2, 3)


def test_spec_construction_gates_as_in_spec() -> None:
    p = lstm_from_state_space(lti.seed_plant(), 1e-3)
    assert np.all(sigmoid(p.gate("b", "i")) == 1.0)  # open, to float64 precision
    assert np.all(sigmoid(p.gate("b", "o")) == 1.0)
    assert np.all(sigmoid(p.gate("b", "f")) < 1e-40)  # closed
    for a in ("W", "R"):
        for k in "ifo":
            assert not np.any(p.gate(a, k))


@pytest.mark.parametrize("method", ["spec", "delayed"])
def test_lstm_reproduces_seed_plant_with_small_scl(method) -> None:
    sys = lti.seed_plant()
    u = np.random.default_rng(0).standard_normal((200, 1))
    y = lti.simulate(sys, u)
    for scl, tol in ((1e-5, 1e-3), (1e-7, 1e-7)):
        yl = reference_cell(construct(sys, scl, method=method).params, u).y
        assert np.sqrt(np.mean((yl - y) ** 2) / np.mean(y**2)) < tol


def test_initial_state_is_carried_by_h0() -> None:
    sys = lti.random_stable(3, 1, 2, seed=8)
    x0 = np.array([0.5, -1.0, 2.0])
    u = np.random.default_rng(1).standard_normal((60, 1))
    for method in ("spec", "delayed"):
        yl = reference_cell(construct(sys, 1e-6, method=method, x0=x0).params, u).y
        np.testing.assert_allclose(yl, lti.simulate(sys, u, x0=x0), atol=1e-8)


# ------------------------------------------------------------ singular A
def test_spec_refuses_singular_a_and_points_to_delayed() -> None:
    with pytest.raises(ValueError, match=r"cond\(A\) = .*method='delayed'"):
        lstm_from_state_space(_fir())
    with pytest.raises(ValueError, match=r"cond\(A\)"):
        lstm_from_state_space_nx(_fir())
    sys = lti.random_stable(3, 1, 1, seed=2, origin_poles=1)
    with pytest.raises(ValueError, match="singular or badly conditioned"):
        lstm_from_state_space(sys)


def test_spec_refuses_badly_conditioned_a_at_the_limit() -> None:
    sys = ct.ss(np.diag([0.9, 1e-9]), np.ones((2, 1)), np.ones((1, 2)), 0, 1)
    with pytest.raises(ValueError, match=r"9e\+08 > max_cond = 1e\+08"):
        lstm_from_state_space(sys)
    lstm_from_state_space(sys, max_cond=1e10)  # accepted when allowed


def test_delayed_construction_runs_a_fir_filter() -> None:
    u = np.random.default_rng(3).standard_normal((50, 1))
    want = np.zeros(50)
    want[1:] += 0.5 * u[:-1, 0]
    want[2:] += u[:-2, 0]
    y = reference_cell(lstm_from_state_space_delayed(_fir(), 1e-6), u).y
    np.testing.assert_allclose(y[:, 0], want, atol=1e-9)


def test_delayed_construction_with_poles_at_the_origin() -> None:
    sys = lti.random_stable(5, 2, 2, seed=4, origin_poles=3)
    u = np.random.default_rng(4).standard_normal((80, 2))
    c = construct(sys, 1e-6)
    assert c.method == "delayed"  # auto chose it
    y = lti.simulate(sys, u)
    assert np.max(np.abs(reference_cell(c.params, u).y - y)) < 1e-8 * np.abs(y).max()


# -------------------------------------------------------- the Nn = nx variant
def test_nx_variant_reports_the_feedthrough_it_gets() -> None:
    sys = lti.random_stable(3, 2, 2, seed=6)
    c = construct(sys, 1e-3, method="nx")
    A, B, C, D = (np.asarray(m) for m in (sys.A, sys.B, sys.C, sys.D))
    CAiB = C @ np.linalg.inv(A) @ B
    np.testing.assert_allclose(c.feedthrough, CAiB, rtol=1e-10)
    np.testing.assert_allclose(nx_feedthrough(sys), CAiB, rtol=1e-10)
    assert c.feedthrough_gap == pytest.approx(np.max(np.abs(CAiB - D)))
    # its linear part is the system with D replaced by C A^-1 B
    u = np.random.default_rng(6).standard_normal((30, 2))
    y = lti.simulate(ct.ss(A, B, C, CAiB, 1), u)
    np.testing.assert_allclose(_linear_network(c.params, u), y, rtol=1e-9, atol=1e-9)


def test_nx_variant_is_exact_when_d_equals_c_ainv_b() -> None:
    base = lti.random_stable(3, 1, 1, seed=9)
    A, B, C = (np.asarray(m) for m in (base.A, base.B, base.C))
    sys = ct.ss(A, B, C, C @ np.linalg.solve(A, B), 1)
    c = construct(sys, 1e-6, method="nx")
    assert c.feedthrough_gap < 1e-12
    u = np.random.default_rng(9).standard_normal((50, 1))
    y = lti.simulate(sys, u)
    np.testing.assert_allclose(reference_cell(c.params, u).y, y, atol=1e-8)


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize(
    ("scl", "exc", "match"),
    [
        (0.0, ValueError, "scl: expected a positive finite number, got 0.0"),
        (-1e-3, ValueError, "scl: expected a positive finite number"),
        (float("nan"), ValueError, "scl: expected a positive finite number, got nan"),
        (float("inf"), ValueError, "scl: expected a positive finite number, got inf"),
        ("1e-3", TypeError, "scl: expected a positive finite number, got '1e-3'"),
        (True, TypeError, "scl: expected a positive finite number"),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [lstm_from_state_space, lstm_from_state_space_nx, lstm_from_state_space_delayed],
)
def test_bad_scl_is_refused(fn, scl, exc, match) -> None:
    with pytest.raises(exc, match=match):
        fn(lti.seed_plant(), scl)


@pytest.mark.parametrize("method", CONSTRUCTIONS)
def test_continuous_time_system_is_refused(method) -> None:
    sys = ct.ss(lti.seed_plant_continuous())
    with pytest.raises(ValueError, match="continuous-time"):
        construct(sys, 1e-3, method=method)


def test_other_refusals() -> None:
    with pytest.raises(TypeError, match="TransferFunction"):
        lstm_from_state_space(lti.seed_plant_continuous())
    with pytest.raises(ValueError, match=r"method: expected one of \('auto'"):
        construct(lti.seed_plant(), method="fast")
    with pytest.raises(ValueError, match=r"x0: expected shape \(4,\)"):
        construct(lti.seed_plant(), x0=[1.0, 2.0])
