"""The other cells' parameters and reference cells (GRU, peephole LSTM, RNN).

Each reference is checked against computations that share nothing with it: a
scalar loop written from the equations with :mod:`math` (always), ONNX's own
reference evaluator (GRU both variants, LSTM with peepholes, RNN) and PyTorch
(GRU, RNN) where installed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import cells


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _dot(row: np.ndarray, v: list[float]) -> float:
    return math.fsum(float(a) * b for a, b in zip(row, v, strict=True))


def scalar_gru(p: cells.GRUParams, u: np.ndarray) -> np.ndarray:
    nn = p.nn
    h = [float(v) for v in p.h0]
    out = []
    for x in u:
        x_ = [float(v) for v in x]
        new = []
        for j in range(nn):
            r = _sig(
                _dot(p.W[j], x_) + p.bW[j] + _dot(p.R[j], h) + p.bR[j]
            )  # row j of r
            z = _sig(
                _dot(p.W[nn + j], x_)
                + p.bW[nn + j]
                + _dot(p.R[nn + j], h)
                + p.bR[nn + j]
            )
            k = 2 * nn + j
            if p.linear_before_reset:
                a = _dot(p.W[k], x_) + p.bW[k] + r * (_dot(p.R[k], h) + p.bR[k])
            else:
                rs = [
                    _sig(_dot(p.W[m], x_) + p.bW[m] + _dot(p.R[m], h) + p.bR[m])
                    for m in range(nn)
                ]
                rh = [rs[m] * h[m] for m in range(nn)]
                a = _dot(p.W[k], x_) + p.bW[k] + _dot(p.R[k], rh) + p.bR[k]
            new.append((1.0 - z) * math.tanh(a) + z * h[j])
        h = new
        out.append(h)
    return np.array(out)


def scalar_peephole(p: cells.PeepholeParams, u: np.ndarray) -> np.ndarray:
    nn = p.nn
    h = [float(v) for v in p.h0]
    c = [float(v) for v in p.c0]
    Pi, Pf, Po = (p.peephole(k) for k in "ifo")
    out = []
    for x in u:
        x_ = [float(v) for v in x]

        def pre(k: int, j: int, x_: list[float] = x_, h: list[float] = h) -> float:
            row = k * nn + j
            return _dot(p.W[row], x_) + _dot(p.R[row], h) + p.b[row]

        cn = []
        hn = []
        for j in range(nn):
            i = _sig(pre(0, j) + Pi[j] * c[j])
            f = _sig(pre(1, j) + Pf[j] * c[j])
            g = math.tanh(pre(2, j))
            cj = f * c[j] + i * g
            o = _sig(pre(3, j) + Po[j] * cj)
            cn.append(cj)
            hn.append(o * math.tanh(cj))
        h, c = hn, cn
        out.append(h)
    return np.array(out)


def scalar_rnn(p: cells.RNNParams, u: np.ndarray) -> np.ndarray:
    h = [float(v) for v in p.h0]
    out = []
    for x in u:
        x_ = [float(v) for v in x]
        a = [_dot(p.W[j], x_) + _dot(p.R[j], h) + p.b[j] for j in range(p.nn)]
        h = [max(v, 0.0) if p.nonlinearity == "relu" else math.tanh(v) for v in a]
        out.append(h)
    return np.array(out)


def _centred(p: cells.CellParams) -> cells.CellParams:
    """Weights in [-0.5, 0.5): the gates away from saturation."""
    return p.replace(
        **{k: v - 0.5 for k, v in p.arrays().items() if k not in ("bF", "F")}
    )


def _make(kind: str, nn: int, ni: int, seed: int) -> cells.CellParams:
    if kind == "gru":
        return _centred(cells.GRUParams.random(nn, ni, 2, seed=seed))
    if kind == "gru0":
        return _centred(
            cells.GRUParams.random(nn, ni, 2, seed=seed, linear_before_reset=False)
        )
    if kind == "peephole":
        return _centred(cells.PeepholeParams.random(nn, ni, 2, seed=seed))
    return _centred(
        cells.RNNParams.random(
            nn, ni, 2, seed=seed, nonlinearity="relu" if kind == "relu" else "tanh"
        )
    )


_SCALAR = {
    "gru": scalar_gru,
    "gru0": scalar_gru,
    "peephole": scalar_peephole,
    "rnn": scalar_rnn,
    "relu": scalar_rnn,
}


@settings(max_examples=12, deadline=None)
@given(
    kind=st.sampled_from(sorted(_SCALAR)),
    nn=st.integers(1, 4),
    ni=st.integers(1, 3),
    steps=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
def test_reference_equals_the_scalar_equations(
    kind: str, nn: int, ni: int, steps: int, seed: int
) -> None:
    p = _make(kind, nn, ni, seed)
    u = np.random.default_rng(seed).normal(size=(steps, ni))
    tr = cells.cell_reference(p, u)
    np.testing.assert_allclose(tr.h, _SCALAR[kind](p, u), rtol=0, atol=1e-14)
    np.testing.assert_allclose(tr.y, tr.h @ p.F.T + p.bF, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(tr.h_prev[1:], tr.h[:-1])
    np.testing.assert_array_equal(tr.h_prev[0], p.h0)


@pytest.mark.parametrize("kind", sorted(_SCALAR))
def test_batch_equals_one_sequence_at_a_time(kind: str) -> None:
    p = _make(kind, 3, 2, 7)
    u = np.random.default_rng(1).normal(size=(4, 5, 2))
    batch = cells.cell_reference(p, u)
    for k in range(4):
        one = cells.cell_reference(p, u[k])
        for name in vars(one):
            np.testing.assert_allclose(
                getattr(batch, name)[k], getattr(one, name), rtol=0, atol=1e-15
            )


def test_gru_internal_signals_fit_together() -> None:
    p = _make("gru", 3, 2, 3)
    u = np.random.default_rng(2).normal(size=(6, 2))
    tr = cells.gru_reference(p, u)
    np.testing.assert_allclose(tr.Wu, u @ p.W.T, atol=1e-15)
    np.testing.assert_allclose(tr.r, 1 / (1 + np.exp(-tr.zr)), atol=1e-15)
    np.testing.assert_allclose(tr.n, np.tanh(tr.zn), atol=1e-15)
    np.testing.assert_allclose(tr.one_minus_z, 1 - tr.z, atol=0)
    np.testing.assert_allclose(tr.zn_part + tr.zh, tr.h, atol=1e-15)
    np.testing.assert_allclose(
        tr.rn, tr.r * (tr.h_prev @ p.gate("R", "n").T + p.gate("bR", "n")), atol=1e-15
    )


def test_peephole_with_zero_p_is_the_lstm_exactly() -> None:
    lp = bl.LSTMParams.random(3, 2, 2, seed=5)
    u = np.random.default_rng(3).normal(size=(7, 2))
    pp = cells.PeepholeParams.from_lstm(lp)
    a, b = cells.peephole_reference(pp, u), bl.reference_cell(lp, u)
    for name in vars(b):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.pc, 0.0)
    assert pp.lstm().arrays().keys() == lp.arrays().keys()


def test_peephole_sees_the_cell_state() -> None:
    """Po multiplies c(t), Pi and Pf multiply c(t-1): each term checked alone."""
    pp = _make("peephole", 2, 1, 9)
    u = np.random.default_rng(4).normal(size=(5, 1))
    tr = cells.peephole_reference(pp, u)
    Pi, Pf, Po = (pp.peephole(k) for k in "ifo")
    np.testing.assert_allclose(tr.pc[:, :2], Pi * tr.c_prev, atol=0)
    np.testing.assert_allclose(tr.pc[:, 2:4], Pf * tr.c_prev, atol=0)
    np.testing.assert_allclose(tr.pc[:, 4:], Po * tr.c, atol=0)


# ------------------------------------------------------------ independent codes
def _onnx_run(node_kind: str, attrs: dict, inputs: dict) -> np.ndarray:
    onnx = pytest.importorskip("onnx")
    from onnx import helper
    from onnx.reference import ReferenceEvaluator

    names = list(inputs)
    node = helper.make_node(node_kind, names, ["Y"], **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [
            helper.make_tensor_value_info(k, onnx.TensorProto.DOUBLE, v.shape)
            for k, v in inputs.items()
        ],
        [helper.make_tensor_value_info("Y", onnx.TensorProto.DOUBLE, None)],
    )
    model = helper.make_model(graph)
    (y,) = ReferenceEvaluator(model).run(None, inputs)
    return np.asarray(y)[:, 0, 0, :]  # (T, 1 direction, batch 1, Nn)


@pytest.mark.parametrize("lbr", [True, False])
def test_gru_matches_onnx_reference_evaluator(lbr: bool) -> None:
    p = _centred(cells.GRUParams.random(3, 2, 1, seed=11, linear_before_reset=lbr))
    u = np.random.default_rng(5).normal(size=(6, 2))
    nn = p.nn
    order = [1, 0, 2]  # ONNX: z, r, h

    def onnx_rows(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a[k * nn : (k + 1) * nn] for k in order])

    y = _onnx_run(
        "GRU",
        {"hidden_size": nn, "linear_before_reset": int(lbr)},
        {
            "X": u[:, None, :],
            "W": onnx_rows(p.W)[None],
            "R": onnx_rows(p.R)[None],
            "B": np.concatenate([onnx_rows(p.bW), onnx_rows(p.bR)])[None],
        },
    )
    h0 = cells.gru_reference(p.replace(h0=np.zeros(nn)), u).h
    np.testing.assert_allclose(h0, y, rtol=0, atol=1e-14)


def test_peephole_matches_onnx_reference_evaluator() -> None:
    p = _make("peephole", 3, 2, 12).replace(h0=np.zeros(3), c0=np.zeros(3))
    u = np.random.default_rng(6).normal(size=(6, 2))
    nn = p.nn
    order = [0, 3, 1, 2]  # ONNX: i, o, f, c

    def onnx_rows(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a[k * nn : (k + 1) * nn] for k in order])

    P = np.concatenate([p.peephole(k) for k in "iof"])
    y = _onnx_run(
        "LSTM",
        {"hidden_size": nn},
        {
            "X": u[:, None, :],
            "W": onnx_rows(p.W)[None],
            "R": onnx_rows(p.R)[None],
            "B": np.concatenate([onnx_rows(p.b), np.zeros(4 * nn)])[None],
            "sequence_lens": np.array([6], dtype=np.int32),
            "initial_h": np.zeros((1, 1, nn)),
            "initial_c": np.zeros((1, 1, nn)),
            "P": P[None],
        },
    )
    np.testing.assert_allclose(cells.peephole_reference(p, u).h, y, atol=1e-14)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_gru_and_rnn_match_torch(nonlinearity: str) -> None:
    torch = pytest.importorskip("torch")
    u = np.random.default_rng(7).normal(size=(8, 2))
    g = _make("gru", 3, 2, 13)
    r = _make("relu" if nonlinearity == "relu" else "rnn", 3, 2, 14)
    tg = torch.nn.GRU(2, 3, dtype=torch.float64)
    tr = torch.nn.RNN(2, 3, nonlinearity=nonlinearity, dtype=torch.float64)
    with torch.no_grad():
        tg.weight_ih_l0.copy_(torch.tensor(g.W))
        tg.weight_hh_l0.copy_(torch.tensor(g.R))
        tg.bias_ih_l0.copy_(torch.tensor(g.bW))
        tg.bias_hh_l0.copy_(torch.tensor(g.bR))
        tr.weight_ih_l0.copy_(torch.tensor(r.W))
        tr.weight_hh_l0.copy_(torch.tensor(r.R))
        tr.bias_ih_l0.copy_(torch.tensor(r.b))
        tr.bias_hh_l0.zero_()
        yg, _ = tg(torch.tensor(u), torch.tensor(g.h0)[None])
        yr, _ = tr(torch.tensor(u), torch.tensor(r.h0)[None])
    np.testing.assert_allclose(cells.gru_reference(g, u).h, yg.numpy(), atol=1e-14)
    np.testing.assert_allclose(cells.rnn_reference(r, u).h, yr.numpy(), atol=1e-14)


# ---------------------------------------------------------------- files, errors
@settings(max_examples=10, deadline=None)
@given(
    kind=st.sampled_from(["lstm", "gru", "gru0", "peephole", "rnn", "relu"]),
    nn=st.integers(1, 5),
    ni=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_save_load_round_trip_and_the_file_names_its_cell(
    tmp_path_factory: pytest.TempPathFactory, kind: str, nn: int, ni: int, seed: int
) -> None:
    p = (
        bl.LSTMParams.random(nn, ni, 2, seed=seed)
        if kind == "lstm"
        else _make(kind, nn, ni, seed)
    )
    path = p.save(tmp_path_factory.mktemp("w") / "w.npz")
    name = cells.cell_name(p)
    assert cells.cell_of_file(path) == name
    q = cells.load_cell(path)
    assert type(q) is type(p)
    for k, v in p.arrays().items():
        np.testing.assert_array_equal(getattr(q, k), v)
    if name != "lstm":
        assert q.flags() == p.flags()
    others = [c for c in cells.CELLS if c != name]
    with pytest.raises(ValueError, match=f"holds {name.upper()} weights") as exc:
        cells.load_cell(path, others[seed % len(others)], what="--weights")
    assert "--weights" in str(exc.value) and f"--cell {name}" in str(exc.value)


@pytest.mark.parametrize(
    ("cls", "arrays", "message"),
    [
        (
            cells.GRUParams,
            {
                "W": np.zeros((6, 2)),
                "R": np.zeros((9, 3)),
                "bW": np.zeros(9),
                "bR": np.zeros(9),
                "F": np.zeros((1, 3)),
            },
            r"W: expected shape \(9, any\) \(3Nn, Ni\), Nn=3, got shape \(6, 2\)",
        ),
        (
            cells.RNNParams,
            {
                "W": np.zeros((3, 2)),
                "R": np.zeros((6, 3)),
                "b": np.zeros(3),
                "F": np.zeros((1, 3)),
            },
            r"R: expected shape \(1Nn, Nn\) .* got shape \(6, 3\)",
        ),
        (
            cells.PeepholeParams,
            {
                "W": np.zeros((8, 1)),
                "R": np.zeros((8, 2)),
                "b": np.zeros(8),
                "P": np.zeros(8),
                "F": np.zeros((1, 2)),
            },
            r"P: expected shape \(6,\) \(3Nn,\)",
        ),
        (
            cells.GRUParams,
            {
                "W": np.zeros((3, 1)),
                "R": np.zeros((3, 1)),
                "bW": np.zeros(3),
                "F": np.zeros((1, 1)),
            },
            r"missing \['bR'\]",
        ),
        (
            cells.RNNParams,
            {
                "W": np.zeros((1, 1)),
                "R": np.zeros((1, 1)),
                "b": [np.nan],
                "F": np.zeros((1, 1)),
            },
            "b: expected finite values",
        ),
        (
            cells.RNNParams,
            {
                "W": np.zeros((1, 1)),
                "R": np.zeros((1, 1)),
                "b": [0.0],
                "F": np.zeros((1, 1)),
                "c0": [0.0],
            },
            r"unknown names \['c0'\] for a rnn cell",
        ),
    ],
)
def test_bad_arrays_are_named(cls: type, arrays: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cls.from_arrays(**arrays)


def test_bad_settings_and_names() -> None:
    with pytest.raises(ValueError, match="linear_before_reset: expected True or False"):
        cells.GRUParams.random(2, 1, 1, linear_before_reset=0.5)
    with pytest.raises(ValueError, match="nonlinearity: expected 'tanh' or 'relu'"):
        cells.RNNParams.random(2, 1, 1, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"--cell: expected one of \['lstm', 'gru'"):
        cells.params_class("lstn", what="--cell")
    with pytest.raises(TypeError, match="params: expected the parameters of a cell"):
        cells.cell_reference(object(), np.zeros((2, 1)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected GRUParams, got RNNParams"):
        cells.gru_reference(_make("rnn", 2, 1, 0), np.zeros((2, 1)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"u: expected 2 columns"):
        cells.cell_reference(_make("gru", 2, 2, 0), np.zeros((3, 1)))


def test_random_is_seeded_and_float32_runs_in_float32() -> None:
    a = cells.GRUParams.random(3, 2, 1, seed=4)
    b = cells.GRUParams.random(3, 2, 1, seed=4)
    c = cells.GRUParams.random(3, 2, 1, seed=5)
    assert all(np.array_equal(a.arrays()[k], b.arrays()[k]) for k in a.keys())
    assert not np.array_equal(a.W, c.W)
    f = cells.PeepholeParams.random(2, 1, 1, dtype="float32")
    assert {v.dtype for v in f.arrays().values()} == {np.dtype(np.float32)}
    tr = cells.cell_reference(f, np.zeros((3, 1)), dtype="float32")
    assert tr.h.dtype == np.float32


def test_file_key_registry_matches_the_classes(tmp_path) -> None:
    from blocksim_lstm._cellfiles import FILE_KEYS, REQUIRED_KEYS

    assert REQUIRED_KEYS["lstm"] == set(bl.NPZ_KEYS)
    for name, cls in cells.CELLS.items():
        if name != "lstm":
            assert REQUIRED_KEYS[name] == set(cls.keys())
            assert FILE_KEYS[name] == set(cls.file_keys())
    gru = cells.GRUParams.random(2, 1, 1).save(tmp_path / "gru.npz")
    with pytest.raises(ValueError, match="holds GRU weights .* expected LSTM"):
        bl.LSTMParams.load(gru, what="--weights")
