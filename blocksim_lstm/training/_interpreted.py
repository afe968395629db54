"""The training kernels run by numpy: the same bytes as the compiled ones.

:func:`forward`, :func:`backward` and :func:`update` take the arguments of their
namesakes in :mod:`._kernels` (float64 only) and return the same results, bit
for bit, without numba: a first ``train`` starts at once on these while a child
process has numba compile the compiled kernels (:mod:`._engine`), and then goes
on with those.

How the bytes stay the same: every number is made by the same IEEE-754 basic
operations (+, -, *, / and sqrt, each correctly rounded) on the same operands in
the same order as the compiled source writes them. numpy only ever computes one
such operation per element (no fused multiply-add, no reassociation); the sums
the compiled kernels run term after term become ``np.add.accumulate`` over the
terms stacked in that order, starting from the same first value (an
accumulation is defined term after term, ``r[i] = r[i - 1] + a[i]``; numpy's
pairwise summation is only used by reductions, which are never used here).
Gate functions are the compiled ones' range reduction and polynomial, with the
same bit manipulations on int64 views.
"""

from __future__ import annotations

import math

import numpy as np

from ._clipcodes import CLIP_GLOBAL, CLIP_L2NORM

_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_X_MIN = -746.0
_C = (
    1.0 / 6227020800.0,
    1.0 / 479001600.0,
    1.0 / 39916800.0,
    1.0 / 3628800.0,
    1.0 / 362880.0,
    1.0 / 40320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
)  # 1/13!, 1/12!, ..., 1/2!: the compiled kernels' _C13 ... _C2

_BLOCK_T = 64  # time steps whose outer products are stacked at once


def _exp_reduced(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``expm1(r), s1, s2`` of ``x = k ln2 + r`` (``x <= 0``), as the compiled one.

    ``x`` is overwritten. ``np.maximum(x, _X_MIN)`` is the compiled
    ``x = _X_MIN if x < _X_MIN``: both keep a NaN and every ``x >= _X_MIN``.
    Operations in place, one per line of the compiled source's expressions.
    """
    np.maximum(x, _X_MIN, out=x)
    kd = x * _INV_LN2
    kd += _SHIFT
    k = kd.view(np.int64) - _SHIFT_BITS
    kd -= _SHIFT
    r = kd * _LN2_HI
    np.subtract(x, r, out=r)
    np.multiply(kd, _LN2_LO, out=x)  # x is scratch from here on
    r -= x
    kd *= 0.5
    kd -= 0.25
    kd += _SHIFT
    k1 = kd.view(np.int64)
    k1 -= _SHIFT_BITS
    k -= k1
    k += 1023
    k <<= 52
    k1 += 1023
    k1 <<= 52
    p = np.multiply(r, _C[0], out=x)
    for c in _C[1:-1]:
        p += c
        p *= r
    p += _C[-1]
    p *= r * r  # (r r) p
    p += r
    return p, k1.view(np.float64), k.view(np.float64)


_NEG: dict[
    int, np.ndarray
] = {}  # nn -> the gates' factors: -1 (sigmoid: i, f, o) or -2 (tanh: g)


def _gates(z: np.ndarray, nn: int) -> None:
    """Sigmoid of gates i, f, o and tanh of g, in place on ``z (..., 4Nn)``."""
    neg = _NEG.get(nn)
    if neg is None:
        neg = _NEG[nn] = np.repeat([-1.0, -1.0, -2.0, -1.0], nn)
    a = np.abs(z)
    a *= neg  # -|x| or -2|x|, exact
    m, s1, s2 = _exp_reduced(a)
    # sigmoid: e = ((1 + m) s1) s2, r = 1 / (1 + e), x >= 0 ? r : e r
    # tanh: s = s1 s2, t = (s - 1) + s m, r = (0 - t) / (t + 2), x >= 0 ? r : -r
    g = slice(2 * nn, 3 * nn)
    pos = z >= 0.0
    e = m + 1.0
    e *= s1
    e *= s2
    r = e + 1.0
    np.divide(1.0, r, out=r)
    s = s1[..., g] * s2[..., g]
    t = s - 1.0
    s *= m[..., g]
    t += s
    rt = 0.0 - t
    t += 2.0
    rt /= t
    e *= r  # e r
    r[..., g] = rt
    e[..., g] = -rt
    np.copyto(z, np.where(pos, r, e))


def _tanh(x: np.ndarray) -> np.ndarray:
    """tanh as the compiled ``_tanh``: ``t = expm1(-2|x|)``, ``r = -t / (t + 2)``."""
    a = np.abs(x)
    a *= -2.0
    m, s1, s2 = _exp_reduced(a)
    s = s1 * s2
    t = s - 1.0
    s *= m
    t += s
    r = 0.0 - t
    t += 2.0
    r /= t
    return np.where(x >= 0.0, r, np.negative(r))


def _sum_rows(first: np.ndarray, rows: np.ndarray, buf: np.ndarray) -> np.ndarray:
    """``(((first + rows[0]) + rows[1]) + ...)`` row-wise, in that order.

    ``first (m,)``, ``rows (n, m)``, ``buf (n + 1, m)`` scratch; returns a view
    of ``buf``.
    """
    buf[0] = first
    buf[1:] = rows
    np.add.accumulate(buf, axis=0, out=buf)
    return buf[-1]


def _add_outer(G: np.ndarray, D: np.ndarray, X: np.ndarray, t_hi: int) -> None:
    """``G[j, k] += D[t, k] X[t, j]`` for ``t = t_hi, ..., 0`` in that order."""
    t = t_hi
    n, m = G.shape
    buf = np.empty((min(_BLOCK_T, t_hi + 1) + 1, n, m))
    while t >= 0:
        lo = max(-1, t - _BLOCK_T)
        d = D[t:lo:-1] if lo >= 0 else D[t::-1]
        x = X[t:lo:-1] if lo >= 0 else X[t::-1]
        rows = x[:, :, None] * d[:, None, :]
        G[...] = _sum_rows(G, rows, buf[: rows.shape[0] + 1])
        t = lo


def _sum_in_order(start: float, terms: np.ndarray) -> float:
    """``((start + terms[0]) + terms[1]) + ...`` as a float."""
    acc = np.empty(terms.size + 1)
    acc[0] = start
    acc[1:] = terms.ravel()
    np.add.accumulate(acc, out=acc)
    return float(acc[-1])


def forward(W, R, b, F, bF, WT, RT, u, y, h0, c0, act, cs, tcs, ht, err):  # noqa: PLR0913
    """:func:`._kernels.forward` by numpy (float64): same buffers, same bytes.

    The sequences of a batch are independent: each step runs on all of them
    at once (the compiled kernel runs them one after the other; every number
    is made the same way).
    """
    nb, nt, ni = u.shape
    nn = h0.shape[0]
    no = y.shape[2]
    WT[...] = W.T
    RT[...] = R.T
    buf = np.empty((nn + 1, nb, 4 * nn))
    with np.errstate(all="ignore"):
        ht[:, 0] = h0
        # b + W u(t) for every sequence and step at once: each sum's first terms
        zu = np.empty((nb, nt, 4 * nn))
        zu[:] = b
        for j in range(ni):
            zu += WT[j] * u[:, :, j : j + 1]
        for t in range(nt):
            hp = ht[:, t]  # (B, Nn)
            z = act[:, t]  # (B, 4Nn)
            z[:] = _sum_rows(zu[:, t], RT[:, None, :] * hp.T[:, :, None], buf)
            _gates(z, nn)
            cp = c0 if t == 0 else cs[:, t - 1]
            cs[:, t] = z[:, nn : 2 * nn] * cp + z[:, :nn] * z[:, 2 * nn : 3 * nn]
            tcs[:, t] = _tanh(cs[:, t])
            ht[:, t + 1] = z[:, 3 * nn :] * tcs[:, t]
        hs = ht[:, 1:]
        for q in range(no):
            s = np.full((nb, nt), bF[q])
            for j in range(nn):
                s = s + F[q, j] * hs[:, :, j]
            err[:, :, q] = s - y[:, :, q]
        # sse over b, then t, then q, as the compiled loops add it
        sse = _sum_in_order(0.0, err * err)
    return sse / (nb * nt * no)


def backward(  # noqa: PLR0913
    R,
    F,
    gW,
    gR,
    gb,
    gF,
    gbF,
    gWT,
    gRT,
    RP,
    dh,
    dh_next,
    dc_next,
    u,
    c0,
    act,
    cs,
    tcs,
    ht,
    err,
):
    """:func:`._kernels.backward` by numpy (float64): same buffers, same bytes.

    ``RP`` is not used (the compiled kernel's scratch for R in panels).
    """
    nb, nt, _ni = u.shape
    no = err.shape[2]
    nn = c0.shape[0]
    n4 = 4 * nn
    scale = 2.0 / (nb * nt * no)
    gb.fill(0.0)
    gF.fill(0.0)
    gbF.fill(0.0)
    gWT.fill(0.0)
    gRT.fill(0.0)
    buf = np.empty((n4 + 1, nb, nn))
    zero = np.zeros((nb, nn))
    dhs = np.zeros((nb, nn))  # dh_next, dc_next of every sequence
    dcs = np.zeros((nb, nn))
    with np.errstate(all="ignore"):
        for t in range(nt - 1, -1, -1):  # every sequence at once (see forward)
            et = err[:, t]  # (B, No)
            dhb = dhs.copy()
            for q in range(no):
                d = scale * et[:, q : q + 1]
                dhb = dhb + F[q] * d
            dz = act[:, t]  # the gates at t in, dz(t) out
            tc = tcs[:, t]
            cp = c0 if t == 0 else cs[:, t - 1]
            ig = dz[:, :nn].copy()
            fg = dz[:, nn : 2 * nn].copy()
            gg = dz[:, 2 * nn : 3 * nn].copy()
            og = dz[:, 3 * nn :].copy()
            dc = dhb * og * (1.0 - tc * tc) + dcs
            dz[:, :nn] = dc * gg * ig * (1.0 - ig)
            dz[:, nn : 2 * nn] = dc * cp * fg * (1.0 - fg)
            dz[:, 2 * nn : 3 * nn] = dc * ig * (1.0 - gg * gg)
            dz[:, 3 * nn :] = dhb * tc * og * (1.0 - og)
            dcs = dc * fg
            dhs = _sum_rows(zero, R[:, None, :] * dz.T[:, :, None], buf).copy()
        # the scratch vectors as the compiled kernel leaves them
        dh[:] = dhb[-1]
        dh_next[:] = dhs[-1]
        dc_next[:] = dcs[-1]
        # the sums the compiled kernel adds to at every step, sequence after
        # sequence (b = 0, 1, ...; t = T-1, ..., 0 within each)
        for bb in range(nb):
            back = slice(nt - 1, None, -1)
            e = err[bb, back]  # (T, No), t descending
            hs = ht[bb, nt:0:-1]  # h(t), t descending
            for q in range(no):
                gF[q] = _sum_rows(gF[q], e[:, q : q + 1] * hs, np.empty((nt + 1, nn)))
                gbF[q] = _sum_in_order(float(gbF[q]), e[:, q])
            gb[:] = _sum_rows(gb, act[bb, back], np.empty((nt + 1, n4)))
            _add_outer(gWT, act[bb], u[bb], nt - 1)
            _add_outer(gRT, act[bb], ht[bb], nt - 1)
        gW[...] = gWT.T
        gR[...] = gRT.T
        gF *= scale
        gbF *= scale


def powi(x: float, n: int) -> float:
    """``x ** n`` by repeated squaring, as the compiled one."""
    r = 1.0
    b = x
    while n > 0:
        if n & 1:
            r *= b
        b *= b
        n >>= 1
    return r


def regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold):
    """:func:`._kernels.regularize_and_clip` by numpy: same bytes."""
    total = 0.0
    with np.errstate(all="ignore"):
        for a in range(seg.shape[0]):
            lo, hi = int(seg[a, 0]), int(seg[a, 1])
            ga = grad[lo:hi]
            if active[a] == 0:
                ga.fill(0.0)
                continue
            if l2 != 0.0 and decay[a] != 0:
                ga[:] = ga + l2 * theta[lo:hi]
            ss = _sum_in_order(0.0, ga * ga)
            total = total + ss
            if clip_mode == CLIP_L2NORM:
                norm = math.sqrt(ss)
                if norm > threshold:
                    ga *= threshold / norm
        if clip_mode == CLIP_GLOBAL:
            norm = math.sqrt(total)
            if norm > threshold:
                grad *= threshold / norm


def update(  # noqa: PLR0913
    theta,
    grad,
    m,
    v,
    step,
    lr,
    beta1,
    beta2,
    eps,
    seg,
    active,
    decay,
    l2,
    clip_mode,
    threshold,
):
    """:func:`._kernels.update` by numpy: same bytes, same return value."""
    regularize_and_clip(theta, grad, seg, active, decay, l2, clip_mode, threshold)
    if not np.isfinite(grad).all():
        return False
    bc1 = 1.0 - powi(beta1, step)
    bc2 = 1.0 - powi(beta2, step)
    with np.errstate(all="ignore"):
        for a in range(seg.shape[0]):
            if active[a] == 0:
                continue
            lo, hi = int(seg[a, 0]), int(seg[a, 1])
            g = grad[lo:hi]
            ma, va, ta = m[lo:hi], v[lo:hi], theta[lo:hi]
            ma[:] = beta1 * ma + (1.0 - beta1) * g
            va[:] = beta2 * va + (1.0 - beta2) * g * g
            ta[:] = ta - lr * (ma / bc1) / (np.sqrt(va / bc2) + eps)
    return True
