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
  compiles the package to bytecode; numba compiles what the run calls, or,
  since the engine choice, a child process starts compiling while numpy's
  kernels run the epochs);
- again: the same command a second time (a run that ended before numba was
  done left nothing in its cache);
- warm: after one run with ``BLOCKSIM_LSTM_ENGINE=compiled`` (which waits for
  numba, as any run longer than the compile does, and leaves numba's cache and
  the kernel file on disk), the same command, twice; and ``train --help`` (and
  ``simulate`` with ``--simulate``).

Each clone has its own ``BLOCKSIM_LSTM_CACHE`` (the compiled kernels' file).
Besides wall and CPU time, the probe records when the first epoch starts
(seconds from the probe's first line, i.e. without the ~20 ms of the
interpreter's own start).

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
import time
t0 = time.perf_counter()
import contextlib, io, json, runpy, sys
first = []
def _watch():  # time of the first epoch's start, if the revision has a Workspace
    try:
        from blocksim_lstm.training import _workspace as ws
    except ImportError:
        from blocksim_lstm.training import _kernels as ws
    real = ws.Workspace.train_chunk
    def chunk(self, *a, **k):
        if not first:
            first.append(time.perf_counter() - t0)
        return real(self, *a, **k)
    ws.Workspace.train_chunk = chunk
sys.argv = ["blocksim-lstm"] + json.loads(sys.argv[1])
if sys.argv[1] == "train" and "--help" not in sys.argv:
    _watch()
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("blocksim_lstm", run_name="__main__")
    except SystemExit as e:
        assert not e.code, e.code
import blocksim_lstm
print(json.dumps(first[0] if first else None))
print(blocksim_lstm.__file__)
"""

TRAIN = ["train", "--epochs", "10", "--json"]


def _run(
    argv: list[str], clone: Path, work: Path, engine: str = "auto"
) -> tuple[float, float, float | None]:
    """Wall and CPU seconds of one fresh process running the CLI from ``clone``,
    and the seconds from the probe's start to the first epoch (``train``)."""
    import json

    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(clone), MPLBACKEND="Agg")
    # the clone's own cache folder (the compiled kernels' file), and the engine
    env.update(BLOCKSIM_LSTM_CACHE=str(clone / ".cache"), BLOCKSIM_LSTM_ENGINE=engine)
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
    first = json.loads(r.stdout.splitlines()[-2])
    return wall, cpu, first


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
                # cold: a fresh clone; again: the same short run a second time
                # (the first ended before numba compiled: nothing cached); warm:
                # after a run that waited for numba (as any run longer than the
                # compile does), so its cache and the kernel file are on disk
                plan = [("cold", TRAIN, "auto"), ("again", TRAIN, "auto")]
                plan += [("prime", TRAIN, "compiled")]
                plan += [("warm", TRAIN, "auto"), ("warm", TRAIN, "auto")]
                plan += [(k, a, "auto") for k, a in commands.items()]
                for key, argv, engine in plan:
                    work = Path(tempfile.mkdtemp(dir=tmp)) / "cwd"
                    wall, cpu, first = _run(argv, clone, work, engine)
                    r.setdefault(key + " wall", []).append(wall)
                    r.setdefault(key + " cpu", []).append(cpu)
                    if first is not None:
                        r.setdefault(key + " first", []).append(first)
                    print(
                        f"{rev} {key} {argv}: {wall:.2f} s, CPU {cpu:.2f} s, first "
                        f"epoch at {first}",
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
    cols = ["cold", "again", "warm", *commands]
    names = ["cold `train --epochs 10`", "again", "warm", *commands]
    print("| revision | run | wall | CPU | first epoch starts at |")
    print("|---|---|---:|---:|---:|")
    for rev in revs:
        r = rows[rev]
        for c, name in zip(cols, names, strict=True):
            w, cp, f = r[c + " wall"], r[c + " cpu"], r.get(c + " first", [])
            print(
                f"| {rev} ({shas[rev]}) | {name} | {_med(w)} ({_spread(w)}) | "
                f"{_med(cp)} ({_spread(cp)}) | {_med(f)} ({_spread(f)}) |"
            )
    for rev in revs:
        names = compiled[rev]
        print(
            f"\nnumba functions compiled by the cold run of {rev} ({len(names)}): "
            + (", ".join(names) or "none")
        )


if __name__ == "__main__":
    main()
