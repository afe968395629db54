"""Accuracy as a tool: the realization, an automatic scl, error against scl.

At scl = 1e-3 the companion-form realization is orders of magnitude worse than the
balanced one; the error model K scl^2 picks the scl for a requested error; the
study from 1e-1 to 1e-9 shows slope 2 until rounding takes over (float32 shows
the floor early). Writes error_vs_scl.png.
"""

import os

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.accuracy import (
    choose_scl,
    design_input,
    plot_scl_study,
    rel_rms_error,
    scl_study,
)
from blocksim_lstm.statespace.realization import balanced_realization

quick = os.environ.get("BLOCKSIM_LSTM_QUICK") == "1"
plant = bl.seed_plant()
u = design_input(1, steps=1001, seed=0)  # 1001 samples of N(0, 1)
y = lti.simulate(plant, u)
for name, sys in (("companion", plant), ("balanced", balanced_realization(plant))):
    yl = bl.reference_cell(bl.construct(sys, 1e-3).params, u).y
    print(
        f"scl = 1e-3, {name:9s}: MSE {np.mean((yl - y) ** 2):.3g}, "
        f"relative RMS {rel_rms_error(yl, y):.3g}"
    )

bal = balanced_realization(plant)
choice = choose_scl(bal, 1e-6, u=u)
print(
    f"\nrequested 1e-6: scl = {choice.scl:.3g}, predicted {choice.predicted:.3g}, "
    f"achieved {choice.achieved:.3g} ({'met' if choice.met else 'NOT met'})"
)

scls = np.logspace(-1, -9, 9 if quick else 17)
studies = [scl_study(bal, u, scls=scls, dtype=d) for d in ("float64", "float32")]
for st in studies:
    print(
        f"{st.dtype}: slope {st.slope:.2f}, best scl {st.best_scl:.0e}, "
        f"lowest error {st.floor:.2g}"
    )
path = plot_scl_study(
    studies,
    "error_vs_scl.png",
    title="Seed plant, balanced realization, 1001-sample N(0,1)",
)
print("wrote", path)
