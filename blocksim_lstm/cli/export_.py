"""``blocksim-lstm export``: weights ``.npz`` as ONNX or a PyTorch state dict."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._output import check_output_path, writing

_SUFFIX = {"onnx": (".onnx",), "torch": (".pt", ".pth")}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights",
        type=Path,
        nargs="+",
        metavar="W.npz",
        help="weights .npz (several: stacked layers, first to last; the last "
        "one's F, bF are the FC layer)",
    )
    parser.add_argument(
        "--to", choices=("onnx", "torch"), required=True, help="the format to write"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="the file to write"
    )
    parser.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="dtype of the written weights (default: float32 for onnx, which "
        "onnxruntime's LSTM runs; float64 for torch)",
    )


def run(args: argparse.Namespace) -> int:
    from .._parameters import LSTMParams
    from ..interop import write_onnx, write_torch

    out = args.out
    if out.suffix.lower() not in _SUFFIX[args.to]:
        want = " or ".join(_SUFFIX[args.to])
        raise ValueError(f"--out: expected a file name ending in {want}, got {out}")
    inputs = [(f"W.npz {k + 1}", w) for k, w in enumerate(args.weights)]
    check_output_path(out, "--out", inputs=inputs)
    layers = [LSTMParams.load(w, what="W.npz") for w in args.weights]
    dtype = args.dtype or ("float32" if args.to == "onnx" else "float64")
    for k, p in enumerate(layers, start=1):
        print(
            f"read {args.weights[k - 1]}: layer {k}: Ni={p.ni} Nn={p.nn}"
            + (f" No={p.no}" if k == len(layers) else " (its F, bF unused)")
        )
    try:
        with writing("--out", out):
            if args.to == "onnx":
                write_onnx(layers, out, dtype=dtype)
            else:
                write_torch(layers, out, dtype=dtype)
    except ModuleNotFoundError as exc:
        raise ValueError(f"--to {args.to}: {exc}") from exc
    if args.to == "onnx":
        how = (
            "LSTM (ONNX gate order i, o, f, c; B = [b, 0]) + Gemm; input u "
            "[T, batch, Ni], output y [T, batch, No]"
        )
    else:
        how = (
            "state dict: lstm.* (nn.LSTM, batch_first=True, gate order i, f, g, o, "
            "bias_ih = b, bias_hh = 0), fc.weight, fc.bias, h0, c0"
        )
    print(f"wrote {out}: {len(layers)} layer{'s' * (len(layers) > 1)}, {dtype}, {how}")
    return 0
