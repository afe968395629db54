"""Compiled kernels: forward pass, backpropagation through time, clipping, Adam.

All learnables live in one flat float64 vector ``theta`` laid out as
``[W (row-major, 4Nn x Ni), R (4Nn x Nn), b (4Nn), F (No x Nn), bF (No)]``.
Gate order in W, R, b is i, f, g, o. Loops are scalar (numba), buffers are
preallocated by the caller, and :func:`train_chunk` fuses forward, backward,
clipping and the Adam update of many epochs into one compiled call.

Loss convention: plain mean squared error over every element,
``L = sum((yhat - y)**2) / (B * T * No)`` (not MATLAB's half-MSE).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# clipping modes
CLIP_NONE = 0
CLIP_L2NORM = 1  # each learnable array separately (MATLAB's default 'l2norm')
CLIP_GLOBAL = 2  # all learnable arrays together ('global-l2norm')


@njit(cache=True, inline="always")
def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True, inline="always")
def _tanh(x: float) -> float:
    # libm's tanh costs ~20 ns here; expm1 of a non-positive argument is ~2x
    # faster, never overflows and is accurate to ~1 ulp (relative) near 0.
    t = math.expm1(-2.0 * abs(x))
    r = -t / (t + 2.0)
    return r if x >= 0.0 else -r


@njit(cache=True)
def forward(theta, u, y, h0, c0, nn, act, cs, tcs, hs, err):  # noqa: PLR0913
    """Run the layer on every sequence; fill the buffers; return the mean loss.

    Shapes: ``u (B, T, Ni)``, ``y (B, T, No)``, ``h0, c0 (Nn,)``,
    ``act (B, T, 4Nn)``, ``cs, tcs, hs (B, T, Nn)``, ``err (B, T, No)``.
    """
    nb, nt, ni = u.shape
    no = y.shape[2]
    n4 = 4 * nn
    o_r = n4 * ni
    o_b = o_r + n4 * nn
    o_f = o_b + n4
    o_bf = o_f + no * nn
    sse = 0.0
    for bb in range(nb):
        for t in range(nt):
            for k in range(n4):
                s = theta[o_b + k]
                for j in range(ni):
                    s += theta[k * ni + j] * u[bb, t, j]
                if t == 0:
                    for j in range(nn):
                        s += theta[o_r + k * nn + j] * h0[j]
                else:
                    for j in range(nn):
                        s += theta[o_r + k * nn + j] * hs[bb, t - 1, j]
                if 2 * nn <= k < 3 * nn:
                    act[bb, t, k] = _tanh(s)
                else:
                    act[bb, t, k] = _sigmoid(s)
            for j in range(nn):
                cp = c0[j] if t == 0 else cs[bb, t - 1, j]
                c = act[bb, t, nn + j] * cp + act[bb, t, j] * act[bb, t, 2 * nn + j]
                cs[bb, t, j] = c
                tc = _tanh(c)
                tcs[bb, t, j] = tc
                hs[bb, t, j] = act[bb, t, 3 * nn + j] * tc
            for q in range(no):
                s = theta[o_bf + q]
                for j in range(nn):
                    s += theta[o_f + q * nn + j] * hs[bb, t, j]
                e = s - y[bb, t, q]
                err[bb, t, q] = e
                sse += e * e
    return sse / (nb * nt * no)


@njit(cache=True)
def backward(theta, u, h0, c0, nn, act, cs, tcs, hs, err, grad, work):  # noqa: PLR0913
    """Backpropagation through time of the mean loss; write ``grad`` (theta's layout).

    ``work`` is a scratch vector of length ``7 Nn`` (at least).
    """
    nb, nt, ni = u.shape
    no = err.shape[2]
    n4 = 4 * nn
    o_r = n4 * ni
    o_b = o_r + n4 * nn
    o_f = o_b + n4
    o_bf = o_f + no * nn
    scale = 2.0 / (nb * nt * no)
    for k in range(grad.shape[0]):
        grad[k] = 0.0
    # scratch: dz (4Nn), dh (Nn), dh_next (Nn), dc_next (Nn)
    dz = work[0:n4]
    dh = work[n4 : n4 + nn]
    dh_next = work[n4 + nn : n4 + 2 * nn]
    dc_next = work[n4 + 2 * nn : n4 + 3 * nn]
    for bb in range(nb):
        for j in range(nn):
            dh_next[j] = 0.0
            dc_next[j] = 0.0
        for t in range(nt - 1, -1, -1):
            for j in range(nn):
                dh[j] = dh_next[j]
            for q in range(no):
                d = scale * err[bb, t, q]
                grad[o_bf + q] += d
                for j in range(nn):
                    grad[o_f + q * nn + j] += d * hs[bb, t, j]
                    dh[j] += theta[o_f + q * nn + j] * d
            for j in range(nn):
                ig = act[bb, t, j]
                fg = act[bb, t, nn + j]
                gg = act[bb, t, 2 * nn + j]
                og = act[bb, t, 3 * nn + j]
                tc = tcs[bb, t, j]
                cp = c0[j] if t == 0 else cs[bb, t - 1, j]
                dc = dh[j] * og * (1.0 - tc * tc) + dc_next[j]
                dz[j] = dc * gg * ig * (1.0 - ig)
                dz[nn + j] = dc * cp * fg * (1.0 - fg)
                dz[2 * nn + j] = dc * ig * (1.0 - gg * gg)
                dz[3 * nn + j] = dh[j] * tc * og * (1.0 - og)
                dc_next[j] = dc * fg
            for k in range(n4):
                d = dz[k]
                grad[o_b + k] += d
                for j in range(ni):
                    grad[k * ni + j] += d * u[bb, t, j]
                if t == 0:
                    for j in range(nn):
                        grad[o_r + k * nn + j] += d * h0[j]
                else:
                    for j in range(nn):
                        grad[o_r + k * nn + j] += d * hs[bb, t - 1, j]
            for j in range(nn):
                dh_next[j] = 0.0
            for k in range(n4):
                d = dz[k]
                for j in range(nn):
                    dh_next[j] += theta[o_r + k * nn + j] * d


@njit(cache=True)
def regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold):
    """Add L2 regularization, zero frozen arrays, clip; in place on ``grad``.

    ``seg (5, 2)`` holds each array's [start, stop) in theta (W, R, b, F, bF);
    ``active (5,)`` is 1 for trained arrays, 0 for frozen ones; ``decay (5,)`` is
    1 where the L2 regularization ``l2 * theta`` applies (weights, not biases).
    """
    n_arr = seg.shape[0]
    total = 0.0
    for a in range(n_arr):
        lo = seg[a, 0]
        hi = seg[a, 1]
        if active[a] == 0:
            for k in range(lo, hi):
                grad[k] = 0.0
            continue
        if l2 != 0.0 and decay[a] != 0:
            for k in range(lo, hi):
                grad[k] += l2 * theta[k]
        ss = 0.0
        for k in range(lo, hi):
            ss += grad[k] * grad[k]
        total += ss
        if clip_mode == CLIP_L2NORM:
            norm = math.sqrt(ss)
            if norm > threshold:
                fac = threshold / norm
                for k in range(lo, hi):
                    grad[k] *= fac
    if clip_mode == CLIP_GLOBAL:
        norm = math.sqrt(total)
        if norm > threshold:
            fac = threshold / norm
            for k in range(grad.shape[0]):
                grad[k] *= fac


@njit(cache=True)
def adam_update(theta, grad, m, v, step, lr, beta1, beta2, eps, seg, active):
    """One Adam step (bias-corrected, ``eps`` added to ``sqrt(v_hat)``), in place.

    ``step`` is the 1-based update count. Frozen arrays keep theta, m and v.
    """
    bc1 = 1.0 - beta1**step
    bc2 = 1.0 - beta2**step
    for a in range(seg.shape[0]):
        if active[a] == 0:
            continue
        for k in range(seg[a, 0], seg[a, 1]):
            g = grad[k]
            m[k] = beta1 * m[k] + (1.0 - beta1) * g
            v[k] = beta2 * v[k] + (1.0 - beta2) * g * g
            theta[k] -= lr * (m[k] / bc1) / (math.sqrt(v[k] / bc2) + eps)


@njit(cache=True)
def train_chunk(  # noqa: PLR0913
    theta,
    m,
    v,
    step0,
    lrs,
    losses,
    u,
    y,
    h0,
    c0,
    nn,
    seg,
    active,
    decay,
    l2,
    clip_mode,
    threshold,
    beta1,
    beta2,
    eps,
    act,
    cs,
    tcs,
    hs,
    err,
    grad,
    work,
):
    """Run ``len(lrs)`` epochs: loss, gradient, clip, Adam; return epochs done.

    ``losses[e]`` receives the loss at the weights *before* epoch ``e``'s update
    (what MATLAB's log shows). The run stops early, before updating, at the first
    non-finite loss or gradient; the return value is then the index of that epoch
    (its loss is stored) and theta, m, v are left as they were.
    """
    n = lrs.shape[0]
    for e in range(n):
        loss = forward(theta, u, y, h0, c0, nn, act, cs, tcs, hs, err)
        losses[e] = loss
        if not math.isfinite(loss):
            return e
        backward(theta, u, h0, c0, nn, act, cs, tcs, hs, err, grad, work)
        regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold)
        ok = True
        for k in range(grad.shape[0]):
            if not math.isfinite(grad[k]):
                ok = False
                break
        if not ok:
            return e
        adam_update(
            theta, grad, m, v, step0 + e + 1, lrs[e], beta1, beta2, eps, seg, active
        )
    return n


def allocate(nb: int, nt: int, nn: int, no: int, n_theta: int) -> dict[str, np.ndarray]:
    """Preallocate the kernels' buffers for ``nb`` sequences of ``nt`` steps."""
    return {
        "act": np.empty((nb, nt, 4 * nn)),
        "cs": np.empty((nb, nt, nn)),
        "tcs": np.empty((nb, nt, nn)),
        "hs": np.empty((nb, nt, nn)),
        "err": np.empty((nb, nt, no)),
        "grad": np.empty(n_theta),
        "work": np.empty(7 * nn),
    }
