"""``blocksim-lstm graph``: structural report of a cell's diagram (loops, order)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._names import LOOP_GROUPS as EXPECTED_GROUPS
from ._problem import (
    add_problem_arguments,
    build_diagram,
    cell_title,
    check_cell,
    load_problem,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_problem_arguments(parser)
    parser.add_argument(
        "--remove-delay",
        action="append",
        default=[],
        metavar="BLOCK",
        help="replace this delay by a plain wire (repeatable), e.g. 'Cell State': "
        "its loops become algebraic loops",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _blocks(graph: Any, helpers: set[str]) -> list[dict[str, Any]]:
    out = []
    for n in sorted(graph.nodes, key=lambda n: graph.nodes[n]["index"]):
        d = graph.nodes[n]
        out.append(
            {
                "name": n,
                "type": d["type"],
                "block_class": d["block_class"],
                "blockclass": d["blockclass"],
                "nin": d["nin"],
                "nout": d["nout"],
                "delay": d["delay"],
                "helper": n in helpers,
                "params": d["params"],
            }
        )
    return out


def _expected(params: Any, cell: str) -> tuple[tuple[str, ...], dict[str, int]]:
    """The cell's block names and the cycles each delay closes in one layer."""
    from .._names import LSTM_BLOCKS

    if cell == "lstm":
        return LSTM_BLOCKS, EXPECTED_GROUPS
    from .._names import CELL_LOOP_GROUPS, cell_blocks

    blocks = cell_blocks(
        cell,
        linear_before_reset=getattr(params, "linear_before_reset", True),
        nonlinearity=getattr(params, "nonlinearity", "tanh"),
    )
    return blocks, CELL_LOOP_GROUPS[cell]


def run(args: argparse.Namespace) -> int:
    from .._graph import bypass_block, diagram_graph
    from .._loops import structure_report

    cell = check_cell(args.cell)
    params, u = load_problem(args, runs=False)
    diagram = build_diagram(params, u, ts=args.ts)
    diagram.compile()
    graph = diagram_graph(diagram)
    delays = sorted(n for n, d in graph.nodes(data=True) if d["delay"])
    for name in args.remove_delay:
        if name not in graph or not graph.nodes[name]["delay"]:
            raise ValueError(
                f"--remove-delay: expected one of the delay blocks {delays}, "
                f"got {name!r}"
            )
        graph = bypass_block(graph, name)
    original, expected_groups = _expected(params, cell)
    report = structure_report(graph, original=original)
    ok = report.groups == expected_groups and not report.algebraic_loops
    if args.json:
        data = report.to_dict()
        data["blocks"] = _blocks(graph, set(report.helper_blocks))
        data["removed_delays"] = list(args.remove_delay)
        if cell == "lstm":
            data["lstm_check"] = {"expected": expected_groups, "ok": ok}
        else:
            data["cell"] = cell
            data["cell_check"] = {"expected": expected_groups, "ok": ok}
        print(json.dumps(data, indent=2))
    else:
        print(report.text())
        verdict = "OK" if ok else "NOT as expected"
        expected = ", ".join(f"{k}: {v}" for k, v in expected_groups.items())
        n = sum(expected_groups.values())
        print(
            f"{cell_title(cell)} loop check ({n} cycle{'s' * (n != 1)}; "
            f"{expected}): {verdict}"
        )
    if report.algebraic_loops:
        for c in report.algebraic_loops:
            print(
                "blocksim-lstm graph: algebraic loop (no delay breaks it): "
                + " -> ".join([*c.blocks, c.blocks[0]]),
                file=sys.stderr,
            )
        return 1
    return 0
