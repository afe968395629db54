"""Sweeps: grid, parallel runs equal serial ones, the table, resume, and faults.

The fault tests run the real command in a subprocess and hit it with real
signals: ``kill -9`` of the sweep (its workers must die with it), Ctrl-C (a
``SIGINT`` to the process group, as a terminal sends it), ``kill -9`` of one
worker. After each, the table holds only rows equal to an uninterrupted
sweep's, and running the same command again ends with the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm import LSTMParams
from blocksim_lstm._files import MARKER, OutputRefusedError
from blocksim_lstm.cli import main
from blocksim_lstm.cli import sweep as cli_sweep
from blocksim_lstm.studies import sweep as sweep_mod
from blocksim_lstm.studies.sweep import (
    COLUMNS,
    PLAN_FILE,
    TABLE_FILE,
    by_seed,
    grid,
    read_table,
    run_sweep,
    spread_by,
)
from blocksim_lstm.training import TrainOptions, seed_data, train

BASE = TrainOptions(epochs=40, lr=0.04, drop_period=10)
LINUX = sys.platform.startswith("linux")

# the sweep the process tests run: 6 random starts, short data, long enough runs
# that a signal sent when the first row appears finds most runs unfinished
CLI_GRID = [
    "sweep",
    "--seeds",
    "0:6",
    "--epochs",
    "3000",
    "--lr",
    "0.04",
    "--drop-factor",
    "0.98",
    "--drop-period",
    "100",
]


@pytest.fixture(scope="module")
def short_data():
    u, y = seed_data(120, seed=1)
    return u, y


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "d.npz"
    u, y = seed_data(200, seed=1)
    np.savez(path, u=u, y=y)
    return path


@pytest.fixture(scope="module")
def reference(cli_data, tmp_path_factory):
    """The uninterrupted sweep's table (in this process, one process)."""
    out = tmp_path_factory.mktemp("ref") / "sweep"
    rc = main(
        [*CLI_GRID, "--data", str(cli_data), "--processes", "1", "--out", str(out)]
    )
    assert rc == 0
    return (out / TABLE_FILE).read_bytes()


# ---------------------------------------------------------------- helpers


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # state, ppid, ...


def _alive(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def _children(pid: int) -> dict[int, bytes]:
    """Live children of ``pid`` and their command lines."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or fields[0] == "Z" or int(fields[1]) != pid:
            continue
        try:
            out[int(entry.name)] = (entry / "cmdline").read_bytes()
        except OSError:
            continue
    return out


def _my_workers() -> list[int]:
    """Sweep workers of this process still alive (none where /proc is missing)."""
    if not LINUX:
        return []
    mine = _children(os.getpid())
    return [k for k, cmd in mine.items() if b"_sweep_worker" in cmd]


def _rows(out: Path) -> int:
    try:
        return max(0, len((out / TABLE_FILE).read_text().splitlines()) - 1)
    except OSError:
        return 0


def _wait(condition, what: str, limit: float = 300.0) -> None:
    """Poll until ``condition()``; ``limit`` only guards against a hang."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {limit} s")
        time.sleep(0.01)


# runs 0-2 fail at epoch 2 (lr 1e160), runs 3-5 take minutes: when the third row
# is saved, the workers are in long runs (far longer than any wait below)
LONG_GRID = [
    "sweep",
    "--seeds",
    "0:3",
    "--epochs",
    "3000000",
    "--lr",
    "1e160,0.04",
    "--drop-factor",
    "0.98",
]


class _Sweep:
    """The command in a subprocess, output to files (no pipe an orphan could
    hold open); every process seen is killed at the end of the test."""

    def __init__(self, grid_args: list[str], cli_data: Path, out: Path) -> None:
        cmd = [sys.executable, "-m", "blocksim_lstm", *grid_args]
        cmd += ["--data", str(cli_data), "--processes", "2", "--out", str(out)]
        env = {**os.environ, "MPLBACKEND": "Agg"}
        env.pop("OPENBLAS_NUM_THREADS", None)
        self.out = out
        self.log = out.parent / "stdout.txt", out.parent / "stderr.txt"
        with open(self.log[0], "w") as so, open(self.log[1], "w") as se:
            self.proc = subprocess.Popen(
                cmd,
                stdout=so,
                stderr=se,
                env=env,
                start_new_session=True,  # its own process group: Ctrl-C for it
            )
        self.pid = self.proc.pid
        self.seen: set[int] = set()

    def children(self) -> dict[int, bytes]:
        kids = _children(self.pid)
        self.seen.update(kids)
        return kids

    def workers(self) -> list[int]:
        return [k for k, cmd in self.children().items() if b"_sweep_worker" in cmd]

    def wait(self) -> int:
        return self.proc.wait(timeout=600)

    def output(self) -> tuple[str, str]:
        return self.log[0].read_text(), self.log[1].read_text()

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.children()
        _kill_all([self.pid, *self.seen])
        self.proc.wait()


@pytest.fixture
def sweeps():
    """Start sweeps with ``sweeps(grid_args, cli_data, out)``; reaped at teardown."""
    started: list[_Sweep] = []

    def start(grid_args: list[str], cli_data: Path, out: Path) -> _Sweep:
        started.append(_Sweep(grid_args, cli_data, out))
        return started[-1]

    yield start
    for sw in started:
        sw.cleanup()


def _kill_all(pids: list[int]) -> None:
    """SIGKILL these processes of this test that are still alive."""
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _resume(cli_data: Path, out: Path, capsys) -> str:
    """The same command again, in this process (its modules are loaded)."""
    capsys.readouterr()
    args = [*CLI_GRID, "--data", str(cli_data), "--processes", "1"]
    assert main([*args, "--out", str(out)]) == 0
    return capsys.readouterr().out


# ---------------------------------------------------------------- the grid


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
        ({"seeds": [], "lr": [0.1]}, "seeds: expected at least one"),
        ({"seeds": [0], "speed": [1]}, "unknown options"),
        ({"seeds": [0], "init": "zeros"}, "init"),
        ({"seeds": [0], "drop_factor": [2.0]}, "drop_factor"),
        ({"seeds": [0], "drop_factor": []}, "drop_factor: expected at least one"),
        ({"seeds": [0], "lr": [0.1, 0.1]}, "lr: the value 0.1 is given twice"),
        ({"seeds": [-1]}, "seeds: expected integers >= 0, got -1"),
        ({"seeds": [2, 2]}, "seeds: the seed 2 is given twice"),
        ({"seeds": [0], "units": 0}, "units: expected an integer >= 1"),
        # refused from its size, before the range is expanded
        ({"seeds": range(10**12)}, "seeds: 1000000000000 seeds x 1 option"),
        ({"seeds": range(60_000), "lr": [0.1, 0.2]}, "at most 100000"),
    ],
)
def test_grid_rejects_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        grid(base=BASE, **kwargs)


# ---------------------------------------------------------------- runs


def test_parallel_sweep_equals_serial_and_single_runs(short_data, tmp_path):
    u, y = short_data
    before = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    runs = grid(seeds=[0, 1], base=BASE, drop_factor=[0.979, 0.981])
    par = run_sweep(runs, data=(u, y), processes=2, out_csv=tmp_path / "s.csv")
    ser = run_sweep(runs, data=(u, y), processes=1)
    assert par == ser
    # each row is what a single training gives
    r3 = runs[3]
    single = train(
        LSTMParams.random(5, 1, 1, seed=r3.seed, states=False), u, y, r3.options
    )
    assert par[3]["final_loss"] == single.losses[-1]
    assert par[3]["best_loss"] == single.losses.min()
    assert par[3]["best_epoch"] == int(np.argmin(single.losses)) + 1
    with open(tmp_path / "s.csv") as fh:
        table = list(csv.DictReader(fh))
    assert tuple(table[0]) == COLUMNS
    assert [int(r["run"]) for r in table] == [0, 1, 2, 3]
    assert float(table[2]["final_loss"]) == par[2]["final_loss"]
    # the one-thread settings were for the workers only
    assert {k: os.environ.get(k) for k in before} == before
    assert _my_workers() == []


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


def test_runs_are_timed_where_they_ran_and_the_pool_sends_the_next_run_first(
    short_data, tmp_path, monkeypatch
):
    u, y = short_data
    runs = grid(seeds=[0, 1, 2, 3, 4], base=BASE)
    # the serial sweep: each run's timing spans the run as seen from outside
    seen: list[tuple[float, float]] = []
    one = sweep_mod._one

    def watched(run, uu, yy):
        a = time.monotonic()
        row = one(run, uu, yy)
        seen.append((a, time.monotonic()))
        return row

    monkeypatch.setattr(sweep_mod, "_one", watched)
    ser_times: list = []
    ser = run_sweep(
        runs, data=(u, y), processes=1, out_csv=tmp_path / "s.csv", _timings=ser_times
    )
    monkeypatch.setattr(sweep_mod, "_one", one)
    assert len(ser_times) == len(seen) == 5
    for (pid, start, end, cpu), (a, b) in zip(ser_times, seen, strict=True):
        assert pid == os.getpid()
        assert start <= a < b <= end and 0 <= cpu
    # the pool: when a row is handed on (table, progress), its worker already
    # has its next run (2 first runs, then one per row: 2 + k sends at row k)
    sends: list[object] = []
    give = sweep_mod._Worker.give

    def counted(self, pending):
        give(self, pending)
        sends.append(self.task)

    monkeypatch.setattr(sweep_mod._Worker, "give", counted)
    at_row: list[int] = []
    par_times: list = []
    t0 = time.monotonic()
    par = run_sweep(
        runs,
        data=(u, y),
        processes=2,
        out_csv=tmp_path / "p.csv",
        on_result=lambda row, k, n: at_row.append(len(sends) - k),
        _timings=par_times,
    )
    t1 = time.monotonic()
    assert at_row == [2] * 5
    assert par == ser and not any("_times" in r for r in par)
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "s.csv").read_bytes()
    pids = {t[0] for t in par_times}
    assert len(par_times) == 5 and 1 <= len(pids) <= 2 and os.getpid() not in pids
    for pid in pids:  # one worker's runs, one after the other, within the call
        spans = sorted((a, b) for p, a, b, _ in par_times if p == pid)
        assert t0 < spans[0][0] and spans[-1][1] < t1
        pairs = zip(spans, spans[1:], strict=False)
        assert all(a < b <= c < d for (a, b), (c, d) in pairs)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_failing_run_is_a_row_with_a_status(short_data, processes):
    u, y = short_data
    # lr 1e160 without clipping sends the weights to ~1e160: loss inf at epoch 2
    base = TrainOptions(epochs=30, lr=0.04, drop_period=10, grad_threshold=math.inf)
    runs = grid(seeds=[0, 1], base=base, lr=[0.04, 1e160])
    rows = run_sweep(runs, data=(u, y), processes=processes)
    assert [r["status"] for r in rows] == ["ok", "ok", "non-finite", "non-finite"]
    for r in rows[2:]:
        # the epochs before the failure are kept: one finite loss, epoch 1's
        first = train(
            LSTMParams.random(5, 1, 1, seed=r["seed"], states=False),
            u,
            y,
            TrainOptions(epochs=1, lr=1e160, drop_period=10, grad_threshold=math.inf),
        ).losses[0]
        assert r["first_loss"] == r["final_loss"] == first
        assert "epoch 2" in r["message"]
    ok = train(LSTMParams.random(5, 1, 1, seed=1, states=False), u, y, runs[1].options)
    assert rows[1]["final_loss"] == ok.losses[-1]


def test_a_run_that_raises_is_a_row_with_a_status(short_data, monkeypatch):
    u, y = short_data
    runs = grid(seeds=[0, 1], base=BASE)

    def broken(self, ni, no):
        if self.seed == 1:
            raise MemoryError("no room")
        return LSTMParams.random(self.units, ni, no, seed=self.seed, states=False)

    monkeypatch.setattr(sweep_mod.SweepRun, "initial", broken)
    rows = run_sweep(runs, data=(u, y), processes=1)
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert rows[1]["message"] == "MemoryError: no room"
    assert "final_loss" not in rows[1]


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


# ---------------------------------------------------------------- the table


_floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "seed": st.integers(0, 2**63 - 1),
                "units": st.integers(1, 10**6),
                "lr": _floats,
                "drop_factor": _floats,
                "drop_period": st.integers(1, 10**9),
                "grad_threshold": _floats,
                "epochs": st.integers(1, 10**9),
                "init": st.sampled_from(["random", "calculated"]),
                "status": st.sampled_from(sweep_mod.STATUSES),
            },
            optional={
                "first_loss": _floats,
                "final_loss": _floats,
                "best_loss": _floats,
                "best_epoch": st.integers(1, 10**9),
                "final_weights_loss": _floats,
            },
        ),
        max_size=6,
    )
)
def test_table_round_trip_is_byte_identical(rows, tmp_path_factory):
    """Rows read back from a table write the same bytes (what resume relies on)."""
    rows = [{"run": k, **r} for k, r in enumerate(rows)]
    path = tmp_path_factory.mktemp("t") / TABLE_FILE
    text = sweep_mod._table_text(rows)
    path.write_text(text)
    back = read_table(path)
    assert sweep_mod._table_text(back) == text
    for a, b in zip(rows, back, strict=True):
        assert set(a) == set(b)
        for k in a:  # same values, same types (nan compares by its repr)
            assert type(a[k]) is type(b[k]) and repr(a[k]) == repr(b[k])


# ---------------------------------------------------------------- resume


def test_resume_after_an_interrupt_gives_the_same_bytes(short_data, tmp_path):
    u, y = short_data
    runs = grid(seeds=[0, 1, 2], base=BASE, drop_factor=[0.9, 0.5])
    one_go = tmp_path / "one"
    run_sweep(runs, data=(u, y), processes=1, out=one_go)

    def stop_after_two(row, k, n):
        if k == 2:
            raise KeyboardInterrupt

    parts = tmp_path / "parts"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(runs, data=(u, y), processes=1, out=parts, on_result=stop_after_two)
    assert len(read_table(parts / TABLE_FILE)) == 2
    started, finished = [], []
    rows = run_sweep(
        runs,
        data=(u, y),
        processes=2,
        out=parts,
        on_start=lambda kept, total: started.append((kept, total)),
        on_result=lambda row, k, n: finished.append(row["run"]),
    )
    assert started == [(2, 6)]
    assert sorted(finished) == [2, 3, 4, 5]  # the two saved runs are not redone
    assert len(rows) == 6
    for name in (TABLE_FILE, PLAN_FILE):
        assert (parts / name).read_bytes() == (one_go / name).read_bytes()
    # a finished sweep run again: nothing to do, same bytes
    again = run_sweep(
        runs,
        data=(u, y),
        out=parts,
        on_result=lambda *a: pytest.fail("nothing should run"),
    )
    assert again == [{k: r[k] for k in r if k != "message"} for r in rows]
    assert (parts / TABLE_FILE).read_bytes() == (one_go / TABLE_FILE).read_bytes()


def test_interrupt_stops_the_workers(short_data, tmp_path):
    u, y = short_data
    # runs 0-3 fail at epoch 2, runs 4-7 take minutes: interrupted in the middle
    base = TrainOptions(epochs=3_000_000, drop_period=100)
    runs = grid(seeds=[0, 1, 2, 3], base=base, lr=[1e160, 0.04])

    def stop(row, k, n):
        if k == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(runs, data=(u, y), processes=2, out=tmp_path, on_result=stop)
    assert _my_workers() == []  # killed, not waited for
    rows = read_table(tmp_path / TABLE_FILE)
    assert [(r["run"], r["status"]) for r in rows] == [
        (k, "non-finite") for k in range(4)
    ]


def test_another_sweep_in_the_folder_is_refused(short_data, tmp_path):
    u, y = short_data
    runs = grid(seeds=[0, 1, 2], base=BASE)
    run_sweep(runs, data=(u, y), processes=1, out=tmp_path)
    saved = (tmp_path / TABLE_FILE).read_bytes()
    fewer = grid(seeds=[0], base=BASE)
    with pytest.raises(OutputRefusedError, match="it has 3 runs, this sweep 1"):
        run_sweep(fewer, data=(u, y), processes=1, out=tmp_path)
    other = grid(seeds=[0, 1, 2], base=BASE, lr=[0.01])
    with pytest.raises(OutputRefusedError, match="run 0 differs in lr"):
        run_sweep(other, data=(u, y), processes=1, out=tmp_path)
    with pytest.raises(OutputRefusedError, match="its data differ"):
        run_sweep(runs, data=(u, 2 * y), processes=1, out=tmp_path)
    assert (tmp_path / TABLE_FILE).read_bytes() == saved  # no row dropped
    # --force starts over: the table holds the new sweep's rows only
    rows = run_sweep(fewer, data=(u, y), processes=1, out=tmp_path, force=True)
    assert len(read_table(tmp_path / TABLE_FILE)) == len(rows) == 1


def test_a_table_that_does_not_match_its_plan_is_refused(short_data, tmp_path):
    u, y = short_data
    runs = grid(seeds=[0, 1], base=BASE)
    run_sweep(runs, data=(u, y), processes=1, out=tmp_path)
    table = tmp_path / TABLE_FILE
    text = table.read_text()
    table.write_text(text.replace("0.04,", "0.05,", 1))  # a row edited by hand
    with pytest.raises(OutputRefusedError, match="run 0 does not match"):
        run_sweep(runs, data=(u, y), processes=1, out=tmp_path)
    table.write_text(text[: len(text) // 2])  # truncated
    with pytest.raises(OutputRefusedError, match="--force"):
        run_sweep(runs, data=(u, y), processes=1, out=tmp_path)
    (tmp_path / PLAN_FILE).unlink()
    with pytest.raises(OutputRefusedError, match="without its plan"):
        run_sweep(runs, data=(u, y), processes=1, out=tmp_path)


def test_a_folder_that_is_not_a_sweep_is_refused(short_data, tmp_path):
    u, y = short_data
    (tmp_path / "thesis.txt").write_text("mine")
    runs = grid(seeds=[0], base=BASE)
    with pytest.raises(OutputRefusedError, match="did not write"):
        run_sweep(runs, data=(u, y), processes=1, out=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.txt"]
    run_sweep(runs, data=(u, y), processes=1, out=tmp_path, force=True)
    assert (tmp_path / "thesis.txt").read_text() == "mine"
    assert json.loads((tmp_path / MARKER).read_text()) == {"kind": "sweep"}


# ---------------------------------------------------------------- the command


def test_sweep_cli_writes_table_and_summary(tmp_path, capsys, monkeypatch):
    u, y = seed_data(80, seed=2)
    np.savez(tmp_path / "d.npz", u=u, y=y)
    args = ["sweep", "--seeds", "0:2", "--epochs", "20", "--drop-factor", "0.9,0.5"]
    args += ["--drop-period", "5", "--data", str(tmp_path / "d.npz")]
    args += ["--processes", "2", "--out", str(tmp_path / "o"), "--json"]
    # the figure's modules load once, when one run is left (a worker is idle)
    loads: list[int] = []
    monkeypatch.setattr(
        cli_sweep,
        "_load_figures",
        lambda: loads.append(len(read_table(tmp_path / "o" / TABLE_FILE))),
    )
    assert main(args) == 0
    for t in threading.enumerate():
        if t is not threading.current_thread() and t.daemon:
            t.join(10)
    assert len(loads) == 1 and loads[0] in (3, 4)
    s = json.loads(capsys.readouterr().out)
    assert s["runs"] == 4
    assert s["statuses"] == {"ok": 4}
    assert set(s["spread_by_drop_factor"]) == {"0.5", "0.9"}
    assert s["rows"] == read_table(tmp_path / "o" / TABLE_FILE)
    for name in (TABLE_FILE, PLAN_FILE, "summary.json", "final_loss.png"):
        assert (tmp_path / "o" / name).is_file()
    summary = (tmp_path / "o" / "summary.json").read_bytes()
    assert main(args) == 0  # the same command again: resumed, nothing to run
    assert "resuming: 4 of 4 runs" in capsys.readouterr().err
    assert len(loads) == 1
    assert (tmp_path / "o" / "summary.json").read_bytes() == summary


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--drop-factor", "0.9,abc"], "--drop-factor: expected comma-separated"),
        (["--seeds", "0:1000000000000"], "--seeds: 1000000000000 seeds x 3 option"),
        (["--seeds", "5:2"], "--seeds: '5:2' holds no seed"),
        (["--seeds=-3:2"], "--seeds: expected seeds >= 0"),
        (["--seeds=-1"], "--seeds: expected integers >= 0, got -1"),
        (["--seeds", ","], "--seeds: expected comma-separated integers, got none"),
        (["--seeds", "1:2:3"], "--seeds: expected START:STOP"),
        (["--seeds", "1,1"], "--seeds: the seed 1 is given twice"),
        (["--lr", ""], "--lr: expected comma-separated numbers, got none"),
        (["--drop-factor", "2"], "--drop-factor: expected a number in"),
        (["--drop-period", "0"], "--drop-period: expected an integer >= 1"),
        (["--grad-threshold", "-1"], "--grad-threshold: "),
        (["--processes", "0"], "--processes: expected an integer >= 1, got 0"),
        (["--processes", "two"], "--processes: expected an integer >= 1, got 'two'"),
        (["--units", "0"], "--units: expected an integer >= 1"),
        (["--epochs", "1e3"], "--epochs: expected an integer >= 1, got '1e3'"),
        (["--seeds", "0:3", "--lr", ","], "--lr: expected comma-separated numbers"),
        # sizes that cannot fit are refused before any work, with the size
        (["--epochs", str(10**13)], r"--epochs: 10000000000000 epochs per run need"),
        (["--units", str(10**6)], r"--units: Nn = 1000000 units on 1001 samples need"),
        (["--data", "missing.npz"], "--data: no such file"),
    ],
)
def test_sweep_cli_bad_input_is_one_line_exit_2(
    args, match, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("blocksim-lstm sweep: error: ")
    assert re.search(match, err), err
    assert not (tmp_path / "o").exists()  # refused before anything was written


@pytest.mark.parametrize("where", ["file", "under-a-file", "not-ours"])
def test_sweep_cli_refuses_bad_out(where, tmp_path, capsys, cli_data):
    (tmp_path / "f").write_text("mine")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "thesis.txt").write_text("mine")
    out = {"file": "f", "under-a-file": "f/o", "not-ours": "d"}[where]
    args = ["sweep", "--seeds", "0", "--epochs", "5", "--data", str(cli_data)]
    assert main([*args, "--out", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("blocksim-lstm sweep: error: --out: ")
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / "f").read_text() == "mine"
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["thesis.txt"]


# ---------------------------------------------------------------- real faults


linux_only = pytest.mark.skipif(not LINUX, reason="reads /proc")


@linux_only
@pytest.mark.parametrize("when", ["starting", "training"])
def test_workers_die_with_a_killed_sweep(when, cli_data, tmp_path, sweeps):
    sw = sweeps(LONG_GRID, cli_data, tmp_path / "o")
    _wait(lambda: len(sw.workers()) == 2, "two worker processes")
    if when == "training":
        _wait(lambda: _rows(sw.out) >= 3, "the three short runs")
        for pid in sw.workers():
            # BLAS pinned: one thread per worker, from its environment
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"OPENBLAS_NUM_THREADS=1" in env
            status = Path(f"/proc/{pid}/status").read_text()
            assert "Threads:\t1\n" in status, status
    kids = list(sw.children())
    os.kill(sw.pid, signal.SIGKILL)
    sw.wait()
    # the long runs would keep orphans busy for minutes: 60 s is only a guard
    _wait(lambda: not any(_alive(k) for k in kids), f"{kids} to die", limit=60)


@linux_only
def test_ctrl_c_stops_workers_and_resume_gives_the_same_table(
    cli_data, tmp_path, reference, sweeps, capsys
):
    sw = sweeps(CLI_GRID, cli_data, tmp_path / "o")
    _wait(lambda: len(sw.workers()) == 2 and _rows(sw.out) >= 1, "a finished run")
    workers = sw.workers()
    os.killpg(sw.pid, signal.SIGINT)  # as a terminal's Ctrl-C
    assert sw.wait() == 130
    # the sweep stopped and reaped its workers before it exited
    assert not [w for w in workers if _alive(w)]
    _, err = sw.output()
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "run the same command again to resume" in lines[0]
    # a consistent table: header, and each saved row equals the uninterrupted one
    saved = (sw.out / TABLE_FILE).read_text().splitlines()
    ref = reference.decode().splitlines()
    assert saved[0] == ref[0]
    assert 1 <= len(saved) - 1 < len(ref) - 1
    assert set(saved[1:]) <= set(ref[1:])
    assert f"{len(saved) - 1} of 6 runs are saved" in lines[0]
    again = _resume(cli_data, sw.out, capsys)
    assert f"resuming: {len(saved) - 1} of 6 runs" in again
    assert (sw.out / TABLE_FILE).read_bytes() == reference


@linux_only
def test_ctrl_c_while_workers_start(cli_data, tmp_path, sweeps):
    """The workers start with SIGINT blocked: a Ctrl-C while they import (the
    terminal sends it to all of them) reaches the sweep alone, no traceback."""
    sw = sweeps(LONG_GRID, cli_data, tmp_path / "o")
    _wait(lambda: len(sw.workers()) == 2, "two worker processes")
    workers = sw.workers()
    for pid in workers:  # SIGINT blocked from the first instant (fork)
        blocked = Path(f"/proc/{pid}/status").read_text().split("SigBlk:")[1]
        assert int(blocked.split()[0], 16) & (1 << (signal.SIGINT - 1))
    os.killpg(sw.pid, signal.SIGINT)
    assert sw.wait() == 130
    assert not [w for w in workers if _alive(w)]
    out, err = sw.output()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines() == [
        f"blocksim-lstm sweep: interrupted; 0 of 6 runs are saved in "
        f"{sw.out / TABLE_FILE}; run the same command again to resume (finished "
        "runs are skipped)"
    ]


@linux_only
def test_a_killed_worker_is_a_crashed_row_and_is_redone(
    cli_data, tmp_path, reference, sweeps, capsys
):
    sw = sweeps(CLI_GRID, cli_data, tmp_path / "o")
    _wait(lambda: len(sw.workers()) == 2 and _rows(sw.out) >= 1, "a finished run")
    os.kill(sw.workers()[0], signal.SIGKILL)
    assert sw.wait() == 0, sw.output()[1]
    rows = read_table(sw.out / TABLE_FILE)
    assert len(rows) == 6
    assert sorted(r["status"] for r in rows) == ["crashed"] + ["ok"] * 5
    assert "killed by signal 9" in sw.output()[0]
    ref = reference.decode().splitlines()
    ok = [ln for ln in (sw.out / TABLE_FILE).read_text().splitlines() if ",ok," in ln]
    assert set(ok) <= set(ref[1:])
    again = _resume(cli_data, sw.out, capsys)
    assert "resuming: 5 of 6 runs" in again
    assert (sw.out / TABLE_FILE).read_bytes() == reference
