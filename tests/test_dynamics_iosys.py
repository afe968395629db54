"""The LSTM as a python-control NonlinearIOSystem."""

from __future__ import annotations

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm._reference import reference_cell
from blocksim_lstm.dynamics import (
    fixed_points,
    initial_state,
    jacobians,
    join_state,
    lstm_iosys,
)
from blocksim_lstm.training import calculated_weights


def test_input_output_response_equals_reference_cell(rng) -> None:
    p = LSTMParams.random(3, 4, 2, seed=0)
    u = rng.standard_normal((51, 4))
    sys = lstm_iosys(p, ts=0.1)
    assert ct.isdtime(sys, strict=True) and sys.dt == 0.1
    assert (sys.nstates, sys.ninputs, sys.noutputs) == (6, 4, 2)
    resp = ct.input_output_response(sys, np.arange(51) * 0.1, u.T, X0=initial_state(p))
    tr = reference_cell(p, u)
    np.testing.assert_allclose(resp.outputs.T, tr.y, rtol=0, atol=1e-14)
    # the states python-control records are (h(t-1), c(t-1))
    np.testing.assert_allclose(resp.states[:3, 1:].T, tr.h[:-1], rtol=0, atol=1e-14)
    np.testing.assert_allclose(resp.states[3:, 1:].T, tr.c[:-1], rtol=0, atol=1e-14)


def test_signal_names() -> None:
    sys = lstm_iosys(LSTMParams.random(2, 1, 1))
    assert sys.state_labels == ["h[0]", "h[1]", "c[0]", "c[1]"]
    assert sys.input_labels == ["u[0]"] and sys.output_labels == ["y[0]"]


@settings(max_examples=15, deadline=None)
@given(nn=st.integers(1, 6), ni=st.integers(1, 3), seed=st.integers(0, 2**31))
def test_python_control_linearize_equals_analytic_jacobian(
    nn: int, ni: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    p = LSTMParams.from_arrays(
        rng.standard_normal((4 * nn, ni)),
        rng.standard_normal((4 * nn, nn)),
        rng.standard_normal(4 * nn),
        rng.standard_normal((2, nn)),
    )
    x = join_state(rng.uniform(-1, 1, nn), rng.normal(0, 1, nn))
    u = rng.standard_normal(ni)
    lin = ct.linearize(lstm_iosys(p), x, u)  # forward differences, eps = 1e-6
    J = jacobians(p, x, u)
    for name in "ABCD":
        np.testing.assert_allclose(
            np.asarray(getattr(lin, name)), getattr(J, name), rtol=0, atol=2e-5
        )
    # python-control's forward-difference error is O(eps): with a smaller eps
    # the agreement improves accordingly (our Jacobian is not the approximation)
    lin2 = ct.linearize(lstm_iosys(p), x, u, eps=1e-8)
    assert np.max(np.abs(np.asarray(lin2.A) - J.A)) < 2e-6


def test_find_operating_point_agrees_with_our_fixed_point() -> None:
    p = LSTMParams.random(3, 2, 1, seed=2)
    u0 = np.array([0.4, -0.2])
    fp = fixed_points(p, u0, starts=8).fixed_points[0]
    sys = lstm_iosys(p)
    op = ct.find_operating_point(sys, fp.x + 1e-3, u0)
    np.testing.assert_allclose(op.states, fp.x, rtol=0, atol=1e-8)


def test_calculated_weights_linearize_to_the_plant_gain() -> None:
    p = calculated_weights()
    lin = ct.linearize(lstm_iosys(p, ts=0.01), np.zeros(10), [0.0])
    assert float(np.real(lin.dcgain())) == pytest.approx(7.5351, abs=5e-4)


@pytest.mark.parametrize("ts", [0.0, -1.0, np.nan])
def test_bad_sample_time(ts) -> None:
    with pytest.raises(ValueError, match="ts: expected"):
        lstm_iosys(LSTMParams.random(2, 1, 1), ts=ts)
