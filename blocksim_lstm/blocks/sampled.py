"""Clocked blocks: a true unit delay and a step-indexed sequence source.

Timing convention (bdsim 1.4, pure-discrete diagrams): the diagram is evaluated at
t = 0 and at every tick t = k Ts, k >= 1; states latch after each tick's evaluation,
never at t = 0. So the evaluations at t = 0 and t = Ts both see the initial states
and are both step 0; the tick at t = (k + 1) Ts is step k. These blocks keep a step
counter as state (no float rounding of t); run for T = N Ts and drop the t = 0
sample to get steps 0 .. N-1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from bdsim import SampledBlock
from numpy.typing import ArrayLike

from ._signal import as_vector

__all__ = ["Sequence", "UnitDelay"]


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

    def __init__(self, clock: Any, x0: ArrayLike, **blockargs: Any) -> None:
        """
        :param clock: the diagram's clock
        :type clock: Clock
        :param x0: initial output, shape (N,); its size fixes the signal width
        :type x0: array_like
        """
        x0 = np.array(x0, dtype=float)
        if x0.ndim != 1 or x0.size < 1:
            raise ValueError(f"x0: expected a 1-D vector, got shape {x0.shape}")
        if not np.all(np.isfinite(x0)):
            raise ValueError("x0: expected finite values")
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

    def __init__(self, clock: Any, u: ArrayLike, **blockargs: Any) -> None:
        """
        :param clock: the diagram's clock
        :type clock: Clock
        :param u: the sequence, shape (steps, N)
        :type u: array_like
        """
        u = np.array(u, dtype=float)
        if u.ndim != 2 or u.shape[0] < 1 or u.shape[1] < 1:
            raise ValueError(f"u: expected shape (steps, N), got shape {u.shape}")
        if not np.all(np.isfinite(u)):
            raise ValueError("u: expected finite values")
        super().__init__(clock=clock, x0=[0.0], nin=0, nout=1, **blockargs)
        self.u = u

    def output(self, t: float, inputs: list[Any], x: np.ndarray) -> list[Any]:
        k = min(int(x[0]), self.u.shape[0] - 1)
        return [self.u[k].copy()]

    def next(self, t: float, inputs: list[Any], x: np.ndarray) -> np.ndarray:
        return x + 1.0
