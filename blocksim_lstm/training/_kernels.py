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
_FM = {"reassoc", "contract", "nsz"}
CLIP_NONE = 0
CLIP_L2NORM = 1  # each learnable array separately (MATLAB's default 'l2norm')
CLIP_GLOBAL = 2  # all learnable arrays together ('global-l2norm')


@njit(cache=True, inline="always", fastmath=_FM)
def _sigmoid(x: float) -> float:
    # exp of a non-positive number never overflows; both branches are computed
    # so the compiler can select without a (mispredicted) jump
    e = math.exp(-abs(x))
    r = 1.0 / (1.0 + e)
    return r if x >= 0.0 else e * r


@njit(cache=True, inline="always", fastmath=_FM)
def _tanh(x: float) -> float:
    # libm's tanh costs ~20 ns here; expm1 of a non-positive argument is ~2x
    # faster, never overflows and is accurate to ~1 ulp (relative) near 0.
    t = math.expm1(-2.0 * abs(x))
    r = -t / (t + 2.0)
    return r if x >= 0.0 else -r


@njit(cache=True, inline="always")
def _views(theta, nn, ni, no):
    """W (4Nn, Ni), R (4Nn, Nn), b (4Nn,), F (No, Nn), bF (No,) as views of theta."""
    n4 = 4 * nn
    o_r = n4 * ni
    o_b = o_r + n4 * nn
    o_f = o_b + n4
    o_bf = o_f + no * nn
    return (
        theta[0:o_r].reshape((n4, ni)),
        theta[o_r:o_b].reshape((n4, nn)),
        theta[o_b:o_f],
        theta[o_f:o_bf].reshape((no, nn)),
        theta[o_bf : o_bf + no],
    )


@njit(cache=True, fastmath=_FM)
def forward(theta, u, y, h0, c0, nn, act, cs, tcs, ht, errt, work):  # noqa: PLR0913
    """Run the layer on every sequence; fill the buffers; return the mean loss.

    Shapes: ``u (B, T, Ni)``, ``y (B, T, No)``, ``h0, c0 (Nn,)``,
    ``act (B, T, 4Nn)`` gate activations, ``cs, tcs (B, T, Nn)`` c(t) and
    tanh(c(t)), ``ht (B, T + 1, Nn)`` hidden states with ``ht[:, 0] = h0``
    and ``ht[:, t + 1] = h(t)``, ``errt (B, No, T)`` output errors transposed;
    ``work`` scratch (unused here, kept for a uniform signature).
    """
    nb, nt, ni = u.shape
    no = y.shape[2]
    n4 = 4 * nn
    W, R, b, F, bF = _views(theta, nn, ni, no)
    sse = 0.0
    for bb in range(nb):
        ht[bb, 0, :] = h0
        for t in range(nt):
            ut = u[bb, t]
            hp = ht[bb, t]  # h(t-1)
            z = act[bb, t]
            for k in range(n4):
                s = b[k]
                for j in range(ni):
                    s += W[k, j] * ut[j]
                rk = R[k]
                for j in range(nn):
                    s += rk[j] * hp[j]
                z[k] = s
            for k in range(2 * nn):
                z[k] = _sigmoid(z[k])
            for k in range(2 * nn, 3 * nn):
                z[k] = _tanh(z[k])
            for k in range(3 * nn, n4):
                z[k] = _sigmoid(z[k])
            cp = c0 if t == 0 else cs[bb, t - 1]
            ct = cs[bb, t]
            tc = tcs[bb, t]
            h = ht[bb, t + 1]
            for j in range(nn):
                c = z[nn + j] * cp[j] + z[j] * z[2 * nn + j]
                ct[j] = c
                tc[j] = _tanh(c)
                h[j] = z[3 * nn + j] * tc[j]
            for q in range(no):
                s = bF[q]
                fq = F[q]
                for j in range(nn):
                    s += fq[j] * h[j]
                e = s - y[bb, t, q]
                errt[bb, q, t] = e
                sse += e * e
    return sse / (nb * nt * no)


@njit(cache=True, fastmath=_FM)
def backward(theta, u, c0, nn, act, cs, tcs, ht, errt, dzt, grad, work):  # noqa: PLR0913
    """Backpropagation through time of the mean loss; write ``grad`` (theta's layout).

    ``u (B, T, Ni)`` is the input, ``dzt (4Nn, T)`` scratch for the gate
    pre-activation gradients, ``work`` scratch of length ``7 Nn`` (at least);
    the other buffers as :func:`forward` filled them. The recurrence only carries
    ``dh`` and ``dc`` step by step; the weight gradients are matrix products
    over time afterwards (BLAS ``dgemm``: ``dR = dZ H_prev``, ``dW = dZ U``,
    ``dF = E H``).
    """
    nb, nt, ni = u.shape
    no = errt.shape[1]
    n4 = 4 * nn
    scale = 2.0 / (nb * nt * no)
    _, R, _, F, _ = _views(theta, nn, ni, no)
    gW, gR, gb, gF, gbF = _views(grad, nn, ni, no)
    grad[:] = 0.0
    # scratch: dz (4Nn), dh (Nn), dh_next (Nn), dc_next (Nn)
    dz = work[0:n4]
    dh = work[n4 : n4 + nn]
    dh_next = work[n4 + nn : n4 + 2 * nn]
    dc_next = work[n4 + 2 * nn : n4 + 3 * nn]
    for bb in range(nb):
        dh_next[:] = 0.0
        dc_next[:] = 0.0
        for t in range(nt - 1, -1, -1):
            for j in range(nn):
                dh[j] = dh_next[j]
            for q in range(no):
                d = scale * errt[bb, q, t]
                fq = F[q]
                for j in range(nn):
                    dh[j] += fq[j] * d
            a = act[bb, t]
            tc = tcs[bb, t]
            cp = c0 if t == 0 else cs[bb, t - 1]
            for j in range(nn):
                ig = a[j]
                fg = a[nn + j]
                gg = a[2 * nn + j]
                og = a[3 * nn + j]
                dc = dh[j] * og * (1.0 - tc[j] * tc[j]) + dc_next[j]
                dz[j] = dc * gg * ig * (1.0 - ig)
                dz[nn + j] = dc * cp[j] * fg * (1.0 - fg)
                dz[2 * nn + j] = dc * ig * (1.0 - gg * gg)
                dz[3 * nn + j] = dh[j] * tc[j] * og * (1.0 - og)
                dc_next[j] = dc * fg
            dh_next[:] = 0.0
            for k in range(n4):
                d = dz[k]
                dzt[k, t] = d
                rk = R[k]
                for j in range(nn):
                    dh_next[j] += rk[j] * d
        # weight gradients: sums over time, as matrix products (BLAS)
        gW += np.dot(dzt, u[bb])  # (4Nn, Ni)
        gR += np.dot(dzt, ht[bb, 0:nt])  # (4Nn, Nn): h(t-1) for t = 0..T-1
        gF += scale * np.dot(errt[bb], ht[bb, 1 : nt + 1])  # (No, Nn): h(t)
        for k in range(n4):
            s = 0.0
            for t in range(nt):
                s += dzt[k, t]
            gb[k] += s
        for q in range(no):
            s = 0.0
            for t in range(nt):
                s += errt[bb, q, t]
            gbF[q] += scale * s


@njit(cache=True, fastmath=_FM)
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


@njit(cache=True, fastmath=_FM)
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


@njit(cache=True, fastmath=_FM)
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
    ht,
    errt,
    dzt,
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
        loss = forward(theta, u, y, h0, c0, nn, act, cs, tcs, ht, errt, work)
        losses[e] = loss
        if not math.isfinite(loss):
            return e
        backward(theta, u, c0, nn, act, cs, tcs, ht, errt, dzt, grad, work)
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


class Workspace:
    """Data, initial states and preallocated buffers for the kernels.

    Parameters
    ----------
    u : ndarray, shape ``(B, T, Ni)``
    y : ndarray, shape ``(B, T, No)``
    h0, c0 : ndarray, shape ``(Nn,)``
    n_theta : int
        Length of the flat parameter vector.
    """

    def __init__(
        self, u: np.ndarray, y: np.ndarray, h0: np.ndarray, c0: np.ndarray, n_theta: int
    ) -> None:
        nb, nt, _ = u.shape
        nn = h0.shape[0]
        no = y.shape[2]
        self.nn = nn
        self.u = np.ascontiguousarray(u, np.float64)
        self.y = np.ascontiguousarray(y, np.float64)
        self.h0 = np.ascontiguousarray(h0, np.float64)
        self.c0 = np.ascontiguousarray(c0, np.float64)
        self.act = np.empty((nb, nt, 4 * nn))
        self.cs = np.empty((nb, nt, nn))
        self.tcs = np.empty((nb, nt, nn))
        self.ht = np.empty((nb, nt + 1, nn))
        self.errt = np.empty((nb, no, nt))
        self.dzt = np.empty((4 * nn, nt))
        self.grad = np.empty(n_theta)
        self.work = np.empty(7 * nn)

    def loss(self, theta: np.ndarray) -> float:
        """Mean squared error at ``theta`` (fills the forward buffers)."""
        return forward(
            theta,
            self.u,
            self.y,
            self.h0,
            self.c0,
            self.nn,
            self.act,
            self.cs,
            self.tcs,
            self.ht,
            self.errt,
            self.work,
        )

    def gradient(self, theta: np.ndarray) -> float:
        """Loss at ``theta``; its gradient is left in :attr:`grad`."""
        value = self.loss(theta)
        backward(
            theta,
            self.u,
            self.c0,
            self.nn,
            self.act,
            self.cs,
            self.tcs,
            self.ht,
            self.errt,
            self.dzt,
            self.grad,
            self.work,
        )
        return value

    def train_chunk(  # noqa: PLR0913
        self,
        theta,
        m,
        v,
        step0,
        lrs,
        losses,
        seg,
        active,
        decay,
        l2,
        clip_mode,
        threshold,
        beta1,
        beta2,
        eps,
    ) -> int:
        """Call :func:`train_chunk` with this workspace's data and buffers."""
        return train_chunk(
            theta,
            m,
            v,
            step0,
            lrs,
            losses,
            self.u,
            self.y,
            self.h0,
            self.c0,
            self.nn,
            seg,
            active,
            decay,
            l2,
            clip_mode,
            threshold,
            beta1,
            beta2,
            eps,
            self.act,
            self.cs,
            self.tcs,
            self.ht,
            self.errt,
            self.dzt,
            self.grad,
            self.work,
        )
