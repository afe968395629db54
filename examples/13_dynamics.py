"""The LSTM as a dynamical system: fixed points, linearization, stability.

1. The seed's calculated weights: their fixed point for u = 0 is the origin, and
   the linearization there *is* the plant (gain 7.5351, its four poles); the
   other 2Nn - nx = 6 eigenvalues are the disabled cell states and the input unit.
2. For u0 = 1 the fixed point is the plant's steady state to O(scl^2).
3. A one-unit cell built with three equilibria in closed form: all found, two
   stable, one unstable (a saddle of the two-state map).
4. Studies a) and b): how far training moved the poles (the committed runs of
   docs/report, or a short training if they are missing).

Writes poles.png (the README's picture) and the bistable cell's figures to the
folder given as argument (default ./dynamics_out):
``python examples/13_dynamics.py docs/dynamics`` regenerates the README picture.
"""

import os
import sys
from pathlib import Path

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm.dynamics import (
    analyze,
    bistable_cell,
    fixed_points,
    pole_study,
    write_figures,
)
from blocksim_lstm.statespace import lti
from blocksim_lstm.training import calculated_weights

out = Path(sys.argv[1] if len(sys.argv) > 1 else "dynamics_out")
quick = os.environ.get("BLOCKSIM_LSTM_QUICK") == "1"

# 1. the calculated weights are the plant at their operating point
calc = calculated_weights()
res = analyze(calc, starts=8 if quick else 32, steps=200 if quick else 500)
fp = res.equilibria.fixed_points[0]
lin = res.linear
assert lin is not None
gain = lin.dcgain[0, 0]
plant = lti.seed_plant()
plant_gain = lti.dcgain(plant)[0, 0]
dist = lti.match_distance(lin.poles[:4], lti.poles(plant))
print(f"calculated weights: {len(res.equilibria.fixed_points)} fixed point, {fp.kind}")
print(f"  residual {fp.residual:.1e}, |x*| = {np.max(np.abs(fp.x)):.1e} (the origin)")
off = "< 1e-12" if dist < 1e-12 else f"{dist:.1e}"  # rounding digits vary by BLAS
print(f"  linearization: gain {gain:.6f} (plant {plant_gain:.6f}), poles off {off}")
print(f"  other eigenvalues: |lambda| <= {np.max(np.abs(lin.poles[4:])):.1e}")
# a finite-time estimate (500 steps): 3 digits; its limit is log 0.98020 = -0.0200
print(f"  largest Lyapunov exponent {res.lyapunov_exponent:.3g} per step")
assert fp.residual <= 1e-12 and abs(gain / plant_gain - 1) <= 1e-3 and dist <= 1e-3

# 2. a constant input: the plant's steady state, to O(scl^2)
for scl in (1e-2, 1e-3, 1e-4):
    p = calculated_weights(scl)
    h = fixed_points(p, [1.0], starts=4).fixed_points[0].h
    err = abs((p.F @ h)[0] / plant_gain - 1)
    print(f"  scl {scl:.0e}: F h* for u0 = 1 is the plant's gain to {err:.1e}")

# 3. three equilibria known in closed form
cell = bistable_cell(0.5)
bis = analyze(cell, starts=16, steps=100)
kinds = [f"{f.kind} at h = {f.h[0]:+.4f}" for f in bis.equilibria.fixed_points]
print("bistable cell:", "; ".join(kinds))
assert sorted(f.kind for f in bis.equilibria.fixed_points) == [
    "saddle",
    "stable",
    "stable",
]
files = write_figures(bis, out / "bistable")

# 4. before and after training (studies a and b)
runs = Path(__file__).resolve().parent.parent / "docs" / "report" / "runs"
if (runs / "study_random" / "weights.npz").is_file():
    a_after = bl.LSTMParams.load(runs / "study_calculated" / "weights.npz")
    b_before = bl.LSTMParams.load(runs / "study_random" / "initial.npz")
    b_after = bl.LSTMParams.load(runs / "study_random" / "weights.npz")
    source = "the committed 10000-epoch runs in docs/report/runs"
else:
    from blocksim_lstm.studies.training import run_study

    epochs = 300 if quick else None
    a_after = run_study("calculated", epochs=epochs).training.params
    sb = run_study("random", epochs=epochs)
    b_before, b_after = bl.LSTMParams.random(5, 1, 1, states=False), sb.training.params
    source = f"fresh runs ({epochs or 10000} epochs)"
study = pole_study(
    calc,
    {
        "a) after training": a_after,
        "b) before training": b_before,
        "b) after training": b_after,
    },
    starts=8 if quick else 16,
)
print(f"\npoles at the fixed point for u = 0 ({source}):")
header, rows = study.table()
for row in rows:
    print("  " + " | ".join(row))
claim, verdict, number = study.claim()
print(f"claim: {claim}\n  [{verdict}] {number}")
png = bl.save_figure(study.figure(), out / "poles.png")
print("wrote:", png, *files.values())
