"""``blocksim-lstm simulate``: run the block diagram (of any cell), print y, save
every trace."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .._files import savez_atomic
from ._output import check_output_path, writing
from ._problem import (
    add_problem_arguments,
    build_diagram,
    cell_title,
    check_cell,
    load_problem,
    sizes_text,
    weight_files,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_arguments(parser, stacked=True)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="traces.npz",
        help="write every wire's trace (by block name), y and t "
        "(.npz is appended if missing; never one of the input files)",
    )
    parser.add_argument(
        "--engine",
        choices=("bdsim", "compiled"),
        default="bdsim",
        help="bdsim: bdsim's own run (the reference, default); compiled: the "
        "diagram as one generated numba function (same wires to a few units in "
        "the last place, the same bytes on any machine)",
    )
    parser.add_argument(
        "--show-code",
        action="store_true",
        help="print the Python source the compiled engine generates for the "
        "diagram (with --engine compiled)",
    )


def run(args: argparse.Namespace) -> int:
    cell = check_cell(args.cell)
    if args.show_code and args.engine != "compiled":
        raise ValueError(
            f"--show-code: expected --engine compiled, got --engine {args.engine}"
        )
    out = None
    if args.out is not None:  # checked before any work
        out = args.out if args.out.suffix == ".npz" else args.out.with_suffix(".npz")
        check_output_path(
            out,
            "--out",
            inputs=[("--weights", w) for w in weight_files(args)]
            + [("--input", args.input)],
        )
    params, u = load_problem(args)
    diagram = build_diagram(params, u, ts=args.ts)
    if args.show_code:
        from .._compiled import compile_diagram

        diagram.compile()
        print(compile_diagram(diagram.bd).source)
    result = diagram.run(engine=args.engine)
    print(
        f"{cell_title(cell)} block diagram: {sizes_text(params)}, "
        f"{diagram.steps} steps, Ts={args.ts:g} s, "
        f"{len(diagram.bd.blocklist)} blocks, engine {args.engine}"
    )
    print("first output samples y(t):")
    with np.printoptions(precision=6, suppress=True):
        for k in range(min(5, diagram.steps)):
            print(f"  t={result.t[k]:7.3f}  y={result.y[k]}")
    if out is not None:
        with writing("--out", out):
            savez_atomic(out, y=result.y, t=result.t, **result.signals)
        print(f"wrote {len(result.signals)} traces, y and t to {out}")
    return 0
