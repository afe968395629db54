"""ONNX in and out, run by onnxruntime; the gate-order diagnosis on real exports."""

from __future__ import annotations

import numpy as np
import pytest

import blocksim_lstm as bl
from blocksim_lstm import interop
from blocksim_lstm.cli import main

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
helper, nh, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto

NH, NI, NO, NT = 3, 2, 2, 20


def _model(
    *, peephole=None, direction=None, fc="matmul", extra=None, states=True, layout=0
):
    """An ONNX LSTM model written by hand with onnx.helper (float32)."""
    rng = np.random.default_rng(11)
    W = rng.uniform(-1, 1, (1, 4 * NH, NI)).astype(np.float32)
    R = rng.uniform(-1, 1, (1, 4 * NH, NH)).astype(np.float32)
    B = rng.uniform(-1, 1, (1, 8 * NH)).astype(np.float32)
    F = rng.uniform(-1, 1, (NH, NO)).astype(np.float32)  # x @ F
    bF = rng.uniform(-1, 1, NO).astype(np.float32)
    h0 = rng.uniform(-1, 1, (1, 1, NH)).astype(np.float32)
    c0 = rng.uniform(-1, 1, (1, 1, NH)).astype(np.float32)
    inits = [
        nh.from_array(a, n)
        for a, n in (
            (W, "W"),
            (R, "R"),
            (B, "B"),
            (F, "F"),
            (bF, "bF"),
            (h0, "h0"),
            (c0, "c0"),
        )
    ]
    ins = ["X", "W", "R", "B", "", "h0" if states else "", "c0" if states else ""]
    if peephole is not None:
        inits.append(nh.from_array(np.full((1, 3 * NH), peephole, np.float32), "P"))
        ins.append("P")
    attrs = {"hidden_size": NH, "layout": layout}
    if direction:
        attrs["direction"] = direction
    nodes = [helper.make_node("LSTM", ins, ["Y"], name="lstm", **attrs)]
    y_axis = 2 if layout else 1
    nodes.append(helper.make_node("Squeeze", ["Y", "ax"], ["h"]))
    inits.append(nh.from_array(np.array([y_axis], np.int64), "ax"))
    if fc == "matmul":
        nodes += [
            helper.make_node("MatMul", ["h", "F"], ["z"]),
            helper.make_node("Add", ["z", "bF"], ["y"], name="bias"),
        ]
    else:  # Gemm on [NT, NH] (batch 1): alpha scales F
        inits.append(nh.from_array(np.array([-1, NH], np.int64), "flat"))
        nodes += [
            helper.make_node("Reshape", ["h", "flat"], ["hf"]),
            helper.make_node("Gemm", ["hf", "F", "bF"], ["y"], alpha=0.5),
        ]
    if extra:
        nodes.append(helper.make_node(extra, ["y"], ["y2"]))
    shape = [1, NT, NI] if layout else [NT, 1, NI]
    graph = helper.make_graph(
        nodes,
        "user",
        [helper.make_tensor_value_info("X", TP.FLOAT, shape)],
        [helper.make_tensor_value_info("y2" if extra else "y", TP.FLOAT, None)],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, x):
    s = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return s.run(None, {s.get_inputs()[0].name: x})[0]


@pytest.fixture
def u():
    return np.random.default_rng(3).standard_normal((NT, NI)).astype(np.float32)


@pytest.mark.parametrize("fc", ["matmul", "gemm"])
def test_hand_written_onnx_lstm_imported_matches_onnxruntime(tmp_path, u, fc):
    model = _model(fc=fc)
    y = _run(model, u[:, None]).reshape(NT, NO)
    onnx.save(model, tmp_path / "m.onnx")
    net = interop.read_onnx(tmp_path / "m.onnx")
    assert net.order == "iofg" and "non-zero initial states" in net.describe()
    ours = bl.build_lstm_diagram(net.layer(None), u).run().y
    assert np.max(np.abs(ours - y)) <= 1e-6
    # the same model with the blocks read in our order is wrong: the test can fail
    W = nh.to_array(model.graph.initializer[0])[0]
    wrong = net.layers[0].replace(W=W)
    assert np.max(np.abs(bl.reference_cell(wrong, u).y - y)) > 1e-2


def test_no_initial_states_and_batch_first_layout(tmp_path, u):
    model = _model(states=False)
    y = _run(model, u[:, None]).reshape(NT, NO)
    onnx.save(model, tmp_path / "m.onnx")
    p = interop.read_onnx(tmp_path / "m.onnx").layer(1)
    assert not np.any(p.h0) and not np.any(p.c0)
    assert np.max(np.abs(bl.reference_cell(p, u).y - y)) <= 1e-6
    # layout=1 (batch first; onnxruntime cannot run it) holds the same weights
    onnx.save(_model(states=False, layout=1), tmp_path / "b.onnx")
    q = interop.read_onnx(tmp_path / "b.onnx").layer(1)
    for k in ("W", "R", "b", "F", "bF"):
        np.testing.assert_array_equal(getattr(q, k), getattr(p, k))


def test_our_export_run_by_onnxruntime_matches_the_reference(tmp_path):
    rng = np.random.default_rng(5)
    layers = [
        bl.LSTMParams.random(4, 3, 4, seed=1),
        bl.LSTMParams.random(3, 4, 2, seed=2),
    ]
    layers = [p.replace(W=p.W - 0.5, R=p.R - 0.5, b=p.b - 0.5) for p in layers]
    path = interop.write_onnx(layers, tmp_path / "ours.onnx")
    u = rng.standard_normal((2, 15, 3))  # two sequences: the batch axis works
    y = _run(onnx.load(path), u.transpose(1, 0, 2).astype(np.float32))
    assert y.shape == (15, 2, 2)
    ref = bl.reference_cell(layers[1], bl.reference_cell(layers[0], u).h).y
    assert np.max(np.abs(y.transpose(1, 0, 2) - ref)) <= 1e-6
    back = interop.read_onnx(path)  # float32 round trip
    for a, b in zip(back.layers, layers, strict=True):
        np.testing.assert_array_equal(a.W, b.W.astype(np.float32))
        np.testing.assert_array_equal(a.h0, b.h0.astype(np.float32))
    exact = interop.read_onnx(
        interop.write_onnx(layers, tmp_path / "d.onnx", dtype="float64")
    )
    for a, b in zip(exact.layers, layers, strict=True):
        for k in ("W", "R", "b", "h0", "c0"):
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    np.testing.assert_array_equal(exact.layers[1].F, layers[1].F)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"direction": "bidirectional"}, "direction='bidirectional' is not supported"),
        ({"direction": "reverse"}, "direction='reverse'"),
        ({"extra": "LayerNormalization"}, r"also holds \['LayerNormalization'\]"),
        ({"extra": "Relu"}, r"\['Relu'\]"),
    ],
)
def test_unsupported_onnx_models_are_named(tmp_path, kwargs, match):
    onnx.save(_model(**kwargs), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match=match):
        interop.read_onnx(tmp_path / "m.onnx")


def test_zero_peepholes_and_mismatched_fc(tmp_path):
    onnx.save(_model(peephole=0.0), tmp_path / "p.onnx")
    assert (
        "all-zero peepholes P ignored"
        in interop.read_onnx(tmp_path / "p.onnx").describe()
    )
    m = _model()
    for t in m.graph.initializer:
        if t.name == "F":
            t.CopyFrom(nh.from_array(np.ones((NH + 1, NO), np.float32), "F"))
    onnx.save(m, tmp_path / "f.onnx")
    with pytest.raises(
        ValueError, match=r"FC layer MatMul .*weights of shape \(2, 4\).*has 3 units"
    ):
        interop.read_onnx(tmp_path / "f.onnx")


def test_cli_import_export_and_files_of_another_kind(tmp_path, capsys, u):
    onnx.save(_model(), tmp_path / "m.onnx")
    w = tmp_path / "w.npz"
    assert main(["import", str(tmp_path / "m.onnx"), "--out", str(w)]) == 0
    out = capsys.readouterr().out
    assert (
        "ONNX (opset 17), 1 LSTM layer, gate order i, o, f, g (ONNX's i, o, f, c)"
        in out
    )
    assert "MatMul (3 -> 2) + Add 'bias'" in out
    e = tmp_path / "e.onnx"
    assert main(["export", str(w), "--to", "onnx", "--out", str(e)]) == 0
    assert "Gemm" in capsys.readouterr().out
    p = bl.LSTMParams.load(w)
    y = _run(onnx.load(e), u[:, None])[:, 0]
    assert np.max(np.abs(y - bl.reference_cell(p, u).y)) <= 1e-6
    with open(tmp_path / "n.onnx", "wb") as fh:  # an .npz named .onnx
        np.savez(fh, x=np.zeros(2))
    (tmp_path / "junk.onnx").write_bytes(b"\x08\x07" + bytes(range(200, 256)))
    (tmp_path / "g.onnx").write_bytes(_relu_model().SerializeToString())
    for name, match in [
        ("n.onnx", "is a numpy .npz archive, not an ONNX model"),
        ("junk.onnx", "is not a readable ONNX model"),
        ("g.onnx", "holds no LSTM, GRU or RNN node; its operators are ['Relu']"),
    ]:
        assert (
            main(["import", str(tmp_path / name), "--out", str(tmp_path / "o.npz")])
            == 2
        )
        err = capsys.readouterr().err
        assert match in err and err.count("\n") == 1, err
    assert not (tmp_path / "o.npz").exists()


def _relu_model():
    node = helper.make_node("Relu", ["X"], ["Y"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("X", TP.FLOAT, [NT, 1, NI])],
        [helper.make_tensor_value_info("Y", TP.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_onnx_order_read_as_pytorch_order_is_diagnosed(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    lstm, fc = torch.nn.LSTM(3, 4, batch_first=True), torch.nn.Linear(4, 2)
    u = np.random.default_rng(4).standard_normal((25, 3)).astype(np.float32)
    with torch.no_grad():
        y = fc(lstm(torch.from_numpy(u)[None])[0])[0].numpy()
    path = interop.write_onnx(interop.torch_layers(lstm, fc), tmp_path / "m.onnx")
    c = {t.name: nh.to_array(t) for t in onnx.load(path).graph.initializer}
    # a user copies ONNX's W, R, B as if they were PyTorch's weight_ih, ...
    np.savez(
        tmp_path / "w.npz",
        W=c["W1"][0],
        R=c["R1"][0],
        b=c["B1"][0, :16] + c["B1"][0, 16:],
        F=c["F"],
        bF=c["bF"],
        h0=np.zeros(4),
        c0=np.zeros(4),
    )
    np.save(tmp_path / "u.npy", u)
    np.save(tmp_path / "y.npy", y)
    args = [
        "crosscheck",
        "--weights",
        str(tmp_path / "w.npz"),
        "--input",
        str(tmp_path / "u.npy"),
        "--expect",
        str(tmp_path / "y.npy"),
    ]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "our output differs" in out
    assert "gate order i, o, f, g (ONNX's i, o, f, c) it matches" in out
    assert "--gate-order iofc" in out
    fixed = tmp_path / "fixed.npz"
    cmd = [
        "import",
        str(tmp_path / "w.npz"),
        "--gate-order",
        "iofc",
        "--out",
        str(fixed),
    ]
    assert main(cmd) == 0
    args[2] = str(fixed)
    assert main(args) == 0
    assert "our output matches" in capsys.readouterr().out


def test_a_model_exported_by_torch_onnx_export(tmp_path):
    """What a user really has: torch.onnx.export of an nn.LSTM + nn.Linear."""
    import warnings

    torch = pytest.importorskip("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x, h0, c0):
            return self.fc(self.lstm(x, (h0, c0))[0])

    torch.manual_seed(0)
    m = Net().eval()
    x, h0, c0 = torch.randn(1, 10, 3), torch.randn(2, 1, 4), torch.randn(2, 1, 4)
    path = tmp_path / "torch.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notes
        try:
            torch.onnx.export(
                m, (x, h0, c0), path, input_names=["x", "h0", "c0"], dynamo=False
            )
        except Exception as exc:  # an exporter that needs more packages
            pytest.skip(f"torch.onnx.export unavailable: {exc}")
    net = interop.read_onnx(path)
    assert "initial_h of LSTM '/lstm/LSTM' is computed or given at run time" in (
        net.describe()
    )
    want = interop.torch_layers(m.lstm, m.fc)
    for a, b in zip(net.layers, want, strict=True):
        for k in ("W", "R", "b"):
            np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=0, atol=1e-7)
    np.testing.assert_array_equal(net.layers[1].F, want[1].F)
    np.testing.assert_array_equal(net.layers[1].bF, want[1].bF)
