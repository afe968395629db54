"""The LSTM block diagram against the independent scalar-loop LSTM."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ATOL64, RTOL64
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lstm_loops import lstm_loops

from blocksim_lstm import LSTMParams, reference_cell
from blocksim_lstm._crosscheck import reference_traces
from blocksim_lstm._diagram import build_lstm_diagram, build_stacked_diagram
from blocksim_lstm._experiment import seed_problem

ORIGINAL_BLOCKS = {
    "From Workspace", "Wi", "Wf", "Wg", "Wo", "Ri", "Rf", "Rg", "Ro",
    "bi", "bf", "bg", "bo", "sumIG", "sumFG", "sumCG", "sumOG",
    "logsig_i", "logsig_f", "logsig_o", "tansig_g", "tansig_c",
    "prod_fc", "prod_ig", "prod_oc", "Sum", "Hidden State", "Cell State",
    "FC layer", "To Workspace",
}  # fmt: skip


def test_seed_diagram_has_the_original_30_blocks_and_named_wires():
    p, u = seed_problem()
    d = build_lstm_diagram(p, u)
    assert {b.name for b in d.bd.blocklist} == ORIGINAL_BLOCKS
    names = {w.name for w in d.bd.wirelist if w.name}
    assert {"u(t)", "h(t-1)", "c(t-1)", "c(t)", "h(t)"} <= names


def test_seed_experiment_equals_independent_lstm():
    p, u = seed_problem()
    run = build_lstm_diagram(p, u).run()
    y, h, c = lstm_loops(p.W, p.R, p.b, p.F, p.bF, p.h0, p.c0, u)
    assert run.y.shape == (51, 2)
    np.testing.assert_allclose(run.y, y, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(run.signals["prod_oc"], h, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(run.signals["Sum"], c, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(run.t, 0.1 * np.arange(51), rtol=1e-15)


def test_first_output_already_depends_on_first_input():
    p, u = seed_problem(steps=3)
    u2 = u.copy()
    u2[0] += 1.0
    y1 = build_lstm_diagram(p, u).run().y
    y2 = build_lstm_diagram(p, u2).run().y
    assert np.all(y1[0] != y2[0])


def test_logger_sink_records_y():
    p, u = seed_problem(steps=20)
    d = build_lstm_diagram(p, u)
    run = d.run()
    np.testing.assert_array_equal(d.blocks["To Workspace"].data, run.y)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nn=st.integers(1, 8),
    ni=st.integers(1, 8),
    no=st.integers(1, 8),
    steps=st.sampled_from([1, 1001]),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_every_wire_matches_reference(nn, ni, no, steps, seed):
    rng = np.random.default_rng(seed)
    p = LSTMParams.random(nn, ni, no, seed=seed).replace(
        h0=rng.uniform(-1, 1, nn), c0=rng.uniform(-2, 2, nn), bF=rng.normal(size=no)
    )
    u = rng.standard_normal((steps, ni))
    d = build_lstm_diagram(p, u)
    run = d.run()
    ref = reference_traces(d)
    for name, trace in run.signals.items():
        np.testing.assert_allclose(
            trace, ref[name], rtol=RTOL64, atol=ATOL64, err_msg=name
        )
    y, _, _ = lstm_loops(p.W, p.R, p.b, p.F, p.bF, p.h0, p.c0, u[:50])
    np.testing.assert_allclose(run.y[:50], y, rtol=RTOL64, atol=ATOL64)


def test_stacked_layers_equal_two_reference_cells(rng):
    l1 = LSTMParams.random(4, 2, 1, seed=1)
    l2 = LSTMParams.random(3, 4, 2, seed=2)
    u = rng.standard_normal((40, 2))
    d = build_stacked_diagram([l1, l2], u)
    assert len(d.bd.blocklist) == 3 + 2 * 27  # source, FC, sink + 27 per layer
    run = d.run()
    h1 = reference_cell(l1, u).h
    y = reference_cell(l2, h1).y
    np.testing.assert_allclose(run.y, y, rtol=RTOL64, atol=ATOL64)
    np.testing.assert_allclose(run.signals["L1 prod_oc"], h1, rtol=RTOL64, atol=ATOL64)


def test_stacked_layers_must_chain():
    with pytest.raises(ValueError, match=r"layers\[1\]: expected Ni = 4"):
        build_stacked_diagram(
            [LSTMParams.random(4, 2, 1), LSTMParams.random(3, 5, 1)], np.zeros((3, 2))
        )


@pytest.mark.parametrize(
    ("u", "match"),
    [
        (np.zeros((5, 3)), r"u: expected 4 columns \(Ni=4"),
        (np.zeros((2, 5, 4)), "u: a diagram runs one sequence"),
        (np.array([[0.0, np.nan, 0.0, 0.0]]), "u: expected finite values"),
    ],
)
def test_bad_input_is_refused_before_bdsim(u, match):
    with pytest.raises(ValueError, match=match):
        build_lstm_diagram(LSTMParams.random(), u)


def test_bad_sample_time_and_params():
    with pytest.raises(ValueError, match="ts: expected a positive sample time"):
        build_lstm_diagram(LSTMParams.random(), np.zeros((2, 4)), ts=0.0)
    with pytest.raises(TypeError, match=r"layers\[0\]: expected LSTMParams"):
        build_lstm_diagram({"W": 1}, np.zeros((2, 4)))


def test_float32_params_run_in_float64():
    p, u = seed_problem()
    run = build_lstm_diagram(p.astype("float32"), u).run()
    assert run.y.dtype == np.float64


SPEC_LABELS = {
    "u(t)": "From Workspace",
    "h(t-1)": "Hidden State",
    "c(t-1)": "Cell State",
    "i": "logsig_i",
    "f": "logsig_f",
    "g": "tansig_g",
    "o": "logsig_o",
    "zf": "sumFG",
    "Wi u(t)": "Wi",
    "Rf h(t-1)": "Rf",
    "f*c(t-1)": "prod_fc",
    "i*g": "prod_ig",
    "c(t)": "Sum",
    "tanh(c(t))": "tansig_c",
    "h(t)": "prod_oc",
    "y(t)": "FC layer",
}


def test_signals_by_spec_label_and_by_block_name(rng):
    p = LSTMParams.random(3, 2, 2, seed=4)
    run = build_lstm_diagram(p, rng.standard_normal((6, 2))).run()
    ref = reference_cell(p, run.signals["u(t)"])
    # keys are block names (30 blocks less the sink); labels are looked up too
    assert len(run.signals) == 29 and "Cell State" in list(run.signals)
    for label, block in SPEC_LABELS.items():
        assert run.signals[label] is run.signals[block], label
    np.testing.assert_allclose(run.signals["c(t-1)"], ref.c_prev, rtol=RTOL64)
    np.testing.assert_allclose(run.signals["f"], ref.f, rtol=RTOL64)
    np.testing.assert_allclose(run.signals["y(t)"], ref.y, rtol=RTOL64, atol=ATOL64)
    with pytest.raises(KeyError, match=r"no signal 'c\(t\+1\)'; block names: .*Sum"):
        run.signals["c(t+1)"]


def test_stacked_signals_carry_the_layer_in_their_labels(rng):
    l1 = LSTMParams.random(2, 2, 1, seed=1)
    l2 = LSTMParams.random(3, 2, 2, seed=2)
    run = build_stacked_diagram([l1, l2], rng.standard_normal((5, 2))).run()
    assert run.signals["L2 h(t)"] is run.signals["L2 prod_oc"]
    assert run.signals["L1 c(t-1)"] is run.signals["L1 Cell State"]
    assert run.signals["y(t)"] is run.signals["FC layer"]
    with pytest.raises(KeyError, match="L1 h"):
        run.signals["h(t)"]  # ambiguous between layers: not a key
