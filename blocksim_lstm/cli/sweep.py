"""``blocksim-lstm sweep``: many trainings (seeds x hyperparameters) in parallel."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from exc


def _ints(text: str) -> list[int]:
    """``"0:16"`` (range), ``"3"`` or ``"1,5,9"``."""
    try:
        if ":" in text:
            a, b = (int(x) for x in text.split(":"))
            return list(range(a, b))
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected START:STOP or comma-separated integers, got {text!r}"
        ) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init",
        choices=("random", "calculated"),
        default="random",
        help="starting weights of every run (default random)",
    )
    parser.add_argument(
        "--seeds",
        type=_ints,
        default=list(range(6)),
        metavar="0:6|1,2,3",
        help="random-weight seeds (default 0:6)",
    )
    parser.add_argument("--units", type=int, default=5, help="Nn for random weights")
    parser.add_argument("--epochs", type=int, default=10000, help="default 10000")
    parser.add_argument(
        "--lr",
        type=_floats,
        default=[0.04],
        metavar="LR[,LR...]",
        help="learning rates (default 0.04)",
    )
    parser.add_argument(
        "--drop-factor",
        type=_floats,
        default=[0.979, 0.98, 0.981],
        metavar="F[,F...]",
        help="drop factors (default 0.979,0.98,0.981)",
    )
    parser.add_argument(
        "--drop-period",
        type=_ints,
        default=[100],
        metavar="N[,N...]",
        help="drop periods (default 100)",
    )
    parser.add_argument(
        "--grad-threshold",
        type=_floats,
        default=[1.0],
        metavar="G[,G...]",
        help="gradient thresholds (default 1)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="FILE.npz",
        help="arrays u, y; default the seed's plant, 1001 samples",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write sweep.csv (as runs finish), summary.json and final_loss.png here",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _figure(rows, out: Path) -> None:
    from ..figures import save_figure
    from ..training.plots import plot_sweep

    save_figure(plot_sweep(rows), out / "final_loss.png")


def run(args: argparse.Namespace) -> int:
    from .._files import write_atomic
    from ..training import TrainOptions, load_data
    from ..training.sweep import by_seed, grid, run_sweep, spread_by

    base = TrainOptions(epochs=args.epochs)
    runs = grid(
        seeds=args.seeds,
        init=args.init,
        units=args.units,
        base=base,
        lr=args.lr,
        drop_factor=args.drop_factor,
        drop_period=args.drop_period,
        grad_threshold=args.grad_threshold,
    )
    data = None if args.data is None else load_data(args.data)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    log = sys.stderr if args.json else sys.stdout

    def show(row, k, n) -> None:
        print(
            f"[{k}/{n}] run {row['run']} seed {row['seed']} lr {row['lr']:g} "
            f"drop {row['drop_factor']:g}: final loss "
            f"{row.get('final_loss', math.nan):.6g} ({row['status']})",
            file=log,
            flush=True,
        )

    rows = run_sweep(
        runs,
        data=data,
        processes=args.processes,
        out_csv=None if args.out is None else args.out / "sweep.csv",
        on_result=show,
    )
    summary: dict[str, Any] = {
        "runs": len(rows),
        "spread_by_drop_factor": {
            str(k): v for k, v in spread_by(rows, "drop_factor").items()
        },
        "per_seed_across_drop_factors": {
            str(s): {
                "values": {str(f): x for f, x in d["values"].items()},
                "max/min": d["max/min"],
            }
            for s, d in by_seed(rows, "drop_factor").items()
        },
        "rows": rows,
    }
    if args.out is not None:
        write_atomic(args.out / "summary.json", json.dumps(summary, indent=2) + "\n")
        _figure(rows, args.out)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("final loss by drop factor (over seeds):")
        for k, v in summary["spread_by_drop_factor"].items():
            print(
                f"  {k}: n={v['n']:.0f} min {v['min']:.4g} median {v['median']:.4g}"
                f" max {v['max']:.4g} (max/min {v['max/min']:.2f})"
            )
        print("same start, different drop factor (max/min of final loss):")
        for s, d in summary["per_seed_across_drop_factors"].items():
            print(f"  seed {s}: {d['max/min']:.2f}")
    return 0
