"""Validation as in the original (SPEC §4): linear response against the LSTM.

The validation input is 51 samples of ``N(0, 1)`` (t = 0..50 Ts), zero initial
state. The constructed LSTM runs through the vectorized reference cell and through
the bdsim block diagram; both are compared with the linear system's response, and
the diagram is cross-checked wire by wire against the reference cell. A linearity
test repeats the comparison for ``k u`` with ``k = 1, 3, 10``: the error grows
like ``k^3`` relative (``k^2`` relative to the larger output) as ``tanh`` leaves
its linear range.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import control as ct
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .._experiment import INPUT_STREAMS, normal_input
from .._figures import new_figure, save_figure
from .._parameters import LSTMParams
from .._reference import reference_cell
from .accuracy import rel_rms_error
from .lti import check_discrete, check_system_input, simulate

if TYPE_CHECKING:
    from .._crosscheck import CrossCheckReport

__all__ = [
    "LinearityResult",
    "ValidationResult",
    "linearity_test",
    "plot_linearity",
    "plot_validation",
    "validate",
    "validation_input",
]

VALIDATION_STEPS: int = 51
"""t = 0, Ts, ..., 50 Ts, as in the original."""


def validation_input(
    nu: int, *, steps: int = VALIDATION_STEPS, seed: int = 0
) -> np.ndarray:
    """Seeded ``N(0, 1)`` validation input, shape ``(steps, nu)``.

    The validation stream of :func:`blocksim_lstm._experiment.normal_input`
    (``default_rng([seed, 2])``): a stream of its own, so it never coincides
    with the design input of :func:`.accuracy.design_input`.

    Parameters
    ----------
    nu
        Inputs of the system.
    steps
        Samples T (the original's 51 by default).
    seed
        Seed of the stream.

    Returns
    -------
    ndarray, shape ``(steps, nu)``
    """
    return normal_input(steps, nu, seed=seed, stream=INPUT_STREAMS["validation"])


@dataclass(frozen=True)
class ValidationResult:
    """Linear response against the LSTM's, on one input.

    Attributes
    ----------
    t : ndarray, shape ``(T,)``
        Sample times.
    u : ndarray, shape ``(T, nu)``
    y : ndarray, shape ``(T, ny)``
        Linear system's response.
    y_cell : ndarray, shape ``(T, ny)``
        LSTM through the reference cell.
    y_diagram : ndarray, shape ``(T, ny)``, or None
        LSTM through the bdsim block diagram (None if not run).
    crosscheck : CrossCheckReport or None
        :class:`blocksim_lstm._crosscheck.CrossCheckReport` of the diagram against
        the reference cell (None if not run).
    """

    t: np.ndarray
    u: np.ndarray
    y: np.ndarray
    y_cell: np.ndarray
    y_diagram: np.ndarray | None
    crosscheck: CrossCheckReport | None

    @property
    def norm_cell(self) -> float:
        """``norm(y_cell - y)`` (2-norm over all samples, as MATLAB's ``norm``)."""
        return float(np.linalg.norm(self.y_cell - self.y))

    @property
    def norm_diagram(self) -> float | None:
        """``norm(y_diagram - y)``, or None."""
        if self.y_diagram is None:
            return None
        return float(np.linalg.norm(self.y_diagram - self.y))

    @property
    def rel_rms_cell(self) -> float:
        """Relative RMS error of the reference cell's output."""
        return rel_rms_error(self.y_cell, self.y)

    @property
    def crosscheck_passed(self) -> bool | None:
        """The diagram's cross-check verdict, or None if it was not run."""
        return None if self.crosscheck is None else bool(self.crosscheck.passed)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (norms, errors, cross-check verdict)."""
        return {
            "steps": int(self.t.size),
            "norm_cell": self.norm_cell,
            "norm_diagram": self.norm_diagram,
            "rel_rms_cell": self.rel_rms_cell,
            "rel_rms_diagram": None
            if self.y_diagram is None
            else rel_rms_error(self.y_diagram, self.y),
            "crosscheck_passed": self.crosscheck_passed,
        }


def _ts(sys: ct.StateSpace) -> float:
    return 1.0 if sys.dt is True else float(sys.dt)


def validate(
    sys: ct.StateSpace,
    params: LSTMParams,
    *,
    u: ArrayLike | None = None,
    seed: int = 0,
    x0: ArrayLike | None = None,
    diagram: bool = True,
) -> ValidationResult:
    """Run the linear system and the LSTM (reference cell, block diagram) on ``u``.

    Parameters
    ----------
    sys
        Discrete-time system (``nu`` inputs, ``ny`` outputs).
    params
        LSTM weights for it (``Ni = nu``, ``No = ny``), e.g. from
        :func:`.construction.construct` (pass the same ``x0`` there).
    u : array_like, shape ``(T, nu)``, optional
        Input; default :func:`validation_input` (51 samples) with ``seed``.
    seed
        Seed of the default input.
    x0 : array_like, shape ``(nx,)``, optional
        Initial state of ``sys``.
    diagram
        Also run the bdsim block diagram and cross-check it wire by wire.

    Returns
    -------
    ValidationResult
    """
    sys = check_discrete(sys)
    if not isinstance(params, LSTMParams):
        raise TypeError(f"params: expected LSTMParams, got {type(params)!r}")
    if (params.ni, params.no) != (sys.ninputs, sys.noutputs):
        raise ValueError(
            f"params: expected Ni={sys.ninputs}, No={sys.noutputs} to match sys, "
            f"got Ni={params.ni}, No={params.no}"
        )
    uu = (
        validation_input(sys.ninputs, seed=seed)
        if u is None
        else check_system_input(u, sys.ninputs)
    )
    ts = _ts(sys)
    y = simulate(sys, uu, x0=x0)
    y_cell = reference_cell(params, uu).y
    y_diag = report = None
    if diagram:
        from .._crosscheck import crosscheck  # bdsim: imported only when used
        from .._diagram import build_lstm_diagram

        y_diag = build_lstm_diagram(params, uu, ts=ts).run().y
        report = crosscheck(params, uu, ts=ts)
    t = np.arange(uu.shape[0]) * ts
    return ValidationResult(t, uu, y, y_cell, y_diag, report)


@dataclass(frozen=True)
class LinearityResult:
    """Errors of the LSTM for scaled inputs ``k u``.

    Attributes
    ----------
    ks : ndarray, shape ``(n,)``
        Input scale factors.
    rel_rms : ndarray, shape ``(n,)``
        Relative RMS error of the LSTM output against ``k y``.
    norms : ndarray, shape ``(n,)``
        ``norm(y_lstm(k u) - k y)``.
    """

    ks: np.ndarray
    rel_rms: np.ndarray
    norms: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready."""
        return {
            "k": self.ks.tolist(),
            "rel_rms_error": self.rel_rms.tolist(),
            "norm": self.norms.tolist(),
        }


def linearity_test(
    sys: ct.StateSpace,
    params: LSTMParams,
    u: ArrayLike,
    *,
    ks: ArrayLike = (1.0, 3.0, 10.0),
) -> LinearityResult:
    """Compare the LSTM with the linear system on ``k u`` for each ``k``.

    All ``k u`` run in one batched reference-cell call.

    Parameters
    ----------
    sys
        Discrete-time system, zero initial state.
    params
        LSTM weights for it.
    u : array_like, shape ``(T, nu)``
        Base input.
    ks : array_like, shape ``(n,)``
        Scale factors, default ``(1, 3, 10)``.

    Returns
    -------
    LinearityResult
    """
    sys = check_discrete(sys)
    uu = check_system_input(u, sys.ninputs)
    k = np.asarray(ks, dtype=float).ravel()
    if k.size == 0 or not np.all(np.isfinite(k)):
        raise ValueError(f"ks: expected finite scale factors, got {ks!r}")
    y = simulate(sys, uu)
    ys = reference_cell(params, k[:, None, None] * uu[None]).y  # (n, T, ny)
    rel = np.array([rel_rms_error(ys[j], k[j] * y) for j in range(k.size)])
    norms = np.array([np.linalg.norm(ys[j] - k[j] * y) for j in range(k.size)])
    return LinearityResult(k, rel, norms)


def plot_validation(
    result: ValidationResult,
    path: str | os.PathLike[str],
    *,
    title: str = "Linear system against the constructed LSTM",
) -> Path:
    """Stairs plot of ``y`` and the LSTM output; the difference norm in the title.

    One panel per output. Returns the PNG path.

    Parameters
    ----------
    result
        From :func:`validate`.
    path
        The PNG to write (an SVG beside it).
    title
        The figure's title.
    """
    ny = result.y.shape[1]
    fig = new_figure(8.0, 2.6 + 2.0 * ny)
    axes: list[Axes] = list(fig.subplots(ny + 1, 1, sharex=True, squeeze=False)[:, 0])
    ts = result.t[1] - result.t[0] if result.t.size > 1 else 1.0
    edges = np.append(result.t, result.t[-1] + ts)
    for j, ax in enumerate(axes[:ny]):
        ax.stairs(result.y[:, j], edges, color="C0", lw=2.2, label="linear system y")
        ax.stairs(
            result.y_cell[:, j],
            edges,
            color="C1",
            lw=1.3,
            ls="--",
            label="LSTM, reference cell",
        )
        if result.y_diagram is not None:
            ax.stairs(
                result.y_diagram[:, j],
                edges,
                color="C3",
                lw=1.0,
                ls=":",
                label="LSTM, block diagram",
            )
        ax.set_ylabel(f"y[{j}]" if ny > 1 else "output y")
        ax.grid(True, alpha=0.4)
    dax = axes[ny]
    diff = (result.y_cell if result.y_diagram is None else result.y_diagram) - result.y
    for j in range(ny):
        dax.stairs(diff[:, j], edges, color=f"C{j}", label=f"y[{j}]")
    src = "reference cell" if result.y_diagram is None else "block diagram"
    dax.set_ylabel(f"y_lstm - y\n({src})")
    dax.grid(True, alpha=0.4)
    if ny > 1:
        dax.legend(loc="best", fontsize=8, ncols=ny)
    axes[0].legend(loc="best", fontsize=9)
    axes[-1].set_xlabel("time t (s)")
    norms = f"norm(y_lstm - y) = {result.norm_cell:.3g} (reference cell)"
    if result.norm_diagram is not None:
        norms += f", {result.norm_diagram:.3g} (block diagram)"
    fig.suptitle(f"{title}\n{norms}", fontsize=11)
    return save_figure(fig, path)


def plot_linearity(
    result: LinearityResult,
    path: str | os.PathLike[str],
    *,
    title: str = "Linearity test: LSTM error for inputs k u",
) -> Path:
    """Log-log plot of the relative error against ``k``. Returns the PNG path.

    Parameters
    ----------
    result
        From :func:`linearity_test`.
    path
        The PNG to write (an SVG beside it).
    title
        The figure's title.
    """
    fig = new_figure(6.5, 4.5)
    ax = fig.add_subplot()
    ax.loglog(result.ks, result.rel_rms, "o-", ms=7, label="achieved")
    ref = result.rel_rms[0] * (result.ks / result.ks[0]) ** 2
    ax.loglog(
        result.ks, ref, "--", color="0.4", label="$\\propto k^2$ (cubic tanh term)"
    )
    for k, e in zip(result.ks, result.rel_rms, strict=True):
        ax.annotate(f"{e:.2e}", (k, e), textcoords="offset points", xytext=(8, -4))
    ax.set_xlim(result.ks.min() / 1.3, result.ks.max() * 2.0)
    ax.set_xticks(result.ks, [f"{k:g}" for k in result.ks])
    ax.minorticks_off()
    ax.set_xlabel("input scale k")
    ax.set_ylabel("relative RMS error of the LSTM output")
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="both", alpha=0.4)
    ax.legend(loc="upper left")
    return save_figure(fig, path)
