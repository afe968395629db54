"""The seed's experiment 1 (SPEC section 3): sizes, sample time, seeded data."""

from __future__ import annotations

import numpy as np

from ._validate import check_memory, check_positive_int, check_seed
from .parameters import LSTMParams

__all__ = ["SEED", "SEED_SIZES", "SEED_STEPS", "SEED_TS", "seed_input", "seed_problem"]

SEED_SIZES: dict[str, int] = {"nn": 3, "ni": 4, "no": 2}
"""Units, input width and output width of experiment 1."""
SEED_STEPS: int = 51
"""t = 0, Ts, ..., 50 Ts."""
SEED_TS: float = 0.1
"""Sample time of experiment 1, seconds."""
SEED: int = 0
"""Default seed of the package's experiments."""


def seed_input(steps: int, ni: int, *, seed: int = SEED) -> np.ndarray:
    """Standard normal input, shape ``(steps, ni)``, from its own seeded stream.

    The stream is ``default_rng([seed, 1])``, independent of the weights' stream
    ``default_rng(seed)``, so changing ``steps`` never changes the weights.

    Parameters
    ----------
    steps
        Number of steps T.
    ni
        Input width.
    seed
        Seed of the stream.
    """
    steps = check_positive_int("steps", steps)
    ni = check_positive_int("ni", ni)
    check_memory("steps", 8.0 * steps * ni, f"an input of {steps} x {ni}")
    return np.random.default_rng([check_seed("seed", seed), 1]).standard_normal(
        (steps, ni)
    )


def seed_problem(
    *,
    nn: int = SEED_SIZES["nn"],
    ni: int = SEED_SIZES["ni"],
    no: int = SEED_SIZES["no"],
    steps: int = SEED_STEPS,
    seed: int = SEED,
) -> tuple[LSTMParams, np.ndarray]:
    """Weights (uniform [0, 1), with h0, c0) and input of experiment 1.

    Parameters
    ----------
    nn, ni, no
        Units, input width, output width (the seed's 3, 4, 2 by default).
    steps
        Steps of the input (51: t = 0, Ts, ..., 50 Ts).
    seed
        Seed of the weights (``LSTMParams.random``) and of the input
        (:func:`seed_input`).

    Returns
    -------
    params : LSTMParams
    u : ndarray, shape ``(steps, ni)``
    """
    params = LSTMParams.random(nn, ni, no, seed=seed)
    return params, seed_input(steps, ni, seed=seed)
