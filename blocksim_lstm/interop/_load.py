"""Read any supported file: PyTorch, ONNX, Keras, or a weights ``.npz`` of any cell."""

from __future__ import annotations

import os
from pathlib import Path

from .._files import read_npz
from .._parameters import NPZ_KEYS
from ..cells import cell_of_file, load_cell, params_class
from ._gates import convert_arrays, parse_order
from ._keras import read_keras
from ._network import CELL_TITLES, ImportedNetwork, state_keys
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

# the gate order of a weights .npz of each cell (ours)
_NPZ_ORDER = {"lstm": "ifgo", "peephole": "ifgo", "gru": "rzn", "rnn": "h"}

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
    cell: str | None = None,
    nonlinearity: str | None = None,
) -> ImportedNetwork:
    """Read the recurrent layers of a PyTorch, ONNX, Keras or weights ``.npz`` file.

    Parameters
    ----------
    path
        ``.pt``/``.pth`` (state dict, checkpoint or module of an ``nn.LSTM``,
        ``nn.GRU`` or ``nn.RNN``), ``.onnx`` (``LSTM``, ``GRU`` or ``RNN``
        nodes), ``.keras`` (LSTM), or ``.npz`` (an LSTM's keys ``W, R, b, F,
        bF, h0, c0``, or another cell's as its ``save`` writes them). Another
        ending is read by its content when that is clear.
    trust
        PyTorch only: unpickle any class (see :func:`read_torch`).
    order, layout
        An LSTM ``.npz`` only: the gate order and layout the arrays are stored
        in (:func:`convert_arrays`); a framework's own file has a known order.
    zero_states
        Replace the initial states by zeros.
    cell
        The cell expected (``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``);
        None accepts the file's.
    nonlinearity
        PyTorch only: an ``nn.RNN``'s ``"tanh"`` or ``"relu"``, which a state
        dict does not store.

    Returns
    -------
    ImportedNetwork

    Raises
    ------
    ValueError
        A file of another kind, an unsupported model (named), layers of
        another cell than ``cell`` (the message names both), or options that
        do not apply.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"FILE: no such file {path}")
    if cell is not None:
        params_class(cell, what="--cell")
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
    if nonlinearity is not None and suffix not in (".pt", ".pth"):
        raise ValueError(
            f"--nonlinearity: applies to a PyTorch file only (its state dict does "
            f"not store an nn.RNN's); {path} is a {SUFFIXES[suffix]} file, which "
            "names its activation"
        )
    if suffix in (".pt", ".pth"):
        net = read_torch(path, trust=trust, nonlinearity=nonlinearity)
    elif suffix == ".onnx":
        net = read_onnx(path)
    elif suffix == ".keras":
        net = read_keras(path)
    else:
        net = _read_npz(path, order, layout)
    if cell is not None and net.cell != cell:
        raise ValueError(
            f"--cell: {path} holds {CELL_TITLES[net.cell]} layers ({net.kind}), "
            f"expected {CELL_TITLES[cell]} layers (--cell {cell}); use --cell "
            f"{net.cell}"
        )
    if zero_states:
        layers = tuple(
            p.replace(**{k: 0 * getattr(p, k) for k in state_keys(p)})
            for p in net.layers
        )
        net = ImportedNetwork(
            layers,
            net.source,
            net.kind,
            net.order,
            net.fc,
            (*net.notes, "initial states set to zero (--zero-states)"),
        )
    return net


def _read_npz(path: Path, order: str | None, layout: str) -> ImportedNetwork:
    """A weights ``.npz``: any cell's (by its keys), an LSTM's in any gate order."""
    kind = file_kind(path)
    if kind != "a numpy .npz archive":
        raise ValueError(f"FILE: {path} is {kind}, not a weights .npz")
    try:
        cell = cell_of_file(path, what="FILE")
    except ValueError:
        cell = "lstm"  # the LSTM reader names what is missing
    if cell != "lstm":
        if order is not None or layout != "rows":
            raise ValueError(
                f"--gate-order/--layout: apply to an LSTM's weights .npz only; "
                f"{path} holds {CELL_TITLES[cell]} weights"
            )
        p = load_cell(path, cell, what="FILE")
        return ImportedNetwork((p,), str(path), "weights .npz", _NPZ_ORDER[cell], "F")
    arrays = read_npz(path, "FILE", NPZ_KEYS, exact=True)
    src = parse_order(order or "ifgo", name="--gate-order")
    try:
        p = convert_arrays(arrays, order=src, layout=layout)
    except ValueError as exc:
        raise ValueError(f"FILE: {path}: {exc}") from exc
    notes = []
    if src != "ifgo" or layout != "rows":
        notes.append(f"read as gate order {src}, layout {layout}")
    return ImportedNetwork((p,), str(path), "weights .npz", src, "F", tuple(notes))
