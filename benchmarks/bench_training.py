"""Time per training epoch: our numba engine against PyTorch, side by side.

Problem: the seed's (Nn = 5, Ni = 1, No = 1, 1001 steps, one sequence, full
batch, float64): forward, backpropagation through time, per-array gradient
clipping at 1 and an Adam update per epoch. The engine is the deterministic one
(same bytes on every x86-64: no BLAS, no fast-math, no libm); to time an older
engine, put its checkout first on the path (``PYTHONPATH=/path/to/checkout``):
the benchmark only uses ``Workspace.train_chunk`` (numba's kernels). PyTorch runs
``nn.LSTM`` +
``nn.Linear`` + ``torch.optim.Adam`` with ``clip_grad_norm_`` per parameter on the
same data, in float64 and float32, if it is installed; our float32 mode
(``TrainOptions(dtype="float32")``) too. All engines of one problem run in
interleaved rounds (one epoch of each per round) and the medians are compared,
so that a change of load on a shared machine hits all of them. Also: how the
time grows with Nn (5, 20, 100, 200) and with the sequence length (100, 1001,
10000).

Run:  PYTHONPATH=. python benchmarks/bench_training.py [--repeats 200] [--json]
      [--cpu-time]  (process CPU time instead of wall time: steadier on a
      machine shared with other jobs) [--sizes 5,20,100,200] [--no-lengths]
      [--before DIR]  (also the kernels of another checkout, e.g. a
      ``git worktree`` of the previous commit, in the same interleaved rounds:
      columns "before f64", "before f32") [--before-first]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable

import numpy as np

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import TrainOptions, pack
from blocksim_lstm.training import _workspace as K
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


def interleaved_ms(
    fns: dict[str, Callable[[], None]], repeats: int, budget_s: float
) -> dict[str, float]:
    """Median ms of each ``fn()``, called in rounds (one call of each per round,
    the order rotated from round to round).

    Rounds run until ``repeats`` or until ``budget_s`` seconds have passed (at
    least 5), so that a change of load on a shared machine hits every engine.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    start = time.perf_counter()
    rounds = 0
    while rounds < repeats and (rounds < 5 or time.perf_counter() - start < budget_s):
        # each round starts with the next engine: the one that runs right after
        # another (torch, say) pays for the caches that one left behind
        r = rounds % len(names)
        for name in names[r:] + names[:r]:
            t0 = CLOCK()
            fns[name]()
            times[name].append(CLOCK() - t0)
        rounds += 1
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}


def kernels_of(checkout: str):
    """numba's ``_kernels`` of another checkout (same argument lists as ours),
    loaded in a package of its own name (see bench_kernels_ab.py)."""
    from bench_kernels_ab import kernels_of as load

    return load(checkout)


def ours_epoch(
    p: LSTMParams,
    u: np.ndarray,
    y: np.ndarray,
    dtype: str = "float64",
    kernels=None,
) -> Callable[[], None]:
    """One epoch (forward, BPTT, clip, Adam: three compiled calls), warmed up.

    ``kernels``: another checkout's (``--before``); by default this one's
    compiled kernels as a run gets them (from their file, see README).
    """
    theta = pack(p)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    ws = K.Workspace(u, y, p.h0, p.c0, theta.size, dtype, engine="compiled")
    if kernels is not None:
        ws.kernels = lambda: kernels  # type: ignore[method-assign]
    seg = segments(p.nn, p.ni, p.no)
    o = TrainOptions(lr=1e-4)
    lrs = np.full(1, 1e-4)
    losses = np.empty(1)
    step = [0]
    active, clip = o.active_mask(), o.clip_mode()  # made once, as train() does

    def epoch() -> None:
        ws.train_chunk(
            theta,
            m,
            v,
            step[0],
            lrs,
            losses,
            seg,
            active,
            DECAY_MASK,
            0.0,
            clip,
            1.0,
            0.9,
            0.999,
            1e-8,
        )
        step[0] += 1

    epoch()  # compile or load the cache
    return epoch


def torch_epoch(
    p: LSTMParams, u: np.ndarray, y: np.ndarray, *, dtype: str
) -> Callable[[], None] | None:
    """One PyTorch epoch on the same problem (warmed up), or None without torch.

    Runs on the number of threads set by ``torch.set_num_threads`` at call time.
    """
    try:
        import torch
    except ImportError:
        return None
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
    return epoch


def one_thread(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` run with torch on one thread (restored afterwards)."""
    import torch

    def call() -> None:
        n = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            fn()
        finally:
            torch.set_num_threads(n)

    return call


def measure(
    nn: int,
    nt: int,
    repeats: int,
    budget_s: float,
    with_torch: bool,
    torch_threads: bool = False,
    before=None,
    before_first: bool = False,
) -> dict[str, object]:
    """Every engine on one problem, interleaved: median ms per epoch of each.

    The engines' buffers are made in the order ours, before (or before, ours
    with ``before_first``): at Nn = 5 two identical engines made one after
    the other differed by up to 14 % per epoch with torch in the rounds (where
    their arrays landed), so an A/B at small sizes is run in both orders.
    """
    p, u, y = problem(nn, nt)
    fns: dict[str, Callable[[], None]] = {}
    if before is not None and before_first:
        fns["before_ms"] = ours_epoch(p, u, y, "float64", before)
        fns["before32_ms"] = ours_epoch(p, u, y, "float32", before)
    fns["ours_ms"] = ours_epoch(p, u, y, "float64")
    fns["ours32_ms"] = ours_epoch(p, u, y, "float32")
    if before is not None and not before_first:
        fns["before_ms"] = ours_epoch(p, u, y, "float64", before)
        fns["before32_ms"] = ours_epoch(p, u, y, "float32", before)
    if with_torch:
        for label, dtype, threads in PEERS:
            if threads is None and not torch_threads:
                continue
            fn = torch_epoch(p, u, y, dtype=dtype)
            if fn is not None:
                fns[label] = fn if threads is None else one_thread(fn)
    row: dict[str, object] = {"Nn": nn, "steps": nt}
    row.update({label: None for label, _, _ in PEERS})
    row.update(interleaved_ms(fns, repeats, budget_s))
    return row


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
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=200, help="rounds at most")
    ap.add_argument(
        "--budget", type=float, default=6.0, help="seconds per problem at most"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu-time", action="store_true", help="process CPU time")
    ap.add_argument(
        "--ours-only", action="store_true", help="skip PyTorch (e.g. for A/B runs)"
    )
    ap.add_argument(
        "--torch-threads",
        action="store_true",
        help="also torch float64 on its default threads (very slow when the "
        "other cores are busy: its threads spin)",
    )
    ap.add_argument(
        "--sizes",
        default="5,20,100,200",
        help="units Nn at 1001 steps (comma-separated; default 5,20,100,200)",
    )
    ap.add_argument(
        "--no-lengths", action="store_true", help="skip the 100 and 10000 step runs"
    )
    ap.add_argument(
        "--before",
        metavar="DIR",
        help="also time the kernels of this checkout in the same rounds",
    )
    ap.add_argument(
        "--before-first",
        action="store_true",
        help="make the --before engines' buffers before ours",
    )
    args = ap.parse_args()
    before = kernels_of(args.before) if args.before else None
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    cases = [(int(n), 1001) for n in args.sizes.split(",") if n]
    if not args.no_lengths:
        cases += [(5, 100), (5, 10000)]
    load0 = os.getloadavg()[0]
    rows = [
        measure(
            nn,
            nt,
            args.repeats,
            args.budget,
            not args.ours_only,
            args.torch_threads,
            before,
            args.before_first,
        )
        for nn, nt in cases
    ]
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC"
        ),
        "machine": machine(),
        "clock": "process CPU time" if args.cpu_time else "wall time",
        "load": f"load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after",
        "engine": K.__file__,
        "before": None if before is None else before.__file__,
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
    print(f"{info['clock']}, interleaved rounds, medians; {info['load']}")
    print(f"engine {info['engine']}")
    ours = ["ours_ms", "ours32_ms"]
    heads = ["ours f64 (ms/epoch)", "ours f32"]
    if before is not None:
        print(f"before {info['before']}")
        ours += ["before_ms", "before32_ms"]
        heads += ["before f64", "before f32"]
    heads += ["torch f64", "torch f64 1 thread", "torch f32 1 thread"]
    heads += [f"{h.split(' (')[0]} / torch f32 1t" for h in heads[: len(ours)]]
    print("| Nn | steps | " + " | ".join(heads) + " |")
    print("|---:|---:|" + "---:|" * len(heads))

    def cell(t: object) -> str:
        return "n/a" if t is None else f"{t:.3f}"

    for r in rows:
        t32 = r["torch32_1t_ms"]
        ratios = [
            "n/a" if t32 is None else f"{r[k] / t32:.2f}"  # type: ignore[operator]
            for k in ours
        ]
        cells = [cell(r[k]) for k in ours]
        cells += [cell(r[label]) for label, _, _ in PEERS]
        print(f"| {r['Nn']} | {r['steps']} | " + " | ".join(cells + ratios) + " |")


if __name__ == "__main__":
    main()
