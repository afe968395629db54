"""Vectorized reference cells for the GRU, the peephole LSTM and the Elman RNN:
the independent computations their block diagrams are checked against.

As the LSTM's :func:`~blocksim_lstm.reference_cell`: one matrix product per step
for all gates, vectorized over a batch of sequences, every internal signal
returned so that a diagram can be compared wire by wire. Shared with the
diagrams: nothing but the parameter containers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._parameters import LSTMParams
from .._reference import LSTMTrace, reference_cell, sigmoid
from .._validate import as_array, check_dtype, check_input
from ._params import CellParams, GRUParams, PeepholeParams, RNNParams, cell_name

__all__ = [
    "GRUTrace",
    "PeepholeTrace",
    "RNNTrace",
    "cell_reference",
    "gru_reference",
    "peephole_reference",
    "rnn_reference",
]


@dataclass(frozen=True)
class _Trace:
    """Common helpers of the traces (arrays ``(T, n)`` or ``(B, T, n)``)."""

    @property
    def steps(self) -> int:
        """Number of steps T."""
        return int(getattr(self, "u").shape[-2])  # noqa: B009

    def gate_block(self, name: str, gate: str, gates: tuple[str, ...]) -> np.ndarray:
        """The ``Nn`` columns of a gate-stacked signal for one gate.

        Parameters
        ----------
        name
            A signal of width ``G Nn`` (``"Wu"``, ``"Rh"``, ``"z"``, ...).
        gate
            One of ``gates``.
        gates
            The cell's gate order.
        """
        arr = getattr(self, name)
        nn = getattr(self, "h").shape[-1]  # noqa: B009
        k = gates.index(gate)
        return arr[..., k * nn : (k + 1) * nn]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class GRUTrace(_Trace):
    """Every signal of a GRU + FC run (gate order r, z, n).

    Attributes
    ----------
    u : input ``u(t)``, width Ni.
    h_prev : delayed state ``h(t-1)``.
    Wu : ``W u(t)``, width 3Nn.
    Rh : ``R h(t-1)``, width 3Nn (with ``linear_before_reset=False`` the n
        block is ``Rn (r ⊙ h(t-1))`` instead).
    zr, zz : pre-activations of r and z: ``W u + bW + R h + bR`` (their rows).
    r, z : reset and update gates.
    rn : the reset product: ``r ⊙ (Rn h(t-1) + bRn)`` (linear before reset) or
        ``r ⊙ h(t-1)``.
    zn : pre-activation of n.
    n : candidate ``tanh(zn)``.
    one_minus_z : ``1 - z``.
    zn_part : ``(1 - z) ⊙ n``.
    zh : ``z ⊙ h(t-1)``.
    h : hidden state ``h(t)``.
    y : output ``F h(t) + bF``.
    rh_n : ``Rn h(t-1) + bRn`` (linear before reset: the term the reset gate
        multiplies) or ``Rn (r ⊙ h(t-1)) + bRn``.
    """

    u: np.ndarray
    h_prev: np.ndarray
    Wu: np.ndarray
    Rh: np.ndarray
    zr: np.ndarray
    zz: np.ndarray
    r: np.ndarray
    z: np.ndarray
    rn: np.ndarray
    zn: np.ndarray
    n: np.ndarray
    one_minus_z: np.ndarray
    zn_part: np.ndarray
    zh: np.ndarray
    h: np.ndarray
    y: np.ndarray
    rh_n: np.ndarray


@dataclass(frozen=True)
class PeepholeTrace(_Trace):
    """Every signal of a peephole LSTM + FC run: the LSTM's and the peepholes'.

    Attributes
    ----------
    u, Wu, Rh, z, i, f, g, o, h_prev, c_prev, fc, ig, c, tanh_c, h, y
        As :class:`~blocksim_lstm._reference.LSTMTrace`; ``z`` includes the
        peephole terms.
    pc : the peephole terms ``[Pi ⊙ c(t-1), Pf ⊙ c(t-1), Po ⊙ c(t)]``, width 3Nn.
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
    pc: np.ndarray


@dataclass(frozen=True)
class RNNTrace(_Trace):
    """Every signal of an Elman RNN + FC run.

    Attributes
    ----------
    u : input ``u(t)``.
    h_prev : delayed state ``h(t-1)``.
    Wu : ``W u(t)``.
    Rh : ``R h(t-1)``.
    z : pre-activation ``W u + R h(t-1) + b``.
    h : hidden state ``act(z)``.
    y : output ``F h(t) + bF``.
    """

    u: np.ndarray
    h_prev: np.ndarray
    Wu: np.ndarray
    Rh: np.ndarray
    z: np.ndarray
    h: np.ndarray
    y: np.ndarray


def _prepare(
    params: CellParams,
    u: ArrayLike,
    dtype: DTypeLike,
    states: dict[str, ArrayLike | None],
) -> tuple[Any, np.ndarray, dict[str, np.ndarray], bool]:
    """Cast, check the input (batched view) and the initial states."""
    dt = check_dtype(dtype)
    p = params.astype(dt) if params.dtype != dt else params
    x = check_input(u, p.ni, dtype=dt)
    batched = x.ndim == 3
    xb = x if batched else x[None]
    nb, nn = xb.shape[0], p.nn
    out: dict[str, np.ndarray] = {}
    for name, given in states.items():
        if given is None:
            out[name] = np.broadcast_to(getattr(p, name), (nb, nn)).copy()
            continue
        s = as_array(name, given, None, dtype=dt)
        if s.shape not in ((nn,), (nb, nn)):
            raise ValueError(
                f"{name}: expected shape ({nn},) or ({nb}, {nn}), got shape {s.shape}"
            )
        out[name] = np.broadcast_to(s, (nb, nn)).copy()
    return p, xb, out, batched


def _unbatch(batched: bool) -> Callable[[np.ndarray], np.ndarray]:
    def out(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a if batched else a[0])

    return out


def gru_reference(
    params: GRUParams,
    u: ArrayLike,
    *,
    dtype: DTypeLike = np.float64,
    h0: ArrayLike | None = None,
) -> GRUTrace:
    """Run a GRU + FC layer on ``u`` and return every internal signal.

    Parameters
    ----------
    params
        Weights and initial state.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    dtype
        ``float64`` (default) or ``float32``: the whole computation runs in it.
    h0 : array_like, shape ``(Nn,)`` or ``(B, Nn)``, optional
        Initial state overriding ``params.h0``.

    Returns
    -------
    GRUTrace
        All signals, shape ``(T, n)`` or ``(B, T, n)``.
    """
    if not isinstance(params, GRUParams):
        raise TypeError(f"params: expected GRUParams, got {type(params).__name__}")
    p, xb, st, batched = _prepare(params, u, dtype, {"h0": h0})
    h = st["h0"]
    nb, nt, _ = xb.shape
    nn, dt = p.nn, p.dtype
    Wu = xb @ p.W.T
    rz = slice(0, 2 * nn)
    ncol = slice(2 * nn, 3 * nn)
    RT = p.R.T
    Rn_T = p.gate("R", "n").T
    new = lambda width: np.empty((nb, nt, width), dt)  # noqa: E731
    Rh, zrz, rz_act = new(3 * nn), new(2 * nn), new(2 * nn)
    h_prev, rn, zn, n_, hs = new(nn), new(nn), new(nn), new(nn), new(nn)
    bias_rz = p.bW[rz] + p.bR[rz]
    for t in range(nt):
        h_prev[:, t] = h
        if p.linear_before_reset:
            Rh[:, t] = h @ RT
            zrz[:, t] = Wu[:, t, rz] + Rh[:, t, rz] + bias_rz
            rz_act[:, t] = sigmoid(zrz[:, t])
            r = rz_act[:, t, :nn]
            rn[:, t] = r * (Rh[:, t, ncol] + p.bR[ncol])
            zn[:, t] = Wu[:, t, ncol] + p.bW[ncol] + rn[:, t]
        else:
            Rh[:, t, rz] = h @ RT[:, rz]
            zrz[:, t] = Wu[:, t, rz] + Rh[:, t, rz] + bias_rz
            rz_act[:, t] = sigmoid(zrz[:, t])
            r = rz_act[:, t, :nn]
            rn[:, t] = r * h
            Rh[:, t, ncol] = rn[:, t] @ Rn_T
            zn[:, t] = Wu[:, t, ncol] + p.bW[ncol] + Rh[:, t, ncol] + p.bR[ncol]
        n_[:, t] = np.tanh(zn[:, t])
        z = rz_act[:, t, nn:]
        h = (1.0 - z) * n_[:, t] + z * h
        hs[:, t] = h
    r_all, z_all = rz_act[..., :nn], rz_act[..., nn:]
    omz = 1.0 - z_all
    y = hs @ p.F.T + p.bF
    o = _unbatch(batched)
    return GRUTrace(
        u=o(xb),
        h_prev=o(h_prev),
        Wu=o(Wu),
        Rh=o(Rh),
        zr=o(zrz[..., :nn]),
        zz=o(zrz[..., nn:]),
        r=o(r_all),
        z=o(z_all),
        rn=o(rn),
        zn=o(zn),
        n=o(n_),
        one_minus_z=o(omz),
        zn_part=o(omz * n_),
        zh=o(z_all * h_prev),
        h=o(hs),
        y=o(y),
        rh_n=o(Rh[..., ncol] + p.bR[ncol]),
    )


def peephole_reference(
    params: PeepholeParams,
    u: ArrayLike,
    *,
    dtype: DTypeLike = np.float64,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
) -> PeepholeTrace:
    """Run an LSTM-with-peepholes + FC layer on ``u``; every internal signal.

    Parameters
    ----------
    params
        Weights (with ``P``) and initial states.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    dtype
        ``float64`` (default) or ``float32``.
    h0, c0 : array_like, shape ``(Nn,)`` or ``(B, Nn)``, optional
        Initial states overriding the parameters'.

    Returns
    -------
    PeepholeTrace
        All signals, shape ``(T, n)`` or ``(B, T, n)``.
    """
    if not isinstance(params, PeepholeParams):
        raise TypeError(f"params: expected PeepholeParams, got {type(params).__name__}")
    p, xb, st, batched = _prepare(params, u, dtype, {"h0": h0, "c0": c0})
    h, c = st["h0"], st["c0"]
    nb, nt, _ = xb.shape
    nn, dt = p.nn, p.dtype
    Pi, Pf, Po = (p.peephole(k) for k in ("i", "f", "o"))
    Wu = xb @ p.W.T
    RT = p.R.T
    new = lambda width: np.empty((nb, nt, width), dt)  # noqa: E731
    Rh, z, act, pc = new(4 * nn), new(4 * nn), new(4 * nn), new(3 * nn)
    h_prev, c_prev, cs, tc, hs = new(nn), new(nn), new(nn), new(nn), new(nn)
    cols = {k: slice(j * nn, (j + 1) * nn) for j, k in enumerate("ifgo")}
    for t in range(nt):
        h_prev[:, t] = h
        c_prev[:, t] = c
        Rh[:, t] = h @ RT
        lin = Wu[:, t] + Rh[:, t]
        pc[:, t, :nn] = Pi * c
        pc[:, t, nn : 2 * nn] = Pf * c
        for k, j in (("i", 0), ("f", 1)):
            z[:, t, cols[k]] = (
                lin[:, cols[k]] + pc[:, t, j * nn : (j + 1) * nn] + p.b[cols[k]]
            )
            act[:, t, cols[k]] = sigmoid(z[:, t, cols[k]])
        z[:, t, cols["g"]] = lin[:, cols["g"]] + p.b[cols["g"]]
        act[:, t, cols["g"]] = np.tanh(z[:, t, cols["g"]])
        i, f, g = (act[:, t, cols[k]] for k in "ifg")
        c = f * c + i * g
        cs[:, t] = c
        pc[:, t, 2 * nn :] = Po * c
        z[:, t, cols["o"]] = lin[:, cols["o"]] + pc[:, t, 2 * nn :] + p.b[cols["o"]]
        act[:, t, cols["o"]] = sigmoid(z[:, t, cols["o"]])
        tc[:, t] = np.tanh(c)
        h = act[:, t, cols["o"]] * tc[:, t]
        hs[:, t] = h
    i, f, g, o_ = (act[..., cols[k]] for k in "ifgo")
    y = hs @ p.F.T + p.bF
    o = _unbatch(batched)
    return PeepholeTrace(
        u=o(xb),
        Wu=o(Wu),
        Rh=o(Rh),
        z=o(z),
        i=o(i),
        f=o(f),
        g=o(g),
        o=o(o_),
        h_prev=o(h_prev),
        c_prev=o(c_prev),
        fc=o(f * c_prev),
        ig=o(i * g),
        c=o(cs),
        tanh_c=o(tc),
        h=o(hs),
        y=o(y),
        pc=o(pc),
    )


def rnn_reference(
    params: RNNParams,
    u: ArrayLike,
    *,
    dtype: DTypeLike = np.float64,
    h0: ArrayLike | None = None,
) -> RNNTrace:
    """Run an Elman RNN + FC layer on ``u`` and return every internal signal.

    Parameters
    ----------
    params
        Weights, initial state and nonlinearity.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    dtype
        ``float64`` (default) or ``float32``.
    h0 : array_like, shape ``(Nn,)`` or ``(B, Nn)``, optional
        Initial state overriding ``params.h0``.

    Returns
    -------
    RNNTrace
        All signals, shape ``(T, n)`` or ``(B, T, n)``.
    """
    if not isinstance(params, RNNParams):
        raise TypeError(f"params: expected RNNParams, got {type(params).__name__}")
    p, xb, st, batched = _prepare(params, u, dtype, {"h0": h0})
    h = st["h0"]
    nb, nt, _ = xb.shape
    nn, dt = p.nn, p.dtype
    Wu = xb @ p.W.T
    RT = p.R.T
    new = lambda: np.empty((nb, nt, nn), dt)  # noqa: E731
    Rh, z, h_prev, hs = new(), new(), new(), new()
    relu = p.nonlinearity == "relu"
    for t in range(nt):
        h_prev[:, t] = h
        Rh[:, t] = h @ RT
        z[:, t] = Wu[:, t] + Rh[:, t] + p.b
        h = np.maximum(z[:, t], 0.0) if relu else np.tanh(z[:, t])
        hs[:, t] = h
    y = hs @ p.F.T + p.bF
    o = _unbatch(batched)
    return RNNTrace(
        u=o(xb), h_prev=o(h_prev), Wu=o(Wu), Rh=o(Rh), z=o(z), h=o(hs), y=o(y)
    )


def cell_reference(
    params: LSTMParams | CellParams,
    u: ArrayLike,
    *,
    dtype: DTypeLike = np.float64,
    **states: ArrayLike | None,
) -> LSTMTrace | GRUTrace | PeepholeTrace | RNNTrace:
    """Run any cell's reference on ``u`` (dispatch on the parameters' class).

    Parameters
    ----------
    params
        :class:`~blocksim_lstm.LSTMParams`, :class:`GRUParams`,
        :class:`PeepholeParams` or :class:`RNNParams`.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    dtype
        ``float64`` (default) or ``float32``.
    **states
        Initial states overriding the parameters' (``h0=``, ``c0=``).

    Returns
    -------
    The cell's trace: every internal signal, shape ``(T, n)`` or ``(B, T, n)``.
    """
    kind = cell_name(params)
    run: Any = {
        "lstm": reference_cell,
        "gru": gru_reference,
        "peephole": peephole_reference,
        "rnn": rnn_reference,
    }[kind]
    return run(params, u, dtype=dtype, **states)  # type: ignore[no-any-return]
