"""An automatic layered drawing for any diagram graph."""

from __future__ import annotations

import networkx as nx  # type: ignore[import-untyped]

from .._names import LSTM_NAMED_SIGNALS
from ._geometry import (
    Box,
    Layout,
    Point,
    Route,
    _box,
    _clean,
    _label,
    _loop_groups,
    junctions,
)

__all__ = ["layered_layout"]


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
        A graph from :func:`blocksim_lstm._graph.diagram_graph`.
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
