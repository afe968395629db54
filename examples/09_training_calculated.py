"""Study a): train from the calculated weights with the original's options.

lr 1e-4, drop 0.99 every 100 epochs, gradient threshold 1, 10000 epochs, on the
seed plant's 1001-sample N(0, 1) data. The starting point is the best point the
run ever sees: the calculated solution sits in a very narrow basin. Writes
study_calculated/ (loss.png, validation_before.png, validation_after.png,
study.json, weights.npz, loss.csv).
"""

import os

from blocksim_lstm.studies.training import run_study

quick = os.environ.get("BLOCKSIM_LSTM_QUICK") == "1"
study = run_study("calculated", epochs=300 if quick else None, out="study_calculated")
print(study.text())
s = study.training.summary()
print(
    f"\nstart {s['first_loss']:.3g} -> final {s['final_loss']:.3g}: "
    + (
        "the start was the best point seen"
        if s["start_was_best"]
        else f"improved, best at epoch {s['best_epoch']}"
    )
)
print("figures:", ", ".join(study.figures.values()))
