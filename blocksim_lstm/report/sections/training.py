"""Sections: experiment 3, training from calculated and from random weights, and
the sensitivity sweep."""

from __future__ import annotations

import numpy as np

from ...figures import save_figure
from ...training import TrainOptions
from ...training.plots import plot_sweep
from ...training.studies import ORIGINAL_LOG, ORIGINAL_OPTIONS, StudyResult, run_study
from ...training.sweep import by_seed, grid, run_sweep, spread_by
from ..context import ReportContext
from ..document import Section

EPOCHS_FULL = 10000
EPOCHS_QUICK = 500
SWEEP_EPOCHS_FULL = 10000
SWEEP_EPOCHS_QUICK = 200
SWEEP_FACTORS = (0.979, 0.98, 0.981)


def _study_section(
    ctx: ReportContext, name: str, title: str
) -> tuple[Section, StudyResult]:
    sec = Section(title)
    epochs = EPOCHS_QUICK if ctx.quick else EPOCHS_FULL
    folder = ctx.folder / "runs" / f"study_{name}"
    study = run_study(name, epochs=epochs, seed=ctx.seed, out=folder)
    s = study.training.summary()
    opts = ORIGINAL_OPTIONS[name]
    log = ORIGINAL_LOG[name]
    sec.p(
        f"Training data: 1001 samples, u ~ N(0, 1), y from the plant; one sequence, "
        f"full batch, MSE loss (plain mean). Adam (0.9, 0.999, 1e-8), learning "
        f"rate {opts.lr:g} multiplied by {opts.drop_factor:g} every "
        f"{opts.drop_period} epochs, gradient threshold {opts.grad_threshold:g} "
        f"per array (MATLAB's default), {s['epochs']} epochs"
        + (" (quick mode; the original ran 10000)" if ctx.quick else "")
        + ". The original's MATLAB run took about 84 s; ours takes a few seconds "
        "(per-epoch times in `timings.json` and BENCHMARKS.md)."
    )
    ctx.timings[f"study_{name}_ms_per_epoch"] = float(s["ms_per_epoch"])  # type: ignore[arg-type]
    sec.figure(
        f"runs/study_{name}/loss.png",
        "Loss history; crosses: the values printed in the original's log "
        + ", ".join(f"{v:g} at epoch {e}" for e, v in log.items())
        + ".",
    )
    sec.table(
        ["", "measured here", "original"],
        [
            ["loss at epoch 1", f"{s['first_loss']:.4g}", f"{log[1]:g}"],
            [
                f"loss at epoch {s['epochs']}",
                f"{s['final_loss']:.4g}",
                f"{log[10000]:g} (at 10000)",
            ],
            ["best loss (epoch)", f"{s['best_loss']:.4g} ({s['best_epoch']})", "-"],
            [
                "start was the best point seen",
                str(s["start_was_best"]),
                "yes" if name == "calculated" else "-",
            ],
        ],
    )
    wc = study.weight_changes
    sec.p("Weight changes per block against the calculated weights (largest |Δ|):")
    sec.table(
        ["block", *wc],
        [
            ["max |Δ|", *(f"{d['max_abs']:.2g}" for d in wc.values())],
            ["calculated max", *(f"{d['ref_max_abs']:.3g}" for d in wc.values())],
        ],
    )
    eb, ea = study.extracted_before, study.extracted_after
    sec.table(
        ["extracted linear system", "before training", "after training"],
        [
            [
                "order (minimal)",
                f"{eb['order']} ({eb['minimal_order']})",
                f"{ea['order']} ({ea['minimal_order']})",
            ],
            ["Dnn", f"{eb['Dnn']:.4g}", f"{ea['Dnn']:.4g}"],
            ["steady-state gain", f"{eb['dc_gain']:.5g}", f"{ea['dc_gain']:.5g}"],
            ["zpk", str(eb["zpk"]), str(ea["zpk"])],
        ],
    )
    vb, va = study.validation["before"], study.validation["after"]
    sec.p(
        f"Validation on the 51-sample input: norm(y_lstm − y) = {vb['norm']:.3g} "
        f"before training, {va['norm']:.3g} after. With input 3u the error grows "
        f"{vb['ratio_3u_to_u']:.2f}x before and {va['ratio_3u_to_u']:.2f}x after "
        "(a linear error would grow 3x)."
    )
    sec.figure(
        f"runs/study_{name}/validation_after.png",
        "The plant against the trained LSTM on the validation input (stairs, as the "
        "original's figure).",
    )
    sec.numbers.update(
        {
            "epochs": s["epochs"],
            "first_loss": s["first_loss"],
            "final_loss": s["final_loss"],
            "best_loss": s["best_loss"],
            "start_was_best": s["start_was_best"],
            "Dnn_after": ea["Dnn"],
            "gain_after": ea["dc_gain"],
            "order_after": ea["minimal_order"],
            "validation_before": vb["norm"],
            "validation_after": va["norm"],
            "ratio_3u_before": vb["ratio_3u_to_u"],
            "ratio_3u_after": va["ratio_3u_to_u"],
            "max_bias_change": max(wc[b]["max_abs"] for b in ("bi", "bf", "bg", "bo")),
            "max_F_change": wc["F"]["max_abs"],
            "max_Rg_change": wc["Rg"]["max_abs"],
            "frozen_blocks": [b for b, d in wc.items() if d["max_abs"] < 1e-12],
        }
    )
    ctx.results[f"study_{name}"] = sec.numbers
    return sec, study


def study_calculated(ctx: ReportContext) -> Section:
    """Experiment 3a: training from the calculated weights."""
    sec, study = _study_section(
        ctx, "calculated", "Experiment 3a: training from the calculated weights"
    )
    n = sec.numbers
    sec.p(
        f"**As the original reports, the starting point is the best point seen** "
        f"({n['first_loss']:.3g}); the loss jumps up at once and never comes back. "
        "The saturated gates keep most weights frozen: "
        + ", ".join(n["frozen_blocks"])  # type: ignore[arg-type]
        + " did not move at all; only Wg, Rg, bg (the blocks standing for A and B), "
        "F and bF moved."
    )
    return sec


def study_random(ctx: ReportContext) -> Section:
    """Experiment 3b: training from random weights."""
    sec, _ = _study_section(
        ctx, "random", "Experiment 3b: training from random weights"
    )
    n = sec.numbers
    calc = ctx.results.get("study_calculated")
    calc = calc if isinstance(calc, dict) else {}
    sec.p(
        f"The result is a different local minimum, far from the calculated weights "
        f"(bias changes up to {n['max_bias_change']:.3g}, F changes up to "
        f"{n['max_F_change']:.3g}), with a final loss of {n['final_loss']:.3g} "
        f"against {calc.get('first_loss', float('nan')):.3g} for the calculated "
        "weights."
    )
    return sec


def sensitivity_sweep(ctx: ReportContext) -> Section:
    """Sensitivity of random-start training to the drop factor."""
    sec = Section("Sensitivity: the drop factor's third digit")
    seeds = range(2) if ctx.quick else range(6)
    epochs = SWEEP_EPOCHS_QUICK if ctx.quick else SWEEP_EPOCHS_FULL
    base = TrainOptions.from_dict(
        {**ORIGINAL_OPTIONS["random"].to_dict(), "epochs": epochs}
    )
    runs = grid(seeds=seeds, base=base, drop_factor=list(SWEEP_FACTORS))
    folder = ctx.folder / "runs" / "sweep"
    folder.mkdir(parents=True, exist_ok=True)
    rows = run_sweep(
        runs,
        out_csv=folder / "sweep.csv",
        on_result=lambda row, k, total: ctx.log(
            f"    sweep run {k}/{total}: seed {row['seed']}, drop "
            f"{row['drop_factor']:g}, final loss {row.get('final_loss', np.nan):.4g}"
        ),
    )
    spread = spread_by(rows, "drop_factor")
    per_seed = by_seed(rows, "drop_factor")
    sec.p(
        f"{len(rows)} trainings from random weights (seeds {seeds.start}–"
        f"{seeds.stop - 1}) with the original's options but {epochs} epochs each"
        f"{' (quick mode)' if ctx.quick else ' (to keep the report under a minute)'},"
        f" drop factor {', '.join(map(str, SWEEP_FACTORS))}, run in parallel on all "
        "cores; table in `runs/sweep/sweep.csv`."
    )
    sec.table(
        ["drop factor", "runs", "min", "median", "max", "max/min"],
        [
            [
                f"{k:g}",
                v["n"],
                f"{v['min']:.3g}",
                f"{v['median']:.3g}",
                f"{v['max']:.3g}",
                f"{v['max/min']:.2f}",
            ]
            for k, v in spread.items()
        ],
    )
    ratios = [d["max/min"] for d in per_seed.values()]
    sec.p(
        "For one starting point, changing only the third digit of the drop factor "
        f"changes the final loss by a factor of {min(ratios):.2f} to "
        f"{max(ratios):.2f} (median {float(np.median(ratios)):.2f}) across seeds."
    )
    fig = plot_sweep(rows)
    save_figure(fig, folder / "final_loss.png")
    sec.figure(
        "runs/sweep/final_loss.png",
        "Final loss against drop factor, one line per random start.",
    )
    sec.numbers.update(
        {
            "runs": len(rows),
            "epochs": epochs,
            "per_seed_max_over_min": {
                str(k): v["max/min"] for k, v in per_seed.items()
            },
            "median_per_seed_ratio": float(np.median(ratios)),
            "spread_by_factor": {str(k): v for k, v in spread.items()},
        }
    )
    ctx.results["sweep"] = sec.numbers
    return sec
