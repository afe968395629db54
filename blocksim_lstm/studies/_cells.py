"""The other cells' files of ``diagrams/``: one layer of each cell, its loop
report and its parameter count against the LSTM's.

Each cell's one-layer diagram (Nn=3, Ni=4, No=2, as the seed's LSTM layer, with
seeded random weights: the picture does not depend on them) is drawn by its
hand-made layout (:func:`blocksim_lstm.layout.cell_layout`), and
``NAME.txt`` says which delay closes which feedback cycles
(:func:`blocksim_lstm.structure_report`) and how many parameters the layer has
beside an LSTM layer of the same sizes.
"""

from __future__ import annotations

from typing import Any

import networkx as nx  # type: ignore[import-untyped]

__all__ = ["CELL_FILES", "CELL_TITLES", "cell_diagram", "cell_text"]

CELL_FILES: dict[str, str] = {
    "lstm_layer": "lstm",
    "gru_layer": "gru",
    "peephole_layer": "peephole",
    "rnn_layer": "rnn",
}
"""File stem in ``diagrams/`` -> the cell drawn there (one layer + FC layer)."""

CELL_TITLES: dict[str, str] = {
    "gru": "One GRU layer (PyTorch's convention) + FC layer (Nn=3, Ni=4, No=2)",
    "peephole": "One LSTM layer with peepholes + FC layer (Nn=3, Ni=4, No=2)",
    "rnn": "One Elman RNN layer (tanh) + FC layer (Nn=3, Ni=4, No=2)",
}
"""Cell -> the title of its picture."""

_NAMES = {
    "lstm": "LSTM",
    "gru": "GRU (PyTorch's convention: the reset gate multiplies Rn h + bRn)",
    "peephole": "LSTM with peepholes (ONNX's P: i and f see c(t-1), o sees c(t))",
    "rnn": "Elman RNN (tanh)",
}


def cell_diagram(cell: str) -> Any:
    """One layer of ``cell`` + FC layer (Nn=3, Ni=4, No=2), seeded weights, 51 steps.

    Parameters
    ----------
    cell
        ``"gru"``, ``"peephole"`` or ``"rnn"``.
    """
    from .._diagram import build_cell_diagram
    from .._experiment import seed_input
    from ..cells import params_class

    cls: Any = params_class(cell)
    params = cls.random(3, 4, 2, seed=0)
    return build_cell_diagram(params, seed_input(51, 4))


def cell_text(graph: nx.MultiDiGraph, cell: str, *, ni: int = 4, nn: int = 3) -> str:
    """The text of ``NAME.txt``: the loop report and the parameter counts.

    Parameters
    ----------
    graph
        The graph of the cell's one-layer diagram.
    cell
        Its cell.
    ni, nn
        The layer's input width and units (the picture's).
    """
    from .._loops import structure_report
    from .._param_count import CELL_FORMULAS, cell_count_table, count_network

    report = structure_report(graph)
    loops = report.text().split("\nwires (width):", 1)[0]
    no = 2
    counts = count_network(ni, [nn], no, cell=cell)
    lstm = count_network(ni, [nn], no)
    seed = cell_count_table(1, 100)
    lines = [
        f"One layer of the {_NAMES[cell]} + FC layer, Nn={nn}, Ni={ni}, No={no}:",
        f"{graph.number_of_nodes()} blocks, {graph.number_of_edges()} wires.",
        "Written by `blocksim-lstm render`; do not edit.",
        "",
        "Feedback loops: which delay closes which cycles",
        "-" * 47,
        "(a cycle through several delays is listed under the first in block order)",
        loops,
        "",
        "Parameters against the LSTM's",
        "-" * 29,
        counts.table(),
        "",
        f"{cell} layer: {CELL_FORMULAS[cell]} = "
        f"{counts.by_layer()[f'{cell}1']:,}; an LSTM layer of the same sizes: "
        f"{CELL_FORMULAS['lstm']} = {lstm.by_layer()['lstm1']:,}; with the FC "
        f"layer {counts.total:,} against {lstm.total:,}.",
        "",
        "Every cell at the seed's layer size (Ni = 1, Nn = 100):",
        seed,
        "",
    ]
    return "\n".join(lines)
