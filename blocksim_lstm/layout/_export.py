"""Text files from diagrams: DOT for Graphviz users, and GraphML."""

from __future__ import annotations

import io
import json

import networkx as nx  # type: ignore[import-untyped]

from ._geometry import Layout

__all__ = ["to_dot", "to_graphml"]


def _dot_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: nx.MultiDiGraph, layout: Layout | None = None) -> str:
    """DOT text of a diagram graph, for users who have Graphviz.

    Nodes are labelled ``name\\nsymbol``; delays are drawn double-bordered;
    wires carry their port numbers (``taillabel``/``headlabel``), their name
    and, with a layout, their loop colour and fixed positions (``pos``, for
    ``neato -n``). The text is deterministic (sorted by block-list order).

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.
    layout
        Its layout; when given, wires get their loop colour and nodes their
        fixed position (``pos``).
    """
    from ._geometry import block_symbol
    from ._render import _group_colours

    lines = [
        f"digraph {_dot_quote(graph.graph.get('name') or 'diagram')} {{",
        "  rankdir=LR;",
        '  node [shape=box, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    order = sorted(graph.nodes, key=lambda n: graph.nodes[n]["index"])
    boxes = layout.boxes if layout is not None else {}
    for n in order:
        d = graph.nodes[n]
        attrs = [f"label={_dot_quote(n + chr(10) + block_symbol(d))}"]
        if d.get("delay"):
            attrs.append("peripheries=2")
        if n in boxes:
            b = boxes[n]
            attrs.append(f'pos="{b.x * 72:.1f},{b.y * 72:.1f}!"')
        lines.append(f"  {_dot_quote(n)} [{', '.join(attrs)}];")
    colours = _group_colours(layout) if layout is not None else {}
    group_of = {
        (r.source, r.source_port, r.dest, r.dest_port): r.group
        for r in (layout.routes if layout is not None else [])
    }
    edges = sorted(
        graph.edges(data=True),
        key=lambda e: (
            graph.nodes[e[0]]["index"],
            e[2]["source_port"],
            graph.nodes[e[1]]["index"],
            e[2]["dest_port"],
        ),
    )
    for u, v, d in edges:
        attrs = [f'taillabel="{d["source_port"]}"', f'headlabel="{d["dest_port"]}"']
        label = d.get("name") or ""
        if label:
            attrs.append(f"label={_dot_quote(label)}")
        grp = group_of.get((u, d["source_port"], v, d["dest_port"]))
        if grp in colours:
            attrs.append(f'color="{colours[grp][0]}", penwidth=2')
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML text of a diagram graph (deterministic; attributes flattened).

    Node ``params`` are written as JSON text; an unknown wire width as -1.

    Parameters
    ----------
    graph
        A graph from :func:`blocksim_lstm.diagram_graph`.
    """
    flat = nx.MultiDiGraph(name=str(graph.graph.get("name") or "diagram"))
    for n in sorted(graph.nodes, key=lambda n: graph.nodes[n]["index"]):
        d = graph.nodes[n]
        flat.add_node(
            n,
            type=d["type"],
            blockclass=d["blockclass"],
            block_class=d["block_class"],
            nin=d["nin"],
            nout=d["nout"],
            index=d["index"],
            delay=bool(d["delay"]),
            params=json.dumps(d["params"], sort_keys=True),
        )
    edges = sorted(
        graph.edges(keys=True, data=True),
        key=lambda e: (graph.nodes[e[0]]["index"], e[2], graph.nodes[e[1]]["index"]),
    )
    for u, v, k, d in edges:
        flat.add_edge(
            u,
            v,
            key=k,
            source_port=d["source_port"],
            dest_port=d["dest_port"],
            name=d.get("name") or "",
            signal=d.get("signal") or "",
            width=-1 if d.get("width") is None else int(d["width"]),
        )
    buf = io.BytesIO()
    nx.write_graphml(flat, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue().decode("utf-8")
