"""The sufficient input-to-state stability (ISS) condition of Bonassi et al.

F. Bonassi, E. Terzi, M. Farina, R. Scattolini, "LSTM Neural Networks: Input to
State Stability and Probabilistic Safety Verification", Proc. 2nd Conference on
Learning for Dynamics and Control (L4DC), PMLR 120:85-94, 2020, arXiv:1912.04377.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._parameters import LSTMParams
from .._reference import sigmoid
from ._statespace import check_params

__all__ = ["ISSCondition", "iss_condition"]


@dataclass(frozen=True)
class ISSCondition:
    """The ISS test on a set of weights and its numbers.

    Attributes
    ----------
    holds : bool
        ``rho < 1``: the network is ISS (sufficient, not necessary).
    margin : float
        ``1 - rho`` (positive when the condition holds).
    rho : float
        Spectral radius of the comparison matrix ``A_s``.
    sigma_f, sigma_i, sigma_o : float
        Upper bounds of the forget, input and output gates.
    norm_rg : float
        ``|R_g|_inf``, the recurrent weights of the cell candidate.
    u_max : float
        Input bound the gate bounds assume (``|u_j| <= u_max``).
    signed_rho, signed_margin : float
        The same test with the sharper gate bounds that keep the sign of the
        bias (see :func:`iss_condition`); ``signed_holds = signed_rho < 1``.
    """

    holds: bool
    margin: float
    rho: float
    sigma_f: float
    sigma_i: float
    sigma_o: float
    norm_rg: float
    u_max: float
    signed_rho: float
    signed_margin: float

    @property
    def signed_holds(self) -> bool:
        """The condition with the signed-bias gate bounds."""
        return bool(self.signed_rho < 1.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``holds, margin, rho, sigma_f, sigma_i, sigma_o, norm_rg,
        u_max, signed_holds, signed_margin``."""
        return {
            "holds": bool(self.holds),
            "margin": float(self.margin),
            "rho": float(self.rho),
            "sigma_f": float(self.sigma_f),
            "sigma_i": float(self.sigma_i),
            "sigma_o": float(self.sigma_o),
            "norm_rg": float(self.norm_rg),
            "u_max": float(self.u_max),
            "signed_holds": bool(self.signed_holds),
            "signed_margin": float(self.signed_margin),
        }


def _rho(sf: float, si: float, so: float, nr: float) -> float:
    A = np.array([[sf, si * nr], [so * sf, so * si * nr]])
    return float(np.max(np.abs(np.linalg.eigvals(A))))


def iss_condition(params: LSTMParams, *, u_max: float = 1.0) -> ISSCondition:
    r"""Bonassi et al.'s sufficient ISS condition for the LSTM layer.

    Bonassi, Terzi, Farina, Scattolini (L4DC 2020, arXiv:1912.04377) write the
    LSTM in state space with state ``(c, h)`` and inputs bounded by
    ``|u|_inf <= 1``; since ``|h|_inf < 1`` always, every gate is bounded by

    .. math:: \bar\sigma_g = \sigma(\|[W_g u_{max},\ R_g,\ b_g]\|_\infty),
              \quad g \in \{f, i, o\},

    (``\|\cdot\|_\infty``: the largest absolute row sum). Then
    ``|c+| <= sf |c| + si |R_g|_inf |h| + (input and bias terms)`` and
    ``|h+| <= so |c+|``, a linear comparison system on ``(|c|, |h|)`` with matrix

    .. math:: A_s = \begin{bmatrix} \bar\sigma_f & \bar\sigma_i \|R_g\|_\infty \\
              \bar\sigma_o \bar\sigma_f & \bar\sigma_o \bar\sigma_i \|R_g\|_\infty
              \end{bmatrix},

    and the network is ISS if ``rho(A_s) < 1``. ``A_s`` has rank one, so
    ``rho(A_s) = sf + so si |R_g|_inf``: the condition reads
    ``|R_g|_inf < (1 - sf) / (so si)``. The margin reported is ``1 - rho``.

    The bound uses ``|b_g|``: a strongly negative forget bias (the seed's
    construction, ``bf = -100``) gives ``sf = 1`` and the test fails although
    the forget gate is nearly closed. The proof only needs *some* upper bound of
    each gate, so the signed bound
    ``sigma(max_rows(|W_g| u_max 1 + |R_g| 1 + b_g))`` is reported beside it
    (``signed_holds``, ``signed_margin``); it is never larger.

    Sources: the paper's ISS theorem (arXiv:1912.04377). Only the paper's
    abstract could be retrieved while writing this, so the formula above was
    re-derived from the LSTM equations along the paper's route (gate bounds,
    comparison system on ``|c|, |h|``); it is consistent with the later
    infinity-norm variant of De Carli et al. (arXiv:2503.11553), whose condition
    ``sf + si |R_g|_inf < 1`` drops the factor ``so``.

    Parameters
    ----------
    params
        LSTM weights (cast to float64). Another cell's parameters are refused
        (TypeError naming the cell): the condition is derived for the LSTM.
    u_max
        Bound of the inputs, ``|u_j| <= u_max`` (the paper normalizes to 1).

    Returns
    -------
    ISSCondition
    """
    p = check_params(params, "Bonassi et al.'s ISS condition")
    if not (np.isfinite(u_max) and u_max >= 0):
        raise ValueError(f"u_max: expected a finite number >= 0, got {u_max!r}")

    def bounds(gate: str) -> tuple[float, float]:
        W, R, b = (np.asarray(p.gate(a, gate)) for a in ("W", "R", "b"))
        rows = np.abs(W).sum(axis=1) * u_max + np.abs(R).sum(axis=1)
        paper = float(sigmoid(np.array(np.max(rows + np.abs(b)))))
        signed = float(sigmoid(np.array(np.max(rows + b))))
        return paper, signed

    (sf, sf2), (si, si2), (so, so2) = (bounds(g) for g in ("f", "i", "o"))
    nr = float(np.max(np.abs(np.asarray(p.gate("R", "g"))).sum(axis=1)))
    rho = _rho(sf, si, so, nr)
    rho2 = _rho(sf2, si2, so2, nr)
    return ISSCondition(
        holds=bool(rho < 1.0),
        margin=1.0 - rho,
        rho=rho,
        sigma_f=sf,
        sigma_i=si,
        sigma_o=so,
        norm_rg=nr,
        u_max=float(u_max),
        signed_rho=rho2,
        signed_margin=1.0 - rho2,
    )
