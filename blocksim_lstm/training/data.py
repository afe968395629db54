"""Training data: input/output sequences of a discrete LTI system."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from .._experiment import (
    INPUT_STREAMS,
    PLANT_GAIN,
    PLANT_POLES,
    PLANT_TS,
    PLANT_ZEROS,
    SCL,
    TRAINING_STEPS,
    normal_input,
)
from .._parameters import LSTMParams
from .._validate import check_positive_int

if TYPE_CHECKING:
    import control as ct

# The seed's plant is used here as its four matrices (the same bits as
# seed_plant()'s): python-control, and through it scipy.signal and pyplot, is
# imported only when a control.StateSpace is given (lti_data).

__all__ = ["calculated_weights", "lti_data", "seed_data"]


def lti_data(
    sys: ct.StateSpace, steps: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate ``sys`` from ``x0 = 0`` on a seeded N(0, 1) input.

    The simulation sums in a fixed order (no BLAS), so the data are the same
    bytes on every machine for the same system and seed.

    Parameters
    ----------
    sys
        Discrete-time system with ``nu`` inputs and ``ny`` outputs.
    steps
        Number of samples T (t = 0 .. T-1 sample times).
    seed
        Seed of the input: the design stream of
        :func:`blocksim_lstm._experiment.normal_input` (``default_rng(seed)``).

    Returns
    -------
    u : ndarray, shape ``(T, nu)``
    y : ndarray, shape ``(T, ny)``
    """
    import control as ct

    steps = check_positive_int("steps", steps)
    seed = check_positive_int("seed", seed, minimum=0)
    if not ct.isdtime(sys, strict=True):
        raise ValueError("sys: expected a discrete-time system (dt > 0)")
    return _lti_arrays(sys.A, sys.B, sys.C, sys.D, steps, seed)


def _lti_arrays(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray, steps: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    u = normal_input(steps, B.shape[1], seed=seed, stream=INPUT_STREAMS["design"])
    a, b, c, d = (np.ascontiguousarray(m, np.float64) for m in (A, B, C, D))
    y = np.empty((steps, C.shape[0]))
    n, nu, ny = A.shape[0], B.shape[1], C.shape[0]
    if steps * (n + ny) * (n + nu) <= INTERPRET_MAX_OPS:
        with np.errstate(all="ignore"):  # as compiled: overflow gives inf silently
            _simulate(a, b, c, d, u, y)
    else:
        simulate_compiled()(a, b, c, d, u, y)
    return u, y


@functools.cache
def simulate_compiled() -> Any:
    """:func:`_simulate` compiled by numba (cached on disk), made on first call
    (numba's import alone costs 0.4 s, which the seed's data never need)."""
    from numba import njit

    return njit(cache=True, error_model="numpy")(_simulate)


INTERPRET_MAX_OPS = 100_000
"""Simulations of at most this many multiply-adds run :func:`_simulate`'s loops
in the interpreter: the same operations in the same order, so the same bytes
(tested), in a few milliseconds for the seed's 1001 steps of a 4-state plant,
where compiling them costs a fraction of a second on a first run."""


def _seed_plant_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A, B, C, D of :func:`~blocksim_lstm.statespace.lti.seed_plant`."""
    from ..statespace._discretize import zoh_companion

    A, B, C, D = zoh_companion(PLANT_ZEROS, PLANT_POLES, PLANT_GAIN, float(PLANT_TS))
    return tuple(np.asarray(m, dtype=float) for m in (A, B, C, D))  # type: ignore[return-value]


def _simulate(A, B, C, D, u, y):  # noqa: N803
    """``y(t) = C x(t) + D u(t)``, ``x(t+1) = A x(t) + B u(t)``, ``x(0) = 0``.

    Every sum runs in index order (no BLAS, no fused multiply-add), so the data
    are the same bytes on every machine.
    """
    n = A.shape[0]
    x = np.zeros(n)
    xn = np.empty(n)
    for t in range(u.shape[0]):
        ut = u[t]
        for i in range(C.shape[0]):
            s = 0.0
            for j in range(n):
                s += C[i, j] * x[j]
            for j in range(ut.shape[0]):
                s += D[i, j] * ut[j]
            y[t, i] = s
        for i in range(n):
            s = 0.0
            for j in range(n):
                s += A[i, j] * x[j]
            for j in range(ut.shape[0]):
                s += B[i, j] * ut[j]
            xn[i] = s
        for i in range(n):  # a loop, not x[:] = xn: the slice copy's shape check
            x[i] = xn[i]  # costs seconds of compiling


def seed_data(
    steps: int = TRAINING_STEPS, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The seed's training set: its plant on ``steps`` N(0, 1) samples (SPEC §5).

    Parameters
    ----------
    steps
        Number of samples.
    seed
        Seed of the input.

    Returns
    -------
    u, y : ndarray, shape ``(steps, 1)``
    """
    steps = check_positive_int("steps", steps)
    seed = check_positive_int("seed", seed, minimum=0)
    return _lti_arrays(*_seed_plant_arrays(), steps, seed)


def calculated_weights(
    scl: float = SCL, *, realization: str = "balanced"
) -> LSTMParams:
    """The seed plant's calculated LSTM weights (SPEC section 4), Nn = 5.

    Parameters
    ----------
    scl
        Scale of the construction (1e-3 in the original).
    realization
        State coordinates of the plant: ``"balanced"`` (default; training-set
        MSE ~3e-5 at scl 1e-3, the closest we have to the original's 0.0025) or
        ``"given"`` (python-control's companion form; MSE ~2.6, see SPEC §4).

    Returns
    -------
    LSTMParams
        ``Nn = nx + nu = 5``, ``Ni = No = 1``, zero initial states.
    """
    from ..statespace.construction import lstm_from_arrays
    from ..statespace.realization import (
        REALIZATIONS,
        balanced_arrays,
        minimal_arrays,
    )

    A, B, C, D = _seed_plant_arrays()
    if realization == "balanced":  # as realize(seed_plant(), "balanced")
        A, B, C = minimal_arrays(A, B, C, D)
        A, B, C = balanced_arrays(A, B, C)
    elif realization != "given":
        raise ValueError(
            f"realization: expected one of {REALIZATIONS}, got {realization!r}"
        )
    return lstm_from_arrays(A, B, C, D, scl)
