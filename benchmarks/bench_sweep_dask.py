"""A sweep on a local Dask cluster against the process pool and one process.

Usage: python benchmarks/bench_sweep_dask.py [--runs 64] [--epochs 2000]
       [--workers 2] [--engines serial,pool,dask,dask-chunk1,dask-before]

Runs the same sweep (random starts of the seed problem, 1001 samples, drop
factors 0.979 / 0.98 / 0.981 / 0.982, lr 0.04) serially in this process, on the
process pool (``processes=N``) and on a local Dask cluster
(``scheduler="local:N"``), checks that the tables are the same bytes, and
prints a Markdown table. Engines:

- ``dask``: as a sweep runs now (chunks of runs per task, ``chunk_size``; the
  cluster's quieter settings ``_dask.LOCAL_SETTINGS``);
- ``dask-chunk1``: the same cluster, one run per task (``chunk=1``);
- ``dask-before``: one run per task and Dask's own intervals (as before the
  chunks and ``LOCAL_SETTINGS``: only the profiler off).

All costs are CPU seconds of this process and its children (live ones read
with psutil, ended ones from ``getrusage``), which a busy machine changes far
less than wall time. Each engine's cost is split in two:

- start-up: a sweep of 2N runs of 1 epoch (N workers) on the engine, minus
  the same runs in this process: starting and stopping the processes, their
  imports, numba's cache, a cluster's scheduler; for Dask plus the import of
  ``distributed`` in this process (measured once, in a fresh interpreter);
- per run: (the engine's CPU for the sweep - the serial sweep's CPU - start-up)
  / runs: scheduling, transport, event loops and monitors while it runs.

The serial sweep runs first and last; one serial run is their mean, and half
their difference is printed as the noise of these CPU times. Each is given as
a share of one serial run's CPU; ``whole`` is start-up / runs
+ per run, and ``5 % from`` the number of runs from which ``whole`` < 5 %.

A second table measures the overhead directly, from inside the runs: every
run's start and end (``time.monotonic()``, one clock for all the processes of
the machine), its worker's pid and its CPU time, recorded where it is computed
(``run_sweep(_timings=...)``). With W workers and the engine's wall time from
the call to the return, ``wall x W`` worker-seconds were available and the
runs took ``sum(in-run wall)`` of them; the rest, per run, is the engine's
overhead as a worker sees it, split into

- start-up: from the call to each worker's first run (processes or a cluster
  started, imports, the data sent), summed over the workers;
- between runs: from the end of a run to the start of the worker's next one
  (the result sent back, the next run sent, the scheduler's round trips; the
  table is written meanwhile), summed;
- tail: from each worker's last run to the return (workers idle while the
  other finishes, then stopped), summed.

Each is divided by the number of runs and compared with the engine's own
mean in-run wall time (a 2000-epoch run as that engine computes it); this
needs no serial baseline, so the serial sweeps' noise does not enter it.
Needs the extra ``[distributed]``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

import blocksim_lstm as bl
from blocksim_lstm.studies import _dask
from blocksim_lstm.studies.sweep import grid, run_sweep

FACTORS = [0.979, 0.98, 0.981, 0.982]
ENGINES = ("serial", "pool", "dask", "dask-chunk1", "dask-before")
# the local cluster's settings before the chunks and LOCAL_SETTINGS
BEFORE = {
    "distributed.scheduler.allowed-failures": _dask.ALLOWED_FAILURES,
    "distributed.worker.profile.enabled": False,
}


def _cpu() -> float:
    """CPU seconds of this process, its ended children and its live descendants."""
    me = psutil.Process()
    t = sum(me.cpu_times()[:4])  # user, system, children_user, children_system
    for p in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            c = p.cpu_times()
            t += c.user + c.system
    return t


@contextlib.contextmanager
def _settings(engine: str) -> Iterator[None]:
    if engine != "dask-before":
        yield
        return
    old = _dask.LOCAL_SETTINGS
    _dask.LOCAL_SETTINGS = BEFORE
    try:
        yield
    finally:
        _dask.LOCAL_SETTINGS = old


def _options(engine: str, w: int) -> dict[str, object]:
    if engine.startswith("serial"):
        return {"processes": 1}
    if engine == "pool":
        return {"processes": w}
    return {
        "scheduler": f"local:{w}",
        "chunk": None if engine == "dask" else 1,
    }


def _measure(engine: str, runs, w: int, out: Path) -> dict[str, Any]:
    timings: list[tuple[int, float, float, float]] = []
    c0, t0, m0 = _cpu(), time.perf_counter(), time.monotonic()
    with _settings(engine):
        run_sweep(runs, out_csv=out, _timings=timings, **_options(engine, w))
    m1 = time.monotonic()
    return {
        "wall": time.perf_counter() - t0,
        "cpu": _cpu() - c0,
        "inside": _inside(timings, m0, m1),
    }


def _inside(
    timings: list[tuple[int, float, float, float]], call: float, back: float
) -> dict[str, float]:
    """The engine's time outside the runs, from the runs' own timings.

    ``timings``: ``(pid, start, end, cpu)`` of every run; ``call`` and
    ``back``: ``time.monotonic()`` at the call and the return.
    """
    by_worker: dict[int, list[tuple[float, float]]] = {}
    for pid, start, end, _ in timings:
        by_worker.setdefault(pid, []).append((start, end))
    gaps: list[float] = []
    start_up = tail = 0.0
    for spans in by_worker.values():
        spans.sort()
        start_up += spans[0][0] - call
        tail += back - spans[-1][1]
        gaps += [b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)]
    n = len(timings)
    busy = sum(end - start for _, start, end, _ in timings)
    w = len(by_worker)
    return {
        "workers": w,
        "run": busy / n,
        "run_cpu": sum(t[3] for t in timings) / n,
        "outside": ((back - call) * w - busy) / n,
        "start": start_up / n,
        "between": sum(gaps) / n,
        "gap_median": statistics.median(gaps) if gaps else 0.0,
        "tail": tail / n,
    }


def _import_distributed_cpu() -> float:
    """CPU of ``import distributed`` on top of the sweep's imports (fresh process)."""
    code = (
        "import time; import blocksim_lstm.studies.sweep; "
        "t = time.process_time(); import distributed; "
        "print(time.process_time() - t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return float(out.stdout.split()[-1])


def _fmt_share(seconds: float, run: float) -> str:
    return f"{seconds:.3f} s ({100 * seconds / run:.1f} %)"


def _fmt_ms(seconds: float, run: float) -> str:
    return f"{1e3 * seconds:.1f} ms ({100 * seconds / run:.2f} %)"


_NAMES = {
    "serial": "serial (1 process)",
    "serial-again": "serial (1 process), again",
    "pool": "process pool ({w})",
    "dask": "Dask local:{w}, chunks",
    "dask-chunk1": "Dask local:{w}, 1 run/task",
    "dask-before": "Dask local:{w}, before",
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=64)
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--engines", default=",".join(ENGINES))
    args = p.parse_args()
    engines = args.engines.split(",")
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown or "serial" not in engines:
        p.error(f"--engines: expected serial and some of {ENGINES}, got {engines}")
    n_seeds = -(-args.runs // len(FACTORS))
    base = bl.TrainOptions(epochs=args.epochs, lr=0.04, drop_period=100)
    runs = grid(seeds=range(n_seeds), base=base, drop_factor=FACTORS)[: args.runs]
    w = args.workers
    # start-up: two 1-epoch runs per worker (a Dask worker takes two tasks at
    # once: with one per worker, one worker might get both)
    tiny = grid(seeds=range(2 * w), base=bl.TrainOptions(epochs=1, lr=0.04))
    run_sweep(runs[:1], processes=1)  # warm: imports and numba's cache
    import_cpu = _import_distributed_cpu()
    import distributed  # noqa: F401  (its cost is import_cpu, counted below)

    load = [os.getloadavg()[0]]
    res: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tiny_serial = _measure("serial", tiny, w, folder / "tiny.csv")["cpu"]
        # serial first and last: its two CPU times show the noise of the machine
        for engine in [*engines, "serial-again"]:
            r = _measure(engine, runs, w, folder / f"{engine}.csv")
            if not engine.startswith("serial"):
                start = _measure(engine, tiny, w, folder / "tiny.csv")["cpu"]
                start -= tiny_serial
                r["start"] = start + (import_cpu if "dask" in engine else 0.0)
            res[engine] = r
            load.append(os.getloadavg()[0])
        tables = {f.name: f.read_bytes() for f in folder.glob("*.csv")}
    tables.pop("tiny.csv")
    same = len(set(tables.values())) == 1
    again = res.pop("serial-again")
    n = len(runs)
    serial = {k: (res["serial"][k] + again[k]) / 2 for k in ("wall", "cpu")}
    noise = abs(res["serial"]["cpu"] - again["cpu"]) / 2 / n  # +- per run
    run_cpu = serial["cpu"] / n
    print(
        f"{n} runs x {args.epochs} epochs, {w} workers, "
        f"{platform.processor() or 'cpu'}, {os.cpu_count()} cores, load average "
        f"{min(load):.1f}-{max(load):.1f}; tables identical: {same}; one serial run "
        f"{serial['wall'] / n:.2f} s wall, {run_cpu:.3f} s CPU (the mean of the "
        f"first and last serial sweep, which differ by +-{noise:.3f} s per run, "
        f"{100 * noise / run_cpu:.1f} %); import distributed {import_cpu:.2f} s CPU"
    )
    print()
    print(
        "| engine | wall s | runs/s | CPU s | start-up, CPU | per run, CPU "
        "| whole per run | 5 % from |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for engine, r in res.items():
        if engine == "serial":
            for k, s in enumerate((r, again)):
                print(
                    f"| serial (1 process){', again' if k else ''} | {s['wall']:.1f} "
                    f"| {n / s['wall']:.3f} | {s['cpu']:.1f} | — | — | — | — |"
                )
            continue
        over = r["cpu"] - serial["cpu"]
        per_run = (over - r["start"]) / n
        room = 0.05 * run_cpu - max(per_run, 0.0)  # a negative one is noise
        from_n = f"{math.ceil(r['start'] / room)} runs" if room > 0 else "never"
        name = _NAMES[engine].format(w=w)
        print(
            f"| {name} | {r['wall']:.1f} | {n / r['wall']:.3f} | {r['cpu']:.1f} "
            f"| {r['start']:.2f} s | {_fmt_share(per_run, run_cpu)} "
            f"| {_fmt_share(over / n, run_cpu)} | {from_n} |"
        )
    print()
    print(
        "Measured inside the runs (per run, as a share of the engine's own mean "
        "in-run wall time; start-up, between runs and tail add up to outside):"
    )
    print()
    print(
        "| engine | workers | in-run wall s | in-run CPU s | outside runs "
        "| start-up | between runs | median gap | tail |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, r in [*res.items(), ("serial-again", again)]:
        m = r["inside"]
        run = m["run"]
        print(
            f"| {_NAMES[engine].format(w=w)} | {m['workers']} | {run:.3f} "
            f"| {m['run_cpu']:.3f} | {_fmt_ms(m['outside'], run)} "
            f"| {_fmt_ms(m['start'], run)} | {_fmt_ms(m['between'], run)} "
            f"| {1e3 * m['gap_median']:.1f} ms | {_fmt_ms(m['tail'], run)} |"
        )


if __name__ == "__main__":  # the Dask workers start by spawn
    main()
