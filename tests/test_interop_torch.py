"""PyTorch in and out: nn.LSTM (+ nn.Linear) against the diagram, files, CLI."""

from __future__ import annotations

import numpy as np
import pytest

import blocksim_lstm as bl
from blocksim_lstm import interop
from blocksim_lstm.cli import main

torch = pytest.importorskip("torch")


class Net(torch.nn.Module):
    """A user's own class: an LSTM and a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(4, 2)


@pytest.fixture(scope="module")
def net():
    """A random two-layer float64 nn.LSTM + nn.Linear, non-zero initial states."""
    torch.manual_seed(13)
    lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True, dtype=torch.float64)
    linear = torch.nn.Linear(5, 2, dtype=torch.float64)
    h0 = torch.randn(2, 1, 5, dtype=torch.float64)
    c0 = torch.randn(2, 1, 5, dtype=torch.float64)
    x = torch.randn(1, 25, 3, dtype=torch.float64)
    with torch.no_grad():
        y = linear(lstm(x, (h0, c0))[0])[0].numpy()
    return lstm, linear, h0, c0, x[0].numpy(), y


def test_two_layers_as_a_stacked_diagram_match_torch(net):
    lstm, linear, h0, c0, u, y = net
    layers = interop.torch_layers(lstm, linear, h0=h0, c0=c0)
    assert [(p.ni, p.nn, p.no) for p in layers] == [(3, 5, 5), (5, 5, 2)]
    np.testing.assert_array_equal(layers[0].F, np.eye(5))  # h passes through
    b = (lstm.bias_ih_l1 + lstm.bias_hh_l1).detach().numpy()
    np.testing.assert_array_equal(layers[1].b, b)  # the two biases summed
    diagram = bl.build_stacked_diagram(layers, u)
    run = diagram.run()
    assert np.max(np.abs(run.y - y)) <= 1e-12
    report = bl.crosscheck_diagram(diagram, run=run)
    assert report.passed, report.table()


def test_time_major_lstm_has_the_same_weights(net):
    lstm, linear, h0, c0, u, y = net
    tm = torch.nn.LSTM(3, 5, num_layers=2, dtype=torch.float64)  # batch_first=False
    tm.load_state_dict(lstm.state_dict())
    with torch.no_grad():
        y_tm = linear(tm(torch.from_numpy(u)[:, None], (h0, c0))[0])[:, 0].numpy()
    layers = interop.torch_layers(tm, linear, h0=h0[:, 0], c0=c0[:, 0])
    out = bl.reference_cell(layers[0], u).h
    out = bl.reference_cell(layers[1], out).y
    assert np.max(np.abs(out - y_tm)) <= 1e-12


def test_one_layer_from_torch_and_back(net):
    lstm, linear, h0, c0, u, y = net
    p = interop.from_torch(lstm, linear, h0=h0, c0=c0, layer=2)
    q = interop.torch_layers(lstm, linear, h0=h0, c0=c0)[1]
    np.testing.assert_array_equal(p.W, q.W)
    with pytest.raises(ValueError, match="has 2 layers; pass layer=1..2"):
        interop.from_torch(lstm, linear)
    tn = interop.to_torch(p)  # layer 2 alone: its input is layer 1's h, 5 wide
    v = np.random.default_rng(2).standard_normal((25, 5))
    with torch.no_grad():
        y_t = tn.linear(tn.lstm(torch.from_numpy(v)[None], (tn.h0, tn.c0))[0])[0]
    ref = bl.reference_cell(p, v).y
    assert np.max(np.abs(y_t.numpy() - ref)) <= 1e-12


def test_to_torch_stacked_and_float32(net):
    lstm, linear, h0, c0, u, y = net
    layers = interop.torch_layers(lstm, linear, h0=h0, c0=c0)
    tn = interop.to_torch(layers)
    with torch.no_grad():
        y2 = tn.linear(tn.lstm(torch.from_numpy(u)[None], (tn.h0, tn.c0))[0])[0]
    assert np.max(np.abs(y2.numpy() - y)) <= 1e-12
    f32 = interop.to_torch(layers, dtype="float32")
    assert f32.lstm.weight_ih_l0.dtype == torch.float32
    back = interop.torch_layers(f32.lstm, f32.linear)  # float32 values, exact in f64
    np.testing.assert_array_equal(back[0].W, layers[0].W.astype(np.float32))
    with pytest.raises(ValueError, match="same hidden_size in every layer"):
        interop.to_torch([bl.LSTMParams.random(3, 2, 1), bl.LSTMParams.random(4, 3, 1)])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"bidirectional": True}, "bidirectional nn.LSTM is not supported"),
        ({"proj_size": 2}, "proj_size=2 is not supported"),
    ],
)
def test_unsupported_lstms_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        interop.torch_layers(torch.nn.LSTM(3, 4, **kwargs))


def test_mismatched_fc_and_bad_states_are_refused():
    lstm = torch.nn.LSTM(3, 4)
    with pytest.raises(
        ValueError, match=r"weights of shape \(2, 5\).*expected \(No, 4\)"
    ):
        interop.torch_layers(lstm, torch.nn.Linear(5, 2))
    with pytest.raises(ValueError, match="LSTM, nn.GRU or nn.RNN, got Linear"):
        interop.torch_layers(torch.nn.Linear(3, 4))
    with pytest.raises(ValueError, match=r"h0: expected shape \(1, 4\)"):
        interop.torch_layers(lstm, h0=np.zeros((2, 4)))


def test_files_state_dict_checkpoint_module_and_pickles(tmp_path):
    torch.manual_seed(1)
    model = Net()
    want = interop.torch_layers(model.rnn, model.head)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    torch.save(
        {"epoch": 3, "model_state_dict": model.state_dict()}, tmp_path / "ck.pth"
    )
    torch.save(torch.nn.Sequential(model.rnn), tmp_path / "seq.pt")
    torch.save(model, tmp_path / "whole.pt")
    for name in ("sd.pt", "ck.pth"):
        got = interop.read_torch(tmp_path / name)
        assert "nn.Linear head (4 -> 2)" in got.describe()
        for a, b in zip(got.layers, want, strict=True):
            np.testing.assert_array_equal(a.W, b.W)
            np.testing.assert_array_equal(a.b, b.b)
            np.testing.assert_array_equal(a.F, b.F)
    seq = interop.read_torch(tmp_path / "seq.pt")
    assert seq.fc.startswith("none") and "whole module (Sequential)" in seq.describe()
    with pytest.raises(
        ValueError, match=r"pickled test_interop_torch.Net.*--trust-pickle"
    ):
        interop.read_torch(tmp_path / "whole.pt")
    trusted = interop.read_torch(tmp_path / "whole.pt", trust=True)
    np.testing.assert_array_equal(trusted.layers[1].F, want[1].F)


def test_state_dicts_we_cannot_place(tmp_path):
    lstm = torch.nn.LSTM(3, 4)
    sd = {f"lstm.{k}": v for k, v in lstm.state_dict().items()}
    cases = [
        (
            {**sd, "norm.weight": torch.ones(4), "norm.bias": torch.zeros(4)},
            "norm.bias",
        ),
        (
            {**sd, "a.weight": torch.ones(2, 4), "b.weight": torch.ones(2, 2)},
            "2 linear",
        ),
        ({**sd, **{f"enc.{k}": v for k, v in lstm.state_dict().items()}}, "2 LSTM"),
        ({"fc.weight": torch.ones(2, 4)}, "found no LSTM weights"),
    ]
    for k, (d, match) in enumerate(cases):
        torch.save(d, tmp_path / f"{k}.pt")
        with pytest.raises(ValueError, match=match):
            interop.read_torch(tmp_path / f"{k}.pt")


def test_write_torch_round_trip(tmp_path):
    layers = [
        bl.LSTMParams.random(4, 2, 4, seed=1),
        bl.LSTMParams.random(4, 4, 3, seed=2),
    ]
    path = interop.write_torch(layers, tmp_path / "net.pt")
    back = interop.read_torch(path)
    for a, b in zip(back.layers, layers, strict=True):
        for k in ("W", "R", "b", "h0", "c0"):
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    np.testing.assert_array_equal(back.layers[1].F, layers[1].F)
    sd = torch.load(path)  # what the docstring promises a user
    lstm, fc = torch.nn.LSTM(2, 4, 2, batch_first=True, dtype=torch.float64), None
    lstm.load_state_dict({k[5:]: v for k, v in sd.items() if k[:5] == "lstm."})
    fc = torch.nn.Linear(4, 3, dtype=torch.float64)
    fc.load_state_dict({k[3:]: v for k, v in sd.items() if k[:3] == "fc."})
    u = np.random.default_rng(0).standard_normal((9, 2))
    with torch.no_grad():
        y = fc(lstm(torch.from_numpy(u)[None], (sd["h0"], sd["c0"]))[0])[0].numpy()
    ref = bl.build_stacked_diagram(layers, u).run().y
    assert np.max(np.abs(y - ref)) <= 1e-12


def test_cli_import_and_export(net, tmp_path, capsys):
    lstm, linear, h0, c0, u, y = net
    torch.save({"lstm": lstm, "fc": linear}, tmp_path / "m.pt")  # modules in a dict
    torch.save(
        {
            **{f"lstm.{k}": v for k, v in lstm.state_dict().items()},
            **{f"fc.{k}": v for k, v in linear.state_dict().items()},
        },
        tmp_path / "sd.pt",
    )
    mods = interop.read_torch(tmp_path / "m.pt")
    np.testing.assert_array_equal(mods.layers[1].F, linear.weight.detach().numpy())
    w = tmp_path / "w.npz"
    assert (
        main(["import", str(tmp_path / "sd.pt"), "--layer", "2", "--out", str(w)]) == 0
    )
    out = capsys.readouterr().out
    assert "PyTorch, 2 LSTM layers" in out and "layer 2: Ni=5 Nn=5" in out
    assert "gate order i, f, g, o" in out and "wrote" in out
    q = bl.LSTMParams.load(w)
    np.testing.assert_array_equal(q.R, lstm.weight_hh_l1.detach().numpy())
    pt = tmp_path / "back.pt"
    assert main(["export", str(w), "--to", "torch", "--out", str(pt)]) == 0
    assert "fc.weight" in capsys.readouterr().out
    np.testing.assert_array_equal(interop.read_torch(pt).layers[0].W, q.W)
    # bad input: one line, exit 2, nothing written
    assert (
        main(["import", str(tmp_path / "sd.pt"), "--out", str(w.with_name("x.npz"))])
        == 2
    )
    assert "--layer 1..2" in capsys.readouterr().err
    fake = tmp_path / "fake.pt"
    fake.write_bytes(w.read_bytes())
    assert main(["import", str(fake), "--out", str(tmp_path / "y.npz")]) == 2
    err = capsys.readouterr().err
    assert "is a numpy .npz archive, not a PyTorch" in err and err.count("\n") == 1
    assert main(["export", str(w), "--to", "torch", "--out", str(w)]) == 2
    assert "expected a file name ending in .pt or .pth" in capsys.readouterr().err
    w2 = tmp_path / "w2.pt"
    w2.write_bytes(b"mine")
    assert main(["export", str(w2), "--to", "torch", "--out", str(w2)]) == 2
    assert "also the input" in capsys.readouterr().err and w2.read_bytes() == b"mine"


def test_a_crash_while_exporting_keeps_the_old_file(tmp_path, monkeypatch, capsys):
    import errno
    import os

    w = tmp_path / "w.npz"
    bl.LSTMParams.random(2, 1, 1).save(w)
    out = tmp_path / "net.pt"
    out.write_bytes(b"the user's previous export")
    real_save = torch.save

    def disk_full(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)  # half the work is on disk...
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(f))

    monkeypatch.setattr(torch, "save", disk_full)
    assert main(["export", str(w), "--to", "torch", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no space left on the disk" in err and err.count("\n") == 1
    assert out.read_bytes() == b"the user's previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.pt", "w.npz"]
