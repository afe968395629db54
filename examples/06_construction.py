"""LSTM weights from (A, B, C, D): the three constructions.

``spec`` (Nn = nx + nu, SPEC §4) needs A^-1; ``nx`` (Nn = nx) reports the
feed-through it really gets; ``delayed`` (Nn = 2 nx + nu) needs no A^-1 and runs
a pure FIR filter, which the first two refuse.
"""

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.accuracy import rel_rms_error
from blocksim_lstm.statespace.realization import balanced_realization

plant = balanced_realization(bl.seed_plant())
u = np.random.default_rng(0).standard_normal((200, 1))
y = lti.simulate(plant, u)
for method in ("spec", "nx", "delayed"):
    c = bl.construct(plant, 1e-4, method=method)
    err = rel_rms_error(bl.reference_cell(c.params, u).y, y)
    print(
        f"{method:8s} Nn={c.nn:2d}  feed-through {c.feedthrough[0, 0]:+.4f} "
        f"(D = {c.D[0, 0]:+.4f})  relative RMS error {err:.2e}"
    )

# y(t) = 0.5 u(t-1) + u(t-2): every pole at the origin, A singular
fir = lti.state_space([[0, 0], [1, 0]], [[1], [0]], [[0.5, 1.0]], ts=0.1)
try:
    bl.construct(fir, 1e-4, method="spec")
except ValueError as exc:
    print("\nspec refuses the FIR filter:", exc)
c = bl.construct(fir, 1e-6)  # auto -> delayed
y_fir = bl.reference_cell(c.params, u).y[:, 0]
want = np.r_[0.0, 0.5 * u[:-1, 0]] + np.r_[0.0, 0.0, u[:-2, 0]]
print(
    f"auto chose {c.method!r}, Nn={c.nn}; max |y - y_FIR| = "
    f"{np.max(np.abs(y_fir - want)):.1e}"
)
