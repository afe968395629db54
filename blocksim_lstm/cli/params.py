"""``blocksim-lstm params``: learnable parameters per array and in total."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._validate import check_positive_int
from ._output import check_output_path, writing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ni", type=int, default=1, help="input width of the first layer (default 1)"
    )
    parser.add_argument(
        "--units",
        type=int,
        nargs="+",
        default=[100, 100],
        metavar="NN",
        help="units of each LSTM layer (default: 100 100, the seed's example)",
    )
    parser.add_argument(
        "--no", type=int, default=1, help="FC output width; 0 for no FC layer"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="also save the log-log plot of parameters against units",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:

    from .._param_count import count_network, plot_param_growth

    ni = check_positive_int("--ni", args.ni)
    units = [check_positive_int("--units", n) for n in args.units]
    no = check_positive_int("--no", args.no, minimum=0)
    if args.plot is not None:
        if args.plot.suffix != ".png":
            raise ValueError(
                f"--plot: expected a file name ending in .png, got {args.plot}"
            )
        check_output_path(args.plot, "--plot")
    counts = count_network(ni, units, no or None)
    if args.json:
        data = counts.to_dict()
        data["core_weights"] = counts.core_weights()
        print(json.dumps(data, indent=2))
    else:
        print(counts.table())
        print()
        print(
            f"R arrays + W of layers 2..{len(args.units)}: {counts.core_weights():,} "
            "(the seed's figure: no biases, no first-layer W, no FC layer)"
        )
        for k, nn in enumerate(args.units, start=1):
            print(f"lstm{k}: 4 Nn (Ni + Nn + 1) with Nn = {nn}")
    if args.plot is not None:
        with writing("--plot", args.plot):
            print(f"wrote {plot_param_growth(args.plot)}")
    return 0
