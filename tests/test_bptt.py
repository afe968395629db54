"""Gradients of the BPTT kernels against independent computations.

The loss is recomputed with the vectorized reference cell (numpy, a separate
implementation) and differentiated by central finite differences; where torch is
installed, also by torch's autograd on ``nn.LSTM`` + ``nn.Linear``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm import LSTMParams, reference_cell
from blocksim_lstm.statespace.construction import lstm_from_state_space
from blocksim_lstm.statespace.lti import seed_plant
from blocksim_lstm.training import (
    LEARNABLES,
    check_data,
    loss,
    loss_and_gradients,
    pack,
    seed_data,
    unpack,
)


def ref_loss(params: LSTMParams, u: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error computed with the reference cell."""
    return float(np.mean((reference_cell(params, u).y - y) ** 2))


def fd_gradient(params, u, y, idx, rel_step=1e-6):
    """Central differences of ref_loss along the flat coordinates ``idx``."""
    theta = pack(params)
    out = np.empty(len(idx))
    for n, k in enumerate(idx):
        h = rel_step * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        lp = ref_loss(unpack(tp, params), u, y)
        lm = ref_loss(unpack(tm, params), u, y)
        out[n] = (lp - lm) / (2 * h)
    return out


def flat(grads):
    return np.concatenate([grads[k].ravel() for k in LEARNABLES])


def random_problem(rng, nn, ni, no, nt, nb=None, scale=1.0):
    p = LSTMParams.from_arrays(
        W=scale * rng.normal(size=(4 * nn, ni)),
        R=scale * rng.normal(size=(4 * nn, nn)),
        b=scale * rng.normal(size=4 * nn),
        F=rng.normal(size=(no, nn)),
        bF=rng.normal(size=no),
        h0=rng.uniform(-0.9, 0.9, nn),  # non-zero initial states
        c0=rng.normal(size=nn),
    )
    shape = (nt,) if nb is None else (nb, nt)
    return p, rng.normal(size=(*shape, ni)), rng.normal(size=(*shape, no))


@settings(max_examples=15, deadline=None)
@given(
    nn=st.integers(1, 4),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    nt=st.integers(1, 12),
    nb=st.sampled_from([None, 1, 3]),
    seed=st.integers(0, 2**32 - 1),
)
def test_gradient_matches_finite_differences(nn, ni, no, nt, nb, seed):
    rng = np.random.default_rng(seed)
    p, u, y = random_problem(rng, nn, ni, no, nt, nb)
    value, grads = loss_and_gradients(p, u, y)
    g = flat(grads)
    num = fd_gradient(p, u, y, range(g.size))
    assert value == pytest.approx(ref_loss(p, u, y), rel=1e-12)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7 * max(1.0, np.abs(g).max()))


def test_gradient_with_saturated_gates(rng):
    # large weights push many pre-activations to |z| > 10: sigmoid'/tanh' tiny
    p, u, y = random_problem(rng, 3, 2, 1, 30, scale=6.0)
    z = reference_cell(p, u).z
    assert np.mean(np.abs(z) > 10) > 0.2  # the test is about saturation
    _, grads = loss_and_gradients(p, u, y)
    g = flat(grads)
    num = fd_gradient(p, u, y, range(g.size), rel_step=1e-7)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8 * np.abs(g).max())


def test_gradient_on_long_sequence(rng):
    p, u, y = random_problem(rng, 3, 1, 1, 600, scale=0.8)
    _, grads = loss_and_gradients(p, u, y)
    g = flat(grads)
    idx = rng.choice(g.size, 12, replace=False)
    num = fd_gradient(p, u, y, idx)
    np.testing.assert_allclose(g[idx], num, rtol=1e-5, atol=1e-8 * np.abs(g).max())


def test_gradient_at_calculated_weights():
    # the seed's construction: saturated i, f, o gates (bias +-100), F ~ 1/scl
    p = lstm_from_state_space(seed_plant(), 1e-3)
    u, y = seed_data(60, seed=3)
    _, grads = loss_and_gradients(p, u, y)
    g = flat(grads)
    seg = np.cumsum([0] + [grads[k].size for k in LEARNABLES])
    # Wg, Rg (rows 2Nn..3Nn), bg, F, bF carry the gradient; pick from each
    nn = p.nn
    wg = seg[0] + np.arange(2 * nn, 3 * nn)
    rg = seg[1] + (2 * nn + np.arange(nn)) * nn + np.arange(nn)
    idx = np.r_[wg, rg, seg[2] + 2 * nn + np.arange(nn), seg[3] : seg[5]]
    num = fd_gradient(p, u, y, idx, rel_step=1e-7)
    np.testing.assert_allclose(g[idx], num, rtol=1e-5, atol=1e-7 * np.abs(g).max())


def test_loss_matches_reference_and_convention(rng):
    p, u, y = random_problem(rng, 4, 2, 3, 25, nb=2)
    yhat = reference_cell(p, u).y
    # plain mean over B * T * No elements (not half-MSE)
    expected = np.sum((yhat - y) ** 2) / (2 * 25 * 3)
    assert loss(p, u, y) == pytest.approx(expected, rel=1e-13)


def test_torch_autograd_agrees(rng):
    torch = pytest.importorskip("torch")
    nn, ni, no, nt, nb = 4, 2, 2, 40, 3
    p, u, y = random_problem(rng, nn, ni, no, nt, nb)
    lstm = torch.nn.LSTM(ni, nn, batch_first=True).double()
    fc = torch.nn.Linear(nn, no).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(p.W))  # gate order i, f, g, o
        lstm.weight_hh_l0.copy_(torch.tensor(p.R))
        lstm.bias_ih_l0.copy_(torch.tensor(p.b))
        lstm.bias_hh_l0.zero_()
        fc.weight.copy_(torch.tensor(p.F))
        fc.bias.copy_(torch.tensor(p.bF))
    h0 = torch.from_numpy(np.tile(p.h0, (1, nb, 1)))
    c0 = torch.from_numpy(np.tile(p.c0, (1, nb, 1)))
    hs, _ = lstm(torch.from_numpy(u), (h0, c0))
    tloss = torch.mean((fc(hs) - torch.from_numpy(y)) ** 2)
    tloss.backward()
    value, grads = loss_and_gradients(p, u, y)
    assert value == pytest.approx(tloss.item(), rel=1e-12)
    expected = {
        "W": lstm.weight_ih_l0.grad,
        "R": lstm.weight_hh_l0.grad,
        "b": lstm.bias_ih_l0.grad,
        "F": fc.weight.grad,
        "bF": fc.bias.grad,
    }
    for k, tg in expected.items():
        np.testing.assert_allclose(grads[k], tg.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("u_shape", "y_shape", "match"),
    [
        ((10, 2), (9, 1), "same steps"),
        ((10, 3), (10, 1), "columns"),
        ((10, 2), (10, 2), r"1 columns \(No=1\)"),
        ((2, 10, 2), (10, 1), "dimensions"),
        ((2, 10, 2), (3, 10, 1), "same steps"),
    ],
)
def test_check_data_rejects_mismatched_shapes(u_shape, y_shape, match):
    p = LSTMParams.random(3, 2, 1, seed=0)
    with pytest.raises(ValueError, match=match):
        check_data(p, np.zeros(u_shape), np.zeros(y_shape))


@pytest.mark.parametrize("name", ["u", "y"])
def test_check_data_rejects_nan(name):
    p = LSTMParams.random(3, 2, 1, seed=0)
    data = {"u": np.zeros((10, 2)), "y": np.zeros((10, 1))}
    data[name][4, 0] = np.nan
    with pytest.raises(ValueError, match=f"{name}: expected finite"):
        check_data(p, data["u"], data["y"])
