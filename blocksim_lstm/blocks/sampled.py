"""Clocked blocks: a true unit delay and a step-indexed sequence source.

Timing convention (bdsim 1.4, pure-discrete diagrams): the diagram is evaluated at
t = 0 and at every tick t = k Ts, k >= 1; states latch after each tick's evaluation,
never at t = 0. So the evaluations at t = 0 and t = Ts both see the initial states
and are both step 0; the tick at t = (k + 1) Ts is step k. These blocks keep a step
counter as state (no float rounding of t); run for T = N Ts and drop the t = 0
sample to get steps 0 .. N-1.

In a model file (``.bd``), where no clock object can be named, the blocks take a
sample period ``ts`` instead and share the diagram's clock of that period (see
:mod:`blocksim_lstm.blocks._clock`: it ticks half a period early, so bdsim's
final evaluation at t = T is one more step).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bdsim import SampledBlock
from numpy.typing import ArrayLike

from ._clock import clock_for
from ._signal import as_vector

__all__ = ["Sequence", "UnitDelay"]


def _read_npy(block: str, file: Any) -> np.ndarray:
    """The array in an ``.npy`` file, or a ValueError naming the block."""
    if not isinstance(file, str) or not file:
        raise ValueError(f"block {block!r}: file: expected a path, got {file!r}")
    try:
        with open(file, "rb") as fh:
            return np.asarray(np.load(fh, allow_pickle=False))
    except FileNotFoundError:
        raise ValueError(f"block {block!r}: file: no such file {file}") from None
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(
            f"block {block!r}: file: {file} is not a readable .npy array "
            f"({type(exc).__name__}: {exc})"
        ) from None


class UnitDelay(SampledBlock):
    r"""
    :blockname:`UNITDELAY`

    Unit delay :math:`y(k) = x(k-1)`, :math:`y(0) = x_0`, for vector signals.

    Unlike a size-1 ``ZOH``, the state width is taken from ``x0`` and every latched
    input is checked against it; the output is always a fresh 1-D array.

    :inputs: 1
    :outputs: 1
    :states: N

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Input
            - 0
            - ndarray(N)
            - :math:`x(k)`
        *   - Output
            - 0
            - ndarray(N)
            - :math:`x(k-1)`
    """

    nin = 1
    nout = 1
    symbol = "z⁻¹"

    def __init__(
        self,
        clock: Any = None,
        x0: ArrayLike | None = None,
        ts: float | None = None,
        **blockargs: Any,
    ) -> None:
        """
        :param clock: the diagram's clock (or give ts)
        :type clock: Clock
        :param x0: initial output, shape (N,); its size fixes the signal width
        :type x0: array_like
        :param ts: sample period in seconds, instead of clock (model files)
        :type ts: float
        """
        if x0 is None:
            raise ValueError("x0: expected a 1-D vector (the initial output), got None")
        x0 = np.array(x0, dtype=float)
        if x0.ndim != 1 or x0.size < 1:
            raise ValueError(f"x0: expected a 1-D vector, got shape {x0.shape}")
        if not np.all(np.isfinite(x0)):
            raise ValueError("x0: expected finite values")
        clock = clock_for(
            blockargs.get("name") or "UNITDELAY", blockargs.get("bd"), clock, ts
        )
        super().__init__(clock=clock, x0=x0, nin=1, nout=1, **blockargs)

    def output(self, t: float, inputs: list[Any], x: np.ndarray) -> list[Any]:
        return [np.array(x, dtype=float)]

    def next(self, t: float, inputs: list[Any], x: np.ndarray) -> np.ndarray:
        return as_vector(self.name, 0, inputs[0], self.ndstates).copy()


class Sequence(SampledBlock):
    r"""
    :blockname:`SEQUENCE`

    Plays a sequence ``u[k]``, one row per step (Simulink's "From Workspace").

    Step ``k`` is counted by the block's own state, not derived from time, so no
    float rounding can shift the sequence. Past the last row the last row is held.

    :inputs: 0
    :outputs: 1
    :states: 1

    .. list-table::
        :header-rows: 1

        *   - Port type
            - Port number
            - Types
            - Description
        *   - Output
            - 0
            - ndarray(N)
            - :math:`u[k]`
    """

    nin = 0
    nout = 1
    symbol = "u[k]"

    def __init__(
        self,
        clock: Any = None,
        u: ArrayLike | None = None,
        ts: float | None = None,
        file: str | None = None,
        **blockargs: Any,
    ) -> None:
        """
        :param clock: the diagram's clock (or give ts)
        :type clock: Clock
        :param u: the sequence, shape (steps, N) (or give file)
        :type u: array_like
        :param ts: sample period in seconds, instead of clock (model files)
        :type ts: float
        :param file: an .npy file holding u, instead of u
        :type file: str
        """
        name = blockargs.get("name") or "SEQUENCE"
        if (u is None) == (file is None):
            raise ValueError(
                f"block {name!r}: expected either u= (the rows) or file= (an .npy "
                f"file), got {'both' if u is not None else 'neither'}"
            )
        if file is not None:
            u = _read_npy(name, file)
        clock = clock_for(name, blockargs.get("bd"), clock, ts)
        u = np.array(u, dtype=float)
        if u.ndim != 2 or u.shape[0] < 1 or u.shape[1] < 1:
            raise ValueError(f"u: expected shape (steps, N), got shape {u.shape}")
        if not np.all(np.isfinite(u)):
            raise ValueError("u: expected finite values")
        super().__init__(clock=clock, x0=[0.0], nin=0, nout=1, **blockargs)
        self.u = u
        self._file = file  # private: not a graph parameter of code-built diagrams

    def output(self, t: float, inputs: list[Any], x: np.ndarray) -> list[Any]:
        k = min(int(x[0]), self.u.shape[0] - 1)
        return [self.u[k].copy()]

    def next(self, t: float, inputs: list[Any], x: np.ndarray) -> np.ndarray:
        return x + 1.0
