"""How fast a sweep answers Ctrl-C, and how fast its workers die with it (Linux).

Usage: python benchmarks/bench_sweep_faults.py [--repeats 3]

Starts ``blocksim-lstm sweep`` (2 workers; 3 runs that fail at epoch 2, then 3
runs of 3,000,000 epochs) in a scratch folder and, once the workers train the
long runs (or, for "starting", as soon as they exist), sends it

- SIGINT to its process group (a terminal's Ctrl-C): seconds until the
  "interrupted" line (workers killed and reaped, table final) and until the
  process has exited;
- SIGKILL: seconds until every worker is gone.

Medians over the repeats; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from blocksim_lstm.training import seed_data

GRID = ["--seeds", "0:3", "--epochs", "3000000", "--lr", "1e160,0.04"]
GRID += ["--drop-factor", "0.98", "--processes", "2"]


def _workers(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z" and b"_sweep_worker" in cmd:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _rows(out: Path) -> int:
    try:
        return len((out / "sweep.csv").read_text().splitlines()) - 1
    except OSError:
        return 0


def _once(folder: Path, data: Path, how: str) -> tuple[float, float]:
    out = folder / how
    cmd = [sys.executable, "-m", "blocksim_lstm", "sweep", *GRID]
    cmd += ["--data", str(data), "--out", str(out)]
    with open(folder / f"{how}.err", "w") as err:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True
        )
    try:
        while len(_workers(proc.pid)) < 2 or (how != "starting" and _rows(out) < 3):
            time.sleep(0.005)
        workers = _workers(proc.pid)
        t0 = time.monotonic()
        if how == "SIGINT":
            os.killpg(proc.pid, signal.SIGINT)
            log = folder / f"{how}.err"
            while "interrupted" not in log.read_text():
                time.sleep(0.002)
            t1 = time.monotonic()
            proc.wait()
            return t1 - t0, time.monotonic() - t0
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        while any(_alive(w) for w in workers):
            time.sleep(0.002)
        return time.monotonic() - t0, float("nan")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
        f"python {platform.python_version()}, numpy {np.__version__}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        u, y = seed_data(200, seed=1)
        np.savez(folder / "d.npz", u=u, y=y)
        print("| signal | workers | stopped (s) | process exited (s) |")
        print("|---|---|---|---|")
        for how, label in (
            ("SIGINT", "training"),
            ("SIGKILL", "training"),
            ("starting", "starting"),
        ):
            times = []
            for k in range(args.repeats):
                sub = folder / f"{how}{k}"
                sub.mkdir()
                times.append(_once(sub, folder / "d.npz", how))
            a = statistics.median(t[0] for t in times)
            b = statistics.median(t[1] for t in times)
            sig = "SIGINT (group)" if how == "SIGINT" else "SIGKILL (sweep)"
            exited = "—" if np.isnan(b) else f"{b:.2f}"
            print(f"| {sig} | {label} | {a:.2f} | {exited} |")


if __name__ == "__main__":
    main()
