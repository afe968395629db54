"""The clock of a sampled block made from a sample period (model files have no clocks).

A ``.bd`` model file cannot name a clock object: ``bdload`` builds each block from
its JSON parameters alone. A sampled block given ``ts`` instead of ``clock``
takes the diagram's clock of that period, or creates it.

The clock made from ``ts`` ticks at ``(k + 1/2) ts``, k = 0, 1, ... (offset
``-ts/2``): a run of any length ``T`` then never ends on a tick, so bdsim's
final evaluation at ``t = T`` is one more step. ``bdrun``'s default ``T = 5`` s
thus runs ``floor(5 / ts + 1/2) + 1`` steps (51 for ts = 0.1 s: the seed's
input), and no tick time is ever compared with ``T`` by float rounding.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["clock_for"]


def clock_for(block: str, bd: Any, clock: Any, ts: Any) -> Any:
    """Return ``clock``, or the clock of period ``ts`` of diagram ``bd``.

    Parameters
    ----------
    block
        The block's name, for messages.
    bd
        The bdsim ``BlockDiagram`` the block joins (None if not given).
    clock
        A bdsim clock, or None.
    ts
        Sample period in seconds, or None; exactly one of ``clock`` and ``ts``.

    Raises
    ------
    ValueError
        Neither or both given, ``ts`` not a positive finite number, or no diagram.
    """
    if (clock is None) == (ts is None):
        raise ValueError(
            f"block {block!r}: expected either clock= or ts= (a sample period in "
            f"seconds), got {'both' if clock is not None else 'neither'}"
        )
    if clock is not None:
        return clock
    if isinstance(ts, bool) or not isinstance(ts, (int, float)):
        raise ValueError(
            f"block {block!r}: ts: expected a number of seconds, got {ts!r}"
        )
    period = float(ts)
    if not (math.isfinite(period) and period > 0):
        raise ValueError(f"block {block!r}: ts: expected a positive number, got {ts}")
    if bd is None:
        raise ValueError(f"block {block!r}: ts= needs the diagram (bd=) to clock it")
    offset = -period / 2
    for c in bd.clocklist:
        if c.T == period and c.offset == offset:
            return c
    names = {c.name for c in bd.clocklist}
    name = "clock" if "clock" not in names else f"clock {period:g} s"
    return bd.clock(period, unit="s", offset=offset, name=name)
