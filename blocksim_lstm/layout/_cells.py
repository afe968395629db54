"""Hand-made drawings of one layer of the other cells: GRU, peephole LSTM, Elman RNN.

Drawn as the LSTM's (:func:`~blocksim_lstm.layout.lstm_layout`): signal flow
left to right, input gains in a column, the gates stacked one above the other,
the unit delays underneath on feedback paths drawn back to the left. Each
cell is a :class:`~blocksim_lstm.layout._plan.Plan` (data: where each block
goes, how the wires run); one mechanism (:func:`plan_layout`) draws them all.
"""

from __future__ import annotations

import networkx as nx  # type: ignore[import-untyped]

from .._names import (
    ACTIVATION_BLOCKS,
    CELL_DELAY,
    FC_BLOCK,
    HIDDEN_DELAY,
    INPUT_BLOCK,
    OUTPUT_BLOCK,
    SUM_BLOCKS,
)
from ._geometry import Layout
from ._plan import Place, Plan, Wire, plan_layout

__all__ = ["CELL_PLANS", "cell_layout", "cell_of_graph"]

_SRC, _UBUS, _HBUS, _GAIN, _SUM, _ACT = 0.4, 2.2, 3.0, 4.4, 6.2, 7.9
_GW, _GH = 0.9, 0.6  # gain boxes
_NAMED = ("u(t)", "h(t-1)", "c(t-1)", "c(t)", "h(t)", "y(t)")


def _x(v: float) -> tuple[str, float]:
    return ("x", v)


def _y(v: float) -> tuple[str, float]:
    return ("y", v)


# ----------------------------------------------------------------- Elman RNN
def _rnn_plan(act: str) -> Plan:
    y, y_h = 3.0, -0.6
    x_fc, x_out = 10.6, 12.9
    places = {
        INPUT_BLOCK: Place(_SRC, y + 1.1, w=1.5),
        "Wh": Place(_GAIN, y + 1.1, w=_GW, h=_GH),
        "Rh": Place(_GAIN, y, w=_GW, h=_GH),
        "bh": Place(_GAIN, y - 1.1, w=_GW, h=_GH),
        "sumHG": Place(_SUM, y, w=0.7, h=1.0),
        act: Place(_ACT, y, w=1.0, h=0.6),
        HIDDEN_DELAY: Place(6.2, y_h, w=1.0, h=0.6, flipped=True),
        FC_BLOCK: Place(x_fc, y, w=1.1, h=0.7),
        OUTPUT_BLOCK: Place(x_out, y, w=1.2, h=0.7),
    }
    jog = _GAIN + 0.95
    x_hj = _ACT + 0.5 + 0.45
    wires = {
        (INPUT_BLOCK, "Wh"): Wire(label_at=(2.55, y + 1.18)),
        ("Wh", "sumHG"): Wire((_x(jog),)),
        ("bh", "sumHG"): Wire((_x(jog),)),
        (act, FC_BLOCK): Wire(label_at=(9.5, y + 0.08)),
        (act, HIDDEN_DELAY): Wire((_x(x_hj), _y(y_h))),
        (HIDDEN_DELAY, "Rh"): Wire((_x(_HBUS),), label_at=(4.4, y_h + 0.08)),
        (FC_BLOCK, OUTPUT_BLOCK): Wire(label_at=(11.75, y + 0.08)),
    }
    return Plan(
        "one Elman RNN layer",
        places,
        wires,
        _NAMED,
        {HIDDEN_DELAY: "loop: h(t) → Hidden State → h(t−1) → Rh → sumHG"},
    )


# ----------------------------------------------------------------------- GRU
_GRU_LANES = {"r": 15.0, "z": 10.0, "n": 5.0}


def _gru_plan() -> Plan:
    """PyTorch's GRU (``linear_before_reset``): per lane four gains, a sum with
    one port per gain; the n lane's recurrent part ``Rn h + bRn`` (``sumRN``)
    is multiplied by r (``prod_rn``) before ``sumNG``."""
    y_h = -1.2
    x_mix, x_prod, x_sum = 15.0, 17.0, 18.9
    x_fc, x_out = 21.0, 23.4
    places: dict[str, Place] = {INPUT_BLOCK: Place(_SRC, 10.0, w=1.5)}
    wires: dict[tuple[str, str], Wire] = {}
    for gate, y in _GRU_LANES.items():
        order = ("R", "bR", "W", "bW") if gate == "n" else ("W", "R", "bW", "bR")
        for k, a in enumerate(order):
            places[f"{a}{gate}"] = Place(_GAIN, y + 1.5 - k, w=_GW, h=_GH)
        if gate != "n":
            places[f"sum{gate.upper()}G"] = Place(_SUM, y, w=0.7, h=4.0)
            places[f"logsig_{gate}"] = Place(_ACT, y, w=1.0, h=0.6)
        wires[(INPUT_BLOCK, f"W{gate}")] = Wire((_x(_UBUS),))
        wires[(HIDDEN_DELAY, f"R{gate}")] = Wire((_x(_HBUS),))
    y = _GRU_LANES["n"]
    places.update(
        {
            "sumRN": Place(_SUM, y + 1.0, w=0.7, h=2.0),
            "prod_rn": Place(9.4, y + 1.2, w=0.8, h=0.8),
            "sumNG": Place(
                11.4,
                y - 1.0,
                w=0.7,
                h=2.0,
                inputs=("left", "left", "top"),
                name_side="below",
            ),
            "tansig_n": Place(13.0, y - 1.0, w=1.0, h=0.6),
            "one": Place(13.0, 12.2, w=1.0, h=0.6),
            "one_minus_z": Place(
                x_mix, 10.0, w=0.7, h=0.8, inputs=("top", "left"), name_side="below"
            ),
            "prod_zn": Place(x_prod, 7.0, w=0.8, h=0.8),
            "prod_zh": Place(x_prod, 1.6, w=0.8, h=0.8),
            "Sum": Place(
                x_sum, 4.3, w=0.8, h=0.8, inputs=("top", "bottom"), name_side="left"
            ),
            FC_BLOCK: Place(x_fc, 4.3, w=1.1, h=0.7),
            OUTPUT_BLOCK: Place(x_out, 4.3, w=1.2, h=0.7),
            HIDDEN_DELAY: Place(12.0, y_h, w=1.0, h=0.6, flipped=True),
        }
    )
    wires[(INPUT_BLOCK, "Wr")] = Wire((_x(_UBUS),), label_at=(1.675, 10.08))
    wires[(HIDDEN_DELAY, "Rr")] = Wire((_x(_HBUS),), label_at=(6.6, y_h + 0.08))
    x_z = 10.2
    wires.update(
        {
            ("logsig_r", "prod_rn"): Wire((_x(8.7), _y(y + 1.4))),
            ("prod_rn", "sumNG"): Wire(),
            ("logsig_z", "one_minus_z"): Wire(),
            ("logsig_z", "prod_zh"): Wire((_x(x_z), _y(1.8))),
            ("one", "one_minus_z"): Wire(),
            ("one_minus_z", "prod_zn"): Wire((_x(16.3),)),
            ("tansig_n", "prod_zn"): Wire((_x(15.9),)),
            ("prod_zn", "Sum"): Wire(),
            ("prod_zh", "Sum"): Wire(),
            ("Sum", FC_BLOCK): Wire(label_at=(20.0, 4.38)),
            ("Sum", HIDDEN_DELAY): Wire((_x(19.75), _y(y_h))),
            (HIDDEN_DELAY, "prod_zh"): Wire((_x(11.0), _y(1.4))),
            (FC_BLOCK, OUTPUT_BLOCK): Wire(label_at=(22.2, 4.38)),
        }
    )
    return Plan(
        "one GRU layer (PyTorch's convention, linear_before_reset)",
        places,
        wires,
        _NAMED,
        {
            HIDDEN_DELAY: "loops: h(t) → Hidden State → h(t−1) → R gains → r, z, n "
            "and → z·h(t−1)",
        },
    )


# ------------------------------------------------------------- peephole LSTM
_LSTM_LANES = {"i": 15.0, "f": 11.0, "g": 7.0, "o": 3.0}
_PEEP = {"i": "Pi", "f": "Pf", "o": "Po"}


def _peephole_plan() -> Plan:
    """The LSTM's drawing (the same places), with the peephole gains ``Pi``,
    ``Pf``, ``Po`` under their gates' activations, flipped: c(t-1) (and c(t)
    for o) comes from the right, their output enters the gate's sum from
    below."""
    x_prod, x_csum, x_tanh, x_oprod, x_fc, x_out = 11.0, 12.9, 14.7, 16.7, 18.9, 21.3
    y_cell, y_hidden = 0.1, -1.7
    places: dict[str, Place] = {INPUT_BLOCK: Place(_SRC, 9.6, w=1.5)}
    wires: dict[tuple[str, str], Wire] = {}
    x_cp = 10.3
    for gate, y in _LSTM_LANES.items():
        s = SUM_BLOCKS[gate]
        places[f"W{gate}"] = Place(_GAIN, y + 1.1, w=_GW, h=_GH)
        places[f"R{gate}"] = Place(_GAIN, y, w=_GW, h=_GH)
        places[f"b{gate}"] = Place(_GAIN, y - 1.1, w=_GW, h=_GH)
        peep = gate in _PEEP
        places[s] = Place(
            _SUM,
            y,
            w=0.7,
            h=1.0,
            inputs=("left", "left", "bottom", "left") if peep else (),
        )
        places[ACTIVATION_BLOCKS[gate]] = Place(_ACT, y, w=1.0, h=0.6)
        jog = _GAIN + 0.95
        wires[(f"W{gate}", s)] = Wire((_x(jog),))
        wires[(f"b{gate}", s)] = Wire((_x(jog),))
        wires[(INPUT_BLOCK, f"W{gate}")] = Wire((_x(_UBUS),))
        wires[(HIDDEN_DELAY, f"R{gate}")] = Wire((_x(_HBUS),))
        if peep:
            p = _PEEP[gate]
            places[p] = Place(_ACT, y - 1.3, w=_GW, h=_GH, flipped=True)
            wires[(p, s)] = Wire((_x(_SUM),))
            if gate == "o":  # c(t), from the cell sum's junction
                wires[("Sum", p)] = Wire((_x(x_csum + 0.85), _y(y - 1.3)))
            else:  # c(t-1), from the Cell State bus
                wires[(CELL_DELAY, p)] = Wire((_x(x_cp), _y(y - 1.3)))
    places.update(
        {
            "prod_ig": Place(x_prod, 13.0, w=0.8, h=0.8),
            "prod_fc": Place(x_prod, 9.0, w=0.8, h=0.8),
            "Sum": Place(
                x_csum, 11.0, w=0.8, h=0.8, inputs=("bottom", "top"), name_side="left"
            ),
            "tansig_c": Place(x_tanh, 11.0, w=1.0, h=0.6),
            "prod_oc": Place(
                x_oprod, 7.0, w=0.8, h=0.8, inputs=("bottom", "top"), name_side="left"
            ),
            FC_BLOCK: Place(x_fc, 7.0, w=1.1, h=0.7),
            OUTPUT_BLOCK: Place(x_out, 7.0, w=1.2, h=0.7),
            CELL_DELAY: Place(11.6, y_cell, w=1.0, h=0.6, flipped=True),
            HIDDEN_DELAY: Place(11.6, y_hidden, w=1.0, h=0.6, flipped=True),
        }
    )
    x_cj = x_csum + 0.4 + 0.45
    wires.update(
        {
            (INPUT_BLOCK, "Wi"): Wire((_x(_UBUS),), label_at=(1.675, 9.68)),
            ("logsig_i", "prod_ig"): Wire((_x(9.3),)),
            ("tansig_g", "prod_ig"): Wire((_x(9.9),)),
            ("logsig_f", "prod_fc"): Wire((_x(9.0),)),
            ("logsig_o", "prod_oc"): Wire(),
            ("prod_fc", "Sum"): Wire(),
            ("prod_ig", "Sum"): Wire(),
            ("Sum", "tansig_c"): Wire(label_at=(13.95, 11.08)),
            ("Sum", CELL_DELAY): Wire((_x(x_cj), _y(y_cell))),
            (CELL_DELAY, "prod_fc"): Wire((_x(x_cp),), label_at=(x_cp - 0.6, 0.9)),
            ("tansig_c", "prod_oc"): Wire(),
            ("prod_oc", FC_BLOCK): Wire(label_at=(17.9, 7.08)),
            ("prod_oc", HIDDEN_DELAY): Wire((_x(17.45), _y(y_hidden))),
            (FC_BLOCK, OUTPUT_BLOCK): Wire(label_at=(20.1, 7.08)),
            (HIDDEN_DELAY, "Ri"): Wire((_x(_HBUS),), label_at=(6.6, y_hidden + 0.08)),
        }
    )
    return Plan(
        "one LSTM layer with peepholes",
        places,
        wires,
        _NAMED,
        {
            CELL_DELAY: "cell loops: c(t) → Cell State → c(t−1) → f·c(t−1), Pi, Pf",
            HIDDEN_DELAY: "outer loops: h(t) → Hidden State → h(t−1) → R gains "
            "→ gates (o also via Po·c(t))",
        },
    )


CELL_PLANS: dict[str, Plan] = {
    "gru": _gru_plan(),
    "peephole": _peephole_plan(),
    "rnn": _rnn_plan("tansig_h"),
    "rnn-relu": _rnn_plan("relu_h"),
}
"""The hand-made drawings by cell (the RNN's twice: tanh and ReLU). The GRU's
is PyTorch's convention; the reset-first variant is drawn by
:func:`~blocksim_lstm.layout.layered_layout`."""


def cell_of_graph(graph: nx.MultiDiGraph) -> str | None:
    """The :data:`CELL_PLANS` key whose blocks are exactly the graph's, or None.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.
    """
    nodes = set(graph.nodes)
    for key, plan in CELL_PLANS.items():
        if nodes == set(plan.places):
            return key
    return None


def cell_layout(
    graph: nx.MultiDiGraph, cell: str | None = None, *, title: str = ""
) -> Layout:
    """The hand-made drawing of one GRU, peephole LSTM or Elman RNN layer.

    Parameters
    ----------
    graph
        The graph of a one-layer diagram of the cell
        (:func:`blocksim_lstm.build_cell_diagram`, block names of
        :mod:`blocksim_lstm._names`).
    cell
        ``"gru"``, ``"peephole"``, ``"rnn"`` or ``"rnn-relu"``; None: the one
        whose blocks the graph has (:func:`cell_of_graph`).
    title
        Title drawn above the picture.

    Returns
    -------
    Layout
        Every block placed, every wire routed orthogonally, the named wires
        labelled, the feedback wires tagged with their delay.

    Raises
    ------
    ValueError
        An unknown cell, or a graph that is not one layer of it (the message
        lists the missing and unexpected blocks).
    """
    if cell is None:
        cell = cell_of_graph(graph)
        if cell is None:
            raise ValueError(
                "graph: expected one layer of a GRU (PyTorch's convention), "
                "peephole LSTM or Elman RNN diagram; use layered_layout for others"
            )
    if cell not in CELL_PLANS:
        raise ValueError(f"cell: expected one of {list(CELL_PLANS)}, got {cell!r}")
    kind = "rnn" if cell == "rnn-relu" else cell
    return plan_layout(graph, CELL_PLANS[cell], title=title, kind=kind)
