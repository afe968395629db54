"""Gate orders and weight layouts: how frameworks stack the four gate blocks.

Ours (and PyTorch's, Keras's, MATLAB's) gate order is i, f, g, o. The cell
candidate ``g`` is called ``c`` by ONNX and Keras, ``j`` by TensorFlow 1; both
letters are accepted here. An order names the gate held by each row block of
the stored ``W``, ``R`` and ``b``, first block first: ONNX stores ``"iofc"``.

A layout says how a stored matrix is arranged:

- ``"rows"``: ours, ``W`` of shape ``(4Nn, Ni)``, the gate blocks stacked as rows;
- ``"columns"``: the whole matrix transposed, ``(Ni, 4Nn)`` (Keras's kernel);
- ``"transposed-blocks"``: rows of blocks, each block transposed
  (``[Wi^T; Wf^T; ...]``, possible only for a square block: ``R`` always,
  ``W`` when ``Ni == Nn``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import numpy as np
from numpy.typing import ArrayLike

from .._parameters import GATES, LSTMParams

__all__ = [
    "KNOWN_ORDERS",
    "LAYOUTS",
    "all_orders",
    "convert_arrays",
    "describe_order",
    "from_layout",
    "parse_order",
    "reorder_blocks",
]

LAYOUTS: tuple[str, str, str] = ("rows", "columns", "transposed-blocks")
"""Layouts of a stored ``W`` or ``R`` (see the module docstring)."""

KNOWN_ORDERS: dict[str, str] = {
    "ifgo": "PyTorch, Keras, MATLAB, cuDNN: ours",
    "iofg": "ONNX's i, o, f, c",
    "igfo": "TensorFlow 1's i, j, f, o",
    "ifog": "Caffe's i, f, o, g",
}
"""Gate orders with a name, in our letters (``g`` for the cell candidate)."""

_ALIASES = {"c": "g", "j": "g"}


def parse_order(order: str, *, name: str = "order") -> str:
    """Normalize a gate order to our letters: ``"iofc"`` -> ``"iofg"``.

    Parameters
    ----------
    order
        Four letters, a permutation of i, f, g, o; ``c`` or ``j`` stand for
        ``g``; commas and spaces are ignored (``"i, o, f, c"``).
    name
        The argument named in error messages.

    Returns
    -------
    str
        Four letters of ``"ifgo"``.

    Raises
    ------
    ValueError
        Not a permutation of the four gates.
    """
    if not isinstance(order, str):
        raise ValueError(
            f"{name}: expected four gate letters like 'iofc', got {order!r}"
        )
    letters = [c for c in order.lower() if c not in ", "]
    norm = "".join(_ALIASES.get(c, c) for c in letters)
    if len(norm) != 4 or sorted(norm) != sorted("ifgo"):
        raise ValueError(
            f"{name}: expected a permutation of the gates i, f, g (or c), o, such as "
            f"'ifgo' (PyTorch) or 'iofc' (ONNX), got {order!r}"
        )
    return norm


def describe_order(order: str) -> str:
    """``"iofg"`` -> ``"i, o, f, g (ONNX's i, o, f, c)"``.

    Parameters
    ----------
    order
        Any order :func:`parse_order` accepts.
    """
    norm = parse_order(order)
    text = ", ".join(norm)
    known = KNOWN_ORDERS.get(norm)
    return f"{text} ({known})" if known else text


def all_orders() -> Iterator[str]:
    """The 24 gate orders, ours (``"ifgo"``) first, then the named ones."""
    first = list(KNOWN_ORDERS)
    yield from first
    for perm in itertools.permutations("ifgo"):
        s = "".join(perm)
        if s not in first:
            yield s


def reorder_blocks(a: np.ndarray, source: str, target: str = "ifgo") -> np.ndarray:
    """Permute the four gate blocks along axis 0 of ``a``.

    Parameters
    ----------
    a : ndarray, shape ``(4Nn, ...)``
        Blocks stacked in the order ``source``.
    source, target
        Gate orders (:func:`parse_order`).

    Returns
    -------
    ndarray, shape ``(4Nn, ...)``
        A new array with the blocks in the order ``target``.
    """
    src = parse_order(source, name="source")
    dst = parse_order(target, name="target")
    a = np.asarray(a)
    if a.ndim < 1 or a.shape[0] % 4:
        raise ValueError(
            f"a: expected 4Nn rows (four gate blocks), got shape {a.shape}"
        )
    nn = a.shape[0] // 4
    blocks = {g: a[k * nn : (k + 1) * nn] for k, g in enumerate(src)}
    return np.concatenate([blocks[g] for g in dst], axis=0)


def from_layout(
    name: str, a: np.ndarray, layout: str, nn: int | None = None
) -> np.ndarray:
    """A stored ``W`` or ``R`` in ``layout`` as our ``(4Nn, n)`` rows of blocks.

    Parameters
    ----------
    name
        ``"W"`` or ``"R"``, for messages.
    a : ndarray, 2-D
        The stored matrix.
    layout
        One of :data:`LAYOUTS`.
    nn
        Units Nn when known (needed to check a transposed-blocks layout).

    Returns
    -------
    ndarray, shape ``(4Nn, n)``

    Raises
    ------
    ValueError
        ``a`` cannot be in ``layout`` (the message names the shapes).
    """
    a = np.asarray(a)
    if layout not in LAYOUTS:
        raise ValueError(f"layout: expected one of {LAYOUTS}, got {layout!r}")
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a matrix, got shape {a.shape}")
    if layout == "rows":
        return a
    if layout == "columns":
        return a.T
    rows, cols = a.shape
    if rows % 4 or (nn is not None and rows != 4 * nn) or rows // 4 != cols:
        raise ValueError(
            f"{name}: a transposed-blocks layout needs square gate blocks, "
            f"shape (4n, n), got shape {a.shape}"
        )
    n = rows // 4
    return np.concatenate([a[k * n : (k + 1) * n].T for k in range(4)], axis=0)


def convert_arrays(
    arrays: Mapping[str, ArrayLike],
    *,
    order: str = "ifgo",
    layout: str = "rows",
    zero_states: bool = False,
) -> LSTMParams:
    """Our parameters from arrays stored in another gate order or layout.

    Parameters
    ----------
    arrays
        ``W, R, b, F`` and optionally ``bF, h0, c0`` (an ``.npz``'s keys).
    order
        The gate order of the stored blocks (:func:`parse_order`), e.g.
        ``"iofc"`` for weights copied from ONNX.
    layout
        How ``W`` and ``R`` are stored (:data:`LAYOUTS`). ``F`` stored as
        ``(Nn, No)`` is transposed whenever its shape says so.
    zero_states
        Replace ``h0`` and ``c0`` by zeros.

    Returns
    -------
    LSTMParams
        float64, gate order i, f, g, o.

    Raises
    ------
    ValueError
        A missing array, or shapes that do not fit ``layout``.
    """
    missing = [k for k in ("W", "R", "b", "F") if k not in arrays]
    if missing:
        raise ValueError(f"arrays: missing {missing}; expected W, R, b, F")
    src = parse_order(order, name="order")
    R = from_layout("R", np.asarray(arrays["R"], dtype=float), layout)
    if R.ndim != 2 or R.shape[0] != 4 * R.shape[1]:
        raise ValueError(
            f"R: expected shape (4Nn, Nn) in layout {layout!r}, got stored shape "
            f"{np.shape(arrays['R'])}"
        )
    nn = R.shape[1]
    W = from_layout("W", np.asarray(arrays["W"], dtype=float), layout, nn)
    if W.shape[0] != 4 * nn:
        raise ValueError(
            f"W: expected shape (4Nn, Ni) = ({4 * nn}, Ni) in layout {layout!r}, got "
            f"stored shape {np.shape(arrays['W'])}"
        )
    F = np.asarray(arrays["F"], dtype=float)
    if F.ndim == 2 and F.shape[1] != nn and F.shape[0] == nn:
        F = F.T
    b = np.asarray(arrays["b"], dtype=float).ravel()
    h0 = None if zero_states else arrays.get("h0")
    c0 = None if zero_states else arrays.get("c0")
    return LSTMParams.from_arrays(
        reorder_blocks(W, src),
        reorder_blocks(R, src),
        reorder_blocks(b, src),
        F,
        arrays.get("bF"),
        h0,
        c0,
    )


def _check_gates_constant() -> None:  # pragma: no cover - import-time guard
    if "".join(GATES) != "ifgo":
        raise RuntimeError(f"parameters.GATES changed to {GATES}; update interop")


_check_gates_constant()
