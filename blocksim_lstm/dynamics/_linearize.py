"""Linearization of the LSTM at an operating point, as a python-control system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import control as ct
import numpy as np
from numpy.typing import ArrayLike

from .._experiment import PLANT_TS
from .._parameters import LSTMParams
from ..statespace import lti
from ._jacobian import jacobians
from ._stability import sorted_eigenvalues
from ._statespace import check_params, check_state, check_u0

__all__ = ["LinearSummary", "linear_summary", "linearize"]


def linearize(
    params: LSTMParams,
    x: ArrayLike,
    u: ArrayLike | None = None,
    *,
    ts: float = PLANT_TS,
) -> ct.StateSpace:
    """The linearization ``dx+ = A dx + B du``, ``dy = C dx + D du`` at ``(x, u)``.

    Parameters
    ----------
    params
        Weights (cast to float64).
    x : array_like, shape ``(2Nn,)``
        Operating state ``(h, c)``, typically a fixed point.
    u : array_like, shape ``(Ni,)``, optional
        Operating input; zero if omitted.
    ts
        Sample time of the returned system (0.01 s: the seed plant's).

    Returns
    -------
    control.StateSpace
        ``A (2Nn, 2Nn)``, ``B (2Nn, Ni)``, ``C (No, 2Nn)``, ``D (No, Ni)``,
        ``dt = ts``; states ``h[..], c[..]``, nothing removed. Save it with
        :func:`blocksim_lstm.statespace.lti.save_system` for ``approximate --system``.
    """
    p = check_params(params)
    xx = check_state(p, x)
    if xx.shape != (2 * p.nn,):
        raise ValueError(
            f"x: expected shape (2Nn,) = ({2 * p.nn},), got shape {xx.shape}"
        )
    uu = check_u0(p, u, "u")
    J = jacobians(p, xx, uu)
    sys = lti.state_space(J.A, J.B, J.C, J.D, ts)
    return ct.ss(
        sys,
        states=[f"h[{j}]" for j in range(p.nn)] + [f"c[{j}]" for j in range(p.nn)],
        inputs=[f"u[{j}]" for j in range(p.ni)],
        outputs=[f"y[{j}]" for j in range(p.no)],
        name="lstm_linearized",
    )


def _pairs(z: np.ndarray) -> list[list[float]]:
    return [[float(v.real), float(v.imag)] for v in np.asarray(z, dtype=complex)]


@dataclass(frozen=True)
class LinearSummary:
    """Poles, zeros and steady-state gain of a linearization.

    Attributes
    ----------
    dcgain : ndarray, shape ``(No, Ni)``
        ``C (I - A)^-1 B + D`` (``inf``/``nan`` entries if ``A`` has a pole at 1).
    poles : ndarray, complex, shape ``(2Nn,)``
        By decreasing modulus.
    zeros : ndarray, complex
        Finite invariant zeros (:func:`blocksim_lstm.statespace.lti.zeros`; no NaN).
    """

    dcgain: np.ndarray
    poles: np.ndarray
    zeros: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``dcgain`` (a number for one input and one output, else
        a nested ``(No, Ni)`` list), ``dcgain_matrix`` (always nested), ``poles``
        and ``zeros`` as ``[re, im]`` pairs. Non-finite gains become None."""

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        mat = [[num(v) for v in row] for row in self.dcgain]
        return {
            "dcgain": mat[0][0] if self.dcgain.shape == (1, 1) else mat,
            "dcgain_matrix": mat,
            "poles": _pairs(self.poles),
            "zeros": _pairs(self.zeros),
        }


def linear_summary(sys: ct.StateSpace) -> LinearSummary:
    """Steady-state gain, poles (by decreasing modulus) and zeros of ``sys``.

    Parameters
    ----------
    sys
        A discrete-time ``control.StateSpace`` (e.g. from :func:`linearize`).
    """
    sys = lti.check_discrete(sys)
    A = np.asarray(sys.A, dtype=float)
    n = A.shape[0]
    M = np.eye(n) - A
    try:
        gain = np.asarray(sys.C) @ np.linalg.solve(M, np.asarray(sys.B)) + sys.D
    except np.linalg.LinAlgError:
        gain = np.full((sys.noutputs, sys.ninputs), np.nan)
    z = lti.zeros(sys)
    # a transfer function that is identically zero (e.g. B = 0) gives NaN "zeros"
    return LinearSummary(
        dcgain=np.asarray(gain, dtype=float),
        poles=sorted_eigenvalues(A),
        zeros=z[np.isfinite(z)],
    )
