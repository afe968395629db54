"""Sweeps: grid, parallel runs equal serial ones, table written, spread statistics."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.training import TrainOptions, seed_data, train
from blocksim_lstm.training.sweep import COLUMNS, by_seed, grid, run_sweep, spread_by

BASE = TrainOptions(epochs=40, lr=0.04, drop_period=10)


@pytest.fixture(scope="module")
def short_data():
    u, y = seed_data(120, seed=1)
    return u, y


def test_grid_is_the_cartesian_product():
    runs = grid(seeds=[3, 4], base=BASE, drop_factor=[0.5, 0.9], lr=[0.1, 0.2, 0.3])
    assert len(runs) == 12
    assert [r.run for r in runs] == list(range(12))
    combos = {(r.options.drop_factor, r.options.lr, r.seed) for r in runs}
    assert len(combos) == 12
    assert all(r.options.epochs == 40 for r in runs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seeds": [], "lr": [0.1]}, "seeds"),
        ({"seeds": [0], "speed": [1]}, "unknown options"),
        ({"seeds": [0], "init": "zeros"}, "init"),
        ({"seeds": [0], "drop_factor": [2.0]}, "drop_factor"),
    ],
)
def test_grid_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        grid(base=BASE, **kwargs)


def test_parallel_sweep_equals_serial_and_single_runs(short_data, tmp_path):
    u, y = short_data
    runs = grid(seeds=[0, 1], base=BASE, drop_factor=[0.979, 0.981])
    par = run_sweep(runs, data=(u, y), processes=2, out_csv=tmp_path / "s.csv")
    ser = run_sweep(runs, data=(u, y), processes=1)
    assert [r["final_loss"] for r in par] == [r["final_loss"] for r in ser]
    # each row is what a single training gives
    r3 = runs[3]
    single = train(
        LSTMParams.random(5, 1, 1, seed=r3.seed, states=False), u, y, r3.options
    )
    assert par[3]["final_loss"] == single.losses[-1]
    assert par[3]["best_loss"] == single.losses.min()
    with open(tmp_path / "s.csv") as fh:
        table = list(csv.DictReader(fh))
    assert tuple(table[0]) == COLUMNS
    assert [int(r["run"]) for r in table] == [0, 1, 2, 3]
    assert float(table[2]["final_loss"]) == par[2]["final_loss"]


def test_table_is_saved_as_runs_finish(short_data, tmp_path):
    u, y = short_data
    runs = grid(seeds=[0, 1, 2], base=BASE)
    seen = []

    def on_result(row, k, n):
        with open(tmp_path / "s.csv") as fh:
            seen.append(len(list(csv.DictReader(fh))))

    run_sweep(
        runs, data=(u, y), processes=1, out_csv=tmp_path / "s.csv", on_result=on_result
    )
    assert seen == [1, 2, 3]


def test_spread_statistics_match_numpy():
    rows = [
        {"seed": s, "drop_factor": f, "final_loss": v}
        for s, f, v in [
            (0, 0.98, 1.0),
            (1, 0.98, 4.0),
            (2, 0.98, 2.0),
            (0, 0.99, 3.0),
            (1, 0.99, 0.5),
            (2, 0.99, float("nan")),
        ]
    ]
    sp = spread_by(rows, "drop_factor")
    assert sp[0.98]["median"] == 2.0 and sp[0.98]["max/min"] == 4.0
    assert sp[0.98]["std"] == pytest.approx(np.std([1.0, 4.0, 2.0]))
    assert sp[0.99]["n"] == 2  # the NaN run is left out
    bs = by_seed(rows, "drop_factor")
    assert bs[0]["max/min"] == 3.0 and bs[1]["max/min"] == 8.0
    assert bs[2]["values"] == {0.98: 2.0}


def test_sweep_cli_writes_table_and_summary(tmp_path, capsys):
    u, y = seed_data(80, seed=2)
    np.savez(tmp_path / "d.npz", u=u, y=y)
    rc = main(
        [
            "sweep",
            "--seeds",
            "0:2",
            "--epochs",
            "20",
            "--drop-factor",
            "0.9,0.5",
            "--drop-period",
            "5",
            "--data",
            str(tmp_path / "d.npz"),
            "--processes",
            "1",
            "--out",
            str(tmp_path / "o"),
            "--json",
        ]
    )
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert s["runs"] == 4
    assert set(s["spread_by_drop_factor"]) == {"0.5", "0.9"}
    for name in ("sweep.csv", "summary.json", "final_loss.png"):
        assert (tmp_path / "o" / name).is_file()


def test_sweep_cli_bad_list(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--drop-factor", "0.9,abc"])
    assert "comma-separated" in capsys.readouterr().err
