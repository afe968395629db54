"""Section: each claim of the original beside what we measured.

Every verdict is decided by a rule on numbers measured earlier in the same run
(the thresholds are the constants below); each row of ``summary.json`` names the
numbers it was decided on (``basis``), so the verdicts can be checked.
"""

from __future__ import annotations

from typing import Any

from ..._names import LOOP_GROUPS
from ..context import ReportContext
from ..document import Section
from ..precision import Bound, Spread

SLOPE_TOL = 0.1
"""The error-against-scl slope holds as 2 within this."""
ORIGINAL_MSE = (1e-3, 4e-3)
"""The original's training-set MSE at scl = 1e-3 (0.0025), as a range (SPEC §4)."""
REALIZATION_RATIO = 100.0
"""MSEs of two realizations this far apart: the realization decides the MSE."""
FROZEN_EXPECTED = ("Wi", "Wo", "Ri", "Ro", "bi", "bf", "bo")
"""Blocks the original says stay frozen from the calculated start."""
DNN_NONZERO = 1e-4
"""|Dnn| above this is "Dnn ≠ 0"."""
ORIGINAL_GAIN = 8.526
"""The original's steady-state gain after training (SPEC §5)."""
GAIN_REL = 0.05
"""A gain within this relative distance of the original's "holds in size"."""
GROWTH_3U = (3.0, 5.0)
"""The original's "about 4x (nearly linear)" error growth with 3u."""
WORSE_FACTOR = 10.0
"""Random starts end "worse": every final loss this many times a)'s start."""
SENSITIVE_RATIO = 1.5
"""The drop factor's third digit matters: median per-start ratio above this."""


def _r(ctx: ReportContext, key: str) -> dict[str, Any]:
    """The numbers section ``key`` handed on; a missing one is a bug, not a gap."""
    try:
        value = ctx.results[key]
    except KeyError:
        raise KeyError(
            f"claims: no results of the section {key!r}: it must run before the "
            f"claims (have {sorted(ctx.results)})"
        ) from None
    if not isinstance(value, dict):
        raise TypeError(
            f"claims: results {key!r}: expected a dict, got {type(value).__name__}"
        )
    return value


def _sp(d: dict[str, Any], key: str) -> Spread:
    """A spread over runs from a section's numbers: KeyError or TypeError if not."""
    sp = d["spread"][key]
    if not isinstance(sp, Spread):
        raise TypeError(f"claims: spread {key!r}: expected a Spread, got {sp!r}")
    return sp


def claims(ctx: ReportContext) -> Section:
    """Claims of the original against our measurements.

    Parameters
    ----------
    ctx
        The report run; every earlier section's numbers must be in ``ctx.results``
        (KeyError otherwise).
    """
    sec = Section("The original's claims, measured")
    e1, st, pc = _r(ctx, "experiment1"), _r(ctx, "structure"), _r(ctx, "params")
    e2, by = _r(ctx, "experiment2"), _r(ctx, "beyond")
    a, b, sw = _r(ctx, "study_calculated"), _r(ctx, "study_random"), _r(ctx, "sweep")
    rows: list[dict[str, Any]] = []

    def claim(
        key: str, text: str, verdict: str, number: str, basis: dict[str, Any]
    ) -> None:
        rows.append(
            {
                "id": key,
                "claim": text,
                "verdict": verdict,
                "measured": number,
                "basis": basis,
            }
        )

    w64: Bound = e1["max_abs_float64"]
    n32: Bound = e1["output_norm_float32"]
    claim(
        "experiment1",
        "The block diagram (double) equals the toolbox layer (single): "
        "norm(z − y) = 5.8e-7, only single vs double precision.",
        "holds" if e1["passed_float64"] and w64.holds and n32.holds else "differs",
        f"float64: every wire {w64}; float32 reference: norm(z − y) {n32}",
        {
            "passed_float64": e1["passed_float64"],
            "max_abs_float64": w64,
            "output_norm_float32": n32,
        },
    )
    groups = st["cycle_groups"]
    claim(
        "loops",
        "Each unit has two states; two feedback loops, an inner one through the "
        "cell state and an outer one through the hidden state.",
        "holds" if groups == LOOP_GROUPS and st["algebraic_loops"] == 0 else "differs",
        f"{st['cycles']} simple cycles: {groups}; "
        f"{st['algebraic_loops']} algebraic loops",
        {"cycle_groups": groups, "algebraic_loops": st["algebraic_loops"]},
    )
    claim(
        "parameters",
        "Two 100-unit layers: 120000 parameters before the biases and the first "
        "layer's W; parameters grow quadratically in the units.",
        "holds" if pc["two_100_core"] == 120000 else "differs",
        f"{pc['two_100_core']:,} ({pc['two_100_total']:,} in all)",
        {"two_100_core": pc["two_100_core"]},
    )
    slope, achieved = e2["slope"], e2["achieved_rel_rms_error"]
    tol = e2["requested_rel_rms_error"]
    claim(
        "lti",
        "An LSTM reproduces any discrete LTI system with invertible A, to any "
        "accuracy within an input range, with the cell state disabled and "
        "nx + nu units.",
        "holds" if abs(slope - 2) < SLOPE_TOL and achieved <= tol else "differs",
        f"error ∝ scl^{slope:.2f}; requested {tol:g} → achieved "
        f"{achieved:.2g} at scl {e2['auto_scl']:.2g}; linearity error grows "
        "like k²",
        {"slope": slope, "achieved": achieved, "requested": tol},
    )
    fir = by["fir_achieved_rel_rms_error"]
    works = by["fir_crosscheck_passed"] and fir <= by["fir_requested_rel_rms_error"]
    claim(
        "invertible_a",
        "… and A must be invertible.",
        "refuted (not needed)" if works else "holds",
        f"the Nn = 2nx + nu construction reproduces an FIR system (A singular) "
        f"to {fir:.2g}",
        {
            "fir_achieved": fir,
            "fir_requested": by["fir_requested_rel_rms_error"],
            "fir_crosscheck_passed": by["fir_crosscheck_passed"],
        },
    )
    comp, bal = e2["mse_companion_scl1e-3"], e2["mse_balanced_scl1e-3"]
    lo, hi = ORIGINAL_MSE
    reproduced = lo <= comp <= hi or lo <= bal <= hi
    apart = max(comp, bal) / min(comp, bal) >= REALIZATION_RATIO
    claim(
        "mse",
        "Training-set MSE of the calculated weights at scl = 1e-3: 0.0025.",
        "holds"
        if reproduced
        else "differs (depends on the realization)"
        if apart
        else "differs",
        f"{comp:.3g} with python-control's companion form, {bal:.2g} balanced: "
        f"the state coordinates change it by a factor of "
        f"{max(comp, bal) / min(comp, bal):.2g}",
        {"companion": comp, "balanced": bal},
    )
    a_final, a_best = _sp(a, "final_loss"), _sp(a, "start_was_best")
    claim(
        "a_start_best",
        "From the calculated weights, the starting point is the best point "
        "seen; the solution lies in a narrow basin and training leaves it.",
        "holds" if all(a_best.values) else "differs",
        f"start best in {sum(a_best.values):.0f} of {a_best.n} runs; loss "
        f"{a['first_loss']:.3g} at epoch 1 → {a_final.text()} at epoch "
        f"{a['epochs']} over {a_final.seeds_text()} (original 0.0025 → 0.084)",
        {"start_was_best": a_best, "final_loss": a_final},
    )
    frozen = a["frozen_in_every_run"]
    claim(
        "a_frozen",
        "The saturated gates keep most weights frozen; only A, B entries, the "
        "cell-gate bias, F and bF move.",
        "holds" if set(FROZEN_EXPECTED) <= set(frozen) else "differs",
        f"{len(frozen)} of 14 blocks unchanged (|Δ| < 1e-12) in every run: "
        f"{', '.join(frozen)}; data seed 0: Rg (A) moved up to "
        f"{a['max_Rg_change']:.2g}, F up to {a['max_F_change']:.2g}",
        {"frozen_in_every_run": frozen},
    )
    dnn, gain, order = (
        _sp(a, "Dnn_after"),
        _sp(a, "gain_after"),
        _sp(a, "order_after"),
    )
    in_kind = all(abs(d) > DNN_NONZERO for d in dnn.values) and all(
        o == 5 for o in order.values
    )
    same_size = abs(gain.median - ORIGINAL_GAIN) < GAIN_REL * ORIGINAL_GAIN
    claim(
        "a_extracted",
        "The extracted system after training: Dnn ≠ 0, gain 8.5260 (was "
        "7.5351), fifth order with a nearly cancelling pole-zero pair.",
        ("holds" if same_size else "holds in kind, differs in size")
        if in_kind
        else "differs",
        f"Dnn {dnn.text()}, gain {gain.text('.3g')}, minimal order "
        f"{'5 in every run' if all(o == 5 for o in order.values) else order.text()}"
        f" (median, min–max over {gain.n} runs)",
        {"Dnn_after": dnn, "gain_after": gain, "order_after": order},
    )
    val, growth = _sp(a, "validation_after"), _sp(a, "ratio_3u_after")
    larger = all(v > a["validation_before"] for v in val.values)
    lo3, hi3 = GROWTH_3U
    claim(
        "a_validation",
        "Validation error after training is larger than the untrained "
        "calculated network's; with 3u it grows about 4x (nearly linear).",
        (
            "differs"
            if not larger
            else "holds"
            if lo3 <= growth.median <= hi3
            else "holds (larger error); the 3u growth differs"
        ),
        f"norm {a['validation_before']:.3g} → {val.text()}; 3u: ×"
        f"{growth.text()} (median, min–max over {val.n} runs)",
        {
            "validation_before": a["validation_before"],
            "validation_after": val,
            "ratio_3u_after": growth,
        },
    )
    b_final = _sp(b, "final_loss")
    claim(
        "b_worse",
        "From random weights: a different, worse local minimum, far from the "
        "calculated weights (bias changes ~100, F changes ~300).",
        "holds" if b_final.min > WORSE_FACTOR * a["first_loss"] else "differs",
        f"final loss {b_final.text()} over {b_final.seeds_text()} (original "
        f"0.0447); random start 0: bias changes up to "
        f"{b['max_bias_change']:.3g}, F up to {b['max_F_change']:.3g}",
        {"final_loss": b_final, "a_first_loss": a["first_loss"]},
    )
    ratios = sw["per_seed_max_over_min"]
    if not isinstance(ratios, Spread):
        raise TypeError(f"claims: sweep spread: expected a Spread, got {ratios!r}")
    claim(
        "drop_factor",
        "Very sensitive to hyperparameters: the drop factor's third digit "
        "changes the outcome substantially.",
        "holds" if ratios.median > SENSITIVE_RATIO else "differs",
        f"per start, 0.979/0.98/0.981 change the final loss by ×"
        f"{ratios.text()} (median, min–max over {ratios.n} starts; "
        f"{sw['runs']} runs of {sw['epochs']} epochs)",
        {"per_seed_max_over_min": ratios},
    )
    dyn = _r(ctx, "dynamics")["claim"]
    claim(
        "dynamics",
        "An LSTM layer can represent a linear dynamical system (the title's "
        "claim, asked of the network itself): " + dyn["claim"],
        dyn["verdict"],
        dyn["measured"],
        {"calculated_dcgain": _r(ctx, "dynamics")["calculated_dcgain"]},
    )
    sec.p(
        "Each claim of the original (SPEC §3–5 and its conclusions) beside the "
        "number this run measured. *holds*: our measurement agrees; *differs*: "
        "the effect is there but its size is not the original's; *refuted*: the "
        "measurement contradicts the claim. Results of training are decided on "
        "all runs (every seed), not on one chaotic trajectory."
    )
    sec.table(
        ["claim of the original", "verdict", "measured here"],
        [[r["claim"], r["verdict"], r["measured"]] for r in rows],
    )
    sec.numbers["claims"] = rows
    return sec


__all__ = ["claims"]
