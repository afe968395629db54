"""Gate orders, layouts and the gate-order diagnosis (no optional package needed)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import interop
from blocksim_lstm.cli import main
from blocksim_lstm.interop._diagnose import expected_output
from blocksim_lstm.interop._gates import from_layout
from blocksim_lstm.interop._network import require
from blocksim_lstm.interop._sniff import file_kind

ORDERS = sorted(interop.all_orders())


def _stored(p: bl.LSTMParams, order: str, layout: str) -> dict[str, np.ndarray]:
    """Arrays as another framework would store them, built block by block."""
    blocks = {g: {a: p.gate(a, g) for a in "WRb"} for g in "ifgo"}
    src = interop.parse_order(order)

    def stack(a: str) -> np.ndarray:
        parts = [blocks[g][a] for g in src]
        if a != "b" and layout == "transposed-blocks":
            parts = [m.T for m in parts]
        m = np.concatenate(parts, axis=0)
        return m.T if a != "b" and layout == "columns" else m

    return {**p.arrays(), "W": stack("W"), "R": stack("R"), "b": stack("b")}


def test_onnx_order_by_hand():
    # distinct blocks named by their gate: the ONNX stack is [i; o; f; c]
    nn = 2
    blk = {g: np.full((nn, 3), k + 1.0) for k, g in enumerate("ifgo")}
    onnx_stack = np.concatenate([blk["i"], blk["o"], blk["f"], blk["g"]])
    ours = np.concatenate([blk["i"], blk["f"], blk["g"], blk["o"]])
    np.testing.assert_array_equal(interop.reorder_blocks(onnx_stack, "iofc"), ours)
    np.testing.assert_array_equal(
        interop.reorder_blocks(ours, "ifgo", "iofc"), onnx_stack
    )
    assert interop.parse_order("i, o, f, c") == "iofg"
    assert interop.parse_order("IJFO") == "igfo"
    assert "ONNX" in interop.describe_order("iofc")
    assert len(set(interop.all_orders())) == 24
    assert next(iter(interop.all_orders())) == "ifgo"


@pytest.mark.parametrize(
    "order",
    ["ifg", "iffo", "abcd", "ifgoo", 42],
    ids=["short", "dup", "bad", "long", "int"],
)
def test_bad_orders_are_refused(order):
    with pytest.raises(ValueError, match="order: expected"):
        interop.parse_order(order)  # type: ignore[arg-type]


@settings(max_examples=12, deadline=None)
@given(
    nn=st.integers(1, 4),
    ni=st.integers(1, 4),
    no=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    order=st.sampled_from(ORDERS),
    layout=st.sampled_from(interop.LAYOUTS),
)
def test_every_order_and_layout_round_trips(nn, ni, no, seed, order, layout):
    if layout == "transposed-blocks":
        ni = nn  # square W blocks only
    p = bl.LSTMParams.random(nn, ni, no, seed=seed)
    stored = _stored(p, order, layout)
    back = interop.convert_arrays(stored, order=order, layout=layout)
    for k in ("W", "R", "b", "F", "bF", "h0", "c0"):
        np.testing.assert_array_equal(getattr(back, k), getattr(p, k))
    # the permutation and its inverse
    fwd = interop.reorder_blocks(p.W, "ifgo", order)
    np.testing.assert_array_equal(interop.reorder_blocks(fwd, order), p.W)


@settings(max_examples=6, deadline=None)
@given(
    nn=st.integers(2, 4),
    seed=st.integers(0, 2**16),
    order=st.sampled_from(ORDERS),
    layout=st.sampled_from(("rows", "columns")),
)
def test_diagnosis_names_the_order_the_weights_are_in(nn, seed, order, layout):
    rng = np.random.default_rng(seed)
    p = bl.LSTMParams.random(nn, 3, 2, seed=seed)
    p = p.replace(W=2 * p.W - 1, R=2 * p.R - 1, b=2 * p.b - 1)
    u = rng.standard_normal((12, 3))
    y = bl.reference_cell(p, u).y
    d = interop.diagnose_gate_order(_stored(p, order, layout), u, y)
    if order == "ifgo" and layout == "rows":
        assert d.agrees and not d.matches
        assert "matches" in d.message()
    else:
        assert not d.agrees
        assert d.matches and d.matches[0].order == order
        assert d.matches[0].layout == layout
        assert d.matches[0].error <= 1e-12


def test_diagnosis_message_names_onnx_and_the_fix(rng):
    p = bl.LSTMParams.random(3, 2, 2, seed=5)
    u = rng.standard_normal((20, 2))
    y = bl.reference_cell(p, u).y.astype(np.float32)  # a float32 framework
    d = interop.diagnose_gate_order(_stored(p, "iofc", "rows"), u, y)
    msg = d.message("w.npz", "y.npy")
    assert "differs" in msg and "ONNX" in msg
    assert "blocksim-lstm import w.npz --gate-order iofc --out" in msg
    assert d.tol == pytest.approx(1e-4 * max(1, np.abs(y).max()))


def test_diagnosis_finds_zero_states_last_step_and_no_match(rng):
    p = bl.LSTMParams.random(3, 2, 2, seed=6)
    u = rng.standard_normal((15, 2))
    y0 = bl.reference_cell(p.replace(h0=np.zeros(3), c0=np.zeros(3)), u).y
    d = interop.diagnose_gate_order(p, u, y0)
    assert d.matches[0].zero_states and "--zero-states" in d.message()
    assert "zero initial states" in d.message()
    last = interop.diagnose_gate_order(p, u, bl.reference_cell(p, u).y[-1])
    assert last.agrees and last.steps == "the last step"
    none = interop.diagnose_gate_order(p, u, bl.reference_cell(p, u).y + 0.05)
    assert not none.agrees and not none.matches
    assert "None of the" in none.message() and "biases" in none.message()
    with pytest.raises(ValueError, match="expected the output of shape"):
        interop.diagnose_gate_order(p, u, np.zeros((14, 2)))


@pytest.mark.parametrize(
    "shape,last",
    [
        ((5, 2), False),
        ((1, 5, 2), False),
        ((5, 1, 2), False),
        ((2,), True),
        ((1, 2), True),
    ],
)
def test_expected_output_shapes(shape, last):
    y, is_last = expected_output(
        np.arange(np.prod(shape), dtype=float).reshape(shape), 5, 2
    )
    assert is_last == last and y.shape == ((2,) if last else (5, 2))
    with pytest.raises(ValueError, match=r"\(T, No\) = \(5, 2\).*got shape \(2, 5\)"):
        expected_output(np.zeros((2, 5)), 5, 2)
    with pytest.raises(ValueError, match="finite"):
        expected_output(np.full((5, 2), np.nan), 5, 2)


def test_transposed_blocks_need_square_blocks():
    with pytest.raises(ValueError, match="square gate blocks"):
        from_layout("W", np.zeros((8, 3)), "transposed-blocks")
    with pytest.raises(ValueError, match="layout: expected one of"):
        from_layout("W", np.zeros((8, 2)), "diagonal")


def test_file_kinds(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(2))
    np.savez(tmp_path / "b.npz", x=np.zeros(2))
    (tmp_path / "c.txt").write_text("hello")
    (tmp_path / "d.bin").write_bytes(b"\x00\xff\xfe\x01")
    (tmp_path / "e").write_bytes(b"")
    assert file_kind(tmp_path / "a.npy") == "a numpy .npy array"
    assert file_kind(tmp_path / "b.npz") == "a numpy .npz archive"
    assert file_kind(tmp_path / "c.txt") == "text"
    assert file_kind(tmp_path / "d.bin") == "unknown binary data"
    assert file_kind(tmp_path / "e") == "an empty file"
    assert file_kind(tmp_path) == "a folder"


def test_the_core_never_imports_the_frameworks():
    code = (
        "import sys, blocksim_lstm as bl, blocksim_lstm.interop, "
        "blocksim_lstm.cli.import_, blocksim_lstm.cli.export_, "
        "blocksim_lstm.cli.crosscheck; bl.LSTMParams.random(); "
        "print(sorted(m for m in ('torch', 'onnx', 'onnxruntime', 'keras') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module,extra", [("onnx", "onnx"), ("keras", "keras")])
def test_a_missing_extra_is_named(monkeypatch, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if missing
    with pytest.raises(ModuleNotFoundError, match=rf"blocksim-lstm\[{extra}\]"):
        require(module, extra)


def test_cli_missing_extra_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "onnx", None)
    f = tmp_path / "m.onnx"
    f.write_bytes(b"\x08\x07\x12\x00")
    assert main(["import", str(f), "--out", str(tmp_path / "w.npz")]) == 2
    err = capsys.readouterr().err
    assert "blocksim-lstm[onnx]" in err and err.count("\n") == 1
    assert not (tmp_path / "w.npz").exists()


def test_cli_npz_reorder_and_crosscheck_expect(tmp_path, capsys, rng):
    p = bl.LSTMParams.random(3, 2, 2, seed=7)
    u = rng.standard_normal((10, 2))
    np.save(tmp_path / "u.npy", u)
    np.save(tmp_path / "y.npy", bl.reference_cell(p, u).y)
    np.savez(tmp_path / "bad.npz", **_stored(p, "iofc", "columns"))
    args = ["crosscheck", "--weights", str(tmp_path / "bad.npz")]
    args += ["--input", str(tmp_path / "u.npy"), "--expect", str(tmp_path / "y.npy")]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "ONNX" in out and "--gate-order iofc --layout columns" in out
    assert main([*args, "--json"]) == 1
    d = json.loads(capsys.readouterr().out)["expect"]
    assert not d["agrees"] and d["max_abs"] is None  # W, R not in our shapes
    assert d["matches"][0]["order"] == "iofg" and d["matches"][0]["layout"] == "columns"
    fixed = tmp_path / "fixed.npz"
    cmd = ["import", str(tmp_path / "bad.npz"), "--gate-order", "iofc"]
    assert main([*cmd, "--layout", "columns", "--out", str(fixed)]) == 0
    q = bl.LSTMParams.load(fixed)
    np.testing.assert_array_equal(q.W, p.W)
    np.testing.assert_array_equal(q.R, p.R)
    args[2] = str(fixed)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "our output matches" in out


def test_cli_expect_bad_input(tmp_path, capsys, rng):
    p = bl.LSTMParams.random(3, 2, 2, seed=7)
    p.save(tmp_path / "w.npz")
    np.save(tmp_path / "u.npy", rng.standard_normal((10, 2)))
    (tmp_path / "y.npy").write_text("not an array")
    base = ["crosscheck", "--weights", str(tmp_path / "w.npz")]
    assert main([*base, "--expect", str(tmp_path / "y.npy")]) == 2
    assert "needs --weights W.npz and --input" in capsys.readouterr().err
    full = [*base, "--input", str(tmp_path / "u.npy"), "--expect"]
    assert main([*full, str(tmp_path / "y.npy")]) == 2
    assert "is not an .npy file" in capsys.readouterr().err
    np.save(tmp_path / "y2.npy", np.zeros((9, 2)))
    assert main([*full, str(tmp_path / "y2.npy")]) == 2
    err = capsys.readouterr().err
    assert "--expect: expected the output of shape (T, No) = (10, 2)" in err


def test_cli_import_refuses_output_equal_to_input(tmp_path, capsys):
    w = tmp_path / "w.npz"
    bl.LSTMParams.random(2, 1, 1).save(w)
    before = w.read_bytes()
    assert main(["import", str(w), "--out", str(w)]) == 2
    assert "also the input FILE" in capsys.readouterr().err
    assert w.read_bytes() == before
    (tmp_path / "x.weird").write_text("text")
    assert (
        main(["import", str(tmp_path / "x.weird"), "--out", str(tmp_path / "o.npz")])
        == 2
    )
    assert "is text; expected a PyTorch" in capsys.readouterr().err
    assert (
        main(
            ["import", str(w), "--gate-order", "abcd", "--out", str(tmp_path / "o.npz")]
        )
        == 2
    )
    assert "--gate-order: expected a permutation" in capsys.readouterr().err
