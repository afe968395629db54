"""Stacked layers of any cell on the command line: a two-layer PyTorch GRU and
RNN (float64, non-zero initial states) through ``import --layer all`` and
``simulate`` / ``crosscheck --weights L1.npz L2.npz``, against torch itself."""

from __future__ import annotations

import json

import numpy as np
import pytest

import blocksim_lstm as bl
from blocksim_lstm import cells
from blocksim_lstm.cli import main

torch = pytest.importorskip("torch")


def _network(tmp_path, kind: str):
    torch.manual_seed(3)
    if kind == "gru":
        net = torch.nn.GRU(2, 3, num_layers=2, dtype=torch.float64)
    else:
        net = torch.nn.RNN(2, 3, num_layers=2, nonlinearity="relu", dtype=torch.float64)
    h0 = torch.randn(2, 1, 3, dtype=torch.float64)
    u = np.random.default_rng(4).normal(size=(25, 2))
    with torch.no_grad():
        y, _ = net(torch.tensor(u)[:, None, :], h0)
    path = tmp_path / f"{kind}.pt"
    torch.save({**net.state_dict(), "h0": h0}, path)
    np.save(tmp_path / "u.npy", u)
    return path, y[:, 0].numpy()


@pytest.mark.parametrize("kind", ["gru", "rnn"])
def test_two_torch_layers_through_import_and_simulate_match_torch(
    tmp_path, capsys, kind
):
    pt, y_torch = _network(tmp_path, kind)
    out = tmp_path / "w.npz"
    extra = ["--nonlinearity", "relu"] if kind == "rnn" else []
    assert main(["import", str(pt), "--out", str(out), "--layer", "all", *extra]) == 0
    files = [str(tmp_path / "w-1.npz"), str(tmp_path / "w-2.npz")]
    assert f"--weights {' '.join(files)}" in capsys.readouterr().out
    u = str(tmp_path / "u.npy")
    traces = tmp_path / "traces.npz"
    args = ["--cell", kind, "--weights", *files, "--input", u]
    assert main(["simulate", *args, "--out", str(traces)]) == 0
    assert "Nn=3+3, Ni=2, No=3" in capsys.readouterr().out
    with np.load(traces) as t:
        np.testing.assert_allclose(t["y"], y_torch, rtol=0, atol=1e-12)
    assert main(["crosscheck", *args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    layers = [cells.load_cell(f) for f in files]
    wires = bl.build_cell_diagram(layers, np.load(u)).signals
    assert report["passed"]
    assert sorted(s["name"] for s in report["signals"]) == sorted(
        w.block for w in wires
    )
    # the other order does not chain: layer 2 (Ni = 2) after layer 1 (Nn = 3)
    assert main(["crosscheck", "--cell", kind, "--weights", *files[::-1]]) == 2
    err = capsys.readouterr().err
    assert "layer 2" in err and "expected Nn=3 of layer 1" in err


def test_stacked_weights_bad_input(tmp_path, capsys):
    a = cells.GRUParams.random(3, 2, 1, seed=0).save(tmp_path / "a.npz")
    b = cells.GRUParams.random(4, 3, 1, seed=1).save(tmp_path / "b.npz")
    r = cells.RNNParams.random(2, 4, 1, seed=2).save(tmp_path / "r.npz")
    cases = [
        (
            ["simulate", "--cell", "gru", "--weights", str(a), str(b), "--nn", "3"],
            "--nn: the units come from the stacked --weights files",
        ),
        (
            ["simulate", "--cell", "gru", "--weights", str(a), str(b), str(r)],
            "holds RNN weights",
        ),
        (
            ["crosscheck", "--weights", str(a), str(b), "--expect", str(a)],
            "--weights: --expect takes one weights file, got 2",
        ),
        (
            ["simulate", "--cell", "gru", "--weights", str(a), str(b), "--out", str(b)],
            "is also the input --weights",
        ),
        (
            ["import", str(a), "--out", str(tmp_path / "x.npz"), "--layer", "two"],
            "--layer: expected a layer number 1, 2, ... or all, got 'two'",
        ),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    assert main(["simulate", "--cell", "gru", "--weights", str(a), str(b)]) == 0
    assert "Nn=3+4, Ni=2, No=1" in capsys.readouterr().out
