"""Many trainings (seeds x hyperparameters) in parallel, gathered into one table.

Each run is independent and deterministic: its row depends only on its own
settings, never on the number of processes or the order runs finish in.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._files import write_atomic
from ..parameters import LSTMParams
from .data import calculated_weights, seed_data
from .loop import NonFiniteLossError, TrainResult, train
from .optim import TrainOptions

Row = dict[str, Any]
"""One row of the sweep table (keys :data:`COLUMNS`)."""

__all__ = ["COLUMNS", "SweepRun", "by_seed", "grid", "run_sweep", "spread_by"]

COLUMNS: tuple[str, ...] = (
    "run",
    "init",
    "seed",
    "units",
    "lr",
    "drop_factor",
    "drop_period",
    "grad_threshold",
    "epochs",
    "status",
    "first_loss",
    "final_loss",
    "best_loss",
    "best_epoch",
    "final_weights_loss",
    "ms_per_epoch",
)
"""Columns of the sweep table, in order."""


@dataclass(frozen=True)
class SweepRun:
    """One training of a sweep.

    Attributes
    ----------
    run : int
        Index in the sweep (row order of the table).
    init : str
        ``"calculated"`` (the seed plant's weights) or ``"random"``
        (uniform [0, 1) W, R, b, F drawn with ``seed``, zero bF and states).
    seed : int
        Seed of the random weights (ignored for ``"calculated"``).
    options : TrainOptions
    units : int
        Nn for random weights.
    """

    run: int
    init: str
    seed: int
    options: TrainOptions
    units: int = 5

    def initial(self, ni: int, no: int) -> LSTMParams:
        """Starting weights of this run."""
        if self.init == "calculated":
            return calculated_weights()
        return LSTMParams.random(self.units, ni, no, seed=self.seed, states=False)


def grid(
    *,
    seeds: Iterable[int],
    init: str = "random",
    units: int = 5,
    base: TrainOptions | None = None,
    **values: Sequence[object],
) -> list[SweepRun]:
    """Every combination of option values and seeds.

    Parameters
    ----------
    seeds
        Seeds of the random initial weights.
    init
        ``"random"`` or ``"calculated"``.
    units
        Nn for random weights.
    base
        Options the grid starts from (default :class:`TrainOptions`).
    **values
        Lists of values by :class:`TrainOptions` field, e.g.
        ``drop_factor=[0.979, 0.98, 0.981]``.

    Returns
    -------
    list of SweepRun
        Options vary slowest in the order given, seeds fastest.
    """
    if init not in ("random", "calculated"):
        raise ValueError(f"init: expected 'random' or 'calculated', got {init!r}")
    base = TrainOptions() if base is None else base
    fields = base.to_dict()
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"values: unknown options {unknown}; allowed {sorted(fields)}")
    names = list(values)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds: expected at least one seed")
    runs: list[SweepRun] = []
    for combo in itertools.product(*(values[n] for n in names)):
        opts = TrainOptions.from_dict(
            {**fields, **dict(zip(names, combo, strict=True))}
        )
        for seed in seeds:
            runs.append(SweepRun(len(runs), init, seed, opts, units))
    return runs


def _one(run: SweepRun, u: np.ndarray, y: np.ndarray) -> Row:
    ni, no = u.shape[-1], y.shape[-1]
    row: Row = {
        "run": run.run,
        "init": run.init,
        "seed": run.seed,
        "units": run.units,
        "lr": run.options.lr,
        "drop_factor": run.options.drop_factor,
        "drop_period": run.options.drop_period,
        "grad_threshold": run.options.grad_threshold,
        "epochs": run.options.epochs,
    }
    res: TrainResult | None
    try:
        res = train(run.initial(ni, no), u, y, run.options)
    except NonFiniteLossError as exc:
        res = exc.result
        row["status"] = "non-finite"
    else:
        row["status"] = "ok"
    if res is not None and res.epochs:
        s = res.summary()
        for k in (
            "first_loss",
            "final_loss",
            "best_loss",
            "best_epoch",
            "final_weights_loss",
            "ms_per_epoch",
        ):
            row[k] = s[k]
    return row


def _write_csv(path: Path, rows: list[Row]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, restval="", lineterminator="\n")
    w.writeheader()
    for r in sorted(rows, key=lambda r: int(r["run"])):
        w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})
    write_atomic(path, buf.getvalue())


def run_sweep(
    runs: Sequence[SweepRun],
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    out_csv: str | Path | None = None,
    processes: int | None = None,
    on_result: Callable[[Row, int, int], None] | None = None,
) -> list[Row]:
    """Run the trainings in parallel; write the table as results come in.

    Parameters
    ----------
    runs
        From :func:`grid` (or built by hand; ``run`` indices must be unique).
    data
        ``(u, y)``; default the seed's plant, 1001 samples (seed 0).
    out_csv
        Table rewritten atomically after every finished run (sorted by run).
    processes
        Worker processes; default all cores. 1 runs in this process.
    on_result
        Called as ``on_result(row, finished, total)`` after each run.

    Returns
    -------
    list of dict
        One row per run (keys :data:`COLUMNS`), sorted by ``run``.
    """
    if not runs:
        raise ValueError("runs: expected at least one run")
    ids = [r.run for r in runs]
    if len(set(ids)) != len(ids):
        raise ValueError("runs: run indices must be unique")
    u, y = seed_data() if data is None else data
    u, y = np.asarray(u, np.float64), np.asarray(y, np.float64)
    if u.ndim == 1:
        u = u[:, None]
    if y.ndim == 1:
        y = y[:, None]
    nproc = (os.cpu_count() or 1) if processes is None else int(processes)
    if nproc < 1:
        raise ValueError(f"processes: expected an integer >= 1, got {processes}")
    path = None if out_csv is None else Path(out_csv)
    rows: list[Row] = []

    def done(row: Row) -> None:
        rows.append(row)
        if path is not None:
            _write_csv(path, rows)
        if on_result is not None:
            on_result(row, len(rows), len(runs))

    if nproc == 1:
        for r in runs:
            done(_one(r, u, y))
    else:
        with ProcessPoolExecutor(max_workers=min(nproc, len(runs))) as pool:
            futures = [pool.submit(_one, r, u, y) for r in runs]
            try:
                for fut in as_completed(futures):
                    done(fut.result())
            except KeyboardInterrupt:
                for f in futures:
                    f.cancel()
                print(
                    f"sweep interrupted; {len(rows)} finished runs are saved",
                    file=sys.stderr,
                )
                raise
    return sorted(rows, key=lambda r: int(r["run"]))


def spread_by(
    rows: Sequence[Row], key: str, value: str = "final_loss"
) -> dict[object, dict[str, float]]:
    """Spread of ``value`` in each group of rows sharing ``key``.

    Returns
    -------
    dict
        ``{group: {"n", "min", "median", "max", "mean", "std", "max/min"}}``.
    """
    groups: dict[Any, list[float]] = {}
    for r in rows:
        v = r.get(value)
        if isinstance(v, (int, float)) and np.isfinite(v):
            groups.setdefault(r[key], []).append(float(v))
    out = {}
    for g, vals in sorted(groups.items(), key=lambda kv: kv[0]):
        a = np.array(vals)
        out[g] = {
            "n": float(a.size),
            "min": float(a.min()),
            "median": float(np.median(a)),
            "max": float(a.max()),
            "mean": float(a.mean()),
            "std": float(a.std()),
            "max/min": float(a.max() / a.min()),
        }
    return out


def by_seed(rows: Sequence[Row], key: str, value: str = "final_loss") -> dict[int, Row]:
    """For each seed, ``value`` at each ``key`` and the ratio largest / smallest.

    This is the sensitivity of one starting point to a hyperparameter (e.g. the
    drop factor), as opposed to the spread over starting points.

    Returns
    -------
    dict
        ``{seed: {"values": {key_value: value}, "max/min": ratio}}``.
    """
    table: dict[int, dict[object, float]] = {}
    for r in rows:
        v = r.get(value)
        if isinstance(v, (int, float)) and np.isfinite(v):
            table.setdefault(int(r["seed"]), {})[r[key]] = float(v)
    return {
        seed: {"values": vals, "max/min": max(vals.values()) / min(vals.values())}
        for seed, vals in sorted(table.items())
    }
