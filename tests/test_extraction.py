"""Extraction: round trips for every construction, and the linear-regime report."""

from __future__ import annotations

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.construction import construct
from blocksim_lstm.statespace.extraction import (
    extract_state_space,
    linear_regime_report,
)
from blocksim_lstm.statespace.realization import (
    balanced_realization,
    minimal_realization,
)


def _assert_same_system(a: ct.StateSpace, b: ct.StateSpace, tol: float = 1e-9) -> None:
    ma, mb = minimal_realization(a), minimal_realization(b)
    assert ma.nstates == mb.nstates
    ga, gb = lti.dcgain(ma), lti.dcgain(mb)
    np.testing.assert_allclose(ga, gb, rtol=tol, atol=tol * np.abs(gb).max())
    assert lti.match_distance(lti.poles(ma), lti.poles(mb)) < tol
    assert lti.match_distance(lti.zeros(ma), lti.zeros(mb)) < tol


@pytest.mark.parametrize("method", ["spec", "delayed"])
@pytest.mark.parametrize("realize", ["given", "balanced"])
def test_round_trip_seed_plant(method, realize) -> None:
    sys = lti.seed_plant()
    src = sys if realize == "given" else balanced_realization(sys)
    c = construct(src, 1e-3, method=method)
    back = extract_state_space(c.params, scl=c.scl, ts=0.01)
    assert back.nstates == c.nn  # non-minimal: extra states drop out
    _assert_same_system(back, sys)
    assert lti.dcgain(minimal_realization(back))[0, 0] == pytest.approx(
        7.5351, abs=5e-5
    )


@settings(max_examples=25, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["spec", "delayed"]),
)
def test_round_trip_random_systems(nx, nu, ny, seed, method) -> None:
    sys = lti.random_stable(nx, nu, ny, seed=seed)
    c = construct(sys, 1e-4, method=method)
    _assert_same_system(extract_state_space(c.params, scl=c.scl), sys)


def test_round_trip_with_poles_at_the_origin() -> None:
    sys = lti.random_stable(4, 2, 2, seed=5, origin_poles=1)
    c = construct(sys, 1e-4)
    assert c.method == "delayed"
    _assert_same_system(extract_state_space(c.params, scl=c.scl), sys)


def test_round_trip_nx_variant_gives_the_feedthrough_it_reports() -> None:
    sys = lti.random_stable(3, 2, 2, seed=2)
    c = construct(sys, 1e-3, method="nx")
    back = extract_state_space(c.params, scl=c.scl)
    np.testing.assert_allclose(back.D, c.feedthrough, rtol=1e-10)
    want = ct.ss(sys.A, sys.B, sys.C, c.feedthrough, 1)
    _assert_same_system(back, want)


def test_extraction_formula_on_arbitrary_weights() -> None:
    p = LSTMParams.random(4, 3, 2, seed=1)
    scl = 0.25
    s = extract_state_space(p, scl=scl, ts=0.5)
    Rg, Wg = p.R[8:12], p.W[8:12]
    np.testing.assert_array_equal(s.A, Rg)
    np.testing.assert_allclose(s.B, Wg / scl)
    np.testing.assert_allclose(s.C, scl * p.F @ Rg)
    np.testing.assert_allclose(s.D, p.F @ Wg)
    assert s.dt == 0.5


def test_transfer_function_does_not_depend_on_scl() -> None:
    p = LSTMParams.random(3, 1, 1, seed=2)
    a = extract_state_space(p, scl=1.0)
    b = extract_state_space(p, scl=1e-3)
    for z in (1.5, -2.0 + 1j):
        ta = a.C @ np.linalg.solve(z * np.eye(3) - a.A, a.B) + a.D
        tb = b.C @ np.linalg.solve(z * np.eye(3) - b.A, b.B) + b.D
        np.testing.assert_allclose(ta, tb, rtol=1e-12)


def test_extract_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="params: expected LSTMParams"):
        extract_state_space(np.eye(2))
    with pytest.raises(ValueError, match="scl: expected a positive finite number"):
        extract_state_space(LSTMParams.random(2, 1, 1), scl=0.0)


# --------------------------------------------------------- linear regime
def test_constructed_weights_are_in_the_linear_regime() -> None:
    c = construct(balanced_realization(lti.seed_plant()), 1e-4)
    u = np.random.default_rng(0).standard_normal((100, 1))
    r = linear_regime_report(c.params, u)
    assert r.linear
    assert r.off_block_weight == 0.0 and r.cell_bias == 0.0 and r.fc_bias == 0.0
    assert r.open_gate_deficit == 0.0  # sigmoid(100) rounds to 1 in float64
    assert 0 < r.forget_gate_max < 1e-40
    # the tanh argument is about scl * max|x(t+1)|: small, and 1 - tanh(a)/a ~ a^2/3
    assert 0 < r.tanh_argument_max < 1e-2
    assert r.tanh_relative_deviation == pytest.approx(
        r.tanh_argument_max**2 / 3, rel=1e-3
    )
    d = r.to_dict()
    assert d["linear"] is True and set(d) >= {"off_block_weight", "forget_gate_max"}
    assert "linear regime" in r.table()


def test_random_weights_are_not_in_the_linear_regime() -> None:
    p = LSTMParams.random(3, 2, 1, seed=0)
    r = linear_regime_report(p)
    assert not r.linear
    assert r.forget_gate_max > 0.5  # sigmoid of a bias in [0, 1)
    assert r.tanh_argument_max is None


def test_off_block_weights_are_measured_relative_to_the_cell_gate() -> None:
    p = construct(lti.seed_plant(), 1e-3).params
    W = np.array(p.W)
    W[0, 0] = (
        1e-3
        * np.abs(
            np.concatenate([p.gate("W", "g").ravel(), p.gate("R", "g").ravel()])
        ).max()
    )
    r = linear_regime_report(p.replace(W=W))
    assert r.off_block_weight == pytest.approx(1e-3)
    assert not r.linear
    b = np.array(p.b)
    b[0] = 2.0  # a half-open input gate
    r2 = linear_regime_report(p.replace(b=b))
    assert r2.open_gate_deficit == pytest.approx(1 - 1 / (1 + np.exp(-2.0)))
