"""One call for the whole dynamical-systems view of a set of weights (any cell)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import control as ct
import numpy as np
from numpy.typing import ArrayLike

from .._experiment import INPUT_STREAMS, PLANT_TS, normal_input
from .._validate import as_array, check_memory, check_positive_int
from ._equilibria import Equilibria, fixed_points
from ._iss import ISSCondition, iss_condition
from ._linearize import LinearSummary, linear_summary, linearize
from ._lyapunov import Contraction, _contraction, _exponents, trajectory
from ._system import CellSystem, cell_system

__all__ = ["Analysis", "analyze", "analyze_bytes", "driving_input"]


def analyze_bytes(nn: int, starts: int, steps: int, points: int | None) -> float:
    """Upper estimate of the memory :func:`analyze` needs, in bytes.

    The batched Jacobians of the fixed-point search (``starts`` matrices of
    ``(2Nn)^2`` and their gate-by-gate temporaries), the Jacobians sampled for
    the contraction, and the trajectory with its step coefficients.

    Parameters
    ----------
    nn
        Units Nn (the LSTM's state has 2Nn numbers; the estimate is an upper
        bound for the other cells too).
    starts
        Starts of the fixed-point search.
    steps
        Length of the driven trajectory (burn-in included).
    points
        Steps sampled for the contraction (None: all).
    """
    n = 2 * nn
    pts = steps if points is None else min(points, steps)
    per_start = 3 * n * n + 8 * nn * nn
    return 8.0 * (starts * per_start + 2 * pts * n * n + (steps + 101) * 14 * nn)


def driving_input(
    params: Any, u0: np.ndarray, steps: int, *, seed: int = 0
) -> np.ndarray:
    """The input of the stability-along-trajectories study: ``u0 + N(0, 1)``.

    Parameters
    ----------
    params
        A cell's parameters (for the input width ``Ni``).
    u0 : ndarray, shape ``(Ni,)``
        Constant part of the input.
    steps
        Number of samples.
    seed
        Seed of the noise: the design stream of
        :func:`blocksim_lstm._experiment.normal_input` (``default_rng(seed)``).

    Returns
    -------
    ndarray, shape ``(steps, Ni)``
    """
    return u0 + normal_input(
        steps, params.ni, seed=seed, stream=INPUT_STREAMS["design"]
    )


def _num(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


@dataclass(frozen=True)
class Analysis:
    """Result of :func:`analyze`.

    Attributes
    ----------
    params
        The cell's float64 parameters (``LSTMParams``, ``GRUParams``, ...).
    u0 : ndarray, shape ``(Ni,)``
    ts : float
        Sample time of the linearization.
    equilibria : Equilibria
        Fixed points for ``u0`` (most stable first) and the fate of every start.
    linearization : control.StateSpace or None
        At the first fixed point; None if none was found.
    linear : LinearSummary or None
        Its steady-state gain, poles and zeros.
    lyapunov_exponent : float
        Largest Lyapunov exponent per step along the driven trajectory.
    contraction : Contraction
        Largest singular value of ``df/dx`` along the same trajectory.
    iss : ISSCondition or None
        Bonassi et al.'s sufficient ISS condition (LSTM only: None for the
        other cells).
    steps, burn_in, seed : int
        The driven trajectory: ``burn_in + steps`` samples of ``u0 + N(0, 1)``
        (seeded), from the initial state; the first ``burn_in`` are not averaged.
    system : CellSystem
        The cell's dynamical system.
    """

    params: Any
    u0: np.ndarray
    ts: float
    equilibria: Equilibria
    linearization: ct.StateSpace | None
    linear: LinearSummary | None
    lyapunov_exponent: float
    contraction: Contraction
    iss: ISSCondition | None
    steps: int
    burn_in: int
    seed: int
    system: CellSystem | None = None

    @property
    def cell(self) -> str:
        """The cell's name (``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``)."""
        return cell_system(self.params if self.system is None else self.system).cell

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary.

        Keys: ``cell``, ``sizes``, ``u0``, ``ts``, ``fixed_points`` (each
        ``h, c`` (``h`` alone for the GRU and the RNN), ``residual, eigenvalues
        ([re, im]), spectral_radius, kind, starts``; most stable first),
        ``starts``, ``slow_points``, ``linearization`` (``dcgain,
        dcgain_matrix, poles, zeros`` at the first fixed point, or None),
        ``lyapunov_exponent`` (per step), ``lyapunov_exponent_per_second``,
        ``contraction``, ``trajectory``, ``iss`` (``holds, margin, ...``; None
        for cells other than the LSTM).
        """
        eq = self.equilibria.to_dict()
        le = self.lyapunov_exponent
        return {
            "cell": self.cell,
            "sizes": {"nn": self.params.nn, "ni": self.params.ni, "no": self.params.no},
            "u0": [float(v) for v in self.u0],
            "ts": self.ts,
            "fixed_points": eq["fixed_points"],
            "starts": eq["starts"],
            "slow_points": eq["slow_points"],
            "linearization": None if self.linear is None else self.linear.to_dict(),
            "lyapunov_exponent": _num(le),
            "lyapunov_exponent_per_second": _num(le / self.ts),
            "contraction": self.contraction.to_dict(),
            "trajectory": {
                "steps": self.steps,
                "burn_in": self.burn_in,
                "input": f"u0 + N(0, 1), seed {self.seed}",
            },
            "iss": None if self.iss is None else self.iss.to_dict(),
        }

    def text(self) -> str:
        """A readable summary."""
        p = self.params
        sy = cell_system(p if self.system is None else self.system)
        eq = self.equilibria
        lines = [
            f"{sy.title} Nn={p.nn}, Ni={p.ni}, No={p.no}: state "
            f"({', '.join(sy.STATES)}) of {sy.n}, "
            f"u0 = {np.array2string(self.u0, precision=4)}",
            f"fixed points: {len(eq.fixed_points)} distinct, from {eq.converged} of "
            f"{len(eq.starts)} starts (tolerance {eq.tol:g})",
        ]
        for k, fp in enumerate(eq.fixed_points):
            sizes = ", ".join(
                f"|{name}|max {np.max(np.abs(v)):.4g}"
                for name, v in sy.split(fp.x).items()
            )
            lines.append(
                f"  #{k}: {fp.kind:8s} spectral radius {fp.spectral_radius:.6g}, "
                f"residual {fp.residual:.1e}, reached from {fp.starts} start(s), "
                f"{sizes}"
            )
        failed = [s for s in eq.starts if not s.converged]
        reasons: dict[str, int] = {}
        for s in failed:
            key = s.reason.split(";")[0]
            reasons[key] = reasons.get(key, 0) + 1
        for why, n in sorted(reasons.items()):
            lines.append(f"  not converged: {n} start(s): {why}")
        if self.linear is None:
            lines.append("linearization: no fixed point found")
        else:
            g = self.linear.dcgain

            def clean(v: float) -> float:
                return 0.0 if abs(v) < 1e-12 else v  # rounding dust, BLAS-dependent

            poles = ", ".join(
                f"{clean(z.real):.6g}{clean(z.imag):+.6g}j"
                if clean(z.imag)
                else f"{clean(z.real):.6g}"
                for z in self.linear.poles
            )
            lines += [
                "linearization at fixed point #0: steady-state gain "
                + np.array2string(g, precision=6),
                f"  poles: {poles}",
            ]
        c = self.contraction
        lines += [
            # a finite-time estimate: about 3 digits (O(1/steps) error)
            f"largest Lyapunov exponent: {self.lyapunov_exponent:.3g} per step "
            f"({self.lyapunov_exponent / self.ts:.3g} per second) on "
            f"{self.steps} steps of u0 + N(0, 1) after {self.burn_in}",
            f"contraction: |df/dx|_2 max {c.max:.4g}, mean {c.mean:.4g}, below 1 at "
            f"{100 * c.contracting_fraction:.0f} % of {c.steps.size} sampled steps",
        ]
        iss = self.iss
        if iss is None:
            lines.append(
                f"ISS (Bonassi et al. 2020): not computed, the condition is derived "
                f"for the LSTM only (not for the {sy.cell} cell)"
            )
        else:
            lines.append(
                f"ISS (Bonassi et al. 2020): {'holds' if iss.holds else 'fails'}, "
                f"margin {iss.margin:.4g} (sigma_f {iss.sigma_f:.4g}, sigma_i "
                f"{iss.sigma_i:.4g}, sigma_o {iss.sigma_o:.4g}, |Rg|_inf "
                f"{iss.norm_rg:.4g}); with signed biases: "
                f"{'holds' if iss.signed_holds else 'fails'}, margin "
                f"{iss.signed_margin:.4g}"
            )
        return "\n".join(lines)


def analyze(
    params: Any,
    u0: ArrayLike | None = None,
    *,
    starts: int = 32,
    seed: int = 0,
    ts: float = PLANT_TS,
    steps: int = 500,
    burn_in: int = 100,
    contraction_points: int | None = 32,
    slow_points: bool = False,
) -> Analysis:
    """Equilibria, linearization, Lyapunov exponent, contraction and ISS test.

    Parameters
    ----------
    params
        A cell's parameters (:class:`~blocksim_lstm.LSTMParams`,
        :class:`~blocksim_lstm.cells.GRUParams`, ``PeepholeParams``,
        ``RNNParams``; cast to float64) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`. The ISS test is the
        LSTM's only (None for the others).
    u0 : array_like, shape ``(Ni,)``, optional
        Constant input of the equilibria; zero if omitted.
    starts
        Starts of the fixed-point search (>= 1).
    seed
        Seed of the random starts and of the driving noise.
    ts
        Sample time of the linearization (0.01 s, the seed plant's).
    steps, burn_in
        Driven trajectory for the Lyapunov exponent and contraction.
    contraction_points
        Steps at which ``|df/dx|_2`` is evaluated (None: all).
    slow_points
        Also report slow points (see :func:`fixed_points`).

    Returns
    -------
    Analysis
    """
    p = cell_system(params)
    u = p.check_u0(u0)
    starts = check_positive_int("starts", starts)
    steps = check_positive_int("steps", steps)
    burn_in = check_positive_int("burn_in", burn_in, minimum=0)
    ts_ = float(as_array("ts", ts, ()))
    if not ts_ > 0:
        raise ValueError(f"ts: expected a positive sample time, got {ts_}")
    check_memory(
        "starts",
        analyze_bytes(p.nn, starts, burn_in + steps, contraction_points),
        f"the analysis of Nn={p.nn} units from {starts} starts on "
        f"{burn_in + steps} steps",
    )
    eq = fixed_points(p, u, starts=starts, seed=seed, slow_points=slow_points)
    lin = summary = None
    if eq.fixed_points:
        lin = linearize(p, eq.fixed_points[0].x, u, ts=ts_)
        summary = linear_summary(lin)
    drive = driving_input(p, u, burn_in + steps, seed=seed)
    X = trajectory(p, drive)  # one run for both measures
    le = _exponents(p, X, drive, 1, burn_in, seed)[0]
    if contraction_points is not None:
        contraction_points = check_positive_int(
            "contraction_points", contraction_points
        )
    con = _contraction(p, X, drive, burn_in, contraction_points)
    return Analysis(
        params=p.params,
        u0=u,
        ts=ts_,
        equilibria=eq,
        linearization=lin,
        linear=summary,
        lyapunov_exponent=float(le),
        contraction=con,
        iss=iss_condition(p.params) if p.cell == "lstm" else None,
        steps=steps,
        burn_in=burn_in,
        seed=seed,
        system=p,
    )
