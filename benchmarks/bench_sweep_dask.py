"""A sweep on a local Dask cluster against the process pool and one process.

Usage: python benchmarks/bench_sweep_dask.py [--runs 64] [--epochs 2000] [--workers 2]

Runs the same sweep (random starts of the seed problem, 1001 samples, drop
factors 0.979 / 0.98 / 0.981 / 0.982, lr 0.04) three ways: serially in this
process, on the process pool (``processes=N``) and on a local Dask cluster
(``scheduler="local:N"``), checks that the three tables are the same bytes, and
prints a Markdown table: wall time, runs per second, and the overhead per run
against the serial sweep, as wall time (``N x wall - serial wall``) and as CPU
time (this process and its children, ``cpu - serial cpu``), each divided by the
number of runs and given as a share of one serial run. The CPU share is the one
to trust on a busy machine. Needs the extra ``[distributed]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import blocksim_lstm as bl
from blocksim_lstm.studies.sweep import grid, run_sweep

FACTORS = [0.979, 0.98, 0.981, 0.982]


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _measure(runs, folder: Path, name: str, **kw) -> dict[str, float]:
    c0, t0 = _cpu(), time.perf_counter()
    run_sweep(runs, out_csv=folder / f"{name}.csv", **kw)
    return {"wall": time.perf_counter() - t0, "cpu": _cpu() - c0}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=64)
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    n_seeds = -(-args.runs // len(FACTORS))
    base = bl.TrainOptions(epochs=args.epochs, lr=0.04, drop_period=100)
    runs = grid(seeds=range(n_seeds), base=base, drop_factor=FACTORS)[: args.runs]
    run_sweep(runs[:1], processes=1)  # warm: imports and numba's cache
    w = args.workers
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        res = {
            "serial (1 process)": _measure(runs, folder, "serial", processes=1),
            f"process pool ({w} workers)": _measure(runs, folder, "pool", processes=w),
            f"local Dask cluster ({w} workers)": _measure(
                runs, folder, "dask", scheduler=f"local:{w}"
            ),
        }
        tables = {f.name: f.read_bytes() for f in folder.glob("*.csv")}
    same = len(set(tables.values())) == 1
    serial = res["serial (1 process)"]
    per_run_wall, per_run_cpu = serial["wall"] / len(runs), serial["cpu"] / len(runs)
    print(
        f"{len(runs)} runs x {args.epochs} epochs, {platform.processor() or 'cpu'}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; tables identical: "
        f"{same}; one serial run {per_run_wall:.2f} s wall, {per_run_cpu:.2f} s CPU"
    )
    print()
    print(
        "| engine | wall s | runs/s | speed-up | overhead/run, wall "
        "| overhead/run, CPU |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in res.items():
        k = 1 if name.startswith("serial") else w
        ow = (k * r["wall"] - serial["wall"]) / len(runs)
        oc = (r["cpu"] - serial["cpu"]) / len(runs)
        print(
            f"| {name} | {r['wall']:.1f} | {len(runs) / r['wall']:.3f} "
            f"| {serial['wall'] / r['wall']:.2f} "
            f"| {ow:.3f} s ({100 * ow / per_run_wall:.1f} %) "
            f"| {oc:.3f} s ({100 * oc / per_run_cpu:.1f} %) |"
        )


if __name__ == "__main__":  # the Dask workers start by spawn
    main()
