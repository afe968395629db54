"""Reading a linear system back out of LSTM weights (SPEC §4), and how linear they are.

With the forget gate closed and the input and output gates open, an LSTM layer is
``h(t) = tanh(tanh(Rg h(t-1) + Wg u(t) + bg))``, ``y = F h + bF``; near ``h = 0``
it is the linear system with state ``xi(t) = h(t-1) / scl``:

    Ann = Rg,  Bnn = Wg / scl,  Cnn = scl F Ann,  Dnn = scl F Bnn.

The same formula serves every construction in :mod:`.construction`
(the extra states of ``"spec"`` and ``"delayed"`` are unobservable and drop out of
a minimal realization), and any trained weights. The transfer function does not
depend on ``scl``: it only scales the state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import control as ct
import numpy as np
from numpy.typing import ArrayLike

from .._parameters import LSTMParams
from .._reference import reference_cell, sigmoid
from .construction import check_scl

__all__ = ["LinearRegimeReport", "extract_state_space", "linear_regime_report"]


def extract_state_space(
    params: LSTMParams, *, scl: float = 1.0, ts: float = 1.0
) -> ct.StateSpace:
    """The linear system ``(Ann, Bnn, Cnn, Dnn)`` held by LSTM weights.

    Parameters
    ----------
    params
        LSTM + FC weights (``Nn`` units, ``Ni`` inputs, ``No`` outputs).
    scl
        Scale of the state coordinates; does not change the transfer function.
    ts
        Sample time of the result.

    Returns
    -------
    control.StateSpace
        ``Ann (Nn, Nn) = Rg``, ``Bnn (Nn, Ni) = Wg / scl``,
        ``Cnn (No, Nn) = scl F Ann``, ``Dnn (No, Ni) = scl F Bnn``.
        Only meaningful when :func:`linear_regime_report` says the weights are
        in the linear regime.
    """
    if not isinstance(params, LSTMParams):
        raise TypeError(f"params: expected LSTMParams, got {type(params)!r}")
    scl = check_scl(scl)
    p = params.astype(np.float64)
    Ann = np.array(p.gate("R", "g"))
    Bnn = np.array(p.gate("W", "g")) / scl
    Cnn = scl * p.F @ Ann
    Dnn = scl * p.F @ Bnn
    return ct.ss(Ann, Bnn, Cnn, Dnn, ts)


@dataclass(frozen=True)
class LinearRegimeReport:
    """How far LSTM weights are from the linear regime the extraction assumes.

    Attributes
    ----------
    open_gate_deficit : float
        ``max(1 - i, 1 - o)`` at the biases (and over the run, if one was given).
    forget_gate_max : float
        Largest forget-gate value (0 wanted: cell state disabled).
    off_block_weight : float
        Largest ``|entry|`` of ``Wi, Wf, Wo, Ri, Rf, Ro`` (outside the cell-gate
        blocks), relative to the largest ``|entry|`` of ``Wg, Rg``.
    cell_bias : float
        Largest ``|bg|`` relative to the largest ``|entry|`` of ``Wg, Rg``.
    fc_bias : float
        Largest ``|bF|`` (the extraction ignores it).
    tanh_argument_max : float or None
        Largest ``|Wg u + Rg h + bg|`` over the run (``tanh`` is linear to
        ``x^2/3`` relative): ``None`` without a run.
    tanh_relative_deviation : float or None
        ``1 - tanh(a)/a`` at that largest argument ``a``.
    """

    open_gate_deficit: float
    forget_gate_max: float
    off_block_weight: float
    cell_bias: float
    fc_bias: float
    tanh_argument_max: float | None
    tanh_relative_deviation: float | None

    @property
    def linear(self) -> bool:
        """True if every measure is below ``1e-6`` (and the ``tanh`` argument < 0.1)."""
        small = max(
            self.open_gate_deficit,
            self.forget_gate_max,
            self.off_block_weight,
            self.cell_bias,
        )
        arg_ok = self.tanh_argument_max is None or self.tanh_argument_max < 0.1
        return small < 1e-6 and arg_ok

    def to_dict(self) -> dict[str, float | bool | None]:
        """Plain dict (JSON-ready), with ``linear``."""
        return {**asdict(self), "linear": self.linear}

    def table(self) -> str:
        """Human-readable lines."""
        rows = [f"  {k:24s} {v}" for k, v in self.to_dict().items()]
        return "linear regime:\n" + "\n".join(rows)


def linear_regime_report(
    params: LSTMParams, u: ArrayLike | None = None
) -> LinearRegimeReport:
    """Measure gate saturations and the weights outside the cell-gate blocks.

    Parameters
    ----------
    params
        LSTM + FC weights.
    u : array_like, shape ``(T, Ni)``, optional
        An input run; the gate values and ``tanh`` arguments are then measured
        along it with the reference cell, not just at the biases.

    Returns
    -------
    LinearRegimeReport
    """
    if not isinstance(params, LSTMParams):
        raise TypeError(f"params: expected LSTMParams, got {type(params)!r}")
    p = params.astype(np.float64)
    i0 = sigmoid(p.gate("b", "i"))
    f0 = sigmoid(p.gate("b", "f"))
    o0 = sigmoid(p.gate("b", "o"))
    deficit = float(max(np.max(1 - i0), np.max(1 - o0)))
    forget = float(np.max(f0))
    g_scale = max(np.max(np.abs(p.gate("W", "g"))), np.max(np.abs(p.gate("R", "g"))))
    g_scale = max(float(g_scale), 1e-300)
    off = max(
        float(np.max(np.abs(p.gate(a, k)))) for a in ("W", "R") for k in ("i", "f", "o")
    )
    arg_max = dev = None
    if u is not None:
        tr = reference_cell(p, u)
        deficit = max(deficit, float(np.max(1 - tr.i)), float(np.max(1 - tr.o)))
        forget = max(forget, float(np.max(tr.f)))
        a = float(np.max(np.abs(tr.gate_block("z", "g"))))
        arg_max = a
        dev = float(1 - np.tanh(a) / a) if a > 0 else 0.0
    return LinearRegimeReport(
        open_gate_deficit=deficit,
        forget_gate_max=forget,
        off_block_weight=off / g_scale,
        cell_bias=float(np.max(np.abs(p.gate("b", "g")))) / g_scale,
        fc_bias=float(np.max(np.abs(p.bF))),
        tanh_argument_max=arg_max,
        tanh_relative_deviation=dev,
    )
