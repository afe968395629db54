"""Sections: experiment 2 (LSTM weights from a linear system) and beyond it."""

from __future__ import annotations

import control as ct
import numpy as np

from ..._experiment import SCL, TRAINING_STEPS
from ..._reference import reference_cell
from ...statespace.accuracy import design_input
from ...statespace.construction import construct
from ...statespace.lti import seed_plant, simulate, state_space
from ...statespace.realization import Realization, realize
from ...studies.approximation import RoundTrip, approximate
from ..context import ReportContext
from ..document import Section
from ..precision import Bound

"""The original's scale."""

# bounds fixed in advance for the rounding-level numbers (see precision.py);
# measured under the OpenBLAS kernels Haswell, Prescott, Sandybridge and Zen:
# floors 5.4e-16..6.1e-16 (float64) and 2.7e-7..2.9e-7 (float32); round trip:
# gain 3.5e-16..3.5e-13, poles 2.0e-14..5.0e-14, zeros 1.0e-13..1.5e-13
FLOOR64 = 1e-14
"""The float64 rounding floor of the relative RMS error is below this."""
FLOOR32 = 1e-5
"""The float32 rounding floor is below this."""
ROUND_TRIP = 1e-11
"""Gain, pole and zero errors of construction + extraction are below this."""


def _roots(rs: np.ndarray) -> str:
    def one(a: float, b: float) -> str:
        b = 0.0 if abs(b) < 1e-12 else b
        return f"{a:.5g}{b:+.5g}j" if b else f"{a:.5g}"

    return ", ".join(one(float(z.real), float(z.imag)) for z in rs)


def _mse_at(sys: ct.StateSpace, realization: Realization, u: np.ndarray) -> float:
    sys_r = realize(sys, realization)
    params = construct(sys_r, SCL, method="spec").params
    y = simulate(sys_r, u)
    return float(np.mean((reference_cell(params, u).y - y) ** 2))


def _tol(tol: float | None) -> float:
    if tol is None:  # the report always asks approximate() to choose scl
        raise TypeError("approximate: expected scl chosen for a tol, got a fixed scl")
    return tol


def _ran(value: float | None, what: str) -> float:
    if value is None:
        raise TypeError(f"{what}: expected a number, got None (not run)")
    return value


def _round_trip_bounds(
    rt: RoundTrip, ctx: ReportContext | None = None
) -> dict[str, Bound]:
    """The round trip's rounding-level errors as bounds (recorded once, by ctx)."""
    values = {
        "dcgain_error": rt.dcgain_error,
        "pole_distance": rt.pole_distance,
        "zero_distance": rt.zero_distance,
    }
    if ctx is None:
        return {k: Bound(float(v), ROUND_TRIP) for k, v in values.items()}
    return {
        k: ctx.bound(f"experiment2.round_trip.{k}", v, ROUND_TRIP)
        for k, v in values.items()
    }


def experiment2(ctx: ReportContext) -> Section:
    """Experiment 2: LSTM weights that reproduce a linear system."""
    sec = Section("Experiment 2: an LTI system, and LSTM weights that reproduce it")
    plant = seed_plant()
    res = approximate(plant, seed=ctx.seed, out=ctx.figures)
    ctx.approximation = res
    sec.p(
        "The plant: zero −4, poles −9 ± 5i and −2 ± 50i, gain 5e5, discretised "
        "with a zero-order hold at Ts = 0.01 s (python-control `zpk`, `c2d`, `ss`). "
        f"Steady-state gain C (I − A)⁻¹ B + D = **{res.dcgain[0, 0]:.4f}** "
        "(SPEC: 7.5351). Discrete zero-pole-gain form:"
    )
    sec.pre(res.zpk)
    sec.table(
        ["", "values"],
        [["poles", _roots(res.poles)], ["zeros", _roots(res.zeros)]],
    )
    sec.p(
        "**The construction** (SPEC §4): Nn = nx + nu = 5 units; input and output "
        "gates open (bias +100), forget gate closed (bias −100) so the cell state "
        "is disabled; Wg = scl [B; I], Rg = [[A, 0], [0, 0]], "
        "F = [C A⁻¹, D − C A⁻¹ B] / scl. Then h(t) ≈ scl [x(t+1); u(t)] and "
        "y = F h = C x + D u, to any accuracy as scl → 0."
    )
    shown = construct(realize(plant, "balanced"), SCL, method="spec").params
    with np.printoptions(linewidth=100, formatter={"float_kind": "{:10.4g}".format}):
        sec.pre(
            f"The weights at scl = {SCL:g}, balanced realization "
            "(all other blocks of W and R are zero):\n"
            + "\n".join(f"b{g} = {shown.gate('b', g)}" for g in ("i", "f", "g", "o"))
            + f"\nWg =\n{shown.gate('W', 'g')}\nRg =\n{shown.gate('R', 'g')}"
            + f"\nF = {shown.F}\nbF = {shown.bF}"
        )
    # realizations at the original's scale
    u_train = design_input(1, steps=TRAINING_STEPS, amplitude=1.0, seed=ctx.seed)
    realizations: tuple[Realization, ...] = ("given", "balanced")
    mse = {r: _mse_at(plant, r, u_train) for r in realizations}
    sec.p(
        f"**State coordinates matter.** At the original's scl = {SCL:g}, on "
        f"a {TRAINING_STEPS}-sample N(0, 1) input, the transfer function is the "
        "same but the error is not:"
    )
    sec.table(
        ["realization", "MSE, measured here", "SPEC"],
        [
            [
                "companion form (python-control's zpk → c2d → ss)",
                f"{mse['given']:.3g}",
                "about 3 to 6",
            ],
            [
                "the original's (MATLAB ss of the zpk model)",
                "not reproduced",
                "0.0025 (1e-3 to 4e-3)",
            ],
            [
                "balanced (used here by default)",
                f"{mse['balanced']:.3g}",
                "3e-5 to 3e-4",
            ],
        ],
    )
    sec.p(
        "A balanced realization has equal, diagonal Gramians: no state is much "
        "larger than its effect on the output, so the cubic error of tanh is not "
        "amplified by the coordinates. It is the default of `blocksim-lstm "
        "approximate`."
    )
    sec.p(
        f"**scl chosen for a requested accuracy.** For a relative RMS error of "
        f"{_tol(res.tol):g} on the {TRAINING_STEPS}-sample input, the error model "
        f"(two linear recursions, no fitting) chooses scl = {res.scl:.3g}; "
        f"predicted {res.predicted_rel_rms_error:.3g}, achieved "
        f"{res.achieved_rel_rms_error:.3g}."
    )
    val = res.validation
    norm_diagram = _ran(val.norm_diagram, "the validation through the diagram")
    verdict = "passes" if val.crosscheck_passed else "FAILS"
    sec.figure(
        "figures/validation.png",
        f"Validation as in the original: 51 samples of N(0, 1). "
        f"norm(y_lstm − y) = {val.norm_cell:.3g} through the reference cell and "
        f"{norm_diagram:.3g} through the bdsim block diagram; the diagram's "
        f"wire-by-wire cross-check {verdict}.",
    )
    f64, f32 = res.error_vs_scl
    floor64 = ctx.bound("experiment2.floor_float64", f64.floor, FLOOR64)
    floor32 = ctx.bound("experiment2.floor_float32", f32.floor, FLOOR32)
    sec.figure(
        "figures/error_vs_scl.png",
        f"Error against scl: slope {f64.slope:.2f} (error ∝ scl²) until "
        f"rounding takes over; best scl {f64.best_scl:.0e} in float64 (floor: "
        f"{floor64}), {f32.best_scl:.0e} in float32 (floor: {floor32}).",
    )
    ks, errors = res.linearity.ks.tolist(), res.linearity.rel_rms.tolist()
    sec.figure(
        "figures/linearity.png",
        "Linearity test, responses to k·u: relative RMS error "
        + ", ".join(f"{e:.2g} at k = {k:g}" for k, e in zip(ks, errors, strict=True))
        + ": it grows like k² (the cubic term of tanh), so the network is linear "
        "only within an input range.",
    )
    rt = res.round_trip
    sec.numbers.update(
        {
            "dcgain": float(res.dcgain[0, 0]),
            "zpk": res.zpk,
            "mse_companion_scl1e-3": mse["given"],
            "mse_balanced_scl1e-3": mse["balanced"],
            "requested_rel_rms_error": res.tol,
            "auto_scl": res.scl,
            "predicted_rel_rms_error": res.predicted_rel_rms_error,
            "achieved_rel_rms_error": res.achieved_rel_rms_error,
            "slope": f64.slope,
            "best_scl_float64": f64.best_scl,
            "best_scl_float32": f32.best_scl,
            "floor_float64": floor64,
            "floor_float32": floor32,
            "validation_norm_cell": val.norm_cell,
            "validation_norm_diagram": norm_diagram,
            "validation_crosscheck_passed": val.crosscheck_passed,
            "linearity": dict(zip(map(str, ks), errors, strict=True)),
            "round_trip": {
                "nstates": rt.nstates,
                **_round_trip_bounds(rt, ctx),
                "feedthrough_gap": rt.feedthrough_gap,
            },
        }
    )
    ctx.results["experiment2"] = sec.numbers
    return sec


def beyond_invertible_a(ctx: ReportContext) -> Section:
    """Beyond the original: singular A, and extraction."""
    sec = Section("Beyond the original: no invertible A needed; extraction")
    # a pure delay chain with an FIR tail: y(t) = u(t-1) + 0.5 u(t-2) - 0.2 u(t-3)
    A = np.diag([1.0, 1.0], k=-1)
    fir = state_space(A, [[1.0], [0.0], [0.0]], [[1.0, 0.5, -0.2]], [[0.0]], ts=0.01)
    try:
        construct(fir, 1e-3, method="spec")
        refusal = "(unexpectedly accepted)"
    except ValueError as exc:
        refusal = str(exc)
    res = approximate(
        fir,
        construction="delayed",
        realization="given",
        seed=ctx.seed,
        diagram=True,
        out=None,
    )
    achieved = res.achieved_rel_rms_error
    fir_passed = res.validation.crosscheck_passed
    sec.p(
        "The SPEC construction needs A⁻¹ (F = [C A⁻¹, D − C A⁻¹ B] / scl). A system "
        "with a pole at the origin (a pure delay, an FIR filter) has a singular A. "
        "Take y(t) = u(t−1) + 0.5 u(t−2) − 0.2 u(t−3): A is a shift matrix, all "
        "three poles at z = 0. The SPEC construction refuses it:"
    )
    sec.pre(refusal)
    sec.p(
        "The new construction uses Nn = 2 nx + nu units: the hidden state also "
        "carries a one-step-delayed copy of the scaled state, h = scl [x(t+1); "
        "x(t); u(t)], so y = [0, C, D] h / scl with no A⁻¹ anywhere. On the FIR "
        f"system it uses Nn = {res.nn} units and scl = {res.scl:.3g}, chosen "
        f"for {_tol(res.tol):g}; achieved relative RMS error {achieved:.3g} on a "
        f"{TRAINING_STEPS}-sample N(0, 1) input; validation through the block diagram: "
        f"norm = {_ran(res.validation.norm_diagram, 'FIR diagram'):.3g}, cross-check "
        f"{'passes' if fir_passed else 'FAILS'}."
    )
    if ctx.approximation is None:
        raise KeyError("approximation: the experiment 2 section must run first")
    plant_rt = ctx.approximation.round_trip
    rt = {"nstates": plant_rt.nstates, **_round_trip_bounds(plant_rt)}
    sec.p(
        "**Extraction** (SPEC §4): Ann = Rg, Bnn = Wg / scl, Cnn = scl F Ann, "
        "Dnn = scl F Bnn. From the seed plant's constructed weights, the minimal "
        f"realization of the extracted system has {rt['nstates']} states and gives "
        f"back the gain (relative error: {rt['dcgain_error']}), the poles "
        f"(distance: {rt['pole_distance']}) and the zeros (distance: "
        f"{rt['zero_distance']}): equal to rounding."
    )
    sec.numbers.update(
        {
            "fir_spec_refused": "cond" in refusal or "singular" in refusal,
            "fir_nn": res.nn,
            "fir_scl": res.scl,
            "fir_requested_rel_rms_error": res.tol,
            "fir_achieved_rel_rms_error": achieved,
            "fir_crosscheck_passed": fir_passed,
        }
    )
    ctx.results["beyond"] = sec.numbers
    return sec
