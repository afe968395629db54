"""The seed's training studies (short runs: the full ones live in the examples)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.statespace.lti import seed_plant
from blocksim_lstm.statespace.validation import validate, validation_input
from blocksim_lstm.studies.training import (
    BLOCKS,
    ORIGINAL_OPTIONS,
    extracted_summary,
    run_study,
    weight_differences,
)
from blocksim_lstm.training import calculated_weights, loss, seed_data


def test_original_options():
    a, b = ORIGINAL_OPTIONS["calculated"], ORIGINAL_OPTIONS["random"]
    assert (a.lr, a.drop_factor, a.drop_period, a.epochs) == (1e-4, 0.99, 100, 10000)
    assert (b.lr, b.drop_factor, b.drop_period, b.epochs) == (0.04, 0.98, 100, 10000)
    assert a.grad_threshold == b.grad_threshold == 1.0 and a.clip == "l2norm"


def test_weight_differences_by_block(rng):
    p = LSTMParams.random(3, 2, 1, seed=0)
    W = np.array(p.W)
    W[3:6] += 0.5  # the f-gate block of W (Nn = 3)
    q = p.replace(W=W, bF=p.bF - 2.0)
    d = weight_differences(q, p)
    assert list(d) == list(BLOCKS)
    assert d["Wf"]["max_abs"] == pytest.approx(0.5)
    assert d["bF"]["max_abs"] == pytest.approx(2.0)
    assert all(d[k]["max_abs"] == 0 for k in BLOCKS if k not in ("Wf", "bF"))
    with pytest.raises(ValueError, match="same sizes"):
        weight_differences(q, LSTMParams.random(2, 2, 1, seed=0))


def test_extraction_of_calculated_weights_gives_the_plant():
    e = extracted_summary(calculated_weights())
    assert e["order"] == 5 and e["minimal_order"] == 4
    assert e["dc_gain"] == pytest.approx(7.5351, abs=5e-5)  # SPEC §4
    assert e["Dnn"] == pytest.approx(0.0, abs=1e-9)
    assert "(z + 3.517)(z - 0.9608)(z + 0.2599)" in e["zpk"]


def test_calculated_study_keeps_saturated_gates_and_starts_best(tmp_path):
    s = run_study("calculated", epochs=60, out=tmp_path)
    u, y = seed_data(1001, seed=0)
    assert s.training.losses[0] == loss(calculated_weights(), u, y)
    assert s.calculated_loss == s.training.losses[0]
    # Adam moves by ~lr per step only where the gradient is not ~exp(-100)
    frozen = ("Wi", "Wo", "Ri", "Ro", "bi", "bf", "bo")
    assert all(s.weight_changes[k]["max_abs"] < 1e-30 for k in frozen)
    assert s.weight_changes["Rg"]["max_abs"] > 1e-4
    assert s.training.summary()["start_was_best"]
    # validation numbers are the validation module's on the 51-sample input
    v = validate(
        seed_plant(), calculated_weights(), u=validation_input(1), diagram=False
    )
    assert s.validation["before"]["norm"] == v.norm_cell
    for name in (
        "loss.png",
        "validation_before.png",
        "validation_after.png",
        "study.json",
        "weights.npz",
        "loss.csv",
    ):
        assert (tmp_path / name).is_file()
    data = json.loads((tmp_path / "study.json").read_text())
    assert data["training"]["epochs"] == 60


def test_random_study_starts_from_seeded_uniform_weights():
    s = run_study("random", epochs=5, seed=3)
    p = LSTMParams.random(5, 1, 1, seed=3, states=False)
    u, y = seed_data(1001, seed=0)
    assert s.training.losses[0] == loss(p, u, y)
    np.testing.assert_array_equal(s.training.initial.W, p.W)
    assert s.figures == {}


def test_unknown_study():
    with pytest.raises(ValueError, match="name"):
        run_study("zeros")


def test_figure_paths_are_relative_to_the_root(tmp_path):
    """study.json never names the folder it was written in (e.g. a temporary
    report folder): its figure paths are relative to ``root``."""
    out = tmp_path / "report" / "runs" / "study_calculated"
    s = run_study("calculated", epochs=3, out=out, root=tmp_path / "report")
    assert s.figures["loss"] == "runs/study_calculated/loss.png"
    text = (out / "study.json").read_text()
    assert str(tmp_path) not in text
    data = json.loads(text)
    for path in data["figures"].values():
        assert (tmp_path / "report" / path).is_file()
    alone = run_study("calculated", epochs=3, out=tmp_path / "alone")
    assert alone.figures["validation_after"] == "validation_after.png"
    with pytest.raises(ValueError, match="root: expected a folder holding out"):
        run_study("calculated", epochs=3, out=tmp_path / "x", root=tmp_path / "y")
