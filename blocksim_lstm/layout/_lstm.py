"""The hand-designed drawing of one LSTM layer, as a control engineer draws it."""

from __future__ import annotations

from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from .._names import ACTIVATION_BLOCKS, LSTM_BLOCKS, LSTM_NAMED_SIGNALS, SUM_BLOCKS
from ._geometry import (
    Box,
    Layout,
    Point,
    Route,
    _box,
    _clean,
    _elbow,
    _label,
    _loop_groups,
    junctions,
)

__all__ = ["LSTM_BLOCKS", "lstm_layout"]

_LANES = {"i": 15.0, "f": 11.0, "g": 7.0, "o": 3.0}
_SUM = SUM_BLOCKS
_ACT = ACTIVATION_BLOCKS


def lstm_layout(graph: nx.MultiDiGraph, *, title: str = "") -> Layout:
    """The hand-designed drawing of one LSTM layer + FC layer (30 blocks).

    Parameters
    ----------
    graph
        The graph of a diagram from
        :func:`blocksim_lstm._diagram.build_lstm_diagram` (block names as in
        the original model).
    title
        Title drawn above the picture.

    Returns
    -------
    Layout
        Every block of ``graph`` placed; every wire routed orthogonally; named
        wires (u(t), h(t-1), c(t-1), c(t), h(t), y(t)) labelled; wires on the
        cell-state loop and on the hidden-state loops tagged with their delay.

    Raises
    ------
    ValueError
        ``graph`` lacks one of the original's blocks, or has blocks beyond them
        (use :func:`layered_layout` for other diagrams).
    """
    missing = [b for b in LSTM_BLOCKS if b not in graph]
    extra = sorted(set(graph.nodes) - set(LSTM_BLOCKS))
    if missing or extra:
        raise ValueError(
            "graph: expected the 30 blocks of one LSTM layer diagram; "
            f"missing {missing}, unexpected {extra}"
        )
    g = graph
    boxes: dict[str, Box] = {}

    def put(name: str, x: float, y: float, **kw: Any) -> Box:
        boxes[name] = _box(g, name, x, y, **kw)
        return boxes[name]

    x_src, x_ubus, x_hbus, x_gain, x_sum, x_act = 0.4, 2.2, 3.0, 4.4, 6.2, 7.9
    x_prod, x_csum, x_tanh, x_oprod, x_fc, x_out = 11.0, 12.9, 14.7, 16.7, 18.9, 21.3
    y_cell, y_hidden = 0.3, -1.5
    put("From Workspace", x_src, 9.6, w=1.5)
    for gate, y in _LANES.items():
        put(f"W{gate}", x_gain, y + 1.1, w=0.9, h=0.6)
        put(f"R{gate}", x_gain, y, w=0.9, h=0.6)
        put(f"b{gate}", x_gain, y - 1.1, w=0.9, h=0.6)
        put(_SUM[gate], x_sum, y, w=0.7, h=1.0)
        put(_ACT[gate], x_act, y, w=1.0, h=0.6)
    # products and sums take inputs from above and below, as Simulink draws them
    w_p, h_p = 0.8, 0.8

    def bottom_top(x: float, y: float, h: float) -> tuple[Point, ...]:
        return ((x, y - h / 2), (x, y + h / 2))

    put("prod_ig", x_prod, 13.0, w=w_p, h=h_p)
    put("prod_fc", x_prod, 9.0, w=w_p, h=h_p)
    put(
        "Sum",
        x_csum,
        11.0,
        w=0.8,
        h=0.8,
        inputs=bottom_top(x_csum, 11.0, 0.8),
        name_side="left",
    )
    put("tansig_c", x_tanh, 11.0, w=1.0, h=0.6)
    put(
        "prod_oc",
        x_oprod,
        7.0,
        w=w_p,
        h=h_p,
        inputs=bottom_top(x_oprod, 7.0, h_p),
        name_side="left",
    )
    put("FC layer", x_fc, 7.0, w=1.1, h=0.7)
    put("To Workspace", x_out, 7.0, w=1.2, h=0.7)
    put("Cell State", 11.6, y_cell, w=1.0, h=0.6, flipped=True)
    put("Hidden State", 11.6, y_hidden, w=1.0, h=0.6, flipped=True)

    groups = _loop_groups(g)
    routes: list[Route] = []

    def port_out(name: str, k: int = 0) -> Point:
        return boxes[name].outputs[k]

    def port_in(name: str, k: int) -> Point:
        return boxes[name].inputs[k]

    def route(
        u: str,
        v: str,
        pts: tuple[Point, ...],
        *,
        label_at: Point | None = None,
    ) -> None:
        found = [(k, d) for k, d in g.get_edge_data(u, v, default={}).items()]
        if not found:
            raise ValueError(f"graph: expected a wire {u} -> {v} in an LSTM diagram")
        for _, d in found:
            want = boxes[v].inputs[d["dest_port"]]
            if pts[-1] != want:
                continue
            label = _label(g, u, d, LSTM_NAMED_SIGNALS) if label_at else ""
            routes.append(
                Route(
                    u,
                    d["source_port"],
                    v,
                    d["dest_port"],
                    pts,
                    label,
                    label_at if label else None,
                    groups.get((u, v)),
                )
            )
            return
        raise ValueError(f"graph: no wire {u} -> {v} ends at {pts[-1]}")

    # u(t): source -> bus -> the four W gains
    src = port_out("From Workspace")
    for k, gate in enumerate(_LANES):
        dst = port_in(f"W{gate}", 0)
        first = k == 0
        route(
            "From Workspace",
            f"W{gate}",
            _elbow(src, dst, x_ubus),
            label_at=((src[0] + x_ubus) / 2, src[1] + 0.08) if first else None,
        )
    # gate lanes: W, R, b -> sum -> activation
    for gate in _LANES:
        s = _SUM[gate]
        x_jog = x_gain + 0.45 + 0.5
        route(f"W{gate}", s, _elbow(port_out(f"W{gate}"), port_in(s, 0), x_jog))
        route(f"R{gate}", s, _clean([port_out(f"R{gate}"), port_in(s, 1)]))
        route(f"b{gate}", s, _elbow(port_out(f"b{gate}"), port_in(s, 2), x_jog))
        route(s, _ACT[gate], _clean([port_out(s), port_in(_ACT[gate], 0)]))
    # activations -> products
    route(
        "logsig_i", "prod_ig", _elbow(port_out("logsig_i"), port_in("prod_ig", 0), 9.3)
    )
    route(
        "tansig_g", "prod_ig", _elbow(port_out("tansig_g"), port_in("prod_ig", 1), 9.9)
    )
    route(
        "logsig_f", "prod_fc", _elbow(port_out("logsig_f"), port_in("prod_fc", 0), 9.0)
    )
    route(
        "logsig_o",
        "prod_oc",
        _clean([port_out("logsig_o"), (x_oprod, 3.0), port_in("prod_oc", 0)]),
    )
    # products -> cell sum (from below and above) -> c(t)
    a = port_out("prod_fc")
    route("prod_fc", "Sum", _clean([a, (x_csum, a[1]), port_in("Sum", 0)]))
    a = port_out("prod_ig")
    route("prod_ig", "Sum", _clean([a, (x_csum, a[1]), port_in("Sum", 1)]))
    c_out = port_out("Sum")
    x_cj = c_out[0] + 0.45
    route(
        "Sum",
        "tansig_c",
        _clean([c_out, port_in("tansig_c", 0)]),
        label_at=((c_out[0] + port_in("tansig_c", 0)[0]) / 2 + 0.12, c_out[1] + 0.08),
    )
    cell_in = port_in("Cell State", 0)
    route(
        "Sum", "Cell State", _clean([c_out, (x_cj, c_out[1]), (x_cj, y_cell), cell_in])
    )
    # c(t-1): Cell State -> f product, drawn back on the left
    c_prev = port_out("Cell State")
    x_cp = 10.3
    route(
        "Cell State",
        "prod_fc",
        _clean(
            [
                c_prev,
                (x_cp, y_cell),
                (x_cp, port_in("prod_fc", 1)[1]),
                port_in("prod_fc", 1),
            ]
        ),
        label_at=(x_cp + 0.55, 1.5),
    )
    # tanh(c(t)) -> output product (from above)
    a = port_out("tansig_c")
    route("tansig_c", "prod_oc", _clean([a, (x_oprod, a[1]), port_in("prod_oc", 1)]))
    # h(t) -> FC layer -> To Workspace; h(t) -> Hidden State underneath
    h_out = port_out("prod_oc")
    fc_in = port_in("FC layer", 0)
    route(
        "prod_oc",
        "FC layer",
        _clean([h_out, fc_in]),
        label_at=((h_out[0] + fc_in[0]) / 2 + 0.1, h_out[1] + 0.08),
    )
    x_hj = h_out[0] + 0.35
    route(
        "prod_oc",
        "Hidden State",
        _clean([h_out, (x_hj, h_out[1]), (x_hj, y_hidden), port_in("Hidden State", 0)]),
    )
    y_out = port_out("FC layer")
    sink_in = port_in("To Workspace", 0)
    route(
        "FC layer",
        "To Workspace",
        _clean([y_out, sink_in]),
        label_at=((y_out[0] + sink_in[0]) / 2, y_out[1] + 0.08),
    )
    # h(t-1): Hidden State -> bus on the left -> the four R gains
    h_prev = port_out("Hidden State")
    for k, gate in enumerate(_LANES):
        dst = port_in(f"R{gate}", 0)
        route(
            "Hidden State",
            f"R{gate}",
            _clean([h_prev, (x_hbus, y_hidden), (x_hbus, dst[1]), dst]),
            label_at=(6.6, y_hidden + 0.08) if k == 0 else None,
        )
    n_wires = graph.number_of_edges()
    if len(routes) != n_wires:
        raise ValueError(
            f"graph: routed {len(routes)} of {n_wires} wires; the diagram has "
            "wires the LSTM layout does not know"
        )
    return Layout(boxes, routes, junctions(routes), title=title, kind="lstm")
