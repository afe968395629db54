"""The link to the construction, measured: the linearization of the calculated
weights at their fixed point for ``u0 = 0`` against the plant, and how far
training (studies a and b) moves it. Returns what a report section needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import control as ct
import numpy as np
from matplotlib.figure import Figure

from .._parameters import LSTMParams
from .._reference import sigmoid
from ..statespace import lti
from ._equilibria import fixed_points
from ._iss import ISSCondition, iss_condition
from ._linearize import linear_summary, linearize
from ._plots import plot_pole_sets
from ._statespace import check_params

__all__ = ["NetworkPoles", "PoleStudy", "pole_study"]


ROUNDING: float = 1e-12
"""Differences below this are rounding: shown as ``< 1e-12``, since their digits
change with the BLAS/LAPACK kernels (checked with ``OPENBLAS_CORETYPE``)."""


def _small(v: float, fmt: str = ".1e") -> str:
    return f"< {ROUNDING:.0e}" if abs(v) < ROUNDING else format(v, fmt)


def _pairs(z: np.ndarray) -> list[list[float]]:
    return [[float(v.real), float(v.imag)] for v in np.asarray(z, dtype=complex)]


@dataclass(frozen=True)
class NetworkPoles:
    """One network's fixed point for ``u0 = 0`` and its linearization.

    Attributes
    ----------
    label : str
    fixed_points : int
        Distinct fixed points found.
    kind : str or None
        Kind of the most stable one (None if none was found).
    spectral_radius, residual : float
        Of the most stable fixed point (NaN if none).
    poles : ndarray, complex, shape ``(2Nn,)`` (empty if none)
        Eigenvalues of its linearization, by decreasing modulus.
    dominant : ndarray, complex, shape ``(nx,)``
        The ``nx`` poles (plant order) of largest modulus.
    dcgain : float
        Steady-state gain of the linearization (first input and output).
    pole_distance : float
        Largest distance between ``dominant`` and the plant's poles, optimally
        paired.
    nearest : ndarray, shape ``(nx,)``
        For each plant pole (in :func:`blocksim_lstm.statespace.lti.poles` order), the
        distance to the nearest of all ``2Nn`` poles.
    gain_error : float
        ``|dcgain - plant gain| / |plant gain|``.
    iss : ISSCondition
    """

    label: str
    fixed_points: int
    kind: str | None
    spectral_radius: float
    residual: float
    poles: np.ndarray
    dominant: np.ndarray
    dcgain: float
    pole_distance: float
    nearest: np.ndarray
    gain_error: float
    iss: ISSCondition

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""

        def num(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        return {
            "label": self.label,
            "fixed_points": self.fixed_points,
            "kind": self.kind,
            "spectral_radius": num(self.spectral_radius),
            "residual": num(self.residual),
            "poles": _pairs(self.poles),
            "dominant": _pairs(self.dominant),
            "dcgain": num(self.dcgain),
            "pole_distance": num(self.pole_distance),
            "nearest": [num(v) for v in self.nearest],
            "gain_error": num(self.gain_error),
            "iss": self.iss.to_dict(),
        }


@dataclass(frozen=True)
class PoleStudy:
    """Result of :func:`pole_study`: numbers, table rows, a claim and a figure.

    Attributes
    ----------
    plant_poles : ndarray, complex, shape ``(nx,)``
    plant_dcgain : float
    networks : list of NetworkPoles
        The calculated weights first, then the trained ones in the order given.
    extra : dict
        Why the calculated weights have ``2Nn - nx`` more eigenvalues:
        ``count``, ``largest`` (their largest modulus), ``forget_gate``
        (``sigma(bf)``, the eigenvalue of each disabled cell state),
        ``input_units`` (units carrying ``u``: zero rows of ``Rg``, eigenvalue 0).
    """

    plant_poles: np.ndarray
    plant_dcgain: float
    networks: list[NetworkPoles]
    extra: dict[str, float]

    @property
    def calculated(self) -> NetworkPoles:
        """The calculated weights' entry."""
        return self.networks[0]

    def claim(self) -> tuple[str, str, str]:
        """One claims-table row: ``(claim, verdict, measured number)``.

        The claim: the calculated weights *are* the plant near their operating
        point; verdict ``holds`` if the linearization's gain is within 1e-3
        (relative) of the plant's and its ``nx`` dominant poles within 1e-3.
        """
        c = self.calculated
        ok = c.gain_error <= 1e-3 and c.pole_distance <= 1e-3
        big = self.extra["largest"]
        rest = "below 1e-40" if big < 1e-40 else f"up to {big:.2g}"
        return (
            "The calculated weights are the plant: linearized at their fixed point "
            f"for u = 0 they give its steady-state gain {self.plant_dcgain:.5g} and "
            "its poles.",
            "holds" if ok else "differs",
            f"gain {c.dcgain:.6g} (relative error {_small(c.gain_error)}), poles "
            f"within {_small(c.pole_distance)}; the other "
            f"{self.extra['count']:.0f} eigenvalues are {rest} in modulus (cell "
            f"states: forget gate sigma(bf) = {self.extra['forget_gate']:.1e}; "
            f"{self.extra['input_units']:.0f} input unit(s): 0)",
        )

    def table(self) -> tuple[list[str], list[list[str]]]:
        """Header and rows: one row per network (and one for the plant)."""
        upper = self.plant_poles.imag >= 0

        def near(n: NetworkPoles) -> str:
            return ", ".join(_small(d) for d in n.nearest[upper])

        def roots(z: np.ndarray) -> str:
            return ", ".join(
                f"{v.real:.4f}{v.imag:+.4f}j" if abs(v.imag) > 5e-5 else f"{v.real:.4f}"
                for v in z
                if v.imag >= -5e-5
            )

        header = [
            "network",
            "fixed points (u = 0)",
            "most stable: kind, spectral radius",
            "steady-state gain",
            "dominant poles",
            f"distance from the plant poles {roots(self.plant_poles)} to the "
            "nearest pole",
            "ISS margin (signed)",
        ]
        rows = [
            [
                "plant (SPEC §4)",
                "-",
                f"stable, {np.max(np.abs(self.plant_poles)):.5f}",
                f"{self.plant_dcgain:.5g}",
                roots(self.plant_poles),
                "-",
                "-",
            ]
        ]
        for n in self.networks:
            if n.kind is None:
                rows.append(
                    [n.label, "0", "none found", "-", "-", "-", f"{n.iss.margin:.3g}"]
                )
                continue
            rows.append(
                [
                    n.label,
                    str(n.fixed_points),
                    f"{n.kind}, {n.spectral_radius:.5f}",
                    f"{n.dcgain:.5g}",
                    roots(n.dominant),
                    near(n),
                    f"{n.iss.margin:.3g} ({n.iss.signed_margin:.3g})",
                ]
            )
        return header, rows

    def figure(self) -> Figure:
        """The dominant poles of every network against the plant's."""
        sets = {n.label: n.dominant for n in self.networks if n.kind is not None}
        return plot_pole_sets(
            sets,
            reference=self.plant_poles,
            reference_label="plant poles",
            title="Poles of the linearization at the fixed point for u = 0",
            zoom=(0.6, 1.05, -0.6, 0.6),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        claim, verdict, number = self.claim()
        return {
            "plant_poles": _pairs(self.plant_poles),
            "plant_dcgain": self.plant_dcgain,
            "networks": [n.to_dict() for n in self.networks],
            "extra_eigenvalues": self.extra,
            "claim": {"claim": claim, "verdict": verdict, "measured": number},
        }


def _network(
    label: str,
    params: LSTMParams,
    plant_poles: np.ndarray,
    plant_gain: float,
    *,
    starts: int,
    seed: int,
    ts: float,
) -> NetworkPoles:
    p = check_params(params, "the pole study", what=f"trained[{label!r}]")
    eq = fixed_points(p, np.zeros(p.ni), starts=starts, seed=seed)
    nx = plant_poles.size
    if not eq.fixed_points:
        empty = np.zeros(0, dtype=complex)
        return NetworkPoles(
            label=label,
            fixed_points=0,
            kind=None,
            spectral_radius=float("nan"),
            residual=float("nan"),
            poles=empty,
            dominant=empty,
            dcgain=float("nan"),
            pole_distance=float("nan"),
            nearest=np.full(nx, np.nan),
            gain_error=float("nan"),
            iss=iss_condition(p),
        )
    fp = eq.fixed_points[0]
    summ = linear_summary(linearize(p, fp.x, np.zeros(p.ni), ts=ts))
    dominant = summ.poles[:nx]
    gain = float(summ.dcgain[0, 0])
    return NetworkPoles(
        label=label,
        fixed_points=len(eq.fixed_points),
        kind=fp.kind,
        spectral_radius=fp.spectral_radius,
        residual=fp.residual,
        poles=summ.poles,
        dominant=dominant,
        dcgain=gain,
        pole_distance=lti.match_distance(dominant, plant_poles),
        nearest=np.min(np.abs(plant_poles[:, None] - summ.poles[None, :]), axis=1),
        gain_error=abs(gain - plant_gain) / abs(plant_gain),
        iss=iss_condition(p),
    )


def pole_study(
    calculated: LSTMParams,
    trained: Mapping[str, LSTMParams] | None = None,
    *,
    plant: ct.StateSpace | None = None,
    starts: int = 16,
    seed: int = 0,
) -> PoleStudy:
    """Poles and gain of the calculated weights' linearization against the
    plant's, and of other (trained) weights.

    Each network is linearized at its most stable fixed point for ``u = 0``
    (:func:`~blocksim_lstm.dynamics.fixed_points`); its ``nx`` poles of largest
    modulus are compared with the plant's.

    Parameters
    ----------
    calculated
        The calculated weights (``training.calculated_weights()``).
    trained
        Label -> weights, e.g. ``{"a) after training": ..., "b) before
        training": ..., "b) after training": ...}``.
    plant
        The plant (default: the seed's, ``lti.seed_plant()``).
    starts, seed
        Of the fixed-point search.

    Returns
    -------
    PoleStudy
        ``table()`` rows for a report section, ``claim()`` for the claims
        table, ``figure()`` (a pole plot), ``to_dict()``.

    Examples
    --------
    >>> from blocksim_lstm.training import calculated_weights
    >>> from blocksim_lstm.dynamics import pole_study
    >>> s = pole_study(calculated_weights())
    >>> s.claim()[1]
    'holds'
    """
    check_params(calculated, "the pole study", what="calculated")
    sysp = lti.seed_plant() if plant is None else lti.check_discrete(plant, "plant")
    pp = lti.poles(sysp)
    pg = float(lti.dcgain(sysp)[0, 0])
    ts = float(sysp.dt)
    nets = [
        _network(
            "calculated weights", calculated, pp, pg, starts=starts, seed=seed, ts=ts
        )
    ]
    for label, params in (trained or {}).items():
        nets.append(_network(label, params, pp, pg, starts=starts, seed=seed, ts=ts))
    c = check_params(calculated)
    calc = nets[0]
    rest = np.abs(calc.poles[pp.size :])
    bf = np.asarray(c.gate("b", "f"))
    rg = np.asarray(c.gate("R", "g"))
    extra = {
        "count": float(rest.size),
        "largest": float(rest.max()) if rest.size else 0.0,
        "forget_gate": float(np.max(sigmoid(bf))),
        "input_units": float(np.sum(np.all(rg == 0, axis=1))),
    }
    return PoleStudy(plant_poles=pp, plant_dcgain=pg, networks=nets, extra=extra)
