"""``blocksim-lstm analyze``: the LSTM (or another cell) as a dynamical system.

Default: the seed's calculated weights (SPEC §4, balanced realization, scl 1e-3);
``--cell gru|peephole|rnn|lstm`` with ``--weights`` (that cell's file) or
``--nn`` (seeded uniform [0, 1) weights) analyzes another cell.
Prints the fixed points for the constant input ``u0`` (residual, eigenvalues,
spectral radius, kind; most stable first), the linearization at the first one
(steady-state gain, poles), the largest Lyapunov exponent and the contraction
along a driven trajectory, and Bonassi et al.'s ISS condition (LSTM only).
Optionally writes
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
from typing import Any

import numpy as np

from .._experiment import PLANT_TS
from .._validate import check_memory, check_positive_int, check_seed
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
        "--cell",
        default="lstm",
        metavar="CELL",
        help="lstm (default), gru, peephole or rnn",
    )
    g.add_argument(
        "--weights",
        type=Path,
        metavar="W.npz",
        help="the cell's weights .npz (LSTM: keys W, R, b, F, bF, h0, c0); a file "
        "of another cell is refused",
    )
    g.add_argument(
        "--nn",
        type=int,
        help="seeded uniform [0, 1) weights of this many units instead (--seed; "
        "default for a cell other than the LSTM: 3)",
    )
    g.add_argument("--ni", type=int, help="inputs of the random weights (1)")
    g.add_argument("--no", type=int, help="outputs of the random weights (1)")
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


def _u0(text: str | None, params: Any) -> np.ndarray:
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


def _params(args: argparse.Namespace) -> tuple[Any, str]:
    """The weights to analyze and how to name them."""
    from ..cells import load_cell, params_class

    cls: Any = params_class(args.cell, what="--cell")
    sizes = {k: getattr(args, k) for k in ("nn", "ni", "no")}
    given = [f"--{k}" for k, v in sizes.items() if v is not None]
    if args.weights is not None:
        if given:
            raise ValueError(
                f"{given[0]}: the sizes come from --weights {args.weights}; "
                "give one or the other"
            )
        params = load_cell(args.weights, args.cell, what="--weights")
        return params, f"{args.cell} weights from {args.weights}"
    if args.cell == "lstm" and not given:
        from ..training import calculated_weights

        label = "the seed's calculated weights (balanced realization, scl 1e-3)"
        return calculated_weights(), label
    nn, ni, no = (
        check_positive_int(f"--{k}", sizes[k] if sizes[k] is not None else d)
        for k, d in (("nn", 3), ("ni", 1), ("no", 1))
    )
    check_memory(
        "--nn",
        8.0 * 4 * nn * (nn + ni + 2) + 8.0 * no * nn,
        f"weights of Nn={nn}, Ni={ni}, No={no}",
    )
    params = cls.random(nn, ni, no, seed=check_seed("--seed", args.seed))
    label = (
        f"seeded uniform [0, 1) {args.cell} weights (Nn={nn}, Ni={ni}, No={no}, "
        f"seed {args.seed})"
    )
    return params, label


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
    params, label = _params(args)
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
