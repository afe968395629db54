"""``blocksim-lstm render``: regenerate the pictures and DOT/GraphML files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import check_output_folder, writing
from ._problem import add_cell_argument, check_cell


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("diagrams"),
        help="output directory (default: diagrams/)",
    )
    parser.add_argument(
        "--text-only",
        action="store_true",
        help="write only the DOT, GraphML and text files (fast; no pictures)",
    )
    add_cell_argument(parser)
    parser.epilog = (
        "With --cell, only that cell's one-layer files: NAME_layer.dot, .graphml, "
        ".txt (loops by delay, parameters against the LSTM's), .png, .svg."
    )


def run(args: argparse.Namespace) -> int:
    from ..studies.gallery import render_all

    only = None
    if args.cell is not None:
        only = [f"{check_cell(args.cell)}_layer"]
    check_output_folder(args.out, "--out")
    with writing("--out", args.out):
        written = render_all(
            args.out,
            pictures=not args.text_only,
            progress=lambda name: print(f"wrote {args.out / name}", flush=True),
            only=only,
        )
    print(f"{len(written)} files in {args.out}")
    return 0
