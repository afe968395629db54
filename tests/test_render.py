"""Layouts and pictures: measured for overlaps, not only written."""

from __future__ import annotations

import io

import matplotlib
import networkx as nx
import numpy as np
import pytest
from small_diagrams import accumulator, two_loops

from blocksim_lstm._diagram import build_lstm_diagram
from blocksim_lstm._experiment import seed_problem
from blocksim_lstm._figures import save_figure
from blocksim_lstm._graph import diagram_graph
from blocksim_lstm._loops import feedback_cycles
from blocksim_lstm._names import LSTM_BLOCKS
from blocksim_lstm.layout import (
    Box,
    CrossCheckPaint,
    Layout,
    draw_layout,
    layered_layout,
    lstm_layout,
    overlaps,
    route_problems,
    to_dot,
    to_graphml,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def seed_graph() -> nx.MultiDiGraph:
    params, u = seed_problem()
    d = build_lstm_diagram(params, u)
    d.compile()
    return diagram_graph(d)


@pytest.fixture(scope="module")
def seed_layout(seed_graph) -> Layout:
    return lstm_layout(seed_graph, title="LSTM layer")


def _texts(fig) -> dict[str, str]:
    return {t.get_gid(): t.get_text() for t in fig.axes[0].texts if t.get_gid()}


def test_lstm_layout_has_no_overlaps_and_clean_wires(seed_layout) -> None:
    assert route_problems(seed_layout) == []
    fig = draw_layout(seed_layout)
    try:
        assert overlaps(fig) == []
    finally:
        plt.close(fig)


def test_lstm_layout_reads_left_to_right_with_delays_underneath(seed_layout) -> None:
    b = seed_layout.boxes
    x = {n: b[n].x for n in b}
    assert x["From Workspace"] < x["Wi"] < x["sumIG"] < x["logsig_i"]
    assert x["logsig_i"] < x["prod_ig"] < x["Sum"] < x["tansig_c"] < x["prod_oc"]
    assert x["prod_oc"] < x["FC layer"] < x["To Workspace"]
    # the four gates side by side, in gate order top to bottom
    ys = [b[s].y for s in ("sumIG", "sumFG", "sumCG", "sumOG")]
    assert ys == sorted(ys, reverse=True)
    lowest_forward = min(b[n].extent[1] for n in b if not b[n].delay)
    for delay in ("Cell State", "Hidden State"):
        assert b[delay].flipped and b[delay].extent[3] < lowest_forward
    # feedback wires run back to the left
    for r in seed_layout.routes:
        if r.source in ("Cell State", "Hidden State"):
            assert r.points[1][0] < r.points[0][0]


def test_every_block_shows_name_and_symbol_and_named_wires_are_labelled(
    seed_layout,
) -> None:
    fig = draw_layout(seed_layout)
    try:
        texts = _texts(fig)
    finally:
        plt.close(fig)
    symbols = {
        "Wi": "K",
        "sumIG": "Σ",
        "logsig_i": "σ",
        "tansig_c": "tanh",
        "prod_oc": "×",
        "Cell State": "z⁻¹",
        "Hidden State": "z⁻¹",
    }
    for name in LSTM_BLOCKS:
        assert texts[f"name:{name}"] == name
        assert texts[f"symbol:{name}"]
    for name, sym in symbols.items():
        assert texts[f"symbol:{name}"] == sym
    labels = {v for k, v in texts.items() if k.startswith("label:")}
    assert labels == {"u(t)", "h(t-1)", "c(t-1)", "c(t)", "h(t)", "y(t)"}


def test_the_two_loops_are_coloured_apart_with_a_legend(seed_graph, seed_layout):
    cell = [c for c in feedback_cycles(seed_graph) if c.delay == "Cell State"][0]
    ring = set(zip(cell.blocks, cell.blocks[1:] + cell.blocks[:1], strict=True))
    for r in seed_layout.routes:
        if (r.source, r.dest) in ring:
            assert r.group == "Cell State"
    hidden = {
        (r.source, r.dest) for r in seed_layout.routes if r.group == "Hidden State"
    }
    assert ("prod_oc", "Hidden State") in hidden and ("Ri", "sumIG") in hidden
    forward = {(r.source, r.dest) for r in seed_layout.routes if r.group is None}
    assert ("Wi", "sumIG") in forward and ("FC layer", "To Workspace") in forward
    fig = draw_layout(seed_layout)
    try:
        colours = {
            line.get_gid(): matplotlib.colors.to_hex(line.get_color())
            for line in fig.axes[0].lines
            if (line.get_gid() or "").startswith("wire:")
        }
        by_group: dict[str | None, set[str]] = {}
        for k, r in enumerate(seed_layout.routes):
            by_group.setdefault(r.group, set()).add(colours[f"wire:{k}"])
        assert all(len(c) == 1 for c in by_group.values())
        assert len(set().union(*by_group.values())) == 3
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert any("Cell State" in t for t in legend)
        assert any("Hidden State" in t for t in legend)
    finally:
        plt.close(fig)


def test_lstm_layout_refuses_other_diagrams() -> None:
    with pytest.raises(ValueError, match="expected the 30 blocks"):
        lstm_layout(diagram_graph(accumulator()))


@pytest.mark.parametrize("build", [accumulator, two_loops])
def test_layered_layout_on_small_diagrams(build) -> None:
    bd = build()
    bd.compile()
    g = diagram_graph(bd)
    layout = layered_layout(g, title=bd.name)
    assert route_problems(layout) == []
    assert {r.source for r in layout.routes} | {r.dest for r in layout.routes} == set(g)
    fig = draw_layout(layout)
    try:
        assert overlaps(fig) == []
    finally:
        plt.close(fig)


def test_layered_layout_on_the_lstm_and_an_algebraic_loop(seed_graph) -> None:
    layout = layered_layout(seed_graph)
    assert route_problems(layout) == []
    fig = draw_layout(layout)
    try:
        assert overlaps(fig) == []
    finally:
        plt.close(fig)
    broken = layered_layout(diagram_graph(accumulator(with_delay=False)))
    assert len(broken.routes) == 4


def test_overlap_check_can_fail() -> None:
    """Two boxes on top of each other, a wire through a box: both reported."""
    g = diagram_graph(accumulator())
    layout = layered_layout(g)
    a, b = layout.boxes["const"], layout.boxes["K"]
    moved = Box(b.name, a.x + 0.2, a.y, b.w, b.h, b.symbol, b.inputs, b.outputs)
    bad = Layout({**layout.boxes, "K": moved}, layout.routes)
    assert any("overlap" in p for p in route_problems(bad))
    fig = draw_layout(bad)
    try:
        found = overlaps(fig)
    finally:
        plt.close(fig)
    assert any("box:const" in f and "box:K" in f for f in found)


def test_painted_crosscheck_marks_first_divergence(seed_layout) -> None:
    errors = {n: 1e-16 for n in seed_layout.boxes}
    errors["Rf"] = 1e-3
    paint = CrossCheckPaint(errors, 1e-12, "Rf", "first divergence: Rf")
    fig = draw_layout(seed_layout, paint=paint)
    try:
        rf = [p for p in fig.axes[0].patches if p.get_gid() == "box:Rf"][0]
        assert matplotlib.colors.to_hex(rf.get_edgecolor()) == "#d7191c"
        k = next(i for i, r in enumerate(seed_layout.routes) if r.source == "Rf")
        wire = [x for x in fig.axes[0].lines if x.get_gid() == f"wire:{k}"][0]
        assert matplotlib.colors.to_hex(wire.get_color()) == "#d7191c"
        k = next(i for i, r in enumerate(seed_layout.routes) if r.source == "Wi")
        wire = [x for x in fig.axes[0].lines if x.get_gid() == f"wire:{k}"][0]
        assert matplotlib.colors.to_hex(wire.get_color()) != "#d7191c"
        assert "first divergence: Rf" in [t.get_text() for t in fig.axes[0].texts]
        assert overlaps(fig) == []
    finally:
        plt.close(fig)


def test_svg_and_png_are_reproducible(tmp_path, seed_layout) -> None:
    out = []
    for k in range(2):
        fig = draw_layout(seed_layout)
        png = save_figure(fig, tmp_path / f"a{k}.png")
        out += [png.with_suffix(".svg").read_bytes(), png.read_bytes()]
        plt.close(fig)
    assert out[0] == out[2] and out[1] == out[3]
    assert b"<dc:date>" not in out[0]
    with pytest.raises(ValueError, match="path: expected a file name ending in .png"):
        save_figure(None, tmp_path / "x.pdf")


def test_dot_names_every_block_and_wire(seed_graph, seed_layout) -> None:
    dot = to_dot(seed_graph, seed_layout)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == seed_graph.number_of_edges()
    for n in seed_graph.nodes:
        assert f'"{n}" [label=' in dot
    assert dot.count("peripheries=2") == 2
    assert 'label="h(t-1)"' in dot


def test_graphml_round_trips_through_networkx(seed_graph) -> None:
    text = to_graphml(seed_graph)
    back = nx.read_graphml(io.BytesIO(text.encode()), force_multigraph=True)
    assert set(back.nodes) == set(seed_graph.nodes)
    assert back.number_of_edges() == seed_graph.number_of_edges()
    ports = sorted(
        (u, d["source_port"], v, d["dest_port"]) for u, v, d in back.edges(data=True)
    )
    assert ports == sorted(
        (u, d["source_port"], v, d["dest_port"])
        for u, v, d in seed_graph.edges(data=True)
    )
    assert back.nodes["Hidden State"]["delay"] is True


def test_painted_picture_does_not_show_rounding_level_sizes(tmp_path, seed_layout):
    """Errors below the tolerance are rounding: another BLAS kernel changes them.

    The picture must not change with them (the same bytes), and must change
    when a wire crosses the tolerance.
    """
    rng = np.random.default_rng(5)
    svgs = []
    for k, errs in enumerate(
        (
            {n: 1e-16 for n in seed_layout.boxes},
            {n: float(rng.uniform(0, 9e-13)) for n in seed_layout.boxes},
            {**{n: 0.0 for n in seed_layout.boxes}, "Wi": 2e-12},
        )
    ):
        fig = draw_layout(seed_layout, paint=CrossCheckPaint(errs, 1e-12))
        svgs.append(save_figure(fig, tmp_path / f"p{k}.png").with_suffix(".svg"))
        plt.close(fig)
    assert svgs[0].read_bytes() == svgs[1].read_bytes()
    assert svgs[0].read_bytes() != svgs[2].read_bytes()


def test_drawing_leaves_pyplot_and_the_backend_alone(seed_layout) -> None:
    # library code never switches the user's backend nor registers its figures
    # in pyplot (where they would pile up until closed)
    backend = matplotlib.get_backend()
    before = plt.get_fignums()
    fig = draw_layout(seed_layout)
    assert plt.get_fignums() == before
    assert matplotlib.get_backend() == backend
    assert fig.canvas.get_default_filetype() == "png"
