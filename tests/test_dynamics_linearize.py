"""Linearization as a python-control system, its file, and the pole study."""

from __future__ import annotations

import contextlib
import io
import json

import control as ct
import numpy as np
import pytest

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.dynamics import (
    fixed_points,
    jacobians,
    linear_summary,
    linearize,
    plot_bode,
    pole_study,
)
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.realization import balanced_realization
from blocksim_lstm.training import calculated_weights


def small_network(seed: int = 0) -> LSTMParams:
    rng = np.random.default_rng(seed)
    return LSTMParams.from_arrays(
        rng.standard_normal((8, 1)),
        rng.standard_normal((8, 2)) * 0.5,
        rng.standard_normal(8),
        rng.standard_normal((1, 2)),
    )


def test_linearize_is_the_jacobian_as_a_statespace(rng) -> None:
    p = LSTMParams.random(3, 2, 2, seed=1)
    x = rng.standard_normal(6)
    u = rng.standard_normal(2)
    sys = linearize(p, x, u, ts=0.1)
    J = jacobians(p, x, u)
    assert isinstance(sys, ct.StateSpace) and sys.dt == 0.1
    for m in "ABCD":
        np.testing.assert_array_equal(np.asarray(getattr(sys, m)), getattr(J, m))
    assert sys.state_labels[:3] == ["h[0]", "h[1]", "h[2]"]
    assert sys.state_labels[3:] == ["c[0]", "c[1]", "c[2]"]


def test_linear_summary_of_the_calculated_weights_is_the_plant() -> None:
    p = calculated_weights()
    s = linear_summary(linearize(p, np.zeros(10), [0.0]))
    plant = lti.seed_plant()
    assert s.dcgain.shape == (1, 1)
    assert s.dcgain[0, 0] == pytest.approx(lti.dcgain(plant)[0, 0], rel=1e-12)
    assert lti.match_distance(s.poles[:4], lti.poles(plant)) < 1e-12
    # the plant's zeros are among the linearization's finite zeros
    z = s.zeros
    for zp in lti.zeros(plant):
        assert np.min(np.abs(z - zp)) < 1e-9
    d = s.to_dict()
    assert d["dcgain"] == d["dcgain_matrix"][0][0]


def test_mimo_summary_keeps_the_matrix() -> None:
    p = LSTMParams.random(3, 2, 2, seed=3)
    fp = fixed_points(p, np.zeros(2), starts=4).fixed_points[0]
    d = linear_summary(linearize(p, fp.x, np.zeros(2))).to_dict()
    assert np.shape(d["dcgain"]) == (2, 2) and d["dcgain"] == d["dcgain_matrix"]


def test_system_file_round_trip_and_approximate_reads_it(tmp_path) -> None:
    p = small_network()
    fp = fixed_points(p).fixed_points[0]
    sys = linearize(p, fp.x, [0.0], ts=0.1)
    path = lti.save_system(sys, tmp_path / "sys.npz")
    back = lti.load_system(path)
    for m in "ABCD":
        np.testing.assert_array_equal(np.asarray(getattr(back, m)), getattr(sys, m))
    assert back.dt == 0.1
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(
            [
                "approximate",
                "--system",
                str(path),
                "--no-figures",
                "--no-diagram",
                "--steps",
                "201",
                "--json",
            ]
        )
    res = json.loads(buf.getvalue())
    assert rc == 0
    gain = linear_summary(sys).dcgain[0, 0]
    assert res["dcgain"][0][0] == pytest.approx(gain, rel=1e-9)


def test_linearize_bad_input() -> None:
    p = LSTMParams.random(2, 1, 1)
    with pytest.raises(ValueError, match=r"x: expected shape \(2Nn,\) = \(4,\)"):
        linearize(p, np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"u: expected 1 value"):
        linearize(p, np.zeros(4), [0.0, 0.0])
    with pytest.raises(ValueError, match="ts: expected a positive"):
        linearize(p, np.zeros(4), ts=0.0)


def test_bode_figure_has_the_dc_gain() -> None:
    p = calculated_weights()
    sys = linearize(p, np.zeros(10), [0.0])
    fig = plot_bode(sys)
    line = fig.axes[0].get_lines()[0]
    assert line.get_ydata()[0] == pytest.approx(20 * np.log10(7.5351), abs=0.01)


# ------------------------------------------------------------- pole study
def test_pole_study_of_the_calculated_weights() -> None:
    st = pole_study(calculated_weights())
    c = st.calculated
    assert c.kind == "stable" and c.fixed_points == 1 and c.residual == 0.0
    assert c.gain_error < 1e-12 and c.pole_distance < 1e-12
    assert st.extra["count"] == 6 and st.extra["input_units"] == 1
    assert st.extra["forget_gate"] == pytest.approx(np.exp(-100), rel=1e-12)
    assert st.extra["largest"] < 1e-40
    claim, verdict, number = st.claim()
    assert verdict == "holds" and "7.5351" in claim and "7.53511" in number
    header, rows = st.table()
    assert len(rows) == 2 and all(len(r) == len(header) for r in rows)
    json.dumps(st.to_dict(), allow_nan=False)


def test_pole_study_measures_a_moved_network() -> None:
    """Perturb the block standing for A: at u = 0 the origin stays the fixed
    point, and the linearization's poles are exactly those of the new block."""
    calc = calculated_weights()
    R = np.array(calc.R)
    nn = calc.nn
    R[2 * nn : 2 * nn + 4, :4] += 0.01 * np.eye(4)
    moved = calc.replace(R=R)
    no_fp = LSTMParams.from_arrays(
        np.zeros((20, 1)), np.zeros((20, 5)), [50.0] * 15 + [0.0] * 5, calc.F
    )
    st = pole_study(calc, {"moved": moved, "drifting": no_fp})
    m = st.networks[1]
    new = np.linalg.eigvals(R[2 * nn : 2 * nn + 4, :4])
    assert lti.match_distance(m.dominant, new) < 1e-12
    plant = lti.poles(balanced_realization(lti.seed_plant()))
    assert m.pole_distance == pytest.approx(lti.match_distance(new, plant), rel=1e-9)
    assert m.pole_distance == pytest.approx(0.01, rel=1e-6)  # A + 0.01 I
    np.testing.assert_allclose(m.nearest, 0.01, rtol=1e-6)
    d = st.networks[2]
    assert d.kind is None and d.fixed_points == 0 and np.isnan(d.dcgain)
    _, rows = st.table()
    assert rows[3][2] == "none found"
    fig = st.figure()
    assert len(fig.axes) == 2


def test_summary_of_a_system_without_input_path_is_json_clean() -> None:
    """B = 0 (the bistable cell has no input weights): zero gain, no NaN zeros."""
    from blocksim_lstm.dynamics import bistable_cell

    p = bistable_cell(0.5)
    fp = fixed_points(p).fixed_points[0]
    s = linear_summary(linearize(p, fp.x, [0.0]))
    assert s.dcgain[0, 0] == 0.0 and np.all(np.isfinite(s.zeros))
    json.dumps(s.to_dict(), allow_nan=False)
