"""The fast training kernels: the summation order they document, and float32 mode.

The kernels add several terms per pass over the outputs and accumulate the
weight gradients after each sequence's recurrence. Both are claimed to give the
same sums in the same order as the plain loops (one term per pass, gradients
step by step); a copy of those plain loops here checks that claim to the bit,
in float64 and float32. The float32 mode is checked against the float64
gradient (itself checked against finite differences and torch in test_bptt)
and against the numpy reference cell run in float32.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

import blocksim_lstm as bl
from blocksim_lstm.cli import main
from blocksim_lstm.training import (
    TrainOptions,
    _workspace,
    loss,
    loss_and_gradients,
    pack,
    resume,
    seed_data,
    train,
)
from blocksim_lstm.training import _kernels as K

# ------------------------------------------------ the plain loops, one term per pass


@njit(cache=True, error_model="numpy")
def _plain_gradient(W, R, b, F, bF, u, y, h0, c0, gW, gR, gb, gF, gbF):  # noqa: PLR0913, PLR0915
    """Loss and gradient by the plain loops, in the arrays' dtype (as the kernels).

    ``gW, gR, gb, gF, gbF`` (zeros on entry) receive the gradient.
    """
    nb, nt, ni = u.shape
    no = y.shape[2]
    nn = h0.shape[0]
    n4 = 4 * nn
    dt = u.dtype
    act = np.empty((nb, nt, n4), dt)
    cs = np.empty((nb, nt, nn), dt)
    tcs = np.empty((nb, nt, nn), dt)
    ht = np.empty((nb, nt + 1, nn), dt)
    err = np.empty((nb, nt, no), dt)
    sse = 0.0
    for bb in range(nb):
        for j in range(nn):
            ht[bb, 0, j] = h0[j]
        for t in range(nt):
            z = act[bb, t]
            for k in range(n4):
                z[k] = b[k]
            for j in range(ni):
                for k in range(n4):
                    z[k] += W[k, j] * u[bb, t, j]
            for j in range(nn):
                for k in range(n4):
                    z[k] += R[k, j] * ht[bb, t, j]
            for k in range(n4):
                if 2 * nn <= k < 3 * nn:
                    z[k] = K._tanh(float(z[k]))
                else:
                    z[k] = K._sigmoid(float(z[k]))
            for j in range(nn):
                cp = c0[j] if t == 0 else cs[bb, t - 1, j]
                cs[bb, t, j] = z[nn + j] * cp + z[j] * z[2 * nn + j]
                tcs[bb, t, j] = K._tanh(float(cs[bb, t, j]))
                ht[bb, t + 1, j] = z[3 * nn + j] * tcs[bb, t, j]
            for q in range(no):
                s = bF[q]
                for j in range(nn):
                    s += F[q, j] * ht[bb, t + 1, j]
                err[bb, t, q] = s - y[bb, t, q]
                ee = float(err[bb, t, q])
                sse += ee * ee
    scale = 2.0 / (nb * nt * no)
    dz = np.empty(n4, dt)
    dh = np.empty(nn, dt)
    dh_next = np.empty(nn, dt)
    dc_next = np.empty(nn, dt)
    for bb in range(nb):
        dh_next.fill(0.0)
        dc_next.fill(0.0)
        for t in range(nt - 1, -1, -1):
            for j in range(nn):
                dh[j] = dh_next[j]
            for q in range(no):
                e = err[bb, t, q]
                d = scale * e
                for j in range(nn):
                    dh[j] += F[q, j] * d
                    gF[q, j] += e * ht[bb, t + 1, j]
                gbF[q] += e
            a = act[bb, t]
            for j in range(nn):
                ig, fg, gg, og = a[j], a[nn + j], a[2 * nn + j], a[3 * nn + j]
                tc = tcs[bb, t, j]
                cp = c0[j] if t == 0 else cs[bb, t - 1, j]
                dc = dh[j] * og * (1.0 - tc * tc) + dc_next[j]
                dz[j] = dc * gg * ig * (1.0 - ig)
                dz[nn + j] = dc * cp * fg * (1.0 - fg)
                dz[2 * nn + j] = dc * ig * (1.0 - gg * gg)
                dz[3 * nn + j] = dh[j] * tc * og * (1.0 - og)
                dc_next[j] = dc * fg
            dh_next.fill(0.0)
            for k in range(n4):
                for j in range(nn):
                    dh_next[j] += R[k, j] * dz[k]
            for k in range(n4):
                gb[k] += dz[k]
                for j in range(ni):
                    gW[k, j] += dz[k] * u[bb, t, j]
                for j in range(nn):
                    gR[k, j] += dz[k] * ht[bb, t, j]
    for q in range(no):
        for j in range(nn):
            gF[q, j] *= scale
        gbF[q] *= scale
    return sse / (nb * nt * no)


def _problem(nn, ni, no, nb, nt, seed):
    rng = np.random.default_rng(seed)
    p = bl.LSTMParams.random(nn, ni, no, seed=seed, states=True)
    p = p.replace(W=2 * p.W - 1, R=2 * p.R - 1, b=p.b - 0.5, F=2 * p.F - 1)
    return p, rng.normal(size=(nb, nt, ni)), rng.normal(size=(nb, nt, no))


@settings(max_examples=12, deadline=None)
@given(
    nn=st.integers(1, 11),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    nb=st.integers(1, 2),
    nt=st.integers(1, 19),
    dtype=st.sampled_from(["float64", "float32"]),
    seed=st.integers(0, 2**16),
)
@pytest.mark.parametrize("engine", ["compiled", "interpreted"])
def test_kernels_sum_in_the_documented_order(nn, ni, no, nb, nt, dtype, seed, engine):
    """Loss and gradient equal to the bit those of the one-term-per-pass loops.

    Sizes cover the remainders of the eight- and four-term passes (Nn, Ni) and
    of the eight-step gradient passes (T).
    """
    if engine == "interpreted" and dtype == "float32":
        return  # float64 only
    p, u, y = _problem(nn, ni, no, nb, nt, seed)
    assert_gradient_equals_plain_loops(p, u, y, dtype, engine)


def assert_gradient_equals_plain_loops(p, u, y, dtype, engine):
    """The workspace's loss and gradient are the plain loops' to the bit."""
    nn, ni, no = p.nn, p.ni, p.no
    dt = _workspace.DTYPES[dtype]
    theta = pack(p)
    ws = _workspace.Workspace(u, y, p.h0, p.c0, theta.size, dtype, engine=engine)
    value = ws.gradient(theta)
    expected = np.zeros(theta.size, dt)
    ref = _plain_gradient(
        *_workspace.views(theta.astype(dt), nn, ni, no),
        u.astype(dt),
        y.astype(dt),
        p.h0.astype(dt),
        p.c0.astype(dt),
        *_workspace.views(expected, nn, ni, no),
    )
    assert value == ref
    np.testing.assert_array_equal(ws.grad, expected.astype(np.float64))


# ------------------------------------------------------------------- float32 mode


@pytest.fixture(scope="module")
def medium():
    return _problem(12, 2, 2, 2, 60, seed=3)


def test_float32_gradient_is_float32_close_to_float64(medium):
    p, u, y = medium
    v64, g64 = loss_and_gradients(p, u, y)
    v32, g32 = loss_and_gradients(p, u, y, dtype="float32")
    # really computed in float32 (not float64 under another name) ...
    assert v32 != v64
    assert abs(v32 - v64) <= 2e-6 * v64
    for k, g in g64.items():
        assert g32[k].dtype == np.float64
        assert not np.array_equal(g32[k], g)
        # ... to float32's precision, relative to each array's largest entry
        np.testing.assert_allclose(g32[k], g, rtol=0, atol=5e-5 * np.abs(g).max())


def test_float32_loss_agrees_with_the_numpy_reference_in_float32(medium):
    from blocksim_lstm._reference import reference_cell

    p, u, y = medium
    yhat = reference_cell(p, u, dtype=np.float32).y
    ref = float(np.mean((yhat.astype(np.float64) - y.astype(np.float32)) ** 2))
    ours = loss(p, u, y, dtype="float32")
    assert ours == pytest.approx(ref, rel=2e-6)
    assert ours != loss(p, u, y)


def test_float32_training_follows_float64_and_resumes_to_the_same_bytes(tmp_path):
    u, y = seed_data(300, seed=1)
    p = bl.LSTMParams.random(4, 1, 1, seed=2, states=False)
    opts = TrainOptions(epochs=60, lr=0.02, dtype="float32")
    whole = train(p, u, y, opts)
    ref = train(p, u, y, TrainOptions(epochs=60, lr=0.02))
    assert whole.losses[-1] < 0.95 * whole.losses[0]  # it learns
    np.testing.assert_allclose(whole.losses, ref.losses, rtol=1e-3)
    assert not np.array_equal(whole.losses, ref.losses)
    # stopped after 25 epochs and resumed: the same bytes as the whole run
    train(p, u, y, TrainOptions(epochs=25, lr=0.02, dtype="float32"), out=tmp_path)
    again = resume(tmp_path, epochs=60)
    assert again.options.dtype == "float32"
    np.testing.assert_array_equal(again.losses, whole.losses)
    for k in ("W", "R", "b", "F", "bF"):
        np.testing.assert_array_equal(
            getattr(again.params, k), getattr(whole.params, k)
        )


def test_dtype_option_is_checked_and_kept_out_of_float64_runs():
    with pytest.raises(ValueError, match=r"dtype: expected one of .*, got 'float16'"):
        TrainOptions(dtype="float16")
    with pytest.raises(ValueError, match="dtype: expected one of"):
        loss_and_gradients(
            bl.LSTMParams.random(2, 1, 1, seed=0), [0.0], [0.0], dtype="x"
        )
    # float64 runs keep the dictionary (and so the run identity) they had before
    assert "dtype" not in TrainOptions().to_dict()
    d = TrainOptions(dtype="float32").to_dict()
    assert d["dtype"] == "float32"
    assert TrainOptions.from_dict(d) == TrainOptions(dtype="float32")


def test_cli_dtype(capsys, tmp_path):
    argv = ["train", "--epochs", "5", "--dtype", "float32", "--json"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["options"]["dtype"] == "float32"
    u, y = seed_data(1001, seed=0)
    w = bl.LSTMParams.load(tmp_path / "weights.npz")
    assert s["final_weights_loss"] == loss(w, u, y, dtype="float32")
    with pytest.raises(SystemExit) as exc:
        main(["train", "--dtype", "float16"])
    assert exc.value.code == 2
    assert "--dtype: invalid choice: 'float16'" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--dtype", "float32"]) == 2
    assert "--dtype: not with --resume" in capsys.readouterr().err
