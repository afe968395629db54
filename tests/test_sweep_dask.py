"""Sweeps on a Dask cluster: the same table as the process pool, faults, bad input.

The cluster tests start a real local cluster (a scheduler and 2 worker
processes on loopback) through ``run_sweep(scheduler="local:2")``, the path the
command takes, and compare its table byte for byte with the process pool's. One
ends a worker process by its pid in the middle of the sweep: the scheduler runs
its tasks again and the table is still the undisturbed one (one run per task,
and chunks of 3 runs per task, a chunk killed half-way). One interrupts the
sweep (``KeyboardInterrupt``, as Ctrl-C): the table holds only finished rows
equal to the reference, no worker process of the cluster outlives it, and a
resumed sweep (on another engine) ends with the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm.cli import main
from blocksim_lstm.studies._dask import (
    CHUNKS_PER_WORKER,
    MAX_CHUNK,
    _remote_chunk,
    check_scheduler,
    chunk_size,
    chunks,
)
from blocksim_lstm.studies.sweep import (
    TABLE_FILE,
    _one,
    _table_text,
    grid,
    grid_from_file,
    read_table,
    run_sweep,
)

LINUX = sys.platform.startswith("linux")
BASE = bl.TrainOptions(epochs=1500, lr=0.04, drop_period=100)


def _runs():
    # 12 runs, long enough (~0.1 s) that a worker killed after the first row
    # still holds tasks
    return grid(seeds=range(4), base=BASE, drop_factor=[0.97, 0.98, 0.99])


@pytest.fixture(scope="module")
def data():
    return bl.seed_data(80, seed=3)


@pytest.fixture(scope="module")
def client():
    """One local cluster (scheduler + 2 worker processes on loopback), started
    as a sweep starts its own (``local_cluster``), shared by two tests."""
    distributed = pytest.importorskip("distributed")
    from blocksim_lstm.studies._dask import local_cluster
    from blocksim_lstm.studies.sweep import _ONE_THREAD

    with local_cluster(2, _ONE_THREAD) as cluster:
        with distributed.Client(cluster, set_as_default=False) as c:
            yield c


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory):
    """The process pool's table (2 worker processes), the one to match."""
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("pool")
    run_sweep(_runs(), data=data, processes=2, out=out)
    return (out / TABLE_FILE).read_bytes()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _worker_pids(address: str) -> dict[str, int]:
    """pid of each worker of the cluster at ``address`` (a second client)."""
    from distributed import Client

    with Client(address, set_as_default=False) as c:
        return dict(c.run(os.getpid))


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_local_cluster_gives_the_process_pool_table(client, data, reference, tmp_path):
    seen = []
    pids = client.run(os.getpid)
    timings: list = []
    rows = run_sweep(
        _runs(),
        data=data,
        scheduler=client,
        out=tmp_path,
        on_cluster=lambda address, board, n: seen.append((address, n)),
        _timings=timings,
    )
    assert (tmp_path / TABLE_FILE).read_bytes() == reference
    assert seen[0][0].startswith("tcp://127.0.0.1:") and seen[0][1] == 2
    # the runs ran in the 2 worker processes, not in this one, each timed there
    assert len(pids) == 2 and os.getpid() not in pids.values()
    assert len(timings) == 12 and {t[0] for t in timings} <= set(pids.values())
    assert all(start < end for _, start, end, _ in timings)
    assert not any("_times" in r for r in rows)


@pytest.mark.skipif(not LINUX, reason="reads /proc")
@pytest.mark.parametrize("chunk", [1, 3])
def test_a_worker_killed_mid_sweep_loses_no_run(
    client, data, reference, tmp_path, chunk
):
    # chunk 3: 4 tasks of 3 runs; when the first chunk's rows come, the other
    # worker is half-way through its own chunk: it is the one killed
    client.wait_for_workers(2, timeout=60)  # one killed before is back
    state: dict = {}
    order: list[int] = []

    def kill_one(row, k, n):
        order.append(row["run"])
        if k != 1:
            return
        busy = {w: keys for w, keys in client.processing().items() if keys}
        worker = sorted(busy)[0]  # a worker in the middle of its tasks
        state["killed"] = client.run(os.getpid, workers=[worker])[worker]
        state["tasks"] = list(busy[worker])
        os.kill(state["killed"], signal.SIGKILL)

    rows = run_sweep(
        _runs(),
        data=data,
        scheduler=client,
        chunk=chunk,
        out=tmp_path,
        on_result=kill_one,
    )
    assert state["tasks"], "the killed worker held no task: nothing was tested"
    assert not _alive(state["killed"])
    assert [r["status"] for r in rows] == ["ok"] * 12
    assert (tmp_path / TABLE_FILE).read_bytes() == reference
    # the killed worker held whole chunks (a task is named by its runs), and
    # the rows came a chunk at a time: runs 3j..3j+2 together
    spans = [re.search(r"-runs-(\d+)(?:-(\d+))?-", str(k)) for k in state["tasks"]]
    assert all(m and int(m[2] or m[1]) - int(m[1]) + 1 == chunk for m in spans)
    groups = [sorted(order[i : i + chunk]) for i in range(0, 12, chunk)]
    assert sorted(groups) == [list(range(i, i + chunk)) for i in range(0, 12, chunk)]


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_interrupt_leaves_a_consistent_table_and_no_workers(data, reference, tmp_path):
    pids: list[int] = []

    def connected(address, board, n):
        pids.extend(_worker_pids(address).values())

    def stop(row, k, n):
        if k == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            _runs(),
            data=data,
            scheduler="local:2",
            out=tmp_path,
            on_cluster=connected,
            on_result=stop,
        )
    assert len(pids) == 2 and not any(_alive(p) for p in pids)
    saved = read_table(tmp_path / TABLE_FILE)
    want = {r["run"]: r for r in read_table_bytes(reference, tmp_path)}
    assert len(saved) == 3 and all(r == want[r["run"]] for r in saved)
    # resumed on another engine (this process): the same bytes
    run_sweep(_runs(), data=data, processes=1, out=tmp_path)
    assert (tmp_path / TABLE_FILE).read_bytes() == reference


def test_report_sweep_on_a_cluster_gives_the_same_numbers(
    client, tmp_path, monkeypatch
):
    from blocksim_lstm.report.context import ReportContext
    from blocksim_lstm.report.sections import training as section
    from blocksim_lstm.studies import sweep as sweep_mod

    monkeypatch.setattr(sweep_mod, "_cores", lambda: 1)  # here: in this process
    # the section's own sweep, made small (the CI budget): 2 starts x 3 factors
    monkeypatch.setattr(section, "SWEEP_SEEDS_QUICK", range(2))
    monkeypatch.setattr(section, "SWEEP_EPOCHS_QUICK", 30)
    numbers, tables = [], []
    for name, scheduler in (("here", None), ("dask", client)):
        folder = tmp_path / name
        ctx = ReportContext(folder, quick=True, log=lambda m: None)
        ctx.scheduler = scheduler
        numbers.append(section.sensitivity_sweep(ctx).numbers)
        tables.append((folder / "runs" / "sweep" / "sweep.csv").read_bytes())
    assert numbers[0]["runs"] == 6 and numbers[0]["epochs"] == 30
    assert numbers[0] == numbers[1]
    assert tables[0] == tables[1]


def test_report_bad_scheduler_is_one_line_exit_2(tmp_path, capsys):
    args = ["report", "--quick", "--out", str(tmp_path / "r")]
    assert main([*args, "--scheduler", "local:0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("blocksim-lstm report: error: --scheduler: expected")
    assert not (tmp_path / "r").exists()


def read_table_bytes(text: bytes, tmp_path: Path):
    path = tmp_path / "reference.csv"
    path.write_bytes(text)
    return read_table(path)


# ---------------------------------------------------------------- bad input


def test_missing_extra_is_one_line_naming_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    args = ["sweep", "--seeds", "0:2", "--epochs", "5", "--scheduler", "local:2"]
    assert main([*args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("blocksim-lstm sweep: error: --scheduler: ")
    assert "[distributed]" in err and "pip install" in err
    assert not (tmp_path / "o").exists()  # refused before the folder was touched


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("local:0", "expected 'local', 'local:N'"),
        ("local:two", "expected 'local', 'local:N'"),
        ("localhost", "got 'localhost'"),
        ("", "got ''"),
        ("http://host:8786", "unknown protocol 'http'"),
        ("tcp://host:70000", "port 70000"),
        ("tcp://ho st:1", "got 'tcp://ho st:1'"),
    ],
)
def test_bad_scheduler_is_one_line_exit_2(value, match, capsys):
    assert main(["sweep", "--seeds", "0:2", "--scheduler", value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("blocksim-lstm sweep: error: --scheduler: ")
    assert match in err


def test_processes_and_scheduler_together_are_refused(capsys):
    assert main(["sweep", "--processes", "2", "--scheduler", "local:2"]) == 2
    assert "--processes: give --processes or --scheduler" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("g.toml", 'seeds = "0:2"\nbogus = 1\n', "g.toml: unknown key 'bogus'"),
        ("g.toml", "seeds = [0\n", "g.toml is not valid TOML"),
        ("g.json", "{seeds: 1}", "g.json is not valid JSON"),
        ("g.json", "[1, 2]", "expected a table of keys, got list"),
        ("g.json", '{"lr": [0.1]}', "the key 'seeds' is missing"),
        ("g.json", '{"seeds": [0], "drop_factor": [2]}', "drop_factor: expected"),
        ("g.json", '{"seeds": "3:1"}', "seeds: '3:1' holds no seed"),
        ("g.json", '{"seeds": [0, 0]}', "seeds: the seed 0 is given twice"),
        ("g.yaml", "seeds: [0]", "expected a .toml or .json file"),
        ("missing.json", None, "no such file"),
    ],
)
def test_bad_grid_file_is_one_line_exit_2(name, text, match, tmp_path, capsys):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    assert main(["sweep", "--grid", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("blocksim-lstm sweep: error: --grid: ")
    assert match in err


def test_grid_options_with_grid_file_are_refused(tmp_path, capsys):
    (tmp_path / "g.json").write_text('{"seeds": [0]}')
    assert main(["sweep", "--grid", str(tmp_path / "g.json"), "--lr", "0.1"]) == 2
    assert "--lr: given with --grid" in capsys.readouterr().err


@settings(max_examples=15, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 50), min_size=1, max_size=4, unique=True),
    lr=st.lists(
        st.sampled_from([1e-3, 0.01, 0.04, 0.1]), min_size=1, max_size=3, unique=True
    ),
    factors=st.lists(
        st.sampled_from([0.5, 0.9, 0.98, 1.0]), min_size=1, max_size=3, unique=True
    ),
    epochs=st.integers(1, 10**5),
    toml=st.booleans(),
)
def test_grid_file_gives_the_grid_of_its_values(
    seeds, lr, factors, epochs, toml, tmp_path_factory
):
    folder = tmp_path_factory.mktemp("grid")
    if toml:
        path = folder / "g.toml"
        path.write_text(
            f"seeds = {seeds}\nepochs = {epochs}\nlr = {lr}\n"
            f"drop_factor = {factors}\nunits = 3\n"
        )
    else:
        path = folder / "g.json"
        spec = {"seeds": seeds, "epochs": epochs, "lr": lr, "drop_factor": factors}
        path.write_text(json.dumps({**spec, "units": 3}))
    got = grid_from_file(path)
    want = grid(
        seeds=seeds,
        units=3,
        base=bl.TrainOptions(epochs=epochs),
        lr=lr,
        drop_factor=factors,
    )
    assert got == want
    # a range string is the same seeds
    lo = min(seeds)
    (folder / "r.json").write_text(json.dumps({"seeds": f"{lo}:{lo + 3}"}))
    assert [r.seed for r in grid_from_file(folder / "r.json")] == [lo, lo + 1, lo + 2]


def test_scheduler_values_parse():
    assert check_scheduler("local") == ("local", None)
    assert check_scheduler("local:3") == ("local", 3)
    assert check_scheduler("host:8786") == ("address", "tcp://host:8786")
    assert check_scheduler("tls://10.0.0.2:8786") == ("address", "tls://10.0.0.2:8786")
    with pytest.raises(TypeError, match="scheduler: "):
        check_scheduler(8786)


def test_the_package_imports_dask_only_inside_functions():
    # `import blocksim_lstm` (and every module of it) works without the extra:
    # dask is imported only in the functions that need a cluster
    import ast

    root = Path(bl.__file__).parent
    top_level = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only (incl. if/try at top level)
            for sub in ast.walk(node):
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    break
                names = []
                if isinstance(sub, ast.Import):
                    names = [a.name for a in sub.names]
                elif isinstance(sub, ast.ImportFrom) and sub.module:
                    names = [sub.module]
                if any(n.split(".")[0] in ("dask", "distributed") for n in names):
                    top_level.append(f"{path.relative_to(root)}:{sub.lineno}")
    assert top_level == []
    assert (root / "studies" / "_dask.py").is_file()  # the scan saw the backend


def test_a_task_given_up_is_a_crashed_row_and_an_error_an_error_row():
    distributed = pytest.importorskip("distributed")
    from blocksim_lstm.studies._dask import ALLOWED_FAILURES, _failed_row

    run = _runs()[5]
    row = _failed_row(run, distributed.KilledWorker("task", "tcp://w", 3), distributed)
    assert row == {
        **run.settings(),
        "status": "crashed",
        "message": row["message"],
    }
    assert f"more than {ALLOWED_FAILURES} times" in row["message"]
    row = _failed_row(run, ModuleNotFoundError("No module 'x'"), distributed)
    assert row["status"] == "error" and row["message"].startswith("ModuleNotFound")
    # both are redone by a resumed sweep (not final statuses)
    from blocksim_lstm.studies.sweep import FINAL_STATUSES

    assert "crashed" not in FINAL_STATUSES and "error" not in FINAL_STATUSES


# ---------------------------------------------------------------- chunks

# tiny data, batched as the sweep passes it to a run: (1, T, 1)
SMALL = tuple(a.reshape(1, *a.shape) for a in bl.seed_data(30, seed=5))


@settings(max_examples=12, deadline=None)
@given(
    seeds=st.lists(st.integers(0, 30), min_size=1, max_size=4, unique=True),
    factors=st.lists(
        st.sampled_from([0.9, 0.98, 1.0]), min_size=1, max_size=3, unique=True
    ),
    skip=st.sets(st.integers(0, 11)),
    size=st.integers(1, 14),
)
def test_chunks_never_change_the_table(seeds, factors, skip, size):
    # the rows a worker returns for chunks of any size, in the order chunks
    # finish (here: backwards), make the table of the runs done one by one
    runs = grid(
        seeds=seeds, base=bl.TrainOptions(epochs=3, lr=0.04), drop_factor=factors
    )
    todo = [r for r in runs if r.run not in skip] or runs[:1]  # as after a resume
    u, y = SMALL
    parts = chunks(todo, size)
    assert [r for part in parts for r in part] == todo  # every run once, in order
    assert all(1 <= len(part) <= size for part in parts)
    assert len(parts) == -(-len(todo) // size)
    rows = [row for part in reversed(parts) for row in _remote_chunk(part, SMALL, _one)]
    assert _table_text(rows) == _table_text([_one(r, u, y) for r in todo])


@settings(max_examples=60, deadline=None)
@given(runs=st.integers(1, 5000), workers=st.integers(0, 64))
def test_default_chunk_size_keeps_enough_chunks_per_worker(runs, workers):
    size = chunk_size(runs, workers)
    assert 1 <= size <= min(MAX_CHUNK, runs)
    n_chunks = -(-runs // size)
    # as many chunks as runs, or at least CHUNKS_PER_WORKER per worker
    assert n_chunks == runs or n_chunks >= CHUNKS_PER_WORKER * max(1, workers)
    # and no smaller than needed: one more run per chunk would break that
    bigger = size + 1
    if bigger <= MAX_CHUNK and bigger <= runs:
        assert runs // bigger < CHUNKS_PER_WORKER * max(1, workers)
    # an asked size is kept (within 1..runs)
    assert chunk_size(runs, workers, 7) == min(7, runs)


def test_bad_chunk_is_one_line_exit_2(capsys):
    args = ["sweep", "--seeds", "0:2", "--epochs", "5"]
    assert main([*args, "--scheduler", "local:2", "--chunk", "0"]) == 2
    err = capsys.readouterr().err
    assert (
        err == "blocksim-lstm sweep: error: --chunk: expected an integer >= 1, got 0\n"
    )
    assert main([*args, "--chunk", "3"]) == 2  # without --scheduler
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--chunk: runs per Dask task, expected only with --scheduler" in err
    with pytest.raises(ValueError, match="chunk: runs per Dask task, expected only"):
        run_sweep(_runs()[:1], chunk=2)
    with pytest.raises(ValueError, match="chunk: expected an integer >= 1, got 0"):
        run_sweep(_runs()[:1], scheduler="local:1", chunk=0)


def test_a_closed_worker_exits_at_once_with_its_output_flushed():
    # dask_teardown (a local worker closing): the process ends with code 0 from
    # the first exit handler; the interpreter's teardown and the handlers
    # registered before are skipped, buffered output is written
    code = (
        "import atexit, sys\n"
        "atexit.register(print, 'an earlier exit handler ran')\n"
        "from blocksim_lstm.studies._sweep_worker import dask_teardown\n"
        "print('buffered', end='')\n"
        "dask_teardown(None)\n"
        "sys.exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "buffered", "")
