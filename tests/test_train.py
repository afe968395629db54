"""The training loop: determinism, resume, learning, files, failures."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import (
    LEARNABLES,
    NonFiniteLossError,
    TrainOptions,
    load_data,
    loss,
    resume,
    train,
)
from blocksim_lstm.training.checkpoint import load_checkpoint


def easy_problem(rng, nt=200):
    """A first-order linear system a 2-unit LSTM can fit well."""
    u = rng.normal(size=(nt, 1))
    y = np.zeros((nt, 1))
    for t in range(nt):
        y[t] = (0.6 * y[t - 1] if t else 0.0) + 0.4 * u[t]
    return u, y


def small_params(seed=0):
    rng = np.random.default_rng(seed)
    return LSTMParams.from_arrays(
        W=0.3 * rng.normal(size=(8, 1)),
        R=0.3 * rng.normal(size=(8, 2)),
        b=np.zeros(8),
        F=0.3 * rng.normal(size=(1, 2)),
    )


OPTS = TrainOptions(epochs=300, lr=0.02, drop_factor=0.9, drop_period=50)


def assert_same_run(a, b):
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(a.params, k), getattr(b.params, k))
    np.testing.assert_array_equal(a.losses, b.losses)


def test_loss_decreases_on_easy_problem(rng):
    u, y = easy_problem(rng)
    res = train(small_params(), u, y, OPTS)
    assert res.losses.shape == (300,)
    assert res.losses[-1] < 0.05 * res.losses[0]
    # the history is the loss at the weights before each update
    assert res.losses[0] == loss(small_params(), u, y)
    assert res.final_weights_loss == pytest.approx(loss(res.params, u, y))


def test_same_inputs_give_bit_identical_runs(rng):
    u, y = easy_problem(rng)
    assert_same_run(
        train(small_params(), u, y, OPTS), train(small_params(), u, y, OPTS)
    )


def test_batch_of_sequences_trains(rng):
    u1, y1 = easy_problem(rng, 80)
    u2, y2 = easy_problem(rng, 80)
    u, y = np.stack([u1, u2]), np.stack([y1, y2])
    res = train(small_params(), u, y, TrainOptions(epochs=50, lr=0.02))
    assert res.losses[-1] < res.losses[0]
    # full batch: the loss is the mean over both sequences
    assert res.losses[0] == pytest.approx(
        (loss(small_params(), u1, y1) + loss(small_params(), u2, y2)) / 2, rel=1e-13
    )


def test_interrupted_and_resumed_run_equals_uninterrupted(rng, tmp_path):
    u, y = easy_problem(rng)
    full = train(
        small_params(), u, y, OPTS, out=tmp_path / "full", checkpoint_every=100
    )

    def stop(done: int, _loss: float) -> None:
        if done == 150:
            raise KeyboardInterrupt

    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        train(
            small_params(),
            u,
            y,
            OPTS,
            out=tmp_path / "cut",
            checkpoint_every=100,
            verbose_every=50,
            log=log,
            callback=stop,
        )
    assert "last checkpoint: epoch 100" in log.getvalue()
    assert load_checkpoint(tmp_path / "cut").epoch == 100
    assert not (tmp_path / "cut" / "weights.npz").exists()
    again = resume(tmp_path / "cut", checkpoint_every=100)
    assert_same_run(full, again)
    saved = LSTMParams.load(tmp_path / "cut" / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(saved, k), getattr(full.params, k))


def test_resume_extends_a_finished_run(rng, tmp_path):
    u, y = easy_problem(rng)
    long = train(small_params(), u, y, OPTS)
    short = TrainOptions(**{**OPTS.to_dict(), "epochs": 120})
    train(small_params(), u, y, short, out=tmp_path)
    assert_same_run(long, resume(tmp_path, epochs=300))
    with pytest.raises(ValueError, match="epochs"):
        resume(tmp_path, epochs=10)


def test_out_directory_holds_results(rng, tmp_path):
    u, y = easy_problem(rng, 50)
    res = train(small_params(), u, y, TrainOptions(epochs=20), out=tmp_path)
    w = LSTMParams.load(tmp_path / "weights.npz")
    np.testing.assert_array_equal(w.F, res.params.F)
    rows = (tmp_path / "loss.csv").read_text().splitlines()
    assert rows[0] == "epoch,learning_rate,loss"
    assert len(rows) == 21
    assert float(rows[5].split(",")[2]) == res.losses[4]
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["epochs"] == 20
    assert s["first_loss"] == res.losses[0]
    assert s["best_loss"] == res.losses.min()
    uu, yy = load_data(tmp_path / "data.npz")
    np.testing.assert_array_equal(uu[0], u)
    assert not list(tmp_path.glob("*.tmp"))


def test_verbose_table_rows(rng):
    u, y = easy_problem(rng, 30)
    log = io.StringIO()
    train(small_params(), u, y, TrainOptions(epochs=25), verbose_every=10, log=log)
    rows = [
        r for r in log.getvalue().splitlines() if r.startswith("|") and "-" not in r[:3]
    ]
    epochs = [int(r.split("|")[2]) for r in rows[1:]]
    assert epochs == [1, 10, 20, 25]
    assert "learn rate" in rows[0]


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(rng, tmp_path):
    u = rng.normal(size=(20, 1))
    y = np.zeros((20, 1))
    # an absurd step sends F, bF to ~1e160: the next loss overflows to inf
    opts = TrainOptions(epochs=5, lr=1e160, grad_threshold=math.inf)
    with pytest.raises(NonFiniteLossError, match="epoch 2") as info:
        train(small_params(), u, y, opts, out=tmp_path, checkpoint_every=1)
    assert "last good checkpoint (epoch 0)" in str(info.value)
    ck = load_checkpoint(tmp_path)
    assert ck.epoch == 0
    assert math.isfinite(loss(ck.params, u, y))
    assert info.value.result is not None
    assert info.value.result.losses.shape == (1,)


@pytest.mark.parametrize(
    ("u", "y", "match"),
    [
        (np.zeros((10, 1)), np.zeros((11, 1)), "same steps"),
        (np.zeros((10, 2)), np.zeros((10, 1)), "u: expected 1 columns"),
        (np.full((10, 1), np.nan), np.zeros((10, 1)), "u: expected finite"),
        (np.zeros((10, 1)), np.full((10, 1), np.inf), "y: expected finite"),
    ],
)
def test_bad_data_is_refused(u, y, match):
    with pytest.raises(ValueError, match=match):
        train(small_params(), u, y, TrainOptions(epochs=2))


def test_bad_options_type():
    with pytest.raises(TypeError, match="options"):
        train(small_params(), np.zeros((5, 1)), np.zeros((5, 1)), {"epochs": 3})


def test_resume_without_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        resume(tmp_path)


def test_new_run_clears_old_results(rng, tmp_path):
    u, y = easy_problem(rng, 30)
    train(small_params(), u, y, TrainOptions(epochs=5), out=tmp_path)
    assert (tmp_path / "weights.npz").is_file()

    def stop(done: int, _loss: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(small_params(), u, y, TrainOptions(epochs=5), out=tmp_path, callback=stop)
    assert not (tmp_path / "weights.npz").exists()
    assert load_checkpoint(tmp_path).epoch == 0


@pytest.mark.parametrize("name", ["checkpoint_every", "verbose_every"])
def test_negative_report_intervals(rng, name):
    u, y = easy_problem(rng, 10)
    with pytest.raises(ValueError, match=name):
        train(small_params(), u, y, TrainOptions(epochs=2), **{name: -1})
