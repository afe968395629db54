"""Keras 3 (.keras files, torch backend) against our diagram."""

from __future__ import annotations

import os

import numpy as np
import pytest

import blocksim_lstm as bl
from blocksim_lstm import interop
from blocksim_lstm.cli import main

pytest.importorskip("torch")  # the backend Keras runs on here
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")

# Keras converts torch tensors with np.array(tensor), which numpy 2 flags
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy:DeprecationWarning"
)


def _randomize(model, seed):
    """Random weights everywhere (biases too: Keras starts them at 0 and 1)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(-1, 1, tuple(w.shape)) for w in model.weights])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A two-layer LSTM + Dense model saved to .keras, and its prediction."""
    path = tmp_path_factory.mktemp("keras") / "m.keras"
    model = keras.Sequential(
        [
            keras.Input((None, 3)),
            keras.layers.LSTM(4, return_sequences=True),
            keras.layers.Dropout(0.5),
            keras.layers.LSTM(5, return_sequences=True),
            keras.layers.Dense(2),
        ]
    )
    _randomize(model, 1)
    model.save(path)
    u = np.random.default_rng(2).standard_normal((20, 3)).astype(np.float32)
    y = np.asarray(model.predict(u[None], verbose=0))[0]
    return path, u, y


def test_keras_model_imported_matches_keras_prediction(saved):
    path, u, y = saved
    net = interop.read_keras(path)
    assert [(p.ni, p.nn) for p in net.layers] == [(3, 4), (4, 5)]
    ours = bl.build_stacked_diagram(list(net.layers), u).run().y
    assert np.max(np.abs(ours - y)) <= 1e-6
    # another gate order gives other numbers: the comparison can fail
    p = net.layers[1]
    q = p.replace(**{k: interop.reorder_blocks(getattr(p, k), "iofc") for k in "WRb"})
    h = bl.reference_cell(net.layers[0], u).h
    assert np.max(np.abs(bl.reference_cell(q, h).y - y)) > 1e-3


def test_last_step_only_and_cli(saved, tmp_path, capsys):
    model = keras.Sequential(
        [keras.Input((None, 2)), keras.layers.LSTM(3), keras.layers.Dense(1)]
    )
    _randomize(model, 3)
    model.save(tmp_path / "s.keras")
    u = np.random.default_rng(4).standard_normal((12, 2)).astype(np.float32)
    y = np.asarray(model.predict(u[None], verbose=0))[0]  # (1,): the last step
    w = tmp_path / "w.npz"
    assert main(["import", str(tmp_path / "s.keras"), "--out", str(w)]) == 0
    out = capsys.readouterr().out
    assert "Keras, 1 LSTM layer" in out and "return_sequences=False" in out
    assert np.max(np.abs(bl.reference_cell(bl.LSTMParams.load(w), u).y[-1] - y)) <= 1e-6
    np.save(tmp_path / "u.npy", u)
    np.save(tmp_path / "y.npy", y)
    args = ["crosscheck", "--weights", str(w), "--input", str(tmp_path / "u.npy")]
    assert main([*args, "--expect", str(tmp_path / "y.npy")]) == 0
    assert "matches" in capsys.readouterr().out


@pytest.mark.parametrize(
    "layers,match",
    [
        (
            lambda: [keras.layers.Bidirectional(keras.layers.LSTM(3))],
            "a bidirectional LSTM",
        ),
        (
            lambda: [
                keras.layers.LSTM(3, return_sequences=True),
                keras.layers.LayerNormalization(),
            ],
            "layer normalization",
        ),
        (
            lambda: [keras.layers.LSTM(3), keras.layers.Dense(2, activation="relu")],
            "activation 'relu'",
        ),
        (lambda: [keras.layers.GRU(3)], "a GRU layer"),
    ],
)
def test_unsupported_keras_models_are_named(tmp_path, layers, match):
    model = keras.Sequential([keras.Input((None, 2)), *layers()])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=match):
        interop.read_keras(tmp_path / "m.keras")


def test_another_kind_of_file(tmp_path, capsys):
    f = tmp_path / "m.keras"
    f.write_text("{}")
    assert main(["import", str(f), "--out", str(tmp_path / "w.npz")]) == 2
    assert "is text, not a Keras 3 .keras archive" in capsys.readouterr().err
