"""Read any supported file: PyTorch, ONNX, Keras, or a weights ``.npz``."""

from __future__ import annotations

import os
from pathlib import Path

from .._files import read_npz
from .._parameters import NPZ_KEYS
from ._gates import convert_arrays, parse_order
from ._keras import read_keras
from ._network import ImportedNetwork
from ._onnx import read_onnx
from ._sniff import file_kind
from ._torch import read_torch

__all__ = ["SUFFIXES", "read_network"]

SUFFIXES: dict[str, str] = {
    ".pt": "PyTorch",
    ".pth": "PyTorch",
    ".onnx": "ONNX",
    ".keras": "Keras",
    ".npz": "weights .npz",
}
"""File name endings :func:`read_network` reads, and what they hold."""

_BY_CONTENT = {
    "a PyTorch file": ".pt",
    "a pickle": ".pt",
    "a Keras .keras archive": ".keras",
    "a numpy .npz archive": ".npz",
}


def read_network(
    path: str | os.PathLike[str],
    *,
    trust: bool = False,
    order: str | None = None,
    layout: str = "rows",
    zero_states: bool = False,
) -> ImportedNetwork:
    """Read the LSTM layers of a PyTorch, ONNX, Keras or weights ``.npz`` file.

    Parameters
    ----------
    path
        ``.pt``/``.pth`` (state dict, checkpoint or module), ``.onnx``,
        ``.keras``, or ``.npz`` (keys ``W, R, b, F, bF, h0, c0``). Another
        ending is read by its content when that is clear.
    trust
        PyTorch only: unpickle any class (see :func:`read_torch`).
    order, layout
        ``.npz`` only: the gate order and layout the arrays are stored in
        (:func:`convert_arrays`); a framework's own file has a known order.
    zero_states
        Replace the initial states by zeros.

    Returns
    -------
    ImportedNetwork

    Raises
    ------
    ValueError
        A file of another kind, an unsupported model (named), or options that
        do not apply.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"FILE: no such file {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        kind = file_kind(path)
        guess = _BY_CONTENT.get(kind)
        if guess is None:
            raise ValueError(
                f"FILE: {path} is {kind}; expected a PyTorch .pt/.pth, an .onnx, a "
                "Keras .keras or a weights .npz file"
            )
        suffix = guess
    if suffix != ".npz" and (order is not None or layout != "rows"):
        raise ValueError(
            f"--gate-order/--layout: apply to a weights .npz only; {path} is a "
            f"{SUFFIXES[suffix]} file whose gate order is known"
        )
    if suffix in (".pt", ".pth"):
        net = read_torch(path, trust=trust)
    elif suffix == ".onnx":
        net = read_onnx(path)
    elif suffix == ".keras":
        net = read_keras(path)
    else:
        kind = file_kind(path)
        if kind != "a numpy .npz archive":
            raise ValueError(f"FILE: {path} is {kind}, not a weights .npz")
        arrays = read_npz(path, "FILE", NPZ_KEYS, exact=True)
        src = parse_order(order or "ifgo", name="--gate-order")
        try:
            p = convert_arrays(arrays, order=src, layout=layout)
        except ValueError as exc:
            raise ValueError(f"FILE: {path}: {exc}") from exc
        notes = []
        if src != "ifgo" or layout != "rows":
            notes.append(f"read as gate order {src}, layout {layout}")
        net = ImportedNetwork((p,), str(path), "weights .npz", src, "F", tuple(notes))
    if zero_states:
        layers = tuple(p.replace(h0=0 * p.h0, c0=0 * p.c0) for p in net.layers)
        net = ImportedNetwork(
            layers,
            net.source,
            net.kind,
            net.order,
            net.fc,
            (*net.notes, "initial states set to zero (--zero-states)"),
        )
    return net
