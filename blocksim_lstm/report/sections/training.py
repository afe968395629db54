"""Sections: experiment 3, training from calculated and from random weights, and
the sensitivity sweep.

A loss after thousands of epochs is chaotic: a change at the level of rounding
(another BLAS kernel, another summation order) moves study a)'s final loss by 2x.
So every result after training is given with its spread over seeds: study a)
is trained on several data seeds, study b) uses the sweep's random starts at the
original's drop factor (the same trainings, not run twice). The figures and the
block-by-block tables show one run (seed 0) and say so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._experiment import TRAINING_STEPS
from ..._figures import save_figure
from ...studies.sweep import Row, SweepSummary, grid, sweep
from ...studies.training import ORIGINAL_LOG, ORIGINAL_OPTIONS, StudyResult, run_study
from ...training import TrainOptions
from ..context import ReportContext
from ..document import Section
from ..precision import Bound, Spread

_ZERO_BOUND = 1e-12
"""A value below this (absolute) is zero up to rounding: shown as ``< 1e-12``."""


def _beside_zero(value: Any, fmt: str) -> str:
    """``value`` with ``fmt``, or ``< 1e-12`` when it is zero up to rounding."""
    value = float(value)
    if abs(value) < _ZERO_BOUND:
        return Bound(abs(value), _ZERO_BOUND).text
    return format(value, fmt)


EPOCHS_FULL = 10000
EPOCHS_QUICK = 200
SWEEP_EPOCHS_FULL = EPOCHS_FULL
SWEEP_EPOCHS_QUICK = EPOCHS_QUICK  # the sweep's runs at 0.98 are study b)'s seeds
SWEEP_FACTORS = (0.979, 0.98, 0.981)
SWEEP_SEEDS_FULL = range(6)
SWEEP_SEEDS_QUICK = range(3)
DATA_SEEDS_FULL = range(5)
"""Data seeds of study a) (the calculated start has no other randomness)."""
DATA_SEEDS_QUICK = range(3)
FROZEN = 1e-12
"""A block whose largest change is below this did not move."""


def _epochs(ctx: ReportContext) -> int:
    return EPOCHS_QUICK if ctx.quick else EPOCHS_FULL


def _outcome(study: StudyResult) -> dict[str, Any]:
    """The numbers of one study run that the report compares across seeds."""
    s = study.training.summary()
    ea = study.extracted_after
    va = study.validation["after"]
    vb = study.validation["before"]
    wc = study.weight_changes
    return {
        "first_loss": s["first_loss"],
        "final_loss": s["final_loss"],
        "best_loss": s["best_loss"],
        "best_epoch": s["best_epoch"],
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
        "frozen_blocks": [b for b, d in wc.items() if d["max_abs"] < FROZEN],
    }


def _change(x: float) -> str:
    return f"< {FROZEN:g}" if x < FROZEN else f"{x:.3g}"


def sweep_rows(ctx: ReportContext) -> list[Row]:
    """The sensitivity sweep's rows (see :func:`sweep_summary`)."""
    return sweep_summary(ctx).rows


def sweep_summary(ctx: ReportContext) -> SweepSummary:
    """The sensitivity sweep's trainings, run once per report (first caller).

    Random starts (seeds) x the drop factors :data:`SWEEP_FACTORS`, with the
    original's options of study b) otherwise; written to ``runs/sweep/``.
    """
    cached = ctx.results.get("_sweep")
    if isinstance(cached, SweepSummary):
        return cached
    seeds = SWEEP_SEEDS_QUICK if ctx.quick else SWEEP_SEEDS_FULL
    epochs = SWEEP_EPOCHS_QUICK if ctx.quick else SWEEP_EPOCHS_FULL
    base = TrainOptions.from_dict(
        {**ORIGINAL_OPTIONS["random"].to_dict(), "epochs": epochs}
    )
    runs = grid(seeds=seeds, base=base, drop_factor=list(SWEEP_FACTORS))
    folder = ctx.folder / "runs" / "sweep"
    folder.mkdir(parents=True, exist_ok=True)
    where = "all cores" if ctx.scheduler is None else f"Dask {ctx.scheduler}"
    ctx.log(f"    sweep: {len(runs)} trainings of {epochs} epochs, {where}")
    result = sweep(
        runs,
        key="drop_factor",
        scheduler=ctx.scheduler,
        out_csv=folder / "sweep.csv",
        on_result=lambda row, k, total: ctx.log(
            f"    sweep run {k}/{total}: seed {row['seed']}, drop "
            f"{row['drop_factor']:g}, final loss {row.get('final_loss', np.nan):.4g}"
        ),
    )
    ctx.results["_sweep"] = result
    return result


def _study_section(
    ctx: ReportContext,
    name: str,
    title: str,
    spread: dict[str, Spread],
    study: StudyResult,
) -> Section:
    sec = Section(title)
    s = study.training.summary()
    opts = ORIGINAL_OPTIONS[name]
    log = ORIGINAL_LOG[name]
    one = _outcome(study)
    seed_label = "data seed 0" if name == "calculated" else "random start 0"
    sec.p(
        f"Training data: {TRAINING_STEPS} samples, u ~ N(0, 1), y from the plant; "
        f"one sequence, full batch, MSE loss (plain mean). Adam (0.9, 0.999, "
        f"1e-8), learning rate {opts.lr:g} multiplied by {opts.drop_factor:g} every "
        f"{opts.drop_period} epochs, gradient threshold {opts.grad_threshold:g} "
        f"per array (MATLAB's default), {s['epochs']} epochs"
        + (" (quick mode; the original ran 10000)" if ctx.quick else "")
        + ". The original's MATLAB run took about 84 s; ours takes a few seconds "
        "(per-epoch times in `timings.json` and BENCHMARKS.md)."
    )
    ctx.timings[f"study_{name}_ms_per_epoch"] = float(s["ms_per_epoch"])  # type: ignore[arg-type]
    sec.figure(
        f"runs/study_{name}/loss.png",
        f"Loss history ({seed_label}); crosses: the values printed in the "
        "original's log "
        + ", ".join(f"{v:g} at epoch {e}" for e, v in log.items())
        + ".",
    )
    f_loss = spread["final_loss"]
    sec.p(
        "**A long training is chaotic**: a change at the level of rounding (another "
        "CPU's summation order) moves the final loss by about 2x. So each result "
        f"after training is given as the median and range (min–max) over "
        f"{f_loss.seeds_text()}; the column for {seed_label} is the run of the "
        "figures and of the tables below (one trajectory: its digits are not "
        "more exact than the range)."
    )
    n = f_loss.n

    def row(label: str, key: str, fmt: str, original: str) -> list[str]:
        sp = spread.get(key)
        return [
            label,
            f"{one[key]:{fmt}}",
            sp.text(fmt) if sp is not None else "not trained per seed",
            original,
        ]

    best = spread.get("start_was_best")
    rows = [
        row("loss at epoch 1", "first_loss", ".3g", f"{log[1]:g}"),
        row(
            f"loss at epoch {s['epochs']}",
            "final_loss",
            ".2g",
            f"{log[10000]:g} (at 10000)",
        ),
        [
            "start was the best point seen",
            "yes" if one["start_was_best"] else "no",
            f"in {sum(best.values):.0f} of {best.n} runs" if best else "-",
            "yes" if name == "calculated" else "-",
        ],
    ]
    if "validation_after" in spread:
        rows += [
            row("validation norm after training", "validation_after", ".2g", "-"),
            row("error growth with 3u after training", "ratio_3u_after", ".2g", "~4x"),
            row("Dnn of the extracted system after", "Dnn_after", ".2g", "0.0094"),
            row("its steady-state gain", "gain_after", ".3g", "8.5260"),
        ]
    sec.table(
        ["", seed_label, f"median (min–max), {n} runs", "original"],
        rows,
    )
    wc = study.weight_changes
    sec.p(
        f"Weight changes per block against the calculated weights ({seed_label}; "
        f"largest |Δ|; below {FROZEN:g} the block did not move):"
    )
    sec.table(
        ["block", *wc],
        [
            ["max |Δ|", *(_change(d["max_abs"]) for d in wc.values())],
            ["calculated max", *(f"{d['ref_max_abs']:.3g}" for d in wc.values())],
        ],
    )
    eb, ea = study.extracted_before, study.extracted_after
    sec.table(
        ["extracted linear system", "before training", f"after ({seed_label})"],
        [
            [
                "order (minimal)",
                f"{eb['order']} ({eb['minimal_order']})",
                f"{ea['order']} ({ea['minimal_order']})",
            ],
            # before training Dnn is the plant's D = 0 up to rounding, whose
            # digits depend on the machine: said as a bound
            ["Dnn", _beside_zero(eb["Dnn"], ".4g"), f"{ea['Dnn']:.2g}"],
            ["steady-state gain", f"{eb['dc_gain']:.5g}", f"{ea['dc_gain']:.3g}"],
            ["zpk", str(eb["zpk"]), str(ea["zpk"])],
        ],
    )
    vb, va = study.validation["before"], study.validation["after"]
    sec.p(
        f"Validation on the 51-sample input ({seed_label}): norm(y_lstm − y) = "
        f"{vb['norm']:.3g} before training, {va['norm']:.2g} after. With input 3u "
        f"the error grows {vb['ratio_3u_to_u']:.2f}x before and "
        f"{va['ratio_3u_to_u']:.2g}x after (a linear error would grow 3x)."
    )
    sec.figure(
        f"runs/study_{name}/validation_after.png",
        f"The plant against the trained LSTM on the validation input ({seed_label}; "
        "stairs, as the original's figure).",
    )
    sec.numbers.update({"epochs": s["epochs"], **one, "spread": spread})
    ctx.results[f"study_{name}"] = sec.numbers
    ctx.results[f"_study_{name}_weights"] = (
        study.training.initial,
        study.training.params,
    )
    return sec


def study_calculated(ctx: ReportContext) -> Section:
    """Experiment 3a: training from the calculated weights."""
    epochs = _epochs(ctx)
    seeds = DATA_SEEDS_QUICK if ctx.quick else DATA_SEEDS_FULL
    folder = ctx.folder / "runs" / "study_calculated"
    study = run_study(
        "calculated", epochs=epochs, data_seed=seeds[0], out=folder, root=ctx.folder
    )
    outcomes = [_outcome(study)]
    for k in seeds[1:]:
        other = _outcome(run_study("calculated", epochs=epochs, data_seed=k))
        ctx.log(f"    data seed {k}: final loss {other['final_loss']:.4g}")
        outcomes.append(other)
    keys = (
        "first_loss",
        "final_loss",
        "start_was_best",
        "validation_after",
        "ratio_3u_after",
        "Dnn_after",
        "gain_after",
        "order_after",
    )
    spread = {
        k: Spread.of([float(o[k]) for o in outcomes], seeds, "data seeds") for k in keys
    }
    sec = _study_section(
        ctx,
        "calculated",
        "Experiment 3a: training from the calculated weights",
        spread,
        study,
    )
    frozen_all = sorted(
        set.intersection(*(set(o["frozen_blocks"]) for o in outcomes)),
        key=outcomes[0]["frozen_blocks"].index,
    )
    sec.numbers["frozen_in_every_run"] = frozen_all
    sec.p(
        "**As the original reports, the starting point is the best point seen** "
        f"(in {sum(spread['start_was_best'].values):.0f} of {len(outcomes)} runs); "
        "the loss jumps up at once and never comes back. The saturated gates keep "
        "most weights frozen: "
        + ", ".join(frozen_all)
        + f" did not move at all in any of the {len(outcomes)} runs; only Wg, Rg, "
        "bg (the blocks standing for A and B), F and bF moved."
    )
    return sec


def study_random(ctx: ReportContext) -> Section:
    """Experiment 3b: training from random weights."""
    folder = ctx.folder / "runs" / "study_random"
    study = run_study(
        "random", epochs=_epochs(ctx), seed=0, out=folder, root=ctx.folder
    )
    drop = ORIGINAL_OPTIONS["random"].drop_factor
    starts = sorted(
        (r for r in sweep_rows(ctx) if r["drop_factor"] == drop),
        key=lambda r: int(r["seed"]),
    )
    seeds = [int(r["seed"]) for r in starts]
    spread = {
        k: Spread.of([float(r[k]) for r in starts], seeds, "random starts")
        for k in ("first_loss", "final_loss", "best_loss")
    }
    sec = _study_section(
        ctx, "random", "Experiment 3b: training from random weights", spread, study
    )
    n = sec.numbers
    calc = ctx.results["study_calculated"]  # its section runs first
    if not isinstance(calc, dict):
        raise TypeError(f"study_calculated: expected a dict, got {calc!r}")
    sec.p(
        f"The spread over random starts comes from the sensitivity sweep's runs "
        f"at drop factor {drop:g} (the next section): the same trainings as this "
        "study's, so they are not run twice. Random start 0 ends in a local "
        f"minimum far from the calculated weights (bias changes up to "
        f"{n['max_bias_change']:.3g}, F changes up to {n['max_F_change']:.3g}); "
        f"the final losses over the starts are {spread['final_loss'].text()} "
        f"against {calc['first_loss']:.3g} for the calculated "
        "weights."
    )
    return sec


def sensitivity_sweep(ctx: ReportContext) -> Section:
    """Sensitivity of random-start training to the drop factor."""
    sec = Section("Sensitivity: the drop factor's third digit")
    result = sweep_summary(ctx)
    rows = result.rows
    seeds = sorted({int(r["seed"]) for r in rows})
    epochs = int(rows[0]["epochs"])
    spread = result.spread
    per_seed = result.per_seed
    sec.p(
        f"{len(rows)} trainings from random weights (seeds {seeds[0]}–"
        f"{seeds[-1]}) with the original's options but the drop factor, "
        f"{epochs} epochs each{' (quick mode)' if ctx.quick else ''}, drop factor "
        f"{', '.join(map(str, SWEEP_FACTORS))}, run in parallel on all cores; "
        "table in `runs/sweep/sweep.csv`. Each final loss is one chaotic "
        "trajectory; the table gives the spread over the random starts."
    )
    sec.table(
        ["drop factor", "runs", "min", "median", "max", "max/min"],
        [
            [
                f"{k:g}",
                f"{v['n']:.0f}",
                f"{v['min']:.2g}",
                f"{v['median']:.2g}",
                f"{v['max']:.2g}",
                f"{v['max/min']:.2g}",
            ]
            for k, v in spread.items()
        ],
    )
    ratios = Spread.of(
        [d["max/min"] for d in per_seed.values()], per_seed, "random starts"
    )
    sec.p(
        "For one starting point, changing only the third digit of the drop factor "
        f"changes the final loss by a factor of {ratios.text('.2g')} (median, "
        f"min–max over {ratios.seeds_text()})."
    )
    fig = result.figure()
    save_figure(fig, ctx.folder / "runs" / "sweep" / "final_loss.png")
    sec.figure(
        "runs/sweep/final_loss.png",
        "Final loss against drop factor, one line per random start.",
    )
    sec.numbers.update(
        {
            "runs": len(rows),
            "epochs": epochs,
            "per_seed_max_over_min": ratios,
            "median_per_seed_ratio": ratios.median,
            "spread_by_factor": {str(k): v for k, v in spread.items()},
        }
    )
    ctx.results["sweep"] = sec.numbers
    return sec
