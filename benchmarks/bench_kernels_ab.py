"""The training kernels of this checkout against another's, interleaved in one process.

Both checkouts' ``training/_kernels.py`` are loaded side by side (numba's
kernels; the other one as a package of its own name, so numba caches it
apart), on the same workspace buffers (this checkout's
:class:`~blocksim_lstm.training._workspace.Workspace`: the kernels' argument
lists are the same). Each round runs one forward, backward and update call of
each checkout, alternating which goes first; the medians of the per-call
process CPU times (or wall times) are compared. Every round also checks that
both compute the same bytes (loss, gradient, buffers).

Problem: the seed's shape (Ni = No = 1, one sequence of 1001 steps, float64),
Nn from ``--sizes``.

Run:  PYTHONPATH=. python benchmarks/bench_kernels_ab.py --before DIR
      [--sizes 5,20,100] [--rounds 400] [--budget 20] [--wall] [--dtype float64]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import types

import numpy as np

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import TrainOptions, pack
from blocksim_lstm.training import _kernels as ours
from blocksim_lstm.training._workspace import Workspace
from blocksim_lstm.training.bptt import segments
from blocksim_lstm.training.optim import DECAY_MASK


def kernels_of(checkout: str) -> types.ModuleType:
    """``training/_kernels.py`` of another checkout, in a package of its own name."""
    folder = os.path.join(checkout, "blocksim_lstm", "training")
    if not os.path.isfile(os.path.join(folder, "_kernels.py")):
        raise SystemExit(f"--before: expected a checkout with {folder}, found none")
    pkg = types.ModuleType("_before_training")
    pkg.__path__ = [folder]
    sys.modules[pkg.__name__] = pkg
    return importlib.import_module("_before_training._kernels")


def problem(nn: int, nt: int = 1001, seed: int = 0):
    rng = np.random.default_rng(seed)
    p = LSTMParams.random(nn, 1, 1, seed=seed, states=False)
    p = p.replace(W=p.W - 0.5, R=(p.R - 0.5) / np.sqrt(nn), F=p.F - 0.5)
    u = rng.standard_normal((1, nt, 1))
    y = np.cumsum(u, axis=1) * 0.1
    return p, u, y


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--sizes", default="5,20,100")
    ap.add_argument("--rounds", type=int, default=400)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per size")
    ap.add_argument("--wall", action="store_true", help="wall time, not CPU time")
    ap.add_argument("--dtype", default="float64")
    args = ap.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    before = kernels_of(args.before)
    mods = {"before": before, "after": ours}
    print(
        f"load average {os.getloadavg()[0]:.1f}; {'wall' if args.wall else 'CPU'} time"
    )
    print(
        f"{'Nn':>4} {'kernel':>8} {'before ms':>10} {'after ms':>10} "
        f"{'after/before':>13}"
    )
    for nn in [int(s) for s in args.sizes.split(",")]:
        p, u, y = problem(nn)
        theta0 = pack(p)
        seg = segments(p.nn, p.ni, p.no)
        o = TrainOptions(lr=1e-4)
        state = {}
        for name in mods:
            ws = Workspace(u, y, p.h0, p.c0, theta0.size, args.dtype, engine="compiled")
            th = theta0.copy()
            ws._bind(th)
            state[name] = (ws, th, np.zeros_like(th), np.zeros_like(th))
        times = {(n, k): [] for n in mods for k in ("forward", "backward", "update")}
        for name in mods:  # compile, or load numba's cache
            ws = state[name][0]
            mods[name].forward(*ws._fwd_args)
            mods[name].backward(*ws._bwd_args)
        start = time.perf_counter()
        r = 0
        while r < args.rounds and (r < 5 or time.perf_counter() - start < args.budget):
            order = list(mods) if r % 2 == 0 else list(mods)[::-1]
            out = {}
            for name in order:
                mod = mods[name]
                ws, th, m, v = state[name]
                if ws._theta_k is not None:
                    np.copyto(ws._theta_k, th)
                t0 = clock()
                loss = mod.forward(*ws._fwd_args)
                t1 = clock()
                mod.backward(*ws._bwd_args)
                t2 = clock()
                if ws._grad_k is not ws.grad:
                    np.copyto(ws.grad, ws._grad_k)
                grad = ws.grad.copy()
                t3 = clock()
                mod.update(
                    th,
                    ws.grad,
                    m,
                    v,
                    r + 1,
                    1e-3,
                    0.9,
                    0.999,
                    1e-8,
                    seg,
                    o.active_mask(),
                    DECAY_MASK,
                    0.0,
                    o.clip_mode(),
                    1.0,
                )
                t4 = clock()
                times[name, "forward"].append(t1 - t0)
                times[name, "backward"].append(t2 - t1)
                times[name, "update"].append(t4 - t3)
                out[name] = (loss, grad, th.copy(), ws.ht.copy(), ws.act.copy())
            a, b = out["before"], out["after"]
            same = a[0] == b[0] and all(
                np.array_equal(x.view(np.uint8), y_.view(np.uint8))
                for x, y_ in zip(a[1:], b[1:], strict=True)
            )
            if not same:
                raise SystemExit(f"Nn = {nn}, round {r}: the bytes differ")
            r += 1
        for k in ("forward", "backward", "update", "epoch"):
            if k == "epoch":
                med = {
                    n: 1e3
                    * float(
                        np.median(
                            np.sum(
                                [
                                    times[n, q]
                                    for q in ("forward", "backward", "update")
                                ],
                                axis=0,
                            )
                        )
                    )
                    for n in mods
                }
            else:
                med = {n: 1e3 * float(np.median(times[n, k])) for n in mods}
            print(
                f"{nn:>4} {k:>8} {med['before']:>10.4f} {med['after']:>10.4f} "
                f"{med['after'] / med['before']:>13.3f}"
            )
        print(f"     ({r} rounds, same bytes in every round)", flush=True)


if __name__ == "__main__":
    main()
