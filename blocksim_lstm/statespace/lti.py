"""Linear time-invariant systems on python-control: the seed's plant and helpers.

Everything here is plain python-control / numpy: building and checking a discrete
state-space system, seeded random stable systems, simulation, steady-state gain,
poles, zeros and a readable zero-pole-gain summary.
"""

from __future__ import annotations

import os
from pathlib import Path

import control as ct
import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linear_sum_assignment
from scipy.stats import ortho_group

from .._experiment import PLANT_GAIN, PLANT_POLES, PLANT_TS, PLANT_ZEROS
from .._files import read_npz, savez_atomic
from .._validate import as_array, check_memory, check_positive_int, check_seed
from ._discretize import zoh_companion

__all__ = [
    "check_discrete",
    "check_system_input",
    "dcgain",
    "load_system",
    "match_distance",
    "markov_gain",
    "poles",
    "random_stable",
    "save_system",
    "seed_plant",
    "seed_plant_continuous",
    "simulate",
    "state_space",
    "system_bytes",
    "zeros",
]


def seed_plant_continuous() -> ct.TransferFunction:
    """The seed's continuous plant: zero -4, poles -9 +- 5i, -2 +- 50i, gain 5e5."""
    return ct.zpk(list(PLANT_ZEROS), list(PLANT_POLES), PLANT_GAIN)


def seed_plant(ts: float = PLANT_TS) -> ct.StateSpace:
    """The seed's plant, zero-order-hold discretised at ``ts`` and in state space.

    Parameters
    ----------
    ts
        Sample time in seconds.

    Returns
    -------
    control.StateSpace
        Fourth order, one input, one output, ``dt = ts``. The realization is the
        one python-control's ``ss`` gives (companion form), computed with the
        deterministic routines of :mod:`._discretize` so that it has the same
        bits on every machine (``ct.ss(ct.c2d(...))`` agrees to rounding).
    """
    A, B, C, D = zoh_companion(PLANT_ZEROS, PLANT_POLES, PLANT_GAIN, float(ts))
    return ct.ss(A, B, C, D, ts)


def state_space(
    A: ArrayLike,
    B: ArrayLike,
    C: ArrayLike,
    D: ArrayLike | None = None,
    ts: ArrayLike = 1.0,
) -> ct.StateSpace:
    """Check ``(A, B, C, D)`` and build a discrete-time ``control.StateSpace``.

    Parameters
    ----------
    A : array_like, shape ``(nx, nx)``
    B : array_like, shape ``(nx, nu)``
    C : array_like, shape ``(ny, nx)``
    D : array_like, shape ``(ny, nu)``, optional
        Zero if omitted.
    ts
        Sample time, positive and finite.

    Raises
    ------
    ValueError
        Inconsistent dimensions (the message names the matrix, the expected and
        the received shape), NaN/Inf entries, or a bad sample time.
    """
    A_ = as_array("A", A, (None, None))
    nx = A_.shape[0]
    if nx < 1 or A_.shape != (nx, nx):
        raise ValueError(f"A: expected a square (nx, nx) matrix, got shape {A_.shape}")
    B_ = as_array("B", B, (nx, None), what=f"(nx, nu) with nx={nx} from A")
    C_ = as_array("C", C, (None, nx), what=f"(ny, nx) with nx={nx} from A")
    nu, ny = B_.shape[1], C_.shape[0]
    if nu < 1 or ny < 1:
        raise ValueError(f"B, C: expected nu >= 1 and ny >= 1, got nu={nu}, ny={ny}")
    D_ = np.zeros((ny, nu)) if D is None else D
    D_ = as_array("D", D_, (ny, nu), what=f"(ny, nu) with ny={ny}, nu={nu}")
    ts_ = float(as_array("ts", ts, ()))
    if not ts_ > 0:
        raise ValueError(f"ts: expected a positive sample time, got {ts_}")
    return ct.ss(A_, B_, C_, D_, ts_)


def check_discrete(sys: object, name: str = "sys") -> ct.StateSpace:
    """Return ``sys`` if it is a discrete-time ``control.StateSpace``, else raise.

    Parameters
    ----------
    sys
        The value to check.
    name
        What the messages call it.

    Raises
    ------
    TypeError
        ``sys`` is not a ``control.StateSpace`` (a transfer function is refused
        with a hint to convert it with ``control.ss``).
    ValueError
        ``sys`` is continuous-time (``dt == 0``), or has NaN/Inf entries.
    """
    if isinstance(sys, ct.TransferFunction):
        raise TypeError(
            f"{name}: expected a control.StateSpace, got a TransferFunction; "
            "convert it with control.ss(...)"
        )
    if not isinstance(sys, ct.StateSpace):
        raise TypeError(f"{name}: expected a control.StateSpace, got {type(sys)!r}")
    if sys.dt == 0 or sys.dt is None:
        raise ValueError(
            f"{name}: expected a discrete-time system, got a continuous-time one "
            f"(dt={sys.dt}); discretise it first, e.g. control.c2d(sys, Ts, 'zoh')"
        )
    for m in ("A", "B", "C", "D"):
        as_array(f"{name}.{m}", getattr(sys, m))
    return sys


def random_stable(
    nx: int,
    nu: int = 1,
    ny: int = 1,
    *,
    seed: int = 0,
    origin_poles: int = 0,
    max_radius: float = 0.95,
    ts: float = 1.0,
) -> ct.StateSpace:
    """A seeded random stable discrete-time system.

    Poles are drawn inside the disc ``|z| <= max_radius`` (real or complex-conjugate
    pairs), ``origin_poles`` of them exactly at ``z = 0`` (then ``A`` is singular),
    and the coordinates are mixed by a random orthogonal matrix times a random
    diagonal scaling in ``[0.5, 2]``. ``B``, ``C``, ``D`` are standard normal.

    ``control.drss`` is not used because it draws from numpy's global random state.

    Parameters
    ----------
    nx, nu, ny
        States, inputs, outputs (all >= 1).
    seed
        Seed of ``numpy.random.default_rng``: same seed, same system, same bytes.
    origin_poles
        Number of poles placed at the origin, ``0 <= origin_poles <= nx``.
    max_radius
        Largest pole radius, in ``(0, 1)``.
    ts
        Sample time.

    Returns
    -------
    control.StateSpace
        ``A (nx, nx)``, ``B (nx, nu)``, ``C (ny, nx)``, ``D (ny, nu)``.
    """
    nx = check_positive_int("nx", nx)
    nu = check_positive_int("nu", nu)
    ny = check_positive_int("ny", ny)
    origin_poles = check_positive_int("origin_poles", origin_poles, minimum=0)
    if origin_poles > nx:
        raise ValueError(f"origin_poles: expected 0..nx={nx}, got {origin_poles}")
    if not 0 < max_radius < 1:
        raise ValueError(f"max_radius: expected a value in (0, 1), got {max_radius}")
    check_memory(
        "nx", system_bytes(nx, nu, ny), f"a system of nx={nx}, nu={nu}, ny={ny}"
    )
    rng = np.random.default_rng(check_seed("seed", seed))
    blocks: list[np.ndarray] = [np.zeros((1, 1))] * origin_poles
    left = nx - origin_poles
    while left > 0:
        r = rng.uniform(0.1, max_radius)
        if left >= 2 and rng.random() < 0.5:
            th = rng.uniform(0.05, np.pi - 0.05)
            re, im = r * np.cos(th), r * np.sin(th)
            blocks.append(np.array([[re, im], [-im, re]]))
            left -= 2
        else:
            blocks.append(np.array([[r * rng.choice([-1.0, 1.0])]]))
            left -= 1
    J = np.zeros((nx, nx))
    k = 0
    for blk in blocks:
        n = blk.shape[0]
        J[k : k + n, k : k + n] = blk
        k += n
    Q = ortho_group.rvs(nx, random_state=rng) if nx > 1 else np.ones((1, 1))
    T = Q * rng.uniform(0.5, 2.0, nx)
    A = T @ J @ np.linalg.inv(T)
    B = rng.standard_normal((nx, nu))
    C = rng.standard_normal((ny, nx))
    D = rng.standard_normal((ny, nu))
    return ct.ss(A, B, C, D, ts)


def system_bytes(nx: int, nu: int, ny: int) -> float:
    """Memory to draw and handle a system of these sizes (an upper estimate, bytes).

    ``A`` and a dozen ``nx x nx`` work arrays (mixing matrix, inverse, realization
    and factorizations), plus ``B``, ``C``, ``D``.

    Parameters
    ----------
    nx, nu, ny
        States, inputs and outputs.
    """
    x, u, y = float(nx), float(nu), float(ny)
    return 8.0 * (16 * x * x + 4 * (x * u + y * x + y * u))


def check_system_input(u: ArrayLike, nu: int) -> np.ndarray:
    """Return ``u`` as a finite float array of shape ``(T, nu)``, ``T >= 1``.

    A 1-D ``u`` is read as ``(T, 1)`` when ``nu == 1``.

    Parameters
    ----------
    u : array_like, shape ``(T, nu)`` (or ``(T,)`` when nu = 1)
        The input.
    nu
        Inputs of the system.

    Raises
    ------
    ValueError
        Wrong shape (names ``nu`` and the shape received) or NaN/Inf.
    """
    uu = as_array("u", u)
    if uu.ndim == 1 and nu == 1:
        uu = uu[:, None]
    if uu.ndim != 2 or uu.shape[1] != nu or uu.shape[0] < 1:
        raise ValueError(
            f"u: expected shape (T, nu) with nu={nu}, got shape {uu.shape}"
        )
    return uu


def simulate(
    sys: ct.StateSpace, u: ArrayLike, *, x0: ArrayLike | None = None
) -> np.ndarray:
    """Response of a discrete system to ``u`` (``control.forced_response``).

    Parameters
    ----------
    sys
        Discrete-time system, ``nu`` inputs, ``ny`` outputs.
    u : array_like, shape ``(T, nu)`` (or ``(T,)`` when ``nu == 1``)
        Input sequence, one row per sample.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state ``x(0)``; zero if omitted.

    Returns
    -------
    ndarray, shape ``(T, ny)``
        ``y(t) = C x(t) + D u(t)``, ``x(t+1) = A x(t) + B u(t)``.
    """
    sys = check_discrete(sys)
    uu = check_system_input(u, sys.ninputs)
    x0_ = np.zeros(sys.nstates) if x0 is None else as_array("x0", x0, (sys.nstates,))
    resp = ct.forced_response(sys, inputs=uu.T, initial_state=x0_, squeeze=False)
    return np.asarray(resp.outputs).reshape(sys.noutputs, -1).T.copy()


def dcgain(sys: ct.StateSpace) -> np.ndarray:
    """Steady-state gain ``C (I - A)^-1 B + D``, shape ``(ny, nu)``.

    Parameters
    ----------
    sys
        Discrete-time system without a pole at z = 1.

    Raises
    ------
    ValueError
        ``A`` has an eigenvalue at ``z = 1`` (an integrator): no finite gain.
    """
    sys = check_discrete(sys)
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    n = A.shape[0]
    try:
        return C @ np.linalg.solve(np.eye(n) - A, B) + D
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "sys: a pole at z = 1 (an integrator, I - A is singular): the "
            "steady-state gain is infinite"
        ) from exc


def poles(sys: ct.StateSpace) -> np.ndarray:
    """Poles: eigenvalues of ``A``, shape ``(nx,)``, sorted by decreasing |Re|.

    Parameters
    ----------
    sys
        Discrete-time system.
    """
    p = np.linalg.eigvals(np.asarray(check_discrete(sys).A, dtype=float))
    return _sorted_roots(p)


def zeros(sys: ct.StateSpace, *, rtol: float = 1e-7) -> np.ndarray:
    """Finite invariant zeros of ``(A, B, C, D)``.

    Square systems (``ny == nu``): python-control's ``zeros`` (a generalized
    eigenvalue problem on the system pencil, no slycot needed). Non-square systems,
    for which python-control needs slycot: the zeros common to two seeded random
    square-downs ``(P C, P D)`` (``ny > nu``) or ``(B Q, D Q)`` (``nu > ny``).
    Each square-down keeps every true zero and adds spurious ones that the two
    random projections do not share; roots agreeing to ``rtol`` are kept.

    A system whose transfer function is identically zero (``B = 0`` and
    ``D = 0``, say) has a singular pencil: every ``z`` makes it lose rank, and the
    eigenvalue solver returns NaN. Only finite roots are returned, so such a
    system has no finite zeros here.

    Parameters
    ----------
    sys
        Discrete-time system.
    rtol
        Non-square systems: roots of the two square-downs closer than ``rtol``
        (relative) are the same zero.

    Returns
    -------
    ndarray, shape ``(nz,)``
        Complex, finite, sorted by decreasing |Re|.
    """
    sys = check_discrete(sys)
    if sys.noutputs == sys.ninputs:
        return _sorted_roots(np.asarray(sys.zeros(), dtype=complex))
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    rng = np.random.default_rng(0)
    ny, nu = C.shape[0], B.shape[1]
    sets = []
    for _ in range(2):
        if ny > nu:
            P = rng.standard_normal((nu, ny))
            sq = ct.ss(A, B, P @ C, P @ D, sys.dt)
        else:
            Q = rng.standard_normal((nu, ny))
            sq = ct.ss(A, B @ Q, C, D @ Q, sys.dt)
        sets.append(np.asarray(sq.zeros(), dtype=complex))
    a, b = sets
    if a.size == 0 or b.size == 0:
        return np.zeros(0, dtype=complex)
    scale = 1.0 + np.abs(a)[:, None]
    close = np.abs(a[:, None] - b[None, :]) <= rtol * scale
    return _sorted_roots(a[close.any(axis=1)])


def _sorted_roots(r: np.ndarray) -> np.ndarray:
    r = np.asarray(r, dtype=complex)
    r = r[np.isfinite(r)]  # a singular pencil's NaN "roots" are not zeros
    order = np.lexsort((-r.imag, -np.abs(r.real)))
    return r[order]


def markov_gain(sys: ct.StateSpace, *, rtol: float = 1e-10) -> float:
    """High-frequency gain of a SISO system: its first nonzero Markov parameter.

    ``D``, else ``C B``, else ``C A B``, ...: the ``k`` of
    ``k (z - z1).../(z - p1)...``.

    Parameters
    ----------
    sys
        Discrete-time SISO system.
    rtol
        A Markov parameter counts as zero below ``rtol`` times the largest one.
    """
    A, B, C, D = (np.asarray(m, dtype=float) for m in (sys.A, sys.B, sys.C, sys.D))
    scale = max(np.abs(D).max(), np.linalg.norm(C) * np.linalg.norm(B), 1e-300)
    if abs(D[0, 0]) > rtol * scale:
        return float(D[0, 0])
    v = B
    for _ in range(A.shape[0]):
        m = float((C @ v)[0, 0])
        if abs(m) > rtol * scale:
            return m
        v = A @ v
        scale = max(scale, np.linalg.norm(C) * np.linalg.norm(v))
    return 0.0


def match_distance(a: ArrayLike, b: ArrayLike) -> float:
    """Largest distance between two sets of complex numbers, optimally paired.

    Returns ``inf`` if the sets have different sizes, ``0`` for two empty sets.

    Parameters
    ----------
    a, b : array_like of complex, shapes ``(n,)`` and ``(m,)``
        The two sets; with ``n != m`` the distance is infinite.
    """
    a_ = np.asarray(a, dtype=complex).ravel()
    b_ = np.asarray(b, dtype=complex).ravel()
    if a_.size != b_.size:
        return float("inf")
    if a_.size == 0:
        return 0.0
    cost = np.abs(a_[:, None] - b_[None, :])
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].max())


def load_system(path: str | os.PathLike[str], *, what: str = "system") -> ct.StateSpace:
    """Read a system from an ``.npz`` with keys ``A, B, C, D, Ts``.

    Parameters
    ----------
    path
        The ``.npz`` file (as :func:`save_system` writes it).
    what
        The file's role, the first word of every error message (a command
        passes its option, ``"--system"``).

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a readable ``.npz``, missing keys, inconsistent dimensions, or arrays
        that are not real and finite; the message starts with ``what``, then
        names the matrix.
    """
    found = read_npz(path, what, ("A", "B", "C", "D", "Ts"))
    try:
        return state_space(found["A"], found["B"], found["C"], found["D"], found["Ts"])
    except ValueError as exc:
        raise ValueError(f"{what}: {path}: {exc}") from exc


def save_system(sys: ct.StateSpace, path: str | os.PathLike[str]) -> Path:
    """Write ``A, B, C, D, Ts`` to an ``.npz`` atomically (tmp file + rename).

    Parameters
    ----------
    sys
        Discrete-time system.
    path
        The ``.npz`` file to write.
    """
    sys = check_discrete(sys)
    ts = 1.0 if sys.dt is True else float(sys.dt)
    return savez_atomic(path, A=sys.A, B=sys.B, C=sys.C, D=sys.D, Ts=ts)
