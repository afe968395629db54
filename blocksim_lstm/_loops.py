"""Structural report of a diagram graph: feedback loops, algebraic loops, order.

A *feedback cycle* is a simple cycle of the diagram graph. It is broken by a
delay block (a block without direct feedthrough, see
:func:`blocksim_lstm._graph.is_delay_block`). A cycle with no delay is an
*algebraic loop*: its blocks would need their own present output to compute
it, and the diagram cannot be evaluated.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

__all__ = [
    "AlgebraicLoopError",
    "Cycle",
    "StructureReport",
    "algebraic_loops",
    "check_no_algebraic_loops",
    "evaluation_order",
    "feedback_cycles",
    "structure_report",
]


class AlgebraicLoopError(ValueError):
    """The diagram holds a cycle without a delay block (an algebraic loop).

    Parameters
    ----------
    loops
        Each algebraic loop as the block names along it, in wire order (the
        first block is not repeated at the end).
    """

    def __init__(self, loops: list[list[str]]) -> None:
        self.loops = loops
        shown = "; ".join(" -> ".join([*c, c[0]]) for c in loops)
        super().__init__(
            f"diagram: {len(loops)} algebraic loop(s) (a cycle with no delay "
            f"block to break it): {shown}"
        )


@dataclass(frozen=True)
class Cycle:
    """One simple feedback cycle.

    Attributes
    ----------
    blocks : tuple of str
        Block names in signal-flow order, starting at the breaking delay (or, for
        an algebraic loop, at the block that comes first in the block list).
    delays : tuple of str
        Every delay block on the cycle, in the order of ``blocks``.
    """

    blocks: tuple[str, ...]
    delays: tuple[str, ...]

    @property
    def delay(self) -> str | None:
        """The delay that breaks the cycle (the first one), None if algebraic."""
        return self.delays[0] if self.delays else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: ``blocks``, ``delay``, ``delays``."""
        return {
            "blocks": list(self.blocks),
            "delay": self.delay,
            "delays": list(self.delays),
        }


def _simple_digraph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Collapse parallel wires: cycles are about blocks, not ports."""
    d = nx.DiGraph()
    d.add_nodes_from(graph.nodes(data=True))
    d.add_edges_from((u, v) for u, v in graph.edges())
    return d


def _index(graph: nx.MultiDiGraph, node: str) -> int:
    return int(graph.nodes[node].get("index", 0))


def _canonical(graph: nx.MultiDiGraph, nodes: list[str]) -> Cycle:
    """Rotate a cycle to start at its first delay (or its first block)."""
    delays = [n for n in nodes if graph.nodes[n].get("delay", False)]
    if delays:
        start = nodes.index(min(delays, key=lambda n: _index(graph, n)))
    else:
        start = nodes.index(min(nodes, key=lambda n: _index(graph, n)))
    rotated = tuple(nodes[start:] + nodes[:start])
    return Cycle(
        blocks=rotated,
        delays=tuple(n for n in rotated if graph.nodes[n].get("delay", False)),
    )


def feedback_cycles(graph: nx.MultiDiGraph) -> list[Cycle]:
    """Every simple cycle of the diagram graph (with and without delays).

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm._graph.diagram_graph`.

    Returns
    -------
    list of Cycle
        Sorted by breaking delay (block-list order; algebraic loops last), then
        by the block-list positions of the cycle's blocks: deterministic.
    """
    cycles = [_canonical(graph, c) for c in nx.simple_cycles(_simple_digraph(graph))]

    def key(c: Cycle) -> tuple[int, int, list[int]]:
        first = _index(graph, c.delay) if c.delay is not None else 1 << 30
        return (c.delay is None, first, [_index(graph, n) for n in c.blocks])

    return sorted(cycles, key=key)


def algebraic_loops(graph: nx.MultiDiGraph) -> list[Cycle]:
    """The cycles that no delay breaks (empty for a well-formed diagram).

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.
    """
    return [c for c in feedback_cycles(graph) if c.delay is None]


def check_no_algebraic_loops(graph: nx.MultiDiGraph) -> None:
    """Raise :class:`AlgebraicLoopError` naming the blocks of every algebraic loop.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.

    Raises
    ------
    AlgebraicLoopError
        (a ``ValueError``) if any cycle has no delay block.
    """
    loops = algebraic_loops(graph)
    if loops:
        raise AlgebraicLoopError([list(c.blocks) for c in loops])


def evaluation_order(graph: nx.MultiDiGraph) -> list[str]:
    """An order in which the blocks can be evaluated at one time step.

    Wires into delay blocks are cut (a delay's output depends only on its
    state); the rest is sorted topologically, ties broken by block-list order.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.

    Raises
    ------
    AlgebraicLoopError
        The diagram has an algebraic loop, so no such order exists.
    """
    check_no_algebraic_loops(graph)
    cut = _simple_digraph(graph)
    cut.remove_edges_from(
        [(u, v) for u, v in cut.edges() if graph.nodes[v].get("delay", False)]
    )
    return list(
        nx.lexicographical_topological_sort(
            cut, key=lambda n: f"{_index(graph, n):09d}"
        )
    )


@dataclass(frozen=True)
class StructureReport:
    """What :func:`structure_report` finds in a diagram graph.

    Attributes
    ----------
    blocks : tuple of str
        Block names in block-list order.
    helper_blocks : tuple of str
        Blocks that are not among ``original`` (those the simulator needs beyond
        the modelled system); empty when no ``original`` list was given.
    cycles : tuple of Cycle
        Feedback cycles broken by a delay.
    algebraic_loops : tuple of Cycle
        Cycles without a delay.
    widths : dict
        ``"src[port] -> dst[port]"`` -> elements on that wire (None if unknown).
    order : tuple of str
        Evaluation order (empty when there is an algebraic loop).
    wire_names
        Block name -> the name of the wire leaving its output port 0 (named wires only).
    """

    blocks: tuple[str, ...]
    helper_blocks: tuple[str, ...]
    cycles: tuple[Cycle, ...]
    algebraic_loops: tuple[Cycle, ...]
    widths: dict[str, int | None] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    wire_names: dict[str, str] = field(default_factory=dict)

    @property
    def groups(self) -> dict[str, int]:
        """Number of cycles broken by each delay, in cycle order."""
        out: dict[str, int] = {}
        for c in self.cycles:
            assert c.delay is not None
            out[c.delay] = out.get(c.delay, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (keys ``blocks``, ``n_blocks``, ``cycles``, ...)."""
        return {
            "n_blocks": len(self.blocks),
            "blocks": list(self.blocks),
            "helper_blocks": list(self.helper_blocks),
            "n_cycles": len(self.cycles),
            "cycle_groups": self.groups,
            "cycles": [c.to_dict() for c in self.cycles],
            "algebraic_loops": [c.to_dict() for c in self.algebraic_loops],
            "order": list(self.order),
            "wires": [
                {"wire": k, "name": self.wire_names.get(k, ""), "width": w}
                for k, w in self.widths.items()
            ],
        }

    def text(self) -> str:
        """A readable multi-line report."""
        lines = [f"blocks: {len(self.blocks)}"]
        if self.helper_blocks:
            lines.append(
                f"helper blocks (not in the model): {list(self.helper_blocks)}"
            )
        lines.append(f"feedback cycles: {len(self.cycles)}")
        for delay, n in self.groups.items():
            lines.append(f"  broken by {delay!r}: {n}")
            for c in self.cycles:
                if c.delay == delay:
                    lines.append("    " + " -> ".join([*c.blocks, c.blocks[0]]))
        if self.algebraic_loops:
            lines.append(f"ALGEBRAIC LOOPS: {len(self.algebraic_loops)}")
            for c in self.algebraic_loops:
                lines.append("    " + " -> ".join([*c.blocks, c.blocks[0]]))
        else:
            lines.append("algebraic loops: none")
        if self.order:
            lines.append("evaluation order: " + ", ".join(self.order))
        lines.append("wires (width):")
        for k, w in self.widths.items():
            name = self.wire_names.get(k, "")
            label = f"  [{name}]" if name else ""
            lines.append(f"  {k}: {'?' if w is None else w}{label}")
        return "\n".join(lines)


def _wire_key(u: str, v: str, d: dict[str, Any]) -> str:
    return f"{u}[{d['source_port']}] -> {v}[{d['dest_port']}]"


def structure_report(
    graph: nx.MultiDiGraph, *, original: Collection[str] | None = None
) -> StructureReport:
    """Analyse a diagram graph: cycles by delay, algebraic loops, widths, order.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm._graph.diagram_graph`.
    original
        Names of the modelled system's blocks; any other block is listed as a
        helper block.

    Returns
    -------
    StructureReport
        Never raises for an algebraic loop: it is a report entry (and the
        evaluation order is then empty).
    """
    blocks = tuple(sorted(graph.nodes, key=lambda n: _index(graph, n)))
    helpers = tuple(b for b in blocks if original is not None and b not in original)
    cycles = feedback_cycles(graph)
    loops = tuple(c for c in cycles if c.delay is None)
    edges = sorted(
        graph.edges(data=True),
        key=lambda e: (_index(graph, e[0]), e[2]["source_port"], _index(graph, e[1])),
    )
    widths = {_wire_key(u, v, d): d.get("width") for u, v, d in edges}
    names = {_wire_key(u, v, d): d["name"] for u, v, d in edges if d["name"]}
    return StructureReport(
        blocks=blocks,
        helper_blocks=helpers,
        cycles=tuple(c for c in cycles if c.delay is not None),
        algebraic_loops=loops,
        widths=widths,
        order=() if loops else tuple(evaluation_order(graph)),
        wire_names=names,
    )
