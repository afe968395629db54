"""Validation: linear response against reference cell and block diagram."""

from __future__ import annotations

import numpy as np
import pytest

from blocksim_lstm._reference import reference_cell
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.construction import construct
from blocksim_lstm.statespace.realization import balanced_realization
from blocksim_lstm.statespace.validation import (
    linearity_test,
    plot_linearity,
    plot_validation,
    validate,
    validation_input,
)


@pytest.fixture(scope="module")
def seed_validation():
    sys = lti.seed_plant()
    c = construct(balanced_realization(sys), 1e-4)
    return sys, c, validate(sys, c.params)


def test_validation_input_is_51_seeded_samples() -> None:
    u = validation_input(1)
    assert u.shape == (51, 1)
    assert u.tobytes() == validation_input(1).tobytes()
    assert not np.array_equal(u, validation_input(1, seed=1))


def test_validation_of_the_seed_plant(seed_validation) -> None:
    sys, c, r = seed_validation
    np.testing.assert_allclose(r.t, np.arange(51) * 0.01)
    np.testing.assert_allclose(r.y, lti.simulate(sys, r.u))
    np.testing.assert_array_equal(r.y_cell, reference_cell(c.params, r.u).y)
    # diagram and reference cell: the same numbers, and the harness agrees
    np.testing.assert_allclose(r.y_diagram, r.y_cell, rtol=1e-12, atol=1e-12)
    assert r.crosscheck.passed
    # and both are close to the linear response (K scl^2 ~ 1e-5 relative)
    assert r.norm_cell == pytest.approx(np.linalg.norm(r.y_cell - r.y))
    assert r.rel_rms_cell < 2e-5
    assert r.norm_diagram == pytest.approx(r.norm_cell, rel=1e-9)
    d = r.to_dict()
    assert d["crosscheck_passed"] is True and d["steps"] == 51


def test_validation_with_initial_state_and_without_diagram() -> None:
    sys = lti.random_stable(3, 2, 2, seed=1)
    x0 = np.array([1.0, -0.5, 0.2])
    c = construct(sys, 1e-5, x0=x0)
    r = validate(sys, c.params, x0=x0, diagram=False, seed=3)
    assert r.y_diagram is None and r.crosscheck is None and r.norm_diagram is None
    assert r.rel_rms_cell < 1e-8


def test_validate_refuses_mismatched_weights() -> None:
    c = construct(lti.random_stable(2, 2, 1, seed=0), 1e-3)
    with pytest.raises(ValueError, match="params: expected Ni=1, No=1"):
        validate(lti.seed_plant(), c.params)


def test_linearity_grows_with_the_square_of_k(seed_validation) -> None:
    sys, c, r = seed_validation
    lin = linearity_test(sys, c.params, r.u)
    np.testing.assert_array_equal(lin.ks, [1.0, 3.0, 10.0])
    # independent: one reference-cell run per k
    for k, e in zip(lin.ks, lin.rel_rms, strict=True):
        yk = reference_cell(c.params, k * r.u).y
        assert e == pytest.approx(
            np.sqrt(np.mean((yk - k * r.y) ** 2) / np.mean((k * r.y) ** 2)), rel=1e-9
        )
    # cubic tanh term: relative error ~ k^2 while still small
    assert lin.rel_rms[1] / lin.rel_rms[0] == pytest.approx(9.0, rel=0.1)
    assert lin.rel_rms[2] / lin.rel_rms[0] == pytest.approx(100.0, rel=0.15)
    assert lin.to_dict()["k"] == [1.0, 3.0, 10.0]


def test_plots(seed_validation, tmp_path) -> None:
    sys, c, r = seed_validation
    p1 = plot_validation(r, tmp_path / "v.png")
    p2 = plot_linearity(linearity_test(sys, c.params, r.u), tmp_path / "l.png")
    for p in (p1, p2):
        assert p.read_bytes()[:4] == b"\x89PNG"
