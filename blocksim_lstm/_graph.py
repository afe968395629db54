"""A ``networkx`` model of any bdsim block diagram.

Nodes are blocks, edges are wires. The graph is built from ``bd.blocklist`` and
``bd.wirelist`` only, so it works for any bdsim diagram, compiled or not (a
diagram with an algebraic loop cannot be compiled, but it can be analysed).

Node attributes
    ``name`` (str), ``type`` (bdsim block type, e.g. ``"gain"``), ``blockclass``
    (bdsim class: ``"source"``, ``"function"``, ``"sampled"``, ``"transfer"``,
    ``"sink"``...), ``block_class`` (the Python class name), ``nin``, ``nout``,
    ``index`` (position in ``bd.blocklist``), ``delay`` (True for a block without
    direct feedthrough, which breaks a loop), ``symbol`` (the block class's own
    ``symbol`` attribute, ``""`` if none) and ``params`` (a JSON-able dict:
    arrays are given by ``{"shape": [...], "dtype": "..."}``).
Edge attributes (edge key ``"<source_port>-><dest_port>"``)
    ``source_port``, ``dest_port``, ``name`` (the wire's name, ``""`` when the
    diagram does not name the wire), ``signal`` (what the signal stands for when
    the diagram object describes its signals, as this package's ``LSTMDiagram``
    does: ``"i"``, ``"c(t)"``...; else ``""``) and ``width`` (number of elements
    of the signal when the diagram has been compiled, else ``None``).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np

__all__ = [
    "Connection",
    "bypass_block",
    "diagram_graph",
    "is_delay_block",
    "rebuild_wiring",
    "wiring",
    "wiring_of_diagram",
]

# Instance attributes every bdsim block has; they are not block parameters.
_BDSIM_INTERNALS = frozenset({"nin", "nout", "name", "id", "bd", "type"})
# Private bdsim attributes that are real parameters, under their public name.
_PRIVATE_PARAMS = {"_x0": "x0"}


@dataclass(frozen=True, order=True)
class Connection:
    """One wire: ``source[source_port] -> dest[dest_port]``, optionally named.

    Attributes
    ----------
    source, dest
        Names of the source and destination blocks.
    source_port, dest_port
        Output port of the source and input port of the destination (0-based).
    name
        The wire's name, ``""`` when unnamed.
    """

    source: str
    source_port: int
    dest: str
    dest_port: int
    name: str = ""


def _diagram_of(diagram: Any) -> Any:
    """Return the bdsim ``BlockDiagram`` of ``diagram`` (or of its ``.bd``)."""
    bd = getattr(diagram, "bd", diagram)
    if not (hasattr(bd, "blocklist") and hasattr(bd, "wirelist")):
        raise TypeError(
            "diagram: expected a bdsim BlockDiagram or an object with a .bd "
            f"BlockDiagram, got {type(diagram).__name__}"
        )
    return bd


def is_delay_block(block: Any) -> bool:
    """True if ``block`` has no direct feedthrough: its output breaks a loop.

    That is a clocked (``blockclass == "sampled"``) or continuous-state
    (``"transfer"``) bdsim block whose output does not depend on its present
    input, such as ``ZOH`` or the package's ``UnitDelay``. A clocked source
    (no inputs) is not a delay: it is in no loop.

    Parameters
    ----------
    block
        A bdsim block (or a graph node's ``block`` attribute).
    """
    if getattr(block, "nin", 0) < 1 or getattr(block, "nout", 0) < 1:
        return False
    if type(block).__name__ == "UnitDelay":
        return True
    return getattr(block, "blockclass", None) in ("sampled", "transfer") and not bool(
        getattr(block, "_feedthrough", False)
    )


def _summarise(value: Any) -> Any:
    """A JSON-able summary of one parameter value (shapes for arrays)."""
    if isinstance(value, np.ndarray):
        return {"shape": [int(n) for n in value.shape], "dtype": value.dtype.name}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        arr = np.asarray(value, dtype=object)
        if all(isinstance(v, numbers.Number) for v in arr.ravel()):
            return {"shape": list(arr.shape), "dtype": "list"}
        return [_summarise(v) for v in value]
    if callable(value):
        return f"<callable {getattr(value, '__name__', type(value).__name__)}>"
    name = getattr(value, "name", None)
    if isinstance(name, str):  # e.g. a bdsim Clock
        return f"<{type(value).__name__} {name}>"
    return f"<{type(value).__name__}>"


def _block_params(block: Any) -> dict[str, Any]:
    """The block's parameters: its public attributes plus ``x0`` and ``clock``."""
    out: dict[str, Any] = {}
    for key, value in vars(block).items():
        if key in _PRIVATE_PARAMS:
            out[_PRIVATE_PARAMS[key]] = _summarise(value)
        elif not key.startswith("_") and key not in _BDSIM_INTERNALS:
            out[key] = _summarise(value)
    clock = getattr(block, "_clock", None)
    if clock is not None:
        out["clock"] = str(getattr(clock, "name", clock))
        period = getattr(clock, "T", None)
        if isinstance(period, numbers.Real):
            out["clock_period"] = float(period)
    return dict(sorted(out.items()))


def _symbol(block: Any) -> str:
    """The block class's own ``symbol`` attribute (``""`` if it has none)."""
    sym = getattr(type(block), "symbol", "")
    return sym if isinstance(sym, str) else ""


def bypass_block(graph: nx.MultiDiGraph, name: str) -> nx.MultiDiGraph:
    """A copy of ``graph`` with block ``name`` replaced by a plain wire.

    Every source feeding ``name`` is wired to every destination it fed (the
    ports on both sides are kept). Bypassing a delay turns its feedback loops
    into algebraic loops: the structural check then names their blocks.

    Parameters
    ----------
    graph
        A graph from :func:`diagram_graph`; it is not changed.
    name
        The block to remove (a node of ``graph``).

    Returns
    -------
    networkx.MultiDiGraph
        The new graph, without ``name``.

    Raises
    ------
    ValueError
        ``name`` is not a block of ``graph``, or it has no input or no output.
    """
    if name not in graph:
        raise ValueError(
            f"name: expected one of the diagram's blocks {sorted(graph.nodes)}, "
            f"got {name!r}"
        )
    ins = list(graph.in_edges(name, data=True))
    outs = list(graph.out_edges(name, data=True))
    if not ins or not outs:
        raise ValueError(f"name: {name!r} needs an input and an output to bypass")
    g = graph.copy()
    g.remove_node(name)
    for u, _, din in ins:
        for _, v, dout in outs:
            sport, dport = din["source_port"], dout["dest_port"]
            g.add_edge(
                u,
                v,
                key=f"{sport}->{dport}",
                source_port=sport,
                dest_port=dport,
                name=din.get("name", ""),
                signal=din.get("signal", ""),
                width=din.get("width"),
            )
    return g


def _wire_width(wire: Any) -> int | None:
    """Elements carried by a compiled wire (from bdsim's initial evaluation)."""
    try:
        value = wire.value
    except AttributeError:
        return None
    if value is None:
        return None
    return int(np.size(value))


def diagram_graph(
    diagram: Any, *, wire_names: Mapping[tuple[str, int], str] | None = None
) -> nx.MultiDiGraph:
    """Build the ``networkx.MultiDiGraph`` of a bdsim block diagram.

    Parameters
    ----------
    diagram
        A bdsim ``BlockDiagram``, or any object whose ``.bd`` is one (such as
        :class:`blocksim_lstm._diagram.LSTMDiagram`). It need not be compiled.
    wire_names
        Optional signal names by ``(source block name, source port)``; they
        complete the names bdsim stores on its wires (``wire.name``). If
        ``diagram`` has a ``wire_names`` attribute of this form it is used too.

    Returns
    -------
    networkx.MultiDiGraph
        One node per block (keyed by block name) and one edge per wire; the
        attributes are listed in the module docstring. ``graph.graph["name"]``
        is the diagram's name.

    Raises
    ------
    TypeError
        ``diagram`` is not a bdsim diagram.
    ValueError
        A wire refers to a block that is not in the diagram's block list.
    """
    bd = _diagram_of(diagram)
    names: dict[tuple[str, int], str] = dict(getattr(diagram, "wire_names", None) or {})
    names.update(wire_names or {})
    signals: dict[tuple[str, int], str] = {
        (str(s.block), int(s.port)): str(s.label)
        for s in getattr(diagram, "signals", None) or ()
        if all(hasattr(s, a) for a in ("block", "port", "label"))
    }
    g = nx.MultiDiGraph(name=str(getattr(bd, "name", "") or ""))
    for index, block in enumerate(bd.blocklist):
        g.add_node(
            block.name,
            name=block.name,
            type=str(block.type),
            blockclass=str(block.blockclass),
            block_class=type(block).__name__,
            nin=int(block.nin),
            nout=int(block.nout),
            index=index,
            delay=is_delay_block(block),
            symbol=_symbol(block),
            params=_block_params(block),
        )
    for wire in bd.wirelist:
        src, dst = wire.start.block.name, wire.end.block.name
        for end in (src, dst):
            if end not in g:
                raise ValueError(
                    f"diagram: wire {src} -> {dst} refers to block {end!r} which "
                    "is not in the block list"
                )
        sport, dport = int(wire.start.port), int(wire.end.port)
        name = wire.name or names.get((src, sport), "")
        g.add_edge(
            src,
            dst,
            key=f"{sport}->{dport}",
            source_port=sport,
            dest_port=dport,
            name=str(name),
            signal=signals.get((src, sport), ""),
            width=_wire_width(wire),
        )
    return g


def wiring(graph: nx.MultiDiGraph) -> list[Connection]:
    """The sorted list of connections held by a diagram graph.

    Parameters
    ----------
    graph
        A graph from :func:`diagram_graph`.
    """
    return sorted(
        Connection(u, d["source_port"], v, d["dest_port"], d["name"])
        for u, v, d in graph.edges(data=True)
    )


def wiring_of_diagram(diagram: Any) -> list[Connection]:
    """The sorted connections of a bdsim diagram, read straight from its wirelist.

    An independent reading of the diagram (no ``networkx``), for comparisons.
    Wire names are those bdsim stores on the wires.

    Parameters
    ----------
    diagram
        A bdsim ``BlockDiagram`` (compiled or not).
    """
    bd = _diagram_of(diagram)
    return sorted(
        Connection(
            w.start.block.name,
            int(w.start.port),
            w.end.block.name,
            int(w.end.port),
            w.name or "",
        )
        for w in bd.wirelist
    )


def rebuild_wiring(graph: nx.MultiDiGraph, blocks: Mapping[str, Any], bd: Any) -> Any:
    """Wire fresh blocks into ``bd`` exactly as ``graph`` says (the round trip).

    Parameters
    ----------
    graph
        A graph from :func:`diagram_graph`.
    blocks
        A new bdsim block for every node name of ``graph`` (with the same number
        of ports), not yet wired.
    bd
        The bdsim ``BlockDiagram`` the new blocks belong to.

    Returns
    -------
    BlockDiagram
        ``bd``, with one wire per edge of ``graph`` (names kept).

    Raises
    ------
    ValueError
        A node has no block in ``blocks``, or its port counts differ.
    """
    for node, data in graph.nodes(data=True):
        if node not in blocks:
            raise ValueError(f"blocks: no block given for node {node!r}")
        b = blocks[node]
        if (b.nin, b.nout) != (data["nin"], data["nout"]):
            raise ValueError(
                f"blocks: {node!r} expected nin={data['nin']}, nout={data['nout']}, "
                f"got nin={b.nin}, nout={b.nout}"
            )
    for c in wiring(graph):
        bd.connect(blocks[c.source][c.source_port], blocks[c.dest][c.dest_port])
        if c.name:
            bd.wirelist[-1].name = c.name
    return bd
