"""Study b): train from random weights with the original's options.

W, R, b, F uniform [0, 1) (seed 0), zero FC bias and states; lr 0.04, drop 0.98
every 100 epochs, 10000 epochs. The run ends in a different local minimum, far
from the calculated weights (gate biases move by ~100, F by ~1000) and not
linear. Writes study_random/.
"""

import os

from blocksim_lstm.studies.training import run_study

quick = os.environ.get("BLOCKSIM_LSTM_QUICK") == "1"
study = run_study("random", seed=0, epochs=300 if quick else None, out="study_random")
print(study.text())
s = study.training.summary()
print(
    f"\nfinal loss {s['final_loss']:.3g} against {study.calculated_loss:.3g} for the "
    f"calculated weights ({s['final_loss'] / study.calculated_loss:.0f}x worse)"
)
