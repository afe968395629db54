"""The seed's plant (SPEC §4): zpk -> zero-order hold at Ts = 0.01 -> state space.

Prints its readable zero-pole-gain form, steady-state gain, poles and zeros, and
simulates it on the 51-sample validation input; also draws a random stable
MIMO system with a pole at the origin (singular A).
"""

import numpy as np

from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.validation import validation_input
from blocksim_lstm.statespace.zpk import zpk_summary

plant = lti.seed_plant()
print("seed plant, Ts =", plant.dt, "s, states:", plant.nstates)
print("zpk:", zpk_summary(plant))  # 0.078673 (z + 3.517)... as in SPEC
print("steady-state gain C (I - A)^-1 B + D =", np.round(lti.dcgain(plant), 4))
print("poles:", np.round(lti.poles(plant), 6))
print("zeros:", np.round(lti.zeros(plant), 6))

u = validation_input(1)  # 51 samples of N(0, 1), seeded
y = lti.simulate(plant, u)  # x0 = 0, via control.forced_response
y0 = lti.simulate(plant, u, x0=[1.0, 0.0, 0.0, 0.0])
print("y(0..4) from x0 = 0:", np.round(y[:5, 0], 4))
print("y(0..4) from x0 = e1:", np.round(y0[:5, 0], 4))

mimo = lti.random_stable(4, 2, 2, seed=1, origin_poles=1)
print(f"\nrandom stable system, cond(A) = {np.linalg.cond(mimo.A):.2g}:")
print(zpk_summary(mimo))
