"""Headless matplotlib figures, written atomically as PNG and SVG.

Every figure the package saves goes through :func:`save_figure`: a PNG (for
viewing) and an SVG beside it (for papers), both without time stamps and with a
fixed SVG hash salt, so the same data give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._files import atomic_target

__all__ = ["new_figure", "save_figure"]


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A figure on the Agg canvas, independent of pyplot's global state."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(
    fig: Any,
    path: str | os.PathLike[str],
    *,
    dpi: float | None = 120,
    svg: bool = True,
) -> Path:
    """Write ``fig`` to ``path`` (PNG) and, if ``svg``, beside it as ``.svg``.

    ``dpi=None`` keeps the figure's own resolution. SVG text is drawn as paths,
    so the file looks the same without our fonts.

    Each file goes through a temporary name and a rename, so an interrupted run
    never leaves half a picture.

    Returns
    -------
    Path
        The PNG's path.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path: expected a file name ending in .png, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs = [(path, "png", {"Software": None})]
    if svg:
        outputs.append((path.with_suffix(".svg"), "svg", {"Date": None}))
    with mpl.rc_context({"svg.hashsalt": "blocksim-lstm", "svg.fonttype": "path"}):
        for target, fmt, meta in outputs:
            with atomic_target(target) as tmp:
                fig.savefig(tmp, dpi=dpi or "figure", format=fmt, metadata=meta)
    return path
