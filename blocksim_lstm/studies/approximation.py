"""The whole approximation study of one linear system, as one function.

Realize, construct, choose ``scl``, study error against ``scl``, extract and
round-trip, validate (reference cell and block diagram) and test linearity: what
``blocksim-lstm approximate`` prints and the report's state-space section shows.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import control as ct
import numpy as np

from .._experiment import TRAINING_STEPS
from .._files import write_atomic
from .._parameters import LSTMParams
from .._reference import reference_cell
from .._validate import check_memory, check_positive_int, check_seed
from ..statespace.accuracy import (
    SclChoice,
    SclStudy,
    choose_scl,
    design_input,
    error_model,
    plot_scl_study,
    rel_rms_error,
    scl_study,
)
from ..statespace.construction import Method, check_scl, construct
from ..statespace.extraction import (
    LinearRegimeReport,
    extract_state_space,
    linear_regime_report,
)
from ..statespace.lti import (
    check_discrete,
    dcgain,
    match_distance,
    poles,
    simulate,
    zeros,
)
from ..statespace.realization import Realization, minimal_realization, realize
from ..statespace.validation import (
    LinearityResult,
    ValidationResult,
    linearity_test,
    plot_linearity,
    plot_validation,
    validate,
)
from ..statespace.zpk import zpk_summary

__all__ = [
    "Approximation",
    "RoundTrip",
    "approximate",
    "approximate_bytes",
    "check_approximable",
]

_MAX_SIZE = 1e30
"""Largest signal size of the design run: the error-vs-scl study runs it in
float32 too (which ends at 3.4e38; amplitude 1e45 overflowed it)."""
_UNIT_CIRCLE_TOL = 1e-9
"""Poles with ``| |z| - 1 | <= this`` count as on the unit circle."""


def approximate_bytes(nx: int, nu: int, ny: int, steps: int) -> float:
    """Memory :func:`approximate` needs, in bytes (an upper estimate).

    Measured with ``tracemalloc`` (seed plant, Nn = 5: 1.1 kB a sample; nx = 10,
    nu = 2, ny = 3, Nn = 12: 2.7 kB a sample, about ``28 * 8 Nn`` bytes); this
    takes ``320 (Nn + nu + ny)`` a sample with the largest ``Nn = 2 nx + nu``,
    plus forty ``Nn x Nn`` work arrays.

    Parameters
    ----------
    nx, nu, ny
        States, inputs and outputs of the system.
    steps
        Samples of the design input.
    """
    nn = 2.0 * nx + nu
    return 320.0 * float(steps) * (nn + nu + ny) + 320.0 * nn * nn


def check_approximable(
    sys: ct.StateSpace, *, realization: str = "balanced", name: str = "sys"
) -> ct.StateSpace:
    """Refuse, with the reason, a system that :func:`approximate` cannot study.

    Parameters
    ----------
    sys
        Discrete-time system.
    realization
        The realization that will be used (``"balanced"`` needs states).
    name
        What the messages call the system (``"--system s.npz"``).

    Raises
    ------
    ValueError
        A pole on or outside the unit circle (an integrator at ``z = 1`` has
        no steady-state gain; the output of an unstable system grows without
        bound, which the LSTM's saturating gates cannot follow); a transfer
        function that is identically zero (nothing to approximate); for the
        balanced realization, no state that the input reaches and the output
        sees (a static gain ``D``).
    """
    sys = check_discrete(sys, name)
    p = poles(sys)
    radius = np.abs(p)
    if p.size and radius.max() > 1 + _UNIT_CIRCLE_TOL:
        worst = p[np.argmax(radius)]
        raise ValueError(
            f"{name}: expected a stable system (all poles inside the unit circle), "
            f"got a pole at z = {_show(worst)} (|z| = {abs(worst):.6g} > 1): its "
            "output grows without bound, which the LSTM's saturating gates cannot "
            "follow"
        )
    at_one = np.abs(p - 1) <= _UNIT_CIRCLE_TOL
    if at_one.any():
        raise ValueError(
            f"{name}: expected a stable system (all poles inside the unit circle), "
            "got a pole at z = 1 (an integrator): its steady-state gain is "
            "infinite and its output drifts without bound on a random input"
        )
    minimal = minimal_realization(sys)
    D = np.asarray(sys.D, dtype=float)
    if minimal.nstates == 0 and not np.any(D):
        raise ValueError(
            f"{name}: the transfer function is identically zero: no state is both "
            "reached by the input (B) and seen by the output (C), and D = 0, so "
            "the system has no poles or zeros to approximate"
        )
    if minimal.nstates == 0 and realization == "balanced":
        raise ValueError(
            f"{name}: the system is a static gain D (no state is both reached by "
            "the input and seen by the output: minimal order 0); a balanced "
            "realization has no states to build on; use the realization 'given' "
            "(--realization given)"
        )
    return sys


def _show(z: complex) -> str:
    z = complex(z)
    return f"{z.real:.6g}" if z.imag == 0 else f"{z.real:.6g}{z.imag:+.6g}j"


def _roots(r: np.ndarray) -> list[list[float]]:
    return [[float(z.real), float(z.imag)] for z in np.asarray(r, dtype=complex)]


def _roots_text(r: np.ndarray) -> str:
    def clean(v: float) -> float:
        return 0.0 if abs(v) < 1e-12 else v  # round-off dust at the origin

    return ", ".join(
        f"{clean(a):.6g}{clean(b):+.6g}j" if clean(b) else f"{clean(a):.6g}"
        for a, b in _roots(r)
    )


@dataclass(frozen=True)
class RoundTrip:
    """Constructed weights -> extracted linear system, against the original.

    Attributes
    ----------
    nstates
        States of the minimal realization of the extracted system.
    dcgain_error
        Largest steady-state gain difference, relative to the largest gain.
    pole_distance, zero_distance
        Largest distance between matched poles (zeros) of the two systems.
    feedthrough_gap
        What the construction could not place in ``D`` (0 for the SPEC
        construction).
    """

    nstates: int
    dcgain_error: float
    pole_distance: float
    zero_distance: float
    feedthrough_gap: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready, the keys as the field names."""
        return {
            "nstates": self.nstates,
            "dcgain_error": self.dcgain_error,
            "pole_distance": self.pole_distance,
            "zero_distance": self.zero_distance,
            "feedthrough_gap": self.feedthrough_gap,
        }


@dataclass(frozen=True)
class Approximation:
    """Everything :func:`approximate` found for one linear system.

    What ``blocksim-lstm approximate`` prints (:meth:`text`) and writes with
    ``--json`` (:meth:`to_dict`), and what the report's state-space section
    shows: one typed result, so a renamed field fails type checking instead of
    printing a wrong number.

    Attributes
    ----------
    params
        The constructed LSTM (``Nn = nn`` units).
    nx, nu, ny
        States, inputs and outputs of the system as given.
    minimal_order
        States of its minimal realization.
    ts
        Sample time in seconds (1 when the system's ``dt`` is True).
    zpk
        Zero-pole-gain form, as text
        (:func:`~blocksim_lstm.statespace.zpk.zpk_summary`).
    dcgain : ndarray, shape ``(ny, nu)``
        Steady-state gain ``C (I - A)^-1 B + D``.
    poles, zeros : ndarray of complex, shape ``(nx,)`` and ``(nz,)``
        Poles and transmission zeros of the system.
    realization
        State coordinates of the construction (``"balanced"`` or ``"given"``).
    construction
        The construction used (``"spec"``, ``"nx"`` or ``"delayed"``).
    nn
        LSTM units.
    cond_A
        Condition number of the realization's ``A``.
    scl
        The construction's scale.
    tol
        The requested relative RMS error, or None when ``scl`` was given.
    steps, amplitude, seed
        The design input: length, standard deviation, seed.
    predicted_rel_rms_error, achieved_rel_rms_error
        Relative RMS output error on the design input: the error model's
        prediction and the reference cell's measurement.
    error_vs_scl : tuple of two SclStudy
        Error against ``scl``, in float64 then float32.
    round_trip
        Weights -> extracted system, against the original.
    validation
        The constructed LSTM against the system on the original's
        validation input (reference cell, and the block diagram if run).
    linearity
        Errors for scaled inputs ``k u``.
    linear_regime
        How far the gates are from their linear regime on the design input.
    files
        Figures written, by name (empty when no ``out`` folder was given).
    """

    params: LSTMParams
    nx: int
    minimal_order: int
    nu: int
    ny: int
    ts: float
    zpk: str
    dcgain: np.ndarray
    poles: np.ndarray
    zeros: np.ndarray
    realization: str
    construction: str
    nn: int
    cond_A: float
    scl: float
    tol: float | None
    steps: int
    amplitude: float
    seed: int
    predicted_rel_rms_error: float
    achieved_rel_rms_error: float
    error_vs_scl: tuple[SclStudy, SclStudy]
    round_trip: RoundTrip
    validation: ValidationResult
    linearity: LinearityResult
    linear_regime: LinearRegimeReport
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Achieved error within ``tol`` (None when ``scl`` was given)."""
        if self.tol is None:
            return None
        return bool(self.achieved_rel_rms_error <= self.tol)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready numbers (what ``blocksim-lstm approximate --json`` prints)."""
        return {
            "nx": self.nx,
            "minimal_order": self.minimal_order,
            "nu": self.nu,
            "ny": self.ny,
            "ts": self.ts,
            "zpk": self.zpk,
            "dcgain": self.dcgain.tolist(),
            "poles": _roots(self.poles),
            "zeros": _roots(self.zeros),
            "realization": self.realization,
            "construction": self.construction,
            "nn": self.nn,
            "cond_A": self.cond_A,
            "scl": self.scl,
            "tol": self.tol,
            "design_input": {
                "steps": self.steps,
                "amplitude": self.amplitude,
                "seed": self.seed,
            },
            "predicted_rel_rms_error": self.predicted_rel_rms_error,
            "achieved_rel_rms_error": self.achieved_rel_rms_error,
            "met": self.met,
            "error_vs_scl": [st.to_dict() for st in self.error_vs_scl],
            "round_trip": self.round_trip.to_dict(),
            "validation": self.validation.to_dict(),
            "linearity": self.linearity.to_dict(),
            "linear_regime": self.linear_regime.to_dict(),
            "files": {k: str(v) for k, v in self.files.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text.

        Parameters
        ----------
        indent
            Spaces per level, or None for one line.
        """
        return json.dumps(self.to_dict(), indent=indent)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path`` atomically; return the path.

        Parameters
        ----------
        path
            The ``.json`` file to write (replaced whole, never half written).
        """
        return write_atomic(Path(path), self.to_json() + "\n")

    def text(self, label: str | None = None) -> str:
        """The human-readable summary ``blocksim-lstm approximate`` prints.

        Parameters
        ----------
        label
            What the first line calls the system (``"the seed's plant"``);
            None names no source.
        """
        val, f64, rt = self.validation, self.error_vs_scl[0], self.round_trip
        lines = [
            f"system: {'' if label is None else label + ': '}nx={self.nx}, "
            f"nu={self.nu}, ny={self.ny}, Ts={self.ts:g} s",
            "zpk: " + self.zpk.replace("\n", "\n     "),
            "steady-state gain: "
            + np.array2string(np.asarray(self.dcgain.tolist()), precision=5),
            f"poles: {_roots_text(self.poles)}",
            f"zeros: {_roots_text(self.zeros) or '(none)'}",
            *(
                []
                if self.minimal_order == self.nx
                else [
                    f"minimal order: {self.minimal_order} of {self.nx} states (the "
                    "others are not controllable or not observable)"
                ]
            ),
            f"realization: {self.realization}; construction: {self.construction}, "
            f"Nn={self.nn} units, cond(A)={self.cond_A:.3g}",
        ]
        if self.tol is None:
            lines.append(f"scl: {self.scl:.3g} (given)")
        else:
            lines.append(
                f"scl: {self.scl:.3g}, chosen for tol {self.tol:.3g} "
                f"({self.steps}-sample N(0, {self.amplitude:g}^2) input): "
                f"{'met' if self.met else 'NOT met'}"
            )
        norm_diagram = val.norm_diagram
        lines += [
            f"relative RMS error: predicted {self.predicted_rel_rms_error:.3g}, "
            f"achieved {self.achieved_rel_rms_error:.3g}",
            f"error vs scl (float64): slope {f64.slope:.2f}, best scl "
            f"{f64.best_scl:.0e}, lowest error {f64.floor:.2g}",
            f"round trip (extracted, minimal, {rt.nstates} states): gain error "
            f"{rt.dcgain_error:.2g}, poles {rt.pole_distance:.2g}, zeros "
            f"{rt.zero_distance:.2g}, feed-through gap {rt.feedthrough_gap:.2g}",
            f"validation ({val.t.size} samples): norm(y_lstm - y) = "
            f"{val.norm_cell:.3g} (reference cell)"
            + (
                ""
                if norm_diagram is None
                else f", {norm_diagram:.3g} (block diagram); cross-check "
                + ("PASSED" if val.crosscheck_passed else "FAILED")
            ),
            "linearity: "
            + ", ".join(
                f"k={k:g}: {e:.3g}"
                for k, e in zip(
                    self.linearity.ks.tolist(),
                    self.linearity.rel_rms.tolist(),
                    strict=True,
                )
            ),
        ]
        for name, path in self.files.items():
            lines.append(f"wrote {name}: {path}")
        return "\n".join(lines)


def approximate(
    sys: ct.StateSpace,
    *,
    construction: Method = "auto",
    realization: Realization = "balanced",
    scl: float | None = None,
    tol: float = 1e-6,
    amplitude: float = 1.0,
    steps: int = TRAINING_STEPS,
    seed: int = 0,
    diagram: bool = True,
    out: Path | None = None,
) -> Approximation:
    """Do everything the command does; return the typed results.

    Parameters
    ----------
    sys
        Discrete-time state-space system (any order, inputs and outputs).
    construction
        ``"auto"``, ``"spec"``, ``"nx"`` or ``"delayed"`` (see
        :func:`~blocksim_lstm.statespace.construction.construct`).
    realization
        State coordinates the construction starts from: ``"balanced"``
        or ``"given"`` (the system as it comes).
    scl
        The construction's scale; None chooses it for ``tol``.
    tol
        Requested relative RMS output error, when ``scl`` is chosen.
    amplitude
        Amplitude of the design and validation inputs.
    steps
        Samples of the design input (``scl`` is chosen and the error against
        ``scl`` studied on it).
    seed
        Seed of the design input (the standard normal stream of
        :func:`~blocksim_lstm.statespace.accuracy.design_input`).
    diagram
        Also cross-check the bdsim diagram of the constructed LSTM.
    out
        Folder for the weights, results and plots; None writes nothing.

    Returns
    -------
    Approximation
        The constructed LSTM (``.params``) and every number found on the way;
        ``.text()`` and ``.to_dict()`` are what the command prints.

    Raises
    ------
    ValueError
        A system that cannot be studied (:func:`check_approximable`), a bad
        ``scl``, ``tol``, ``amplitude`` or ``steps``, or sizes that cannot fit
        in memory.
    """
    sys = check_approximable(sys, realization=realization)
    if scl is not None:
        scl = check_scl(scl)
    tol = check_scl(tol, name="tol")
    amplitude = check_scl(amplitude, name="amplitude")
    steps = check_positive_int("steps", steps)
    seed = check_seed("seed", seed)
    check_memory(
        "steps",
        approximate_bytes(sys.nstates, sys.ninputs, sys.noutputs, steps),
        f"the approximation study on {steps} samples of a system with "
        f"nx={sys.nstates}, nu={sys.ninputs}, ny={sys.noutputs}",
    )
    ts = 1.0 if sys.dt is True else float(sys.dt)
    sys_r = realize(sys, realization)
    u = design_input(sys.ninputs, steps=steps, amplitude=amplitude, seed=seed)
    with np.errstate(over="ignore", invalid="ignore"):
        y = simulate(sys_r, u)
        size = float(max(np.abs(u).max(), np.abs(y).max()))
    if not size <= _MAX_SIZE:  # NaN-safe
        raise ValueError(
            f"amplitude: the design input of amplitude {amplitude:g} makes signals "
            f"of size {size:.3g}, beyond {_MAX_SIZE:g}: its float32 study would "
            "overflow (float32 ends at 3.4e38); choose a smaller amplitude"
        )
    if scl is None:
        choice: SclChoice = choose_scl(sys_r, tol, u=u, method=construction)
        con, predicted, achieved = (
            choice.construction,
            choice.predicted,
            choice.achieved,
        )
    else:
        con = construct(sys_r, scl, method=construction)
        predicted = float(
            error_model(sys_r, u, method=con.method, y_ref=y).predict(scl)
        )
        achieved = rel_rms_error(reference_cell(con.params, u).y, y)
    params = con.params
    # error against scl, float64 and float32
    studies = [
        scl_study(sys_r, u, method=con.method, dtype=d) for d in ("float64", "float32")
    ]
    # round trip: weights -> linear system -> same gain, poles, zeros
    back = minimal_realization(extract_state_space(params, scl=con.scl, ts=ts))
    ref = minimal_realization(sys)
    g0 = dcgain(sys)
    round_trip = RoundTrip(
        nstates=back.nstates,
        dcgain_error=float(
            np.max(np.abs(dcgain(back) - g0)) / max(np.max(np.abs(g0)), 1e-300)
        ),
        pole_distance=match_distance(poles(back), poles(ref)),
        zero_distance=match_distance(zeros(back), zeros(ref)),
        feedthrough_gap=con.feedthrough_gap,
    )
    val = validate(sys, params, diagram=diagram)
    lin = linearity_test(sys, params, val.u)
    files: dict[str, Path] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files["error_vs_scl"] = plot_scl_study(
            studies,
            out / "error_vs_scl.png",
            title=f"Error against scl ({con.method} construction, "
            f"{realization} realization)",
        )
        files["validation"] = plot_validation(val, out / "validation.png")
        files["linearity"] = plot_linearity(lin, out / "linearity.png")
    return Approximation(
        params=params,
        nx=sys.nstates,
        minimal_order=ref.nstates,
        nu=sys.ninputs,
        ny=sys.noutputs,
        ts=ts,
        zpk=zpk_summary(sys),
        dcgain=np.asarray(g0, dtype=float),
        poles=np.asarray(poles(sys), dtype=complex),
        zeros=np.asarray(zeros(sys), dtype=complex),
        realization=realization,
        construction=con.method,
        nn=con.nn,
        cond_A=con.cond_A,
        scl=con.scl,
        tol=None if scl is not None else tol,
        steps=steps,
        amplitude=amplitude,
        seed=seed,
        predicted_rel_rms_error=predicted,
        achieved_rel_rms_error=achieved,
        error_vs_scl=(studies[0], studies[1]),
        round_trip=round_trip,
        validation=val,
        linearity=lin,
        linear_regime=linear_regime_report(params, u),
        files=files,
    )
