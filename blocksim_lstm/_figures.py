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

__all__ = ["new_figure", "save_figure", "save_one"]


_RC: Any = {"svg.hashsalt": "blocksim-lstm", "svg.fonttype": "path"}
_META = {"png": {"Software": None}, "svg": {"Date": None}}


def new_figure(width: float = 8.0, height: float = 4.5) -> Figure:
    """A figure on the Agg canvas, independent of pyplot's global state.

    Parameters
    ----------
    width, height
        Size in inches.
    """
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

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        The PNG's file name (ending in ``.png``).
    dpi
        Resolution in dots per inch; None keeps the figure's own.
    svg
        Also write the SVG beside the PNG.

    Returns
    -------
    Path
        The PNG's path.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"path: expected a file name ending in .png, got {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    outputs = [(path, "png", _META["png"])]
    if svg:
        outputs.append((path.with_suffix(".svg"), "svg", _META["svg"]))
    with mpl.rc_context(_RC):
        for target, fmt, meta in outputs:
            with atomic_target(target) as tmp:
                fig.savefig(tmp, dpi=dpi or "figure", format=fmt, metadata=meta)
    return path


def save_one(
    fig: Any, path: str | os.PathLike[str], *, dpi: float | None = None
) -> Path:
    """Write ``fig`` to one file, PNG or SVG by the suffix of ``path``.

    Same bytes for the same figure (no time stamps, fixed SVG hash salt, text
    as paths), written through a temporary name and a rename.

    Parameters
    ----------
    fig
        A matplotlib figure.
    path
        File name ending in ``.png`` or ``.svg``.
    dpi
        Resolution in dots per inch; None keeps the figure's own.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        ``path`` ends in neither ``.png`` nor ``.svg``.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in _META:
        raise ValueError(
            f"path: expected a file name ending in .png or .svg, got {str(path)!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(_RC), atomic_target(path) as tmp:
        fig.savefig(tmp, dpi=dpi or "figure", format=fmt, metadata=_META[fmt])
    return path
