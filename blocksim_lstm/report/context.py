"""What every report section gets: where to write, quick mode, the seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = ["ReportContext"]


@dataclass
class ReportContext:
    """Shared state of one report run.

    Attributes
    ----------
    folder : the (temporary) report folder being written.
    quick : fewer epochs and smaller studies, for tests and demos.
    seed : seed of every random thing in the report.
    log : prints one progress line.
    results : numbers one section hands to a later one (e.g. the claims table).
    """

    folder: Path
    quick: bool = False
    seed: int = 0
    log: Callable[[str], None] = print
    results: dict[str, object] = field(default_factory=dict)

    def save_figure(self, fig: Figure, name: str) -> str:
        """Save ``fig`` as ``figures/<name>.png`` and ``.svg``; return the PNG's path.

        The SVG is deterministic (fixed hash salt, no date), the PNG carries no
        time stamp, so the same seed gives the same files.
        """
        figdir = self.folder / "figures"
        figdir.mkdir(parents=True, exist_ok=True)
        with plt.rc_context({"svg.hashsalt": "blocksim-lstm"}):
            fig.savefig(figdir / f"{name}.png", dpi=120, metadata={"Software": None})
            fig.savefig(figdir / f"{name}.svg", metadata={"Date": None})
        plt.close(fig)
        return f"figures/{name}.png"
