"""``blocksim-lstm approximate``: LSTM weights that reproduce a linear system.

Default: the seed's plant (SPEC §4), balanced realization, automatic construction,
``scl`` chosen for a relative RMS error of 1e-6 on a 1001-sample N(0,1) input.
Prints the system (gain, poles, zeros), the chosen ``scl`` with predicted and
achieved error, the error-vs-scl study, the round trip through extraction, the
51-sample validation (reference cell and block diagram) and the linearity test;
writes the figures, optionally the weights and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import cast

import control as ct

from .._validate import check_memory, check_positive_int, check_seed
from ..statespace.construction import CONSTRUCTIONS, Method, check_scl
from ..statespace.lti import load_system, random_stable, seed_plant, system_bytes
from ..statespace.realization import REALIZATIONS, Realization
from ..studies.approximation import (
    approximate,
    approximate_bytes,
    check_approximable,
)
from ._output import check_output_folder, check_output_path, writing

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``blocksim-lstm approximate``.

    Parameters
    ----------
    parser
        The ``approximate`` sub-command's parser; its options are added.
    """
    g = parser.add_argument_group("system (default: the seed's plant, SPEC §4)")
    src = g.add_mutually_exclusive_group()
    src.add_argument(
        "--system", type=Path, metavar="sys.npz", help=".npz with keys A, B, C, D, Ts"
    )
    src.add_argument(
        "--nx", type=int, help="random stable system with this many states"
    )
    g.add_argument("--nu", type=int, default=1, help="random system: inputs (1)")
    g.add_argument("--ny", type=int, default=1, help="random system: outputs (1)")
    g.add_argument(
        "--origin-poles",
        type=int,
        default=0,
        help="random system: poles at z = 0 (singular A) (0)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the random system (0)")
    c = parser.add_argument_group("construction")
    c.add_argument(
        "--construction",
        choices=CONSTRUCTIONS,
        default="auto",
        help="spec: Nn = nx+nu; nx: Nn = nx; delayed: Nn = 2nx+nu, no A^-1; "
        "auto: spec unless A is ill conditioned (default)",
    )
    c.add_argument(
        "--realization",
        choices=REALIZATIONS,
        default="balanced",
        help="state coordinates used for the construction (default balanced)",
    )
    s = c.add_mutually_exclusive_group()
    s.add_argument("--scl", type=float, help="fixed scale of the hidden state")
    s.add_argument(
        "--tol",
        type=float,
        default=1e-6,
        help="requested relative RMS error; scl is chosen for it (default 1e-6)",
    )
    c.add_argument(
        "--amplitude",
        type=float,
        default=1.0,
        help="standard deviation of the design input (default 1)",
    )
    c.add_argument(
        "--steps", type=int, default=1001, help="design input length (default 1001)"
    )
    o = parser.add_argument_group("output")
    o.add_argument(
        "--out",
        type=Path,
        default=Path("approximate_out"),
        metavar="DIR",
        help="directory for the figures (default ./approximate_out)",
    )
    o.add_argument("--no-figures", action="store_true", help="write no figures")
    o.add_argument(
        "--no-diagram",
        action="store_true",
        help="skip the bdsim block diagram in the validation (faster)",
    )
    o.add_argument(
        "--weights-out",
        type=Path,
        metavar="W.npz",
        help="write the weights (.npz that `simulate --weights` reads)",
    )
    o.add_argument("--json", action="store_true", help="print JSON instead of text")


def _system(args: argparse.Namespace) -> tuple[ct.StateSpace, str]:
    if args.system is not None:
        return load_system(args.system, what="--system"), f"system from {args.system}"
    if args.nx is not None:
        nx = check_positive_int("--nx", args.nx)
        nu = check_positive_int("--nu", args.nu)
        ny = check_positive_int("--ny", args.ny)
        origin = check_positive_int("--origin-poles", args.origin_poles, minimum=0)
        if origin > nx:
            raise ValueError(f"--origin-poles: expected 0..{nx} (--nx), got {origin}")
        check_memory(
            "--nx/--nu/--ny",
            system_bytes(nx, nu, ny),
            f"a system of nx={nx}, nu={nu}, ny={ny}",
        )
        seed = check_seed("--seed", args.seed)
        sys = random_stable(nx, nu, ny, seed=seed, origin_poles=origin)
        return sys, (
            f"random stable system (nx={nx}, nu={nu}, ny={ny}, "
            f"origin poles={origin}, seed={seed})"
        )
    return seed_plant(), "the seed's plant (SPEC §4)"


def _check_outputs(args: argparse.Namespace) -> None:
    """Check --weights-out and --out before any work."""
    if args.weights_out is not None:
        if args.weights_out.suffix != ".npz":
            raise ValueError(
                "--weights-out: expected a file name ending in .npz, got "
                f"{args.weights_out}"
            )
        check_output_path(
            args.weights_out, "--weights-out", inputs=[("--system", args.system)]
        )
    if not args.no_figures:
        check_output_folder(args.out, "--out")


def run(args: argparse.Namespace) -> int:
    """Run ``blocksim-lstm approximate``; return the exit status (1: tolerance not met).

    Parameters
    ----------
    args
        The parsed options of ``blocksim-lstm approximate``.
    """
    _check_outputs(args)
    scl = None if args.scl is None else check_scl(args.scl, name="--scl")
    tol = check_scl(args.tol, name="--tol")
    amplitude = check_scl(args.amplitude, name="--amplitude")
    steps = check_positive_int("--steps", args.steps)
    sys, label = _system(args)
    check_approximable(
        sys,
        realization=args.realization,
        name="--system" if args.system is None else f"--system {args.system}",
    )
    check_memory(
        "--steps",
        approximate_bytes(sys.nstates, sys.ninputs, sys.noutputs, steps),
        f"the approximation study on {steps} samples of a system with "
        f"nx={sys.nstates}, nu={sys.ninputs}, ny={sys.noutputs}",
    )
    with writing("--out", args.out):
        res = approximate(
            sys,
            construction=cast(Method, args.construction),
            realization=cast(Realization, args.realization),
            scl=scl,
            tol=tol,
            amplitude=amplitude,
            steps=steps,
            diagram=not args.no_diagram,
            out=None if args.no_figures else args.out,
        )
    if args.weights_out is not None:
        with writing("--weights-out", args.weights_out):
            weights = res.params.save(args.weights_out)
        res = replace(res, files={**res.files, "weights": weights})
    if args.json:
        print(json.dumps({**res.to_dict(), "system": label}, indent=2))
    else:
        print(res.text(label))
    return 0 if res.met in (None, True) else 1
