"""Zero-order-hold discretization of a SISO zpk model, the same bits everywhere.

python-control's ``c2d`` goes through scipy's ``expm`` and ``eig`` (LAPACK/BLAS),
whose last bits depend on the CPU's BLAS kernel; the seed's plant is the start
of the weights that training starts from, so it is computed here with the
deterministic routines of :mod:`._linalg` instead: polynomials from the roots in
plain floating point, the continuous companion form, ``expm`` of the augmented
matrix ``[[A, B], [0, 0]] Ts``, the discrete denominator from the
characteristic polynomial and the numerator from the Markov parameters. The
result is the companion realization python-control's ``ss`` gives for the
discrete transfer function (scipy's ``tf2ss`` convention), equal to
``ct.ss(ct.c2d(zpk, ts, "zoh"))`` to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _linalg as la

__all__ = ["companion", "poly_from_roots", "zoh_companion"]


def poly_from_roots(roots: Sequence[complex]) -> np.ndarray:
    """Real polynomial ``[1, c1, ..., cn]`` with the given roots.

    Complex roots must come in conjugate pairs; each pair enters as the real
    quadratic ``z^2 - 2 Re(p) z + |p|^2``, multiplied in the order given.
    """
    coeffs = [1.0]
    factors: list[list[float]] = []
    rest = [complex(r) for r in roots]
    while rest:
        r = rest.pop(0)
        if r.imag == 0.0:
            factors.append([1.0, -r.real])
            continue
        conj = next((k for k, s in enumerate(rest) if s == r.conjugate()), None)
        if conj is None:
            raise ValueError(f"roots: {r} has no conjugate partner")
        rest.pop(conj)
        factors.append([1.0, -2.0 * r.real, r.real * r.real + r.imag * r.imag])
    for f in factors:
        out = [0.0] * (len(coeffs) + len(f) - 1)
        for i, a in enumerate(coeffs):
            for j, b in enumerate(f):
                out[i + j] += a * b
        coeffs = out
    return np.array(coeffs)


def companion(
    num: np.ndarray, den: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Controllable companion form of ``num / den`` (scipy ``tf2ss`` convention).

    Parameters
    ----------
    num : ndarray, shape ``(<= n + 1,)``
    den : ndarray, shape ``(n + 1,)``, ``den[0] != 0``

    Returns
    -------
    A, B, C, D : ndarray, shapes ``(n, n)``, ``(n, 1)``, ``(1, n)``, ``(1, 1)``
    """
    den = np.asarray(den, dtype=float)
    num = np.asarray(num, dtype=float)
    n = den.size - 1
    num = np.concatenate([np.zeros(n + 1 - num.size), num]) / den[0]
    den = den / den[0]
    A = np.zeros((n, n))
    A[0] = -den[1:]
    A[1:, :-1] = np.eye(n - 1)
    B = np.zeros((n, 1))
    B[0, 0] = 1.0
    C = (num[1:] - num[0] * den[1:])[None, :]
    D = np.array([[num[0]]])
    return A, B, C, D


def zoh_companion(
    zeros: Sequence[complex], poles: Sequence[complex], gain: float, ts: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ZOH discretization of ``gain * prod(s - z) / prod(s - p)`` at ``ts``.

    Returns
    -------
    A, B, C, D : ndarray
        The discrete transfer function's companion form, shapes ``(n, n)``,
        ``(n, 1)``, ``(1, n)``, ``(1, 1)``.
    """
    num = gain * poly_from_roots(zeros)
    den = poly_from_roots(poles)
    Ac, Bc, Cc, Dc = companion(num, den)
    n = Ac.shape[0]
    M = np.zeros((n + 1, n + 1))
    M[:n, :n] = Ac * ts
    M[:n, n:] = Bc * ts
    E = la.expm(M)
    Ad, Bd = E[:n, :n], E[:n, n:]
    a = la.charpoly(Ad)
    markov = [float(Dc[0, 0])]
    v = Bd
    for _ in range(n):
        markov.append(float(la.matmul(Cc, v)[0, 0]))
        v = la.matmul(Ad, v)
    b = np.zeros(n + 1)
    for j in range(n + 1):
        s = 0.0
        for i in range(j + 1):
            s += a[i] * markov[j - i]
        b[j] = s
    return companion(b, a)
