"""The simulate and crosscheck commands, in-process and as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from lstm_loops import lstm_loops

from blocksim_lstm import LSTMParams
from blocksim_lstm._experiment import seed_problem
from blocksim_lstm.cli import main


def test_simulate_prints_first_five_samples_and_saves_traces(tmp_path, capsys):
    out = tmp_path / "traces.npz"
    assert main(["simulate", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    p, u = seed_problem()
    y, _, _ = lstm_loops(p.W, p.R, p.b, p.F, p.bF, p.h0, p.c0, u)
    assert "30 blocks" in text and text.count("y=[") == 5
    assert f"{y[4, 0]:.6f}" in text
    with np.load(out) as data:
        np.testing.assert_allclose(data["y"], y, rtol=1e-12, atol=1e-12)
        assert {"Hidden State", "Cell State", "prod_oc", "t"} <= set(data.files)


def test_crosscheck_json_at_seed_size(capsys):
    assert main(["crosscheck", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["passed"] and d["first_divergence"] is None
    assert len(d["signals"]) >= 15
    assert all(s["max_abs"] <= 1e-12 and s["passed"] for s in d["signals"])


def test_crosscheck_float32_and_failure_exit_code(capsys):
    assert main(["crosscheck", "--dtype", "float32"]) == 0
    assert "reference float32" in capsys.readouterr().out
    assert (
        main(["crosscheck", "--dtype", "float32", "--abs-tol", "0", "--rel-tol", "0"])
        == 1
    )
    assert "FAILED" in capsys.readouterr().out


def test_sizes_steps_and_seed_options(capsys):
    assert (
        main(
            [
                "simulate",
                "--nn",
                "5",
                "--ni",
                "2",
                "--no",
                "1",
                "--steps",
                "7",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    assert "Nn=5, Ni=2, No=1, 7 steps" in capsys.readouterr().out


def test_weights_and_input_from_an_independent_implementation(tmp_path, capsys):
    """Weights and input made by PyTorch (or, without it, the scalar loops)."""
    rng = np.random.default_rng(11)
    nn, ni, no, steps = 4, 3, 2, 60
    u = rng.standard_normal((steps, ni))
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.manual_seed(1)
        lstm = torch.nn.LSTM(ni, nn, dtype=torch.float64)
        fc = torch.nn.Linear(nn, no, dtype=torch.float64)
        arrays = {
            "W": lstm.weight_ih_l0.detach().numpy(),
            "R": lstm.weight_hh_l0.detach().numpy(),
            "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy(),
            "F": fc.weight.detach().numpy(),
            "bF": fc.bias.detach().numpy(),
            "h0": rng.standard_normal(nn),
            "c0": rng.standard_normal(nn),
        }
        with torch.no_grad():
            hs, _ = lstm(
                torch.from_numpy(u),
                (
                    torch.from_numpy(arrays["h0"])[None],
                    torch.from_numpy(arrays["c0"])[None],
                ),
            )
            y_ref = fc(hs).numpy()
    else:
        arrays = {
            k: v for k, v in LSTMParams.random(nn, ni, no, seed=2).arrays().items()
        }
        y_ref = lstm_loops(*arrays.values(), u)[0]
    np.savez(tmp_path / "w.npz", **arrays)
    np.save(tmp_path / "u.npy", u)
    args = ["--weights", str(tmp_path / "w.npz"), "--input", str(tmp_path / "u.npy")]
    assert main(["simulate", *args, "--out", str(tmp_path / "t.npz")]) == 0
    with np.load(tmp_path / "t.npz") as data:
        np.testing.assert_allclose(data["y"], y_ref, rtol=1e-12, atol=1e-12)
    assert main(["crosscheck", *args]) == 0
    capsys.readouterr()


def _weights(tmp_path, **override):
    arrays = LSTMParams.random().arrays()
    arrays.update(override)
    np.savez(tmp_path / "w.npz", **arrays)
    return str(tmp_path / "w.npz")


@pytest.mark.parametrize(
    ("make_args", "match"),
    [
        (lambda p: ["--weights", str(p / "missing.npz")], "no such file"),
        (
            lambda p: ["--weights", _weights(p, b=np.zeros(5))],
            r"--weights: .*w\.npz: b: expected shape \(12,\)",
        ),
        (
            lambda p: ["--weights", _weights(p, W=np.full((12, 4), np.nan))],
            "--weights: .*: W: expected finite values",
        ),
        (lambda p: ["--weights", _weights(p), "--nn", "4"], "--nn: .* gives nn = 3"),
        (
            lambda p: ["--input", _npy(p, np.zeros((10, 3)))],
            r"--input: .*u\.npy: expected shape \(steps, Ni\) with Ni = 4, "
            r"got shape \(10, 3\)",
        ),
        (
            lambda p: ["--input", _npy(p, np.full((10, 4), np.inf))],
            r"--input: .*u\.npy: expected finite values",
        ),
        (lambda p: ["--nn", "0"], "--nn: expected an integer >= 1"),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, capsys, make_args, match):
    assert main(["crosscheck", *make_args(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("blocksim-lstm crosscheck: error: ")
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err), err


def _npy(p, arr):
    np.save(p / "u.npy", arr)
    return str(p / "u.npy")


def test_wrong_npz_keys_as_a_real_process_has_no_traceback(tmp_path):
    a = LSTMParams.random().arrays()
    a["Rx"] = a.pop("R")
    np.savez(tmp_path / "bad.npz", **a)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blocksim_lstm",
            "simulate",
            "--weights",
            str(tmp_path / "bad.npz"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing ['R'], unexpected ['Rx']" in proc.stderr


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error():
    """`blocksim-lstm ... | head -1`: no traceback, the SIGPIPE exit status."""
    import subprocess
    import sys

    units = [str(k) for k in range(1, 3001)]  # about 600 kB of table
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "blocksim_lstm",
            "params",
            "--ni",
            "1",
            "--units",
            *units,
            "--no",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait() == 141, err
    assert "Traceback" not in err and "Exception ignored" not in err
