"""Read a ``.bd`` model file and check it before bdsim sees it.

``bdload`` trusts its file: an unknown block type gives a ``NameError`` from
inside it, a wire to a missing socket a ``KeyError``, an ``"=expr"`` parameter
is evaluated as code. Every such problem is found here first and reported in
one line naming the file and the block.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

__all__ = ["ModelFileError", "check_model", "read_model"]


class ModelFileError(ValueError):
    """A model file that cannot be loaded; the message names the file and block."""


def _fail(path: Path, text: str) -> ModelFileError:
    return ModelFileError(f"{path}: {text}")


def _block_label(block: dict[str, Any]) -> str:
    title = block.get("title")
    kind = block.get("block_type")
    if isinstance(title, str):
        return f"block {title!r} ({kind})"
    return f"block id {block.get('id')!r} ({kind})"


def read_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a ``.bd`` file: JSON holding a ``blocks`` list and a ``wires`` list.

    Parameters
    ----------
    path
        The model file.

    Returns
    -------
    dict
        The parsed JSON.

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        A folder, not UTF-8, not JSON, or not a bdedit scene.
    """
    p = Path(path)
    if p.is_dir():
        raise _fail(p, "expected a .bd model file, got a folder")
    if not p.is_file():
        raise FileNotFoundError(f"model: no such file {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(p, "not a model file: not UTF-8 text") from None
    try:
        model = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            p,
            f"not a model file: not JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})",
        ) from None
    if not isinstance(model, dict):
        raise _fail(
            p, f"expected a JSON object (a bdedit scene), got {type(model).__name__}"
        )
    for key in ("blocks", "wires"):
        if not isinstance(model.get(key), list):
            raise _fail(p, f"expected a {key!r} list (a bdedit scene), found none")
    return model


def _socket_list(path: Path, block: dict[str, Any], key: str) -> list[dict[str, Any]]:
    sockets = block.get(key, [])
    if not isinstance(sockets, list) or not all(
        isinstance(s, dict)
        and isinstance(s.get("id"), int)
        and isinstance(s.get("index"), int)
        for s in sockets
    ):
        raise _fail(
            path,
            f"{_block_label(block)}: {key!r}: expected a list of sockets with "
            "integer 'id' and 'index'",
        )
    return sockets


def check_model(
    path: str | os.PathLike[str],
    model: dict[str, Any],
    known_types: Collection[str],
    ports: dict[str, tuple[int, int]],
) -> None:
    """Check a parsed model before ``bdload`` builds it.

    Parameters
    ----------
    path
        The file, for messages.
    model
        From :func:`read_model`.
    known_types
        The block types bdsim knows (its block library).
    ports
        Block type -> (inputs, outputs) for types with fixed port counts
        (negative: variable).

    Raises
    ------
    ModelFileError
        A block of unknown type, a duplicate or missing title, a parameter that
        needs code evaluation (``"=expr"``), a wire from or to a socket that is
        not there, an input with no wire or with two, a socket index a block
        does not have.
    """
    p = Path(path)
    outputs: dict[int, tuple[dict[str, Any], int]] = {}
    inputs: dict[int, tuple[dict[str, Any], int]] = {}
    titles: set[str] = set()
    for block in model["blocks"]:
        if not isinstance(block, dict) or not isinstance(block.get("block_type"), str):
            raise _fail(
                p, f"expected blocks with a 'block_type', got {str(block)[:60]}"
            )
        kind = block["block_type"]
        if kind == "MAIN":
            continue
        label = _block_label(block)
        if kind != "CONNECTOR":
            title = block.get("title")
            if not isinstance(title, str) or not title:
                raise _fail(p, f"{label}: expected a 'title' (the block's name)")
            if title in titles:
                raise _fail(
                    p, f"{label}: a second block with this title; names must differ"
                )
            titles.add(title)
            if kind not in known_types:
                raise _fail(
                    p,
                    f"{label}: unknown block type {kind!r}; bdsim's library and "
                    "blocksim-lstm's blocks (MATGAIN, SIGMOID, TANH, EPROD, AFFINE, "
                    "UNITDELAY, SEQUENCE, LOGGER) are known",
                )
            params = block.get("parameters", [])
            if not isinstance(params, list) or not all(
                isinstance(pv, list) and len(pv) == 2 and isinstance(pv[0], str)
                for pv in params
            ):
                raise _fail(p, f"{label}: 'parameters': expected [name, value] pairs")
            for name, value in params:
                if isinstance(value, str) and value.startswith("="):
                    raise _fail(
                        p,
                        f"{label}: parameter {name} = {value[:40]!r} is code to "
                        "evaluate; write its value (a number, or a list of rows) "
                        "so that the model loads without eval (bdrun --safe-eval)",
                    )
        nin, nout = ports.get(kind, (-1, -1))
        for key, table, count in (("inputs", inputs, nin), ("outputs", outputs, nout)):
            for s in _socket_list(p, block, key):
                if count >= 0 and not 0 <= s["index"] < count:
                    raise _fail(
                        p,
                        f"{label}: {key[:-1]} socket index {s['index']}, the block "
                        f"has {count} {key}",
                    )
                if s["id"] in inputs or s["id"] in outputs:
                    raise _fail(p, f"{label}: socket id {s['id']} is used twice")
                table[s["id"]] = (block, s["index"])
    fed: dict[int, int] = {}
    for k, wire in enumerate(model["wires"]):
        if not isinstance(wire, dict):
            raise _fail(
                p, f"wire {k}: expected an object with start_socket, end_socket"
            )
        start, end = wire.get("start_socket"), wire.get("end_socket")
        if start not in outputs:
            where = (
                f" (an input of {_block_label(inputs[start][0])})"
                if start in inputs
                else ""
            )
            to = f" to {_block_label(inputs[end][0])}" if end in inputs else ""
            raise _fail(
                p,
                f"wire {wire.get('id', k)}{to}: starts at socket {start!r}, which is "
                f"no block's output{where}",
            )
        if end not in inputs:
            where = (
                f" (an output of {_block_label(outputs[end][0])})"
                if end in outputs
                else ""
            )
            raise _fail(
                p,
                f"wire {wire.get('id', k)} from {_block_label(outputs[start][0])} "
                "output "
                f"{outputs[start][1]}: ends at socket {end!r}, which is no block's "
                f"input{where}",
            )
        if end in fed:
            block, index = inputs[end]
            raise _fail(p, f"{_block_label(block)}: input {index} has two wires")
        fed[end] = start
    for sid, (block, index) in inputs.items():
        if sid not in fed:
            raise _fail(p, f"{_block_label(block)}: input {index} has no wire")
