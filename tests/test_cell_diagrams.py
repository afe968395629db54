"""GRU, peephole LSTM and Elman RNN diagrams, wire by wire against their references.

The diagrams (blocksim_lstm._cell_layers) and the reference cells
(blocksim_lstm.cells) share no code; the cross-check pairs each wire with a
reference trace field named by the diagram. Mutations of the diagram (a swapped
wire, a wrong gate order, the other GRU variant) must fail naming the right block.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import cells
from blocksim_lstm._cell_layers import LAYER_BUILDERS
from blocksim_lstm._crosscheck import reference_traces
from blocksim_lstm._names import CELL_LOOP_GROUPS, cell_blocks
from blocksim_lstm.blocks import ReLU

# (cell, settings): every block arrangement a layer can have
VARIANTS = [
    ("gru", {"linear_before_reset": True}),
    ("gru", {"linear_before_reset": False}),
    ("peephole", {}),
    ("rnn", {"nonlinearity": "tanh"}),
    ("rnn", {"nonlinearity": "relu"}),
]
IDS = ["gru-lbr", "gru-reset-first", "peephole", "rnn-tanh", "rnn-relu"]


def make(cell: str, nn: int, ni: int, no: int, seed: int, **flags):
    """A layer of ``cell`` with N(0, 1) weights and states (signs of both kinds:
    the gates do not saturate, a ReLU is active and inactive)."""
    cls = cells.params_class(cell)
    base = cls.random(nn, ni, no, seed=seed, **flags)
    rng = np.random.default_rng(seed + 1)
    new = {k: rng.standard_normal(a.shape) for k, a in base.arrays().items()}
    return base.replace(**new)


def stack(cell: str, sizes: list[int], ni: int, no: int, seed: int, **flags):
    layers, width = [], ni
    for k, nn in enumerate(sizes):
        layers.append(make(cell, nn, width, no, seed + 10 * k, **flags))
        width = nn
    return layers


@pytest.fixture(scope="module")
def u() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((8, 2))


# ------------------------------------------------------------ every wire passes


@pytest.mark.parametrize(("cell", "flags"), VARIANTS, ids=IDS)
@settings(max_examples=3, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**20),
)
def test_every_wire_matches_the_reference(cell, flags, sizes, ni, no, steps, seed):
    layers = stack(cell, sizes, ni, no, seed, **flags)
    u = np.random.default_rng(seed).standard_normal((steps, ni))
    d = bl.build_cell_diagram(layers, u, ts=0.05)
    report = bl.crosscheck_diagram(d)
    assert report.passed, report.table()
    assert report.abs_tol == report.rel_tol == 1e-12
    # every block's output is a checked wire: nothing escapes the comparison
    sources = {b.name for b in d.bd.blocklist if b.nout}
    assert {s.name for s in report.signals} == sources
    # and the output is the reference cell's (layer after layer)
    x = u
    for p in layers:
        tr = cells.cell_reference(p, x)
        x = tr.h
    np.testing.assert_allclose(d.run().y, tr.y, rtol=1e-12, atol=1e-12)


def test_one_layer_blocks_are_the_named_ones(u):
    for cell, flags in VARIANTS:
        d = bl.build_cell_diagram(make(cell, 3, 2, 1, 0, **flags), u)
        assert [b.name for b in d.bd.blocklist] == [*d.blocks]
        assert set(d.blocks) == set(cell_blocks(cell, **flags)), (cell, flags)
        assert len(d.blocks) == len(cell_blocks(cell, **flags))
        names = {w.name for w in d.bd.wirelist if w.name}
        want = {"u(t)", "h(t-1)", "h(t)", "y(t)"}
        if cell == "peephole":
            want |= {"c(t-1)", "c(t)"}
        assert names == want
        assert d.cells == (cell,)


def test_two_gru_layers_name_their_blocks_by_layer(u):
    d = bl.build_cell_diagram(stack("gru", [3, 2], 2, 1, 4), u)
    one = cell_blocks("gru")
    layer_blocks = [
        n for n in one if n not in ("From Workspace", "FC layer", "To Workspace")
    ]
    want = {"From Workspace", "FC layer", "To Workspace"}
    want |= {f"L{k} {n}" for k in (1, 2) for n in layer_blocks}
    assert set(d.blocks) == want
    run = d.run()
    # layer 2's input is layer 1's h(t): the same trace
    np.testing.assert_array_equal(run.signals["L1 h(t)"], run.signals["L1 Sum"])
    ref = reference_traces(d)
    np.testing.assert_allclose(run.signals["L2 Wr"], ref["L2 Wr"], atol=1e-12)


def test_the_gru_variants_differ_in_blocks_and_values(u):
    a = make("gru", 3, 2, 1, 5, linear_before_reset=True)
    b = a.replace(linear_before_reset=False)
    da, db = bl.build_cell_diagram(a, u), bl.build_cell_diagram(b, u)
    assert set(da.blocks) - set(db.blocks) == {"sumRN", "prod_rn"}
    assert set(db.blocks) - set(da.blocks) == {"prod_rh"}
    ra, rb = da.run(), db.run()
    assert np.max(np.abs(ra.y - rb.y)) > 1e-3
    # PyTorch's n = tanh(Wn u + bWn + r * (Rn h + bRn)), by hand at step 0
    h0, x = a.h0, u[0]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    r = sig(
        a.gate("W", "r") @ x
        + a.gate("R", "r") @ h0
        + a.gate("bW", "r")
        + a.gate("bR", "r")
    )
    n = np.tanh(
        a.gate("W", "n") @ x
        + a.gate("bW", "n")
        + r * (a.gate("R", "n") @ h0 + a.gate("bR", "n"))
    )
    np.testing.assert_allclose(ra.signals["n"][0], n, rtol=1e-12)
    n_onnx = np.tanh(
        a.gate("W", "n") @ x
        + a.gate("R", "n") @ (r * h0)
        + a.gate("bW", "n")
        + a.gate("bR", "n")
    )
    np.testing.assert_allclose(rb.signals["n"][0], n_onnx, rtol=1e-12)


def test_cells_may_be_mixed_in_one_stack(u):
    layers = [
        make("gru", 3, 2, 1, 1),
        make("lstm", 2, 3, 1, 2),
        make("peephole", 2, 2, 1, 3),
        make("rnn", 4, 2, 2, 4, nonlinearity="relu"),
    ]
    d = bl.build_cell_diagram(layers, u)
    assert d.cells == ("gru", "lstm", "peephole", "rnn")
    report = bl.crosscheck_diagram(d)
    assert report.passed, report.table()
    assert report.signal("L4 relu_h").width == 4


def test_a_float32_reference_checks_every_cell_at_float32_rounding(u):
    layers = [
        make("gru", 3, 2, 1, 1, linear_before_reset=False),
        make("peephole", 2, 3, 1, 2),
        make("rnn", 3, 2, 1, 3, nonlinearity="relu"),
    ]
    report = bl.crosscheck_diagram(bl.build_cell_diagram(layers, u), dtype="float32")
    assert report.passed and report.dtype == "float32", report.table()
    # the reference really ran in float32: its rounding shows, far above float64's
    assert max(s.max_abs for s in report.signals) > 1e-9


def test_peephole_with_zero_p_gives_the_lstm_diagrams_wires(u):
    lstm = make("lstm", 3, 2, 2, 6)
    peep = cells.PeepholeParams.from_lstm(lstm)
    a = bl.build_cell_diagram(lstm, u).run()
    b = bl.build_cell_diagram(peep, u).run()
    assert set(b.signals) - set(a.signals) == {"Pi", "Pf", "Po"}
    for name in a.signals:  # the same bytes: + 0 is exact
        np.testing.assert_array_equal(a.signals[name], b.signals[name], err_msg=name)
    # and non-zero peepholes change them
    c = bl.build_cell_diagram(peep.replace(P=np.full(9, 0.5)), u).run()
    assert np.max(np.abs(c.y - a.y)) > 1e-3


def test_build_lstm_diagram_is_unchanged_by_the_generalization():
    p, u = bl.seed_problem()
    a = bl.build_lstm_diagram(p, u)
    b = bl.build_cell_diagram(p, u)
    assert [x.name for x in a.bd.blocklist] == [x.name for x in b.bd.blocklist]
    wires = lambda d: [  # noqa: E731
        (w.start.block.name, w.start.port, w.end.block.name, w.end.port, w.name)
        for w in d.bd.wirelist
    ]
    assert wires(a) == wires(b) and len(a.bd.blocklist) == 30
    np.testing.assert_array_equal(a.run().y, b.run().y)


# ------------------------------------------------------------------- mutations


def _rewire(d, block: str, port: int, source: str) -> None:
    """Feed input ``port`` of ``block`` from ``source`` instead (a miswired copy)."""
    for w in d.bd.wirelist:
        if w.end.block is d.blocks[block] and w.end.port == port:
            w.start = d.blocks[source][0]
            return
    raise AssertionError(f"no wire into {block}[{port}]")


@pytest.mark.parametrize(
    ("cell", "block", "port", "source"),
    [
        ("gru", "prod_zh", 0, "one_minus_z"),  # (1 - z) * h(t-1) instead of z * h
        ("peephole", "Po", 0, "Cell State"),  # o peeps at c(t-1), not c(t)
        ("rnn", "Rh", 0, "From Workspace"),  # R sees u(t), not h(t-1)
    ],
)
def test_a_swapped_wire_fails_naming_its_block(u, cell, block, port, source):
    p = make(cell, 2, 2, 1, 8)
    wide = np.random.default_rng(1).standard_normal((8, 2))
    d = bl.build_cell_diagram(p, wide)
    assert bl.crosscheck_diagram(d).passed
    d = bl.build_cell_diagram(p, wide)
    _rewire(d, block, port, source)
    report = bl.crosscheck_diagram(d)
    div = report.first_divergence
    assert (div.step, div.signal) == (0, block), report.table()
    assert f"first divergence at step 0: {block}" in report.table()


def test_a_wrong_gate_order_fails_at_the_first_swapped_gain(u):
    # the builder taking the rows of z for r (and of r for z): Wr is evaluated
    # before Wz, so it is named
    d = bl.build_cell_diagram(make("gru", 3, 2, 1, 9), u)
    for a in ("W", "R"):
        ka, kb = d.blocks[f"{a}r"], d.blocks[f"{a}z"]
        ka.K, kb.K = kb.K, ka.K
    report = bl.crosscheck_diagram(d)
    div = report.first_divergence
    assert (div.step, div.signal) == (0, "Wr")
    assert not report.signal("Rz").passed and not report.signal("logsig_z").passed


@pytest.mark.parametrize(
    ("built", "checked", "first"),
    [(False, True, "prod_rh"), (True, False, "Rn")],
)
def test_the_other_gru_variant_fails_naming_its_first_block(u, built, checked, first):
    p = make("gru", 3, 2, 1, 10, linear_before_reset=built)
    d = bl.build_cell_diagram(p, u)
    # the diagram of one variant, checked against the reference of the other
    d.layers = (p.replace(linear_before_reset=checked),)
    report = bl.crosscheck_diagram(d)
    div = report.first_divergence
    assert (div.step, div.signal) == (0, first), report.table()
    for gate in "rz":  # r and z do not depend on the variant at step 0
        assert report.signal(f"logsig_{gate}").first_step != 0


def test_relu_instead_of_tanh_is_caught(u):
    p = make("rnn", 3, 2, 1, 11)
    d = bl.build_cell_diagram(p, u)
    blk = d.blocks["tansig_h"]
    blk.output = ReLU.output.__get__(blk)
    div = bl.crosscheck_diagram(d).first_divergence
    assert (div.step, div.signal) == (0, "tansig_h")


# ------------------------------------------------------- the compiled engine


@pytest.fixture
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path_factory.getbasetemp()))


@pytest.mark.usefixtures("_private_cache")
@pytest.mark.parametrize(
    ("cell", "flags"),
    [VARIANTS[0], VARIANTS[1], VARIANTS[2], VARIANTS[4]],
    ids=["gru-lbr", "gru-reset-first", "peephole", "rnn-relu"],
)
def test_the_compiled_engine_equals_bdsim_for_every_cell(cell, flags):
    # one layer each (numba compiles each arrangement once, ~3 s of CPU; the
    # engine's stacking is tested on LSTM layers in test_compiled.py); the
    # RNN with tanh has no block the others lack
    u = np.random.default_rng(3).standard_normal((12, 3))
    d = bl.build_cell_diagram(make(cell, 3, 3, 2, 12, **flags), u)
    ref, got = d.run(), d.run(engine="compiled")
    assert ref.signals.keys() == got.signals.keys()
    for name in ref.signals:
        a, b = ref.signals[name], got.signals[name]
        scale = max(1.0, float(np.max(np.abs(a))))
        # BLAS, expit and np.tanh against fixed-order sums and libm-free kernels
        assert np.max(np.abs(a - b)) <= 8 * np.finfo(float).eps * scale, name
    from blocksim_lstm._compiled import compile_diagram

    assert compile_diagram(d.bd).fused  # every block known (ReLU too)
    if cell == "rnn":
        h = got.signals["relu_h"]
        assert (h == 0).any() and (h > 0).any()  # both sides of the kink


def test_relu_block_is_exact_and_passes_nan():
    x = np.array([-2.0, -0.0, 0.0, 1e-300, 3.5, np.nan, -np.inf])
    out = ReLU().test_output(x)[0]
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.0, 1e-300, 3.5, np.nan, 0.0])
    assert isinstance(bl.new_sim().blockdiagram().RELU(), ReLU)


# --------------------------------------------------------------- loop structure


@pytest.mark.parametrize(("cell", "flags"), VARIANTS, ids=IDS)
def test_the_delays_close_every_cycle(u, cell, flags):
    d = bl.build_cell_diagram(make(cell, 2, 2, 1, 0, **flags), u)
    graph = bl.diagram_graph(d)
    report = bl.structure_report(graph)
    assert report.algebraic_loops == ()
    assert report.groups == CELL_LOOP_GROUPS[cell]
    # every cycle passes exactly one delay; without it, its cycles are algebraic
    assert all(len(c.delays) == 1 for c in report.cycles)
    for delay, n in report.groups.items():
        cut = bl.structure_report(bl.bypass_block(graph, delay))
        assert len(cut.algebraic_loops) == n


def test_loop_counts_by_hand():
    # counted from the equations, independently of the graph code: a cycle is a
    # path from the delay's output to its input
    assert CELL_LOOP_GROUPS["gru"] == {"Hidden State": 5}
    assert CELL_LOOP_GROUPS["rnn"] == {"Hidden State": 1}
    # h(t-1) reaches c(t) through Ri, Rf, Rg (3 paths), then h(t) through
    # tanh(c) or Po (x 2), plus Ro -> o: 7; c(t-1): f * c, Pi, Pf: 3
    assert CELL_LOOP_GROUPS["peephole"] == {"Cell State": 3, "Hidden State": 7}


# -------------------------------------------------------------------- errors


def test_errors_name_the_layers(u):
    gru = make("gru", 3, 2, 1, 0)
    with pytest.raises(TypeError, match=r"layers\[1\]: expected LSTMParams, GRUParams"):
        bl.build_cell_diagram([gru, {"W": 1}], u)
    with pytest.raises(
        ValueError,
        match=r"layers\[1\]: expected Ni = 3 \(the units of layer 0, gru\), "
        r"got Ni = 2 \(layer 1, rnn\)",
    ):
        bl.build_cell_diagram([gru, make("rnn", 2, 2, 1, 0)], u)
    with pytest.raises(ValueError, match="layers: expected at least one"):
        bl.build_cell_diagram([], u)
    with pytest.raises(ValueError, match=r"u: expected 3 columns"):
        bl.build_cell_diagram(make("rnn", 2, 3, 1, 0), u)


def test_a_builder_per_cell():
    assert set(LAYER_BUILDERS) == set(cells.CELLS)
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        cell_blocks("rnn", nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="cell: expected one of"):
        cell_blocks("lstm2")


def test_the_diagrams_never_reach_a_reference_cell():
    # the builders name the trace a wire stands for, they never compute it: no
    # import path (function-level imports count) leads to a reference module
    from test_house import _closure, import_graph

    graph = import_graph()
    for module in ("blocksim_lstm._cell_layers", "blocksim_lstm._diagram"):
        reached = _closure(graph, module)
        assert "blocksim_lstm.cells._params" in reached | {module}
        assert (
            not {"blocksim_lstm._reference", "blocksim_lstm.cells._reference"} & reached
        )
