"""What every report section gets: where to write, quick mode, the seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from .._figures import save_figure
from .precision import Bound

if TYPE_CHECKING:
    from ..studies.approximation import Approximation

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
    timings : speeds measured on the way (ms per epoch, ...): machine-dependent,
        so kept out of the report text and written to ``timings.json``.
    rounding : raw values of the rounding-level numbers the report states as
        bounds (:class:`~blocksim_lstm.report.precision.Bound`), by key;
        machine-dependent, written to ``rounding.json``.
    approximation : the seed plant's approximation study (experiment 2,
        :func:`blocksim_lstm.approximate`), for the sections after it.
    scheduler : where the sensitivity sweep runs: None (worker processes on
        this machine) or a Dask scheduler (``"local[:N]"``, an address, a
        ``distributed.Client``); the numbers are the same.
    """

    folder: Path
    quick: bool = False
    seed: int = 0
    log: Callable[[str], None] = print
    results: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    rounding: dict[str, float] = field(default_factory=dict)
    approximation: Approximation | None = None
    scheduler: object = None

    def bound(self, key: str, value: float, upper: float, lower: float = 0.0) -> Bound:
        """A rounding-level number: its raw value goes to ``rounding.json``.

        Parameters
        ----------
        key
            ``"<section>.<name>"``, the key in ``rounding.json``.
        value
            What was measured.
        upper, lower
            The bound fixed in advance (powers of ten), see
            :class:`~blocksim_lstm.report.precision.Bound`.
        """
        self.rounding[key] = float(value)
        return Bound(float(value), upper, lower)

    def save_figure(self, fig: Figure, name: str) -> str:
        """Save ``fig`` as ``figures/<name>.png`` and ``.svg``; return the PNG's path.

        The SVG is deterministic (fixed hash salt, no date), the PNG carries no
        time stamp, so the same seed gives the same files.

        Parameters
        ----------
        fig
            A matplotlib ``Figure`` (not registered in pyplot).
        name
            File name without suffix.
        """
        save_figure(fig, self.folder / "figures" / f"{name}.png")
        return f"figures/{name}.png"

    @property
    def figures(self) -> Path:
        """The folder figures go to (created on first use)."""
        path = self.folder / "figures"
        path.mkdir(parents=True, exist_ok=True)
        return path
