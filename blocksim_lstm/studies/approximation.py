"""The whole approximation study of one linear system, as one function.

Realize, construct, choose ``scl``, study error against ``scl``, extract and
round-trip, validate (reference cell and block diagram) and test linearity: what
``blocksim-lstm approximate`` prints and the report's state-space section shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import control as ct
import numpy as np

from .._experiment import TRAINING_STEPS
from .._parameters import LSTMParams
from .._reference import reference_cell
from .._validate import check_memory, check_positive_int
from ..statespace.accuracy import (
    SclChoice,
    choose_scl,
    design_input,
    error_model,
    plot_scl_study,
    rel_rms_error,
    scl_study,
)
from ..statespace.construction import Method, check_scl, construct
from ..statespace.extraction import extract_state_space, linear_regime_report
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
    linearity_test,
    plot_linearity,
    plot_validation,
    validate,
)
from ..statespace.zpk import zpk_summary

__all__ = ["approximate", "approximate_bytes", "check_approximable"]

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


def approximate(
    sys: ct.StateSpace,
    *,
    construction: Method = "auto",
    realization: Realization = "balanced",
    scl: float | None = None,
    tol: float = 1e-6,
    amplitude: float = 1.0,
    steps: int = TRAINING_STEPS,
    diagram: bool = True,
    out: Path | None = None,
) -> tuple[dict[str, Any], LSTMParams]:
    """Do everything the command does; return the JSON-ready results and params.

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
        Samples of the validation run.
    diagram
        Also cross-check the bdsim diagram of the constructed LSTM.
    out
        Folder for the weights, results and plots; None writes nothing.

    Returns
    -------
    results : dict
        JSON-ready numbers (the command's ``results.json``).
    params : LSTMParams
        The constructed LSTM.

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
    check_memory(
        "steps",
        approximate_bytes(sys.nstates, sys.ninputs, sys.noutputs, steps),
        f"the approximation study on {steps} samples of a system with "
        f"nx={sys.nstates}, nu={sys.ninputs}, ny={sys.noutputs}",
    )
    ts = 1.0 if sys.dt is True else float(sys.dt)
    sys_r = realize(sys, realization)
    u = design_input(sys.ninputs, steps=steps, amplitude=amplitude, seed=0)
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
    round_trip = {
        "nstates": back.nstates,
        "dcgain_error": float(
            np.max(np.abs(dcgain(back) - g0)) / max(np.max(np.abs(g0)), 1e-300)
        ),
        "pole_distance": match_distance(poles(back), poles(ref)),
        "zero_distance": match_distance(zeros(back), zeros(ref)),
        "feedthrough_gap": con.feedthrough_gap,
    }
    val = validate(sys, params, diagram=diagram)
    lin = linearity_test(sys, params, val.u)
    files: dict[str, str] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files["error_vs_scl"] = str(
            plot_scl_study(
                studies,
                out / "error_vs_scl.png",
                title=f"Error against scl ({con.method} construction, "
                f"{realization} realization)",
            )
        )
        files["validation"] = str(plot_validation(val, out / "validation.png"))
        files["linearity"] = str(plot_linearity(lin, out / "linearity.png"))
    result = {
        "nx": sys.nstates,
        "minimal_order": ref.nstates,
        "nu": sys.ninputs,
        "ny": sys.noutputs,
        "ts": ts,
        "zpk": zpk_summary(sys),
        "dcgain": g0.tolist(),
        "poles": _roots(poles(sys)),
        "zeros": _roots(zeros(sys)),
        "realization": realization,
        "construction": con.method,
        "nn": con.nn,
        "cond_A": con.cond_A,
        "scl": con.scl,
        "tol": None if scl is not None else tol,
        "design_input": {"steps": steps, "amplitude": amplitude, "seed": 0},
        "predicted_rel_rms_error": predicted,
        "achieved_rel_rms_error": achieved,
        "met": None if scl is not None else bool(achieved <= tol),
        "error_vs_scl": [st.to_dict() for st in studies],
        "round_trip": round_trip,
        "validation": val.to_dict(),
        "linearity": lin.to_dict(),
        "linear_regime": linear_regime_report(params, u).to_dict(),
        "files": files,
    }
    return result, params
