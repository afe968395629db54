"""The training kernels' paths for a few units: the plain loops' bytes.

At ``Nn <= K.SMALL_MAX_NN`` the forward pass runs the whole recurrence in
registers (:func:`K._small_steps`: units 0..3 as lanes of one vector per gate,
unit 4 as one vector of its four gates, the sigmoid and tanh written again in
LLVM IR on vectors), and so does the float64 backward recurrence
(:func:`K._small_back`). Their buffers, loss and gradient are compared to the
bit with plain one-term-per-pass loops that call the scalar gate functions,
at the gate functions' edges (zeros, subnormals, saturation, the underflow of
exp at -746, infinities, NaN) and on random problems whose weights spread
over several decades.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from test_train_kernels import assert_gradient_equals_plain_loops

import blocksim_lstm as bl
from blocksim_lstm.training import _kernels as K
from blocksim_lstm.training import _workspace, pack

SIZES = list(range(1, K.SMALL_MAX_NN + 2))  # the small path and one above it


@njit(cache=True, error_model="numpy")
def _plain_forward(W, R, b, F, bF, u, y, h0, c0, act, cs, tcs, ht, err):  # noqa: PLR0913
    """The forward pass by plain loops and the scalar gate functions."""
    nb, nt, ni = u.shape
    no = y.shape[2]
    nn = h0.shape[0]
    for bb in range(nb):
        for j in range(nn):
            ht[bb, 0, j] = h0[j]
        for t in range(nt):
            z = act[bb, t]
            for k in range(4 * nn):
                z[k] = b[k]
            for j in range(ni):
                for k in range(4 * nn):
                    z[k] += W[k, j] * u[bb, t, j]
            for j in range(nn):
                for k in range(4 * nn):
                    z[k] += R[k, j] * ht[bb, t, j]
            for k in range(4 * nn):
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


def _canonical(x: np.ndarray) -> bytes:
    """The bytes, every NaN made the same (which NaN comes out depends on the
    order of an operation's operands)."""
    return np.where(np.isnan(x), np.nan, x).tobytes()


def assert_forward_buffers_equal_plain_loops(p, u, y, dtype):
    """Gates, c, tanh c, h and errors of the workspace's forward pass are the
    plain loops' to the bit (NaNs as NaNs)."""
    dt = _workspace.DTYPES[dtype]
    theta = pack(p)
    ws = _workspace.Workspace(u, y, p.h0, p.c0, theta.size, dtype, engine="compiled")
    ws.loss(theta)
    nb, nt, _ = u.shape
    nn = p.nn
    bufs = [np.full(s, -7.0, dt) for s in [(nb, nt, 4 * nn), (nb, nt, nn)]]
    bufs += [np.full((nb, nt, nn), -7.0, dt), np.full((nb, nt + 1, nn), -7.0, dt)]
    bufs.append(np.full((nb, nt, p.no), -7.0, dt))
    _plain_forward(
        *(np.ascontiguousarray(getattr(p, k), dt) for k in ("W", "R", "b", "F", "bF")),
        u.astype(dt),
        y.astype(dt),
        p.h0.astype(dt),
        p.c0.astype(dt),
        *bufs,
    )
    for name, want in zip(("act", "cs", "tcs", "ht", "err"), bufs, strict=True):
        assert _canonical(getattr(ws, name)) == _canonical(want), name


# pre-activations at the edges of the gate functions: zeros, subnormals, where
# sigmoid and tanh saturate, where exp(-|x|) and exp(-2|x|) underflow (-746)
_EDGES = [0.0, 5e-324, 1e-300, 1e-8, 0.5, 1.0, 19.0, 20.0, 36.7, 37.0, 372.9]
_EDGES += [373.0, 373.5, 400.0, 745.0, 746.0, 800.0, 1e300]
_EDGES = _EDGES + [-x for x in _EDGES]
# in float32 (whose sums and c are float32): its largest and subnormal values
_EDGES32 = [
    {1e300: 3e38, 5e-324: 1e-45, 1e-300: 1e-38}.get(abs(x), abs(x)) for x in _EDGES
]
_EDGES32 = [np.copysign(v, x) for v, x in zip(_EDGES32, _EDGES, strict=True)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("nn", SIZES)
def test_small_paths_at_the_edges_of_the_gate_functions(nn, dtype):
    """``z = u(t)`` exactly (W = 1, b = 0, R = 0) runs every gate of every unit
    through the edge values, and c and tanh c through what they give; then
    the same with R != 0 and infinities and NaN at the end of the sequence."""
    u = np.array(_EDGES if dtype == "float64" else _EDGES32)[None, :, None]
    y = np.linspace(-1.0, 1.0, u.shape[1])[None, :, None]
    p = bl.LSTMParams(
        W=np.ones((4 * nn, 1)),
        R=np.zeros((4 * nn, nn)),
        b=np.zeros(4 * nn),
        F=np.linspace(-1.0, 1.0, nn)[None, :],
        bF=np.zeros(1),
        h0=np.linspace(-0.5, 0.5, nn),
        c0=np.linspace(0.9, -0.9, nn),
    )
    assert_forward_buffers_equal_plain_loops(p, u, y, dtype)
    assert_gradient_equals_plain_loops(p, u, y, dtype, "compiled")
    rng = np.random.default_rng(nn)
    p = p.replace(R=rng.normal(size=(4 * nn, nn)) * 3.0)
    assert_forward_buffers_equal_plain_loops(p, u, y, dtype)
    assert_gradient_equals_plain_loops(p, u, y, dtype, "compiled")
    tail = np.array([np.inf, -np.inf, 1.0, np.nan, 2.0])[None, :, None]
    u2 = np.concatenate([u, tail], axis=1)
    y2 = np.concatenate([y, np.zeros((1, tail.shape[1], 1))], axis=1)
    assert_forward_buffers_equal_plain_loops(p, u2, y2, dtype)


@settings(max_examples=12, deadline=None)
@given(
    nn=st.sampled_from(SIZES),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    nb=st.integers(1, 3),
    nt=st.integers(1, 40),
    dtype=st.sampled_from(["float64", "float32"]),
    decades=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_small_paths_equal_the_plain_loops(nn, ni, no, nb, nt, dtype, decades, seed):
    """Random problems, weights and states spread over ``decades`` decades
    (saturated gates among them), several sequences (the states start again
    from h0, c0; dh and dc from 0): buffers, loss and gradient to the bit."""
    rng = np.random.default_rng(seed)

    def spread(*shape):
        return rng.normal(size=shape) * 10.0 ** rng.integers(0, decades + 1, shape)

    p = bl.LSTMParams(
        W=spread(4 * nn, ni),
        R=spread(4 * nn, nn),
        b=spread(4 * nn),
        F=spread(no, nn),
        bF=spread(no),
        h0=spread(nn),
        c0=spread(nn),
    )
    u, y = spread(nb, nt, ni), spread(nb, nt, no)
    assert_forward_buffers_equal_plain_loops(p, u, y, dtype)
    assert_gradient_equals_plain_loops(p, u, y, dtype, "compiled")
