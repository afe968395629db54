"""Options shared by commands that run an LSTM on an input: weights, input, sizes."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..experiment import SEED, SEED_SIZES, SEED_STEPS, SEED_TS, seed_input
from ..parameters import LSTMParams

__all__ = ["add_problem_arguments", "load_problem"]


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--weights --input --nn --ni --no --steps --seed --ts``."""
    g = parser.add_argument_group("problem (default: the seed's experiment 1)")
    g.add_argument(
        "--weights",
        type=Path,
        metavar="W.npz",
        help="weights .npz with keys W, R, b, F, bF, h0, c0 "
        "(default: seeded uniform [0,1) weights)",
    )
    g.add_argument(
        "--input",
        type=Path,
        metavar="U.npy",
        help="input sequence .npy, shape (steps, Ni) (default: seeded N(0,1))",
    )
    g.add_argument("--nn", type=int, help=f"units (default {SEED_SIZES['nn']})")
    g.add_argument("--ni", type=int, help=f"inputs (default {SEED_SIZES['ni']})")
    g.add_argument("--no", type=int, help=f"outputs (default {SEED_SIZES['no']})")
    g.add_argument("--steps", type=int, help=f"steps (default {SEED_STEPS})")
    g.add_argument("--seed", type=int, default=SEED, help=f"seed (default {SEED})")
    g.add_argument(
        "--ts",
        type=float,
        default=SEED_TS,
        help=f"sample time in seconds (default {SEED_TS})",
    )


def _check_size(name: str, given: int | None, actual: int, source: str) -> None:
    if given is not None and given != actual:
        raise ValueError(f"--{name}: {source} gives {name} = {actual}, got {given}")


def load_problem(args: argparse.Namespace) -> tuple[LSTMParams, np.ndarray]:
    """Weights and input from the options; sizes must agree with given files.

    Raises
    ------
    ValueError, FileNotFoundError
        Unreadable files, wrong keys or shapes, sizes that contradict the files.
    """
    if args.weights is not None:
        params = LSTMParams.load(args.weights)
        for name in ("nn", "ni", "no"):
            _check_size(
                name,
                getattr(args, name),
                getattr(params, name),
                f"--weights {args.weights}",
            )
    else:
        nn, ni, no = (
            v if getattr(args, k) is None else getattr(args, k)
            for k, v in SEED_SIZES.items()
        )
        params = LSTMParams.random(nn, ni, no, seed=args.seed)
    if args.input is not None:
        if not args.input.is_file():
            raise FileNotFoundError(f"--input: no such file {args.input}")
        try:
            u = np.load(args.input, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"--input: {args.input} is not a readable .npy") from exc
        u = np.asarray(u, dtype=float)
        if u.ndim == 1 and params.ni == 1:
            u = u[:, None]
        if u.ndim != 2 or u.shape[1] != params.ni:
            raise ValueError(
                f"--input: expected shape (steps, Ni) with Ni = {params.ni}, "
                f"got shape {u.shape}"
            )
        _check_size("steps", args.steps, u.shape[0], f"--input {args.input}")
    else:
        u = seed_input(args.steps or SEED_STEPS, params.ni, seed=args.seed)
    if not np.all(np.isfinite(u)):
        raise ValueError("--input: expected finite values, found NaN or Inf")
    return params, u
