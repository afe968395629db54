"""Write a diagram as a ``.bd`` model file in bdedit's schema.

Nothing in bdsim writes a ``.bd`` from code; this module writes the JSON that
bdedit saves (a scene with blocks, their sockets and parameters, and wires from
socket to socket), so that bdedit opens it and ``bdload`` / ``bdrun`` run it.

Every parameter is a JSON value (numbers, lists of rows, plain strings), never
an ``"=expr"`` string: ``bdrun --safe-eval`` loads the file. The blocks that need
a clock take a sample period ``ts`` instead; matrix gains are ``MATGAIN`` (bdsim's
``GAIN`` would apply a list ``K`` element-wise). Positions come from the
diagram's layout, so the file opens looking like the package's picture.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["CREATED_BY", "FORMAT_NOTE", "model_dict", "model_text"]

CREATED_BY = "blocksim-lstm"
"""The ``created_by`` field of the files this module writes."""

FORMAT_NOTE = "bdedit scene (bdsim 1.4); written by blocksim-lstm, run with bdrun"

_SCALE = 100.0  # scene pixels per layout unit, across
_SCALE_Y = 150.0  # and down: room for bdedit's names drawn under the blocks
_LEFT, _RIGHT = 1, 3  # bdedit socket sides
_INPUT, _OUTPUT = 1, 2  # bdedit socket types
_WIRE_STEP = 3  # bdedit's orthogonal ("step") wires


def _rows(value: Any) -> Any:
    """An array as nested lists of Python floats (exact: JSON keeps repr digits)."""
    return np.asarray(value, dtype=float).tolist()


def _period(block: Any) -> float:
    clock = getattr(block, "_clock", None) or getattr(block, "clock", None)
    if clock is None:
        raise ValueError(f"block {block.name!r}: a sampled block without a clock")
    return float(clock.T)


def _block_spec(block: Any, steps: int | None, y_file: str | None) -> tuple[str, list]:
    """``(block_type, parameters)`` of one bdsim block in a model file."""
    kind = type(block).__name__
    if kind == "Gain":  # bdsim's GAIN, built with a matrix: our MATGAIN in a file
        K = np.asarray(block.K, dtype=float)
        if K.ndim != 2 or not getattr(block, "premul", False):
            raise ValueError(
                f"block {block.name!r}: only matrix gains K u (premul=True) can "
                f"be written, got K of shape {K.shape}, premul={block.premul}"
            )
        return "MATGAIN", [["K", _rows(K)]]
    if kind == "MatGain":
        return "MATGAIN", [["K", _rows(block.K)]]
    if kind == "Constant":
        return "CONSTANT", [["value", _rows(np.atleast_1d(block.value))]]
    if kind == "Sum":
        if block.mode is not None:
            raise ValueError(f"block {block.name!r}: SUM mode= cannot be written")
        return "SUM", [["signs", str(block.signs)]]
    if kind in ("Sigmoid", "Tanh", "EProd"):
        return kind.upper(), []
    if kind == "Affine":
        return "AFFINE", [["K", _rows(block.K)], ["bias", _rows(block.bias)]]
    if kind == "UnitDelay":
        return "UNITDELAY", [["x0", _rows(block._x0)], ["ts", _period(block)]]
    if kind == "Sequence":
        return "SEQUENCE", [["u", _rows(block.u)], ["ts", _period(block)]]
    if kind == "Logger":
        params: list[list[Any]] = []
        if y_file is not None:
            params.append(["file", y_file])
        if steps is not None:
            params.append(["steps", int(steps)])
        return "LOGGER", params
    raise ValueError(
        f"block {block.name!r}: no model-file form for a {kind} block; model files "
        "hold MATGAIN, CONSTANT, SUM, SIGMOID, TANH, EPROD, AFFINE, UNITDELAY, "
        "SEQUENCE and LOGGER blocks"
    )


def _geometry(layout: Any, block: Any, index: int) -> dict[str, Any]:
    """Top-left position and size in bdedit's scene (y down), from the layout."""
    nports = max(block.nin, block.nout, 1)
    height = max(60.0, 20.0 * nports + 40.0)
    width = 100.0
    if layout is None or block.name not in layout.boxes:
        return {
            "pos_x": float(150 * (index % 8)),
            "pos_y": float(150 * (index // 8)),
            "width": width,
            "height": height,
            "flipped": False,
        }
    x0, _, _, y1 = layout.bounds
    box = layout.boxes[block.name]
    width = max(width, round(_SCALE * box.w))
    return {
        "pos_x": float(round(_SCALE * (box.x - x0) - width / 2)),
        "pos_y": float(round(_SCALE_Y * (y1 - box.y) - height / 2)),
        "width": width,
        "height": height,
        "flipped": bool(box.flipped),
    }


def model_dict(
    diagram: Any,
    *,
    layout: Any = None,
    y_file: str | None = None,
    name: str = "",
) -> dict[str, Any]:
    """The ``.bd`` model of a diagram, as a JSON-ready dict (bdedit's schema).

    Parameters
    ----------
    diagram
        A diagram built by this package (:class:`~blocksim_lstm._diagram.LSTMDiagram`,
        one layer or stacked), or a loaded model: its blocks in ``bd.blocklist``,
        its wires in ``bd.wirelist``.
    layout
        A :class:`~blocksim_lstm.layout.Layout` giving each block's position
        (blocks it lacks are put on a grid).
    y_file
        The ``.npy`` file the ``To Workspace`` logger writes y to at the end of a
        run (relative paths are relative to the folder ``bdrun`` runs in).
    name
        The model's name, recorded in the file.

    Returns
    -------
    dict
        Keys ``id``, ``created_by``, ``creation_time``, ``simulation_time``,
        ``scene_width``, ``scene_height``, ``blocks``, ``wires``, ``labels``,
        ``grouping_boxes`` (bdedit's scene), and ``blocksim_lstm`` (name, steps,
        sample period; ignored by bdsim and bdedit).

    Raises
    ------
    ValueError
        A block has no model-file form; the message names it.
    """
    bd = getattr(diagram, "bd", diagram)
    u = getattr(diagram, "u", None)
    steps = None if u is None else int(np.shape(u)[0])
    ts = getattr(diagram, "ts", None)
    blocks: list[dict[str, Any]] = []
    out_ids: dict[tuple[int, int], int] = {}
    in_ids: dict[tuple[int, int], int] = {}
    next_id = 1
    for k, block in enumerate(bd.blocklist):
        block_type, params = _block_spec(block, steps, y_file)
        block_id = next_id
        next_id += 1
        geo = _geometry(layout, block, k)
        in_side, out_side = (_RIGHT, _LEFT) if geo["flipped"] else (_LEFT, _RIGHT)
        inputs, outputs = [], []
        for i in range(block.nin):
            in_ids[(id(block), i)] = next_id
            inputs.append(
                {
                    "id": next_id,
                    "index": i,
                    "multi_wire": False,
                    "position": in_side,
                    "socket_type": _INPUT,
                }
            )
            next_id += 1
        for i in range(block.nout):
            out_ids[(id(block), i)] = next_id
            outputs.append(
                {
                    "id": next_id,
                    "index": i,
                    "multi_wire": True,
                    "position": out_side,
                    "socket_type": _OUTPUT,
                }
            )
            next_id += 1
        blocks.append(
            {
                "id": block_id,
                "block_type": block_type,
                "title": block.name,
                **geo,
                "inputsNum": block.nin,
                "outputsNum": block.nout,
                "inputs": inputs,
                "outputs": outputs,
                "parameters": params,
            }
        )
    wires = []
    order = {id(b): k for k, b in enumerate(bd.blocklist)}
    # by destination (block order, port): bdload connects in that order, so a
    # loaded model writes the same text again
    for w in sorted(bd.wirelist, key=lambda w: (order[id(w.end.block)], w.end.port)):
        wires.append(
            {
                "id": next_id,
                "start_socket": out_ids[(id(w.start.block), w.start.port)],
                "end_socket": in_ids[(id(w.end.block), w.end.port)],
                "wire_type": _WIRE_STEP,
                "custom_routing": False,
                "wire_coordinates": [],
            }
        )
        next_id += 1
    sim_time = None if steps is None or ts is None else float(f"{steps * ts:.12g}")
    return {
        "id": 0,
        "created_by": CREATED_BY,
        "creation_time": "",
        "simulation_time": sim_time,
        "scene_width": 32000,
        "scene_height": 32000,
        "blocks": blocks,
        "wires": wires,
        "labels": [],
        "grouping_boxes": [],
        "blocksim_lstm": {
            "format": FORMAT_NOTE,
            "name": name,
            "steps": steps,
            "ts": None if ts is None else float(ts),
        },
    }


def model_text(
    diagram: Any,
    *,
    layout: Any = None,
    y_file: str | None = None,
    name: str = "",
) -> str:
    """The ``.bd`` model of a diagram as text (JSON, same bytes on every run).

    Each list of numbers (a row of a matrix, a vector) is on one line.

    Parameters
    ----------
    diagram
        As in :func:`model_dict`: a diagram of this package or a loaded model.
    layout
        The :class:`~blocksim_lstm.layout.Layout` placing the blocks, or None.
    y_file
        The ``.npy`` file the logger writes y to, or None.
    name
        The model's name, recorded in the file.

    Returns
    -------
    str
        The JSON text, ending in a newline.
    """
    return _dumps(model_dict(diagram, layout=layout, y_file=y_file, name=name))


_NUMBER_LIST = re.compile(r"\[\s*(-?[0-9][-+0-9.eE]*(?:,\s*-?[0-9][-+0-9.eE]*)*)\s*\]")


def _dumps(model: Mapping[str, Any]) -> str:
    """Indented JSON with each list of numbers (a row) on one line."""
    text = json.dumps(model, indent=2, ensure_ascii=False, allow_nan=False)
    text = _NUMBER_LIST.sub(
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text
    )
    return text + "\n"
