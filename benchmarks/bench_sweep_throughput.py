"""Sweep throughput: run-epochs per second of `blocksim-lstm sweep`, and its threads.

Usage::

    python benchmarks/bench_sweep_throughput.py [--runs 64] [--epochs 2000]
        [--processes 2] [--repeats 1]

Runs ``blocksim-lstm sweep`` on the seed problem (random starts, seeds x drop
factors 0.979 / 0.98 / 0.981 / 0.982, ``runs`` runs of ``epochs`` epochs, the
process pool with ``processes`` workers) in a fresh process, after one small
warm-up sweep (numba's cache filled). Prints a Markdown table: wall seconds,
run-epochs per second (runs x epochs / wall), CPU seconds of the sweep and its
workers, run-epochs per CPU-second (what a loaded machine cannot take away), the
load average, and, sampled every 0.2 s from ``/proc`` while the sweep runs, the
largest number of threads of any worker process and the BLAS / OpenMP / numba
thread limits in the workers' environments: one thread per worker on a
``processes``-core machine is no oversubscription.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

FACTORS = "0.979,0.98,0.981,0.982"
LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for k in kids:
            out.append(int(k))
            out += _children(int(k))
    return out


def _watch(pid: int, seen: dict[str, object], stop: threading.Event) -> None:
    """Record the most threads of any descendant and their thread limits."""
    while not stop.is_set():
        for k in _children(pid):
            try:
                status = Path(f"/proc/{k}/status").read_text()
                env = Path(f"/proc/{k}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            threads = int(status.split("Threads:")[1].split()[0])
            seen["workers"] = max(int(seen.get("workers", 0)), len(_children(pid)))
            seen["threads"] = max(int(seen.get("threads", 0)), threads)
            lim = {
                e.split(b"=")[0].decode(): e.split(b"=", 1)[1].decode()
                for e in env
                if e.split(b"=")[0].decode() in LIMITS
            }
            seen.setdefault("limits", set()).add(  # type: ignore[union-attr]
                ", ".join(f"{n}={lim.get(n, 'unset')}" for n in LIMITS)
            )
        stop.wait(0.2)


def _sweep(seeds: int, epochs: int, processes: int, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "blocksim_lstm",
        "sweep",
        "--seeds",
        f"0:{seeds}",
        "--drop-factor",
        FACTORS,
        "--epochs",
        str(epochs),
        "--processes",
        str(processes),
        "--out",
        str(out),
        "--json",
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=2000)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    seeds = -(-args.runs // 4)
    runs = 4 * seeds
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            _sweep(1, 5, 1, Path(tmp, "warm")), check=True, capture_output=True
        )
        for i in range(args.repeats):
            load0 = os.getloadavg()[0]
            seen: dict[str, object] = {}
            stop = threading.Event()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                _sweep(seeds, args.epochs, args.processes, Path(tmp, f"s{i}")),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            watcher = threading.Thread(target=_watch, args=(proc.pid, seen, stop))
            watcher.start()
            _, err = proc.communicate()
            wall = time.perf_counter() - t0
            stop.set()
            watcher.join()
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode:
                raise SystemExit(err.decode())
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            rows.append((wall, cpu, load0, os.getloadavg()[0], seen))
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; `blocksim-lstm sweep --seeds 0:{seeds} "
        f"--drop-factor {FACTORS} --epochs {args.epochs} --processes "
        f"{args.processes}` ({runs} runs)\n"
    )
    print(
        "| repeat | load before / after | wall s | run-epochs/s | CPU s "
        "| run-epochs per CPU-s | workers | most threads in a worker | worker limits |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    work = runs * args.epochs
    for i, (wall, cpu, l0, l1, seen) in enumerate(rows):
        limits = "; ".join(sorted(seen.get("limits", set())))  # type: ignore[arg-type]
        print(
            f"| {i + 1} | {l0:.1f} / {l1:.1f} | {wall:.1f} | {work / wall:.0f} | "
            f"{cpu:.1f} | {work / cpu:.0f} | {seen.get('workers', 0)} | "
            f"{seen.get('threads', 0)} | {limits} |"
        )
    if len(rows) > 1:
        print(
            f"\nmedians: {statistics.median(work / r[0] for r in rows):.0f} "
            f"run-epochs/s, {statistics.median(work / r[1] for r in rows):.0f} "
            "run-epochs per CPU-second"
        )


if __name__ == "__main__":
    main()
