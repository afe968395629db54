"""Per-epoch CPU time of ``Workspace.train_chunk`` over chunks of 50 epochs.

One process per measurement (the kernels from the object file, as a warm
``train`` runs them); run it alternately with two checkouts on the path to
compare them, e.g. (the seed's shape: Ni = No = 1, 1001 steps, float64)::

    for i in 1 2 3; do
      for co in /path/to/before .; do
        PYTHONPATH=$co python benchmarks/bench_epoch_chunks.py --nn 5
      done
    done

Prints the median over ``--chunks`` chunks of the process CPU time per epoch.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import TrainOptions, pack
from blocksim_lstm.training._workspace import Workspace
from blocksim_lstm.training.bptt import segments
from blocksim_lstm.training.optim import DECAY_MASK


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nn", type=int, default=5)
    ap.add_argument("--chunks", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=50)
    args = ap.parse_args()
    nn, nt = args.nn, 1001
    rng = np.random.default_rng(0)
    p = LSTMParams.random(nn, 1, 1, seed=0, states=False)
    p = p.replace(W=p.W - 0.5, R=(p.R - 0.5) / np.sqrt(nn), F=p.F - 0.5)
    u = rng.standard_normal((1, nt, 1))
    y = np.cumsum(u, axis=1) * 0.1
    theta = pack(p)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    ws = Workspace(u, y, p.h0, p.c0, theta.size, "float64", engine="compiled")
    o = TrainOptions(lr=1e-4)
    lrs = np.full(args.epochs, 1e-4)
    losses = np.empty(args.epochs)
    rest = (segments(nn, 1, 1), o.active_mask(), DECAY_MASK, 0.0, o.clip_mode())
    rest += (1.0, 0.9, 0.999, 1e-8)
    step = 0
    times = []
    for c in range(args.chunks + 1):
        t0 = time.process_time()
        ws.train_chunk(theta, m, v, step, lrs, losses, *rest)
        if c:  # the first chunk loads the kernels
            times.append((time.process_time() - t0) / args.epochs)
        step += args.epochs
    print(f"Nn = {nn}: {1e3 * float(np.median(times)):.4f} ms per epoch (CPU)")


if __name__ == "__main__":
    main()
