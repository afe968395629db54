"""Figures of the dynamical-systems analysis (headless; save with
:func:`blocksim_lstm._figures.save_figure`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import control as ct
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from .._figures import new_figure, save_figure
from ._equilibria import Equilibria
from ._system import CellSystem, cell_system

__all__ = [
    "plot_bode",
    "plot_eigenvalues",
    "plot_phase_portrait",
    "plot_pole_sets",
    "write_figures",
]

_MARKERS = {"stable": "o", "saddle": "s", "unstable": "^", "marginal": "D"}


def _unit_circle(ax: Axes) -> None:
    th = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(th), np.sin(th), color="0.6", lw=0.8, zorder=0)
    ax.axhline(0, color="0.85", lw=0.6, zorder=0)
    ax.axvline(0, color="0.85", lw=0.6, zorder=0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")


def plot_eigenvalues(
    equilibria: Equilibria,
    *,
    reference: ArrayLike | None = None,
    reference_label: str = "reference",
    title: str = "Eigenvalues of df/dx at each fixed point",
) -> Figure:
    """Eigenvalues of each fixed point against the unit circle.

    Parameters
    ----------
    equilibria
        Result of :func:`~blocksim_lstm.dynamics.fixed_points`; one marker
        colour per fixed point, the marker shape gives its kind.
    reference : array_like, complex, optional
        Points to overlay as open circles (e.g. the plant's poles).
    reference_label
        Their legend label.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = new_figure(6.0, 5.4)
    ax = fig.add_subplot()
    _unit_circle(ax)
    for k, fp in enumerate(equilibria.fixed_points):
        ev = fp.eigenvalues
        ax.plot(
            ev.real,
            ev.imag,
            _MARKERS[fp.kind],
            color=f"C{k % 10}",
            ms=6,
            alpha=0.8,
            label=f"#{k} {fp.kind}, rho = {fp.spectral_radius:.4g}",
        )
    if reference is not None:
        r = np.asarray(reference, dtype=complex)
        ax.plot(r.real, r.imag, "o", mfc="none", mec="k", ms=11, label=reference_label)
    if not equilibria.fixed_points:
        ax.text(0, 0, "no fixed point found", ha="center", va="center")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=8)
    return fig


def plot_pole_sets(
    sets: Mapping[str, ArrayLike],
    *,
    reference: ArrayLike | None = None,
    reference_label: str = "plant",
    title: str = "Poles of the linearizations",
    zoom: tuple[float, float, float, float] | None = None,
) -> Figure:
    """Several sets of poles against the unit circle (e.g. before/after training).

    Parameters
    ----------
    sets
        Label -> poles (complex array).
    reference : array_like, complex, optional
        Drawn as large open circles (e.g. the plant's poles).
    reference_label
        Its legend label.
    title
        Figure title.
    zoom : (x0, x1, y0, y1), optional
        Adds a second panel showing this window.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = new_figure(10.0 if zoom else 6.0, 5.0)
    axes = fig.subplots(1, 2 if zoom else 1, squeeze=False)[0]
    markers = ["x", "+", "1", "s", "^", "D"]
    for ax in axes:
        _unit_circle(ax)
        if reference is not None:
            r = np.asarray(reference, dtype=complex)
            ax.plot(
                r.real, r.imag, "o", mfc="none", mec="k", ms=12, label=reference_label
            )
        for k, (label, z) in enumerate(sets.items()):
            zz = np.asarray(z, dtype=complex)
            ax.plot(
                zz.real,
                zz.imag,
                markers[k % len(markers)],
                color=f"C{k}",
                ms=8,
                mew=1.5,
                label=label,
                mfc="none",
            )
    axes[0].set_title(title)
    axes[0].legend(loc="lower left", fontsize=8)
    if zoom:
        axes[1].set_xlim(zoom[0], zoom[1])
        axes[1].set_ylim(zoom[2], zoom[3])
        axes[1].set_aspect("auto")
        axes[1].set_title("zoom")
    return fig


def _free_runs(
    p: CellSystem, u0: np.ndarray, starts: np.ndarray, steps: int
) -> np.ndarray:
    X = np.empty((starts.shape[0], steps + 1, starts.shape[1]))
    X[:, 0] = starts
    for t in range(steps):
        X[:, t + 1] = p.step(X[:, t], u0)
    return X


def plot_phase_portrait(
    params: Any,
    equilibria: Equilibria,
    *,
    runs: int = 16,
    steps: int = 60,
    seed: int = 0,
) -> Figure:
    """Free runs with the constant input ``u0`` and the fixed points.

    Axes: ``(h, c)`` for one LSTM unit, ``(h1, h2)`` for two units, ``h``
    against the step for a one-unit GRU or RNN, otherwise the first two
    principal components of all the plotted states.

    Parameters
    ----------
    params
        A cell's parameters or a :class:`~blocksim_lstm.dynamics.CellSystem`.
    equilibria
        Fixed points for ``equilibria.u0`` (marked by kind).
    runs
        Number of trajectories from random states (each state array in turn:
        within its bound, ``h`` of the tanh cells in (-1, 1); an unbounded one,
        ``c``, over the fixed points' range widened by 0.5, at least (-1, 1));
        four more start near each fixed point that is not stable.
    steps
        Length of each run.
    seed
        Seed of the starts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    p = cell_system(params)
    u0 = equilibria.u0
    nn, n = p.nn, p.n
    rng = np.random.default_rng(seed)
    fps = np.array([fp.x for fp in equilibria.fixed_points]).reshape(-1, n)
    seen = p.split(fps)
    draws = []
    for name, b in zip(p.STATES, p.bounds, strict=True):
        if b is None:
            lo = min(-1.0, float(seen[name].min(initial=0.0)) - 0.5)
            hi = max(1.0, float(seen[name].max(initial=0.0)) + 0.5)
        else:
            lo, hi = -b, b
        draws.append(rng.uniform(lo, hi, (runs, nn)))
    starts = [np.concatenate(draws, axis=-1)]
    for fp in equilibria.fixed_points:
        if not fp.stable:  # show where the runs leave an unstable point
            d = rng.standard_normal((4, n))
            starts.append(fp.x + 0.05 * d / np.linalg.norm(d, axis=1, keepdims=True))
    X = _free_runs(p, u0, np.concatenate(starts), steps)
    if n == 1:
        return _time_portrait(p, equilibria, X)
    if nn == 1:
        proj = np.eye(2)
        center = np.zeros(2)
        labels = p.STATES[:2]
    elif nn == 2:
        proj = np.eye(n)[:, :2]
        center = np.zeros(n)
        labels = ("h[0]", "h[1]")
    else:
        allx = np.concatenate([X.reshape(-1, n), fps])
        center = allx.mean(axis=0)
        _, s, vt = np.linalg.svd(allx - center, full_matrices=False)
        # fix the sign of each component so the picture does not flip
        vt *= np.where(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), 1)] < 0, -1, 1)[
            :, None
        ]
        proj = vt[:2].T
        share = s[:2] ** 2 / max(np.sum(s**2), 1e-300)
        labels = (f"PC1 ({100 * share[0]:.0f} %)", f"PC2 ({100 * share[1]:.0f} %)")
    fig = new_figure(6.4, 5.4)
    ax = fig.add_subplot()
    for r in range(X.shape[0]):
        Y = (X[r] - center) @ proj
        ax.plot(Y[:, 0], Y[:, 1], "-", color="0.55", lw=0.8, alpha=0.8)
        ax.plot(Y[0, 0], Y[0, 1], ".", color="0.3", ms=5)
    for k, fp in enumerate(equilibria.fixed_points):
        Y = (fp.x - center) @ proj
        ax.plot(
            Y[0],
            Y[1],
            _MARKERS[fp.kind],
            color=f"C{k % 10}",
            ms=10,
            mec="k",
            label=f"#{k} {fp.kind}",
        )
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(
        f"Phase portrait{_cell_tag(p)}, Nn = {nn}, u0 = "
        f"{np.array2string(u0, precision=3)}: {X.shape[0]} free runs of {steps} steps"
    )
    if equilibria.fixed_points:
        ax.legend(loc="best", fontsize=8)
    return fig


def _cell_tag(p: CellSystem) -> str:
    return "" if p.cell == "lstm" else f" ({p.title})"


def _time_portrait(p: CellSystem, equilibria: Equilibria, X: np.ndarray) -> Figure:
    """A one-dimensional state: the free runs ``h(t)`` against the step."""
    fig = new_figure(6.4, 5.4)
    ax = fig.add_subplot()
    steps = X.shape[1] - 1
    t = np.arange(steps + 1)
    for r in range(X.shape[0]):
        ax.plot(t, X[r, :, 0], "-", color="0.55", lw=0.8, alpha=0.8)
        ax.plot(0, X[r, 0, 0], ".", color="0.3", ms=5)
    for k, fp in enumerate(equilibria.fixed_points):
        ax.axhline(float(fp.x[0]), color=f"C{k % 10}", lw=1.0, ls="--")
        ax.plot(
            steps,
            fp.x[0],
            _MARKERS[fp.kind],
            color=f"C{k % 10}",
            ms=10,
            mec="k",
            label=f"#{k} {fp.kind}, h = {fp.x[0]:.4g}",
        )
    ax.set_xlabel("step")
    ax.set_ylabel("h")
    ax.set_title(
        f"Free runs{_cell_tag(p)}, Nn = 1, u0 = "
        f"{np.array2string(equilibria.u0, precision=3)}: {X.shape[0]} runs"
    )
    if equilibria.fixed_points:
        ax.legend(loc="best", fontsize=8)
    return fig


def plot_bode(sys: ct.StateSpace, *, title: str = "Bode plot") -> Figure:
    """Magnitude (dB) and phase (degrees) of a discrete system up to Nyquist.

    Parameters
    ----------
    sys
        Discrete-time system (``dt > 0``); every input-output channel is drawn.
    title
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    nyq = np.pi / float(sys.dt)
    w = np.logspace(np.log10(nyq) - 4, np.log10(nyq), 400)
    resp = sys.frequency_response(w, squeeze=False)
    mag = np.asarray(resp.magnitude)
    ph = np.unwrap(np.asarray(resp.phase), axis=-1)
    fig = new_figure(7.0, 5.6)
    a1, a2 = fig.subplots(2, 1, sharex=True)
    for i in range(mag.shape[0]):
        for j in range(mag.shape[1]):
            lab = f"u[{j}] -> y[{i}]"
            with np.errstate(divide="ignore"):
                a1.semilogx(w, 20 * np.log10(mag[i, j]), label=lab)
            a2.semilogx(w, np.degrees(ph[i, j]), label=lab)
    a1.set_ylabel("magnitude (dB)")
    a2.set_ylabel("phase (deg)")
    a2.set_xlabel("frequency (rad/s)")
    a1.set_title(title)
    for a in (a1, a2):
        a.grid(True, which="both", lw=0.4, alpha=0.5)
        a.axvline(nyq, color="0.6", lw=0.8, ls="--")
    if mag.shape[0] * mag.shape[1] > 1:
        a1.legend(fontsize=8)
    return fig


def write_figures(analysis: object, out: str | os.PathLike[str]) -> dict[str, str]:
    """Write the figures of an :class:`~blocksim_lstm.dynamics.Analysis` to ``out``.

    Files: ``eigenvalues.png``, ``phase_portrait.png`` and, when a fixed point
    was found and its linearization has a path from input to output (``D != 0``
    or ``B, C != 0``), ``bode.png`` (each with an ``.svg`` beside it).

    Parameters
    ----------
    analysis
        Result of :func:`~blocksim_lstm.dynamics.analyze`.
    out
        Folder (created if missing; refused if it is a file).

    Returns
    -------
    dict
        Name -> PNG path.
    """
    from ._analysis import Analysis

    if not isinstance(analysis, Analysis):
        raise TypeError(f"analysis: expected Analysis, got {type(analysis).__name__}")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out: expected a directory, got the file {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    eq = analysis.equilibria
    files = {
        "eigenvalues": save_figure(plot_eigenvalues(eq), folder / "eigenvalues.png"),
        "phase_portrait": save_figure(
            plot_phase_portrait(
                analysis.system or analysis.params, eq, seed=analysis.seed
            ),
            folder / "phase_portrait.png",
        ),
    }
    lin = analysis.linearization
    if lin is not None:
        B, C, D = (np.asarray(m) for m in (lin.B, lin.C, lin.D))
        if np.any(D) or (np.any(B) and np.any(C)):  # else the response is 0
            files["bode"] = save_figure(
                plot_bode(lin, title="Linearization at fixed point #0"),
                folder / "bode.png",
            )
    return {k: str(v) for k, v in files.items()}
