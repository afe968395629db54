"""From weights back to a linear system: the round trip, and the linear regime.

Construct an LSTM from the seed's plant, extract (Ann, Bnn, Cnn, Dnn) as in SPEC §4,
reduce to a minimal realization and compare gain, poles and zeros. Random weights
are then shown to be far from the linear regime the extraction assumes.
"""

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.extraction import linear_regime_report
from blocksim_lstm.statespace.realization import (
    balanced_realization,
    minimal_realization,
)

plant = bl.seed_plant()
for method in ("spec", "delayed"):
    c = bl.construct(balanced_realization(plant), 1e-3, method=method)
    snn = bl.extract_state_space(c.params, scl=c.scl, ts=plant.dt)  # Nn states
    m = minimal_realization(snn)  # the extra states are unobservable
    print(
        f"{method:8s} Nn={snn.nstates} -> minimal {m.nstates}: gain "
        f"{lti.dcgain(m)[0, 0]:.6f}, poles off by "
        f"{lti.match_distance(lti.poles(m), lti.poles(plant)):.1e}, zeros off by "
        f"{lti.match_distance(lti.zeros(m), lti.zeros(plant)):.1e}"
    )

u = np.random.default_rng(0).standard_normal((51, 1))
print("\nconstructed weights:", linear_regime_report(c.params, u).table())
print(
    "\nrandom weights:", linear_regime_report(bl.LSTMParams.random(3, 1, 1), u).table()
)
