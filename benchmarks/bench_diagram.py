"""Per-step cost of the bdsim block diagram and of the vectorized reference cell.

Usage: python benchmarks/bench_diagram.py [--repeats 5] [--steps 1001]

For Nn = 3, 5, 50, 200 (Ni = 4, No = 2, the seed's widths) it times, for one
1001-step sequence: building the diagram, compiling it, running it, and running
the reference cell. Medians over the repeats; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from blocksim_lstm import LSTMParams, reference_cell
from blocksim_lstm._diagram import build_lstm_diagram


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1001)
    args = ap.parse_args()
    u = np.random.default_rng(0).standard_normal((args.steps, 4))
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"{args.steps} steps, medians of {args.repeats} repeats\n")
    print(
        "| Nn | build (ms) | compile (ms) | diagram run (ms) | diagram per step (us) "
        "| reference run (ms) | reference per step (us) | diagram / reference |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    build_lstm_diagram(LSTMParams.random(), u[:2]).run()  # warm-up: imports, bdsim
    for nn in (3, 5, 50, 200):
        p = LSTMParams.random(nn, 4, 2, seed=1)
        t_build = _median_time(lambda p=p: build_lstm_diagram(p, u), args.repeats)
        diagrams = [build_lstm_diagram(p, u) for _ in range(args.repeats)]
        it = iter(diagrams)
        t_compile = _median_time(lambda it=it: next(it).compile(), args.repeats)
        d = diagrams[0]
        t_run = _median_time(d.run, args.repeats)
        t_ref = _median_time(lambda p=p: reference_cell(p, u), args.repeats)
        n = args.steps
        print(
            f"| {nn} | {t_build * 1e3:.1f} | {t_compile * 1e3:.1f} | "
            f"{t_run * 1e3:.0f} | {t_run / n * 1e6:.0f} | {t_ref * 1e3:.1f} | "
            f"{t_ref / n * 1e6:.1f} | {t_run / t_ref:.0f}x |"
        )


if __name__ == "__main__":
    main()
