"""Which cell a weights file belongs to, from its keys.

Every cell's ``.npz`` holds its own set of keys (``b`` and ``c0`` for the LSTM,
``bW``/``bR`` for the GRU, ``P`` for the peephole LSTM, no ``c0`` for the RNN),
so a file says which cell it is. Both the LSTM's :class:`~blocksim_lstm.LSTMParams`
and the other cells' classes (:mod:`blocksim_lstm.cells`) read files through
:func:`read_cell_file`, which refuses another cell's file naming both cells.
(``tests/test_cells.py`` checks these key sets against the classes.)
"""

from __future__ import annotations

import os

import numpy as np

from ._files import read_npz

__all__ = ["FILE_KEYS", "REQUIRED_KEYS", "cell_of_keys", "read_cell_file"]

REQUIRED_KEYS: dict[str, frozenset[str]] = {
    "lstm": frozenset(("W", "R", "b", "F", "bF", "h0", "c0")),
    "gru": frozenset(("W", "R", "bW", "bR", "F", "bF", "h0")),
    "peephole": frozenset(("W", "R", "b", "P", "F", "bF", "h0", "c0")),
    "rnn": frozenset(("W", "R", "b", "F", "bF", "h0")),
}
"""Cell name -> the array keys its weights file must hold."""

FILE_KEYS: dict[str, frozenset[str]] = {
    **REQUIRED_KEYS,
    "gru": REQUIRED_KEYS["gru"] | {"linear_before_reset"},
    "rnn": REQUIRED_KEYS["rnn"] | {"relu"},
}
"""Cell name -> every key its weights file may hold (settings are optional)."""


def cell_of_keys(keys: set[str] | frozenset[str]) -> str | None:
    """The cell whose weights files hold exactly ``keys`` (settings optional).

    Parameters
    ----------
    keys
        The keys of an ``.npz`` file.

    Returns
    -------
    str or None
        ``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``, or None for no cell.
    """
    for name, required in REQUIRED_KEYS.items():
        if required <= keys <= FILE_KEYS[name]:
            return name
    return None


def read_cell_file(
    path: str | os.PathLike[str], what: str, cell: str
) -> dict[str, np.ndarray]:
    """Every array of a weights file of ``cell``; another cell's file is refused.

    Parameters
    ----------
    path
        The ``.npz`` file.
    what
        The file's role, the first word of every error message.
    cell
        The cell expected.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable ``.npz``; another cell's weights (the message names both
        cells and the option that reads it); keys that fit no cell.
    """
    found = read_npz(path, what, (), every=True)
    have = frozenset(found)
    kind = cell_of_keys(have)
    if kind == cell:
        return found
    want = sorted(REQUIRED_KEYS[cell])
    if kind is not None:
        raise ValueError(
            f"{what}: {path} holds {kind.upper()} weights (keys {sorted(have)}), "
            f"expected {cell.upper()} weights (keys {want}); "
            + (f"use --cell {kind}" if what.startswith("--") else f"use cell={kind!r}")
        )
    missing = sorted(REQUIRED_KEYS[cell] - have)
    extra = sorted(have - FILE_KEYS[cell])
    raise ValueError(
        f"{what}: {path} must hold the {cell.upper()} keys {want}; missing "
        f"{missing}, unexpected {extra}"
    )
