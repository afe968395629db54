"""LSTM weights that reproduce a discrete LTI system (SPEC section 4, and beyond).

Three constructions, all with the cell state disabled (forget gate closed, input and
output gates open, so ``h(t) = tanh(tanh(Rg h(t-1) + Wg u(t)))``) and ``tanh``
kept in its linear range by a small scale ``scl``:

``"spec"``, ``Nn = nx + nu`` (SPEC §4)
    ``h = [scl x(t+1); scl u(t)]``, ``F = [C A^-1, D - C A^-1 B] / scl``. Needs
    ``A`` invertible and well conditioned.
``"nx"``, ``Nn = nx``
    No input channel, ``F = C A^-1 / scl``: the network's feed-through is
    ``C A^-1 B``, not ``D`` (reported, exact only when they agree).
``"delayed"``, ``Nn = 2 nx + nu`` (new here)
    ``h = [scl x(t+1); scl x(t); scl u(t)]``: the hidden state also carries a
    one-step-delayed copy of the scaled state, so ``y = [0, C, D] h / scl`` with no
    ``A^-1`` anywhere. Works for singular ``A`` (poles at the origin, pure delays,
    FIR filters).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import control as ct
import numpy as np
from numpy.typing import ArrayLike

from .._experiment import SCL
from .._parameters import LSTMParams
from .._validate import ArgumentTypeError, as_array
from . import _linalg as la
from .lti import check_discrete

__all__ = [
    "COND_LIMIT",
    "CONSTRUCTIONS",
    "GATE_BIAS",
    "Construction",
    "check_scl",
    "construct",
    "lstm_from_state_space",
    "lstm_from_state_space_delayed",
    "lstm_from_state_space_nx",
    "nx_feedthrough",
]

GATE_BIAS: float = 100.0
"""Bias magnitude that saturates the i, f, o gates (open, closed, open)."""

COND_LIMIT: float = 1e8
"""Largest condition number of ``A`` the ``"spec"`` and ``"nx"`` constructions accept.

``F`` holds ``C A^-1``: rounding errors grow like ``cond(A) * eps``; at 1e8 that is
already 1e-8 relative, far above the construction's own error at a good ``scl``.
"""

Method = Literal["auto", "spec", "nx", "delayed"]
CONSTRUCTIONS: tuple[str, ...] = ("auto", "spec", "nx", "delayed")
"""Accepted ``method`` names; ``"auto"`` is ``"spec"`` unless ``A`` is ill conditioned,
then ``"delayed"``."""


def check_scl(scl: object, *, name: str = "scl") -> float:
    """Return ``scl`` as a float if it is positive and finite, else raise.

    ``name`` is the argument named in the message (also used for tolerances).

    Parameters
    ----------
    scl
        The value to check.
    name
        What the message calls it (``"scl"``, ``"--tol"``, ...).

    Raises
    ------
    ArgumentTypeError
        ``scl`` is not a real number (a ``ValueError`` and a ``TypeError``).
    ValueError
        ``scl`` is zero, negative, NaN or infinite.
    """
    if isinstance(scl, bool) or not isinstance(
        scl, (int, float, np.floating, np.integer)
    ):
        raise ArgumentTypeError(
            f"{name}: expected a positive finite number, got {scl!r}"
        )
    val = float(scl)
    if not (math.isfinite(val) and val > 0):
        raise ValueError(f"{name}: expected a positive finite number, got {val}")
    return val


def _matrices(sys: ct.StateSpace) -> tuple[np.ndarray, ...]:
    sys = check_discrete(sys)
    return tuple(np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))


def _checked_inverse_products(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, max_cond: float, method: str
) -> tuple[np.ndarray, np.ndarray]:
    cond = float(np.linalg.cond(A))
    if not cond <= max_cond:
        raise ValueError(
            f"sys.A: the {method!r} construction needs A^-1, but A is singular or "
            f"badly conditioned: cond(A) = {cond:.3g} > max_cond = {max_cond:.3g}. "
            "Use method='delayed' (Nn = 2 nx + nu), which needs no A^-1."
        )
    # deterministic: the same bits on every machine (these weights start training)
    CAi = la.solve(A.T, C.T).T
    return CAi, la.matmul(CAi, B)


def _gates(nn: int) -> np.ndarray:
    b = np.zeros(4 * nn)
    b[0:nn] = GATE_BIAS  # input gate open
    b[nn : 2 * nn] = -GATE_BIAS  # forget gate closed: c(t) = g
    b[3 * nn : 4 * nn] = GATE_BIAS  # output gate open
    return b


def _params(
    Wg: np.ndarray, Rg: np.ndarray, F: np.ndarray, h0: np.ndarray
) -> LSTMParams:
    nn, nu = Wg.shape
    W = np.zeros((4 * nn, nu))
    R = np.zeros((4 * nn, nn))
    W[2 * nn : 3 * nn] = Wg
    R[2 * nn : 3 * nn] = Rg
    return LSTMParams.from_arrays(W, R, _gates(nn), F, np.zeros(F.shape[0]), h0)


def _x0(x0: ArrayLike | None, nx: int) -> np.ndarray:
    return np.zeros(nx) if x0 is None else as_array("x0", x0, (nx,))


def lstm_from_state_space(
    sys: ct.StateSpace,
    scl: float = SCL,
    *,
    x0: ArrayLike | None = None,
    max_cond: float = COND_LIMIT,
) -> LSTMParams:
    """LSTM + FC weights with ``Nn = nx + nu`` units reproducing ``sys`` (SPEC §4).

    Parameters
    ----------
    sys
        Discrete-time state-space system ``(A, B, C, D)``, ``A`` invertible.
    scl
        Small positive scale keeping ``tanh`` in its linear range.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state of ``sys``; sets ``h0 = [scl x0; 0]``.
    max_cond
        Largest accepted condition number of ``A``.

    Returns
    -------
    LSTMParams
        ``Wg = scl [B; I]``, ``Rg = [[A, 0], [0, 0]]``, ``bi = bo = +100``,
        ``bf = -100``, ``F = [C A^-1, D - C A^-1 B] / scl``; every other weight 0.

    Raises
    ------
    TypeError, ValueError
        Not a discrete-time ``StateSpace``; ``scl`` not positive and finite;
        ``A`` singular or ``cond(A) > max_cond`` (the message gives ``cond(A)``
        and points to :func:`lstm_from_state_space_delayed`).
    """
    scl = check_scl(scl)
    A, B, C, D = _matrices(sys)
    nx, nu = B.shape
    CAi, CAiB = _checked_inverse_products(A, B, C, max_cond, "spec")
    Wg = scl * np.vstack([B, np.eye(nu)])
    Rg = np.zeros((nx + nu, nx + nu))
    Rg[:nx, :nx] = A
    F = np.hstack([CAi, D - CAiB]) / scl
    h0 = np.concatenate([scl * _x0(x0, nx), np.zeros(nu)])
    return _params(Wg, Rg, F, h0)


def nx_feedthrough(sys: ct.StateSpace, *, max_cond: float = COND_LIMIT) -> np.ndarray:
    """Feed-through ``C A^-1 B`` that the ``Nn = nx`` construction really has.

    Parameters
    ----------
    sys
        Discrete-time system with an invertible ``A``.
    max_cond
        Largest condition number of ``A`` accepted.

    Returns
    -------
    ndarray, shape ``(ny, nu)``
    """
    A, B, C, _ = _matrices(sys)
    return _checked_inverse_products(A, B, C, max_cond, "nx")[1]


def lstm_from_state_space_nx(
    sys: ct.StateSpace,
    scl: float = SCL,
    *,
    x0: ArrayLike | None = None,
    max_cond: float = COND_LIMIT,
) -> LSTMParams:
    """The ``Nn = nx`` variant: no input channel, ``F = C A^-1 / scl``.

    The network computes ``y = C x + C A^-1 B u``: its feed-through is
    :func:`nx_feedthrough`, equal to ``D`` only in special cases. Use
    :func:`construct` to get that gap reported.

    Parameters and errors as :func:`lstm_from_state_space`.

    Parameters
    ----------
    sys
        Discrete-time system with an invertible ``A``.
    scl
        Scale of the hidden state.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state of the system (default zeros).
    max_cond
        Largest condition number of ``A`` accepted.

    Returns
    -------
    LSTMParams
        ``Nn = nx``: ``Wg = scl B``, ``Rg = A``, ``F = C A^-1 / scl``.
    """
    scl = check_scl(scl)
    A, B, C, _ = _matrices(sys)
    CAi, _ = _checked_inverse_products(A, B, C, max_cond, "nx")
    return _params(scl * B, A, CAi / scl, scl * _x0(x0, A.shape[0]))


def lstm_from_state_space_delayed(
    sys: ct.StateSpace, scl: float = SCL, *, x0: ArrayLike | None = None
) -> LSTMParams:
    """``Nn = 2 nx + nu`` construction with no ``A^-1``: any ``A``, singular included.

    Hidden state ``h(t) = [scl x(t+1); scl x(t); scl u(t)]``:

        Wg = scl [B; 0; I],  Rg = [[A, 0, 0], [I, 0, 0], [0, 0, 0]],
        F  = [0, C, D] / scl.

    Then ``y(t) = F h(t) = C x(t) + D u(t)`` directly.

    Parameters
    ----------
    sys
        Discrete-time state-space system ``(A, B, C, D)``.
    scl
        Small positive scale.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state of ``sys``; sets ``h0 = [scl x0; 0; 0]``.

    Returns
    -------
    LSTMParams
        ``Nn = 2 nx + nu``.
    """
    scl = check_scl(scl)
    A, B, C, D = _matrices(sys)
    nx, nu = B.shape
    ny = C.shape[0]
    nn = 2 * nx + nu
    Wg = scl * np.vstack([B, np.zeros((nx, nu)), np.eye(nu)])
    Rg = np.zeros((nn, nn))
    Rg[:nx, :nx] = A
    Rg[nx : 2 * nx, :nx] = np.eye(nx)
    F = np.hstack([np.zeros((ny, nx)), C, D]) / scl
    h0 = np.concatenate([scl * _x0(x0, nx), np.zeros(nx + nu)])
    return _params(Wg, Rg, F, h0)


@dataclass(frozen=True)
class Construction:
    """An LSTM built from a state-space system, with what it really reproduces.

    Attributes
    ----------
    params : LSTMParams
        The weights.
    method : str
        ``"spec"``, ``"nx"`` or ``"delayed"`` (never ``"auto"``).
    scl : float
        The scale used.
    cond_A : float
        Condition number of ``A``.
    D : ndarray, shape ``(ny, nu)``
        The system's feed-through.
    feedthrough : ndarray, shape ``(ny, nu)``
        The network's feed-through: ``D``, or ``C A^-1 B`` for ``"nx"``.
    """

    params: LSTMParams
    method: Method
    scl: float
    cond_A: float
    D: np.ndarray
    feedthrough: np.ndarray

    @property
    def feedthrough_gap(self) -> float:
        """Largest entry of ``|feedthrough - D|`` (0 for ``"spec"``/``"delayed"``)."""
        return float(np.max(np.abs(self.feedthrough - self.D)))

    @property
    def nn(self) -> int:
        """Number of units."""
        return self.params.nn


def construct(
    sys: ct.StateSpace,
    scl: float = SCL,
    *,
    method: Method = "auto",
    x0: ArrayLike | None = None,
    max_cond: float = COND_LIMIT,
) -> Construction:
    """Build the LSTM with the chosen construction and report its feed-through.

    Parameters
    ----------
    sys
        Discrete-time state-space system.
    scl
        Small positive scale.
    method
        ``"spec"`` (``Nn = nx + nu``), ``"nx"`` (``Nn = nx``), ``"delayed"``
        (``Nn = 2 nx + nu``) or ``"auto"``: ``"spec"`` when
        ``cond(A) <= max_cond``, otherwise ``"delayed"``.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state of ``sys``.
    max_cond
        Condition-number limit for ``A^-1``.

    Returns
    -------
    Construction
    """
    if method not in CONSTRUCTIONS:
        raise ValueError(f"method: expected one of {CONSTRUCTIONS}, got {method!r}")
    A, B, C, D = _matrices(sys)
    cond = float(np.linalg.cond(A))
    if method == "auto":
        method = "spec" if cond <= max_cond else "delayed"
    if method == "spec":
        params = lstm_from_state_space(sys, scl, x0=x0, max_cond=max_cond)
        ft = D
    elif method == "nx":
        params = lstm_from_state_space_nx(sys, scl, x0=x0, max_cond=max_cond)
        ft = nx_feedthrough(sys, max_cond=max_cond)
    else:
        params = lstm_from_state_space_delayed(sys, scl, x0=x0)
        ft = D
    return Construction(params, method, check_scl(scl), cond, D.copy(), ft)
