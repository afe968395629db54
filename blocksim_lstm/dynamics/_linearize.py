"""Linearization of any cell at an operating point, as a python-control system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import control as ct
import numpy as np
from numpy.typing import ArrayLike

from .._experiment import PLANT_TS
from ..statespace import lti
from ._stability import sorted_eigenvalues
from ._system import cell_system

__all__ = ["LinearSummary", "linear_summary", "linearize"]


def linearize(
    params: Any,
    x: ArrayLike,
    u: ArrayLike | None = None,
    *,
    ts: float = PLANT_TS,
) -> ct.StateSpace:
    """The linearization ``dx+ = A dx + B du``, ``dy = C dx + D du`` at ``(x, u)``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    x : array_like, shape ``(n,)``
        Operating state (``(h, c)`` or ``h``), typically a fixed point.
    u : array_like, shape ``(Ni,)``, optional
        Operating input; zero if omitted.
    ts
        Sample time of the returned system (0.01 s: the seed plant's).

    Returns
    -------
    control.StateSpace
        ``A (n, n)``, ``B (n, Ni)``, ``C (No, n)``, ``D (No, Ni)``,
        ``dt = ts``; states ``h[..]`` (then ``c[..]``), nothing removed; named
        ``<cell>_linearized``. Save it with
        :func:`blocksim_lstm.statespace.lti.save_system` for ``approximate --system``.
    """
    p = cell_system(params)
    xx = p.check_state(x)
    if xx.shape != (p.n,):
        raise ValueError(
            f"x: expected shape ({p.size_text},) = ({p.n},), got shape {xx.shape}"
        )
    uu = p.check_u0(u, "u")
    J = p.jacobians(xx, uu)
    sys = lti.state_space(J.A, J.B, J.C, J.D, ts)
    return ct.ss(
        sys,
        states=p.state_labels(),
        inputs=[f"u[{j}]" for j in range(p.ni)],
        outputs=[f"y[{j}]" for j in range(p.no)],
        name=f"{p.cell}_linearized",
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
    poles : ndarray, complex, shape ``(n,)``
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
