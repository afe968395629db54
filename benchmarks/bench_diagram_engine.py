"""bdsim's run against the compiled engine on the one-layer LSTM diagram.

Usage: python benchmarks/bench_diagram_engine.py [--repeats 7] [--steps 1001]
       [--sizes 5 200]

For each Nn (Ni = No = 1, the training seed's widths) it builds and compiles one
diagram, then times, interleaved round by round, ``diagram.run()`` (bdsim) and
``diagram.run(engine="compiled")`` (code generation + the numba run + the
``DiagramRun``), and checks every wire of the two agrees (<= 1e-15 of its scale).
Medians over the rounds and their ratio.

Compile time is measured apart, in fresh processes: cold (empty numba cache and
empty generated-code cache) and warm (both caches on disk from the cold run).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import blocksim_lstm as bl

_FIRST_RUN = r"""
import time
t0 = time.perf_counter()
import numpy as np
import blocksim_lstm as bl
p = bl.LSTMParams.random({nn}, 1, 1, seed=1)
u = np.random.default_rng(0).standard_normal(({steps}, 1))
d = bl.build_lstm_diagram(p, u)
d.compile()
t1 = time.perf_counter()
d.run(engine="compiled")
t2 = time.perf_counter()
d.run(engine="compiled")
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def _first_runs(nn: int, steps: int) -> list[tuple[float, float, float]]:
    """(set-up, first compiled run, second run) seconds: cold, then warm caches."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "NUMBA_CACHE_DIR": os.path.join(tmp, "numba"),
            "BLOCKSIM_LSTM_CACHE": os.path.join(tmp, "gen"),
        }
        code = _FIRST_RUN.format(nn=nn, steps=steps)
        for _ in ("cold", "warm"):
            r = subprocess.run(
                [sys.executable, "-c", code],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            a, b, c = (float(x) for x in r.stdout.split())
            out.append((a, b, c))
    return out


def _check(ref: bl.LSTMDiagram, got: object) -> float:
    worst = 0.0
    for k, a in ref.signals.items():  # type: ignore[attr-defined]
        b = got.signals[k]  # type: ignore[attr-defined]
        scale = max(1.0, float(np.max(np.abs(a))))
        worst = max(worst, float(np.max(np.abs(a - b))) / scale)
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--steps", type=int, default=1001)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 200])
    args = ap.parse_args()
    load = os.getloadavg()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, python {platform.python_version()}, "
        f"numpy {np.__version__}; load average {load[0]:.1f} {load[1]:.1f} "
        f"{load[2]:.1f}"
    )
    print(f"{args.steps} steps, Ni = No = 1, medians of {args.repeats} rounds\n")
    print(
        "| Nn | bdsim run (ms) | compiled run (ms) | bdsim / compiled "
        "| max wire difference / scale |"
    )
    print("|---:|---:|---:|---:|---:|")
    compiles = {}
    for nn in args.sizes:
        compiles[nn] = _first_runs(nn, args.steps)
        p = bl.LSTMParams.random(nn, 1, 1, seed=1)
        u = np.random.default_rng(0).standard_normal((args.steps, 1))
        d = bl.build_lstm_diagram(p, u)
        d.compile()
        ref = d.run()
        got = d.run(engine="compiled")  # loads the cache the subprocess left
        worst = _check(ref, got)
        t_b, t_c = [], []
        for _ in range(args.repeats):  # interleaved rounds
            t0 = time.perf_counter()
            d.run()
            t1 = time.perf_counter()
            d.run(engine="compiled")
            t2 = time.perf_counter()
            t_b.append(t1 - t0)
            t_c.append(t2 - t1)
        mb, mc = statistics.median(t_b), statistics.median(t_c)
        print(
            f"| {nn} | {mb * 1e3:.1f} | {mc * 1e3:.2f} | {mb / mc:.0f}x | {worst:.1e} |"
        )
    print(
        "\nFirst compiled run in a fresh process (s): set-up = imports + build + "
        "bdsim compile; first = code generation + numba compile or cache load + run"
    )
    print("\n| Nn | caches | set-up | first compiled run | second run |")
    print("|---:|---|---:|---:|---:|")
    for nn, rows in compiles.items():
        for label, (a, b, c) in zip(("cold", "warm (on disk)"), rows, strict=True):
            print(f"| {nn} | {label} | {a:.2f} | {b:.2f} | {c:.3f} |")
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
