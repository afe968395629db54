"""``blocksim-lstm crosscheck``: every wire of the diagram against the reference.

With ``--model MODEL.bd`` the diagram is a model file (:func:`run_model`).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from ._problem import (
    add_problem_arguments,
    build_diagram,
    check_cell,
    load_problem,
    weight_files,
)


def _check_tol(name: str, value: float | None) -> float | None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_arguments(parser, stacked=True)
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="dtype of the reference computation (default float64)",
    )
    parser.add_argument("--abs-tol", type=float, help="absolute tolerance")
    parser.add_argument("--rel-tol", type=float, help="relative tolerance")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_expect_arguments(parser)
    add_model_argument(parser)


def run(args: argparse.Namespace) -> int:
    from .._crosscheck import crosscheck, crosscheck_diagram

    cell = check_cell(getattr(args, "cell", None))
    options = (("--model", getattr(args, "model", None)), ("--expect", args.expect))
    for option, given in options:
        if given is not None and cell != "lstm":
            raise ValueError(
                f"--cell: {option} works with LSTM weights only, got --cell {cell}"
            )
    files = weight_files(args)
    for option, given in options:
        if given is not None and len(files) > 1:
            raise ValueError(
                f"--weights: {option} takes one weights file, got {len(files)}"
            )
    if getattr(args, "model", None) is not None or args.expect is not None:
        args.weights = files[0] if files else None
        if getattr(args, "model", None) is not None:
            return run_model(args)
        return run_expect(args)

    abs_tol = _check_tol("--abs-tol", args.abs_tol)
    rel_tol = _check_tol("--rel-tol", args.rel_tol)
    params, u = load_problem(args)
    if cell == "lstm" and not isinstance(params, list):
        report = crosscheck(
            params, u, ts=args.ts, dtype=args.dtype, abs_tol=abs_tol, rel_tol=rel_tol
        )
    else:
        report = crosscheck_diagram(
            build_diagram(params, u, ts=args.ts),
            dtype=args.dtype,
            abs_tol=abs_tol,
            rel_tol=rel_tol,
        )
    print(report.to_json() if args.json else report.table())
    return 0 if report.passed else 1


# ------------------------------------------------- --expect: gate-order diagnosis


def add_expect_arguments(parser: argparse.ArgumentParser) -> None:
    """``--expect Y.npy`` and ``--expect-tol``: compare with the user's framework."""
    g = parser.add_argument_group(
        "your framework's output (gate-order diagnosis; needs --weights and --input)"
    )
    g.add_argument(
        "--expect",
        type=Path,
        metavar="Y.npy",
        help="the output your framework computed for --input, shape (T, No) or "
        "the last step (No,); when ours differs, the 24 gate orders and the "
        "transposed layouts are tried and the one that matches is named",
    )
    g.add_argument(
        "--expect-tol",
        type=float,
        help="tolerance on max |y - expected| (default 1e-4 x max(1, |Y|) for "
        "float32 Y, 1e-9 x max(1, |Y|) for float64)",
    )


def run_expect(args: argparse.Namespace) -> int:
    """Per-wire cross-check (if the weights are ours) and the comparison with Y."""
    from .._crosscheck import crosscheck
    from .._files import read_npz
    from .._parameters import NPZ_KEYS, LSTMParams
    from ..interop import diagnose_gate_order
    from ._problem import load_input

    if args.weights is None or args.input is None:
        raise ValueError(
            "--expect: needs --weights W.npz and --input U.npy (the weights and "
            "input your framework ran)"
        )
    tol = _check_tol("--expect-tol", args.expect_tol)
    arrays = read_npz(args.weights, "--weights", NPZ_KEYS, exact=True)
    W, R = np.shape(arrays["W"]), np.shape(arrays["R"])
    if len(R) != 2 or len(W) != 2:
        raise ValueError(f"--weights: W and R must be matrices, got {W} and {R}")
    nn = R[1] if R[0] == 4 * R[1] else R[0]
    ni = W[1] if W[0] == 4 * nn else W[0]
    u = load_input(args.input, ni, what="--input")
    expect = _load_expect(args.expect)
    report = None
    try:
        params = LSTMParams.from_arrays(**arrays)
    except ValueError:
        params = None  # not our layout: the diagnosis says which it is
    if params is not None:
        report = crosscheck(
            params,
            u,
            ts=args.ts,
            dtype=args.dtype,
            abs_tol=args.abs_tol,
            rel_tol=args.rel_tol,
        )
    diag = diagnose_gate_order(arrays, u, expect, tol=tol)
    message = diag.message(str(args.weights), str(args.expect))
    if args.json:
        data = {} if report is None else report.to_dict()
        data["expect"] = {
            "agrees": diag.agrees,
            "max_abs": None if diag.as_read is None else diag.as_read.error,
            "tol": diag.tol,
            "steps": diag.steps,
            "matches": [
                {
                    "order": c.order,
                    "layout": c.layout,
                    "zero_states": c.zero_states,
                    "max_abs": c.error,
                    "options": c.options(),
                }
                for c in diag.matches
            ],
            "message": message,
        }
        print(json.dumps(data, indent=2))
    else:
        if report is not None:
            print(report.table())
        print(message)
    passed = report is not None and report.passed
    return 0 if passed and diag.agrees else 1


def _load_expect(path: Path) -> np.ndarray:
    if path.is_dir() or not path.is_file():
        raise FileNotFoundError(f"--expect: no such file {path}")
    with open(path, "rb") as fh:
        if fh.read(6) != b"\x93NUMPY":
            raise ValueError(
                f"--expect: {path} is not an .npy file; expected the output of "
                "your framework saved with numpy.save, shape (T, No)"
            )
        fh.seek(0)
        try:
            y = np.load(fh, allow_pickle=False)
        except Exception as exc:  # any failure to parse is an unreadable file
            raise ValueError(
                f"--expect: {path} is not a readable .npy file ({type(exc).__name__})"
            ) from exc
    if y.dtype.kind not in "fiu":
        raise ValueError(f"--expect: {path}: expected real numbers, got {y.dtype}")
    return y


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
    from .._parameters import LSTMParams
    from ..modelfile import load_model
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
