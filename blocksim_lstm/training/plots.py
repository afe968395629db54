"""Figures of a training run (matplotlib, Agg-safe), saved atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_loss", "save_figure"]


def plot_loss(
    losses: np.ndarray,
    *,
    title: str = "Training loss",
    reference: float | None = None,
    reference_label: str = "reference",
) -> Figure:
    """Loss history on a log scale, with the start and the best point marked.

    Parameters
    ----------
    losses : ndarray, shape ``(epochs,)``
        Loss before each epoch's update.
    title
        Figure title.
    reference
        Optional horizontal line (e.g. the calculated weights' loss).
    reference_label
        Its legend label.

    Returns
    -------
    matplotlib.figure.Figure
    """
    losses = np.asarray(losses, dtype=float)
    epochs = np.arange(1, losses.size + 1)
    fig = Figure(figsize=(7.5, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.semilogy(epochs, losses, lw=1.0, color="C0", label="loss (MSE)")
    best = int(np.nanargmin(losses))
    ax.plot(1, losses[0], "o", color="C2", ms=7, label=f"start {losses[0]:.4g}")
    ax.plot(
        best + 1,
        losses[best],
        "*",
        color="C3",
        ms=11,
        label=f"best {losses[best]:.4g} (epoch {best + 1})",
    )
    if reference is not None:
        ax.axhline(
            reference,
            color="0.4",
            ls="--",
            lw=1.0,
            label=f"{reference_label} {reference:.4g}",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` as PNG to ``path`` through a temporary file (atomic)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png", dpi=dpi)
    os.replace(tmp, path)
    return path
