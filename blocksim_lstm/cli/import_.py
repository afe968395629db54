"""``blocksim-lstm import``: a PyTorch, ONNX or Keras LSTM as a weights ``.npz``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import check_output_path, writing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="a PyTorch .pt/.pth (state dict, checkpoint or module), an .onnx, a "
        "Keras .keras, or a weights .npz to re-order",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="W.npz", help="weights to write"
    )
    parser.add_argument(
        "--layer",
        type=int,
        metavar="K",
        help="which LSTM layer (1-based) of a stacked network; layers before the "
        "last get F = I (their output is h, the next layer's input)",
    )
    parser.add_argument(
        "--gate-order",
        metavar="ORDER",
        help="an .npz only: the gate order its blocks are stored in, e.g. iofc "
        "(ONNX); default ifgo (ours, PyTorch, Keras)",
    )
    parser.add_argument(
        "--layout",
        choices=("rows", "columns", "transposed-blocks"),
        default="rows",
        help="an .npz only: W, R stored as (4Nn, n) rows (ours), as (n, 4Nn) "
        "columns (Keras's kernel), or as rows of transposed blocks",
    )
    parser.add_argument(
        "--zero-states", action="store_true", help="set h0 and c0 to zero"
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="PyTorch: unpickle a whole module of your own class (runs its code)",
    )


def run(args: argparse.Namespace) -> int:
    from ..interop import read_network

    out = args.out
    if out.suffix != ".npz":
        raise ValueError(f"--out: expected a file name ending in .npz, got {out}")
    check_output_path(out, "--out", inputs=[("FILE", args.file)])
    try:
        net = read_network(
            args.file,
            trust=args.trust_pickle,
            order=args.gate_order,
            layout=args.layout,
            zero_states=args.zero_states,
        )
    except ModuleNotFoundError as exc:  # a missing extra: bad setup, one line
        raise ValueError(f"FILE: {exc}") from exc
    print(net.describe())
    params = net.layer(args.layer)
    with writing("--out", out):
        params.save(out)
    k = 1 if args.layer is None else args.layer
    print(
        f"wrote {out}: layer {k} of {len(net.layers)} (Ni={params.ni}, Nn={params.nn}, "
        f"No={params.no}), gate order i, f, g, o"
    )
    return 0
