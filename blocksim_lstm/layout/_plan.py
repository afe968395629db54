"""Hand placement from data: a :class:`Plan` places every block and routes every
wire of one diagram; :func:`plan_layout` turns it into a :class:`Layout`.

A wire's route is written as moves from its source port: ``("x", 9.3)`` runs
horizontally to x = 9.3, ``("y", 0.3)`` vertically to y = 0.3. The route is
completed to the destination port by itself: a port on the left or right side
of its box is reached horizontally (a vertical run to the port's height
first), a port on the top or bottom vertically (a horizontal run to the port's
x first). Without moves a wire goes straight, or with one elbow halfway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx  # type: ignore[import-untyped]

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

__all__ = ["Place", "Plan", "Wire", "plan_layout"]

Move = tuple[str, float]
"""``("x", value)`` or ``("y", value)``: one straight run of a wire."""


@dataclass(frozen=True)
class Place:
    """Where one block goes.

    Attributes
    ----------
    x, y
        Centre.
    w, h
        Width and height (None: from the block's symbol and ports).
    flipped
        Drawn right to left (a delay on a feedback path).
    inputs
        Input port sides in port order, ``"left"`` (default for every port),
        ``"top"`` or ``"bottom"``; the left ports are spread evenly over the
        left side, a top or bottom port sits at the middle of its side.
    name_side
        ``"above"``, ``"left"`` or ``"below"`` the box.
    """

    x: float
    y: float
    w: float | None = None
    h: float | None = None
    flipped: bool = False
    inputs: tuple[str, ...] = ()
    name_side: str = "above"


@dataclass(frozen=True)
class Wire:
    """How one wire runs.

    Attributes
    ----------
    moves
        The runs from the source port (see the module docstring).
    label_at
        Where the wire's name goes (its bottom centre); None: not labelled.
    """

    moves: tuple[Move, ...] = ()
    label_at: Point | None = None


@dataclass(frozen=True)
class Plan:
    """A hand-made drawing of one diagram, as data.

    Attributes
    ----------
    what
        What the diagram is (named in errors: ``"one GRU layer"``).
    places
        Block name -> :class:`Place`; must name every block of the graph.
    wires
        ``(source, dest)`` -> :class:`Wire`; wires not listed go straight or
        with one elbow halfway.
    named
        Wire names that are labelled where ``label_at`` is given.
    legend
        Delay block -> the legend's text for the loops it closes.
    """

    what: str
    places: Mapping[str, Place]
    wires: Mapping[tuple[str, str], Wire] = field(default_factory=dict)
    named: tuple[str, ...] = ()
    legend: Mapping[str, str] = field(default_factory=dict)


def _ports(box: Box, sides: tuple[str, ...], n: int) -> tuple[Point, ...]:
    """Input ports on the sides ``sides`` (left ones spread evenly)."""
    sides = sides or ("left",) * n
    if len(sides) != n:
        raise ValueError(f"inputs: expected {n} sides for {box.name!r}, got {sides}")
    lefts = [k for k, s in enumerate(sides) if s == "left"]
    x0, y0, x1, y1 = box.extent
    out: list[Point] = []
    for k, side in enumerate(sides):
        if side == "left":
            j = lefts.index(k)
            step = box.h / len(lefts)
            out.append((x0, box.y + box.h / 2 - (j + 0.5) * step))
        elif side in ("top", "bottom"):
            out.append((box.x, y1 if side == "top" else y0))
        else:
            raise ValueError(
                f"inputs: expected 'left', 'top' or 'bottom' for {box.name!r}, "
                f"got {side!r}"
            )
    return tuple((round(a, 6), round(b, 6)) for a, b in out)


def _place(g: nx.MultiDiGraph, name: str, p: Place) -> Box:
    box = _box(
        g, name, p.x, p.y, w=p.w, h=p.h, flipped=p.flipped, name_side=p.name_side
    )
    if p.inputs:
        box = Box(
            box.name,
            box.x,
            box.y,
            box.w,
            box.h,
            box.symbol,
            _ports(box, p.inputs, len(box.inputs)),
            box.outputs,
            box.flipped,
            box.delay,
            box.name_side,
        )
    return box


def _path(a: Point, b: Point, box: Box, moves: tuple[Move, ...]) -> tuple[Point, ...]:
    """From port ``a`` through ``moves`` to the input port ``b`` of ``box``."""
    pts = [a]
    for axis, v in moves:
        x, y = pts[-1]
        pts.append((v, y) if axis == "x" else (x, v))
    x, y = pts[-1]
    # on the left or right side of its box (ports are rounded to 1e-6)
    side = min(abs(b[0] - box.extent[0]), abs(b[0] - box.extent[2])) < 1e-5
    if not moves:
        if side and y != b[1]:
            xm = round((x + b[0]) / 2, 6)
            pts += [(xm, y), (xm, b[1])]
        elif not side:
            pts.append((b[0], y))
    elif side:
        pts.append((x, b[1]))
    else:
        pts.append((b[0], y))
    pts.append(b)
    return _clean(pts)


def plan_layout(
    graph: nx.MultiDiGraph, plan: Plan, *, title: str = "", kind: str = "plan"
) -> Layout:
    """Place the blocks and route the wires of ``graph`` as ``plan`` says.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.
    plan
        The drawing.
    title
        Title drawn above the picture.
    kind
        The layout's kind (the cell's name).

    Returns
    -------
    Layout
        Every block placed, every wire routed; wires on feedback loops tagged
        with their delay.

    Raises
    ------
    ValueError
        The graph's blocks are not the plan's (missing or extra names), or a
        route of the plan names a wire the graph does not have.
    """
    missing = [b for b in plan.places if b not in graph]
    extra = sorted(set(graph.nodes) - set(plan.places))
    if missing or extra:
        raise ValueError(
            f"graph: expected the {len(plan.places)} blocks of {plan.what}; "
            f"missing {missing}, unexpected {extra}"
        )
    unknown = [w for w in plan.wires if not graph.has_edge(*w)]
    if unknown:
        raise ValueError(f"graph: no wire {unknown[0][0]} -> {unknown[0][1]}")
    boxes = {name: _place(graph, name, p) for name, p in plan.places.items()}
    groups = _loop_groups(graph)
    routes: list[Route] = []
    edges = sorted(
        graph.edges(data=True),
        key=lambda e: (
            int(graph.nodes[e[0]].get("index", 0)),
            e[2]["source_port"],
            int(graph.nodes[e[1]].get("index", 0)),
            e[2]["dest_port"],
        ),
    )
    for u, v, d in edges:
        spec = plan.wires.get((u, v), Wire())
        a = boxes[u].outputs[d["source_port"]]
        b = boxes[v].inputs[d["dest_port"]]
        pts = _path(a, b, boxes[v], spec.moves)
        label = _label(graph, u, d, plan.named) if spec.label_at else ""
        routes.append(
            Route(
                u,
                d["source_port"],
                v,
                d["dest_port"],
                pts,
                label,
                spec.label_at if label else None,
                groups.get((u, v)),
            )
        )
    return Layout(
        boxes,
        routes,
        junctions(routes),
        title=title,
        kind=kind,
        legend=dict(plan.legend),
    )
