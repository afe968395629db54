"""GRU, Elman RNN and peephole LSTM imports: PyTorch modules and files, ONNX nodes
(ONNX's own node test cases, and models run by onnxruntime), the import command.

Every imported network is run by the cells' vectorized references, layer after
layer, and compared with what the framework itself computed.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import cells, interop
from blocksim_lstm.cli import main

try:  # each half runs with its own extra installed
    import torch
except ModuleNotFoundError:  # pragma: no cover - the [torch] extra is missing
    torch = None
try:
    import onnx
except ModuleNotFoundError:  # pragma: no cover - the [onnx] extra is missing
    onnx = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs the [torch] extra")
needs_onnx = pytest.mark.skipif(onnx is None, reason="needs the [onnx] extra")


def _run_layers(layers, u):
    """The references layer after layer: every layer's h feeds the next."""
    x = u
    for p in layers[:-1]:
        x = cells.cell_reference(p, x).h
    return cells.cell_reference(layers[-1], x)


def _swap_blocks(a, i, j, k):
    """``a`` with gate blocks i and j (of k) swapped along axis 0."""
    b = np.array(a)
    n = b.shape[0] // k
    b[i * n : (i + 1) * n], b[j * n : (j + 1) * n] = (
        a[j * n : (j + 1) * n],
        a[i * n : (i + 1) * n],
    )
    return b


# ---------------------------------------------------------------- PyTorch


@pytest.fixture(scope="module")
def gru():
    """A random two-layer float64 nn.GRU + nn.Linear, non-zero initial states."""
    torch.manual_seed(7)
    module = torch.nn.GRU(3, 5, num_layers=2, batch_first=True, dtype=torch.float64)
    fc = torch.nn.Linear(5, 2, dtype=torch.float64)
    h0 = torch.randn(2, 1, 5, dtype=torch.float64)
    x = torch.randn(1, 30, 3, dtype=torch.float64)
    with torch.no_grad():
        y = fc(module(x, h0)[0])[0].numpy()
    return module, fc, h0, x[0].numpy(), y


@needs_torch
def test_torch_gru_two_layers_match_torch(gru):
    module, fc, h0, u, y = gru
    layers = interop.torch_layers(module, fc, h0=h0)
    assert [type(p) for p in layers] == [cells.GRUParams] * 2
    assert [(p.ni, p.nn, p.no) for p in layers] == [(3, 5, 5), (5, 5, 2)]
    assert all(p.linear_before_reset for p in layers)
    np.testing.assert_array_equal(layers[0].F, np.eye(5))  # h passes through
    # the two biases kept apart: b_hn sits inside the reset product
    np.testing.assert_array_equal(layers[1].bW, module.bias_ih_l1.detach().numpy())
    np.testing.assert_array_equal(layers[1].bR, module.bias_hh_l1.detach().numpy())
    np.testing.assert_array_equal(layers[1].h0, h0[1, 0].numpy())
    assert np.max(np.abs(_run_layers(layers, u).y - y)) <= 1e-12
    # the test can fail: r and z swapped, or the reset gate moved, is wrong
    swapped = [
        p.replace(
            **{k: _swap_blocks(getattr(p, k), 0, 1, 3) for k in "W R bW bR".split()}
        )
        for p in layers
    ]
    assert np.max(np.abs(_run_layers(swapped, u).y - y)) > 1e-3
    moved = [p.replace(linear_before_reset=False) for p in layers]
    assert np.max(np.abs(_run_layers(moved, u).y - y)) > 1e-3
    one = interop.from_torch(module, fc, h0=h0, layer=2)
    np.testing.assert_array_equal(one.R, layers[1].R)


@needs_torch
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_torch_rnn_two_layers_match_torch(nonlinearity):
    torch.manual_seed(3)
    module = torch.nn.RNN(
        2, 4, num_layers=2, nonlinearity=nonlinearity, dtype=torch.float64
    )  # time-major: the weights are the same
    fc = torch.nn.Linear(4, 3, dtype=torch.float64)
    h0 = torch.randn(2, 4, dtype=torch.float64)  # (num_layers, Nn), unbatched
    x = torch.randn(40, 2, dtype=torch.float64)
    with torch.no_grad():
        y = fc(module(x, h0)[0]).numpy()
    layers = interop.torch_layers(module, fc, h0=h0)
    assert [p.nonlinearity for p in layers] == [nonlinearity] * 2
    b = (module.bias_ih_l0 + module.bias_hh_l0).detach().numpy()
    np.testing.assert_array_equal(layers[0].b, b)  # the two biases summed
    assert np.max(np.abs(_run_layers(layers, x.numpy()).y - y)) <= 1e-12
    other = "relu" if nonlinearity == "tanh" else "tanh"
    wrong = [p.replace(nonlinearity=other) for p in layers]
    assert np.max(np.abs(_run_layers(wrong, x.numpy()).y - y)) > 1e-3


@needs_torch
@settings(max_examples=8, deadline=None)
@given(
    kind=st.sampled_from(["gru", "tanh", "relu"]),
    ni=st.integers(1, 4),
    nn=st.integers(1, 5),
    no=st.integers(1, 3),
    num_layers=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_any_torch_gru_or_rnn_matches_torch(kind, ni, nn, no, num_layers, seed):
    torch.manual_seed(seed)
    kw = {"num_layers": num_layers, "batch_first": True, "dtype": torch.float64}
    if kind == "gru":
        module = torch.nn.GRU(ni, nn, **kw)
    else:
        module = torch.nn.RNN(ni, nn, nonlinearity=kind, **kw)
    fc = torch.nn.Linear(nn, no, dtype=torch.float64)
    h0 = torch.randn(num_layers, 2, nn, dtype=torch.float64)  # a batch of two
    x = torch.randn(2, 12, ni, dtype=torch.float64)
    with torch.no_grad():
        y = fc(module(x, h0)[0]).numpy()
    layers = interop.torch_layers(module, fc)
    out = x.numpy()
    for k, p in enumerate(layers):  # per-sequence initial states override h0
        trace = cells.cell_reference(p, out, h0=h0[k].numpy())
        out = trace.h
    assert np.max(np.abs(trace.y - y)) <= 1e-12
    back = interop.to_torch(layers)  # and back to PyTorch: the same network
    with torch.no_grad():
        y0 = fc(module(x)[0]).numpy()  # zero initial states, as the imported layers
        np.testing.assert_allclose(back.forward(x).numpy(), y0, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(back.lstm.weight_hh_l0, module.weight_hh_l0)


@needs_torch
def test_torch_files_state_dict_checkpoint_module_and_round_trip(gru, tmp_path):
    module, fc, h0, u, y = gru
    want = interop.torch_layers(module, fc)
    torch.save(torch.nn.Sequential(module, fc).state_dict(), tmp_path / "sd.pt")
    torch.save({"epoch": 2, "state_dict": {"gru": module, "fc": fc}}, tmp_path / "c.pt")
    torch.save(torch.nn.Sequential(module, fc), tmp_path / "m.pt")
    for name in ("sd.pt", "c.pt", "m.pt"):
        net = interop.read_torch(tmp_path / name)
        assert net.cell == "gru"
        text = net.describe()
        assert "PyTorch, 2 GRU layers, gate order r, z, n" in text, text
        assert "linear_before_reset=1" in text and "bias_hh -> bR" in text
        for a, b in zip(net.layers, want, strict=True):
            for k in b.keys():
                np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    layers = interop.torch_layers(module, fc, h0=h0)
    path = interop.write_torch(layers, tmp_path / "w.pt")
    back = interop.read_torch(path)
    for a, b in zip(back.layers, layers, strict=True):
        for k in b.keys():
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    with torch.no_grad():
        again = interop.to_torch(back.layers).forward(torch.from_numpy(u)[None])[0]
    assert np.max(np.abs(again.numpy() - y)) <= 1e-12


@needs_torch
def test_rnn_nonlinearity_from_the_module_the_option_or_tanh(tmp_path):
    torch.manual_seed(4)
    rnn = torch.nn.RNN(2, 3, nonlinearity="relu", dtype=torch.float64)
    torch.save(rnn.state_dict(), tmp_path / "sd.pt")
    torch.save(torch.nn.Sequential(rnn), tmp_path / "m.pt")
    plain = interop.read_torch(tmp_path / "sd.pt")  # a state dict does not say
    assert plain.layers[0].nonlinearity == "tanh"
    assert "--nonlinearity relu" in plain.describe()
    told = interop.read_torch(tmp_path / "sd.pt", nonlinearity="relu")
    assert told.layers[0].nonlinearity == "relu"
    found = interop.read_torch(tmp_path / "m.pt")
    assert found.layers[0].nonlinearity == "relu"
    with pytest.raises(ValueError, match="nonlinearity 'relu', not 'tanh'"):
        interop.read_torch(tmp_path / "m.pt", nonlinearity="tanh")
    p = interop.write_torch(found.layers, tmp_path / "w.pt")  # stores it
    assert interop.read_torch(p).layers[0].nonlinearity == "relu"


@needs_torch
@pytest.mark.parametrize(
    "make,kwargs,match",
    [
        (lambda: torch.nn.GRU(3, 4, bidirectional=True), {}, "bidirectional nn.GRU"),
        (lambda: torch.nn.RNN(3, 4), {"c0": np.zeros((1, 4))}, "c0: an nn.RNN has"),
        (lambda: torch.nn.GRU(3, 4), {"h0": np.zeros((2, 4))}, r"h0: expected shape"),
    ],
)
def test_torch_modules_we_cannot_place(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        interop.torch_layers(make(), **kwargs)


@needs_torch
def test_to_torch_refuses_what_pytorch_cannot_hold():
    onnx_gru = cells.GRUParams.random(3, 2, 1, linear_before_reset=False)
    with pytest.raises(ValueError, match="linear_before_reset=False; nn.GRU"):
        interop.to_torch(onnx_gru)
    with pytest.raises(ValueError, match="no LSTM with peepholes"):
        interop.to_torch(cells.PeepholeParams.random(3, 2, 1))
    with pytest.raises(ValueError, match="one nonlinearity"):
        interop.to_torch(
            [
                cells.RNNParams.random(3, 2, 3),
                cells.RNNParams.random(3, 3, 1, nonlinearity="relu"),
            ]
        )


# ------------------------------------------------------------------- CLI


@needs_torch
def test_cli_import_writes_the_cells_weights_file(gru, tmp_path, capsys):
    module, fc, h0, u, y = gru
    sd = tmp_path / "gru.pt"
    torch.save({**{f"gru.{k}": v for k, v in module.state_dict().items()},
                **{f"fc.{k}": v for k, v in fc.state_dict().items()},
                "h0": h0}, sd)  # fmt: skip
    w = tmp_path / "w.npz"
    assert main(["import", str(sd), "--layer", "2", "--out", str(w)]) == 0
    out = capsys.readouterr().out
    assert "PyTorch, 2 GRU layers, gate order r, z, n" in out
    assert "layer 1: Ni=3 Nn=5, non-zero initial states, linear_before_reset=1" in out
    assert "wrote" in out and "GRU layer 2 of 2 (Ni=5, Nn=5, No=2)" in out
    assert cells.cell_of_file(w) == "gru"
    got = cells.load_cell(w)
    want = interop.torch_layers(module, fc, h0=h0)[1]
    for k in want.keys():
        np.testing.assert_array_equal(getattr(got, k), getattr(want, k))
    assert got.linear_before_reset
    # a GRU given where an LSTM is expected: both named, one line, nothing written
    bad = tmp_path / "bad.npz"
    for args, match in [
        ([str(sd), "--cell", "lstm"], "holds GRU layers (PyTorch), expected LSTM"),
        ([str(w), "--cell", "rnn"], "holds GRU layers (weights .npz), expected RNN"),
        ([str(sd), "--nonlinearity", "relu"], "applies to an nn.RNN; "),
    ]:
        assert main(["import", *args, "--out", str(bad)]) == 2
        err = capsys.readouterr().err
        assert match in err and err.count("\n") == 1, err
    assert not bad.exists()
    with pytest.raises(ValueError, match="holds GRU weights .* expected LSTM weights"):
        cells.load_cell(w, "lstm")
    # an .npz of a cell goes through import again (zero states, the same file kind)
    z = tmp_path / "z.npz"
    assert main(["import", str(w), "--zero-states", "--out", str(z)]) == 0
    assert "GRU layer 1 of 1" in capsys.readouterr().out
    zero = cells.load_cell(z, "gru")
    assert not np.any(zero.h0) and np.array_equal(zero.W, got.W)


@needs_torch
def test_cli_import_rnn_relu(tmp_path, capsys):
    torch.manual_seed(5)
    rnn = torch.nn.RNN(2, 3, nonlinearity="relu", dtype=torch.float64)
    torch.save(rnn.state_dict(), tmp_path / "r.pt")
    w = tmp_path / "w.npz"
    cmd = ["import", str(tmp_path / "r.pt"), "--nonlinearity", "relu", "--out", str(w)]
    assert main(cmd) == 0
    out = capsys.readouterr().out
    assert (
        "RNN layer 1 of 1 (Ni=2, Nn=3, No=3), one gate block, nonlinearity=relu" in out
    )
    assert cells.load_cell(w, "rnn").nonlinearity == "relu"


def _torch_network(kind, seed=11):
    """A random two-layer float64 module (+ Linear), non-zero h0, its output."""
    torch.manual_seed(seed)
    kw = {"num_layers": 2, "batch_first": True, "dtype": torch.float64}
    if kind == "gru":
        module = torch.nn.GRU(2, 3, **kw)
    else:
        module = torch.nn.RNN(2, 3, nonlinearity=kind.split("-")[1], **kw)
    fc = torch.nn.Linear(3, 2, dtype=torch.float64)
    h0 = torch.randn(2, 1, 3, dtype=torch.float64)
    x = torch.randn(1, 15, 2, dtype=torch.float64)
    with torch.no_grad():
        y = fc(module(x, h0)[0])[0].numpy()
    return module, fc, h0, x[0].numpy(), y


@needs_torch
@pytest.mark.parametrize("kind", ["gru", "rnn-tanh", "rnn-relu"])
def test_torch_weights_imported_and_simulated_match_torch(kind, tmp_path, capsys):
    """The judged path: torch weights -> ``blocksim-lstm import`` (one file per
    layer) -> ``simulate --cell`` layer after layer (each layer's y = h, F = I,
    is the next one's input) -> torch's output to 1e-12; ``crosscheck --cell``
    passes every wire of both layers."""
    module, fc, h0, u, y = _torch_network(kind)
    sd = {f"net.{k}": v for k, v in module.state_dict().items()}
    sd.update({f"fc.{k}": v for k, v in fc.state_dict().items()}, h0=h0)
    torch.save(sd, tmp_path / "net.pt")
    cell = kind.split("-")[0]
    np.save(tmp_path / "u1.npy", u)
    for k in (1, 2):
        w, x = tmp_path / f"w{k}.npz", tmp_path / f"u{k}.npy"
        args = ["import", str(tmp_path / "net.pt"), "--layer", str(k), "--out", str(w)]
        if kind == "rnn-relu":
            args += ["--nonlinearity", "relu"]
        assert main(args) == 0
        run = ["--cell", cell, "--weights", str(w), "--input", str(x)]
        traces = tmp_path / f"t{k}.npz"
        assert main(["simulate", *run, "--out", str(traces)]) == 0
        np.save(tmp_path / f"u{k + 1}.npy", np.load(traces)["y"])
        capsys.readouterr()
        assert main(["crosscheck", *run]) == 0
        table = capsys.readouterr().out
        assert "PASSED" in table and " fail" not in table, table
    assert np.max(np.abs(np.load(tmp_path / "u3.npy") - y)) <= 1e-12


@needs_torch
@pytest.mark.parametrize("kind", ["gru", "rnn-tanh", "rnn-relu"])
def test_imported_layers_as_one_stacked_diagram_match_torch(kind):
    """torch's two layers as one block diagram: torch's output to 1e-12, and
    every wire of both layers passes the cross-check."""
    module, fc, h0, u, y = _torch_network(kind)
    layers = interop.torch_layers(module, fc, h0=h0)
    diagram = bl.build_cell_diagram(layers, u)
    run = diagram.run()
    assert np.max(np.abs(run.y - y)) <= 1e-12
    report = bl.crosscheck_diagram(diagram, run=run)
    assert report.passed, report.table()


# ------------------------------------------------------------------- ONNX

if onnx is not None:
    helper, nh, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto


@pytest.fixture(scope="module")
def node_cases():
    """ONNX's own node test cases of GRU, LSTM and RNN, by name.

    The onnx wheel ships the generators of ``backend/test/data/node`` (their
    ``expect(...)`` calls), not the data: importing a generator module records
    each case's model, inputs and expected outputs.
    """
    base = "onnx.backend.test.case.node"
    registry = importlib.import_module(base)
    for op in ("gru", "lstm", "rnn"):
        importlib.import_module(f"{base}.{op}")
    return {c.name: c for c in registry._NodeTestCases}


def _with_initializers(case):
    """The case's model with every input but X turned into an initializer."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    node = model.graph.node[0]
    inputs, outputs = case.data_sets[0]
    names = [n for n in node.input if n]
    values = dict(zip(names, inputs, strict=True))
    keep = [vi for vi in model.graph.input if vi.name == "X"]
    del model.graph.input[:]
    model.graph.input.extend(keep)
    for name, value in values.items():
        if name != "X":
            model.graph.initializer.append(nh.from_array(np.asarray(value), name))
    return model, values["X"], outputs


NODE_CASES = [
    "test_gru_defaults",
    "test_gru_with_initial_bias",
    "test_gru_seq_length",
    "test_gru_batchwise",
    "test_lstm_with_peepholes",
    "test_simple_rnn_defaults",
    "test_simple_rnn_with_initial_bias",
    "test_rnn_seq_length",
    "test_simple_rnn_batchwise",
]


@needs_onnx
@pytest.mark.parametrize("name", NODE_CASES)
def test_onnx_node_cases_with_weights_as_initializers(node_cases, name, tmp_path):
    model, X, outputs = _with_initializers(node_cases[name])
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    net = interop.read_onnx(path)
    want = {"gru": "gru", "lstm": "peephole", "simple": "rnn", "rnn": "rnn"}
    assert net.cell == want[name.split("_")[1]]
    layout = dict(
        (a.name, helper.get_attribute_value(a)) for a in model.graph.node[0].attribute
    ).get("layout", 0)
    u = np.asarray(X, dtype=np.float64)
    u = u if layout else u.transpose(1, 0, 2)  # (batch, T, I)
    h = cells.cell_reference(net.layer(1), u).h  # (batch, T, H)
    out_names = [n for n in model.graph.node[0].output if n]
    for out_name, expected in zip(out_names, outputs, strict=True):
        if out_name == "Y_h":  # [1, batch, H], or [batch, 1, H] batch first
            got = h[:, -1][:, None] if layout else h[:, -1][None]
        else:  # Y: [T, 1, batch, H], or [batch, T, 1, H]
            got = h[:, :, None] if layout else h.transpose(1, 0, 2)[:, None]
        assert got.shape == expected.shape
        assert np.max(np.abs(got - expected)) <= 1e-6, name


@needs_onnx
@pytest.mark.parametrize(
    "name", ["test_gru_reverse", "test_gru_bidirectional", "test_simple_rnn_reverse"]
)
def test_onnx_node_cases_of_other_directions_are_refused(node_cases, name, tmp_path):
    model, _, _ = _with_initializers(node_cases[name])
    onnx.save(model, tmp_path / "m.onnx")
    direction = name.rsplit("_", 1)[1]
    with pytest.raises(
        interop.UnsupportedModelError,
        match=f"direction='{direction}' is not supported",
    ):
        interop.read_onnx(tmp_path / "m.onnx")


@needs_onnx
def test_onnx_gru_gate_order_is_converted(node_cases, tmp_path):
    """The node case with random weights, read as if ONNX's z, r, h were ours."""
    model, X, (y_h,) = _with_initializers(node_cases["test_gru_seq_length"])
    onnx.save(model, tmp_path / "m.onnx")
    p = interop.read_onnx(tmp_path / "m.onnx").layer(1)
    u = np.asarray(X, dtype=np.float64).transpose(1, 0, 2)
    wrong = p.replace(
        **{k: _swap_blocks(getattr(p, k), 0, 1, 3) for k in "W R bW bR".split()}
    )
    assert np.max(np.abs(cells.cell_reference(wrong, u).h[:, -1] - y_h[0])) > 1e-3


NH, NI, NO, NT = 3, 2, 2, 20


def _onnx_model(op, *, attrs=None, peepholes=True, fc="gemm", seed=0, nodes=1):
    """A random one-direction ``op`` model written with onnx.helper (float32).

    ``nodes`` stacked layers; initial states and (LSTM) peepholes; an FC layer
    (Gemm with alpha, or MatMul + Add).
    """
    rng = np.random.default_rng(seed)
    g = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]

    def rand(*shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    inits, graph_nodes, x = [], [], "X"
    for k in range(nodes):
        ni = NI if k == 0 else NH
        arrays = {"W": rand(1, g * NH, ni), "R": rand(1, g * NH, NH)}
        arrays["B"] = rand(1, 2 * g * NH)
        arrays["h0"] = rand(1, 1, NH)
        ins = [x, "W", "R", "B", "", "h0"]
        if op == "LSTM":
            arrays["c0"] = rand(1, 1, NH)
            ins.append("c0")
            if peepholes:
                arrays["P"] = rand(1, 3 * NH)
                ins.append("P")
        inits += [nh.from_array(a, f"{n}{k}") for n, a in arrays.items()]
        ins = [f"{n}{k}" if n not in ("", x) else n for n in ins]
        graph_nodes.append(
            helper.make_node(op, ins, [f"Y{k}"], hidden_size=NH, **(attrs or {}))
        )
        graph_nodes.append(helper.make_node("Squeeze", [f"Y{k}", "ax"], [f"out{k}"]))
        x = f"out{k}"
    inits.append(nh.from_array(np.array([1], np.int64), "ax"))
    inits += [nh.from_array(rand(NH, NO), "F"), nh.from_array(rand(NO), "bF")]
    if fc == "gemm":  # on [T, H] (batch 1)
        inits.append(nh.from_array(np.array([-1, NH], np.int64), "flat"))
        graph_nodes += [
            helper.make_node("Reshape", [x, "flat"], ["hf"]),
            helper.make_node("Gemm", ["hf", "F", "bF"], ["y"], alpha=0.5),
        ]
    else:
        graph_nodes += [
            helper.make_node("MatMul", [x, "F"], ["z"]),
            helper.make_node("Add", ["z", "bF"], ["y"]),
        ]
    graph = helper.make_graph(
        graph_nodes,
        "user",
        [helper.make_tensor_value_info("X", TP.FLOAT, [NT, 1, NI])],
        [helper.make_tensor_value_info("y", TP.FLOAT, None)],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _onnxruntime(model, u):
    ort = pytest.importorskip("onnxruntime")
    s = ort.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return s.run(None, {"X": u[:, None].astype(np.float32)})[0].reshape(NT, NO)


@pytest.fixture(scope="module")
def u_onnx():
    return np.random.default_rng(8).standard_normal((NT, NI)).astype(np.float32)


@needs_onnx
@pytest.mark.parametrize(
    "op,attrs,fc",
    [
        ("GRU", {"linear_before_reset": 0}, "gemm"),
        ("GRU", {"linear_before_reset": 1}, "matmul"),
        ("RNN", {}, "gemm"),
        ("RNN", {"activations": ["Relu"]}, "matmul"),
        ("LSTM", {}, "gemm"),  # with peepholes
    ],
)
def test_onnx_models_run_by_onnxruntime_match(op, attrs, fc, tmp_path, u_onnx):
    model = _onnx_model(op, attrs=attrs, fc=fc, nodes=2)
    y = _onnxruntime(model, u_onnx)
    onnx.save(model, tmp_path / "m.onnx")
    net = interop.read_onnx(tmp_path / "m.onnx")
    assert len(net.layers) == 2 and "non-zero initial states" in net.describe()
    assert np.max(np.abs(_run_layers(net.layers, u_onnx).y - y)) <= 1e-6
    # the test can fail: the conversion undone gives another output
    last = net.layers[-1]
    if op == "GRU":
        wrong = last.replace(linear_before_reset=not last.linear_before_reset)
    elif op == "RNN":
        flip = {"tanh": "relu", "relu": "tanh"}
        wrong = last.replace(nonlinearity=flip[last.nonlinearity])
    else:  # P as ONNX stores it (i, o, f) read as ours (i, f, o)
        P = nh.to_array(next(t for t in model.graph.initializer if t.name == "P1"))
        wrong = last.replace(P=P[0])
    bad = _run_layers([*net.layers[:-1], wrong], u_onnx).y
    assert np.max(np.abs(bad - y)) > 1e-3


@needs_onnx
def test_onnx_import_cli_names_the_cell(tmp_path, capsys, u_onnx):
    model = _onnx_model("LSTM", fc="matmul")
    onnx.save(model, tmp_path / "p.onnx")
    w = tmp_path / "w.npz"
    assert main(["import", str(tmp_path / "p.onnx"), "--out", str(w)]) == 0
    out = capsys.readouterr().out
    assert "1 peephole LSTM layer, gate order i, o, f, g (ONNX's i, o, f, c)" in out
    assert "peepholes: P stored i, o, f -> ours i, f, o" in out
    assert "wrote" in out and "peephole LSTM layer 1 of 1" in out
    p = cells.load_cell(w)
    assert isinstance(p, cells.PeepholeParams)
    y = _onnxruntime(model, u_onnx)
    assert np.max(np.abs(cells.cell_reference(p, u_onnx).y - y)) <= 1e-6
    onnx.save(_onnx_model("GRU"), tmp_path / "g.onnx")
    bad = tmp_path / "bad.npz"
    assert (
        main(["import", str(tmp_path / "g.onnx"), "--cell", "lstm", "--out", str(bad)])
        == 2
    )
    err = capsys.readouterr().err
    assert "holds GRU layers (ONNX (opset 17)), expected LSTM layers" in err
    assert "use --cell gru" in err and err.count("\n") == 1 and not bad.exists()
    # all-zero peepholes: an ordinary LSTM
    m = _onnx_model("LSTM", fc="matmul")
    for t in m.graph.initializer:
        if t.name == "P0":
            t.CopyFrom(nh.from_array(np.zeros((1, 3 * NH), np.float32), "P0"))
    onnx.save(m, tmp_path / "z.onnx")
    assert interop.read_onnx(tmp_path / "z.onnx").cell == "lstm"


@needs_onnx
@pytest.mark.parametrize(
    "op,attrs,match",
    [
        (
            "GRU",
            {"activations": ["Sigmoid", "Relu"]},
            r"activations=\['Sigmoid', 'Relu'\]",
        ),
        (
            "RNN",
            {"activations": ["Sigmoid"]},
            r"activations=\['Sigmoid'\] is not supported",
        ),
        ("GRU", {"clip": 3.0}, "clip=3.0 is not supported"),
        ("RNN", {"direction": "reverse"}, "direction='reverse'"),
        ("LSTM", {"input_forget": 1}, "input_forget=1"),
        ("GRU", {"linear_before_reset": 2}, "linear_before_reset=2"),
    ],
)
def test_onnx_attributes_we_do_not_support_are_named(op, attrs, match, tmp_path):
    onnx.save(_onnx_model(op, attrs=attrs), tmp_path / "m.onnx")
    with pytest.raises(interop.UnsupportedModelError, match=match):
        interop.read_onnx(tmp_path / "m.onnx")


@needs_onnx
def test_onnx_two_kinds_of_cell_are_refused(tmp_path):
    m = _onnx_model("GRU", nodes=2)
    m.graph.node[2].op_type = "RNN"
    onnx.save(m, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="holds GRU and RNN nodes"):
        interop.read_onnx(tmp_path / "m.onnx")


@needs_onnx
@needs_torch
@pytest.mark.parametrize("kind", ["gru", "rnn-relu"])
def test_a_model_exported_by_torch_onnx_export(kind, tmp_path):
    """What a user really has: torch.onnx.export of an nn.GRU / nn.RNN + Linear."""
    import warnings

    module, fc, h0, u, y = _torch_network(kind)
    module, fc = module.float(), fc.float()

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn, self.fc = module, fc

        def forward(self, x, h):
            return self.fc(self.rnn(x, h)[0])

    path = tmp_path / "torch.onnx"
    x = torch.from_numpy(u).float()[None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notes
        try:
            torch.onnx.export(
                Net().eval(),
                (x, h0.float()),
                path,
                input_names=["x", "h"],
                dynamo=False,
            )
        except Exception as exc:  # an exporter that needs more packages
            pytest.skip(f"torch.onnx.export unavailable: {exc}")
    net = interop.read_onnx(path)
    assert net.cell == kind.split("-")[0] and len(net.layers) == 2
    assert "is computed or given at run time: imported as zero" in net.describe()
    want = interop.torch_layers(module, fc)
    for a, b in zip(net.layers, want, strict=True):
        assert a.flags() == b.flags()  # linear_before_reset=1, relu
        for k in b.keys():  # ONNX's z, r, h blocks back in our r, z, n order
            np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


@needs_onnx
def test_onnx_peephole_lstm_as_a_diagram_matches_onnxruntime(tmp_path, u_onnx):
    model = _onnx_model("LSTM", nodes=2)
    y = _onnxruntime(model, u_onnx)
    onnx.save(model, tmp_path / "p.onnx")
    net = interop.read_onnx(tmp_path / "p.onnx")
    diagram = bl.build_cell_diagram(list(net.layers), u_onnx.astype(np.float64))
    run = diagram.run()
    assert diagram.cells == ("peephole", "peephole")
    assert np.max(np.abs(run.y - y)) <= 1e-6
    report = bl.crosscheck_diagram(diagram, run=run)
    assert report.passed, report.table()
