"""Vectorized reference LSTM cell: the independent computation the diagram is
checked against.

One matrix product per step for all four gates, vectorized over a batch of
sequences. Every internal signal is returned, so a block diagram can be compared
wire by wire.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._parameters import GATES, LSTMParams
from ._validate import as_array, check_dtype
from ._validate import check_input as check_input

__all__ = ["LSTMTrace", "check_input", "reference_cell", "sigmoid"]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, overflow-free for large ``|x|``.

    Parameters
    ----------
    x : ndarray, any shape
        Pre-activations.
    """
    # exp of a non-positive number never overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


@dataclass(frozen=True)
class LSTMTrace:
    """Every signal of an LSTM + FC run, step by step.

    Arrays have shape ``(T, n)`` for one sequence or ``(B, T, n)`` for a batch,
    with ``n`` the signal's width: ``Ni`` for ``u``, ``4Nn`` for ``Wu``, ``Rh``,
    ``z`` (gate blocks in order i, f, g, o), ``No`` for ``y``, ``Nn`` otherwise.

    Attributes
    ----------
    u : input ``u(t)``.
    Wu : ``W u(t)``, all four gates.
    Rh : ``R h(t-1)``, all four gates.
    z : gate pre-activations ``W u(t) + R h(t-1) + b``.
    i, f, g, o : gate activations.
    h_prev, c_prev : delayed states ``h(t-1)``, ``c(t-1)``.
    fc : ``f * c(t-1)``.
    ig : ``i * g``.
    c : cell state ``c(t)``.
    tanh_c : ``tanh(c(t))``.
    h : hidden state ``h(t)``.
    y : output ``F h(t) + bF``.
    """

    u: np.ndarray
    Wu: np.ndarray
    Rh: np.ndarray
    z: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    fc: np.ndarray
    ig: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    h: np.ndarray
    y: np.ndarray

    @property
    def steps(self) -> int:
        """Number of steps T."""
        return self.u.shape[-2]

    def gate_block(self, name: str, gate: str) -> np.ndarray:
        """Return the ``Nn`` columns of ``Wu``, ``Rh`` or ``z`` for one gate.

        Parameters
        ----------
        name
            ``"Wu"``, ``"Rh"`` or ``"z"`` (each of shape ``(T, 4Nn)``).
        gate
            One of ``"i", "f", "g", "o"``.
        """
        arr = getattr(self, name)
        nn = self.h.shape[-1]
        k = GATES.index(gate)
        return arr[..., k * nn : (k + 1) * nn]


def reference_cell(
    params: LSTMParams,
    u: ArrayLike,
    *,
    dtype: DTypeLike = np.float64,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
) -> LSTMTrace:
    """Run the LSTM + FC layer on ``u`` and return every internal signal.

    Parameters
    ----------
    params
        Weights and initial states.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    dtype
        ``float64`` (default) or ``float32``: the whole computation runs in it.
    h0, c0 : array_like, shape ``(Nn,)`` or ``(B, Nn)``, optional
        Initial states overriding ``params.h0`` / ``params.c0``.

    Returns
    -------
    LSTMTrace
        All signals, shape ``(T, n)`` or ``(B, T, n)``.
    """
    dt = check_dtype(dtype)
    p = params.astype(dt) if params.dtype != dt else params
    x = check_input(u, p.ni, dtype=dt)
    batched = x.ndim == 3
    xb = x if batched else x[None]
    nb, nt, _ = xb.shape
    nn = p.nn

    def _state(name: str, given: ArrayLike | None, default: np.ndarray) -> np.ndarray:
        if given is None:
            return np.broadcast_to(default, (nb, nn)).copy()
        s = as_array(name, given, None, dtype=dt)
        if s.shape not in ((nn,), (nb, nn)):
            raise ValueError(
                f"{name}: expected shape ({nn},) or ({nb}, {nn}), got shape {s.shape}"
            )
        return np.broadcast_to(s, (nb, nn)).copy()

    h = _state("h0", h0, p.h0)
    c = _state("c0", c0, p.c0)

    Wu = xb @ p.W.T  # (B, T, 4Nn): one product for the whole sequence
    RT = p.R.T
    shape4 = (nb, nt, 4 * nn)
    Rh = np.empty(shape4, dt)
    z = np.empty(shape4, dt)
    act = np.empty(shape4, dt)
    h_prev = np.empty((nb, nt, nn), dt)
    c_prev = np.empty((nb, nt, nn), dt)
    cs = np.empty((nb, nt, nn), dt)
    tc = np.empty((nb, nt, nn), dt)
    hs = np.empty((nb, nt, nn), dt)
    sig = np.r_[0 : 2 * nn, 3 * nn : 4 * nn]  # i, f, o columns
    gcol = slice(2 * nn, 3 * nn)
    for t in range(nt):
        h_prev[:, t] = h
        c_prev[:, t] = c
        Rh[:, t] = h @ RT  # one product for all four gates
        z[:, t] = Wu[:, t] + Rh[:, t] + p.b
        act[:, t, sig] = sigmoid(z[:, t, sig])
        act[:, t, gcol] = np.tanh(z[:, t, gcol])
        i, f, g, o = (act[:, t, k * nn : (k + 1) * nn] for k in range(4))
        c = f * c + i * g
        cs[:, t] = c
        tc[:, t] = np.tanh(c)
        h = o * tc[:, t]
        hs[:, t] = h
    gates = [act[..., k * nn : (k + 1) * nn] for k in range(4)]
    i, f, g, o = gates
    y = hs @ p.F.T + p.bF

    def out(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a if batched else a[0])

    return LSTMTrace(
        u=out(xb),
        Wu=out(Wu),
        Rh=out(Rh),
        z=out(z),
        i=out(i),
        f=out(f),
        g=out(g),
        o=out(o),
        h_prev=out(h_prev),
        c_prev=out(c_prev),
        fc=out(f * c_prev),
        ig=out(i * g),
        c=out(cs),
        tanh_c=out(tc),
        h=out(hs),
        y=out(y),
    )
