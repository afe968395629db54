"""Render diagram layouts with matplotlib: SVG and PNG, deterministic bytes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["save_figure"]


def save_figure(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Save a matplotlib figure atomically and reproducibly (PNG or SVG).

    SVG ids use a fixed hash salt and no date; PNG carries no software/date
    metadata. The file is written to a temporary name, then renamed.
    """
    import matplotlib

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"path: expected a .png or .svg file name, got {path}")
    tmp = path.with_name(path.name + ".tmp")
    with matplotlib.rc_context(
        {"svg.hashsalt": "blocksim-lstm", "svg.fonttype": "path"}
    ):
        meta = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(tmp, format=fmt, metadata=meta)
    os.replace(tmp, path)
    return path
