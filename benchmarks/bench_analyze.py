"""Cost of ``blocksim-lstm analyze``: equilibria, linearization, Lyapunov exponent.

Usage: python benchmarks/bench_analyze.py [--repeats 5] [--starts 32]

Times :func:`blocksim_lstm.dynamics.analyze` in-process (after start-up and a
warm-up call), for the seed's calculated weights (Nn = 5) and for seeded uniform
[0, 1) weights (``LSTMParams.random(nn, 1, 1)``, as in the seed's experiment 1) with
Nn = 20 and 100; the parts separately; and the whole command as a fresh process
(start-up included) at Nn = 100. Medians over the repeats; prints Markdown.
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
from pathlib import Path

import numpy as np

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.dynamics import (
    analyze,
    driving_input,
    fixed_points,
    linear_summary,
    linearize,
)
from blocksim_lstm.dynamics._lyapunov import _contraction, _exponents, trajectory
from blocksim_lstm.training import calculated_weights


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--starts", type=int, default=32)
    args = ap.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, python {platform.python_version()}, numpy "
        f"{np.__version__}, OPENBLAS_NUM_THREADS={threads}"
    )
    print(
        f"{args.starts} starts, 100 + 500 trajectory steps, medians of {args.repeats}\n"
    )
    print(
        "| weights | Nn | analyze (s) | fixed points (s) | linearization (s) | "
        "Lyapunov (s) | contraction, 32 SVDs (s) | fixed points found | "
        "starts converged |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    analyze(LSTMParams.random(3, 1, 1), starts=2, steps=10)  # warm-up
    cases = [("calculated", calculated_weights())] + [
        ("uniform [0,1)", LSTMParams.random(nn, 1, 1, seed=0)) for nn in (20, 100)
    ]
    for name, p in cases:
        u0 = np.zeros(p.ni)
        t_all = _median(lambda p=p: analyze(p, starts=args.starts), args.repeats)
        eq = fixed_points(p, u0, starts=args.starts)
        t_fp = _median(
            lambda p=p, u0=u0: fixed_points(p, u0, starts=args.starts), args.repeats
        )
        x = eq.fixed_points[0].x if eq.fixed_points else np.zeros(2 * p.nn)
        t_lin = _median(
            lambda p=p, x=x, u0=u0: linear_summary(linearize(p, x, u0)),
            args.repeats,
        )
        drive = driving_input(p, u0, 600)
        X = trajectory(p, drive)
        t_le = _median(
            lambda p=p, X=X, d=drive: _exponents(p, X, d, 1, 100, 0), args.repeats
        )
        t_con = _median(
            lambda p=p, X=X, d=drive: _contraction(p, X, d, 100, 32), args.repeats
        )
        print(
            f"| {name} | {p.nn} | **{t_all:.3f}** | {t_fp:.3f} | {t_lin:.3f} | "
            f"{t_le:.3f} | {t_con:.3f} | {len(eq.fixed_points)} | "
            f"{eq.converged}/{args.starts} |"
        )
    with tempfile.TemporaryDirectory() as tmp:
        w = LSTMParams.random(100, 1, 1, seed=0).save(Path(tmp) / "w100.npz")
        cmd = [sys.executable, "-m", "blocksim_lstm", "analyze", "--weights", str(w)]
        cmd += ["--starts", str(args.starts), "--json"]

        def cli() -> None:
            subprocess.run(cmd, check=True, capture_output=True)

        t_cli = _median(cli, args.repeats)
    print(
        f"\nwhole command as a fresh process, Nn = 100: {t_cli:.2f} s "
        "(start-up and imports included)"
    )


if __name__ == "__main__":
    main()
