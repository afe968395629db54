"""File I/O shared by the package: atomic writes and checked ``.npz`` reads.

Every file the package writes goes through a temporary name, is flushed to disk,
and is renamed into place, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["read_npz", "savez_atomic", "write_atomic"]


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text or bytes) to ``path`` through a temporary file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def savez_atomic(path: str | os.PathLike[str], **arrays: Any) -> Path:
    """``numpy.savez`` to ``path`` through a temporary file (no pickles)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, allow_pickle=False, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_npz(
    path: str | os.PathLike[str],
    what: str,
    keys: Sequence[str],
    *,
    exact: bool = False,
) -> dict[str, np.ndarray]:
    """Read the arrays ``keys`` of an ``.npz`` file, with clear errors.

    Parameters
    ----------
    path
        The file.
    what
        What the file is (``"weights"``, ``"system"``, ``"data"``): the argument
        named in error messages.
    keys
        Keys the file must hold.
    exact
        Also refuse keys beyond ``keys``.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable ``.npz`` (pickles are refused), or wrong keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no such file {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            found = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{what}: {path} is not a readable .npz file") from exc
    missing = [k for k in keys if k not in found]
    extra = sorted(set(found) - set(keys)) if exact else []
    if missing or extra:
        raise ValueError(
            f"{what}: {path} must hold {'exactly ' if exact else ''}the keys "
            f"{list(keys)}; missing {missing}"
            + (f", unexpected {extra}" if exact else "")
        )
    return {k: found[k] for k in keys}
