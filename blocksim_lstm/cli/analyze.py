"""``blocksim-lstm analyze``: the LSTM as a dynamical system.

Default: the seed's calculated weights (SPEC §4, balanced realization, scl 1e-3).
Prints the fixed points for the constant input ``u0`` (residual, eigenvalues,
spectral radius, kind; most stable first), the linearization at the first one
(steady-state gain, poles), the largest Lyapunov exponent and the contraction
along a driven trajectory, and Bonassi et al.'s ISS condition. Optionally writes
the linearization as a system ``.npz`` (``approximate --system`` reads it) and
the figures.

Exit status: 0; 1 if ``--system-out`` was asked for but no fixed point was found
(the results are printed all the same); 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .._experiment import PLANT_TS
from .._parameters import LSTMParams
from .._validate import check_memory, check_positive_int
from ..statespace.lti import save_system
from ._output import check_output_folder, check_output_path, writing

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``blocksim-lstm analyze``.

    Parameters
    ----------
    parser
        The ``analyze`` sub-command's parser; its options are added.
    """
    g = parser.add_argument_group("network (default: the seed's calculated weights)")
    g.add_argument(
        "--weights",
        type=Path,
        metavar="W.npz",
        help="weights .npz with keys W, R, b, F, bF, h0, c0",
    )
    g.add_argument(
        "--u0",
        metavar="v1,v2,..",
        help="constant input of the equilibria, one value per input (default 0)",
    )
    s = parser.add_argument_group("search and trajectory")
    s.add_argument(
        "--starts", type=int, default=32, help="starts of the fixed-point search (32)"
    )
    s.add_argument("--seed", type=int, default=0, help="seed of starts and noise (0)")
    s.add_argument(
        "--steps",
        type=int,
        default=500,
        help="driven trajectory for the Lyapunov exponent: steps after a "
        "100-step burn-in (500)",
    )
    s.add_argument(
        "--ts",
        type=float,
        default=PLANT_TS,
        help=f"sample time of the linearization in seconds ({PLANT_TS})",
    )
    s.add_argument("--slow-points", action="store_true", help="also report slow points")
    o = parser.add_argument_group("output")
    o.add_argument(
        "--system-out",
        type=Path,
        metavar="SYS.npz",
        help="write the linearization at the first fixed point (A, B, C, D, Ts)",
    )
    o.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write the figures here: eigenvalues, phase portrait, Bode plot",
    )
    o.add_argument("--json", action="store_true", help="print JSON instead of text")


def _u0(text: str | None, params: LSTMParams) -> np.ndarray:
    if text is None:
        return np.zeros(params.ni)
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise ValueError(
            f"--u0: expected comma-separated numbers, got {text!r}"
        ) from exc
    if len(vals) != params.ni:
        raise ValueError(
            f"--u0: expected {params.ni} value(s), one per input (Ni = {params.ni}), "
            f"got {len(vals)}: {text!r}"
        )
    u = np.array(vals)
    if not np.all(np.isfinite(u)):
        raise ValueError(f"--u0: expected finite values, got {text!r}")
    return u


def _check_outputs(args: argparse.Namespace) -> None:
    """Check --system-out and --out before any work."""
    if args.system_out is not None:
        if args.system_out.suffix != ".npz":
            raise ValueError(
                f"--system-out: expected a file name ending in .npz, got "
                f"{args.system_out}"
            )
        check_output_path(
            args.system_out, "--system-out", inputs=[("--weights", args.weights)]
        )
    if args.out is not None:
        check_output_folder(args.out, "--out")


def run(args: argparse.Namespace) -> int:
    """Run ``blocksim-lstm analyze``; return the exit status.

    Parameters
    ----------
    args
        The parsed options of ``blocksim-lstm analyze``.
    """
    from ..dynamics import analyze, analyze_bytes, write_figures

    _check_outputs(args)
    starts = check_positive_int("--starts", args.starts)
    steps = check_positive_int("--steps", args.steps)
    if not (np.isfinite(args.ts) and args.ts > 0):
        raise ValueError(f"--ts: expected a positive sample time, got {args.ts}")
    if args.weights is not None:
        params = LSTMParams.load(args.weights)
        label = f"weights from {args.weights}"
    else:
        from ..training import calculated_weights

        params = calculated_weights()
        label = "the seed's calculated weights (balanced realization, scl 1e-3)"
    u0 = _u0(args.u0, params)
    check_memory(
        "--starts",
        analyze_bytes(params.nn, starts, 100 + steps, 32),
        f"the analysis of Nn={params.nn} units from {starts} starts on "
        f"{100 + steps} steps",
    )
    res = analyze(
        params,
        u0,
        starts=starts,
        seed=args.seed,
        ts=args.ts,
        steps=steps,
        slow_points=args.slow_points,
    )
    out = res.to_dict()
    out["weights"] = label
    files: dict[str, str] = {}
    status = 0
    if args.system_out is not None:
        if res.linearization is None:
            status = 1  # nothing to write; said on stderr after the results
        else:
            with writing("--system-out", args.system_out):
                saved = save_system(res.linearization, args.system_out)
            files["system"] = str(saved)
    if args.out is not None:
        with writing("--out", args.out):
            files.update(write_figures(res, args.out))
    out["files"] = files
    if args.json:
        print(json.dumps(out, indent=2, allow_nan=False))
    else:
        print(f"weights: {label}")
        print(res.text())
        for name, path in files.items():
            print(f"wrote {name}: {path}")
    if status:
        print(
            f"blocksim-lstm analyze: no fixed point found for u0 = {args.u0 or 0}: "
            f"no linearization, {args.system_out} not written",
            file=sys.stderr,
        )
    return status
