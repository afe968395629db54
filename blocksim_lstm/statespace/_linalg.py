"""Deterministic dense linear algebra: the same bits on every machine.

Why this exists
---------------
BLAS and LAPACK pick their kernels by CPU (OpenBLAS: SSE3, AVX2, AVX-512, ...), and
each kernel sums in its own order, so ``A @ B``, ``solve``, ``svd`` and ``expm``
differ in the last bits from one machine to the next. For most of the study that
is harmless. It is not for the weights built from a linear system: they start a
training run, and training is chaotic, so a last-bit difference in the starting
weights becomes a twofold difference in the final loss. The balanced realization
is also ill-conditioned enough that LAPACK's rounding shows at the 1e-9 level.

The routines here are compiled scalar loops (numba, *without* fast-math, so no
reassociation and no fused multiply-add): every sum runs in the order written,
with IEEE-754 ``+ - * / sqrt`` only, and gives the same bits on any x86-64 CPU,
whatever BLAS is installed (tested: equal to a plain-Python evaluation of the same
loops, bit for bit, and under other OpenBLAS kernels and ``NUMBA_CPU_NAME=generic``).
They are meant for the small systems of LTI work (``n`` up to a few hundred), and
are cross-checked against scipy/numpy in the tests.
Matrices of at most :data:`INTERPRET_MAX` rows and columns (the seed plant's) run the
same loops in the interpreter instead: the same bits, without compiling.

- :func:`matmul`, :func:`solve` (LU, partial pivoting), :func:`cholesky`,
- :func:`svd` (one-sided Jacobi, Hestenes: accurate for small singular values),
- :func:`expm` (scaling and squaring of a degree-18 Taylor polynomial),
- :func:`dlyap` (``X = A X A^T + Q`` by Smith's doubling iteration),
- :func:`charpoly` (Faddeev-LeVerrier, for small ``n``).
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

__all__ = [
    "charpoly",
    "cholesky",
    "dlyap",
    "expm",
    "matmul",
    "solve",
    "svd",
]


class LinAlgError(ValueError):
    """A matrix that the routine cannot handle (singular, not definite, ...)."""


INTERPRET_MAX = 8
"""Matrices with at most this many rows and columns go through the routines'
loops in the interpreter: the same operations in the same order, so the same
bits (tested), in milliseconds, where compiling a routine costs a second or more
on a first run (the seed plant's weights need five of them)."""

_TWINS: dict[str, Any] = {}
_PLAIN: dict[str, Any] = {}  # the routines as written, by name
_JIT: dict[str, Any] = {}  # numba's versions, made together on first need


def _routine(fn: Any) -> Any:
    """Register a loop routine; numba compiles it (with the others) on first need.

    numba is imported only then (0.4 s): the seed's small matrices never need it.
    """
    _PLAIN[fn.__name__] = fn
    return fn


def compiled(fn: Any) -> Any:
    """numba's version of the routine ``fn`` (cached on disk).

    On the first call every routine is compiled lazily and the module's names
    become numba's dispatchers, so that compiled routines call compiled ones.
    """
    if not _JIT:
        from numba import njit

        for name, plain in _PLAIN.items():
            _JIT[name] = njit(cache=True)(plain)
        globals().update(_JIT)
    return _JIT[getattr(fn, "py_func", fn).__name__]


def _pick(fn: Any, *mats: np.ndarray) -> Any:
    """``fn`` compiled, or its interpreted twin when every matrix is small."""
    if max(max(m.shape, default=0) for m in mats) > INTERPRET_MAX:
        return compiled(fn)
    name = getattr(fn, "py_func", fn).__name__
    if name not in _TWINS:
        # the plain function, calling the plain routines inside
        glob = {**_PLAIN["_matmul"].__globals__, **_PLAIN}
        plain = types.FunctionType(_PLAIN[name].__code__, glob, name)

        def twin(*args: np.ndarray) -> Any:
            # as compiled code: an overflow gives inf silently, no warning
            with np.errstate(all="ignore"):
                return plain(*args)

        _TWINS[name] = twin
    return _TWINS[name]


@_routine
def _matmul(A, B):  # pragma: no cover - compiled
    n, k = A.shape
    m = B.shape[1]
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            s = 0.0
            for p in range(k):
                s += A[i, p] * B[p, j]
            out[i, j] = s
    return out


def matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` with every sum in index order, shapes ``(n, k) @ (k, m)``."""
    A = np.ascontiguousarray(A, dtype=np.float64)
    B = np.ascontiguousarray(B, dtype=np.float64)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise LinAlgError(f"matmul: shapes {A.shape} and {B.shape} do not chain")
    return _pick(_matmul, A, B)(A, B)


@_routine
def _solve(A, B):  # pragma: no cover - compiled
    n = A.shape[0]
    m = B.shape[1]
    M = A.copy()
    X = B.copy()
    for k in range(n):
        p = k
        best = abs(M[k, k])
        for i in range(k + 1, n):
            if abs(M[i, k]) > best:
                best = abs(M[i, k])
                p = i
        if best == 0.0:
            return X, False
        if p != k:
            for j in range(n):
                t = M[k, j]
                M[k, j] = M[p, j]
                M[p, j] = t
            for j in range(m):
                t = X[k, j]
                X[k, j] = X[p, j]
                X[p, j] = t
        for i in range(k + 1, n):
            f = M[i, k] / M[k, k]
            for j in range(k + 1, n):
                M[i, j] -= f * M[k, j]
            for j in range(m):
                X[i, j] -= f * X[k, j]
    for k in range(n - 1, -1, -1):
        for j in range(m):
            s = X[k, j]
            for i in range(k + 1, n):
                s -= M[k, i] * X[i, j]
            X[k, j] = s / M[k, k]
    return X, True


def solve(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Solve ``A X = B``; ``A`` shape ``(n, n)``, ``B`` shape ``(n, m)``.

    Raises
    ------
    LinAlgError
        ``A`` is exactly singular.
    """
    A = np.ascontiguousarray(A, dtype=np.float64)
    B = np.ascontiguousarray(B, dtype=np.float64)
    X, ok = _pick(_solve, A, B)(A, B)
    if not ok:
        raise LinAlgError("solve: the matrix is singular")
    return X


@_routine
def _cholesky(W):  # pragma: no cover - compiled
    n = W.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = W[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0.0:
            return L, False
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            t = W[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    return L, True


def cholesky(W: np.ndarray) -> np.ndarray:
    """Lower triangular ``L`` with ``L L^T = W``; ``W`` symmetric positive definite.

    Raises
    ------
    LinAlgError
        ``W`` is not (numerically) positive definite.
    """
    W = np.ascontiguousarray(W, dtype=np.float64)
    L, ok = _pick(_cholesky, W)(W)
    if not ok:
        raise LinAlgError("cholesky: the matrix is not positive definite")
    return L


@_routine
def _svd(M):  # pragma: no cover - compiled
    m, n = M.shape
    G = M.copy()
    V = np.eye(n)
    eps = 2.220446049250313e-16
    for _sweep in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha = 0.0
                beta = 0.0
                gamma = 0.0
                for i in range(m):
                    alpha += G[i, p] * G[i, p]
                    beta += G[i, q] * G[i, q]
                    gamma += G[i, p] * G[i, q]
                if gamma == 0.0 or abs(gamma) <= eps * np.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                sgn = 1.0 if zeta >= 0.0 else -1.0
                t = sgn / (abs(zeta) + np.sqrt(1.0 + zeta * zeta))
                c = 1.0 / np.sqrt(1.0 + t * t)
                s = c * t
                for i in range(m):
                    gp = G[i, p]
                    gq = G[i, q]
                    G[i, p] = c * gp - s * gq
                    G[i, q] = s * gp + c * gq
                for i in range(n):
                    vp = V[i, p]
                    vq = V[i, q]
                    V[i, p] = c * vp - s * vq
                    V[i, q] = s * vp + c * vq
        if not rotated:
            break
    sv = np.zeros(n)
    for j in range(n):
        s2 = 0.0
        for i in range(m):
            s2 += G[i, j] * G[i, j]
        sv[j] = np.sqrt(s2)
    order = np.argsort(-sv, kind="mergesort")  # stable: ties keep index order
    U = np.zeros((m, n))
    Vs = np.zeros((n, n))
    s_out = np.zeros(n)
    for jj in range(n):
        j = order[jj]
        s_out[jj] = sv[j]
        for i in range(m):
            U[i, jj] = G[i, j] / sv[j] if sv[j] > 0.0 else 0.0
        for i in range(n):
            Vs[i, jj] = V[i, j]
    return U, s_out, Vs


def svd(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD ``M = U diag(s) V^T`` by one-sided Jacobi rotations.

    Parameters
    ----------
    M : ndarray, shape ``(m, n)`` with ``m >= n``

    Returns
    -------
    U : ndarray, shape ``(m, n)``
    s : ndarray, shape ``(n,)``, decreasing
    V : ndarray, shape ``(n, n)`` (not transposed)
    """
    M = np.ascontiguousarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] < M.shape[1]:
        raise LinAlgError(f"svd: expected shape (m, n) with m >= n, got {M.shape}")
    return _pick(_svd, M)(M)  # type: ignore[no-any-return]


@_routine
def _expm(M):  # pragma: no cover - compiled
    n = M.shape[0]
    norm = 0.0
    for j in range(n):
        c = 0.0
        for i in range(n):
            c += abs(M[i, j])
        norm = max(norm, c)
    squarings = 0
    scale = 1.0
    while norm * scale > 0.5:
        scale *= 0.5
        squarings += 1
    X = M * scale
    E = np.eye(n)
    for k in range(18, 0, -1):  # Horner: I + X/1 (I + X/2 (... (I + X/18)))
        E = _matmul(X, E) / k
        for i in range(n):
            E[i, i] += 1.0
    for _ in range(squarings):
        E = _matmul(E, E)
    return E


def expm(M: np.ndarray) -> np.ndarray:
    """Matrix exponential of ``M`` (shape ``(n, n)``), scaling and squaring."""
    M = np.ascontiguousarray(M, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise LinAlgError(f"expm: expected a square matrix, got shape {M.shape}")
    return _pick(_expm, M)(M)  # type: ignore[no-any-return]


@_routine
def _dlyap(A, Q):  # pragma: no cover - compiled
    X = Q.copy()
    Ak = A.copy()
    for _ in range(200):
        step = _matmul(_matmul(Ak, X), Ak.T.copy())
        big = 0.0
        for v in X.ravel():
            big = max(big, abs(v))
        small = 0.0
        for v in step.ravel():
            small = max(small, abs(v))
        X = X + step
        if not (small < np.inf and big < np.inf):  # diverged (not stable)
            return X, False
        if small <= 1e-18 * big:
            return X, True
        Ak = _matmul(Ak, Ak)
    return X, False


def dlyap(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Solve ``X = A X A^T + Q`` for a stable ``A`` (shapes ``(n, n)``).

    Smith's doubling: ``X = sum_k A^k Q (A^T)^k`` summed in ``log2`` steps.

    Raises
    ------
    LinAlgError
        The iteration did not converge (``A`` is not stable enough).
    """
    A = np.ascontiguousarray(A, dtype=np.float64)
    Q = np.ascontiguousarray(Q, dtype=np.float64)
    X, ok = _pick(_dlyap, A, Q)(A, Q)
    if not ok:
        raise LinAlgError("dlyap: the doubling iteration did not converge")
    return X


def charpoly(A: np.ndarray) -> np.ndarray:
    """Coefficients ``[1, c1, ..., cn]`` of ``det(z I - A)`` (Faddeev-LeVerrier).

    Fine for the small orders of a plant (``n`` up to about 10); the recursion
    loses accuracy for large ``n``.
    """
    A = np.ascontiguousarray(A, dtype=np.float64)
    n = A.shape[0]
    coeffs = [1.0]
    M = np.zeros((n, n))
    eye = np.eye(n)
    mm = _pick(_matmul, A)
    for k in range(1, n + 1):
        M = mm(A, M) + coeffs[-1] * eye
        AM = mm(A, M)
        trace = 0.0
        for i in range(n):
            trace += AM[i, i]
        coeffs.append(-trace / k)
    return np.array(coeffs)
