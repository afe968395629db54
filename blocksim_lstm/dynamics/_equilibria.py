"""Fixed points ``x* = f(x*, u0)`` of any cell for a constant input ``u0``.

Newton's method on ``F(x) = f(x, u0) - x`` with the analytic Jacobian, from many
starts at once (random states and states sampled along a driven trajectory), with
a backtracking line search. A start whose Newton run fails (singular ``A - I``,
a non-finite or divergent iterate, no decrease, too many iterations) falls back
to minimizing ``q(x) = 1/2 |F(x)|^2`` as in FixedPointFinder (Golub & Sussillo,
2018), then Newton again from the minimizer. Every point returned has had its
residual ``|f(x*, u0) - x*|_inf`` recomputed and checked; points reached from
several starts are merged. Everything goes through the cell's
:class:`~blocksim_lstm.dynamics.CellSystem` (its step, ``A`` and ``A^T w``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_positive_int
from ._stability import Kind, classify, sorted_eigenvalues
from ._system import CellSystem, cell_system

__all__ = [
    "Equilibria",
    "FixedPoint",
    "SlowPoint",
    "StartReport",
    "default_starts",
    "fixed_points",
]

X_MAX: float = 1e12
"""A Newton iterate with ``|x|_inf`` beyond this is called divergent."""

STALL: int = 10
"""Newton steps without halving the residual after which a start is given up."""

PLATEAU: int = 50
"""q-minimization steps within which a row must halve its best q to go on."""


def _pairs(z: np.ndarray) -> list[list[float]]:
    return [[float(v.real), float(v.imag)] for v in np.asarray(z, dtype=complex)]


def _parts(x: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    nn = x.shape[-1] // len(names)
    return {s: x[..., k * nn : (k + 1) * nn] for k, s in enumerate(names)}


def _lists(x: np.ndarray, names: tuple[str, ...]) -> dict[str, list[float]]:
    return {k: [float(v) for v in a] for k, a in _parts(x, names).items()}


def _part(x: np.ndarray, names: tuple[str, ...], name: str) -> np.ndarray:
    if name not in names:
        raise AttributeError(
            f"{name}: this cell's state is ({', '.join(names)}), it has no {name}"
        )
    return _parts(x, names)[name]


@dataclass(frozen=True)
class FixedPoint:
    """One fixed point ``x* = f(x*, u0)``.

    Attributes
    ----------
    x : ndarray, shape ``(n,)``
        ``(h*, c*)`` (LSTMs, ``n = 2Nn``) or ``h*`` (GRU, RNN, ``n = Nn``).
    u0 : ndarray, shape ``(Ni,)``
        The constant input.
    residual : float
        ``|f(x*, u0) - x*|_inf``, recomputed after the search.
    eigenvalues : ndarray, complex, shape ``(n,)``
        Of ``A = df/dx`` at ``(x*, u0)``, by decreasing modulus.
    spectral_radius : float
        Largest eigenvalue modulus.
    kind : str
        ``stable``, ``saddle``, ``unstable`` or ``marginal`` (see
        :data:`~blocksim_lstm.dynamics.KINDS`).
    starts : int
        How many starts converged to it.
    states : tuple of str
        The cell's state arrays in ``x`` (``("h", "c")`` or ``("h",)``).
    """

    x: np.ndarray
    u0: np.ndarray
    residual: float
    eigenvalues: np.ndarray
    spectral_radius: float
    kind: Kind
    starts: int = 1
    states: tuple[str, ...] = ("h", "c")

    @property
    def h(self) -> np.ndarray:
        """Hidden state ``h*``, shape ``(Nn,)``."""
        return _part(self.x, self.states, "h")

    @property
    def c(self) -> np.ndarray:
        """Cell state ``c*``, shape ``(Nn,)`` (AttributeError for a GRU or RNN)."""
        return _part(self.x, self.states, "c")

    @property
    def stable(self) -> bool:
        """True if every eigenvalue lies inside the unit circle."""
        return self.kind == "stable"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``h, c`` (the state arrays), ``residual, eigenvalues
        ([re, im] pairs), spectral_radius, kind, starts``."""
        return {
            **{
                k: [float(v) for v in a] for k, a in _parts(self.x, self.states).items()
            },
            "residual": float(self.residual),
            "eigenvalues": _pairs(self.eigenvalues),
            "spectral_radius": float(self.spectral_radius),
            "kind": self.kind,
            "starts": int(self.starts),
        }


@dataclass(frozen=True)
class SlowPoint:
    """A local minimum of ``q = 1/2 |f(x, u0) - x|^2`` that is not a fixed point.

    Attributes
    ----------
    x : ndarray, shape ``(n,)``
    q : float
        ``q(x) > 0``.
    speed : float
        ``|f(x, u0) - x|_inf``: how far one step moves the state.
    states : tuple of str
        The cell's state arrays in ``x``.
    """

    x: np.ndarray
    q: float
    speed: float
    states: tuple[str, ...] = ("h", "c")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``h, c`` (the state arrays), ``q, speed``."""
        return {
            **{
                k: [float(v) for v in a] for k, a in _parts(self.x, self.states).items()
            },
            "q": float(self.q),
            "speed": float(self.speed),
        }


@dataclass(frozen=True)
class StartReport:
    """What became of one start.

    Attributes
    ----------
    index : int
        Position in the list of starts.
    origin : str
        ``free run`` (the state after running with ``u0``), ``trajectory``
        (sampled along a driven run), ``random`` or ``given``.
    status : str
        ``newton`` (converged), ``fallback`` (converged after q-minimization),
        ``slow`` (only a slow point) or ``failed``.
    reason : str
        Why Newton (and the fallback) failed; empty on success.
    residual : float
        Final ``|f(x) - x|_inf`` (NaN if non-finite).
    iterations : int
        Newton iterations used (first run).
    """

    index: int
    origin: str
    status: str
    reason: str
    residual: float
    iterations: int

    @property
    def converged(self) -> bool:
        """True if the start reached a fixed point."""
        return self.status in ("newton", "fallback")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (a non-finite residual becomes None)."""
        r = float(self.residual)
        return {
            "index": self.index,
            "origin": self.origin,
            "status": self.status,
            "reason": self.reason,
            "residual": r if np.isfinite(r) else None,
            "iterations": self.iterations,
        }


@dataclass(frozen=True)
class Equilibria:
    """Result of :func:`fixed_points`.

    Attributes
    ----------
    u0 : ndarray, shape ``(Ni,)``
    fixed_points : list of FixedPoint
        Distinct fixed points, most stable first (by spectral radius).
    starts : list of StartReport
        One per start, in order.
    slow_points : list of SlowPoint
        Filled only when asked for (``slow_points=True``).
    tol : float
        Residual tolerance used (``|f(x*, u0) - x*|_inf <= tol``).
    """

    u0: np.ndarray
    fixed_points: list[FixedPoint]
    starts: list[StartReport]
    slow_points: list[SlowPoint] = field(default_factory=list)
    tol: float = 1e-10

    @property
    def converged(self) -> int:
        """Number of starts that reached a fixed point."""
        return sum(s.converged for s in self.starts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: ``u0, fixed_points, starts, slow_points, tol``."""
        failed = [s.to_dict() for s in self.starts if not s.converged]
        return {
            "u0": [float(v) for v in self.u0],
            "fixed_points": [fp.to_dict() for fp in self.fixed_points],
            "starts": {
                "requested": len(self.starts),
                "converged": self.converged,
                "by_newton": sum(s.status == "newton" for s in self.starts),
                "by_fallback": sum(s.status == "fallback" for s in self.starts),
                "not_converged": failed,
            },
            "slow_points": [s.to_dict() for s in self.slow_points],
            "tol": self.tol,
        }


# ---------------------------------------------------------------- the search
def _residual(p: CellSystem | Any, X: np.ndarray, u0: np.ndarray) -> np.ndarray:
    return cell_system(p).step(X, u0) - X


def state_jacobian(p: CellSystem | Any, X: np.ndarray, u0: np.ndarray) -> np.ndarray:
    """``A`` at the rows of ``X`` (the one place the search takes it from)."""
    return cell_system(p).state_jacobian(X, u0)


def _inf(a: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        r = np.max(np.abs(a), axis=-1)
    return np.where(np.all(np.isfinite(a), axis=-1), r, np.nan)


def _solve(M: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched ``M d = rhs``.

    Returns the steps (NaN rows where no step was made), which rows were solved,
    and which rows had a non-finite ``M`` or right-hand side.
    """
    d = np.full(rhs.shape, np.nan)
    fin = np.all(np.isfinite(M), axis=(-2, -1)) & np.all(np.isfinite(rhs), axis=-1)
    ok = np.zeros(len(M), dtype=bool)
    # a zero column (e.g. a saturated forget gate, f = 1.0 exactly, with k = 0)
    # is singular for sure: skip it, so the batched solve rarely has to fail
    zero_col = np.any(np.all(M == 0.0, axis=-2), axis=-1)
    idx = np.flatnonzero(fin & ~zero_col)
    if idx.size:
        try:
            d[idx] = np.linalg.solve(M[idx], rhs[idx, :, None])[..., 0]
            ok[idx] = True
        except np.linalg.LinAlgError:
            for k in idx:
                try:
                    d[k] = np.linalg.solve(M[k], rhs[k])
                    ok[k] = True
                except np.linalg.LinAlgError:
                    pass
    # an (almost) singular M gives a huge or non-finite step: caught by the caller
    return d, ok, ~fin


def _newton(
    p: CellSystem | Any,
    X0: np.ndarray,
    u0: np.ndarray,
    *,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    """Damped Newton from each row of ``X0``.

    Returns the final iterates, their residuals, a failure reason per row (empty
    string: converged) and the iteration counts.
    """
    X = X0.copy()
    S, n = X.shape
    eye = np.eye(n)
    F = _residual(p, X, u0)
    res = _inf(F)
    reason = [""] * S
    iters = np.zeros(S, dtype=int)
    active = np.ones(S, dtype=bool)

    def done(r: np.ndarray) -> np.ndarray:
        return r <= tol  # NaN (a non-finite residual) is never done

    history = [res.copy()]
    for it in range(max_iter):
        active &= ~done(res)
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        iters[idx] += 1
        A = state_jacobian(p, X[idx], u0)
        d, ok, bad = _solve(A - eye, -F[idx])
        for k, good, nonfinite in zip(idx, ok, bad, strict=True):
            if not good:
                reason[k] = (
                    "non-finite Jacobian" if nonfinite else "singular Jacobian A - I"
                )
                active[k] = False
        keep = ok & np.all(np.isfinite(d), axis=-1)
        for k in idx[ok & ~keep]:
            reason[k] = "non-finite Newton step"
            active[k] = False
        idx, d = idx[keep], d[keep]
        if idx.size == 0:
            continue
        # backtracking on |F|_2: halve the step until the residual decreases
        norm0 = np.linalg.norm(F[idx], axis=-1)
        alpha = np.ones(idx.size)
        accepted = np.zeros(idx.size, dtype=bool)
        Xn = X[idx].copy()
        Fn = F[idx].copy()
        for _half in range(12):
            todo = ~accepted
            if not todo.any():
                break
            trial = X[idx[todo]] + alpha[todo, None] * d[todo]
            with np.errstate(over="ignore", invalid="ignore"):
                Ft = _residual(p, trial, u0)
            nt = np.linalg.norm(Ft, axis=-1)
            better = np.isfinite(nt) & (nt < (1.0 - 1e-4 * alpha[todo]) * norm0[todo])
            # at rounding level no decrease is possible: accept a converged trial
            better |= np.isfinite(nt) & done(_inf(Ft))
            t_idx = np.flatnonzero(todo)
            Xn[t_idx[better]] = trial[better]
            Fn[t_idx[better]] = Ft[better]
            accepted[t_idx[better]] = True
            alpha[todo] *= 0.5
        for j, k in enumerate(idx):
            if not accepted[j]:
                reason[k] = "no decrease along the Newton step"
                active[k] = False
        X[idx[accepted]] = Xn[accepted]
        F[idx[accepted]] = Fn[accepted]
        res[idx[accepted]] = _inf(Fn[accepted])
        big = (np.max(np.abs(X), axis=-1) > X_MAX) & ~done(res)
        for k in np.flatnonzero(big & active):
            reason[k] = f"diverged (|x| > {X_MAX:.0e})"
            active[k] = False
        history.append(res.copy())
        if it >= STALL:
            # a damped Newton run that has not halved its residual in STALL steps
            # is far from any root: hand it to the fallback now
            slow = active & ~(res <= 0.5 * history[-1 - STALL])
            for k in np.flatnonzero(slow):
                reason[k] = f"stalled (residual not halved in {STALL} Newton steps)"
                active[k] = False
    conv = done(res) & np.all(np.isfinite(X), axis=-1)
    for j in range(S):
        if conv[j]:
            reason[j] = ""
        elif not reason[j]:
            reason[j] = f"no convergence in {max_iter} Newton iterations"
    return X, res, reason, iters


def _polish(
    p: CellSystem | Any, X: np.ndarray, u0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two more full Newton steps, each kept only where it lowers the residual."""
    eye = np.eye(X.shape[1])
    res = _inf(_residual(p, X, u0))
    for _ in range(2):
        A = state_jacobian(p, X, u0)
        d, _ok, _bad = _solve(A - eye, -_residual(p, X, u0))
        with np.errstate(over="ignore", invalid="ignore"):
            trial = X + np.nan_to_num(d, nan=0.0, posinf=0.0, neginf=0.0)
            rt = _inf(_residual(p, trial, u0))
        better = np.isfinite(rt) & (rt < res)
        X = np.where(better[:, None], trial, X)
        res = np.where(better, rt, res)
    return X, res


def _minimize_q(
    p: CellSystem,
    X0: np.ndarray,
    u0: np.ndarray,
    iters: int,
    *,
    lr: float = 0.02,
    stop: float = 1e-16,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimize ``q(x) = 1/2 |f(x, u0) - x|^2`` from each row of ``X0``.

    Adam on all rows at once, as FixedPointFinder does; the gradient
    ``(A - I)^T F`` is a vector-Jacobian product (no matrix is formed), so an
    iteration costs about one step of the map. Returns the best point of each
    row and its ``q``.
    """
    X = X0.copy()
    m = np.zeros_like(X)
    v = np.zeros_like(X)
    best = X.copy()
    best_q = np.full(len(X), np.inf)
    b1, b2 = 0.9, 0.999
    live = np.ones(len(X), dtype=bool)
    mark = np.full(len(X), np.inf)  # best q PLATEAU iterations ago
    for t in range(1, iters + 1):
        with np.errstate(over="ignore", invalid="ignore"):
            X1, vjp = p.step_vjp(X, u0)  # one forward pass: residual and gradient
            F = X1 - X
            q = 0.5 * np.sum(F * F, axis=-1)
        q = np.where(np.isfinite(q), q, np.inf)
        improved = q < best_q
        best[improved] = X[improved]
        best_q[improved] = q[improved]
        live &= np.isfinite(q) & (best_q > stop)
        if t % PLATEAU == 0:
            # near a root q falls geometrically; a row that has not halved its
            # best q in PLATEAU steps is at a slow point or far from any root
            live &= best_q < 0.5 * mark
            mark = best_q.copy()
        if not live.any():
            break
        with np.errstate(over="ignore", invalid="ignore"):
            g = vjp(F) - F
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            step = lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-12)
            X = np.where(live[:, None], X - step, X)
    return best, best_q


def _merge_slow(points: list[SlowPoint], tol: float = 1e-3) -> list[SlowPoint]:
    """Slow points reached from several starts, once each (lowest q kept)."""
    kept: list[SlowPoint] = []
    for sp in sorted(points, key=lambda s: s.q):
        if not any(
            np.max(np.abs(sp.x - k.x)) <= tol * (1.0 + np.max(np.abs(k.x)))
            for k in kept
        ):
            kept.append(sp)
    return kept


def default_starts(
    params: Any,
    u0: ArrayLike | None,
    count: int,
    *,
    seed: int = 0,
) -> tuple[np.ndarray, list[str]]:
    """Starting states for the search, shape ``(count, n)``, and their origins.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    u0 : array_like, shape ``(Ni,)``, optional
        The constant input (None: zero).
    count
        Number of starts, >= 1.
    seed
        Seed of the random starts and of the driving noise.

    Notes
    -----
    The first is the state after 200 steps with the constant input ``u0`` from
    the initial state (where a stable fixed point would attract it); then, half
    of the rest are states sampled evenly along a run driven by ``u0 + N(0, 1)``
    noise, the others random, each state array in turn: uniform in ``(-b, b)``
    with ``b`` its bound (``h`` of the tanh cells: 1), or for an unbounded one
    (``c``; ``h`` of a ReLU RNN) the largest ``|value|`` seen on the driven run
    (at least 1).
    """
    p = cell_system(params)
    u0 = p.check_u0(u0)
    count = check_positive_int("count", count)
    rng = np.random.default_rng(seed)
    x = p.initial_state()
    for _ in range(200):
        x = p.step(x, u0)
    starts = [x]
    origins = ["free run"]
    n_traj = (count - 1) // 2
    n_rand = count - 1 - n_traj
    steps = max(4 * n_traj, 50)
    noise = u0 + rng.standard_normal((steps, p.ni))
    traj = np.empty((steps, p.n))
    y = p.initial_state()
    for t in range(steps):
        y = p.step(y, noise[t])
        traj[t] = y
    if n_traj:
        pick = np.linspace(steps // 4, steps - 1, n_traj).round().astype(int)
        starts.extend(traj[pick])
        origins += ["trajectory"] * n_traj
    if n_rand:
        seen = p.split(traj)
        scale = [
            max(1.0, float(np.max(np.abs(seen[name])))) if b is None else b
            for name, b in zip(p.STATES, p.bounds, strict=True)
        ]
        draws = [rng.uniform(-b, b, (n_rand, p.nn)) for b in scale]
        starts.extend(np.concatenate(draws, axis=-1))
        origins += ["random"] * n_rand
    X = np.array(starts[:count], dtype=float)
    return X, origins[:count]


def _dedup(
    X: np.ndarray, res: np.ndarray, tol: float
) -> list[tuple[np.ndarray, float, int]]:
    order = np.argsort(res, kind="stable")
    groups: list[list[Any]] = []
    for k in order:
        x = X[k]
        for g in groups:
            scale = 1.0 + max(np.max(np.abs(x)), np.max(np.abs(g[0])))
            if np.max(np.abs(x - g[0])) <= tol * scale:
                g[2] += 1
                break
        else:
            groups.append([x, float(res[k]), 1])
    return [(g[0], g[1], g[2]) for g in groups]


def fixed_points(
    params: Any,
    u0: ArrayLike | None = None,
    *,
    starts: int = 32,
    seed: int = 0,
    initial_states: ArrayLike | None = None,
    tol: float = 1e-10,
    max_iter: int = 50,
    fallback_iter: int = 500,
    slow_points: bool = False,
    slow_tol: float = 1e-6,
    dedup_tol: float = 1e-8,
    marginal_tol: float = 1e-9,
) -> Equilibria:
    """Find the fixed points ``x* = f(x*, u0)`` for a constant input ``u0``.

    Parameters
    ----------
    params
        A cell's parameters (:class:`~blocksim_lstm.LSTMParams`,
        :class:`~blocksim_lstm.cells.GRUParams`, ``PeepholeParams``,
        ``RNNParams``; cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`.
    u0 : array_like, shape ``(Ni,)``, optional
        Constant input; zero if omitted (a scalar is accepted when ``Ni == 1``).
    starts
        Number of starts (>= 1), made by :func:`default_starts` (seeded).
    seed
        Seed of the random starts and of the driving noise.
    initial_states : array_like, shape ``(S, n)``, optional
        Use these starts instead (``starts`` is then ignored).
    tol
        A point is a fixed point if ``|f(x, u0) - x|_inf <= tol``.
    max_iter
        Newton iterations per start.
    fallback_iter
        Adam iterations of the q-minimization fallback (all failed starts at
        once).
    slow_points
        Also report the minima of ``q`` that are not fixed points but have
        ``q <= slow_tol`` (slow points, Sussillo & Barak 2013).
    slow_tol
        Largest ``q`` of a reported slow point.
    dedup_tol
        Two fixed points closer than ``dedup_tol (1 + |x|_inf)`` (max norm) are
        one.
    marginal_tol
        Band around the unit circle labelled ``marginal``.

    Returns
    -------
    Equilibria
        Distinct fixed points (most stable first, each with residual,
        eigenvalues, spectral radius, kind and the number of starts that reached
        it), one :class:`StartReport` per start, and slow points if asked.

    Raises
    ------
    ValueError
        ``u0`` of the wrong width or non-finite; ``initial_states`` badly shaped
        or non-finite; ``tol`` not positive.
    TypeError
        ``starts`` not an integer.
    """
    p = cell_system(params)
    u = p.check_u0(u0)
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol: expected a positive number, got {tol!r}")
    max_iter = check_positive_int("max_iter", max_iter)
    fallback_iter = check_positive_int("fallback_iter", fallback_iter)
    if initial_states is None:
        count = check_positive_int("starts", starts)
        X0, origins = default_starts(p, u, count, seed=seed)
    else:
        X0 = p.check_state(initial_states, "initial_states")
        if X0.ndim == 1:
            X0 = X0[None]
        if X0.ndim != 2 or X0.shape[0] < 1:
            raise ValueError(
                f"initial_states: expected shape (S, {p.n}) with S >= 1, got {X0.shape}"
            )
        origins = ["given"] * X0.shape[0]
    X, res, reason, iters = _newton(p, X0, u, tol=tol, max_iter=max_iter)
    status = ["newton" if not r else "failed" for r in reason]
    slow: list[SlowPoint] = []
    failed = np.array([k for k, s in enumerate(status) if s == "failed"], dtype=int)
    if failed.size:
        Xq, q = _minimize_q(p, X0[failed], u, fallback_iter)
        fin = np.isfinite(q) & np.all(np.isfinite(Xq), axis=-1)
        Xn, rn, rsn, _ = _newton(
            p, np.where(fin[:, None], Xq, X0[failed]), u, tol=tol, max_iter=max_iter
        )
        speed = _inf(_residual(p, Xq, u))
        for j, k in enumerate(failed):
            if not fin[j]:
                reason[k] += "; q-minimization: non-finite"
            elif not rsn[j]:
                X[k], res[k], status[k] = Xn[j], rn[j], "fallback"
            else:
                reason[k] += f"; q-minimization reached q = {q[j]:.3g}, no fixed point"
                X[k], res[k] = Xq[j], speed[j]
                if slow_points and q[j] <= slow_tol:
                    status[k] = "slow"
                    slow.append(
                        SlowPoint(
                            x=Xq[j].copy(),
                            q=float(q[j]),
                            speed=speed[j],
                            states=p.STATES,
                        )
                    )
    slow = _merge_slow(slow)
    ok = np.array([s in ("newton", "fallback") for s in status], dtype=bool)
    if ok.any():
        Xp, rp = _polish(p, X[ok], u)
        X[ok], res[ok] = Xp, rp
    # the check: recompute every residual from scratch and apply the tolerance
    with np.errstate(over="ignore", invalid="ignore"):
        final = _inf(_residual(p, X, u))
    for k in np.flatnonzero(ok):
        if not (np.isfinite(final[k]) and final[k] <= tol):
            status[k] = "failed"
            reason[k] = f"residual {final[k]:.3g} above tolerance after polishing"
            ok[k] = False
    reports = [
        StartReport(
            index=k,
            origin=origins[k],
            status=status[k],
            reason="" if ok[k] else reason[k],
            residual=float(final[k]),
            iterations=int(iters[k]),
        )
        for k in range(len(status))
    ]
    points: list[FixedPoint] = []
    if ok.any():
        groups = _dedup(X[ok], final[ok], dedup_tol)
        A = p.jacobians(np.array([g[0] for g in groups]), u).A
        for (x, r, n), a in zip(groups, A, strict=True):
            ev = sorted_eigenvalues(a)
            points.append(
                FixedPoint(
                    x=x.copy(),
                    u0=u.copy(),
                    residual=r,
                    eigenvalues=ev,
                    spectral_radius=float(np.max(np.abs(ev))),
                    kind=classify(ev, tol=marginal_tol),
                    starts=n,
                    states=p.STATES,
                )
            )
        points.sort(key=lambda fp: (fp.spectral_radius, tuple(fp.x)))
    return Equilibria(
        u0=u, fixed_points=points, starts=reports, slow_points=slow, tol=tol
    )
