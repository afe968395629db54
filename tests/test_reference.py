"""Tests of the vectorized reference cell against independent implementations."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ATOL64, RTOL64
from hypothesis import given, settings
from hypothesis import strategies as st
from lstm_loops import lstm_loops
from scipy.special import expit

from blocksim_lstm import LSTMParams, reference_cell, sigmoid


def _loops(p, u):
    return lstm_loops(p.W, p.R, p.b, p.F, p.bF, p.h0, p.c0, u)


def test_matches_scalar_loops_at_seed_size(rng):
    p = LSTMParams.random(3, 4, 2, seed=0)
    u = rng.standard_normal((51, 4))
    tr = reference_cell(p, u)
    y, h, c = _loops(p, u)
    np.testing.assert_allclose(tr.y, y, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(tr.h, h, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(tr.c, c, rtol=RTOL64, atol=ATOL64)


@settings(max_examples=25, deadline=None)
@given(
    nn=st.integers(1, 8),
    ni=st.integers(1, 8),
    no=st.integers(1, 8),
    steps=st.sampled_from([1, 2, 17]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_matches_scalar_loops(nn, ni, no, steps, seed):
    p = LSTMParams.random(nn, ni, no, seed=seed)
    u = np.random.default_rng(seed).standard_normal((steps, ni)) * 3
    tr = reference_cell(p, u)
    y, h, c = _loops(p, u)
    np.testing.assert_allclose(tr.y, y, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(tr.c, c, rtol=RTOL64, atol=ATOL64)


def test_internal_traces_are_consistent(rng):
    p = LSTMParams.random(5, 2, 3, seed=4)
    tr = reference_cell(p, rng.standard_normal((30, 2)))
    np.testing.assert_allclose(tr.z, tr.Wu + tr.Rh + p.b, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(tr.h_prev[1:], tr.h[:-1], rtol=0, atol=0)
    np.testing.assert_array_equal(tr.h_prev[0], p.h0)
    np.testing.assert_array_equal(tr.c_prev[0], p.c0)
    np.testing.assert_allclose(tr.c, tr.fc + tr.ig, rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(tr.gate_block("z", "f"), tr.z[:, 5:10], rtol=0)


def test_batch_equals_one_by_one(rng):
    p = LSTMParams.random(4, 3, 2, seed=2)
    u = rng.standard_normal((5, 20, 3))
    h0 = rng.standard_normal((5, 4))
    batch = reference_cell(p, u, h0=h0)
    for k in range(5):
        one = reference_cell(p, u[k], h0=h0[k])
        np.testing.assert_allclose(batch.y[k], one.y, rtol=1e-14, atol=1e-14)


def test_float32_runs_in_float32_and_stays_close(rng):
    p = LSTMParams.random(seed=0)
    u = rng.standard_normal((51, 4))
    t64 = reference_cell(p, u)
    t32 = reference_cell(p, u, dtype="float32")
    assert t32.y.dtype == np.float32 and t32.c.dtype == np.float32
    err = np.linalg.norm(t32.y - t64.y)
    # the seed saw 5.8e-7 between single and double precision
    assert 1e-9 < err < 1e-5


def test_sigmoid_is_overflow_free():
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(x)
    np.testing.assert_allclose(s, expit(x), rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    ("u", "match"),
    [
        (np.zeros((10, 3)), r"u: expected 4 columns \(Ni=4"),
        (np.zeros((0, 4)), "u: expected at least one step"),
        (np.zeros((2, 2, 2, 4)), r"u: expected shape \(steps, Ni\)"),
        (np.full((3, 4), np.nan), "u: expected finite values"),
    ],
)
def test_bad_input(u, match):
    with pytest.raises(ValueError, match=match):
        reference_cell(LSTMParams.random(), u)


def test_matches_torch_lstm(rng):
    torch = pytest.importorskip("torch")
    nn, ni, no, steps = 6, 3, 2, 200
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(ni, nn, dtype=torch.float64)
    fc = torch.nn.Linear(nn, no, dtype=torch.float64)
    h0 = rng.standard_normal(nn)
    c0 = rng.standard_normal(nn)
    u = rng.standard_normal((steps, ni))
    with torch.no_grad():
        out, _ = lstm(
            torch.from_numpy(u),
            (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]),
        )
        y_torch = fc(out).numpy()
    p = LSTMParams.from_arrays(
        W=lstm.weight_ih_l0.detach().numpy(),
        R=lstm.weight_hh_l0.detach().numpy(),
        b=(lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(),
        F=fc.weight.detach().numpy(),
        bF=fc.bias.detach().numpy(),
        h0=h0,
        c0=c0,
    )
    np.testing.assert_allclose(reference_cell(p, u).y, y_torch, rtol=1e-12, atol=1e-12)
