"""``blocksim-lstm run MODEL.bd``: bdsim's own runner (``bdrun``) on a model file.

The wrapper adds what a bare ``bdrun`` lacks after an editable install: the
project's blocks in bdsim's library (no ``BDSIMPATH`` needed), the model checked
first (one-line errors naming the block, exit 2), no code evaluated
(``--safe-eval``), and a run as long as the model's input (``--simtime`` =
steps x Ts). The ``To Workspace`` logger writes y where the model says.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, metavar="MODEL.bd", help="the model file")
    parser.add_argument(
        "--simtime",
        type=float,
        metavar="T",
        help="simulated seconds (default: the input's steps x Ts, the whole input)",
    )
    parser.add_argument(
        "--graphics",
        action="store_true",
        help="let bdsim open its graphics windows (default: --no-graphics)",
    )


def run(args: argparse.Namespace) -> int:
    import os

    from bdsim.bin.bdrun import bdrun

    from .._files import check_output_file
    from ..modelfile import load_model

    model = load_model(args.model)  # every check, before bdsim sees the file
    logger = next((b for b in model.bd.blocklist if type(b).__name__ == "Logger"), None)
    y_file: str | None = None if logger is None else logger._file
    src = model.blocks.get("From Workspace")
    if logger is not None and y_file is not None:
        inputs = [("MODEL.bd", args.model)]
        if src is not None and getattr(src, "_file", None):
            inputs.append((f"block {src.name!r} file", Path(src._file)))
        check_output_file(Path(y_file), f"block {logger.name!r} file", inputs=inputs)
    simtime = model.steps * model.ts if args.simtime is None else args.simtime
    if not (math.isfinite(simtime) and simtime > 0):
        raise ValueError(f"--simtime: expected a positive number, got {simtime}")
    before = os.stat(y_file).st_mtime_ns if y_file and os.path.exists(y_file) else None
    argv = [
        "bdrun",
        str(args.model),
        "--safe-eval",
        "--simtime",
        repr(float(simtime)),
        *(() if args.graphics else ("--no-graphics",)),
    ]
    saved = sys.argv
    sys.argv = argv
    try:
        with contextlib.redirect_stdout(sys.stderr):  # bdsim's tables: not our output
            bdrun()
    finally:
        sys.argv = saved
    if y_file is not None:
        after = os.stat(y_file).st_mtime_ns if os.path.exists(y_file) else None
        if after is None or after == before:
            print(
                f"{args.model}: y was not written to {y_file}: the logger writes it "
                f"once the run covers the input's {model.steps} steps (--simtime >= "
                f"{model.steps * model.ts:g}), and replaces only an earlier y"
            )
            return 1
        import numpy as np

        y = np.load(y_file, allow_pickle=False)
        print(
            f"{args.model}: y(t), {y.shape[0]} steps x {y.shape[1]}, "
            f"written to {y_file}"
        )
    else:
        print(f"{args.model}: ran {model.steps} steps (its logger writes no file)")
    return 0
