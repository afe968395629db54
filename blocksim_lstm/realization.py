"""State coordinates for the construction: minimal and balanced realizations.

Why a balanced realization
--------------------------
The construction runs the scaled state ``scl x`` through ``tanh(tanh(.))`` and
divides by ``scl`` at the output, so its leading error is ``-(2/3) scl^2 x^3``
pushed through the dynamics and ``C``. The transfer function does not depend on
the state coordinates, but ``x`` does: in companion form the states of the seed's
plant are large and ``C`` mixes them with alternating signs, so the cubic error
is amplified by orders of magnitude (SPEC §4). In a *balanced* realization the
controllability and observability Gramians are equal and diagonal (the Hankel
singular values): no state is much larger than its effect on the output, and
``||A||_2 <= 1`` for a stable system, so nothing is amplified by a bad choice of
coordinates. It is also the field-standard well-conditioned realization
(Moore 1981; MATLAB ``balreal``).

python-control's ``balred``/``minreal``/``gram`` need slycot, which is not a
dependency here; the square-root method below uses only
``scipy.linalg.solve_discrete_lyapunov``, ``eigh`` and ``svd``.
"""

from __future__ import annotations

from typing import Literal

import control as ct
import numpy as np
from scipy.linalg import eigh, solve_discrete_lyapunov, svd

from .lti import check_discrete

__all__ = [
    "REALIZATIONS",
    "balanced_realization",
    "hankel_singular_values",
    "minimal_realization",
    "realize",
]

Realization = Literal["balanced", "given"]
REALIZATIONS: tuple[str, ...] = ("balanced", "given")
"""Realization names accepted by :func:`realize`."""


def _reachable_basis(A: np.ndarray, B: np.ndarray, tol: float) -> np.ndarray:
    """Orthonormal basis of the reachable subspace (block Arnoldi with SVD ranks)."""
    n = A.shape[0]
    basis = np.zeros((n, 0))
    new = B
    for _ in range(n):
        new = new - basis @ (basis.T @ new)  # orthogonalise against what we have
        new = new - basis @ (basis.T @ new)  # twice is enough (Kahan)
        if new.size == 0:
            break
        U, s, _ = svd(new, full_matrices=False)
        r = int(np.sum(s > tol))
        if r == 0:
            break
        basis = np.hstack([basis, U[:, :r]])
        if basis.shape[1] >= n:
            break
        new = A @ U[:, :r]
    return basis


def minimal_realization(sys: ct.StateSpace, *, tol: float = 1e-9) -> ct.StateSpace:
    """Remove unreachable and unobservable states (orthogonal projections).

    A slycot-free ``minreal``: keep the reachable subspace (block Krylov of
    ``(A, B)``), then the observable subspace of what is left (the same on
    ``(A^T, C^T)``). Directions below ``tol`` times the norm of ``[A, B; C, D]``
    count as absent.

    Parameters
    ----------
    sys
        Discrete-time system with ``nx`` states.
    tol
        Relative rank tolerance.

    Returns
    -------
    control.StateSpace
        Same transfer function, ``nr <= nx`` states (possibly 0).
    """
    sys = check_discrete(sys)
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    scale = max(float(np.linalg.norm(np.block([[A, B], [C, D]]), 2)), 1e-300)
    V = _reachable_basis(A, B, tol * scale)
    A, B, C = V.T @ A @ V, V.T @ B, C @ V
    if A.shape[0]:
        Wb = _reachable_basis(A.T, C.T, tol * scale)
        A, B, C = Wb.T @ A @ Wb, Wb.T @ B, C @ Wb
    return ct.ss(A, B, C, D, sys.dt)


def _gramian_factors(
    A: np.ndarray, B: np.ndarray, C: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
        raise ValueError(
            "sys: a balanced realization needs a stable system (all poles inside "
            "the unit circle); use realization='given' for this one"
        )
    Wc = solve_discrete_lyapunov(A, B @ B.T)
    Wo = solve_discrete_lyapunov(A.T, C.T @ C)

    def sqrt_factor(W: np.ndarray) -> np.ndarray:
        w, V = eigh((W + W.T) / 2)
        return V * np.sqrt(np.clip(w, 0.0, None))

    return sqrt_factor(Wc), sqrt_factor(Wo)


def hankel_singular_values(sys: ct.StateSpace) -> np.ndarray:
    """Hankel singular values of a stable system, shape ``(nx,)``, decreasing."""
    sys = check_discrete(sys)
    A, B, C = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C))
    Lc, Lo = _gramian_factors(A, B, C)
    return svd(Lo.T @ Lc, compute_uv=False)


def balanced_realization(sys: ct.StateSpace) -> ct.StateSpace:
    """Balanced realization of a stable discrete system (square-root method).

    The minimal part of ``sys`` is balanced: both Gramians become
    ``diag(hsv)``, the Hankel singular values.

    Parameters
    ----------
    sys
        Stable discrete-time system.

    Returns
    -------
    control.StateSpace
        Same transfer function, minimal, balanced coordinates.

    Raises
    ------
    ValueError
        ``sys`` is not stable.
    """
    sys = minimal_realization(check_discrete(sys))
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    if A.shape[0] == 0:
        return sys
    Lc, Lo = _gramian_factors(A, B, C)
    U, s, Vt = svd(Lo.T @ Lc)
    keep = s > s[0] * 1e-12
    U, s, Vt = U[:, keep], s[keep], Vt[keep]
    si = 1.0 / np.sqrt(s)
    T = Lc @ Vt.T * si  # x_old = T x_bal
    Ti = (si[:, None] * U.T) @ Lo.T  # x_bal = Ti x_old
    return ct.ss(Ti @ A @ T, Ti @ B, C @ T, D, sys.dt)


def realize(sys: ct.StateSpace, realization: Realization = "balanced") -> ct.StateSpace:
    """Return ``sys`` in the requested coordinates.

    Parameters
    ----------
    sys
        Discrete-time system.
    realization
        ``"balanced"`` (:func:`balanced_realization`, stable systems) or
        ``"given"`` (``sys`` unchanged).
    """
    if realization == "balanced":
        return balanced_realization(sys)
    if realization == "given":
        return check_discrete(sys)
    raise ValueError(
        f"realization: expected one of {REALIZATIONS}, got {realization!r}"
    )
