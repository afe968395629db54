"""Any bdsim diagram recorded wire by wire and cross-checked against arrays.

The filter is checked against scipy.signal.lfilter alone (its output, and its
state after each sample from lfilter run on each prefix): the reference shares
no code with the diagram.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import lfilter

import blocksim_lstm as bl
from blocksim_lstm.blocks import Logger, Sequence, UnitDelay
from blocksim_lstm.layout import CrossCheckPaint, draw_layout, layered_layout

_RED, _GREEN, _GREY = "#d7191c", "#1a7a1a", "#bbbbbb"


def _filter(b, a, zi, x, *, swap: str | None = None, extra_delay: bool = False):
    """Direct form II transposed: y = b0 x + z1, z1' = b1 x - a1 y + z2,
    z2' = b2 x - a2 y; ``swap`` miswires it, ``extra_delay`` delays x."""
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(0.01, unit="s", name="clock")
    src = Sequence(clock, np.asarray(x, float)[:, None], bd=bd, name="x")
    feed = src
    if extra_delay:
        feed = UnitDelay(clock, [0.0], bd=bd, name="x delay")
        bd.connect(src, feed)
    d1 = UnitDelay(clock, [zi[0]], bd=bd, name="z1 delay")
    d2 = UnitDelay(clock, [zi[1]], bd=bd, name="z2 delay")
    g = {f"b{k}": bd.GAIN(float(b[k]), name=f"b{k}") for k in range(3)}
    g.update({f"a{k}": bd.GAIN(float(a[k]), name=f"a{k}") for k in (1, 2)})
    sy = bd.SUM("++", name="sum y")
    s1 = bd.SUM("+-+", name="sum z1")
    s2 = bd.SUM("+-", name="sum z2")
    bd.connect(feed, g["b0"], g["b1"], g["b2"])
    bd.connect(g["b0"], sy[0])
    bd.connect(d2 if swap == "delays" else d1, sy[1])
    bd.connect(sy, g["a1"], g["a2"])
    bd.connect(g["b2"] if swap == "b1b2" else g["b1"], s1[0])
    bd.connect(g["a1"], s1[1])
    bd.connect(d1 if swap == "delays" else d2, s1[2])
    bd.connect(g["b1"] if swap == "b1b2" else g["b2"], s2[0])
    bd.connect(g["a2"], s2[1])
    bd.connect(s1, d1)
    bd.connect(s2, d2)
    for w in bd.wirelist:
        if w.start.block is sy:
            w.name = "y[n]"
    return bd


def _lfilter_reference(b, a, zi, x) -> dict[str, np.ndarray]:
    y, _ = lfilter(b, a, x, zi=zi)
    z = np.array([lfilter(b, a, x[: k + 1], zi=zi)[1] for k in range(len(x))])
    z_prev = np.vstack([zi, z[:-1]])
    return {
        "x": x,
        "b0": b[0] * x,
        "b1": b[1] * x,
        "b2": b[2] * x,
        "sum y": y,
        "a1": a[1] * y,
        "a2": a[2] * y,
        "sum z1": z[:, 0],
        "sum z2": z[:, 1],
        "z1 delay": z_prev[:, 0],
        "z2 delay": z_prev[:, 1],
    }


def _problem(seed: int, steps: int = 24):
    rng = np.random.default_rng(seed)
    r, theta = rng.uniform(0, 0.95), rng.uniform(0, np.pi)
    a = np.array([1.0, -2 * r * np.cos(theta), r * r])  # poles r e^{+-i theta}
    b = rng.uniform(-2, 2, 3)
    zi = rng.uniform(-1, 1, 2)
    return b, a, zi, rng.standard_normal(steps)


# ---------------------------------------------------------------- LSTM diagrams
@pytest.fixture(scope="module")
def lstm_diagram():
    p = bl.LSTMParams.random(2, 3, 2, seed=4)
    u = np.random.default_rng(4).standard_normal((15, 3))
    return bl.build_stacked_diagram([p, bl.LSTMParams.random(3, 2, 1, seed=5)], u)


def test_record_equals_lstm_run_byte_for_byte(lstm_diagram) -> None:
    run = lstm_diagram.run()
    rec = bl.record(lstm_diagram)
    assert list(rec.traces) == [
        k for k in lstm_diagram.evaluation_order() if k in run.signals
    ]
    assert sorted(rec.traces) == sorted(run.signals)
    for key, trace in run.signals.items():
        got = rec.traces[key]
        assert got.dtype == trace.dtype and got.shape == trace.shape, key
        assert got.tobytes() == trace.tobytes(), key
    assert rec.t.tobytes() == run.t.tobytes()
    assert rec.order == tuple(lstm_diagram.evaluation_order())
    # labels from the diagram's signals; a label finds the trace too
    assert rec.labels["L2 Cell State"] == "c(t-1)"
    assert rec.traces["y(t)"] is rec.traces["FC layer"]
    # and the LSTM's own cross-check agrees with the generic one
    ref = bl.crosscheck_diagram(lstm_diagram, run=run)
    assert ref.passed


def test_record_of_a_model_file_equals_its_run() -> None:
    # a model file's clock ticks half a period early: the same rows
    m = bl.load_model(Path(__file__).parent.parent / "diagrams" / "lstm_layer.bd")
    run = m.run()
    rec = bl.record(m)
    assert all(rec.traces[k].tobytes() == run.signals[k].tobytes() for k in run.signals)


# -------------------------------------------------------------------- the filter
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_filter_every_wire_matches_lfilter(seed: int) -> None:
    b, a, zi, x = _problem(seed)
    rec = bl.record(_filter(b, a, zi, x), steps=len(x))
    report = bl.crosscheck_traces(rec, _lfilter_reference(b, a, zi, x))
    assert report.passed, report.table()
    assert len(report.signals) == 11 and report.not_compared == ()
    assert report.steps == len(x)
    # evaluation order: delays and source first, each sum after its inputs
    order = rec.order
    assert order.index("sum y") < order.index("a1") < order.index("sum z1")
    assert rec.traces["y[n]"] is rec.traces["sum y"]


@pytest.mark.parametrize(
    ("swap", "first", "also_step0"),
    [
        ("delays", "sum y", "sum y"),  # y = b0 x + z2: wrong at once
        ("b1b2", "sum z1", "sum z2"),  # both sums wrong at step 0: order decides
    ],
)
def test_miswired_filter_names_the_block(swap, first, also_step0) -> None:
    b, a, zi, x = _problem(11)
    rec = bl.record(_filter(b, a, zi, x, swap=swap), steps=len(x))
    # references in reverse order: the diagram's evaluation order decides ties
    ref = dict(reversed(_lfilter_reference(b, a, zi, x).items()))
    report = bl.crosscheck_traces(rec, ref)
    fd = report.first_divergence
    assert not report.passed and fd is not None
    assert (fd.step, fd.signal) == (0, first)
    assert report.signal(also_step0).first_step == 0
    assert report.signal("b0").passed and report.signal("x").passed
    if swap == "delays":
        # the diagram adds z2's initial state where lfilter adds z1's
        assert fd.diagram_value == pytest.approx(b[0] * x[0] + zi[1], abs=1e-15)
        assert fd.reference_value == pytest.approx(ref["sum y"][0], abs=1e-15)
        assert fd.label == "y[n]"
    assert f"{first}" in report.table().splitlines()[-1]


def test_inserted_delay_gives_a_shift_diagnosis() -> None:
    b, a, _, x = _problem(12)
    zi = np.zeros(2)
    rec = bl.record(_filter(b, a, zi, x, extra_delay=True), steps=len(x))
    report = bl.crosscheck_traces(rec, _lfilter_reference(b, a, zi, x))
    fd = report.first_divergence
    assert fd is not None and fd.step == 0 and fd.shift == 1
    assert fd.signal == "b0"  # the first gain after the inserted delay
    assert "lags its reference by 1 step" in fd.describe()
    for name in ("b0", "b1", "b2", "sum y", "sum z1", "z1 delay"):
        assert report.signal(name).shift == 1, name
    assert report.signal("x").passed
    assert report.not_compared == ("x delay",)
    assert "not compared (no reference): x delay" in report.table()


def test_mapping_pairs_wires_with_reference_names() -> None:
    b, a, zi, x = _problem(13, steps=10)
    rec = bl.record(_filter(b, a, zi, x), steps=10)
    ref = _lfilter_reference(b, a, zi, x)
    # a label works as a wire name; unmapped wires are not compared
    report = bl.crosscheck_traces(
        rec,
        {"lfilter y": ref["sum y"][:, None], "state 1": ref["z1 delay"]},
        mapping={"y[n]": "lfilter y", "z1 delay": "state 1"},
        output="y[n]",
    )
    assert report.passed
    assert [s.name for s in report.signals] == ["z1 delay", "sum y"]
    assert [s.label for s in report.signals] == ["state 1", "y[n]"]
    assert len(report.not_compared) == 9 and "x" in report.not_compared
    # float32 references get float32 tolerances, as in crosscheck_diagram
    r32 = bl.crosscheck_traces(rec, {"sum y": ref["sum y"].astype(np.float32)})
    assert (r32.dtype, r32.abs_tol, r32.rel_tol) == ("float32", 1e-5, 1e-5)
    assert r32.passed
    assert report.output_norm == pytest.approx(
        np.linalg.norm(rec.traces["sum y"][:, 0] - ref["sum y"]), abs=0
    )


# ------------------------------------------------- stock bdsim discrete blocks
def _through(make, width: int = 1, steps: int = 6):
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(0.1, unit="s", name="clock")
    u = np.arange(1.0, steps + 1)[:, None] * np.arange(1, width + 1)
    src = Sequence(clock, u, bd=bd, name="u")
    blk = make(bd, clock, width)
    bd.connect(src, blk)
    rec = bl.record(bd, steps=steps)
    delayed = np.vstack([np.full((1, width), 7.0), u[:-1]])
    return bl.crosscheck_traces(
        rec, {"d": delayed}, mapping={blk.name: "d"}, abs_tol=0.0, rel_tol=0.0
    )


@pytest.mark.parametrize(
    ("make", "width", "is_delay"),
    [
        (lambda bd, c, w: bd.ZOH(c, x0=np.full(w, 7.0), name="blk"), 3, True),
        (lambda bd, c, w: bd.ZOH(c, x0=7.0, name="blk"), 1, True),
        (
            lambda bd, c, w: bd.LTI_SS_S(
                c, A=np.zeros((1, 1)), B=np.ones(1), C=np.ones(1), x0=[7.0], name="blk"
            ),
            1,
            True,
        ),
        (
            lambda bd, c, w: bd.LTI_SISO_S(c, N=[1], D=[1, 0], x0=[7.0], name="blk"),
            1,
            True,
        ),
        (lambda bd, c, w: UnitDelay(c, np.full(w, 7.0), bd=bd, name="blk"), 3, True),
        (lambda bd, c, w: bd.INTEGRATOR_S(c, x0=7.0, name="blk"), 1, False),
        (lambda bd, c, w: bd.DERIV_S(c, x0=7.0, name="blk"), 1, False),
    ],
    ids=[
        "ZOH x0 full",
        "ZOH scalar",
        "LTI_SS_S",
        "LTI_SISO_S",
        "UnitDelay",
        "INTEGRATOR_S",
        "DERIV_S",
    ],
)
def test_which_stock_blocks_are_exact_unit_delays(make, width, is_delay) -> None:
    assert _through(make, width).passed is is_delay


def test_the_stock_integrator_is_an_accumulator() -> None:
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(0.1, unit="s", name="clock")
    u = np.arange(1.0, 7.0)
    bd.connect(
        Sequence(clock, u[:, None], bd=bd, name="u"),
        bd.INTEGRATOR_S(clock, x0=7.0, gain=2.0, name="acc"),
    )
    rec = bl.record(bd, steps=6)
    want = 7.0 + 2.0 * 0.1 * np.r_[0.0, np.cumsum(u)[:-1]]
    np.testing.assert_allclose(rec.traces["acc"][:, 0], want, rtol=1e-15, atol=0)


def test_a_scalar_zoh_fed_a_vector_is_not_a_delay() -> None:
    # documented in bl.record: it silently keeps one element
    with pytest.raises(ValueError, match=r"expected width 1 .*got shape \(6, 3\)"):
        _through(lambda bd, c, w: bd.ZOH(c, x0=7.0, name="blk"), 3)


# --------------------------------------------------- clocks, ports, side effects
def _two_clock_diagram(offsets=(0.0, 0.0), periods=(0.1, 0.1)):
    bd = bl.new_sim().blockdiagram()
    c1 = bd.clock(periods[0], unit="s", offset=offsets[0], name="c1")
    c2 = bd.clock(periods[1], unit="s", offset=offsets[1], name="c2")
    x = Sequence(c1, np.arange(6.0)[:, None], bd=bd, name="x")
    d = UnitDelay(c2, [9.0], bd=bd, name="d")
    bd.connect(x, d)
    bd.connect(d, bd.GAIN(2.0, name="g"))
    return bd


@pytest.mark.parametrize("offset", [0.0, -0.05, 0.03])
def test_clocks_of_one_period_and_offset_give_the_same_steps(offset) -> None:
    rec = bl.record(_two_clock_diagram((offset, offset)), steps=6)
    np.testing.assert_array_equal(rec.traces["x"][:, 0], np.arange(6.0))
    np.testing.assert_array_equal(rec.traces["d"][:, 0], [9, 0, 1, 2, 3, 4])
    np.testing.assert_array_equal(rec.t, np.arange(6) * 0.1)


def _demux_diagram(*, collide: bool = False):
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(1.0, unit="s", name="clock")
    x = Sequence(clock, np.arange(8.0).reshape(4, 2), bd=bd, name="x")
    dm = bd.DEMUX(2, name="dm")
    bd.connect(x, dm)
    bd.connect(dm[0], bd.GAIN(2.0, name="g0"))
    bd.connect(dm[1], bd.GAIN(3.0, name="dm[1]" if collide else "g1"))
    return bd


def test_ports_above_zero_are_keyed_recorded_and_painted(tmp_path) -> None:
    rec = bl.record(_demux_diagram(), steps=4)
    assert rec.wires == ("x", "dm", "dm[1]", "g0", "g1")
    x = np.arange(8.0).reshape(4, 2)
    ref = {"dm": x[:, 0], "dm[1]": x[:, 1] + 1.0, "g0": 2 * x[:, 0]}  # dm[1] wrong
    report = bl.crosscheck_traces(rec, ref)
    assert report.first_divergence is not None
    assert report.first_divergence.signal == "dm[1]"
    assert report.signal("dm").passed and report.not_compared == ("x", "g1")
    graph = bl.diagram_graph(rec.bd)
    laid = layered_layout(graph)
    fig = draw_layout(laid, paint=CrossCheckPaint.from_report(report))
    colour = {}
    lines = {ln.get_gid(): ln for ln in fig.axes[0].lines}
    for k, r in enumerate(laid.routes):
        colour[(r.source, r.source_port)] = lines[f"wire:{k}"].get_color()
    assert colour[("dm", 0)] == _GREEN
    assert colour[("dm", 1)] == _RED
    assert colour[("x", 0)] == _GREY
    boxes = {p.get_gid(): p for p in fig.axes[0].patches}
    assert boxes["box:dm"].get_edgecolor()[:3] == pytest.approx(
        (215 / 255, 25 / 255, 28 / 255)
    )
    assert boxes["box:g0"].get_edgecolor()[:3] == pytest.approx((0.0, 0.0, 0.0))
    # and through bl.draw, from the recording itself
    png = bl.draw(rec, tmp_path / "demux.png", paint=report)
    assert png.stat().st_size > 1000


def test_loggers_write_no_file_while_recording(tmp_path) -> None:
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(1.0, unit="s", name="clock")
    x = Sequence(clock, np.ones((3, 1)), bd=bd, name="x")
    log = Logger(file=str(tmp_path / "y.npy"), steps=3, bd=bd, name="log")
    bd.connect(x, log)
    rec = bl.record(bd, steps=3)
    assert rec.wires == ("x",)
    assert not (tmp_path / "y.npy").exists()
    assert log._file == str(tmp_path / "y.npy")  # restored after the run


# ------------------------------------------------------------------- bad input
def _no_clock():
    bd = bl.new_sim().blockdiagram()
    bd.connect(bd.CONSTANT(1.0, name="c"), bd.GAIN(2.0, name="g"))
    return bd


def _continuous():
    bd = bl.new_sim().blockdiagram()
    bd.clock(0.1, unit="s", name="clock")
    integ = bd.INTEGRATOR(x0=0.0, name="integ")
    bd.connect(bd.CONSTANT(1.0, name="c"), integ)
    return bd


def _unconnected():
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(1.0, unit="s", name="clock")
    s = bd.SUM("++", name="s")
    bd.connect(Sequence(clock, np.ones((3, 1)), bd=bd, name="x"), s[0])
    return bd


def _algebraic_loop():
    bd = _unconnected()
    s = bd.blocklist[0] if bd.blocklist[0].name == "s" else bd.blocklist[1]
    g = bd.GAIN(0.5, name="g")
    bd.connect(s, g)
    bd.connect(g, s[1])
    return bd


@pytest.mark.parametrize(
    ("make", "kwargs", "err", "match"),
    [
        (
            _unconnected,
            {"steps": 3},
            ValueError,
            "diagram: bdsim could not compile it: block s has an unconnected input",
        ),
        (
            _algebraic_loop,
            {"steps": 3},
            bl.AlgebraicLoopError,
            r"s -> g -> s|g -> s -> g",
        ),
        (lambda: "filter", {"steps": 3}, TypeError, "diagram: expected a bdsim"),
        (
            _demux_diagram,
            {"steps": 0},
            ValueError,
            r"steps: expected an integer >= 1, got 0",
        ),
        (_demux_diagram, {"steps": -2}, ValueError, r"steps: .*got -2"),
        (_demux_diagram, {"steps": 2.5}, TypeError, r"steps: .*got 2\.5"),
        (_demux_diagram, {}, ValueError, "steps: expected an integer >= 1 .*got None"),
        (_no_clock, {"steps": 3}, ValueError, "diagram: .*with no clock"),
        (
            lambda: _two_clock_diagram(periods=(0.1, 0.2)),
            {"steps": 3},
            ValueError,
            r"one clock period .*'c1' \(Ts 0.1 s.*'c2' \(Ts 0.2 s",
        ),
        (
            lambda: _two_clock_diagram(offsets=(-0.1, -0.1)),
            {"steps": 3},
            ValueError,
            "clock 'c1' never ticks",
        ),
        (
            _continuous,
            {"steps": 3},
            ValueError,
            r"1 continuous states \(blocks \['integ'\]\)",
        ),
        (
            lambda: _demux_diagram(collide=True),
            {"steps": 3},
            ValueError,
            r"'dm\[1\]' port 0 and 'dm' port 1 would both be recorded as 'dm\[1\]'",
        ),
    ],
)
def test_record_refuses_bad_input(make, kwargs, err, match) -> None:
    with pytest.raises(err, match=match):
        bl.record(make(), **kwargs)


def test_record_refuses_a_run_that_cannot_fit(monkeypatch) -> None:
    from blocksim_lstm import _validate

    monkeypatch.setattr(_validate, "memory_limit", lambda: 10_000_000)
    with pytest.raises(
        ValueError, match=r"steps: recording 5 wires over 1000000 steps"
    ):
        bl.record(_demux_diagram(), steps=1_000_000)


@pytest.fixture(scope="module")
def demux_recording():
    return bl.record(_demux_diagram(), steps=4)


@pytest.mark.parametrize(
    ("reference", "kwargs", "err", "match"),
    [
        (
            {"nope": np.zeros(4)},
            {},
            ValueError,
            r"reference: no wire 'nope' in the recording; wires: \['x'",
        ),
        (
            {"g0": np.zeros(4)},
            {"mapping": {"gx": "g0"}},
            ValueError,
            "mapping: no wire 'gx'",
        ),
        (
            {"g0": np.zeros(4)},
            {"mapping": {"g0": "ref g0"}},
            ValueError,
            r"'g0' -> 'ref g0': no reference trace 'ref g0'; reference names: \['g0'\]",
        ),
        (
            {"g0": np.zeros(3)},
            {},
            ValueError,
            r"reference\['g0'\]: expected 4 steps \(the recording's length\), got 3",
        ),
        ({"x": np.zeros(4)}, {}, ValueError, r"reference\['x'\]: expected width 2"),
        (
            {"g0": np.zeros((4, 1, 1))},
            {},
            ValueError,
            r"expected shape \(T,\) or \(T, width\), got shape \(4, 1, 1\)",
        ),
        (
            {"g0": ["a"] * 4},
            {},
            ValueError,
            r"reference\['g0'\]: expected real numbers",
        ),
        ({}, {}, ValueError, "expected at least one trace"),
        (
            {"g0": np.zeros(4)},
            {"output": "g1"},
            ValueError,
            "output: wire 'g1' has no reference",
        ),
        (
            {"g0": np.zeros(4)},
            {"abs_tol": -1.0},
            ValueError,
            "abs_tol, rel_tol: expected finite values >= 0",
        ),
        ([np.zeros(4)], {}, TypeError, "reference: expected a mapping"),
    ],
)
def test_crosscheck_traces_refuses_bad_input(
    demux_recording, reference, kwargs, err, match
) -> None:
    with pytest.raises(err, match=match):
        bl.crosscheck_traces(demux_recording, reference, **kwargs)


def test_crosscheck_traces_wants_a_recording() -> None:
    with pytest.raises(TypeError, match=re.escape("recorded: expected a Recording")):
        bl.crosscheck_traces({"g0": np.zeros(4)}, {"g0": np.zeros(4)})  # type: ignore[arg-type]
