"""The kernels' memory: views of the flat weight vector, data, buffers.

:class:`Workspace` holds what the training kernels read and write and runs
epochs on them (:meth:`Workspace.train_chunk`). Which kernels run is chosen at
every call by :mod:`._engine` (numba's, or numpy's with the same bytes while
numba compiles); numba is not imported here.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from . import _engine


def _bound(kernel: Any, args: tuple[Any, ...], free: tuple[int, ...] = ()) -> Any:
    """``kernel`` with ``args`` fixed, but for ``args[i]``, i in ``free``.

    The result takes the free arguments, in order. The file's kernels
    (:mod:`._native`) convert the fixed ones once, here.
    """
    bind = getattr(kernel, "bind", None)
    if bind is not None:
        return bind(args, free)
    if not free:
        return functools.partial(kernel, *args)

    def call(*values: Any) -> Any:
        full = list(args)
        for i, value in zip(free, values, strict=True):
            full[i] = value
        return kernel(*full)

    return call


def views(theta: np.ndarray, nn: int, ni: int, no: int) -> tuple[np.ndarray, ...]:
    """W (4Nn, Ni), R (4Nn, Nn), b (4Nn,), F (No, Nn), bF (No,): views of ``theta``.

    Parameters
    ----------
    theta : ndarray, shape ``(4Nn(Ni + Nn + 1) + No(Nn + 1),)``, C-contiguous
    nn, ni, no
        Units, input width, output width.
    """
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


def work_size(nn: int, ni: int) -> int:
    """Number of scratch floats of a :class:`Workspace` (transposes, recurrences)."""
    return 2 * 4 * nn * (ni + nn) + 4 * nn + 3 * nn


def buffer_bytes(nb: int, nt: int, nn: int, ni: int, no: int) -> int:
    """Bytes of the buffers a float64 :class:`Workspace` allocates (data included).

    A float32 workspace needs less (its buffers are half as large, plus a
    float32 copy of the weights and the gradient).
    """
    floats = nb * nt * (ni + no)  # u, y
    floats += nb * nt * (4 * nn + 2 * nn + no) + nb * (nt + 1) * nn  # act cs tcs err ht
    floats += 2 * nn + work_size(nn, ni)
    floats += 4 * nn * (ni + nn + 1) + no * (nn + 1)  # grad
    floats += 4 * nn * nn  # the backward pass's panel copy of R (large Nn)
    return 8 * floats


DTYPES: dict[str, type] = {"float64": np.float64, "float32": np.float32}
"""The kernels' floating-point types by name."""


class Workspace:
    """Data, initial states and preallocated buffers for the kernels.

    Parameters
    ----------
    u : ndarray, shape ``(B, T, Ni)``
    y : ndarray, shape ``(B, T, No)``
    h0, c0 : ndarray, shape ``(Nn,)``
    n_theta : int
        Length of the flat parameter vector.
    dtype : {"float64", "float32"}
        The kernels' arithmetic: data, states, gates and gradients are held and
        computed in this type (gate functions in float64, then rounded); the
        weights, the Adam state and the update stay float64.
    engine : {"auto", "compiled", "interpreted"}
        Which kernels run (:func:`._engine.kernels`; the results are the same
        bytes): ``"auto"`` numba's once it has them and numpy's until then,
        ``"compiled"`` numba's, ``"interpreted"`` numpy's (float64 only).
    """

    def __init__(
        self,
        u: np.ndarray,
        y: np.ndarray,
        h0: np.ndarray,
        c0: np.ndarray,
        n_theta: int,
        dtype: str = "float64",
        engine: str = "auto",
    ) -> None:
        if dtype not in DTYPES:
            raise ValueError(f"dtype: expected one of {sorted(DTYPES)}, got {dtype!r}")
        _engine.check(engine, dtype)
        self.engine = engine
        dt = DTYPES[dtype]
        nb, nt, ni = u.shape
        nn = h0.shape[0]
        no = y.shape[2]
        n4 = 4 * nn
        self.nn, self.ni, self.no = nn, ni, no
        self.dtype = dtype
        # own writable copies: a read-only array (LSTMParams' are) would be
        # another numba specialization, compiled again
        self.u: np.ndarray = np.array(u, dt, order="C")
        self.y: np.ndarray = np.array(y, dt, order="C")
        self.h0: np.ndarray = np.array(h0, dt, order="C")
        self.c0: np.ndarray = np.array(c0, dt, order="C")
        self.act: np.ndarray = np.empty((nb, nt, n4), dt)
        self.cs: np.ndarray = np.empty((nb, nt, nn), dt)
        self.tcs: np.ndarray = np.empty((nb, nt, nn), dt)
        self.ht: np.ndarray = np.empty((nb, nt + 1, nn), dt)
        self.err: np.ndarray = np.empty((nb, nt, no), dt)
        self.grad: np.ndarray = np.zeros(n_theta)  # defined before a gradient
        work: np.ndarray = np.empty(work_size(nn, ni), dt)
        sizes = [n4 * ni, n4 * nn, n4 * ni, n4 * nn, n4, nn, nn, nn]
        parts = np.split(work, np.cumsum(sizes)[:-1])
        wt, rt, gwt, grt = (
            parts[0].reshape(ni, n4),
            parts[1].reshape(nn, n4),
            parts[2].reshape(ni, n4),
            parts[3].reshape(nn, n4),
        )
        # the kernels' copies of the weights and gradient in float32 mode (in
        # float64 mode the kernels read the caller's theta and write self.grad)
        f32 = dt is not np.float64
        self._theta_k: np.ndarray | None = np.empty(n_theta, dt) if f32 else None
        self._grad_k: np.ndarray = np.empty(n_theta, dt) if f32 else self.grad
        g = views(self._grad_k, nn, ni, no)
        self._fwd_tail: tuple[np.ndarray, ...] = (
            wt,
            rt,
            self.u,
            self.y,
            self.h0,
            self.c0,
            self.act,
        )
        self._fwd_tail += (self.cs, self.tcs, self.ht, self.err)
        self._bwd_tail: tuple[np.ndarray, ...] = (
            *g,
            gwt,
            grt,
            np.empty((n4, nn), dt),  # R in panels (the compiled kernel, large Nn)
            parts[5],
            parts[6],
            parts[7],
            self.u,
            self.c0,
        )
        self._bwd_tail += (self.act, self.cs, self.tcs, self.ht, self.err)
        self._bound: np.ndarray | None = None
        self._calls: tuple[Any, ...] = ()  # train_chunk's bound kernels, and for what
        self._fwd_args: tuple[np.ndarray, ...] = ()
        self._bwd_args: tuple[np.ndarray, ...] = ()

    def kernels(self) -> Any:
        """The module whose ``forward``, ``backward``, ``update`` run now."""
        return _engine.kernels(self.engine, self.dtype)

    def _bind(self, theta: np.ndarray) -> None:
        """Point the kernels' weight views at ``theta`` (a float32 copy in that mode).

        ``theta``: float64, C-contiguous, shape ``(P,)``. The views are made
        once per array; a float32 copy is refreshed at every call.
        """
        if theta is not self._bound:
            src = theta if self._theta_k is None else self._theta_k
            w = views(src, self.nn, self.ni, self.no)
            self._fwd_args = (*w, *self._fwd_tail)
            self._bwd_args = (w[1], w[3], *self._bwd_tail)
            self._bound = theta
        if self._theta_k is not None:
            np.copyto(self._theta_k, theta)  # rounded to nearest

    def loss(self, theta: np.ndarray) -> float:
        """Mean squared error at ``theta`` (fills the forward buffers)."""
        self._bind(theta)
        return self.kernels().forward(*self._fwd_args)

    def gradient(self, theta: np.ndarray) -> float:
        """Loss at ``theta``; its gradient is left in :attr:`grad`."""
        value = self.loss(theta)
        self.kernels().backward(*self._bwd_args)
        if self._grad_k is not self.grad:
            np.copyto(self.grad, self._grad_k)
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
        """Run ``len(lrs)`` epochs: loss, gradient, clip, Adam; return epochs done.

        ``theta``, ``m``, ``v`` (float64, shape ``(P,)``) are updated in place;
        the forward and backward passes run in the workspace's dtype (on a
        rounded float32 copy of ``theta`` in float32 mode, their gradient then
        widened to float64 for the clipping and the float64 Adam update).

        ``losses[e]`` receives the loss at the weights *before* epoch ``e``'s
        update (what MATLAB's log shows). The run stops early, before updating,
        at the first non-finite loss or gradient; the return value is then the
        index of that epoch (its loss is stored) and theta, m, v are left as
        they were.
        """
        theta_k = self._theta_k  # None in float64 mode
        f32 = theta_k is not None
        grad, grad_k = self.grad, self._grad_k
        self._bind(theta)
        k = self.kernels()
        arrays = (theta, m, v, seg, active, decay)
        scalars = (l2, clip_mode, threshold, beta1, beta2, eps)
        calls = self._calls
        if not (
            calls
            and calls[0] is k
            and calls[1] is self._bound
            and all(a is b for a, b in zip(calls[2], arrays, strict=True))
            and calls[3] == scalars
        ):  # bound once per run (the file's kernels convert their arguments here)
            bound = (
                _bound(k.forward, self._fwd_args),
                _bound(k.backward, self._bwd_args),
                _bound(
                    k.update,
                    (theta, grad, m, v, 0, 0.0, beta1, beta2, eps, seg, active)
                    + (decay, l2, clip_mode, threshold),
                    free=(4, 5),  # the step count and the learning rate
                ),
            )
            calls = self._calls = (k, self._bound, arrays, scalars, bound)
        forward, backward, update = calls[4]
        for e in range(lrs.shape[0]):
            if theta_k is not None and e:
                np.copyto(theta_k, theta)
            value = forward()
            losses[e] = value
            if not math.isfinite(value):
                return e
            backward()
            if f32:
                np.copyto(grad, grad_k)
            ok = update(step0 + e + 1, lrs[e])
            if not ok:
                return e
        return int(lrs.shape[0])
