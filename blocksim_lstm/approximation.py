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

from .accuracy import (
    SclChoice,
    choose_scl,
    design_input,
    error_model,
    plot_scl_study,
    rel_rms_error,
    scl_study,
)
from .construction import Method, check_scl, construct
from .extraction import extract_state_space, linear_regime_report
from .lti import dcgain, match_distance, poles, simulate, zeros, zpk_summary
from .parameters import LSTMParams
from .realization import Realization, minimal_realization, realize
from .reference import reference_cell
from .validation import linearity_test, plot_linearity, plot_validation, validate

__all__ = ["approximate"]


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
    steps: int = 1001,
    diagram: bool = True,
    out: Path | None = None,
) -> tuple[dict[str, Any], LSTMParams]:
    """Do everything the command does; return the JSON-ready results and params."""
    ts = 1.0 if sys.dt is True else float(sys.dt)
    sys_r = realize(sys, realization)
    u = design_input(sys.ninputs, steps=steps, amplitude=amplitude, seed=0)
    y = simulate(sys_r, u)
    if scl is None:
        choice: SclChoice = choose_scl(sys_r, tol, u=u, method=construction)
        con, predicted, achieved = (
            choice.construction,
            choice.predicted,
            choice.achieved,
        )
    else:
        con = construct(sys_r, check_scl(scl), method=construction)
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
