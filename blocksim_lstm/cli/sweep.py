"""``blocksim-lstm sweep``: many trainings (seeds x hyperparameters) in parallel.

Re-running the same command with the same ``--out`` resumes: the runs already
in ``--out/sweep.csv`` are skipped. A different sweep into that folder is
refused unless ``--force`` (which starts it over).

``--scheduler local[:N]|ADDRESS`` runs the sweep on a Dask cluster (the extra
``[distributed]``) with the same table (``--chunk N`` runs per Dask task);
``--grid FILE.toml|json`` gives the seeds and option lists from a file.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

# option fields named in the library's messages -> the CLI's option
_OPTION_OF = {
    "seeds": "--seeds",
    "units": "--units",
    "epochs": "--epochs",
    "lr": "--lr",
    "drop_factor": "--drop-factor",
    "drop_period": "--drop-period",
    "grad_threshold": "--grad-threshold",
    "processes": "--processes",
    "scheduler": "--scheduler",
    "chunk": "--chunk",
    "grid": "--grid",
    "data": "--data",
    "u": "--data: u",
    "y": "--data: y",
}


def _int(option: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(
            f"{option}: expected an integer >= {minimum}, got {text!r}"
        ) from None
    if value < minimum:
        raise ValueError(f"{option}: expected an integer >= {minimum}, got {value}")
    return value


def _floats(option: str, text: str) -> list[float]:
    items = [x.strip() for x in text.split(",")]
    if not any(items):
        raise ValueError(f"{option}: expected comma-separated numbers, got none")
    try:
        return [float(x) for x in items]
    except ValueError:
        raise ValueError(
            f"{option}: expected comma-separated numbers, got {text!r}"
        ) from None


def _ints(option: str, text: str) -> list[int]:
    items = [x.strip() for x in text.split(",")]
    if not any(items):
        raise ValueError(f"{option}: expected comma-separated integers, got none")
    try:
        return [int(x) for x in items]
    except ValueError:
        raise ValueError(
            f"{option}: expected comma-separated integers, got {text!r}"
        ) from None


def _seeds(text: str) -> range | list[int]:
    """``"0:16"`` (a range, not expanded), ``"3"`` or ``"1,5,9"``."""
    if ":" not in text:
        return _ints("--seeds", text)
    parts = text.split(":")
    try:
        start, stop = (int(x) for x in parts)
    except ValueError:
        raise ValueError(
            f"--seeds: expected START:STOP or comma-separated integers, got {text!r}"
        ) from None
    if start < 0:
        raise ValueError(f"--seeds: expected seeds >= 0, got {text!r}")
    if stop <= start:
        raise ValueError(
            f"--seeds: {text!r} holds no seed (START:STOP means START to STOP - 1)"
        )
    return range(start, stop)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init",
        choices=("random", "calculated"),
        default=None,
        help="starting weights of every run (default random)",
    )
    parser.add_argument(
        "--seeds",
        default=None,
        metavar="0:6|1,2,3",
        help="random-weight seeds, >= 0: START:STOP or a list (default 0:6)",
    )
    parser.add_argument("--units", default=None, help="Nn for random weights")
    parser.add_argument("--epochs", default=None, help="default 10000")
    parser.add_argument(
        "--lr",
        default=None,
        metavar="LR[,LR...]",
        help="learning rates (default 0.04)",
    )
    parser.add_argument(
        "--drop-factor",
        default=None,
        metavar="F[,F...]",
        help="drop factors (default 0.979,0.98,0.981)",
    )
    parser.add_argument(
        "--drop-period",
        default=None,
        metavar="N[,N...]",
        help="drop periods (default 100)",
    )
    parser.add_argument(
        "--grad-threshold",
        default=None,
        metavar="G[,G...]",
        help="gradient thresholds; inf disables clipping (default 1)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="FILE.npz",
        help="arrays u, y; default the seed's plant, 1001 samples",
    )
    parser.add_argument(
        "--grid",
        type=Path,
        metavar="FILE.toml|json",
        help="seeds and option lists from a file (keys seeds, init, units and "
        "the options, e.g. drop_factor = [0.979, 0.98]); instead of --seeds, "
        "--init, --units, --epochs, --lr, --drop-factor, --drop-period, "
        "--grad-threshold",
    )
    parser.add_argument(
        "--processes",
        default=None,
        help="worker processes (default: the cores this process may use)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS|local[:N]",
        help="run on a Dask cluster (extra [distributed]): local[:N] starts N "
        "local worker processes (default the cores); tcp://host:8786 uses a "
        "running scheduler. The table is the same as without it",
    )
    parser.add_argument(
        "--chunk",
        default=None,
        metavar="N",
        help="with --scheduler: N consecutive runs per Dask task, saved when "
        "the task ends (default: at least 8 tasks per worker, at most 16 runs "
        "each); fewer tasks cost the scheduler less. The table is the same",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write sweep.csv (as runs finish), sweep.json (the plan), "
        "summary.json and final_loss.png here; the same sweep run again "
        "resumes (finished runs are skipped)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="start over in --out even if it holds another sweep or other files",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def _named(exc: Exception) -> ValueError:
    """The library's message with the CLI's option name in front."""
    msg = str(exc)
    m = re.match(r"(\w+): ", msg)
    if m and m[1] in _OPTION_OF:
        msg = _OPTION_OF[m[1]] + msg[len(m[1]) :]
    return ValueError(msg)


_GRID_OPTIONS = {
    "seeds": "--seeds",
    "init": "--init",
    "units": "--units",
    "epochs": "--epochs",
    "lr": "--lr",
    "drop_factor": "--drop-factor",
    "drop_period": "--drop-period",
    "grad_threshold": "--grad-threshold",
}
_DEFAULTS = {
    "seeds": "0:6",
    "init": "random",
    "units": "5",
    "epochs": "10000",
    "lr": "0.04",
    "drop_factor": "0.979,0.98,0.981",
    "drop_period": "100",
    "grad_threshold": "1",
}


def _runs(args: argparse.Namespace) -> list[Any]:
    """The sweep's runs: from ``--grid`` or from the grid options."""
    from ..studies.sweep import grid, grid_from_file
    from ..training import TrainOptions

    given = [o for k, o in _GRID_OPTIONS.items() if getattr(args, k) is not None]
    if args.grid is not None:
        if given:
            raise ValueError(
                f"{given[0]}: given with --grid; put it in the grid file "
                f"{args.grid} instead"
            )
        defaults: dict[str, Any] = {
            "init": "random",
            "units": 5,
            "epochs": 10000,
            "lr": 0.04,
            "drop_factor": [0.979, 0.98, 0.981],
            "drop_period": 100,
            "grad_threshold": 1.0,
        }
        try:
            return grid_from_file(args.grid, defaults=defaults)
        except (ValueError, TypeError) as exc:
            raise _named(exc) from exc
    # an option given empty ('--lr ""') is bad input, not the default
    text = {
        k: _DEFAULTS[k] if getattr(args, k) is None else getattr(args, k)
        for k in _GRID_OPTIONS
    }
    seeds = _seeds(text["seeds"])
    units = _int("--units", text["units"], 1)
    epochs = _int("--epochs", text["epochs"], 1)
    values: dict[str, list[Any]] = {
        "lr": _floats("--lr", text["lr"]),
        "drop_factor": _floats("--drop-factor", text["drop_factor"]),
        "drop_period": _ints("--drop-period", text["drop_period"]),
        "grad_threshold": _floats("--grad-threshold", text["grad_threshold"]),
    }
    try:
        return grid(
            seeds=seeds,
            init=text["init"],
            units=units,
            base=TrainOptions(epochs=epochs),
            **values,
        )
    except (ValueError, TypeError) as exc:
        raise _named(exc) from exc


def _load_figures() -> None:
    """Import what the summary's figure needs (matplotlib: ~0.5 s of CPU).

    Run in a thread at the sweep's tail, when a worker has no run left and
    its core is idle, rather than after the last run.
    """
    try:
        from .. import _figures  # noqa: F401
        from ..training import plots  # noqa: F401
    except Exception:  # the save imports them again and reports what fails
        pass


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def run(args: argparse.Namespace) -> int:
    from ..studies.sweep import TABLE_FILE, sweep
    from ..training import load_data

    processes = (
        None if args.processes is None else _int("--processes", args.processes, 1)
    )
    if processes is not None and args.scheduler is not None:
        raise ValueError(
            "--processes: give --processes or --scheduler, not both (a local "
            "cluster's size is --scheduler local:N)"
        )
    chunk = None if args.chunk is None else _int("--chunk", args.chunk, 1)
    if chunk is not None and args.scheduler is None:
        raise ValueError(
            f"--chunk: runs per Dask task, expected only with --scheduler, got "
            f"--chunk {chunk} without (the process pool sends one run at a time)"
        )
    if args.scheduler is not None:
        from ..studies._dask import check_scheduler

        try:
            check_scheduler(args.scheduler)
        except (ValueError, TypeError) as exc:
            raise _named(exc) from exc
    runs = _runs(args)
    try:
        data = None if args.data is None else load_data(args.data)
    except (ValueError, FileNotFoundError) as exc:
        raise _named(exc) from exc
    log = sys.stderr if args.json else sys.stdout
    finished = 0
    first = 0
    t_start = time.perf_counter()
    if processes is not None:
        workers = processes
    else:
        from ..studies.sweep import _cores

        workers = 1 if args.scheduler is not None else _cores()
    figures: list[threading.Thread] = []

    def show(row, k, n) -> None:
        nonlocal finished
        finished = k
        if args.out is not None and n - k < workers and not figures:
            # fewer runs left than workers: a core is idle until the end
            figures.append(threading.Thread(target=_load_figures, daemon=True))
            figures[0].start()
        note = f": {row['message']}" if row["status"] != "ok" else ""
        elapsed = time.perf_counter() - t_start
        rate = (k - first) / elapsed if elapsed > 0 else math.inf
        eta = _clock((n - k) / rate) if rate > 0 else "?"
        print(
            f"[{k}/{n}] run {row['run']} seed {row['seed']} lr {row['lr']:g} "
            f"drop {row['drop_factor']:g}: final loss "
            f"{row.get('final_loss', math.nan):.6g} ({row['status']}{note}) "
            f"| {rate:.3g} runs/s, ETA {eta}",
            file=log,
            flush=True,
        )

    def cluster(address: str, dashboard: str | None, n_workers: int) -> None:
        nonlocal t_start, workers
        t_start = time.perf_counter()  # the rate counts from the cluster up
        workers = n_workers
        board = dashboard or "none (the scheduler serves none; pip install bokeh)"
        print(
            f"Dask scheduler {address}, {n_workers} workers; dashboard: {board}",
            file=log,
            flush=True,
        )

    def start(kept: int, total: int) -> None:
        nonlocal finished, first, t_start
        finished = first = kept
        t_start = time.perf_counter()
        if kept:
            print(
                f"resuming: {kept} of {total} runs are already in "
                f"{args.out / TABLE_FILE}; running the other {total - kept}",
                file=log,
                flush=True,
            )

    t0 = time.perf_counter()
    try:
        result = sweep(
            runs,
            data=data,
            processes=processes,
            scheduler=args.scheduler,
            chunk=chunk,
            on_cluster=cluster,
            out=args.out,
            force=args.force,
            on_start=start,
            on_result=show,
            name="--out",
        )
    except KeyboardInterrupt:
        if args.out is None:
            where = "nothing was saved (no --out)"
        else:
            saved = finished
            try:  # the table on disk is the truth: a row may be saved already
                # when the Ctrl-C lands before its progress line is counted
                from ..studies.sweep import FINAL_STATUSES, read_table

                table = read_table(args.out / TABLE_FILE)
                saved = sum(r["status"] in FINAL_STATUSES for r in table)
            except (OSError, ValueError):
                pass
            where = (
                f"{saved} of {len(runs)} runs are saved in "
                f"{args.out / TABLE_FILE}; run the same command again to resume "
                "(finished runs are skipped)"
            )
        print(f"blocksim-lstm sweep: interrupted; {where}", file=sys.stderr)
        return 130
    except (ValueError, TypeError, ImportError) as exc:  # incl. a missing extra
        raise _named(exc) from exc
    except OSError as exc:  # the table could not be written (disk full, ...)
        if str(exc).startswith("scheduler: "):  # no Dask scheduler there
            raise _named(exc) from exc
        print(
            f"blocksim-lstm sweep: error: --out: {exc}; the runs saved so far stay "
            f"in {args.out}",
            file=sys.stderr,
        )
        return 1
    elapsed = time.perf_counter() - t0
    summary = result.to_dict()
    if args.out is not None:
        result.save(args.out)
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
    failed = {k: n for k, n in result.statuses.items() if k != "ok"}
    print(
        f"{len(result.rows)} runs in {elapsed:.1f} s"
        + (f"; not ok: {failed}" if failed else "")
        + ("" if args.out is None else f"; table in {args.out / TABLE_FILE}"),
        file=log,
    )
    return 0
