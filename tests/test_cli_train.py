"""``blocksim-lstm train`` end to end (in process, and one real Ctrl-C)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.training import LEARNABLES, calculated_weights, loss, seed_data
from blocksim_lstm.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv: str) -> dict:
    assert main(["train", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_run_starts_at_the_calculated_weights(capsys, tmp_path):
    s = run_json(capsys, "--epochs", "30", "--out", str(tmp_path))
    u, y = seed_data(1001, seed=0)
    assert s["first_loss"] == loss(calculated_weights(1e-3), u, y)
    for key in ("first_loss", "final_loss", "best_loss", "epochs", "ms_per_epoch"):
        assert key in s
    assert s["epochs"] == 30
    assert s["options"]["lr"] == 1e-4 and s["options"]["drop_factor"] == 0.99
    for name in ("weights.npz", "loss.csv", "loss.png", "summary.json"):
        assert (tmp_path / name).is_file()
    w = LSTMParams.load(tmp_path / "weights.npz")
    assert loss(w, u, y) == pytest.approx(s["final_weights_loss"], rel=1e-12)


def test_random_init_uses_the_original_options(capsys):
    s = run_json(
        capsys, "--init", "random", "--units", "3", "--epochs", "20", "--seed", "7"
    )
    u, y = seed_data(1001, seed=7)
    p = LSTMParams.random(3, 1, 1, seed=7, states=False)
    assert s["first_loss"] == loss(p, u, y)
    assert s["options"]["lr"] == 0.04 and s["options"]["drop_factor"] == 0.98


def test_init_from_file_and_data_file(capsys, tmp_path, rng):
    p = LSTMParams.random(2, 2, 1, seed=3, states=False)
    p.save(tmp_path / "w.npz")
    u, y = rng.normal(size=(50, 2)), rng.normal(size=(50, 1))
    np.savez(tmp_path / "d.npz", u=u, y=y)
    s = run_json(
        capsys,
        "--init",
        str(tmp_path / "w.npz"),
        "--data",
        str(tmp_path / "d.npz"),
        "--epochs",
        "5",
        "--lr",
        "0.01",
    )
    assert s["first_loss"] == loss(p, u, y)


def test_cli_resume_equals_uninterrupted(capsys, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_json(capsys, "--init", "random", "--epochs", "60", "--out", str(a))
    run_json(capsys, "--init", "random", "--epochs", "25", "--out", str(b))
    s = run_json(capsys, "--resume", str(b), "--epochs", "60")
    assert s["epochs"] == 60
    wa, wb = LSTMParams.load(a / "weights.npz"), LSTMParams.load(b / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(wa, k), getattr(wb, k))
    assert (a / "loss.csv").read_text() == (b / "loss.csv").read_text()


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"u": np.zeros((10, 1)), "y": np.zeros((9, 1))}, "same steps"),
        ({"u": np.zeros((10, 1))}, "missing"),
        ({"u": np.full((10, 1), np.nan), "y": np.zeros((10, 1))}, "finite"),
    ],
)
def test_bad_data_file(capsys, tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    rc = main(
        [
            "train",
            "--init",
            "random",
            "--data",
            str(tmp_path / "d.npz"),
            "--epochs",
            "2",
        ]
    )
    assert rc == 2
    assert match in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--init", "nonsense"], "--init"),
        (["--epochs", "0"], "epochs"),
        (["--lr", "-1"], "lr"),
        (["--freeze", "Q"], "frozen"),
        (["--resume", "/nonexistent/dir"], "checkpoint"),
    ],
)
def test_bad_options(capsys, argv, match):
    assert main(["train", *argv]) == 2
    assert match in capsys.readouterr().err


def test_non_finite_loss_exits_with_message(capsys, tmp_path):
    rc = main(
        [
            "train",
            "--init",
            "random",
            "--epochs",
            "5",
            "--lr",
            "1e160",
            "--grad-threshold",
            "inf",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "non-finite" in err and "last good checkpoint (epoch 0)" in err
    assert load_checkpoint(tmp_path).epoch == 0


def test_ctrl_c_keeps_checkpoint_and_resume_matches(tmp_path, capsys):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cut = tmp_path / "cut"
    cmd = [
        sys.executable,
        "-m",
        "blocksim_lstm",
        "train",
        "--init",
        "random",
        "--epochs",
        "1000000",
        "--checkpoint-every",
        "200",
        "--verbose-every",
        "0",
        "--out",
        str(cut),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ck = cut / "checkpoint.npz"
            if ck.is_file() and load_checkpoint(cut).epoch >= 400:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "--resume" in err
    done = load_checkpoint(cut).epoch
    assert done >= 400 and done % 200 == 0
    total = str(done + 100)
    run_json(capsys, "--resume", str(cut), "--epochs", total)
    run_json(
        capsys, "--init", "random", "--epochs", total, "--out", str(tmp_path / "full")
    )
    a = LSTMParams.load(cut / "weights.npz")
    b = LSTMParams.load(tmp_path / "full" / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
