"""Training data: input/output sequences of a discrete LTI system."""

from __future__ import annotations

import control as ct
import numpy as np
from numba import njit

from .._experiment import INPUT_STREAMS, SCL, TRAINING_STEPS, normal_input
from .._parameters import LSTMParams
from .._validate import check_positive_int
from ..statespace.construction import lstm_from_state_space
from ..statespace.lti import seed_plant
from ..statespace.realization import realize

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
    steps = check_positive_int("steps", steps)
    seed = check_positive_int("seed", seed, minimum=0)
    if not ct.isdtime(sys, strict=True):
        raise ValueError("sys: expected a discrete-time system (dt > 0)")
    u = normal_input(steps, sys.ninputs, seed=seed, stream=INPUT_STREAMS["design"])
    arrays = [np.ascontiguousarray(m, np.float64) for m in (sys.A, sys.B, sys.C, sys.D)]
    y = np.empty((steps, sys.noutputs))
    _simulate(*arrays, u, y)  # type: ignore[call-arg]
    return u, y


@njit(cache=True, error_model="numpy")
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
        x[:] = xn


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
    return lti_data(seed_plant(), steps, seed=seed)


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
    return lstm_from_state_space(realize(seed_plant(), realization), scl)  # type: ignore[arg-type]
