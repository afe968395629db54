"""The seed's constants and problems, in one place (SPEC sections 3-5).

Experiment 1 (a random LSTM layer run as a diagram): sizes, steps, sample time
and its seeded data. The LTI plant of the later experiments: zero, poles, gain
and its sample time (another one than experiment 1's). The original
construction's scale and the length of the training and design inputs.

Every seeded input of the package comes from :func:`normal_input`, with the
stream of its kind (:data:`INPUT_STREAMS`): one convention, one home.
"""

from __future__ import annotations

import numpy as np

from ._parameters import LSTMParams
from ._validate import check_memory, check_positive_int, check_seed

__all__ = [
    "EXPERIMENT1_TS",
    "INPUT_STREAMS",
    "PLANT_GAIN",
    "PLANT_POLES",
    "PLANT_TS",
    "PLANT_ZEROS",
    "SCL",
    "SEED",
    "SEED_SIZES",
    "SEED_STEPS",
    "TRAINING_STEPS",
    "normal_input",
    "seed_input",
    "seed_problem",
]

SEED_SIZES: dict[str, int] = {"nn": 3, "ni": 4, "no": 2}
"""Units, input width and output width of experiment 1."""
SEED_STEPS: int = 51
"""t = 0, Ts, ..., 50 Ts."""
EXPERIMENT1_TS: float = 0.1
"""Sample time of experiment 1 (the random LSTM diagram), seconds."""
PLANT_TS: float = 0.01
"""Sample time of the seed's discretised LTI plant, seconds."""
PLANT_ZEROS: tuple[complex, ...] = (-4.0,)
"""Zeros of the seed's continuous plant."""
PLANT_POLES: tuple[complex, ...] = (-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j)
"""Poles of the seed's continuous plant."""
PLANT_GAIN: float = 5e5
"""Gain of the seed's continuous plant (zero-pole-gain form)."""
SCL: float = 1e-3
"""The original construction's scale ``scl`` (SPEC section 4)."""
TRAINING_STEPS: int = 1001
"""Samples of the training input and of the construction's design input."""
SEED: int = 0
"""Default seed of the package's experiments."""
INPUT_STREAMS: dict[str, int] = {
    "design": 0,  # the construction's design input and the training data
    "experiment1": 1,  # experiment 1's input, beside the weights of the seed
    "validation": 2,  # the 51-sample validation input of the LTI experiments
}
"""The random stream of each kind of seeded input (see :func:`normal_input`)."""


def normal_input(
    steps: int, width: int, *, seed: int = SEED, stream: int = 0
) -> np.ndarray:
    """Standard normal input, shape ``(steps, width)``, from one seeded stream.

    The package's one convention for seeded inputs: stream ``k >= 1`` is
    ``numpy.random.default_rng([seed, k])``; stream 0 is ``default_rng(seed)``
    itself (the design input and the training data always used it, so their
    bytes did not change). Each kind of input has its stream
    (:data:`INPUT_STREAMS`), so for one seed the kinds never coincide, and a
    stream depends on nothing but ``seed``: a longer input extends a shorter one.

    Parameters
    ----------
    steps
        Number of samples T.
    width
        Signals per sample (the input width).
    seed
        Seed (an integer >= 0).
    stream
        Stream number (an integer >= 0), one per kind of input.

    Returns
    -------
    ndarray, shape ``(steps, width)``, float64

    Raises
    ------
    ValueError
        ``steps`` or ``width`` below 1, a negative ``seed`` or ``stream``, or an
        input too large for the memory.
    """
    steps = check_positive_int("steps", steps)
    width = check_positive_int("width", width)
    seed = check_seed("seed", seed)
    stream = check_positive_int("stream", stream, minimum=0)
    check_memory("steps", 8.0 * steps * width, f"an input of {steps} x {width}")
    rng = np.random.default_rng(seed if stream == 0 else [seed, stream])
    return rng.standard_normal((steps, width))


def seed_input(steps: int, ni: int, *, seed: int = SEED) -> np.ndarray:
    """Experiment 1's standard normal input, shape ``(steps, ni)``.

    Its stream (``INPUT_STREAMS["experiment1"]``, :func:`normal_input`) is
    independent of the weights' stream ``default_rng(seed)``, so changing
    ``steps`` never changes the weights.

    Parameters
    ----------
    steps
        Number of steps T.
    ni
        Input width.
    seed
        Seed of the stream.
    """
    ni = check_positive_int("ni", ni)
    return normal_input(steps, ni, seed=seed, stream=INPUT_STREAMS["experiment1"])


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
