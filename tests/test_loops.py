"""Loop analysis: feedback cycles grouped by delay, algebraic loops, order."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from small_diagrams import accumulator, sim, two_loops

from blocksim_lstm._graph import diagram_graph
from blocksim_lstm._loops import (
    AlgebraicLoopError,
    check_no_algebraic_loops,
    evaluation_order,
    feedback_cycles,
    structure_report,
)


def _brute_force_cycles(g: nx.MultiDiGraph) -> set[frozenset[tuple[str, str]]]:
    """Every simple cycle as its set of edges, by trying all node orderings."""
    nodes = list(g.nodes)
    found = set()
    for r in range(1, len(nodes) + 1):
        for combo in itertools.permutations(nodes, r):
            if combo[0] != min(combo):
                continue
            ring = list(zip(combo, combo[1:] + combo[:1], strict=False))
            if all(g.has_edge(u, v) for u, v in ring):
                found.add(frozenset(ring))
    return found


def test_accumulator_has_one_cycle_broken_by_its_delay() -> None:
    g = diagram_graph(accumulator())
    cycles = feedback_cycles(g)
    assert [c.blocks for c in cycles] == [("delay", "K", "sum")]
    assert cycles[0].delay == "delay"
    rep = structure_report(g)
    assert rep.groups == {"delay": 1}
    assert rep.algebraic_loops == ()


def test_two_loops_grouped_by_delay() -> None:
    rep = structure_report(diagram_graph(two_loops()))
    assert rep.groups == {"z1": 1, "z2": 1}
    by_delay = {c.delay: set(c.blocks) for c in rep.cycles}
    assert by_delay == {"z1": {"z1", "a"}, "z2": {"z2", "a", "b"}}


def test_removed_delay_is_an_algebraic_loop_naming_its_blocks() -> None:
    g = diagram_graph(accumulator(with_delay=False))
    with pytest.raises(AlgebraicLoopError, match=r"K -> sum -> K") as info:
        check_no_algebraic_loops(g)
    assert isinstance(info.value, ValueError)
    assert info.value.loops == [["K", "sum"]]
    rep = structure_report(g)  # a report entry, not an exception
    assert [c.blocks for c in rep.algebraic_loops] == [("K", "sum")]
    assert rep.order == ()
    assert "ALGEBRAIC LOOPS: 1" in rep.text()
    with pytest.raises(AlgebraicLoopError):
        evaluation_order(g)


def test_bdsim_agrees_that_the_broken_diagram_has_an_algebraic_loop(capsys) -> None:
    bd = accumulator(with_delay=False)
    with pytest.raises(RuntimeError, match="could not compile"):
        bd.compile()
    assert "cycle found" in capsys.readouterr().out


def test_evaluation_order_respects_every_non_delay_wire() -> None:
    bd = two_loops()
    bd.compile()
    g = diagram_graph(bd)
    order = evaluation_order(g)
    pos = {n: k for k, n in enumerate(order)}
    assert sorted(order) == sorted(g.nodes)
    for u, v in g.edges():
        if not g.nodes[v]["delay"]:
            assert pos[u] < pos[v], (u, v)
    # bdsim's own schedule respects the same constraints
    plan = [b.name for group in bd.plan for b in group]
    assert set(plan) <= set(order)


def test_widths_in_report_come_from_the_compiled_diagram() -> None:
    bd = accumulator(n=4)
    bd.compile()
    rep = structure_report(diagram_graph(bd))
    assert set(rep.widths.values()) == {4}
    assert rep.to_dict()["n_blocks"] == 5


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(2, 6),
    edges=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=12),
    delays=st.sets(st.integers(0, 5)),
)
def test_cycles_match_brute_force_on_random_graphs(n, edges, delays) -> None:
    """Random wirings of stand-in blocks: every cycle found, delays classified."""
    bd = sim().blockdiagram(name="random_cycles")
    clk = bd.clock(1.0, name="clk")
    blocks = []
    for k in range(n):
        if k in delays:
            blocks.append(bd.ZOH(clk, x0=0.0, name=f"z{k}"))
        else:
            blocks.append(bd.SUM("+" * 6, name=f"s{k}"))
    used_ports: dict[int, int] = {}
    for a, b in edges:
        a, b = a % n, b % n
        if blocks[b].nin == 1 and used_ports.get(b, 0) >= 1:
            continue
        port = used_ports.get(b, 0)
        if port >= blocks[b].nin:
            continue
        used_ports[b] = port + 1
        bd.connect(blocks[a], blocks[b][port])
    g = diagram_graph(bd)
    cycles = feedback_cycles(g)
    as_edges = {
        frozenset(zip(c.blocks, c.blocks[1:] + c.blocks[:1], strict=False))
        for c in cycles
    }
    assert as_edges == _brute_force_cycles(g)
    for c in cycles:
        assert set(c.delays) == {b for b in c.blocks if b.startswith("z")}
        if c.delays:
            assert c.blocks[0] == c.delay


@settings(max_examples=6, deadline=None)
@given(nn=st.integers(1, 4), layers=st.integers(1, 3))
def test_lstm_has_five_cycles_per_layer(nn: int, layers: int) -> None:
    import numpy as np

    from blocksim_lstm._diagram import build_stacked_diagram
    from blocksim_lstm._parameters import LSTMParams

    stack = [
        LSTMParams.random(nn, 2 if k == 0 else nn, 1, seed=k) for k in range(layers)
    ]
    d = build_stacked_diagram(stack, np.zeros((2, 2)), ts=0.1)
    rep = structure_report(diagram_graph(d))
    expected = {}
    for k in range(layers):
        p = f"L{k + 1} " if layers > 1 else ""
        expected[f"{p}Hidden State"] = 4
        expected[f"{p}Cell State"] = 1
    assert rep.groups == expected
    assert rep.algebraic_loops == ()
    # each hidden cycle runs through exactly one R gain; the cell cycle through none
    for c in rep.cycles:
        r_gains = [b for b in c.blocks if b.split(" ")[-1] in ("Ri", "Rf", "Rg", "Ro")]
        assert len(r_gains) == (1 if c.delay.endswith("Hidden State") else 0)
    # the order bdsim computes respects every wire that is not into a delay
    g = diagram_graph(d)
    order = evaluation_order(g)
    pos = {n: k for k, n in enumerate(order)}
    assert all(pos[u] < pos[v] for u, v in g.edges() if not g.nodes[v]["delay"])
    sinks = {n for n in g.nodes if g.nodes[n]["nout"] == 0}
    assert set(order) - sinks == set(d.evaluation_order())  # bdsim plans no sinks
