"""Figures of a training run (headless; saved with `figures.save_figure`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .._figures import new_figure

__all__ = ["plot_loss", "plot_sweep"]

Row = dict[str, Any]
_MAX_POINTS = 20_000


def _rolling_median(x: np.ndarray, window: int) -> np.ndarray:
    if x.size < window:
        return x.copy()
    from numpy.lib.stride_tricks import sliding_window_view

    med = np.median(sliding_window_view(x, window), axis=1)
    return np.concatenate([np.full(window - 1, np.nan), med])


def plot_loss(
    losses: np.ndarray,
    *,
    title: str = "Training loss",
    reference: float | None = None,
    reference_label: str = "reference",
    original: Mapping[int, float] | None = None,
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
    original
        Optional ``{epoch: loss}`` points of the original's log, drawn as crosses.

    Returns
    -------
    matplotlib.figure.Figure
    """
    losses = np.asarray(losses, dtype=float)
    # at most _MAX_POINTS drawn (every step-th epoch): memory and time stay
    # bounded for any history length; the start and best points use them all
    step = max(1, -(-losses.size // _MAX_POINTS))
    epochs = np.arange(1, losses.size + 1, step)
    shown = losses[::step]
    fig = new_figure(7.5, 4.2)
    ax = fig.add_subplot()
    ax.semilogy(epochs, shown, lw=0.6, color="C0", alpha=0.35, label="loss (MSE)")
    window = max(1, min(100, shown.size // 20))
    if window > 1:
        ax.semilogy(
            epochs,
            _rolling_median(shown, window),
            lw=1.8,
            color="C0",
            label=f"running median ({window * step} epochs)",
        )
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
    if original:
        ax.plot(
            list(original),
            list(original.values()),
            "kx",
            ms=9,
            mew=2,
            label="the original's log",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean squared error")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return fig


def plot_sweep(rows: Sequence[Row]) -> Figure:
    """Final loss against drop factor, one line per random start (seed).

    Parameters
    ----------
    rows
        Sweep rows with ``drop_factor``, ``seed`` and ``final_loss``.
    """
    factors = sorted({r["drop_factor"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    fig = new_figure(7.5, 4.5)
    ax = fig.add_subplot()
    for k, seed in enumerate(seeds):
        pts = sorted(
            (r["drop_factor"], r["final_loss"])
            for r in rows
            if r["seed"] == seed and isinstance(r.get("final_loss"), float)
        )
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.semilogy(
                xs, ys, "o-", color=f"C{k % 10}", lw=0.8, ms=5, label=f"seed {seed}"
            )
    ax.set_xticks(factors, [f"{f:g}" for f in factors])
    ax.set_xlabel("learning-rate drop factor")
    ax.set_ylabel("final loss (MSE)")
    ax.set_title(
        f"Final loss by drop factor, one line per random start ({len(rows)} runs)"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncols=2, loc="best")
    return fig
