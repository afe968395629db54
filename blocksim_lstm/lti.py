"""Linear time-invariant systems on python-control: the seed's plant and helpers."""

from __future__ import annotations

import control as ct
import numpy as np

__all__ = ["SEED_TS", "seed_plant", "seed_plant_continuous"]

SEED_TS: float = 0.01
"""Sample time of the seed's discretised plant, in seconds."""


def seed_plant_continuous() -> ct.TransferFunction:
    """The seed's continuous plant: zero -4, poles -9 +- 5i, -2 +- 50i, gain 5e5."""
    return ct.zpk([-4.0], [-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j], 5e5)


def seed_plant(ts: float = SEED_TS) -> ct.StateSpace:
    """The seed's plant, zero-order-hold discretised at ``ts`` and in state space.

    Returns
    -------
    control.StateSpace
        Fourth order, one input, one output, ``dt = ts``. The realization is the
        one python-control's ``ss`` gives (companion form).
    """
    gd = ct.c2d(seed_plant_continuous(), ts, "zoh")
    sys = ct.ss(gd)
    return ct.ss(
        np.asarray(sys.A), np.asarray(sys.B), np.asarray(sys.C), np.asarray(sys.D), ts
    )
