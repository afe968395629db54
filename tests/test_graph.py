"""Graph model of bdsim diagrams: equality with the wirelist, attributes, round trip."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from small_diagrams import accumulator, sim, stand_in, two_loops

from blocksim_lstm._graph import (
    Connection,
    diagram_graph,
    rebuild_wiring,
    wiring,
    wiring_of_diagram,
)


def _random_chain(n_gains: int, width: int, seed: int):
    """A random feed-forward diagram: a constant through a random DAG of gains/sums."""
    rng = np.random.default_rng(seed)
    bd = sim().blockdiagram(name=f"random{seed}")
    blocks = [bd.CONSTANT(rng.random(width), name="src")]
    for k in range(n_gains):
        if k % 3 == 2 and len(blocks) >= 2:
            s = bd.SUM("++", name=f"sum{k}")
            a, b = rng.choice(len(blocks), size=2, replace=False)
            bd.connect(blocks[a], s[0])
            bd.connect(blocks[b], s[1])
            blocks.append(s)
        else:
            g = bd.GAIN(rng.random((width, width)), name=f"gain{k}")
            bd.connect(blocks[int(rng.integers(len(blocks)))], g)
            blocks.append(g)
    bd.connect(blocks[-1], bd.NULL(name="sink"))
    return bd


@settings(max_examples=15, deadline=None)
@given(
    n_gains=st.integers(1, 12),
    width=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_graph_equals_bdsim_wirelist(n_gains: int, width: int, seed: int) -> None:
    bd = _random_chain(n_gains, width, seed)
    bd.compile()
    g = diagram_graph(bd)
    # nodes: exactly bdsim's blocks, with their type and port counts
    assert sorted(g.nodes) == sorted(b.name for b in bd.blocklist)
    for b in bd.blocklist:
        node = g.nodes[b.name]
        assert (node["type"], node["nin"], node["nout"]) == (b.type, b.nin, b.nout)
        assert node["block_class"] == type(b).__name__
    # edges: exactly bdsim's wires, ports included
    assert wiring(g) == wiring_of_diagram(bd)
    assert g.number_of_edges() == len(bd.wirelist)
    # widths from the compiled diagram: every signal here is `width` wide
    assert {d["width"] for _, _, d in g.edges(data=True)} == {width}
    # gain parameters are reported by shape, not value
    gains = [n for n, d in g.nodes(data=True) if d["type"] == "gain"]
    for name in gains:
        assert g.nodes[name]["params"]["K"] == {
            "shape": [width, width],
            "dtype": "float64",
        }


def test_multi_edges_and_ports_kept() -> None:
    bd = two_loops()
    g = diagram_graph(bd)
    # a has three inputs from three different blocks, one wire each
    into_a = sorted(d["dest_port"] for _, _, d in g.in_edges("a", data=True))
    assert into_a == [0, 1, 2]
    # the same source feeding both ports of one block gives two parallel edges
    bd2 = sim().blockdiagram(name="parallel")
    c = bd2.CONSTANT(1.0, name="c")
    s = bd2.SUM("++", name="s")
    bd2.connect(c, s[0])
    bd2.connect(c, s[1])
    bd2.connect(s, bd2.NULL(name="n"))
    g2 = diagram_graph(bd2)
    assert g2.number_of_edges("c", "s") == 2
    assert isinstance(g2, nx.MultiDiGraph)


def test_delay_and_wire_name_attributes() -> None:
    g = diagram_graph(accumulator())
    assert g.nodes["delay"]["delay"] is True
    assert not any(g.nodes[n]["delay"] for n in ("const", "K", "sum", "out"))
    assert g.nodes["delay"]["params"]["clock"] == "clk"
    assert g.nodes["delay"]["params"]["x0"]["shape"] == [3]
    names = {(u, v): d["name"] for u, v, d in g.edges(data=True)}
    assert names[("K", "sum")] == "feedback"
    assert names[("const", "sum")] == ""


def test_wire_names_argument_completes_bdsim_names() -> None:
    g = diagram_graph(accumulator(), wire_names={("sum", 0): "x(t)"})
    out = {v: d["name"] for u, v, d in g.edges(data=True) if u == "sum"}
    assert out == {"delay": "x(t)", "out": "x(t)"}


def test_uncompiled_widths_are_unknown() -> None:
    g = diagram_graph(accumulator())
    assert {d["width"] for _, _, d in g.edges(data=True)} == {None}


def test_round_trip_rebuilds_the_same_wiring() -> None:
    original = two_loops()
    g = diagram_graph(original)
    bd = sim().blockdiagram(name="rebuilt")
    # stand-in blocks with the same names and port counts
    blocks = {n: stand_in(n, d["nin"], d["nout"], bd) for n, d in g.nodes(data=True)}
    rebuild_wiring(g, blocks, bd)
    assert wiring_of_diagram(bd) == wiring_of_diagram(original)
    assert wiring(diagram_graph(bd)) == wiring(g)


def test_round_trip_refuses_missing_or_mismatched_blocks() -> None:
    g = diagram_graph(accumulator())
    bd = sim().blockdiagram(name="bad")
    with pytest.raises(ValueError, match="no block given for node"):
        rebuild_wiring(g, {}, bd)
    blocks = {n: stand_in(n, 1, 1, bd) for n in g.nodes}
    with pytest.raises(ValueError, match="expected nin="):
        rebuild_wiring(g, blocks, bd)


def test_not_a_diagram_is_a_clear_type_error() -> None:
    with pytest.raises(TypeError, match="diagram: expected a bdsim BlockDiagram"):
        diagram_graph(42)


def test_connection_is_ordered() -> None:
    a = Connection("a", 0, "b", 0)
    b = Connection("a", 0, "b", 1)
    assert sorted([b, a]) == [a, b]


@settings(max_examples=8, deadline=None)
@given(
    nn=st.integers(1, 6),
    ni=st.integers(1, 5),
    no=st.integers(1, 4),
    layers=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_lstm_diagram_graph_for_random_sizes(nn, ni, no, layers, seed) -> None:
    from blocksim_lstm._diagram import build_stacked_diagram
    from blocksim_lstm._parameters import LSTMParams

    stack = [
        LSTMParams.random(nn, ni if k == 0 else nn, no, seed=seed + k)
        for k in range(layers)
    ]
    u = np.random.default_rng(seed).standard_normal((3, ni))
    d = build_stacked_diagram(stack, u, ts=0.1)
    d.compile()
    g = diagram_graph(d)
    assert wiring(g) == wiring_of_diagram(d.bd)
    assert g.number_of_nodes() == 27 * layers + 3  # 27 per layer + source, FC, sink
    # widths: u(t) is Ni wide, y(t) No wide, every other wire Nn wide
    for u_, v_, e in g.edges(data=True):
        if u_ == "From Workspace":
            assert e["width"] == ni and e["name"] == "u(t)"
        elif u_ == "FC layer":
            assert e["width"] == no
        else:
            assert e["width"] == nn, (u_, v_)
    prefix = "L1 " if layers > 1 else ""
    assert g.nodes[f"{prefix}Wi"]["params"]["K"]["shape"] == [nn, ni]
    assert g.nodes[f"{prefix}Ri"]["params"]["K"]["shape"] == [nn, nn]
    assert g.nodes[f"{prefix}Hidden State"]["delay"]
    named = {e["name"] for _, _, e in g.edges(data=True)} - {""}
    assert {"u(t)", "h(t-1)", "c(t-1)", "c(t)", "h(t)"} <= named
    # round trip through stand-in blocks
    bd = sim().blockdiagram(name="rebuilt_lstm")
    blocks = {n: stand_in(n, e["nin"], e["nout"], bd) for n, e in g.nodes(data=True)}
    rebuild_wiring(g, blocks, bd)
    assert wiring_of_diagram(bd) == wiring_of_diagram(d.bd)
