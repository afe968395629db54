"""``blocksim-lstm crosscheck``: every wire of the diagram against the reference.

With ``--model MODEL.bd`` the diagram is a model file (:func:`run_model`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from ._problem import add_problem_arguments, load_problem


def _check_tol(name: str, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_arguments(parser)
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="dtype of the reference computation (default float64)",
    )
    parser.add_argument("--abs-tol", type=float, help="absolute tolerance")
    parser.add_argument("--rel-tol", type=float, help="relative tolerance")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_model_argument(parser)


def run(args: argparse.Namespace) -> int:
    from .._crosscheck import crosscheck

    if getattr(args, "model", None) is not None:
        return run_model(args)
    abs_tol = _check_tol("--abs-tol", args.abs_tol)
    rel_tol = _check_tol("--rel-tol", args.rel_tol)
    params, u = load_problem(args)
    report = crosscheck(
        params, u, ts=args.ts, dtype=args.dtype, abs_tol=abs_tol, rel_tol=rel_tol
    )
    print(report.to_json() if args.json else report.table())
    return 0 if report.passed else 1


# --------------------------------------------------------------- --model (a .bd)
def add_model_argument(parser: argparse.ArgumentParser) -> None:
    """``--model MODEL.bd``: cross-check a model file instead of the built diagram."""
    parser.add_argument(
        "--model",
        type=Path,
        metavar="MODEL.bd",
        help="run this model file (bdedit / blocksim-lstm render) and check every "
        "wire it names like the original (Wi, sumIG, Cell State, ...) against the "
        "reference built from the model's own weights (or from --weights W.npz); "
        "--input U.npy replaces the model's input",
    )


def run_model(args: argparse.Namespace) -> int:
    """``crosscheck --model``: the model file's wires against the reference."""
    import copy
    import json

    from .._crosscheck import crosscheck_diagram
    from ..modelfile import load_model
    from ..parameters import LSTMParams
    from ._problem import load_input

    for name in ("nn", "ni", "no", "steps"):
        if getattr(args, name, None) is not None:
            raise ValueError(
                f"--{name}: not used with --model (the model file fixes the sizes)"
            )
    abs_tol = _check_tol("--abs-tol", args.abs_tol)
    rel_tol = _check_tol("--rel-tol", args.rel_tol)
    model = load_model(args.model)
    if args.input is not None:
        u = load_input(args.input, model.layers[0].ni, what="--input")
        model = load_model(args.model, u=u)
    reference = model
    if args.weights is not None:
        params = LSTMParams.load(args.weights, what="--weights")
        have = model.layers
        if len(have) != 1:
            raise ValueError(
                f"--weights: a one-layer weights file, but the model has "
                f"{len(have)} layers"
            )
        got = (params.nn, params.ni, params.no)
        want = (have[0].nn, have[0].ni, have[0].no)
        if got != want:
            raise ValueError(
                f"--weights: {args.weights} has Nn, Ni, No = {got}; the model "
                f"{args.model} has {want}"
            )
        reference = copy.copy(model)
        reference.layers = (params,)
    report = crosscheck_diagram(
        reference,
        dtype=args.dtype,
        abs_tol=abs_tol,
        rel_tol=rel_tol,
        run=model.run(),
    )
    if args.json:
        out = {
            "model": str(args.model),
            "reference_weights": "model" if args.weights is None else str(args.weights),
            "extra_blocks": list(model.extra_blocks),
            **report.to_dict(),
        }
        print(json.dumps(out, indent=2))
    else:
        ref = "its own weights" if args.weights is None else str(args.weights)
        print(
            f"model {args.model}: {len(model.bd.blocklist)} blocks, "
            f"{len(model.bd.wirelist)} wires, {model.steps} steps; reference from {ref}"
        )
        if model.extra_blocks:
            print(
                f"not cross-checked (not in the original): {list(model.extra_blocks)}"
            )
        print(report.table())
    return 0 if report.passed else 1
