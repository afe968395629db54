"""Accuracy: error model, automatic scl, error against scl, realizations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._reference import reference_cell
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.accuracy import (
    DEFAULT_SCLS,
    choose_scl,
    design_input,
    error_model,
    plot_scl_study,
    rel_rms_error,
    scl_study,
)
from blocksim_lstm.statespace.construction import construct
from blocksim_lstm.statespace.realization import balanced_realization


def test_rel_rms_error() -> None:
    y = np.array([[3.0], [4.0]])
    assert rel_rms_error(y, y) == 0.0
    # rms(y) = sqrt(12.5); rms(diff) = sqrt(0.5)
    assert rel_rms_error(y + [[1.0], [0.0]], y) == pytest.approx(np.sqrt(0.5 / 12.5))
    with pytest.raises(ValueError, match=r"y_ref: expected shape \(2, 1\)"):
        rel_rms_error(y, np.zeros(3))


def test_test_input_is_seeded() -> None:
    a = design_input(2, steps=11, amplitude=3.0, seed=4)
    assert a.shape == (11, 2)
    assert a.tobytes() == design_input(2, steps=11, amplitude=3.0, seed=4).tobytes()
    np.testing.assert_allclose(a, 3.0 * design_input(2, steps=11, seed=4))


# ------------------------------------------------------------- error model
@settings(max_examples=20, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    method=st.sampled_from(["spec", "delayed"]),
)
def test_error_model_predicts_the_achieved_error(nx, nu, ny, seed, method) -> None:
    sys = lti.random_stable(nx, nu, ny, seed=seed)
    u = design_input(nu, steps=150, seed=seed)
    y = lti.simulate(sys, u)
    model = error_model(sys, u, method=method)
    scl = 0.03 * np.sqrt(1e-6 / model.K)  # deep in the scl^2 regime, above rounding
    achieved = rel_rms_error(
        reference_cell(construct(sys, scl, method=method).params, u).y, y
    )
    assert achieved == pytest.approx(model.predict(scl), rel=0.05)


def test_error_model_structural_part_is_the_nx_feedthrough_gap() -> None:
    sys = lti.random_stable(3, 1, 1, seed=3)
    u = design_input(1, steps=200)
    m = error_model(sys, u, method="nx")
    A, B, C, D = (np.asarray(x) for x in (sys.A, sys.B, sys.C, sys.D))
    gap = (C @ np.linalg.solve(A, B) - D)[0, 0]
    y = lti.simulate(sys, u)
    assert m.structural == pytest.approx(rel_rms_error(y + gap * u, y), rel=1e-8)
    assert error_model(sys, u, method="spec").structural < 1e-12


# -------------------------------------------------------- SPEC's measurement
def test_realization_changes_the_error_by_orders_of_magnitude() -> None:
    # SPEC §4: scl = 1e-3, 1001-sample N(0,1): MSE 3..6 (companion) against
    # 3e-5..3e-4 (balanced)
    sys = lti.seed_plant()
    u = design_input(1, steps=1001, seed=0)
    y = lti.simulate(sys, u)
    mse = {}
    for name, s in (("companion", sys), ("balanced", balanced_realization(sys))):
        yl = reference_cell(construct(s, 1e-3).params, u).y
        mse[name] = float(np.mean((yl - y) ** 2))
    assert 1.0 < mse["companion"] < 10.0
    assert 1e-5 < mse["balanced"] < 1e-3


# ---------------------------------------------------------- automatic scl
@pytest.mark.parametrize("realize", [lambda s: s, balanced_realization])
def test_choose_scl_meets_1e6_on_the_seed_plant(realize) -> None:
    sys = realize(lti.seed_plant())
    u = design_input(1, steps=1001, seed=0)
    ch = choose_scl(sys, 1e-6, u=u)
    assert ch.met
    y = lti.simulate(sys, u)  # independent check of the reported number
    achieved = rel_rms_error(reference_cell(ch.construction.params, u).y, y)
    assert achieved == ch.achieved <= 1e-6
    assert ch.predicted == pytest.approx(achieved, rel=0.05)
    # and it does not waste accuracy: within 10x of the tolerance
    assert achieved > 1e-7


def test_choose_scl_meets_tolerance_on_another_input() -> None:
    # designed on one seeded input, checked on a fresh 1001-sample N(0,1) one
    sys = balanced_realization(lti.seed_plant())
    ch = choose_scl(sys, 1e-6, steps=1001, seed=0)
    u = design_input(1, steps=1001, seed=99)
    y = lti.simulate(sys, u)
    assert rel_rms_error(reference_cell(ch.construction.params, u).y, y) <= 1e-6


def _random_case(k: int):
    rng = np.random.default_rng(1000 + k)
    nx, nu, ny = (
        int(rng.integers(1, 7)),
        int(rng.integers(1, 4)),
        int(rng.integers(1, 4)),
    )
    origin = int(rng.integers(1, nx + 1)) if k % 4 == 0 else 0  # 25 % singular A
    return lti.random_stable(nx, nu, ny, seed=k, origin_poles=origin), origin


def test_100_random_systems_meet_the_tolerance() -> None:
    singular = 0
    for k in range(100):
        sys, origin = _random_case(k)
        u = design_input(sys.ninputs, steps=200, seed=k)
        ch = choose_scl(sys, 1e-6, u=u)
        assert ch.met, (k, ch.achieved, ch.scl)
        if origin:
            singular += 1
            assert ch.construction.method == "delayed"
    assert singular == 25


@settings(max_examples=15, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 10_000),
    data=st.data(),
    tol=st.sampled_from([1e-4, 1e-6, 1e-8]),
)
def test_random_systems_meet_requested_tolerance(nx, nu, ny, seed, data, tol) -> None:
    origin = data.draw(st.integers(0, nx))
    sys = lti.random_stable(nx, nu, ny, seed=seed, origin_poles=origin)
    ch = choose_scl(sys, tol, steps=150, seed=seed)
    assert ch.met
    assert ch.achieved <= tol


def test_choose_scl_reports_an_unreachable_tolerance() -> None:
    # the nx variant's wrong feed-through cannot be removed by any scl
    sys = lti.random_stable(3, 1, 1, seed=3)
    ch = choose_scl(sys, 1e-6, method="nx", steps=100)
    assert not ch.met
    assert ch.achieved == pytest.approx(ch.model.structural, rel=1e-3)


def test_choose_scl_refuses_bad_tolerance() -> None:
    with pytest.raises(ValueError, match="tol: expected a positive finite number"):
        choose_scl(lti.seed_plant(), -1.0)


# ------------------------------------------------------- error against scl
def test_error_against_scl_has_slope_two_then_a_floor() -> None:
    sys = balanced_realization(lti.seed_plant())
    u = design_input(1, steps=300, seed=1)
    s64 = scl_study(sys, u)
    np.testing.assert_array_equal(s64.scls, DEFAULT_SCLS)
    assert s64.slope == pytest.approx(2.0, abs=0.05)
    # independent slope from two points in the scl^2 range
    i3, i5 = (int(np.argmin(np.abs(np.log10(s64.scls) - k))) for k in (-3, -5))
    slope = np.log10(s64.errors[i3] / s64.errors[i5]) / 2
    assert slope == pytest.approx(2.0, abs=0.02)
    assert s64.floor < 1e-14
    tail = s64.errors[s64.scls <= 1e-10]
    assert tail.max() < 5 * tail.min()  # flat: float64 rounding
    assert 1e-11 < s64.best_scl < 1e-8
    assert s64.errors[s64.scls == s64.best_scl][0] <= 2 * s64.floor
    s32 = scl_study(sys, u, dtype="float32")
    assert s32.dtype == "float32"
    small = s32.errors[s32.scls <= 1e-6]
    assert small.max() < 5 * small.min()  # flat: the rounding floor
    assert 1e-8 < s32.floor < 1e-5
    assert s32.best_scl < 1e-4


def test_plot_scl_study(tmp_path) -> None:
    sys = balanced_realization(lti.seed_plant())
    u = design_input(1, steps=100)
    studies = [
        scl_study(sys, u, scls=[1e-2, 1e-4, 1e-6], dtype=d)
        for d in ("float64", "float32")
    ]
    path = plot_scl_study(studies, tmp_path / "e.png", title="seed")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(ValueError, match=r"path: expected a file name ending in \.png"):
        plot_scl_study(studies, tmp_path / "e.pdf")
