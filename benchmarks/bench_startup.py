"""Start-up of `blocksim-lstm train`: the first run in a fresh clone, and warm runs.

Usage::

    python benchmarks/bench_startup.py [--rev HEAD] [--rev 8cf4c6a ...]
        [--repeats 3] [--simulate]

For each repeat and each ``--rev`` (default: ``HEAD`` of the repository this
script is in; revisions are interleaved, so that a change of load on a shared
machine hits all of them):

- ``git clone`` of the repository into a new temporary folder, checked out at
  the revision: no ``__pycache__`` anywhere, so no ``.pyc`` and no numba cache
  (numba caches next to the sources; ``NUMBA_CACHE_DIR`` is removed from the
  environment). The package is imported from the clone (``PYTHONPATH``; checked);
  its dependencies are this Python's.
- cold: the first ``blocksim-lstm train --epochs 10 --json`` there (Python
  compiles the package to bytecode, numba compiles what the run calls);
- warm: the same command again (``.pyc`` and the numba cache now on disk), and
  ``train --help`` (and ``simulate`` with ``--simulate``).

Every run is a fresh process in an empty working folder; wall time and CPU time
(user + system of the child) are printed as medians over the repeats, in a
Markdown table, with the numba functions the cold run compiled (the cache
index files it wrote) and the load average before and after.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = r"""
import contextlib, io, json, runpy, sys
sys.argv = ["blocksim-lstm"] + json.loads(sys.argv[1])
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("blocksim_lstm", run_name="__main__")
    except SystemExit as e:
        assert not e.code, e.code
import blocksim_lstm
print(blocksim_lstm.__file__)
"""

TRAIN = ["train", "--epochs", "10", "--json"]


def _run(argv: list[str], clone: Path, work: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh process running the CLI from ``clone``."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(clone), MPLBACKEND="Agg")
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    work.mkdir()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode:
        raise SystemExit(f"{argv} in {clone}: {r.stderr}")
    used = Path(r.stdout.splitlines()[-1]).resolve()
    if not used.is_relative_to(clone.resolve()):
        raise SystemExit(f"imported {used}, not the clone {clone}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu


def _clone(rev: str, dest: Path) -> str:
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)], check=True
    )
    subprocess.run(["git", "-C", str(dest), "checkout", "--quiet", rev], check=True)
    out = subprocess.run(
        ["git", "-C", str(dest), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f}" if xs else "-"


def _spread(xs: list[float]) -> str:
    return f"{min(xs):.2f}–{max(xs):.2f}" if len(xs) > 1 else "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", action="append", help="revision(s) to clone (HEAD)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh clones per rev")
    ap.add_argument("--simulate", action="store_true", help="also time `simulate`")
    args = ap.parse_args()
    revs = args.rev or ["HEAD"]
    commands = {"train --help": ["train", "--help"]}
    if args.simulate:
        commands["simulate"] = ["simulate"]
    load0 = os.getloadavg()
    rows: dict[str, dict[str, list[float]]] = {}
    shas: dict[str, str] = {}
    compiled: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for rev in revs:
                clone = Path(tempfile.mkdtemp(dir=tmp)) / "clone"
                shas[rev] = _clone(rev, clone)
                r = rows.setdefault(rev, {})
                plan = [("cold", TRAIN), ("warm", TRAIN), ("warm", TRAIN)]
                plan += list(commands.items())
                for key, argv in plan:
                    work = Path(tempfile.mkdtemp(dir=tmp)) / "cwd"
                    wall, cpu = _run(argv, clone, work)
                    r.setdefault(key + " wall", []).append(wall)
                    r.setdefault(key + " cpu", []).append(cpu)
                    print(
                        f"{rev} {key} {argv}: {wall:.2f} s, CPU {cpu:.2f} s",
                        file=sys.stderr,
                        flush=True,
                    )
                    if key == "cold":
                        compiled[rev] = sorted(
                            p.name.split(".py")[0]
                            for p in clone.rglob("__pycache__/*.nbi")
                        )
    load1 = os.getloadavg()
    print(
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average "
        f"{load0[0]:.1f} before, {load1[0]:.1f} after; {args.repeats} fresh "
        "clone(s) per revision; medians (range) in seconds\n"
    )
    cols = ["cold", "warm", *commands]
    head = "| revision | " + " | ".join(
        f"{c} wall | {c} CPU" for c in ["cold `train --epochs 10`", "warm", *commands]
    )
    print(head + " |")
    print("|---|" + "---:|" * (2 * len(cols)))
    for rev in revs:
        r = rows[rev]
        cells = []
        for c in cols:
            w, cp = r[c + " wall"], r[c + " cpu"]
            cells += [f"{_med(w)} ({_spread(w)})", f"{_med(cp)} ({_spread(cp)})"]
        print(f"| {rev} ({shas[rev]}) | " + " | ".join(cells) + " |")
    for rev in revs:
        names = compiled[rev]
        print(
            f"\nnumba functions compiled by the cold run of {rev} ({len(names)}): "
            + (", ".join(names) or "none")
        )


if __name__ == "__main__":
    main()
