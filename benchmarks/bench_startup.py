"""Start-up of `blocksim-lstm train` and `simulate`: cold and warm, what is imported.

Usage: python benchmarks/bench_startup.py [--tree PATH] [--repeats 3]

``--tree`` runs another checkout of the package (e.g. main, for a before/after):
it is put first on ``PYTHONPATH``. Every run is a fresh process in an empty
working folder:

- cold: empty numba cache (``NUMBA_CACHE_DIR``) and no ``.pyc`` (an empty
  ``PYTHONPYCACHEPREFIX``): what the first run in a fresh clone pays;
- warm: the same caches again, now filled by the cold run (median of repeats).

For each, the wall time of ``train --epochs 10 --json``, of ``train --help`` and of
``simulate`` (the seed diagram), and for ``train`` the heavy modules it loaded and
the numba functions it compiled (cache index files written by the cold run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("control", "scipy.signal", "matplotlib.pyplot", "bdsim", "numba", "scipy")

_PROBE = r"""
import runpy, sys, json, io, contextlib
sys.argv = ["blocksim-lstm"] + {argv!r}
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        runpy.run_module("blocksim_lstm", run_name="__main__")
except SystemExit as e:
    assert not e.code, e.code
mods = [m for m in {heavy!r} if m in sys.modules]
import blocksim_lstm
print(json.dumps({{"modules": mods, "file": blocksim_lstm.__file__}}))
"""


def _run(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, dict]:
    """Wall and CPU (user + system) seconds of one fresh process, and its report."""
    code = _PROBE.format(argv=argv, heavy=HEAVY)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if r.returncode:
        raise SystemExit(f"{argv}: {r.stderr}")
    return dt, cpu, json.loads(r.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    load = os.getloadavg()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, python {platform.python_version()}; tree "
        f"{args.tree}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n"
    )
    commands = {
        "train --epochs 10 --json": ["train", "--epochs", "10", "--json"],
        "train --help": ["train", "--help"],
        "simulate": ["simulate"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(args.tree.resolve()),
            "NUMBA_CACHE_DIR": os.path.join(tmp, "numba"),
            "PYTHONPYCACHEPREFIX": os.path.join(tmp, "pyc"),
            "BLOCKSIM_LSTM_CACHE": os.path.join(tmp, "gen"),
            "MPLBACKEND": "Agg",
        }
        print(
            "| command | cold wall (s) | cold CPU (s) | warm wall (s, median) "
            "| warm CPU (s, median) | heavy modules loaded |"
        )
        print("|---|---:|---:|---:|---:|---|")
        compiled: list[str] = []
        for label, argv in commands.items():
            work = tempfile.mkdtemp(dir=tmp)
            cold, cold_cpu, info = _run(argv, env, work)
            if label.startswith("train --epochs"):
                idx = sorted(Path(tmp, "numba").rglob("*.nbi"))
                compiled = [
                    f"{p.name.split('.py')[0]} x"
                    f"{len(list(p.parent.glob(p.name[:-4] + '.*.nbc')))}"
                    for p in idx
                ]
            warm, warm_cpu = [], []
            for _ in range(args.repeats):
                work = tempfile.mkdtemp(dir=tmp)
                dt, cpu, info = _run(argv, env, work)
                warm.append(dt)
                warm_cpu.append(cpu)
            assert Path(info["file"]).is_relative_to(args.tree.resolve()), info
            mods = ", ".join(info["modules"]) or "none"
            print(
                f"| {label} | {cold:.2f} | {cold_cpu:.2f} | "
                f"{statistics.median(warm):.2f} | {statistics.median(warm_cpu):.2f} "
                f"| {mods} |"
            )
        print(
            f"\nnumba functions compiled by the cold `train --epochs 10` "
            f"(x specializations) ({len(compiled)}): {', '.join(compiled)}"
        )
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
