"""Figures of a training run (headless; saved with `figures.save_figure`)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..figures import new_figure

__all__ = ["plot_loss"]


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
    fig = new_figure(7.5, 4.2)
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
