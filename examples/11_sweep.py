"""Does the drop factor's third digit change the outcome? A parallel sweep.

Random starts (seeds 0..5) x drop factors 0.979 / 0.98 / 0.981, lr 0.04, 10000
epochs each: 18 trainings over all cores, the table saved as runs finish
(sweep/sweep.csv). Interrupted (Ctrl-C), the script run again resumes: the runs
already in the table are not redone. Prints the spread of final losses per drop
factor and, per seed, how much the final loss changes with the drop factor alone.
"""

import os
from pathlib import Path

import blocksim_lstm as bl
from blocksim_lstm.studies.sweep import by_seed, grid, run_sweep, spread_by


def main() -> None:
    quick = os.environ.get("BLOCKSIM_LSTM_QUICK") == "1"
    seeds = range(2) if quick else range(6)
    base = bl.TrainOptions(epochs=200 if quick else 10000, lr=0.04, drop_period=100)
    runs = grid(seeds=seeds, base=base, drop_factor=[0.979, 0.98, 0.981])
    out = Path("sweep")
    rows = run_sweep(runs, out=out)  # resumes if sweep/ holds this sweep
    print(f"{len(rows)} runs, table in {out / 'sweep.csv'}")
    print("final loss by drop factor, over seeds:")
    for f, s in spread_by(rows, "drop_factor").items():
        print(
            f"  {f}: min {s['min']:.4g}  median {s['median']:.4g}  max {s['max']:.4g}"
        )
    print("same start, drop factor changed (largest / smallest final loss):")
    for seed, d in by_seed(rows, "drop_factor").items():
        vals = "  ".join(f"{f}: {v:.4g}" for f, v in d["values"].items())
        print(f"  seed {seed}: {vals}  -> x{d['max/min']:.2f}")


if __name__ == "__main__":  # worker processes import this file
    main()
