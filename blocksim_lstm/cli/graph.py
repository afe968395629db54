"""``blocksim-lstm graph``: structural report of the LSTM diagram (loops, order)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._names import LOOP_GROUPS as EXPECTED_GROUPS
from ._problem import add_problem_arguments, load_problem


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


def run(args: argparse.Namespace) -> int:
    from .._diagram import build_lstm_diagram
    from .._graph import bypass_block, diagram_graph
    from .._loops import structure_report
    from .._names import LSTM_BLOCKS

    params, u = load_problem(args, runs=False)
    diagram = build_lstm_diagram(params, u, ts=args.ts)
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
    report = structure_report(graph, original=LSTM_BLOCKS)
    lstm_ok = report.groups == EXPECTED_GROUPS and not report.algebraic_loops
    if args.json:
        data = report.to_dict()
        data["blocks"] = _blocks(graph, set(report.helper_blocks))
        data["removed_delays"] = list(args.remove_delay)
        data["lstm_check"] = {"expected": EXPECTED_GROUPS, "ok": lstm_ok}
        print(json.dumps(data, indent=2))
    else:
        print(report.text())
        verdict = "OK" if lstm_ok else "NOT as expected"
        expected = ", ".join(f"{k}: {v}" for k, v in EXPECTED_GROUPS.items())
        print(f"LSTM loop check (5 cycles; {expected}): {verdict}")
    if report.algebraic_loops:
        for c in report.algebraic_loops:
            print(
                "blocksim-lstm graph: algebraic loop (no delay breaks it): "
                + " -> ".join([*c.blocks, c.blocks[0]]),
                file=sys.stderr,
            )
        return 1
    return 0
