"""Time per training epoch: our numba engine against PyTorch, side by side.

Problem: the seed's (Nn = 5, Ni = 1, No = 1, 1001 steps, one sequence, full
batch, float64): forward, backpropagation through time, per-array gradient
clipping at 1 and an Adam update per epoch. The engine is the deterministic one
(same bytes on every x86-64: no BLAS, no fast-math, no libm); to time an older
engine, put its checkout first on the path (``PYTHONPATH=/path/to/checkout``):
the benchmark only uses ``_kernels.Workspace.train_chunk``. PyTorch runs ``nn.LSTM`` +
``nn.Linear`` + ``torch.optim.Adam`` with ``clip_grad_norm_`` per parameter on the
same data, in float64, if it is installed. Also: how the time grows with Nn
(5, 20, 100) and with the sequence length (100, 1001, 10000).

Run:  PYTHONPATH=. python benchmarks/bench_training.py [--repeats 200] [--json]
      [--cpu-time]  (process CPU time instead of wall time: steadier on a
      machine shared with other jobs)
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import time

import numpy as np

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import TrainOptions, pack
from blocksim_lstm.training import _kernels as K
from blocksim_lstm.training.bptt import segments
from blocksim_lstm.training.optim import DECAY_MASK

# PyTorch configurations: (column, dtype, threads; None = torch's default)
PEERS = [
    ("torch64_ms", "float64", None),
    ("torch64_1t_ms", "float64", 1),
    ("torch32_1t_ms", "float32", 1),
]


def problem(nn: int, nt: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = LSTMParams.random(nn, 1, 1, seed=seed, states=False)
    p = p.replace(W=p.W - 0.5, R=(p.R - 0.5) / np.sqrt(nn), F=p.F - 0.5)
    u = rng.standard_normal((1, nt, 1))
    y = np.cumsum(u, axis=1) * 0.1
    return p, u, y


CLOCK = time.perf_counter  # --cpu-time: time.process_time


def median_ms(fn, repeats: int, budget_s: float = 3.0) -> float:
    """Median time of ``fn()`` in ms: ``repeats`` calls or ``budget_s`` seconds."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats and (
        len(times) < 5 or time.perf_counter() - start < budget_s
    ):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return 1e3 * float(np.median(times))


def ours_ms(p: LSTMParams, u: np.ndarray, y: np.ndarray, repeats: int) -> float:
    """Median ms of one epoch = one compiled call (forward, BPTT, clip, Adam)."""
    theta = pack(p)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    ws = K.Workspace(u, y, p.h0, p.c0, theta.size)
    seg = segments(p.nn, p.ni, p.no)
    o = TrainOptions(lr=1e-4)
    lrs = np.full(1, 1e-4)
    losses = np.empty(1)
    step = [0]

    def epoch() -> None:
        ws.train_chunk(
            theta,
            m,
            v,
            step[0],
            lrs,
            losses,
            seg,
            o.active_mask(),
            DECAY_MASK,
            0.0,
            o.clip_mode(),
            1.0,
            0.9,
            0.999,
            1e-8,
        )
        step[0] += 1

    epoch()  # compile or load the cache
    return median_ms(epoch, repeats)


def torch_ms(
    p: LSTMParams,
    u: np.ndarray,
    y: np.ndarray,
    repeats: int,
    *,
    dtype: str,
    threads: int | None,
) -> float | None:
    """Median ms of one PyTorch epoch on the same problem, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    default_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    tdt = getattr(torch, dtype)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(p.ni, p.nn, batch_first=True).to(tdt)
    fc = torch.nn.Linear(p.nn, p.no).to(tdt)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.tensor(p.W))
        lstm.weight_hh_l0.copy_(torch.tensor(p.R))
        lstm.bias_ih_l0.copy_(torch.tensor(p.b))
        lstm.bias_hh_l0.zero_()
        fc.weight.copy_(torch.tensor(p.F))
        fc.bias.zero_()
    lstm.bias_hh_l0.requires_grad_(False)  # MATLAB has one bias vector
    params = [q for q in (*lstm.parameters(), *fc.parameters()) if q.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    uu, yy = torch.tensor(u, dtype=tdt), torch.tensor(y, dtype=tdt)

    def epoch() -> None:
        opt.zero_grad()
        hs, _ = lstm(uu)
        loss = torch.mean((fc(hs) - yy) ** 2)
        loss.backward()
        for q in params:  # MATLAB's 'l2norm': each array separately
            torch.nn.utils.clip_grad_norm_([q], 1.0)
        opt.step()

    for _ in range(3):
        epoch()
    try:
        return median_ms(epoch, repeats)
    finally:
        torch.set_num_threads(default_threads)


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in out.splitlines()
                if ln.startswith("Model name")
            ),
            platform.processor(),
        )
    except OSError:
        model = platform.processor()
    import os

    return f"{model}, {os.cpu_count()} logical cores, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time")
    ap.add_argument(
        "--ours-only", action="store_true", help="skip PyTorch (e.g. for A/B runs)"
    )
    args = ap.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    rows = []
    cases = [(5, 1001), (20, 1001), (100, 1001), (5, 100), (5, 10000)]
    for nn, nt in cases:
        p, u, y = problem(nn, nt)
        row = {"Nn": nn, "steps": nt, "ours_ms": ours_ms(p, u, y, args.repeats)}
        for label, dtype, threads in PEERS:
            row[label] = (
                None
                if args.ours_only
                else torch_ms(p, u, y, args.repeats, dtype=dtype, threads=threads)
            )
        rows.append(row)
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "machine": machine(),
        "clock": "process CPU time" if args.cpu_time else "wall time",
        "engine": K.__file__,
        "rows": rows,
    }
    try:
        import torch

        info["torch"] = f"{torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        info["torch"] = "not installed"
    if args.json:
        print(json.dumps(info, indent=2))
        return
    print(f"{info['date']}  {info['machine']}  torch {info['torch']}")
    print(f"{info['clock']}; engine {info['engine']}")
    print(
        "| Nn | steps | ours f64 (ms/epoch) | torch f64 | torch f64 1 thread "
        "| torch f32 1 thread | best torch / ours |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peers = [r[label] for label, _, _ in PEERS]
        cells = ["n/a" if t is None else f"{t:.3f}" for t in peers]
        known = [t for t in peers if t is not None]
        ratio = f"{min(known) / r['ours_ms']:.1f}x" if known else "n/a"
        print(
            f"| {r['Nn']} | {r['steps']} | {r['ours_ms']:.3f} | "
            + " | ".join(cells)
            + f" | {ratio} |"
        )


if __name__ == "__main__":
    main()
