"""``blocksim-lstm crosscheck``: every wire of the diagram against the reference."""

from __future__ import annotations

import argparse
import math

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


def run(args: argparse.Namespace) -> int:
    from .._crosscheck import crosscheck

    abs_tol = _check_tol("--abs-tol", args.abs_tol)
    rel_tol = _check_tol("--rel-tol", args.rel_tol)
    params, u = load_problem(args)
    report = crosscheck(
        params, u, ts=args.ts, dtype=args.dtype, abs_tol=abs_tol, rel_tol=rel_tol
    )
    print(report.to_json() if args.json else report.table())
    return 0 if report.passed else 1
