"""LSTM weights that reproduce a discrete LTI system (SPEC section 4)."""

from __future__ import annotations

import control as ct
import numpy as np

from .parameters import LSTMParams

__all__ = ["GATE_BIAS", "lstm_from_state_space"]

GATE_BIAS: float = 100.0
"""Bias magnitude that saturates the i, f, o gates (open, closed, open)."""


def lstm_from_state_space(sys: ct.StateSpace, scl: float = 1e-3) -> LSTMParams:
    """LSTM + FC weights with ``Nn = nx + nu`` units reproducing ``sys`` (SPEC §4).

    Parameters
    ----------
    sys
        Discrete-time state-space system ``(A, B, C, D)``, ``A`` invertible.
    scl
        Small scale keeping ``tanh`` in its linear range.

    Returns
    -------
    LSTMParams
        ``Wg = scl [B; I]``, ``Rg = [[A, 0], [0, 0]]``, ``bi = bo = +100``,
        ``bf = -100``, ``F = [C A^-1, D - C A^-1 B] / scl``; zero initial states.
    """
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    nx, nu, ny = A.shape[0], B.shape[1], C.shape[0]
    nn = nx + nu
    W = np.zeros((4 * nn, nu))
    R = np.zeros((4 * nn, nn))
    b = np.zeros(4 * nn)
    b[0:nn] = GATE_BIAS
    b[nn : 2 * nn] = -GATE_BIAS
    b[3 * nn : 4 * nn] = GATE_BIAS
    W[2 * nn : 3 * nn] = scl * np.vstack([B, np.eye(nu)])
    R[2 * nn : 2 * nn + nx, :nx] = A
    CAi = np.linalg.solve(A.T, C.T).T
    F = np.hstack([CAi, D - CAi @ B]) / scl
    return LSTMParams.from_arrays(W, R, b, F, np.zeros(ny))
