"""Where each block and wire of a diagram goes on the page.

Two layouts, both computed from a diagram graph (:mod:`blocksim_lstm.graph`):

- :func:`lstm_layout`, a deliberate drawing of one LSTM layer as a control
  engineer would draw it: signal flow left to right (input gains, the four
  gates one above the other, products and the cell sum, tanh, the FC layer),
  the two unit delays underneath on feedback paths drawn back to the left.
- :func:`layered_layout`, an automatic layered drawing for any diagram (stacked
  layers, the LTI construction, user diagrams): columns by longest path, delays
  on rows underneath, long wires through their own tracks.

Coordinates are abstract units, y upwards. All wires are orthogonal polylines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

__all__ = [
    "Box",
    "Layout",
    "Route",
    "block_symbol",
    "junctions",
    "layered_layout",
    "lstm_layout",
    "route_problems",
]

Point = tuple[float, float]

# bdsim block type -> symbol drawn in the box
_SYMBOLS: dict[str, str] = {
    "gain": "K",
    "sum": "Σ",
    "sigmoid": "σ",
    "tanh": "tanh",
    "eprod": "×",
    "prod": "Π",
    "unitdelay": "z⁻¹",
    "zoh": "z⁻¹",
    "constant": "const",
    "affine": "F·+b",
    "sequence": "u[k]",
    "logger": "log",
    "null": "∅",
    "function": "f(·)",
    "step": "step",
}

LSTM_NAMED_SIGNALS: tuple[str, ...] = (
    "u(t)",
    "h(t-1)",
    "c(t-1)",
    "c(t)",
    "h(t)",
    "y(t)",
)
"""Wire names of the original model (plus the output y(t))."""


def block_symbol(node: Mapping[str, Any]) -> str:
    """The symbol for a graph node: K, Σ, σ, tanh, ×, z⁻¹, ...

    The block class's own ``symbol`` when it has one, else by bdsim type.
    """
    if node.get("symbol"):
        return str(node["symbol"])
    t = str(node.get("type", ""))
    if t in _SYMBOLS:
        return _SYMBOLS[t]
    if node.get("delay", False):
        return "z⁻¹"
    return t or "?"


@dataclass(frozen=True)
class Box:
    """A block's rectangle: centre ``(x, y)``, width ``w``, height ``h``.

    ``inputs`` and ``outputs`` are the port positions (one point per port).
    ``flipped`` boxes (the delays on feedback paths) take their input on the
    right and give their output on the left. The block's name is drawn
    ``name_side`` of the box (``"above"`` or ``"left"``).
    """

    name: str
    x: float
    y: float
    w: float
    h: float
    symbol: str
    inputs: tuple[Point, ...]
    outputs: tuple[Point, ...]
    flipped: bool = False
    delay: bool = False
    name_side: str = "above"

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` corners."""
        return (
            self.x - self.w / 2,
            self.y - self.h / 2,
            self.x + self.w / 2,
            self.y + self.h / 2,
        )


@dataclass(frozen=True)
class Route:
    """One wire's path: ``points`` from the source port to the destination port.

    ``label`` is the text drawn on it (empty for none), at ``label_at`` (the
    anchor of the text's bottom centre). ``group`` is the delay whose feedback
    loops the wire lies on (None for forward-only wires).
    """

    source: str
    source_port: int
    dest: str
    dest_port: int
    points: tuple[Point, ...]
    label: str = ""
    label_at: Point | None = None
    group: str | None = None


@dataclass
class Layout:
    """Boxes, routes and junction dots of one picture, with its extent."""

    boxes: dict[str, Box]
    routes: list[Route]
    junctions: list[Point] = field(default_factory=list)
    title: str = ""
    kind: str = "layered"

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` enclosing every box and wire."""
        xs: list[float] = []
        ys: list[float] = []
        for b in self.boxes.values():
            x0, y0, x1, y1 = b.extent
            xs += [x0, x1]
            ys += [y0, y1 + 0.45]  # name above the box
        for r in self.routes:
            xs += [p[0] for p in r.points]
            ys += [p[1] for p in r.points]
        return (min(xs), min(ys), max(xs), max(ys))


# --------------------------------------------------------------------- helpers
def _ports(
    x: float, y: float, w: float, h: float, n: int, *, side: str
) -> tuple[Point, ...]:
    """``n`` ports evenly spread on the ``side`` of a box (top port first)."""
    if n == 0:
        return ()
    px = x - w / 2 if side == "left" else x + w / 2
    step = h / n
    return tuple((px, y + h / 2 - (k + 0.5) * step) for k in range(n))


def _box(
    g: nx.MultiDiGraph,
    name: str,
    x: float,
    y: float,
    *,
    w: float | None = None,
    h: float | None = None,
    flipped: bool = False,
    inputs: tuple[Point, ...] | None = None,
    name_side: str = "above",
) -> Box:
    d = g.nodes[name]
    sym = block_symbol(d)
    w = w if w is not None else max(0.9, 0.22 * len(sym) + 0.4)
    h = h if h is not None else max(0.6, 0.32 * max(d["nin"], d["nout"], 1))
    left, right = ("right", "left") if flipped else ("left", "right")
    ins = inputs if inputs is not None else _ports(x, y, w, h, d["nin"], side=left)
    outs = _ports(x, y, w, h, d["nout"], side=right)
    ins = tuple((round(a, 6), round(b, 6)) for a, b in ins)
    outs = tuple((round(a, 6), round(b, 6)) for a, b in outs)
    return Box(
        name, x, y, w, h, sym, ins, outs, flipped, bool(d.get("delay")), name_side
    )


def _elbow(a: Point, b: Point, xc: float) -> tuple[Point, ...]:
    """a -> (xc, a.y) -> (xc, b.y) -> b, dropping degenerate corners."""
    pts = [a, (xc, a[1]), (xc, b[1]), b]
    return _clean(pts)


def _clean(pts: list[Point]) -> tuple[Point, ...]:
    out: list[Point] = []
    for p in pts:
        p = (round(p[0], 6), round(p[1], 6))
        if out and p == out[-1]:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (x0 == x1 == p[0]) or (y0 == y1 == p[1]):
                out[-1] = p
                continue
        out.append(p)
    return tuple(out)


def _loop_groups(g: nx.MultiDiGraph) -> dict[tuple[str, str], str]:
    """Edge (u, v) -> the delay of the loops it lies on.

    An edge on loops of several delays takes the delay with the fewest loops
    (the inner loop), so the inner loop stays visible as one colour.
    """
    from .loops import feedback_cycles

    cycles = [(c.delay, c) for c in feedback_cycles(g) if c.delay is not None]
    count: dict[str, int] = {}
    for delay, _ in cycles:
        count[delay] = count.get(delay, 0) + 1
    out: dict[tuple[str, str], str] = {}
    for delay, c in sorted(cycles, key=lambda dc: -count[dc[0]]):
        ring = list(c.blocks)
        for u, v in zip(ring, ring[1:] + ring[:1], strict=True):
            out[(u, v)] = delay
    return out


def _label(
    g: nx.MultiDiGraph, u: str, d: Mapping[str, Any], named: tuple[str, ...]
) -> str:
    if d.get("name"):
        return str(d["name"])
    sig = str(d.get("signal", ""))
    return sig if sig in named else ""


def _on_path(pt: Point, pts: tuple[Point, ...]) -> bool:
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        if x0 == x1 == pt[0] and min(y0, y1) <= pt[1] <= max(y0, y1):
            return True
        if y0 == y1 == pt[1] and min(x0, x1) <= pt[0] <= max(x0, x1):
            return True
    return False


def _divergence(r: tuple[Point, ...], o: tuple[Point, ...]) -> Point | None:
    """Where path ``r`` leaves path ``o`` (both start at the same port)."""
    for p, q in zip(r, r[1:], strict=False):
        if _on_path(q, o):
            continue
        # q is off o: the last point of segment p-q still on o
        cands = [p] + [v for v in o if _on_path(v, (p, q)) and _on_path(v, o)]
        return max(cands, key=lambda v: abs(v[0] - p[0]) + abs(v[1] - p[1]))
    return None


def junctions(routes: list[Route]) -> list[Point]:
    """Junction dots: where wires from one output port part ways (sorted)."""
    fan: dict[tuple[str, int], list[Route]] = {}
    for r in routes:
        fan.setdefault((r.source, r.source_port), []).append(r)
    out: set[Point] = set()
    for rs in fan.values():
        for r in rs:
            for o in rs:
                if o is r:
                    continue
                d = _divergence(r.points, o.points)
                if d is not None and d != r.points[0]:
                    out.add(d)
    return sorted(out)


# ------------------------------------------------------------------ LSTM layout
_LANES = {"i": 15.0, "f": 11.0, "g": 7.0, "o": 3.0}
_SUM = {"i": "sumIG", "f": "sumFG", "g": "sumCG", "o": "sumOG"}
_ACT = {"i": "logsig_i", "f": "logsig_f", "g": "tansig_g", "o": "logsig_o"}
LSTM_BLOCKS: tuple[str, ...] = (
    "From Workspace",
    *(f"{a}{k}" for a in "WRb" for k in "ifgo"),
    *_SUM.values(),
    "logsig_i",
    "logsig_f",
    "logsig_o",
    "tansig_g",
    "tansig_c",
    "prod_fc",
    "prod_ig",
    "prod_oc",
    "Sum",
    "Hidden State",
    "Cell State",
    "FC layer",
    "To Workspace",
)
"""The original model's 30 block names (SPEC section 2)."""


def lstm_layout(graph: nx.MultiDiGraph, *, title: str = "") -> Layout:
    """The hand-designed drawing of one LSTM layer + FC layer (30 blocks).

    Parameters
    ----------
    graph
        The graph of a diagram from
        :func:`blocksim_lstm.diagram.build_lstm_diagram` (block names as in
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


# --------------------------------------------------------------- layered layout
def _ranks(g: nx.MultiDiGraph, delays: set[str]) -> dict[str, int]:
    """Column of each non-delay block: longest path from a source, delays cut."""
    d = nx.DiGraph()
    d.add_nodes_from(n for n in g.nodes if n not in delays)
    d.add_edges_from(
        (u, v) for u, v in g.edges() if u not in delays and v not in delays and u != v
    )
    # an algebraic loop has no topological order: cut back edges of a DFS
    while not nx.is_directed_acyclic_graph(d):
        cycle = nx.find_cycle(d)
        d.remove_edge(*cycle[-1][:2])
    order = {n: int(g.nodes[n].get("index", 0)) for n in d}
    topo = list(nx.lexicographical_topological_sort(d, key=lambda n: f"{order[n]:09d}"))
    rank: dict[str, int] = {}
    for n in topo:
        preds = list(d.predecessors(n))
        rank[n] = 1 + max((rank[p] for p in preds), default=-1)
    # blocks fed by nothing (constants, gains after a delay) sit just before
    # the first block they feed, not all in column 0
    for n in reversed(topo):
        succ = list(d.successors(n))
        if succ and not list(d.predecessors(n)):
            rank[n] = max(rank[n], min(rank[v] for v in succ) - 1)
    return rank


def _label_spot(pts: tuple[Point, ...], label: str) -> Point:
    """Bottom centre of a label: on the longest horizontal segment of a wire."""
    best = (-1.0, pts[0], pts[1])
    for p, q in zip(pts, pts[1:], strict=False):
        if p[1] == q[1] and abs(q[0] - p[0]) > best[0]:
            best = (abs(q[0] - p[0]), p, q)
    _, p, q = best
    return (round((p[0] + q[0]) / 2, 6), round(p[1] + 0.06, 6))


def layered_layout(
    graph: nx.MultiDiGraph,
    *,
    title: str = "",
    named: tuple[str, ...] = LSTM_NAMED_SIGNALS,
    col_gap: float = 3.6,
    row_gap: float = 1.0,
    box_w: float = 1.2,
) -> Layout:
    """An automatic layered drawing of any diagram graph.

    Blocks go in columns by longest path from the sources (wires into delay
    blocks cut); delay blocks go on their own rows underneath, drawn flipped,
    so feedback wires run back to the left below the forward flow. Wires that
    skip columns run through their own tracks (dummy nodes), so no wire
    crosses a box. Rows within a column are ordered by the mean row of the
    blocks feeding them (a barycentre sweep), to reduce crossings.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.graph.diagram_graph`.
    title
        Title drawn above the picture.
    named
        Signal labels (edge ``signal``) drawn even when bdsim has no wire name.
    col_gap, row_gap
        Distance between columns, and vertical room per block (beyond its
        box and name), in layout units.
    box_w
        Width of the boxes.

    Returns
    -------
    Layout
    """
    g = graph
    delays = {n for n, d in g.nodes(data=True) if d.get("delay")}
    rank = _ranks(g, delays)
    ncols = 1 + max(rank.values(), default=0)
    # one track per (source, port) and column that its wires must pass through
    tracks: dict[tuple[str, int], int] = {}  # (source, port) -> last column reached
    for u, v, d in g.edges(data=True):
        if u in delays or v in delays:
            continue
        key = (u, d["source_port"])
        if rank[v] - rank[u] > 1:
            tracks[key] = max(tracks.get(key, 0), rank[v] - 1)
    columns: list[list[str]] = [[] for _ in range(ncols)]
    for n in sorted(rank, key=lambda n: g.nodes[n]["index"]):
        columns[rank[n]].append(n)
    for (u, p), last in sorted(tracks.items(), key=lambda t: g.nodes[t[0][0]]["index"]):
        for c in range(rank[u] + 1, last + 1):
            columns[c].append(f"\x00{u}\x00{p}")
    # barycentre sweeps: order each column by its feeders' positions
    pos: dict[str, float] = {}
    for col in columns:
        for k, n in enumerate(col):
            pos[n] = float(k)

    def feeders(n: str, c: int) -> list[str]:
        if n.startswith("\x00"):
            _, u, _p = n.split("\x00")
            prev = f"\x00{u}\x00{_p}"
            return [prev if c - 1 > rank[u] else u]
        out = []
        for u, _, d in g.in_edges(n, data=True):
            if u in delays:
                continue
            if rank[u] == c - 1:
                out.append(u)
            elif rank[u] < c - 1:
                out.append(f"\x00{u}\x00{d['source_port']}")
        return out

    for _ in range(3):
        for c in range(1, ncols):
            bary = {}
            for n in columns[c]:
                f = [pos[x] for x in feeders(n, c) if x in pos]
                bary[n] = sum(f) / len(f) if f else pos[n]
            columns[c].sort(key=lambda n: (bary[n], pos[n]))
            for k, n in enumerate(columns[c]):
                pos[n] = float(k)
    # channels each gap needs (one per source port whose wires turn there)
    demand: dict[int, set[tuple[str, int]]] = {}
    for u, v, d in g.edges(data=True):
        key = (u, d["source_port"])
        if v in delays:
            gaps = [rank.get(u, 0)]
        elif u in delays:
            gaps = [rank[v] - 1] if rank[v] > 0 else []
        else:
            gaps = list(range(rank[u], rank[v]))
        for gap in gaps:
            demand.setdefault(gap, set()).add(key)
    spacing = 0.22
    first_x = box_w / 2 + 0.9
    col_x = [0.0]
    for c in range(1, ncols):
        n_ch = len(demand.get(c - 1, ()))
        width = max(col_gap, first_x + spacing * max(n_ch - 1, 0) + 0.5 + box_w / 2)
        col_x.append(round(col_x[-1] + width, 6))

    # y positions: each column stacked top-down, centred on y = 0
    def item_h(n: str) -> float:
        if n.startswith("\x00"):
            return 0.5
        d = g.nodes[n]
        return max(0.6, 0.32 * max(d["nin"], d["nout"], 1)) + 0.45 + row_gap - 0.6

    boxes: dict[str, Box] = {}
    track_pt: dict[tuple[str, int, int], float] = {}  # (u, p, column) -> y
    for c, col in enumerate(columns):
        total = sum(item_h(n) for n in col)
        top = total / 2
        for n in col:
            h = item_h(n)
            y = round(top - h / 2 - (0.2 if not n.startswith("\x00") else 0.0), 6)
            top -= h
            x = col_x[c]
            if n.startswith("\x00"):
                _, u, port = n.split("\x00")
                track_pt[(u, int(port), c)] = y
            else:
                boxes[n] = _box(g, n, x, y, w=box_w)
    # delays on rows underneath, below the column of the block feeding them
    y_floor = min((b.extent[1] for b in boxes.values()), default=0.0) - 1.4
    y_floor = min([y_floor, *track_pt.values()]) - 0.6 if track_pt else y_floor
    delay_list = sorted(delays, key=lambda n: g.nodes[n]["index"])
    for k, n in enumerate(delay_list):
        feeders_ = [u for u, _ in g.in_edges(n) if u in rank]
        c = max((rank[u] for u in feeders_), default=0)
        boxes[n] = _box(g, n, col_x[c], y_floor - k * row_gap, w=box_w, flipped=True)
    # vertical channels between columns: one x per (source, port) in each gap
    channel: dict[tuple[int, str, int], float] = {}

    def chan(gap: int, u: str, p: int) -> float:
        key = (gap, u, p)
        if key not in channel:
            used = sum(1 for k in channel if k[0] == gap)
            channel[key] = round(col_x[gap] + first_x + spacing * used, 6)
        return channel[key]

    groups = _loop_groups(g)
    routes: list[Route] = []
    labelled: set[tuple[str, int]] = set()
    edges = sorted(
        g.edges(data=True),
        key=lambda e: (
            g.nodes[e[0]]["index"],
            e[2]["source_port"],
            g.nodes[e[1]]["index"],
        ),
    )
    for u, v, d in edges:
        p, q = d["source_port"], d["dest_port"]
        a = boxes[u].outputs[p]
        b = boxes[v].inputs[q]
        if v in delays:
            # down the channel right of the source, left into the delay's input
            xc = chan(rank.get(u, 0), u, p)
            pts = _clean([a, (xc, a[1]), (xc, b[1]), b])
        elif u in delays:
            # left along the delay's row, up the channel left of the destination
            xc = chan(rank[v] - 1, u, p) if rank[v] > 0 else b[0] - 0.5
            if xc < a[0]:
                pts = _clean([a, (xc, a[1]), (xc, b[1]), b])
            else:  # a delay feeding forward: go round underneath it
                y_low = a[1] - boxes[u].h / 2 - 0.3
                xa = a[0] - 0.3
                pts = _clean([a, (xa, a[1]), (xa, y_low), (xc, y_low), (xc, b[1]), b])
        else:
            pts_l: list[Point] = [a]
            y = a[1]
            for c in range(rank[u] + 1, rank[v]):
                yc = track_pt[(u, p, c)]
                xc = chan(c - 1, u, p)
                pts_l += [(xc, y), (xc, yc), (col_x[c] + box_w / 2, yc)]
                y = yc
            xc = chan(rank[v] - 1, u, p)
            pts_l += [(xc, y), (xc, b[1]), b]
            pts = _clean(pts_l)
        label = _label(g, u, d, named)
        at = None
        if label and (u, p) not in labelled:
            labelled.add((u, p))
            if boxes[u].flipped:  # just left of a delay's output
                half = 0.075 * len(label)
                at = (round(a[0] - 0.15 - half, 6), round(a[1] + 0.06, 6))
            else:
                at = _label_spot(pts, label)
        else:
            label = ""
        routes.append(Route(u, p, v, q, pts, label, at, groups.get((u, v))))
    return Layout(boxes, routes, junctions(routes), title=title, kind="layered")


# ------------------------------------------------------------------- checking
def _seg_hits_box(p: Point, q: Point, box: tuple[float, float, float, float]) -> bool:
    """True if the axis-parallel segment p-q passes through the box's interior."""
    x0, y0, x1, y1 = box
    eps = 1e-6
    if p[1] == q[1]:
        lo, hi = sorted((p[0], q[0]))
        return y0 + eps < p[1] < y1 - eps and lo < x1 - eps and hi > x0 + eps
    lo, hi = sorted((p[1], q[1]))
    return x0 + eps < p[0] < x1 - eps and lo < y1 - eps and hi > y0 + eps


def route_problems(layout: Layout) -> list[str]:
    """Geometric faults of a layout's wires (an empty list when all is well).

    Checks that every wire starts and ends on its blocks' ports, is made of
    horizontal and vertical segments only, and crosses no box except at its
    own ends; and that no two boxes overlap.
    """
    problems: list[str] = []
    for r in layout.routes:
        pts = r.points
        if pts[0] != layout.boxes[r.source].outputs[r.source_port]:
            problems.append(f"wire {r.source}->{r.dest} does not start at its port")
        if pts[-1] != layout.boxes[r.dest].inputs[r.dest_port]:
            problems.append(f"wire {r.source}->{r.dest} does not end at its port")
        for p, q in zip(pts, pts[1:], strict=False):
            if p[0] != q[0] and p[1] != q[1]:
                problems.append(f"wire {r.source}->{r.dest} has a slanted segment")
            for name, b in layout.boxes.items():
                if _seg_hits_box(p, q, b.extent):
                    problems.append(f"wire {r.source}->{r.dest} crosses box {name!r}")
    names = sorted(layout.boxes)
    for i, m in enumerate(names):
        ea = layout.boxes[m].extent
        for n in names[i + 1 :]:
            eb = layout.boxes[n].extent
            if ea[0] < eb[2] and eb[0] < ea[2] and ea[1] < eb[3] and eb[1] < ea[3]:
                problems.append(f"boxes {m!r} and {n!r} overlap")
    return problems
