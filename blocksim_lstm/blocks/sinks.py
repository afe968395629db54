"""A sink that logs its input once per step (Simulink's "To Workspace")."""

from __future__ import annotations

import io
import os
import sys
from typing import Any

import numpy as np
from bdsim import SinkBlock

__all__ = ["Logger"]


class Logger(SinkBlock):
    r"""
    :blockname:`LOGGER`

    Logs its input, one row per step, and can write the rows to an ``.npy`` file.

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

    def __init__(
        self, file: str | None = None, steps: int | None = None, **blockargs: Any
    ) -> None:
        """
        :param file: an .npy file the rows are written to when the run has logged
            steps rows (or at its end, when bdsim calls done)
        :type file: str
        :param steps: keep the first steps rows (the input's length)
        :type steps: int
        """
        super().__init__(nin=1, **blockargs)
        if file is not None and (not isinstance(file, str) or not file):
            raise ValueError(
                f"block {self.name!r}: file: expected a path, got {file!r}"
            )
        if steps is not None and (
            isinstance(steps, bool) or not isinstance(steps, int) or steps < 1
        ):
            raise ValueError(
                f"block {self.name!r}: steps: expected an integer >= 1, got {steps!r}"
            )
        # private: not graph parameters of the code-built diagrams
        self._file = file
        self._steps = steps
        self._rows: dict[float, np.ndarray] = {}
        self._written = False

    def start(self, simstate: Any = None) -> None:
        self._rows = {}
        self._written = False

    def step(self, t: float, inputs: list[Any]) -> None:
        t = float(t)
        new = t not in self._rows
        self._rows[t] = np.array(inputs[0], dtype=float, ndmin=1)
        # bdsim calls done() only when graphics are on: with steps known, the
        # file is written as soon as the last step is logged
        if new and self._file is not None and self._steps is not None:
            if sum(1 for s in self._rows if s > 0) == self._steps:
                _write_rows(self, self._file)
                self._written = True

    @property
    def data(self) -> np.ndarray:
        """Logged rows for t > 0 (steps 0 .. N-1), shape ``(steps, N)``.

        With ``steps`` given, the first ``steps`` rows (a longer run holds the
        input's last row after its end).
        """
        rows = [v for t, v in sorted(self._rows.items()) if t > 0]
        if self._steps is not None:
            rows = rows[: self._steps]
        if not rows:
            return np.empty((0, 0))
        return np.vstack(rows)

    def done(self, **kwargs: Any) -> None:
        if self._file is not None and not self._written:
            _write_rows(self, self._file)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _write_rows(block: Logger, file: str) -> None:
    """Write ``block.data`` to ``file`` (atomic), or say why not on stderr.

    A file that is there and is not an ``.npy`` array (written by a run before)
    is never replaced, nor an input file of a ``SEQUENCE`` block of the diagram.
    """
    from .._files import write_atomic

    where = f"block {block.name!r}: y not written to {file}"
    data = block.data
    if block._steps is not None and data.shape[0] < block._steps:
        _say(
            f"{where}: the run covered {data.shape[0]} of the input's "
            f"{block._steps} steps; run longer (bdrun --simtime)"
        )
        return
    if os.path.lexists(file):
        if os.path.isdir(file) or not _is_npy(file):
            _say(f"{where}: that path holds something else, which is kept")
            return
        for other in getattr(block.bd, "blocklist", []):
            src = getattr(other, "_file", None)
            if other is not block and isinstance(src, str) and os.path.exists(src):
                if os.path.samefile(src, file):
                    _say(f"{where}: it is the input file of block {other.name!r}")
                    return
    buf = io.BytesIO()
    np.save(buf, data, allow_pickle=False)
    try:
        write_atomic(file, buf.getvalue())
    except OSError as exc:
        _say(f"{where}: {exc.strerror or exc}")


def _is_npy(file: str) -> bool:
    try:
        with open(file, "rb") as fh:
            return fh.read(6) == b"\x93NUMPY"
    except OSError:
        return False
