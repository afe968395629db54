"""``blocksim-lstm params``: learnable parameters of any cell, per array and total."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._validate import check_positive_int
from ._output import check_output_path, writing
from ._problem import add_cell_argument, check_cell


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_cell_argument(parser)
    parser.add_argument(
        "--ni", type=int, default=1, help="input width of the first layer (default 1)"
    )
    parser.add_argument(
        "--units",
        type=int,
        nargs="+",
        default=[100, 100],
        metavar="NN",
        help="units of each layer (default: 100 100, the seed's example)",
    )
    parser.add_argument(
        "--no", type=int, default=1, help="FC output width; 0 for no FC layer"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="also save the log-log plot of parameters against units (with "
        "--cell other than lstm: every cell's against the LSTM's)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:

    from .._param_count import (
        CELL_FORMULAS,
        cell_count,
        count_network,
        plot_cell_growth,
        plot_param_growth,
    )

    cell = check_cell(args.cell)
    ni = check_positive_int("--ni", args.ni)
    units = [check_positive_int("--units", n) for n in args.units]
    no = check_positive_int("--no", args.no, minimum=0)
    if args.plot is not None:
        if args.plot.suffix != ".png":
            raise ValueError(
                f"--plot: expected a file name ending in .png, got {args.plot}"
            )
        check_output_path(args.plot, "--plot")
    counts = count_network(ni, units, no or None, cell=cell)
    lstm = count_network(ni, units, no or None) if cell != "lstm" else counts
    if args.json:
        data = counts.to_dict()
        data["core_weights"] = counts.core_weights()
        if cell != "lstm":
            data["cell"] = cell
            data["formula"] = CELL_FORMULAS[cell]
            data["lstm_total"] = lstm.total
        print(json.dumps(data, indent=2))
    else:
        print(counts.table())
        print()
        print(
            f"R arrays + W of layers 2..{len(args.units)}: {counts.core_weights():,} "
            "(the seed's figure: no biases, no first-layer W, no FC layer)"
        )
        width = ni
        for k, nn in enumerate(args.units, start=1):
            if cell == "lstm":
                print(f"lstm{k}: 4 Nn (Ni + Nn + 1) with Nn = {nn}")
            else:
                n, m = cell_count(cell, width, nn), cell_count("lstm", width, nn)
                print(
                    f"{cell}{k}: {CELL_FORMULAS[cell]} with Ni = {width}, Nn = {nn}:"
                    f" {n:,}; an LSTM layer: {CELL_FORMULAS['lstm']} = {m:,}"
                    f" ({n / m:.3f} x)"
                )
            width = nn
        if cell != "lstm":
            print(
                f"all: {counts.total:,}; the same network of LSTM layers: "
                f"{lstm.total:,} ({counts.total / lstm.total:.3f} x)"
            )
    if args.plot is not None:
        with writing("--plot", args.plot):
            plot = plot_param_growth if cell == "lstm" else plot_cell_growth
            print(f"wrote {plot(args.plot)}")
    return 0
