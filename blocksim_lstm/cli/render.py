"""``blocksim-lstm render``: regenerate the pictures and DOT/GraphML files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import check_output_folder, writing


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
        help="write only the DOT and GraphML files (fast; no pictures)",
    )


def run(args: argparse.Namespace) -> int:
    from ..studies.gallery import render_all

    check_output_folder(args.out, "--out")
    with writing("--out", args.out):
        written = render_all(
            args.out,
            pictures=not args.text_only,
            progress=lambda name: print(f"wrote {args.out / name}", flush=True),
        )
    print(f"{len(written)} files in {args.out}")
    return 0
