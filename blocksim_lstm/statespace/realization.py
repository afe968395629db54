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

from typing import TYPE_CHECKING, Literal

import numpy as np

from . import _linalg as la
from .lti import check_discrete

if TYPE_CHECKING:
    import control as ct
else:  # imported on first use: control loads scipy.signal and pyplot
    from .._lazy import LazyModule

    ct = LazyModule("control")

__all__ = [
    "REALIZATIONS",
    "balanced_realization",
    "canonical_signs",
    "hankel_singular_values",
    "minimal_realization",
    "realize",
]

Realization = Literal["balanced", "given"]
REALIZATIONS: tuple[str, ...] = ("balanced", "given")
"""Realization names accepted by :func:`realize`."""


def _reachable_basis(A: np.ndarray, B: np.ndarray, tol: float) -> np.ndarray:
    """Orthonormal basis of the reachable subspace (block Arnoldi with SVD ranks).

    The SVDs are :func:`._linalg.svd`'s: the same basis on every machine.
    """
    n = A.shape[0]
    basis = np.zeros((n, 0))
    new = B
    for _ in range(n):
        new = new - basis @ (basis.T @ new)  # orthogonalise against what we have
        new = new - basis @ (basis.T @ new)  # twice is enough (Kahan)
        if new.size == 0:
            break
        if new.shape[0] >= new.shape[1]:
            U, s, _ = la.svd(new)
        else:  # the left singular vectors of a wide matrix: V of its transpose
            _, s, U = la.svd(new.T)
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
    count as absent. A system that is already minimal is returned unchanged
    (its own coordinates, bit for bit).

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
    Ar, Br, Cr = minimal_arrays(A, B, C, D, tol=tol)
    if Ar.shape[0] == A.shape[0]:  # already minimal: the given coordinates, untouched
        return sys
    return ct.ss(Ar, Br, Cr, D, sys.dt)


def minimal_arrays(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, D: np.ndarray, *, tol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`minimal_realization` on arrays: ``(A, B, C)`` of the minimal part.

    Returns the given arrays themselves when the system is already minimal.
    """
    scale = max(float(np.linalg.norm(np.block([[A, B], [C, D]]), 2)), 1e-300)
    n = A.shape[0]
    V = _reachable_basis(A, B, tol * scale)
    if V.shape[1] < n:
        A, B, C = V.T @ A @ V, V.T @ B, C @ V
    if A.shape[0]:
        Wb = _reachable_basis(A.T, C.T, tol * scale)
        if Wb.shape[1] < A.shape[0]:
            A, B, C = Wb.T @ A @ Wb, Wb.T @ B, C @ Wb
    return A, B, C


def _gramian_factors(
    A: np.ndarray, B: np.ndarray, C: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Square-root factors ``Lc, Lo`` with ``Lc Lc^T = Wc`` and ``Lo Lo^T = Wo``.

    Deterministic (:mod:`._linalg`: Smith's doubling and Cholesky) whenever the
    Gramians are positive definite, as they are for a minimal system; a
    semi-definite Gramian falls back to scipy (eigenvalue square roots), whose
    last bits depend on the BLAS kernel.
    """
    if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
        raise ValueError(
            "sys: a balanced realization needs a stable system (all poles inside "
            "the unit circle); use realization='given' for this one"
        )
    try:
        Wc = la.dlyap(A, la.matmul(B, B.T))
        Wo = la.dlyap(A.T, la.matmul(C.T, C))
        return la.cholesky((Wc + Wc.T) / 2), la.cholesky((Wo + Wo.T) / 2)
    except la.LinAlgError:
        pass
    from scipy.linalg import eigh, solve_discrete_lyapunov

    Wc = solve_discrete_lyapunov(A, B @ B.T)
    Wo = solve_discrete_lyapunov(A.T, C.T @ C)

    def sqrt_factor(W: np.ndarray) -> np.ndarray:
        w, V = eigh((W + W.T) / 2)
        return V * np.sqrt(np.clip(w, 0.0, None))

    return sqrt_factor(Wc), sqrt_factor(Wo)


def hankel_singular_values(sys: ct.StateSpace) -> np.ndarray:
    """Hankel singular values of a stable system, shape ``(nx,)``, decreasing.

    Parameters
    ----------
    sys
        Stable discrete-time system.
    """
    sys = check_discrete(sys)
    A, B, C = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C))
    Lc, Lo = _gramian_factors(A, B, C)
    return la.svd(la.matmul(Lo.T, Lc))[1]


def _orthonormal_rows_basis(M: np.ndarray) -> np.ndarray:
    """Orthogonal ``Q`` (``k x k``) with ``Q^T M`` upper triangular (Gram-Schmidt).

    Modified Gram-Schmidt on the columns of ``M`` (shape ``(k, m)``), completed
    with unit vectors; in plain floating point, so the same bits everywhere.
    """
    k = M.shape[0]
    cols = [M[:, j] for j in range(M.shape[1])] + [np.eye(k)[:, j] for j in range(k)]
    basis: list[np.ndarray] = []
    for v in cols:
        w = v.astype(float).copy()
        for q in basis:
            w = w - float(la.matmul(q[None, :], w[:, None])[0, 0]) * q
        norm = float(np.sqrt(la.matmul(w[None, :], w[:, None])[0, 0]))
        if norm > 1e-10 * max(float(np.max(np.abs(v))), 1e-300):
            basis.append(w / norm)
        if len(basis) == k:
            break
    return np.column_stack(basis)


def canonical_signs(
    A: np.ndarray, B: np.ndarray, C: np.ndarray, hsv: np.ndarray, *, rtol: float = 1e-9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fix the freedom a balanced realization has left: signs and rotations.

    A balanced realization is unique only up to an orthogonal change of
    coordinates that keeps both Gramians ``diag(hsv)``: a sign per state and,
    where Hankel singular values repeat, a rotation inside the repeated block.
    SVD and eigenvector routines are free to choose them, and do choose
    differently on different CPUs (BLAS kernels). The convention fixed here:

    - states whose ``hsv`` agree to ``rtol`` (relative) form a block; inside a
      block the coordinates are rotated so that ``M = [B_blk, C_blk^T]`` becomes
      upper triangular (Gram-Schmidt on the columns of ``M``), which is unique
      when ``M`` has full row rank;
    - then each state's sign makes the first entry of ``[B[i, :], C[:, i]]`` that
      is larger than ``1e-8`` times that vector's largest entry positive.

    Parameters
    ----------
    A, B, C
        A balanced realization: shapes ``(n, n)``, ``(n, m)``, ``(p, n)``.
    hsv
        Its Hankel singular values, shape ``(n,)``, decreasing.
    rtol
        Relative tolerance under which two singular values count as repeated.

    Returns
    -------
    tuple of ndarray
        ``(A, B, C)`` in the canonical coordinates; Gramians unchanged.
    """
    n = A.shape[0]
    Q = np.eye(n)
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and hsv[start] - hsv[stop] <= rtol * hsv[start]:
            stop += 1
        if stop - start > 1:  # a repeated singular value: fix the rotation
            blk = slice(start, stop)
            M = np.hstack([B[blk], C[:, blk].T])
            Q[blk, blk] = _orthonormal_rows_basis(M)  # x_old = Q x_new here
        start = stop
    A = la.matmul(la.matmul(Q.T, A), Q)
    B, C = la.matmul(Q.T, B), la.matmul(C, Q)
    signs = np.ones(n)
    for i in range(n):
        v = np.concatenate([B[i], C[:, i]])
        big = np.abs(v) > 1e-8 * np.max(np.abs(v), initial=0.0)
        if np.any(big) and v[np.argmax(big)] < 0:
            signs[i] = -1.0
    return signs[:, None] * A * signs, signs[:, None] * B, C * signs


def balanced_realization(sys: ct.StateSpace) -> ct.StateSpace:
    """Balanced realization of a stable discrete system (square-root method).

    The minimal part of ``sys`` is balanced: both Gramians become
    ``diag(hsv)``, the Hankel singular values. The signs (and, for repeated
    Hankel singular values, the rotations) that a balanced realization leaves
    free are fixed by :func:`canonical_signs`, so the same system gives the same
    realization on every machine, whatever signs the SVD returned.

    Parameters
    ----------
    sys
        Stable discrete-time system.

    Returns
    -------
    control.StateSpace
        Same transfer function, minimal, balanced, canonical coordinates.

    Raises
    ------
    ValueError
        ``sys`` is not stable.
    """
    sys = minimal_realization(check_discrete(sys))
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    if A.shape[0] == 0:
        return sys
    Ab, Bb, Cb = balanced_arrays(A, B, C)
    return ct.ss(Ab, Bb, Cb, D, sys.dt)


def balanced_arrays(
    A: np.ndarray, B: np.ndarray, C: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`balanced_realization` of a minimal, stable ``(A, B, C)`` on arrays
    (``nx >= 1``); ``D`` is unchanged by a change of coordinates."""
    Lc, Lo = _gramian_factors(A, B, C)
    U, s, V = la.svd(la.matmul(Lo.T, Lc))  # Lo^T Lc = U diag(s) V^T
    keep = s > s[0] * 1e-12
    U, s, V = U[:, keep], s[keep], V[:, keep]
    si = 1.0 / np.sqrt(s)
    T = la.matmul(Lc, V) * si  # x_old = T x_bal
    Ti = la.matmul(si[:, None] * U.T, Lo.T)  # x_bal = Ti x_old
    Ab = la.matmul(la.matmul(Ti, A), T)
    Ab, Bb, Cb = canonical_signs(Ab, la.matmul(Ti, B), la.matmul(C, T), s)
    return Ab, Bb, Cb


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
