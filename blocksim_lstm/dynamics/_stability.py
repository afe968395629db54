"""Eigenvalues of a fixed point and what they say: stable, saddle, unstable."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["KINDS", "Kind", "classify", "sorted_eigenvalues"]

Kind = Literal["stable", "saddle", "unstable", "marginal"]

KINDS: tuple[str, ...] = ("stable", "saddle", "unstable", "marginal")
"""Labels of a fixed point of a discrete-time map, by the moduli of the
eigenvalues of ``A = df/dx`` there: all inside the unit circle (``stable``), some
inside and some outside (``saddle``), all outside (``unstable``), any within
``tol`` of the circle (``marginal``: linearization cannot decide)."""


def sorted_eigenvalues(A: ArrayLike) -> np.ndarray:
    """Eigenvalues of a square matrix, by decreasing modulus, then real part,
    then imaginary part (a conjugate pair: positive imaginary part first).

    Parameters
    ----------
    A : array_like, shape ``(n, n)``

    Returns
    -------
    ndarray, complex, shape ``(n,)``
    """
    ev = np.linalg.eigvals(np.asarray(A, dtype=float)).astype(complex)
    order = np.lexsort((-ev.imag, -ev.real, -np.abs(ev)))
    return ev[order]


def classify(eigenvalues: ArrayLike, *, tol: float = 1e-9) -> Kind:
    """Label a fixed point by the moduli of its eigenvalues (see :data:`KINDS`).

    Parameters
    ----------
    eigenvalues : array_like, shape ``(n,)``
        Eigenvalues of ``A`` at the fixed point.
    tol
        Half-width of the band around the unit circle labelled ``marginal``.

    Raises
    ------
    ValueError
        No eigenvalues, or NaN/Inf among them.
    """
    m = np.abs(np.asarray(eigenvalues, dtype=complex))
    if m.size == 0 or not np.all(np.isfinite(m)):
        raise ValueError(f"eigenvalues: expected finite values, got {m!r:.80}")
    if np.any(np.abs(m - 1.0) <= tol):
        return "marginal"
    if np.all(m < 1.0):
        return "stable"
    if np.all(m > 1.0):
        return "unstable"
    return "saddle"
