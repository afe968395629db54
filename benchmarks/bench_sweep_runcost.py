"""Where one sweep run's CPU goes: the compiled epochs against the rest.

Usage::

    python benchmarks/bench_sweep_runcost.py [--runs 16] [--epochs 2000]

In this process (one thread, no workers), runs of the throughput benchmark's
sweep (random starts of the seed problem, drop factors 0.979-0.982, lr 0.04)
are done as a sweep's worker does them (``sweep._one``), each followed by the
same number of epochs as bare kernel calls (forward + backward on one
workspace, no update): interleaved, so a change of load hits both. Per run,
CPU milliseconds (``time.process_time``), medians and the smallest value:

- run: the whole run as a worker does it (starting weights, ``train``, the row);
- epochs: of that, the time inside ``Workspace.train_chunk`` (the compiled
  forward, backward and update calls and the Python loop over epochs);
- outside the epochs: run - epochs (weights, checks, run identity, workspace,
  final loss, summary, row);
- bare kernels: the same number of forward + backward calls alone.

Then the sweep's own work per run in the calling process, from a serial
``run_sweep`` into a table (``_timings``): the time between one run's end and
the next one's start (the row stored, the table rewritten atomically).

Last, whether two workers slow each other down (``--pairs N``, default 3):
fresh processes (BLAS pinned to one thread, as a sweep's workers) time 500
bare-kernel epochs 6 times (thread CPU), once alone and once two at once,
N rounds. Equal times mean the two cores are not shared (no SMT siblings, no
memory-bandwidth limit at this size); the pool's speed-up is then 2x minus
start-up and the tail.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import blocksim_lstm as bl
from blocksim_lstm.studies import sweep as sw
from blocksim_lstm.training import _kernels, _workspace
from blocksim_lstm.training.bptt import check_data, pack

FACTORS = [0.979, 0.98, 0.981, 0.982]

# a worker-like process: bare kernel epochs, timed from a common start
PAIR_CHILD = """
import statistics, sys, time
from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.training import _kernels as K
from blocksim_lstm.training import _workspace as W
from blocksim_lstm.training.bptt import check_data, pack
from blocksim_lstm.training.data import seed_data
u, y = seed_data()
p = LSTMParams.random(5, 1, 1, seed=0, states=False)
u, y = check_data(p, u, y)
th = pack(p)
ws = W.Workspace(u, y, p.h0, p.c0, th.size, engine="compiled")
ws.loss(th)
fa, ba = ws._fwd_args, ws._bwd_args
K.backward(*ba)
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.005)
ms = []
for _ in range(6):
    c = time.thread_time()
    for _ in range(500):
        K.forward(*fa)
        K.backward(*ba)
    ms.append((time.thread_time() - c) / 500 * 1e3)
print(min(ms), statistics.median(ms))
"""


def _pair(n: int) -> list[tuple[float, float]]:
    """(smallest, median) ms per epoch of ``n`` processes started together."""
    env = {
        **os.environ,
        **{k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")},
    }
    start = time.time() + 5.0  # after their imports
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PAIR_CHILD, str(start)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(n)
    ]
    out = []
    for proc in procs:
        lo, med = proc.communicate()[0].split()
        out.append((float(lo), float(med)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args()
    base = bl.TrainOptions(epochs=args.epochs, lr=0.04, drop_period=100)
    runs = sw.grid(seeds=range(-(-args.runs // 4)), base=base, drop_factor=FACTORS)
    runs = runs[: args.runs]
    u, y = sw.seed_data()
    u, y = check_data(sw.calculated_weights(), u, y)
    p = bl.LSTMParams.random(5, 1, 1, seed=0, states=False)
    theta = pack(p)
    ws = _workspace.Workspace(u, y, p.h0, p.c0, theta.size, engine="compiled")
    ws.loss(theta)  # binds the kernels' arguments
    fwd, bwd = ws._fwd_args, ws._bwd_args  # noqa: SLF001

    inside = [0.0]
    chunk = _workspace.Workspace.train_chunk

    def timed_chunk(self, *a):  # type: ignore[no-untyped-def]
        c = time.process_time()
        try:
            return chunk(self, *a)
        finally:
            inside[0] += time.process_time() - c

    _workspace.Workspace.train_chunk = timed_chunk  # type: ignore[method-assign]
    sw._one(runs[0], u, y)  # warm: numba's cache, first calls
    load0 = os.getloadavg()[0]
    whole, epochs, bare = [], [], []
    for r in runs:
        inside[0] = 0.0
        c = time.process_time()
        sw._one(r, u, y)
        whole.append(time.process_time() - c)
        epochs.append(inside[0])
        c = time.process_time()
        for _ in range(args.epochs):
            _kernels.forward(*fwd)
            _kernels.backward(*bwd)
        bare.append(time.process_time() - c)
    _workspace.Workspace.train_chunk = chunk  # type: ignore[method-assign]
    timings: list[tuple[int, float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sw.run_sweep(
            runs, data=(u, y), processes=1, out_csv=Path(tmp, "t.csv"), _timings=timings
        )
    gaps = [b[1] - a[2] for a, b in zip(timings, timings[1:], strict=False)]
    load1 = os.getloadavg()[0]

    def ms(values: list[float]) -> str:
        return f"{1e3 * statistics.median(values):.1f} | {1e3 * min(values):.1f}"

    outside = [a - b for a, b in zip(whole, epochs, strict=True)]
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {len(runs)} runs x {args.epochs} "
        f"epochs in one process; load average {load0:.1f} before, {load1:.1f} after\n"
    )
    print("| per run, CPU ms | median | smallest |")
    print("|---|---:|---:|")
    print(f"| run (`sweep._one`) | {ms(whole)} |")
    print(f"| epochs (`train_chunk`) | {ms(epochs)} |")
    print(f"| outside the epochs | {ms(outside)} |")
    print(f"| bare kernels, same epochs | {ms(bare)} |")
    print(f"| the sweep between runs (table), wall | {ms(gaps)} |")
    share = statistics.median(outside) / statistics.median(whole)
    ratio = statistics.median(epochs) / statistics.median(bare)
    print(
        f"\noutside the epochs: {100 * share:.2f} % of a run; epochs / bare "
        f"kernels: {ratio:.3f}"
    )
    if args.pairs < 1:
        return
    alone: list[float] = []
    two: list[float] = []
    lo_alone: list[float] = []
    lo_two: list[float] = []
    for _ in range(args.pairs):
        (a,) = _pair(1)
        b = _pair(2)
        lo_alone.append(a[0])
        alone.append(a[1])
        lo_two += [x[0] for x in b]
        two += [x[1] for x in b]
    print(
        f"\nbare kernels, ms per epoch (thread CPU), {args.pairs} rounds; load "
        f"average {os.getloadavg()[0]:.1f} after\n"
    )
    print("| | median | smallest |")
    print("|---|---:|---:|")
    print(
        f"| one process alone | {statistics.median(alone):.3f} | {min(lo_alone):.3f} |"
    )
    print(
        f"| two processes at once | {statistics.median(two):.3f} | {min(lo_two):.3f} |"
    )


if __name__ == "__main__":
    main()
