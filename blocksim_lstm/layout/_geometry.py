"""Geometry shared by the layouts: boxes, routes, symbols, junctions, checks.

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
    "Point",
    "Route",
    "block_symbol",
    "junctions",
    "route_problems",
]

Point = tuple[float, float]
"""A point ``(x, y)`` in layout units."""


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


def block_symbol(node: Mapping[str, Any]) -> str:
    """The symbol for a graph node: K, Σ, σ, tanh, ×, z⁻¹, ...

    The block class's own ``symbol`` when it has one, else by bdsim type.

    Parameters
    ----------
    node
        A node's attributes in a graph from :func:`blocksim_lstm.diagram_graph`
        (``type``, ``class``, ...).
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

    Attributes
    ----------
    name
        The block's name.
    x, y
        Centre, in layout units (y upwards).
    w, h
        Width and height.
    symbol
        What is drawn inside (``K``, ``Σ``, ``σ``, ``z⁻¹``, ...).
    inputs, outputs
        Port positions, in port order.
    flipped
        Drawn right to left (a feedback block).
    delay
        A unit delay (drawn on the rows underneath).
    name_side
        Where the name goes: ``"above"``, ``"left"`` or ``"below"``.
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

    Attributes
    ----------
    source, dest
        Source and destination block names.
    source_port, dest_port
        Their port numbers (0-based).
    points
        The orthogonal polyline, from the source port to the destination port.
    label
        The wire's name drawn beside it, ``""`` for none.
    label_at
        Where the label goes (None: not drawn).
    group
        The delay whose feedback loops the wire lies on, or None.
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
    """Boxes, routes and junction dots of one picture, with its extent.

    Attributes
    ----------
    boxes
        Block name -> its :class:`Box`.
    routes
        One :class:`Route` per wire.
    junctions
        Junction dots (where wires from one port part ways).
    title
        Title of the picture.
    kind
        ``"lstm"`` (the hand-designed layout), ``"layered"``, or a cell's name
        (a hand-made :class:`~blocksim_lstm.layout._plan.Plan`).
    legend
        Delay block -> the legend's text for the loops it closes (empty: the
        default texts).
    """

    boxes: dict[str, Box]
    routes: list[Route]
    junctions: list[Point] = field(default_factory=list)
    title: str = ""
    kind: str = "layered"
    legend: dict[str, str] = field(default_factory=dict)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` enclosing every box and wire."""
        xs: list[float] = []
        ys: list[float] = []
        for b in self.boxes.values():
            x0, y0, x1, y1 = b.extent
            xs += [x0, x1]
            below = b.name_side == "below"
            ys += [y0 - 0.45 if below else y0, y1 if below else y1 + 0.45]
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
    from .._loops import feedback_cycles

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
    """Junction dots: where wires from one output port part ways (sorted).

    Parameters
    ----------
    routes
        The wires of a layout.
    """
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

    Parameters
    ----------
    layout
        A layout to check.
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
