"""Stability along a forced trajectory: Lyapunov exponents and contraction.

For ``x(t+1) = f(x(t), u(t))`` a tangent vector evolves as ``dx(t+1) = A(t) dx(t)``
with ``A(t) = df/dx`` at ``(x(t), u(t))``. The largest Lyapunov exponent is the
mean logarithmic growth rate of ``|dx|`` per step; it is computed by the QR
method (Benettin et al. 1980): propagate ``k`` orthonormal vectors, re-orthonormalize
them with a QR factorization each step and average ``log |R_jj|``. Negative:
nearby trajectories converge (the input, not the initial state, decides the
response); positive: they separate. The largest singular value of ``A(t)`` says
whether one step contracts *every* direction (``< 1``) at that point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._reference import check_input
from .._validate import check_positive_int
from ._system import CellSystem, cell_system

__all__ = ["Contraction", "contraction", "lyapunov_exponents", "trajectory"]


def _start(p: CellSystem, x0: ArrayLike | None) -> np.ndarray:
    if x0 is None:
        return p.initial_state()
    x = p.check_state(x0, "x0")
    if x.shape != (p.n,):
        raise ValueError(f"x0: expected shape ({p.n},), got shape {x.shape}")
    return x


def _input(p: CellSystem, u: ArrayLike) -> np.ndarray:
    uu = check_input(u, p.ni)
    if uu.ndim != 2:
        raise ValueError(
            f"u: expected one sequence of shape (steps, Ni), got shape {uu.shape}"
        )
    return uu


def trajectory(params: Any, u: ArrayLike, *, x0: ArrayLike | None = None) -> np.ndarray:
    """States of the forced system: ``X[0] = x0``, ``X[t+1] = f(X[t], u[t])``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    u : array_like, shape ``(T, Ni)``
        Input sequence.
    x0 : array_like, shape ``(n,)``, optional
        Initial state; the parameters' (``(h0, c0)`` or ``h0``) if omitted.

    Returns
    -------
    ndarray, shape ``(T + 1, n)``
    """
    p = cell_system(params)
    uu = _input(p, u)
    X = np.empty((uu.shape[0] + 1, p.n))
    X[0] = _start(p, x0)
    for t in range(uu.shape[0]):
        X[t + 1] = p.step(X[t], uu[t])
    return X


def lyapunov_exponents(
    params: Any,
    u: ArrayLike,
    *,
    x0: ArrayLike | None = None,
    k: int = 1,
    burn_in: int = 0,
    seed: int = 0,
) -> np.ndarray:
    """The ``k`` largest Lyapunov exponents along the trajectory driven by ``u``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    u : array_like, shape ``(T, Ni)``
        Input sequence; ``T > burn_in``.
    x0 : array_like, shape ``(n,)``, optional
        Initial state; the parameters' if omitted.
    k
        Number of exponents, ``1 <= k <= n`` (the state size).
    burn_in
        Steps run (and orthonormalized) before averaging starts: lets the
        tangent vectors align with the growing directions.
    seed
        Seed of the random orthonormal start vectors.

    Returns
    -------
    ndarray, shape ``(k,)``
        Exponents per step (natural log), decreasing; divide by ``Ts`` for per
        second. ``-inf`` when a direction is mapped to exactly zero.
    """
    p = cell_system(params)
    uu = _input(p, u)
    n = p.n
    k = check_positive_int("k", k)
    if k > n:
        raise ValueError(f"k: expected 1 <= k <= {p.size_text} = {n}, got {k}")
    burn_in = check_positive_int("burn_in", burn_in, minimum=0)
    if uu.shape[0] <= burn_in:
        raise ValueError(
            f"u: expected more than burn_in = {burn_in} steps, got {uu.shape[0]}"
        )
    return _exponents(p, trajectory(p, uu, x0=x0), uu, k, burn_in, seed)


def _exponents(
    p: CellSystem, X: np.ndarray, uu: np.ndarray, k: int, burn_in: int, seed: int
) -> np.ndarray:
    """QR method along the states ``X`` (``(T + 1, n)``) driven by ``uu``."""
    n = X.shape[1]
    tangent = p.tangent(X[:-1], uu)
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    acc = np.zeros(k)
    with np.errstate(divide="ignore"):
        for t in range(uu.shape[0]):
            V = tangent(t, Q)  # the tangent map A(t) @ Q
            if k == 1:
                r = np.linalg.norm(V)
                Q = V / r if r > 0 else V
                logs = np.log(np.array([r]))
            else:
                Q, R = np.linalg.qr(V)
                logs = np.log(np.abs(np.diag(R)))
            if t >= burn_in:
                acc += logs
    return np.sort(acc / (uu.shape[0] - burn_in))[::-1]


@dataclass(frozen=True)
class Contraction:
    """Largest singular value of ``A(t)`` at sampled steps of a trajectory.

    Attributes
    ----------
    steps : ndarray of int, shape ``(P,)``
        The sampled step indices ``t``.
    singular_values : ndarray, shape ``(P,)``
        ``|A(t)|_2`` at each.
    """

    steps: np.ndarray
    singular_values: np.ndarray

    @property
    def max(self) -> float:
        """Largest over the samples."""
        return float(np.max(self.singular_values))

    @property
    def mean(self) -> float:
        """Mean over the samples."""
        return float(np.mean(self.singular_values))

    @property
    def contracting_fraction(self) -> float:
        """Fraction of samples where one step contracts every direction (< 1)."""
        return float(np.mean(self.singular_values < 1.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``max_singular_value, mean_singular_value,
        contracting_fraction, points``."""
        return {
            "max_singular_value": self.max,
            "mean_singular_value": self.mean,
            "contracting_fraction": self.contracting_fraction,
            "points": int(self.steps.size),
        }


def contraction(
    params: Any,
    u: ArrayLike,
    *,
    x0: ArrayLike | None = None,
    burn_in: int = 0,
    points: int | None = 32,
) -> Contraction:
    """``|df/dx|_2`` (largest singular value) along the trajectory driven by ``u``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    u : array_like, shape ``(T, Ni)``
        Input sequence; ``T > burn_in``.
    x0 : array_like, shape ``(n,)``, optional
        Initial state; the parameters' if omitted.
    burn_in
        Steps skipped at the start.
    points
        Number of evenly spaced steps evaluated (an exact SVD each, so the cost
        is ``points n^3``); None: every step after the burn-in.

    Returns
    -------
    Contraction
    """
    p = cell_system(params)
    uu = _input(p, u)
    burn_in = check_positive_int("burn_in", burn_in, minimum=0)
    if uu.shape[0] <= burn_in:
        raise ValueError(
            f"u: expected more than burn_in = {burn_in} steps, got {uu.shape[0]}"
        )
    return _contraction(p, trajectory(p, uu, x0=x0), uu, burn_in, points)


def _contraction(
    p: CellSystem, X: np.ndarray, uu: np.ndarray, burn_in: int, points: int | None
) -> Contraction:
    avail = np.arange(burn_in, uu.shape[0])
    if points is not None:
        points = check_positive_int("points", points)
        if points < avail.size:
            avail = np.unique(np.linspace(avail[0], avail[-1], points).round())
            avail = avail.astype(int)
    A = p.jacobians(X[avail], uu[avail]).A
    sv = np.linalg.norm(A, ord=2, axis=(-2, -1))
    return Contraction(steps=avail, singular_values=sv)
