"""ONNX: read a model of ``LSTM``, ``GRU`` or ``RNN`` nodes (+ ``Gemm`` or
``MatMul``/``Add``); write one of ``LSTM`` nodes.

The three operators share one layout, read by one function: a direction axis
first, ``W`` ``[num_directions, G H, I]``, ``R`` ``[num_directions, G H, H]``,
``B`` ``[num_directions, 2 G H]`` = ``[Wb, Rb]``, optional ``sequence_lens`` and
``initial_h`` ``[num_directions, batch, H]`` (G = 4, 3, 1 gate blocks). Each
has its own gate order and extras:

- ``LSTM``: blocks i, o, f, c (ours: i, f, g, o), ``Wb + Rb`` summed,
  ``initial_c``, peepholes ``P`` ``[num_directions, 3H]`` stored i, o, f (ours:
  i, f, o): non-zero peepholes give a peephole LSTM
  (:class:`~blocksim_lstm.cells.PeepholeParams`);
- ``GRU``: blocks z, r, h (ours: r, z, n), ``Wb`` and ``Rb`` kept apart (``bW``,
  ``bR``), ``linear_before_reset`` 0 or 1 kept;
- ``RNN``: one block, ``Wb + Rb`` summed, activation ``Tanh`` or ``Relu``.

One forward direction, the default activations (an RNN's ``Relu`` too), no
``clip`` and no ``input_forget`` are supported; anything else is refused,
naming the attribute and its value.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import write_atomic
from .._parameters import LSTMParams
from ._gates import reorder_blocks
from ._network import (
    ImportedNetwork,
    UnsupportedModelError,
    assemble,
    permute_blocks,
    require,
)
from ._sniff import file_kind

__all__ = ["ONNX_OPSET", "onnx_model", "read_onnx", "write_onnx"]

ONNX_OPSET = 17
"""Opset of the models :func:`write_onnx` writes."""

ONNX_ORDER = "iofg"

# operator -> (gate blocks, default activations, its gate order in our letters)
_RECURRENT: dict[str, tuple[int, tuple[str, ...], str]] = {
    "LSTM": (4, ("Sigmoid", "Tanh", "Tanh"), ONNX_ORDER),
    "GRU": (3, ("Sigmoid", "Tanh"), "zrn"),
    "RNN": (1, ("Tanh",), "h"),
}
_CELL_OF_OP = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}

# operators that only move data around or compute shapes: allowed anywhere
_PLUMBING = {
    "Identity",
    "Squeeze",
    "Unsqueeze",
    "Reshape",
    "Transpose",
    "Flatten",
    "Shape",
    "Slice",
    "Gather",
    "Concat",
    "Expand",
    "Cast",
    "Constant",
    "ConstantOfShape",
}
_FC_OPS = {"Gemm", "MatMul", "Add"}


def _attrs(node: Any) -> dict[str, Any]:
    onnx = require("onnx", "onnx")
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _text(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [_text(x) for x in v]
    return v


class _Graph:
    """Constants, producers and consumers of an ONNX graph."""

    def __init__(self, graph: Any):
        onnx = require("onnx", "onnx")
        nh = onnx.numpy_helper
        self.nodes = list(graph.node)
        self.consts: dict[str, np.ndarray] = {
            t.name: nh.to_array(t) for t in graph.initializer
        }
        for node in self.nodes:
            if node.op_type == "Constant" and "value" in _attrs(node):
                self.consts[node.output[0]] = nh.to_array(_attrs(node)["value"])
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[Any]] = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    def const(self, name: str) -> np.ndarray | None:
        """The value of ``name`` if constant (also through Identity, Cast, Expand)."""
        seen = 0
        while name not in self.consts and seen < 8:
            node = self.producer.get(name)
            if node is None or node.op_type not in ("Identity", "Cast", "Expand"):
                return None
            name = node.input[0]
            seen += 1
        value = self.consts.get(name)
        return None if value is None else np.asarray(value, dtype=np.float64)

    def downstream(self, node: Any) -> list[Any]:
        """Every node fed (directly or not) by ``node``'s outputs."""
        out, todo, seen = [], list(node.output), set()
        while todo:
            name = todo.pop()
            for n in self.consumers.get(name, []):
                if id(n) not in seen:
                    seen.add(id(n))
                    out.append(n)
                    todo.extend(n.output)
        return out


def _node_name(node: Any) -> str:
    return f"{node.op_type} {node.name!r}" if node.name else node.op_type


def _state(
    g: _Graph, node: Any, idx: int, label: str, hid: int, notes: list[str]
) -> np.ndarray:
    if len(node.input) <= idx or not node.input[idx]:
        return np.zeros(hid)
    value = g.const(node.input[idx])
    if value is None:
        notes.append(
            f"{label} of {_node_name(node)} is computed or given at run time: "
            "imported as zero"
        )
        return np.zeros(hid)
    rows = value.reshape(-1, hid) if value.size % hid == 0 else None
    if rows is None or not np.all(rows == rows[0]):
        raise UnsupportedModelError(
            f"{label} of {_node_name(node)} has shape {value.shape} with different "
            "rows per batch entry; one initial state per layer is supported"
        )
    return rows[0]


def _check_attributes(
    op: str, at: dict[str, Any], where: str, notes: list[str]
) -> None:
    """Refuse, by attribute and value, what our cells cannot represent."""
    direction = at.get("direction", "forward")
    if direction != "forward":
        raise UnsupportedModelError(
            f"{where}: direction={direction!r} is not supported (one forward "
            "direction only)"
        )
    default = list(_RECURRENT[op][1])
    allowed = [[a.lower() for a in default]] + ([["relu"]] if op == "RNN" else [])
    if "activations" in at and [a.lower() for a in at["activations"]] not in allowed:
        want = " or ".join(str(a) for a in [default] + ([["Relu"]] * (op == "RNN")))
        raise UnsupportedModelError(
            f"{where}: activations={at['activations']} is not supported (expected "
            f"{want})"
        )
    for key in ("activation_alpha", "activation_beta"):
        if key in at:
            notes.append(f"{key}={at[key]} ignored (unused by Sigmoid, Tanh, Relu)")
    if "clip" in at:
        raise UnsupportedModelError(
            f"{where}: clip={at['clip']} is not supported (our cells do not clip)"
        )
    if at.get("input_forget", 0):
        raise UnsupportedModelError(
            f"{where}: input_forget={at['input_forget']} (coupled input and forget "
            "gates) is not supported"
        )
    if at.get("linear_before_reset", 0) not in (0, 1):
        raise UnsupportedModelError(
            f"{where}: linear_before_reset={at['linear_before_reset']} is not "
            "supported (0 or 1)"
        )


def _recurrent_cell(
    g: _Graph, node: Any, source: str, notes: list[str]
) -> dict[str, Any]:
    """One ``LSTM``, ``GRU`` or ``RNN`` node as our arrays (gate order ours).

    Returns the arrays of the cell (``P`` for an LSTM: ours ``[Pi; Pf; Po]``,
    or None without peepholes) and its settings.
    """
    op = node.op_type
    gates, _, order = _RECURRENT[op]
    ours = {"LSTM": "ifgo", "GRU": "rzn", "RNN": "h"}[op]
    at = {k: _text(v) for k, v in _attrs(node).items()}
    where = f"{source}: {_node_name(node)}"
    _check_attributes(op, at, where, notes)
    ins = list(node.input) + [""] * (8 - len(node.input))
    W, R = g.const(ins[1]), g.const(ins[2])
    if W is None or R is None:
        raise ValueError(
            f"{where}: W and R must be constants (initializers); "
            f"{ins[1] if W is None else ins[2]!r} is computed or a graph input"
        )
    if (
        W.ndim != 3
        or W.shape[0] != 1
        or R.ndim != 3
        or R.shape[0] != 1
        or R.shape[1] != gates * R.shape[2]
        or W.shape[1] != R.shape[1]
    ):
        raise UnsupportedModelError(
            f"{where}: expected W [1, {gates}H, I] and R [1, {gates}H, H] (one "
            f"direction), got W {W.shape}, R {R.shape}"
        )
    hid = R.shape[2]
    if "hidden_size" in at and at["hidden_size"] != hid:
        raise ValueError(
            f"{where}: hidden_size={at['hidden_size']} but R has shape {R.shape}"
        )
    gh = gates * hid
    wb = rb = np.zeros(gh)
    if ins[3]:
        B = g.const(ins[3])
        if B is None or B.shape != (1, 2 * gh):
            raise ValueError(
                f"{where}: B must be a constant of shape [1, {2 * gh}], got "
                f"{'a computed value' if B is None else B.shape}"
            )
        wb, rb = B[0, :gh], B[0, gh:]
    if ins[4]:
        notes.append(
            "sequence_lens ignored: the diagram runs every step of one sequence"
        )

    def reorder(a: np.ndarray) -> np.ndarray:
        return permute_blocks(a, order, ours)

    out: dict[str, Any] = {
        "W": reorder(W[0]),
        "R": reorder(R[0]),
        "h0": _state(g, node, 5, "initial_h", hid, notes),
    }
    if op == "GRU":
        out.update(
            bW=reorder(wb),
            bR=reorder(rb),
            linear_before_reset=bool(at.get("linear_before_reset", 0)),
        )
        return out
    out["b"] = reorder(wb + rb)
    if op == "RNN":
        acts = at.get("activations", ["Tanh"])
        out["nonlinearity"] = "relu" if acts[0].lower() == "relu" else "tanh"
        return out
    out["c0"] = _state(g, node, 6, "initial_c", hid, notes)
    out["P"] = None
    if ins[7]:
        P = g.const(ins[7])
        if P is None or P.shape != (1, 3 * hid):
            raise ValueError(
                f"{where}: P must be a constant of shape [1, {3 * hid}], got "
                f"{'a computed value' if P is None else P.shape}"
            )
        if np.any(P):
            out["P"] = permute_blocks(P[0], "iof", "ifo")
        else:
            notes.append(f"{_node_name(node)}: all-zero peepholes P ignored")
    return out


def _fc(
    g: _Graph, last: Any, source: str
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """The FC layer after the last recurrent node: ``(F, bF, description)``."""
    after = g.downstream(last)
    found = []
    for n in after:
        if n.op_type not in ("Gemm", "MatMul"):
            continue
        consts = [i for i in n.input[:2] if g.const(i) is not None]
        if consts:
            found.append(n)
    if not found:
        return None, None, "none (F = I: the output is h)"
    if len(found) > 1:
        raise UnsupportedModelError(
            f"{source}: found {len(found)} dense layers after the {last.op_type} "
            f"({', '.join(_node_name(n) for n in found)}); one Gemm or MatMul + Add "
            "is supported"
        )
    n = found[0]
    if n.op_type == "Gemm":
        at = _attrs(n)
        if at.get("transA", 0):
            raise UnsupportedModelError(f"{source}: {_node_name(n)} with transA=1")
        B = g.const(n.input[1])
        if B is None or B.ndim != 2:
            raise UnsupportedModelError(
                f"{source}: {_node_name(n)}: expected a constant matrix B"
            )
        F = float(at.get("alpha", 1.0)) * (B if at.get("transB", 0) else B.T)
        bF = None
        if len(n.input) > 2 and n.input[2]:
            C = g.const(n.input[2])
            if C is None:
                raise UnsupportedModelError(
                    f"{source}: {_node_name(n)}: its bias C is not a constant"
                )
            bF = float(at.get("beta", 1.0)) * np.broadcast_to(C.ravel(), (F.shape[0],))
        return F, bF, f"{_node_name(n)} ({F.shape[1]} -> {F.shape[0]})"
    B = g.const(n.input[1])
    if B is None or B.ndim != 2:
        raise UnsupportedModelError(
            f"{source}: {_node_name(n)}: expected x @ W with a constant matrix W"
        )
    F = B.T
    bF = None
    desc = f"{_node_name(n)} ({F.shape[1]} -> {F.shape[0]})"
    for add in g.consumers.get(n.output[0], []):
        if add.op_type == "Add":
            other = [i for i in add.input if i != n.output[0]]
            C = g.const(other[0]) if other else None
            if C is not None:
                if C.size != F.shape[0]:
                    raise ValueError(
                        f"{source}: the bias of {_node_name(add)} has {C.size} "
                        f"entries, the FC layer {F.shape[0]} outputs"
                    )
                bF = C.ravel()
                desc += f" + {_node_name(add)}"
    return F, bF, desc


def read_onnx(path: str | os.PathLike[str]) -> ImportedNetwork:
    """Read the recurrent layers and the FC layer of an ONNX model.

    Parameters
    ----------
    path
        An ``.onnx`` file with one or more nodes of one of ``LSTM`` (with or
        without peepholes), ``GRU`` or ``RNN`` (forward, default activations;
        consecutive nodes are stacked layers) and, after the last, at most one
        ``Gemm`` or ``MatMul`` (+ ``Add``) with constant weights (the FC
        layer). ``W``, ``R``, ``B``, ``P`` must be constants (initializers);
        constant ``initial_h`` / ``initial_c`` (the same for every batch row)
        are the initial states.

    Returns
    -------
    ImportedNetwork
        Of LSTM, peephole LSTM (an LSTM with non-zero ``P``), GRU or RNN layers;
        gate blocks reordered to ours (LSTM: i, o, f, c -> i, f, g, o; ``P``:
        i, o, f -> i, f, o; GRU: z, r, h -> r, z, n).

    Raises
    ------
    ValueError
        Another kind of file; no recurrent node, or nodes of two kinds; an
        unsupported variant (the attribute and its value named); other
        operators (LayerNormalization, activations after the FC layer...); FC
        sizes that do not fit.
    ModuleNotFoundError
        onnx is missing (extra ``[onnx]``).
    """
    onnx = require("onnx", "onnx")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE: no such file {path}")
    kind = file_kind(path)
    if kind not in ("unknown binary data", "text"):
        raise ValueError(f"FILE: {path} is {kind}, not an ONNX model")
    try:
        model = onnx.load(str(path))
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ValueError(
            f"FILE: {path} is not a readable ONNX model ({type(exc).__name__})"
        ) from exc
    source = str(path)
    g = _Graph(model.graph)
    nodes = [n for n in g.nodes if n.op_type in _RECURRENT]
    if not nodes:
        ops = sorted({n.op_type for n in g.nodes})
        raise ValueError(
            f"FILE: {path} holds no LSTM, GRU or RNN node; its operators are {ops[:12]}"
        )
    kinds = sorted({n.op_type for n in nodes})
    if len(kinds) > 1:
        raise UnsupportedModelError(
            f"{source}: holds {' and '.join(kinds)} nodes; layers of one kind of "
            "cell are supported"
        )
    op = kinds[0]
    other = sorted({n.op_type for n in g.nodes} - _PLUMBING - _FC_OPS - {op})
    if other:
        raise UnsupportedModelError(
            f"{source}: the graph also holds {other} (supported: {op} nodes, then "
            "one Gemm or MatMul + Add, and shape operators)"
        )
    notes = [
        "biases: B = [Wb, Rb] kept apart (bW, bR)"
        if op == "GRU"
        else "biases: B = [Wb, Rb], Wb + Rb summed"
    ]
    cells = [_recurrent_cell(g, n, source, notes) for n in nodes]
    cell = _CELL_OF_OP[op]
    if op == "LSTM":
        if any(c["P"] is not None for c in cells):
            cell = "peephole"
            notes.append("peepholes: P stored i, o, f -> ours i, f, o")
        for c in cells:
            P = c.pop("P")
            if cell == "peephole":
                c["P"] = np.zeros(3 * c["R"].shape[1]) if P is None else P
    F, bF, fc_name = _fc(g, nodes[-1], source)
    layers = assemble(cells, F, bF, source=source, fc_name=fc_name, cell=cell)
    opset = next(
        (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0
    )
    return ImportedNetwork(
        tuple(layers),
        source,
        f"ONNX (opset {opset})",
        _RECURRENT[op][2],
        fc_name,
        tuple(dict.fromkeys(notes)),
    )


def onnx_model(
    params: LSTMParams | Sequence[LSTMParams], *, dtype: str = "float32"
) -> Any:
    """Our weights as an ONNX model: ``LSTM`` nodes and a ``Gemm``.

    Input ``u`` of shape ``[T, batch, Ni]`` (time first, ONNX's default
    layout), output ``y`` of shape ``[T, batch, No]``; the initial states are
    constants expanded to the batch.

    Parameters
    ----------
    params
        One layer, or stacked layers (layer k's Ni = layer k-1's Nn); the last
        layer's ``F``, ``bF`` become the Gemm.
    dtype
        ``"float32"`` (default: what onnxruntime's LSTM runs) or ``"float64"``.

    Returns
    -------
    onnx.ModelProto
        Checked by ``onnx.checker``.
    """
    onnx = require("onnx", "onnx")
    helper, nh, TP = onnx.helper, onnx.numpy_helper, onnx.TensorProto
    layers = [params] if isinstance(params, LSTMParams) else list(params)
    if not layers or not all(isinstance(p, LSTMParams) for p in layers):
        raise ValueError("params: expected an LSTMParams or a non-empty list of them")
    for k in range(1, len(layers)):
        if layers[k].ni != layers[k - 1].nn:
            raise ValueError(
                f"params: layer {k + 1} takes Ni={layers[k].ni}, layer {k} has "
                f"Nn={layers[k - 1].nn}"
            )
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    npdt = np.dtype(dtype)
    tp = TP.FLOAT if dtype == "float32" else TP.DOUBLE
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, a: Any, dt: Any = npdt) -> str:
        inits.append(nh.from_array(np.asarray(a, dtype=dt), name))
        return name

    i64 = np.int64
    nodes.append(helper.make_node("Shape", ["u"], ["u_shape"]))
    const("one", [1], i64)
    const("axis1", [1], i64)
    const("s0", [0], i64)
    const("s1", [1], i64)
    const("s2", [2], i64)
    nodes.append(helper.make_node("Slice", ["u_shape", "s1", "s2"], ["batch"]))
    nodes.append(helper.make_node("Slice", ["u_shape", "s0", "s2"], ["t_batch"]))
    x = "u"
    for k, p in enumerate(layers, start=1):
        H = p.nn
        W = reorder_blocks(p.W, "ifgo", ONNX_ORDER)[None]
        R = reorder_blocks(p.R, "ifgo", ONNX_ORDER)[None]
        B = np.concatenate([reorder_blocks(p.b, "ifgo", ONNX_ORDER), np.zeros(4 * H)])[
            None
        ]
        const(f"H{k}", [H], i64)
        nodes.append(
            helper.make_node(
                "Concat", ["one", "batch", f"H{k}"], [f"state_shape{k}"], axis=0
            )
        )
        for s, v in (("h", p.h0), ("c", p.c0)):
            const(f"{s}0_{k}", v[None, None, :])
            nodes.append(
                helper.make_node(
                    "Expand", [f"{s}0_{k}", f"state_shape{k}"], [f"initial_{s}{k}"]
                )
            )
        nodes.append(
            helper.make_node(
                "LSTM",
                [
                    x,
                    const(f"W{k}", W),
                    const(f"R{k}", R),
                    const(f"B{k}", B),
                    "",
                    f"initial_h{k}",
                    f"initial_c{k}",
                ],
                [f"Y{k}"],
                name=f"lstm{k}",
                hidden_size=H,
            )
        )
        nodes.append(helper.make_node("Squeeze", [f"Y{k}", "axis1"], [f"h{k}"]))
        x = f"h{k}"
    last = layers[-1]
    const("flat", [-1, last.nn], i64)
    const("No", [last.no], i64)
    nodes.append(helper.make_node("Reshape", [x, "flat"], ["h_flat"]))
    nodes.append(
        helper.make_node(
            "Gemm",
            ["h_flat", const("F", last.F), const("bF", last.bF)],
            ["y_flat"],
            name="fc",
            transB=1,
        )
    )
    nodes.append(helper.make_node("Concat", ["t_batch", "No"], ["y_shape"], axis=0))
    nodes.append(helper.make_node("Reshape", ["y_flat", "y_shape"], ["y"]))
    graph = helper.make_graph(
        nodes,
        "blocksim_lstm",
        [helper.make_tensor_value_info("u", tp, ["T", "batch", layers[0].ni])],
        [helper.make_tensor_value_info("y", tp, ["T", "batch", last.no])],
        inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
        producer_name="blocksim-lstm",
        doc_string=(
            "LSTM layers (ONNX gate order i, o, f, c) and a Gemm (the FC layer); "
            "input u [T, batch, Ni], output y [T, batch, No]"
        ),
    )
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    return model


def write_onnx(
    params: LSTMParams | Sequence[LSTMParams],
    path: str | os.PathLike[str],
    *,
    dtype: str = "float32",
) -> Path:
    """Write :func:`onnx_model` to ``path`` (atomically).

    Parameters
    ----------
    params
        One layer or stacked layers.
    path
        The ``.onnx`` file.
    dtype
        ``"float32"`` (default) or ``"float64"`` (onnxruntime's CPU LSTM runs
        float32 only).

    Returns
    -------
    Path
    """
    model = onnx_model(params, dtype=dtype)
    return write_atomic(Path(path), model.SerializeToString())
