"""``blocksim-lstm import``: a PyTorch, ONNX or Keras layer as a weights ``.npz``.

LSTM, GRU, LSTM with peepholes (ONNX) and Elman RNN layers are written by their
parameters' ``save``: the file's keys say which cell it holds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import check_output_path, writing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="a PyTorch .pt/.pth (state dict, checkpoint or module of an nn.LSTM, "
        "nn.GRU or nn.RNN), an .onnx (LSTM, GRU or RNN nodes), a Keras .keras "
        "(LSTM), or a weights .npz to re-order",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="W.npz", help="weights to write"
    )
    parser.add_argument(
        "--layer",
        metavar="K|all",
        help="which layer (1-based) of a stacked network, or all: one file per "
        "layer, OUT-1.npz ... OUT-N.npz beside --out, to run stacked with "
        "simulate/crosscheck --weights OUT-1.npz ... OUT-N.npz; layers before "
        "the last get F = I (their output is h, the next layer's input)",
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
        "--zero-states", action="store_true", help="set h0 (and c0) to zero"
    )
    parser.add_argument(
        "--cell",
        choices=("lstm", "gru", "peephole", "rnn"),
        help="the cell expected; a file holding another cell's layers is refused "
        "(default: whichever the file holds)",
    )
    parser.add_argument(
        "--nonlinearity",
        choices=("tanh", "relu"),
        help="PyTorch nn.RNN only: its nonlinearity, which a state dict does not "
        "store (default: the module's if the file holds one, else tanh)",
    )
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="PyTorch: unpickle a whole module of your own class (runs its code)",
    )


_ORDER_TEXT = {
    "lstm": "gate order i, f, g, o",
    "peephole": "gate order i, f, g, o, peepholes P = [Pi; Pf; Po]",
    "gru": "gate order r, z, n",
    "rnn": "one gate block",
}


def run(args: argparse.Namespace) -> int:
    from ..interop import read_network
    from ..interop._network import CELL_TITLES

    out = args.out
    if out.suffix != ".npz":
        raise ValueError(f"--out: expected a file name ending in .npz, got {out}")
    every = args.layer == "all"
    layer = None if args.layer is None or every else _layer_number(args.layer)
    check_output_path(out, "--out", inputs=[("FILE", args.file)])
    try:
        net = read_network(
            args.file,
            trust=args.trust_pickle,
            order=args.gate_order,
            layout=args.layout,
            zero_states=args.zero_states,
            cell=args.cell,
            nonlinearity=args.nonlinearity,
        )
    except ModuleNotFoundError as exc:  # a missing extra: bad setup, one line
        raise ValueError(f"FILE: {exc}") from exc
    print(net.describe())
    n = len(net.layers)
    if every:
        outs = [out.with_name(f"{out.stem}-{k}.npz") for k in range(1, n + 1)]
        for path in outs:  # every name checked before the first is written
            check_output_path(path, "--out", inputs=[("FILE", args.file)])
        picks = list(zip(range(1, n + 1), outs, strict=True))
    else:
        picks = [(1 if layer is None else layer, out)]
        net.layer(layer)  # a stack without --layer: refused before writing
    for k, path in picks:
        params = net.layer(k)
        with writing("--out", path):
            params.save(path)
        flags = "".join(
            f", {name}={int(v) if isinstance(v, bool) else v}"
            for name, v in getattr(params, "flags", dict)().items()
        )
        print(
            f"wrote {path}: {CELL_TITLES[net.cell]} layer {k} of {n} "
            f"(Ni={params.ni}, Nn={params.nn}, No={params.no}), "
            f"{_ORDER_TEXT[net.cell]}{flags}"
        )
    if every:
        names = " ".join(str(p) for _, p in picks)
        print(
            f"run them stacked: blocksim-lstm simulate --cell {net.cell} "
            f"--weights {names} --input U.npy"
        )
    return 0


def _layer_number(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise ValueError(
            f"--layer: expected a layer number 1, 2, ... or all, got {text!r}"
        ) from None
    if k < 1:
        raise ValueError(f"--layer: expected a layer number >= 1, got {k}")
    return k
