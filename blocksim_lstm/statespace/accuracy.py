"""Accuracy of the constructed LSTM as a tool: predict it, choose ``scl``, study it.

Error model. With the gates saturated, every construction computes
``h(t) = tanh(tanh(v(t)))``, ``v(t) = Rg h(t-1) + Wg u(t)``, ``y = F h``. Since
``tanh(tanh(v)) = v - (2/3) v^3 + O(v^5)``, the deviation from the linear network
``h_lin`` obeys, to leading order,

    dh(t) = Rg dh(t-1) - (2/3) h_lin(t)^3,     dy(t) = F dh(t).

``h_lin`` is proportional to ``scl`` and ``F`` to ``1/scl``, so the relative RMS
error is ``K scl^2`` (plus, for the ``"nx"`` construction, a structural part from
its wrong feed-through that no ``scl`` removes). ``K`` is computed exactly for a
given input by running the two linear recursions above: no fitting. Below some
``scl`` floating-point rounding (about ``1e-16`` relative, amplified by the
realization's conditioning) takes over and the error stops falling.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import control as ct
import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._experiment import INPUT_STREAMS, TRAINING_STEPS, normal_input
from .._figures import new_figure, save_figure
from .._parameters import LSTMParams
from .._reference import reference_cell
from .._validate import as_array, check_dtype
from .construction import Construction, Method, check_scl, construct
from .lti import check_discrete, check_system_input, simulate

__all__ = [
    "ErrorModel",
    "SclChoice",
    "SclStudy",
    "choose_scl",
    "error_model",
    "plot_scl_study",
    "rel_rms_error",
    "scl_study",
    "design_input",
]

DEFAULT_SCLS: np.ndarray = np.logspace(-1, -12, 23)
"""``scl`` values of the study: 1e-1 down to 1e-12, two per decade (the range
1e-1..1e-9 asked for, and three decades more where the float64 rounding floor
shows)."""


def rel_rms_error(y: ArrayLike, y_ref: ArrayLike) -> float:
    """Relative RMS error ``rms(y - y_ref) / rms(y_ref)`` over all entries.

    Parameters
    ----------
    y, y_ref : array_like, same shape, e.g. ``(T, ny)``
    """
    a = as_array("y", y)
    r = as_array("y_ref", y_ref, a.shape)
    den = float(np.sqrt(np.mean(r**2)))
    num = float(np.sqrt(np.mean((a - r) ** 2)))
    if den == 0:
        return 0.0 if num == 0 else float("inf")
    return num / den


def design_input(
    nu: int, *, steps: int = TRAINING_STEPS, amplitude: float = 1.0, seed: int = 0
) -> np.ndarray:
    """Seeded ``amplitude * N(0, 1)`` input, shape ``(steps, nu)``.

    The design stream of :func:`blocksim_lstm._experiment.normal_input`
    (``default_rng(seed)``).

    Parameters
    ----------
    nu
        Inputs of the system.
    steps
        Samples T.
    amplitude
        Standard deviation.
    seed
        Seed of the stream.

    Returns
    -------
    ndarray, shape ``(steps, nu)``
    """
    return amplitude * normal_input(
        steps, nu, seed=seed, stream=INPUT_STREAMS["design"]
    )


def _linear_runs(params: LSTMParams, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``F h_lin`` and the leading cubic deviation ``F dh``, both ``(T, No)``."""
    Rg = np.asarray(params.gate("R", "g"))
    Wg = np.asarray(params.gate("W", "g"))
    bg = np.asarray(params.gate("b", "g"))
    v_in = u @ Wg.T + bg
    h = np.array(params.h0, dtype=float)
    dh = np.zeros_like(h)
    T = u.shape[0]
    H = np.empty((T, h.size))
    DH = np.empty((T, h.size))
    for t in range(T):
        h = Rg @ h + v_in[t]
        dh = Rg @ dh - (2.0 / 3.0) * h**3
        H[t] = h
        DH[t] = dh
    return H @ params.F.T + params.bF, DH @ params.F.T


@dataclass(frozen=True)
class ErrorModel:
    """Predicted relative RMS error ``structural + K scl^2`` of a construction.

    Attributes
    ----------
    K : float
        Coefficient of ``scl^2``.
    structural : float
        Error of the linear network itself (nonzero only for ``"nx"`` with
        ``D != C A^-1 B``).
    """

    K: float
    structural: float

    def predict(self, scl: float | np.ndarray) -> float | np.ndarray:
        """Predicted relative RMS error at ``scl``.

        Parameters
        ----------
        scl : float or ndarray
            Scale(s) of the construction.
        """
        return self.structural + self.K * np.asarray(scl) ** 2


def error_model(
    sys: ct.StateSpace,
    u: ArrayLike,
    *,
    method: Method = "auto",
    x0: ArrayLike | None = None,
    y_ref: ArrayLike | None = None,
) -> ErrorModel:
    """Leading-order error model of the construction on input ``u``.

    Parameters
    ----------
    sys
        Discrete-time system (``nu`` inputs, ``ny`` outputs).
    u : array_like, shape ``(T, nu)``
        Input sequence.
    method
        Construction (see :func:`blocksim_lstm.statespace.construction.construct`).
    x0 : array_like, shape ``(nx,)``, optional
        Initial state.
    y_ref : array_like, shape ``(T, ny)``, optional
        The linear response, if already computed.

    Returns
    -------
    ErrorModel
    """
    sys = check_discrete(sys)
    uu = check_system_input(u, sys.ninputs)
    y = simulate(sys, uu, x0=x0) if y_ref is None else as_array("y_ref", y_ref)
    c1 = construct(sys, 1.0, method=method, x0=x0)
    y_lin, dy = _linear_runs(c1.params, uu)
    return ErrorModel(K=rel_rms_error(y + dy, y), structural=rel_rms_error(y_lin, y))


@dataclass(frozen=True)
class SclChoice:
    """An automatically chosen ``scl`` with predicted and achieved error.

    Attributes
    ----------
    construction : Construction
        The LSTM built at the chosen ``scl``.
    tol : float
        Requested relative RMS error.
    predicted : float
        Error model's prediction at ``scl``.
    achieved : float
        Relative RMS error of the reference cell against the linear response.
    model : ErrorModel
    tries : int
        Number of ``scl`` values tried (1 when the first guess met ``tol``).
    """

    construction: Construction
    tol: float
    predicted: float
    achieved: float
    model: ErrorModel
    tries: int

    @property
    def scl(self) -> float:
        """The chosen scale."""
        return self.construction.scl

    @property
    def met(self) -> bool:
        """True if the achieved error is within ``tol``."""
        return self.achieved <= self.tol


def choose_scl(
    sys: ct.StateSpace,
    tol: float,
    *,
    u: ArrayLike | None = None,
    method: Method = "auto",
    amplitude: float = 1.0,
    steps: int = TRAINING_STEPS,
    seed: int = 0,
    x0: ArrayLike | None = None,
    safety: float = 0.5,
    max_tries: int = 6,
) -> SclChoice:
    """Choose ``scl`` for a requested relative RMS error, then check it.

    ``scl = safety * sqrt((tol - structural) / K)`` from :func:`error_model`;
    the network is run (reference cell) and compared with the linear response.
    If it misses ``tol`` (the model is leading-order), ``scl`` is divided by 4 and
    tried again, at most ``max_tries`` times, stopping early when the error no
    longer falls (rounding floor).

    Parameters
    ----------
    sys
        Discrete-time system.
    tol
        Requested relative RMS error, positive.
    u : array_like, shape ``(T, nu)``, optional
        Input to design and check on; default :func:`design_input` with
        ``steps``, ``amplitude`` and ``seed``.
    method
        Construction.
    amplitude, steps, seed
        The default input's size, length and seed.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state.
    safety
        Factor on the model's ``scl`` (the error then is ``safety^2`` of ``tol``).
    max_tries
        Largest number of ``scl`` values tried.

    Returns
    -------
    SclChoice
    """
    sys = check_discrete(sys)
    tol = check_scl(tol, name="tol")
    uu = (
        design_input(sys.ninputs, steps=steps, amplitude=amplitude, seed=seed)
        if u is None
        else check_system_input(u, sys.ninputs)
    )
    y = simulate(sys, uu, x0=x0)
    model = error_model(sys, uu, method=method, x0=x0, y_ref=y)
    room = max(tol - model.structural, 0.25 * tol)
    scl = 0.1 if model.K == 0 else min(0.1, safety * np.sqrt(room / model.K))
    best: tuple[float, Construction] | None = None
    tries = 0
    for tries in range(1, max_tries + 1):  # noqa: B007 (tries is reported)
        c = construct(sys, scl, method=method, x0=x0)
        err = rel_rms_error(reference_cell(c.params, uu).y, y)
        if best is None or err < best[0]:
            best = (err, c)
        elif err > 0.5 * best[0]:
            break  # no longer falling: rounding floor or structural error
        if err <= tol:
            break
        scl /= 4.0
    assert best is not None
    err, c = best
    return SclChoice(c, tol, float(model.predict(c.scl)), err, model, tries)


@dataclass(frozen=True)
class SclStudy:
    """Error against ``scl`` for one system and input.

    Attributes
    ----------
    scls : ndarray, shape ``(n,)``
        Scales, decreasing.
    errors : ndarray, shape ``(n,)``
        Achieved relative RMS errors (reference cell vs linear response).
    model : ErrorModel
        Leading-order prediction ``structural + K scl^2``.
    method : str
        Construction used.
    dtype : str
        Precision of the network run (``"float64"`` or ``"float32"``).
    slope : float
        Least-squares slope of ``log10(error)`` against ``log10(scl)`` on the
        points in the asymptotic range: error below 1e-2 and at least 20x the
        floor (2 expected).
    """

    scls: np.ndarray
    errors: np.ndarray
    model: ErrorModel
    method: str
    dtype: str = "float64"
    slope: float = field(default=float("nan"))

    @property
    def best_scl(self) -> float:
        """Largest ``scl`` whose error is within 2x the floor (the knee).

        Below it the error only wanders in rounding noise; the plain argmin would
        pick a random point of that noise.
        """
        ok = self.errors <= 2.0 * self.floor
        return float(np.max(self.scls[ok]))

    @property
    def floor(self) -> float:
        """Smallest error reached (the rounding floor)."""
        return float(np.min(self.errors))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "method": self.method,
            "dtype": self.dtype,
            "scl": self.scls.tolist(),
            "rel_rms_error": self.errors.tolist(),
            "predicted": np.asarray(self.model.predict(self.scls)).tolist(),
            "K": self.model.K,
            "slope": self.slope,
            "best_scl": self.best_scl,
            "floor": self.floor,
        }


def scl_study(
    sys: ct.StateSpace,
    u: ArrayLike,
    *,
    scls: ArrayLike | None = None,
    method: Method = "auto",
    x0: ArrayLike | None = None,
    dtype: DTypeLike = np.float64,
) -> SclStudy:
    """Relative RMS error of the construction for each ``scl`` (default 1e-1..1e-12).

    Parameters
    ----------
    sys
        Discrete-time system.
    u : array_like, shape ``(T, nu)``
        Input sequence.
    scls : array_like, shape ``(n,)``, optional
        Scales to try; default :data:`DEFAULT_SCLS`.
    method
        Construction.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state.
    dtype
        Precision of the network run: ``float64`` (default) or ``float32``
        (its rounding floor, about 1e-7, shows at much larger ``scl``).

    Returns
    -------
    SclStudy
    """
    dt = check_dtype(dtype)
    sys = check_discrete(sys)
    uu = check_system_input(u, sys.ninputs)
    s = DEFAULT_SCLS if scls is None else as_array("scls", scls, (None,))
    s = np.array([check_scl(float(v)) for v in s])
    y = simulate(sys, uu, x0=x0)
    model = error_model(sys, uu, method=method, x0=x0, y_ref=y)
    errs = np.empty(s.size)
    used = ""
    for k, scl in enumerate(s):
        c = construct(sys, float(scl), method=method, x0=x0)
        used = c.method
        errs[k] = rel_rms_error(reference_cell(c.params, uu, dtype=dt).y, y)
    fit = (errs >= 20 * errs.min()) & (errs < 1e-2)
    slope = float("nan")
    if np.count_nonzero(fit) >= 2:
        slope = float(np.polyfit(np.log10(s[fit]), np.log10(errs[fit]), 1)[0])
    return SclStudy(s, errs, model, used, dt.name, slope)


def plot_scl_study(
    studies: SclStudy | Sequence[SclStudy],
    path: str | os.PathLike[str],
    *,
    title: str = "",
) -> Path:
    """Log-log plot of error against ``scl``: achieved, ``K scl^2`` line, floors.

    Parameters
    ----------
    studies
        One study or several (e.g. float64 and float32 runs of the same system).
    path
        PNG file to write.
    title
        First title line; the fitted slopes and best ``scl`` are appended.

    Returns
    -------
    Path
        The PNG written.
    """
    group = [studies] if isinstance(studies, SclStudy) else list(studies)
    if not group:
        raise ValueError("studies: expected at least one SclStudy, got none")
    fig = new_figure(7.5, 5.2)
    ax = fig.add_subplot()
    first = group[0]
    s = first.scls
    pred = first.model.K * s**2
    ax.loglog(
        s,
        pred,
        "--",
        color="0.3",
        lw=1.5,
        label=f"predicted {first.model.K:.3g} scl$^2$ (slope 2)",
    )
    notes = []
    for k, st in enumerate(group):
        col = f"C{k}"
        ax.loglog(
            st.scls,
            st.errors,
            "o-",
            color=col,
            ms=5,
            label=f"achieved, {st.dtype} (lowest {st.floor:.1e})",
        )
        ax.axhline(st.floor, color=col, ls=":", lw=1)
        at = st.errors[int(np.flatnonzero(st.scls == st.best_scl)[0])]
        ax.plot([st.best_scl], [at], "*", color=col, ms=14)
        notes.append(f"{st.dtype}: slope {st.slope:.2f}, best scl {st.best_scl:.0e}")
    lo = max(min(st.floor for st in group) / 10, 1e-18)
    hi = max(max(st.errors.max() for st in group), pred.max()) * 10
    ax.set_ylim(lo, min(hi, 1e3))
    ax.set_xlabel("scl (scale of the hidden state)")
    ax.set_ylabel("relative RMS output error")
    head = title or f"Error against scl ({first.method} construction)"
    ax.set_title(head + "\n" + "; ".join(notes), fontsize=10)
    ax.grid(True, which="major", alpha=0.4)
    ax.legend(loc="lower right", fontsize=9)
    return save_figure(fig, path)
