"""A sink that logs its input once per step (Simulink's "To Workspace")."""

from __future__ import annotations

from typing import Any

import numpy as np
from bdsim import SinkBlock

__all__ = ["Logger"]


class Logger(SinkBlock):
    r"""
    :blockname:`LOGGER`

    Logs its input, one row per step.

    bdsim may call a sink more than once at the same time; the logger keeps the
    last value per sample time. The t = 0 evaluation repeats step 0 (see
    :mod:`blocksim_lstm.blocks.sampled`) and is left out of :attr:`data`.

    :inputs: 1
    :outputs: 0
    :states: 0

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - logged signal
    """

    nin = 1
    nout = 0
    symbol = "log"

    def __init__(self, **blockargs: Any) -> None:
        super().__init__(nin=1, **blockargs)
        self._rows: dict[float, np.ndarray] = {}

    def start(self, simstate: Any = None) -> None:
        self._rows = {}

    def step(self, t: float, inputs: list[Any]) -> None:
        self._rows[float(t)] = np.array(inputs[0], dtype=float, ndmin=1)

    @property
    def data(self) -> np.ndarray:
        """Logged rows for t > 0 (steps 0 .. N-1), shape ``(steps, N)``."""
        rows = [v for t, v in sorted(self._rows.items()) if t > 0]
        if not rows:
            return np.empty((0, 0))
        return np.vstack(rows)
