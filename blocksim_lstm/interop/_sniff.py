"""What kind of file is this? For error messages that name what was found."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

__all__ = ["file_kind"]


def file_kind(path: str | os.PathLike[str]) -> str:
    """A short description of what ``path`` holds, read from its first bytes.

    Returns one of ``"a PyTorch file"``, ``"a Keras .keras archive"``,
    ``"a numpy .npz archive"``, ``"a zip archive"``, ``"a numpy .npy array"``,
    ``"an HDF5 file"``, ``"a pickle"``, ``"text"``, ``"an empty file"``,
    ``"a folder"`` or ``"unknown binary data"``.
    """
    path = Path(path)
    if path.is_dir():
        return "a folder"
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not head:
        return "an empty file"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return "a damaged zip archive"
        if any(n.endswith("data.pkl") for n in names):
            return "a PyTorch file"
        if "config.json" in names and any(n.endswith(".h5") for n in names):
            return "a Keras .keras archive"
        if names and all(n.endswith(".npy") for n in names):
            return "a numpy .npz archive"
        return "a zip archive"
    if head.startswith(b"\x93NUMPY"):
        return "a numpy .npy array"
    if head.startswith(b"\x89HDF"):
        return "an HDF5 file"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a pickle"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown binary data"
    return "text"
