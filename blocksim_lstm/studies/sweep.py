"""Many trainings (seeds x hyperparameters) in parallel, gathered into one table.

Each run is independent and deterministic: its row depends only on its own
settings, never on the number of processes or the order runs finish in, so the
table (sorted by run) has the same bytes however the sweep was run.

Nothing is lost on a fault:

- The table is rewritten atomically after every finished run; a sweep folder
  (``out=``) also holds the sweep's plan (``sweep.json``: every run's settings
  and a hash of the data). Running the same sweep again into the same folder
  resumes it: runs already in the table are skipped. A different sweep into
  that folder is refused unless ``force=True`` (which starts it over).
- Worker processes die with the sweep: on Linux each asks the kernel for
  ``SIGKILL`` when its parent dies (``PR_SET_PDEATHSIG``), elsewhere a thread
  watches the parent. Ctrl-C in the sweep kills its workers at once (a run in
  progress is redone on resume) and leaves the table of finished runs.
- Workers are fresh interpreters with BLAS, OpenMP and numba pinned to one
  thread, so N processes use N cores, not N x cores.
- A run that fails (non-finite loss, an exception, a worker that died) is a row
  with a status, not a lost sweep; a resumed sweep retries the failed ones
  whose status is not final (:data:`FINAL_STATUSES`).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import math
import multiprocessing.connection
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._files import (
    OutputRefusedError,
    check_output_file,
    claim_folder,
    mark_folder,
    remove_stale_temporaries,
    write_atomic,
)
from .._parameters import LSTMParams
from ..training.bptt import check_data
from ..training.data import calculated_weights, seed_data
from ..training.loop import NonFiniteLossError, TrainResult, train
from ..training.optim import TrainOptions

Row = dict[str, Any]
"""One row of the sweep table (keys :data:`COLUMNS`)."""

__all__ = [
    "COLUMNS",
    "SweepSummary",
    "FINAL_STATUSES",
    "MAX_RUNS",
    "PLAN_FILE",
    "TABLE_FILE",
    "SweepRun",
    "by_seed",
    "grid",
    "grid_from_file",
    "read_table",
    "run_sweep",
    "spread_by",
    "summarize",
    "sweep",
]

SETTINGS: tuple[str, ...] = (
    "run",
    "init",
    "seed",
    "units",
    "lr",
    "drop_factor",
    "drop_period",
    "grad_threshold",
    "epochs",
)
RESULTS: tuple[str, ...] = (
    "first_loss",
    "final_loss",
    "best_loss",
    "best_epoch",
    "final_weights_loss",
)
COLUMNS: tuple[str, ...] = (*SETTINGS, "status", *RESULTS)
"""Columns of the sweep table, in order (no timings: the table is reproducible)."""

_INT_COLUMNS = frozenset(
    {"run", "seed", "units", "drop_period", "epochs", "best_epoch"}
)
_STR_COLUMNS = frozenset({"init", "status"})

FINAL_STATUSES: tuple[str, ...] = ("ok", "non-finite")
"""Statuses a resumed sweep keeps; ``"error"`` and ``"crashed"`` rows are rerun."""
STATUSES: tuple[str, ...] = (*FINAL_STATUSES, "error", "crashed")

TABLE_FILE = "sweep.csv"
"""The table in a sweep folder."""
PLAN_FILE = "sweep.json"
"""The sweep's plan in a sweep folder: every run's settings and the data's hash."""

MAX_RUNS = 100_000
"""Largest number of runs in one sweep."""

_WORKER_BASE_BYTES = 300 * 2**20  # one worker's interpreter, numpy, numba, scipy
_BYTES_PER_EPOCH = 48  # loss and rate histories, their copies in the result
_PLAN_FORMAT = 1

# BLAS, OpenMP and numba thread pools of a worker: one thread each
_ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class SweepRun:
    """One training of a sweep.

    Attributes
    ----------
    run : int
        Index in the sweep (row order of the table), ``>= 0``.
    init : str
        ``"calculated"`` (the seed plant's weights) or ``"random"``
        (uniform [0, 1) W, R, b, F drawn with ``seed``, zero bF and states).
    seed : int
        Seed of the random weights (ignored for ``"calculated"``), ``>= 0``.
    options : TrainOptions
    units : int
        Nn for random weights.
    """

    run: int
    init: str
    seed: int
    options: TrainOptions
    units: int = 5

    def initial(self, ni: int, no: int) -> LSTMParams:
        """Starting weights of this run."""
        if self.init == "calculated":
            return calculated_weights()
        return LSTMParams.random(self.units, ni, no, seed=self.seed, states=False)

    def settings(self) -> Row:
        """The table's setting columns of this run (:data:`SETTINGS`)."""
        return {
            "run": int(self.run),
            "init": self.init,
            "seed": int(self.seed),
            "units": int(self.units),
            "lr": float(self.options.lr),
            "drop_factor": float(self.options.drop_factor),
            "drop_period": int(self.options.drop_period),
            "grad_threshold": float(self.options.grad_threshold),
            "epochs": int(self.options.epochs),
        }

    def plan(self) -> dict[str, object]:
        """JSON-ready description of everything that decides this run's row."""
        return {
            "run": int(self.run),
            "init": self.init,
            "seed": int(self.seed),
            "units": int(self.units),
            "options": self.options.to_dict(),
        }


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seeds: expected integers >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"seeds: expected integers >= 0, got {seed}")
    return int(seed)


def grid(
    *,
    seeds: Iterable[int],
    init: str = "random",
    units: int = 5,
    base: TrainOptions | None = None,
    **values: Sequence[object],
) -> list[SweepRun]:
    """Every combination of option values and seeds.

    Parameters
    ----------
    seeds
        Seeds of the random initial weights: distinct integers ``>= 0`` (a
        ``range`` is checked for size before it is expanded).
    init
        ``"random"`` or ``"calculated"``.
    units
        Nn for random weights, ``>= 1``.
    base
        Options the grid starts from (default :class:`TrainOptions`).
    **values
        Non-empty lists of distinct values by :class:`TrainOptions` field, e.g.
        ``drop_factor=[0.979, 0.98, 0.981]``.

    Returns
    -------
    list of SweepRun
        Options vary slowest in the order given, seeds fastest.

    Raises
    ------
    ValueError
        Unknown options, empty or repeated values, bad seeds, a bad option value
        (named), or more than :data:`MAX_RUNS` runs.
    """
    if init not in ("random", "calculated"):
        raise ValueError(f"init: expected 'random' or 'calculated', got {init!r}")
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)):
        raise TypeError(f"units: expected an integer >= 1, got {units!r}")
    if units < 1:
        raise ValueError(f"units: expected an integer >= 1, got {units}")
    base = TrainOptions() if base is None else base
    fields = base.to_dict()
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"values: unknown options {unknown}; allowed {sorted(fields)}")
    names = list(values)
    lists = {n: list(values[n]) for n in names}
    for n, vals in lists.items():
        if not vals:
            raise ValueError(f"{n}: expected at least one value, got none")
        for a, b in itertools.combinations(vals, 2):
            if a == b:
                raise ValueError(f"{n}: the value {a!r} is given twice")
        for v in vals:  # each value alone, so the message names its option
            TrainOptions.from_dict({**fields, n: v})
    n_seeds = len(seeds) if isinstance(seeds, (range, Sequence)) else None
    combos = math.prod(len(v) for v in lists.values())
    if n_seeds is not None and n_seeds * combos > MAX_RUNS:
        raise ValueError(
            f"seeds: {n_seeds} seeds x {combos} option combinations = "
            f"{n_seeds * combos} runs; a sweep holds at most {MAX_RUNS}"
        )
    seed_list = [_check_seed(s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds: expected at least one seed, got none")
    if len(set(seed_list)) != len(seed_list):
        dup = next(s for s in seed_list if seed_list.count(s) > 1)
        raise ValueError(f"seeds: the seed {dup} is given twice")
    if len(seed_list) * combos > MAX_RUNS:
        raise ValueError(
            f"seeds: {len(seed_list)} seeds x {combos} option combinations = "
            f"{len(seed_list) * combos} runs; a sweep holds at most {MAX_RUNS}"
        )
    runs: list[SweepRun] = []
    for combo in itertools.product(*(lists[n] for n in names)):
        opts = TrainOptions.from_dict(
            {**fields, **dict(zip(names, combo, strict=True))}
        )
        for seed in seed_list:
            runs.append(SweepRun(len(runs), init, seed, opts, int(units)))
    return runs


def _load_grid_text(path: Path) -> dict[str, Any]:
    """The mapping in a ``.toml`` or ``.json`` grid file."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ValueError(f"grid: expected a .toml or .json file, got {str(path)!r}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"grid: no such file {str(path)!r}") from None
    except OSError as exc:
        raise ValueError(
            f"grid: cannot read {str(path)!r} ({exc.strerror or exc})"
        ) from None
    if suffix == ".json":
        try:
            spec = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"grid: {path} is not valid JSON ({exc})") from None
    else:
        try:
            import tomllib  # Python >= 3.11
        except ImportError:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib  # type: ignore[no-redef]
            except ImportError:
                raise ValueError(
                    f"grid: reading {path} (TOML) needs Python >= 3.11 or the "
                    "package tomli (pip install tomli); or write the grid as JSON"
                ) from None
        try:
            spec = tomllib.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"grid: {path} is not valid TOML ({exc})") from None
    if not isinstance(spec, dict):
        raise ValueError(
            f"grid: {path}: expected a table of keys, got {type(spec).__name__}"
        )
    return spec


def _file_seeds(value: object) -> range | list[int]:
    if isinstance(value, str):
        parts = value.split(":")
        try:
            start, stop = (int(x) for x in parts)
        except ValueError:
            raise ValueError(
                f"seeds: expected START:STOP or a list of integers, got {value!r}"
            ) from None
        if start < 0 or stop <= start:
            raise ValueError(
                f"seeds: {value!r} holds no seed >= 0 (START:STOP means START to "
                "STOP - 1)"
            )
        return range(start, stop)
    if isinstance(value, list):
        return value
    return [value]  # type: ignore[list-item]  # checked by grid()


def grid_from_file(
    path: str | Path, *, defaults: dict[str, Any] | None = None
) -> list[SweepRun]:
    """The runs of a grid file (``.toml`` or ``.json``).

    The file is one table of keys: ``seeds`` (a list of integers or
    ``"START:STOP"``), optionally ``init`` and ``units``, and any
    :class:`TrainOptions` field, given a list of values (a grid axis) or one
    value::

        seeds = "0:16"
        epochs = 2000
        lr = [0.02, 0.04]
        drop_factor = [0.979, 0.98, 0.981]

    TOML needs Python >= 3.11 (``tomllib``) or the package ``tomli``.

    Parameters
    ----------
    path
        The grid file.
    defaults
        Keys the file may leave out, in the same form (the command line passes
        its own defaults); otherwise ``init="random"``, ``units=5`` and
        :class:`TrainOptions` defaults.

    Returns
    -------
    list of SweepRun
        As :func:`grid`: option axes in the order of the file, seeds fastest.

    Raises
    ------
    ValueError
        An unreadable file, an unknown key or a bad value; the message starts
        with ``grid:`` and names the file and the key.
    """
    path = Path(path)
    spec = _load_grid_text(path)
    fields = TrainOptions().to_dict()
    allowed = {"seeds", "init", "units", *fields}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(
            f"grid: {path}: unknown key {unknown[0]!r}; allowed {sorted(allowed)}"
        )
    if "seeds" not in spec and "seeds" not in (defaults or {}):
        raise ValueError(f"grid: {path}: the key 'seeds' is missing")
    merged = {**(defaults or {}), **spec}
    scalars: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    for key, value in merged.items():
        if key in ("seeds", "init", "units"):
            continue
        if isinstance(value, list) and not (
            key == "frozen" and all(isinstance(v, str) for v in value)
        ):
            lists[key] = value
        else:
            scalars[key] = value
    try:
        base = TrainOptions.from_dict({**fields, **scalars})
        return grid(
            seeds=_file_seeds(merged["seeds"]),
            init=merged.get("init", "random"),
            units=merged.get("units", 5),
            base=base,
            **lists,
        )
    except (ValueError, TypeError) as exc:
        raise ValueError(f"grid: {path}: {exc}") from exc


# ---------------------------------------------------------------- one run


def _one(run: SweepRun, u: np.ndarray, y: np.ndarray) -> Row:
    """Train one run; its row. Failures become a status, never an exception."""
    ni, no = u.shape[-1], y.shape[-1]
    row = run.settings()
    res: TrainResult | None
    try:
        res = train(run.initial(ni, no), u, y, run.options)
    except NonFiniteLossError as exc:
        res = exc.result
        row["status"] = "non-finite"
        row["message"] = str(exc)
    except Exception as exc:  # a failed run is a row; the sweep goes on
        res = None
        row["status"] = "error"
        row["message"] = f"{type(exc).__name__}: {exc}"
    else:
        row["status"] = "ok"
    if res is not None and res.epochs:
        s = res.summary()
        for k in RESULTS:
            row[k] = s[k]
    return row


_TIMES = "_times"
"""A row's private key while it travels from a worker to the sweep: its
:data:`RunTiming` (taken off by the sweep before the row is stored or shown)."""

RunTiming = tuple[int, float, float, float]
"""Where and when one run was computed: ``(pid, start, end, cpu)``, the worker
process's id, ``time.monotonic()`` at the start and end of the run (one clock
for every process of a machine) and the CPU seconds of the thread that ran it
(a Dask worker's own threads are not counted)."""


def _timed(run: SweepRun, u: np.ndarray, y: np.ndarray) -> Row:
    """:func:`_one`, its row carrying its :data:`RunTiming` under :data:`_TIMES`.

    What a worker runs: the sweep measures each run where it is computed (a
    few microseconds), so that its time outside the runs (start-up, scheduling,
    transport, the table) can be told from the runs themselves.
    """
    c0, t0 = time.thread_time(), time.monotonic()
    row = _one(run, u, y)
    row[_TIMES] = (os.getpid(), t0, time.monotonic(), time.thread_time() - c0)
    return row


# ---------------------------------------------------------------- the table


def _cell(value: object) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


def _table_text(rows: Iterable[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in sorted(rows, key=lambda r: int(r["run"])):
        w.writerow([_cell(r[k]) if k in r else "" for k in COLUMNS])
    return buf.getvalue()


def _parse(column: str, text: str) -> object:
    if column in _STR_COLUMNS:
        return text
    if column in _INT_COLUMNS:
        return int(text)
    return float(text)


def read_table(path: str | Path) -> list[Row]:
    """Read a sweep table written by :func:`run_sweep`.

    Values come back with the types they were written with (int, float, str),
    so writing the rows again gives the same bytes.

    Returns
    -------
    list of dict
        One row per line, keys :data:`COLUMNS` (empty cells left out).

    Raises
    ------
    ValueError
        Not a sweep table of this version (header, a cell, a status, a
        repeated run).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or tuple(lines[0]) != COLUMNS:
        raise ValueError(
            f"{path}: not a sweep table of this version (expected the header "
            f"{','.join(COLUMNS)})"
        )
    rows: list[Row] = []
    seen: set[int] = set()
    for k, cells in enumerate(lines[1:], start=2):
        if len(cells) != len(COLUMNS):
            raise ValueError(
                f"{path}: line {k} has {len(cells)} cells, expected {len(COLUMNS)}"
            )
        try:
            row = {c: _parse(c, v) for c, v in zip(COLUMNS, cells, strict=True) if v}
        except ValueError as exc:
            raise ValueError(f"{path}: line {k}: {exc}") from exc
        if any(c not in row for c in SETTINGS) or row.get("status") not in STATUSES:
            raise ValueError(f"{path}: line {k} is not a complete sweep row")
        if row["run"] in seen:
            raise ValueError(f"{path}: line {k} repeats run {row['run']}")
        seen.add(int(row["run"]))  # type: ignore[call-overload]
        rows.append(row)
    return rows


def _write_table(path: Path, rows: Iterable[Row]) -> None:
    write_atomic(path, _table_text(rows))


# ---------------------------------------------------------------- the plan


def _data_hash(u: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in (u, y):
        h.update(repr(a.shape).encode())
        h.update(np.ascontiguousarray(a, dtype="<f8").tobytes())
    return h.hexdigest()


def _plan(runs: Sequence[SweepRun], u: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    plan = {
        "format": _PLAN_FORMAT,
        "data": {
            "sha256": _data_hash(u, y),
            "u_shape": list(u.shape),
            "y_shape": list(y.shape),
        },
        "runs": [r.plan() for r in sorted(runs, key=lambda r: r.run)],
    }
    return json.loads(json.dumps(plan))  # what it reads back as


def _describe_difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old.get("data") != new["data"]:
        return "its data differ"
    a, b = old.get("runs", []), new["runs"]
    if len(a) != len(b):
        return f"it has {len(a)} runs, this sweep {len(b)}"
    for ra, rb in zip(a, b, strict=True):
        if ra != rb:
            keys = sorted(
                k
                for k in set(ra) | set(rb)
                if k != "options" and ra.get(k) != rb.get(k)
            )
            oa, ob = ra.get("options", {}), rb.get("options", {})
            keys += sorted(k for k in set(oa) | set(ob) if oa.get(k) != ob.get(k))
            return f"run {rb['run']} differs in {', '.join(keys)}"
    return "its plan differs"


def _open_folder(
    folder: Path,
    plan: dict[str, Any],
    *,
    force: bool,
    name: str,
) -> list[Row]:
    """Claim a sweep folder; the finished rows to keep (resume) or ``[]``."""
    claim_folder(folder, name, kind="sweep", force=force)
    remove_stale_temporaries(folder)
    table, plan_path = folder / TABLE_FILE, folder / PLAN_FILE
    again = f"name a new folder, or pass --force to start this sweep over in {folder}"
    kept: list[Row] = []
    if not force and (plan_path.exists() or table.exists()):
        try:
            old = json.loads(plan_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise OutputRefusedError(
                f"{name}: {folder} holds a sweep table without its plan "
                f"({PLAN_FILE}); {again}"
            ) from None
        except (OSError, ValueError) as exc:
            raise OutputRefusedError(
                f"{name}: {plan_path} is unreadable ({type(exc).__name__}); {again}"
            ) from exc
        if not isinstance(old, dict):
            raise OutputRefusedError(
                f"{name}: {plan_path} is not a sweep plan; {again}"
            )
        if old != plan:
            done = ""
            with contextlib.suppress(OSError, ValueError):
                done = f" ({len(read_table(table))} finished runs kept there)"
            raise OutputRefusedError(
                f"{name}: {folder} holds another sweep{done}: "
                f"{_describe_difference(old, plan)}; {again}"
            )
        if table.exists():
            try:
                rows = read_table(table)
            except (OSError, ValueError) as exc:
                raise OutputRefusedError(f"{name}: {exc}; {again}") from exc
            by_run = {r["run"]: r for r in plan["runs"]}
            for row in rows:
                want = by_run.get(row["run"])
                if want is None or _settings_of_plan(want) != {
                    k: row[k] for k in SETTINGS
                }:
                    raise OutputRefusedError(
                        f"{name}: {table}: the row of run {row['run']} does not "
                        f"match the sweep's plan; {again}"
                    )
            kept = [r for r in rows if r["status"] in FINAL_STATUSES]
    mark_folder(folder, "sweep")
    # the table first, then the plan: at every instant the rows in the folder
    # belong to the plan in it (a new plan finds a table it can keep or none)
    _write_table(table, kept)
    write_atomic(plan_path, json.dumps(plan, indent=1) + "\n")
    return kept


def _settings_of_plan(entry: dict[str, Any]) -> Row:
    opts = TrainOptions.from_dict(entry["options"])
    return SweepRun(
        entry["run"], entry["init"], entry["seed"], opts, entry["units"]
    ).settings()


# ---------------------------------------------------------------- workers


def serve(conn: multiprocessing.connection.Connection) -> None:
    """A worker's loop: receive the data, then runs until ``None`` or EOF.

    Each run's row is sent back with its timing (:func:`_timed`); a run never
    raises (see :func:`_one`).
    """
    try:
        u, y = conn.recv()
        while True:
            run = conn.recv()
            if run is None:
                return
            conn.send(_timed(run, u, y))
    except (EOFError, OSError):  # the sweep is gone
        return


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT while a worker is started: the child inherits the blocked
    signal, so a Ctrl-C on the terminal never reaches it (not even while it
    starts); the sweep gets it and stops its workers. A SIGINT that comes
    meanwhile is delivered to the sweep right after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _worker_env() -> dict[str, str]:
    """A worker's environment: one thread each; numba's kernels, not numpy's.

    A worker trains for thousands of epochs: it waits for numba's kernels
    (loaded from its cache, or compiled once) rather than starting on numpy's
    while a child process of its own compiles them (``training._engine``),
    unless ``BLOCKSIM_LSTM_ENGINE`` says otherwise.
    """
    env = {**os.environ, **_ONE_THREAD}
    env.setdefault("BLOCKSIM_LSTM_ENGINE", "compiled")
    return env


class _Worker:
    """One worker process and the connection to it.

    A plain ``subprocess`` (not ``multiprocessing``): it does not import the
    caller's ``__main__`` (no ``if __name__ == "__main__"`` guard needed), and
    its environment pins BLAS, OpenMP and numba to one thread before numpy
    loads. Its death shows as the end of its connection.
    """

    def __init__(self, u: np.ndarray, y: np.ndarray) -> None:
        mine, theirs = socket.socketpair()
        fd = theirs.fileno()
        code = (
            f"import sys; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
            "from blocksim_lstm.studies._sweep_worker import main; "
            f"main({fd}, {os.getpid()})"
        )
        with _sigint_blocked():
            self.proc = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=[fd],
                env=_worker_env(),
                stdin=subprocess.DEVNULL,
            )
        theirs.close()
        self.conn = multiprocessing.connection.Connection(mine.detach())
        self.task: SweepRun | None = None
        with contextlib.suppress(OSError):  # died at once: its EOF says so
            self.conn.send((u, y))

    def give(self, pending: deque[SweepRun]) -> None:
        """Send the next run (``None``: stop). A worker that died meanwhile is
        found by the end of its connection, and this run reported crashed."""
        self.task = pending.popleft() if pending else None
        with contextlib.suppress(OSError):
            self.conn.send(self.task)

    def receive(self) -> Row | None:
        """The row of its run, or ``None`` if the worker died."""
        try:
            return self.conn.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            return None

    def death(self) -> str:
        """How the worker ended (after :meth:`receive` gave ``None``)."""
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            return "its connection broke"
        return f"killed by signal {-code}" if code < 0 else f"exit code {code}"

    def stop(self) -> None:
        """Kill the worker (it never writes a file) and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.conn.close()


def _run_parallel(
    todo: Sequence[SweepRun],
    u: np.ndarray,
    y: np.ndarray,
    nproc: int,
    done: Callable[[Row], None],
) -> None:
    pending = deque(todo)
    workers: list[_Worker] = []
    try:
        for _ in range(min(nproc, len(pending))):
            workers.append(_Worker(u, y))
        for w in workers:
            w.give(pending)
        while True:
            busy = {w.conn: w for w in workers if w.task is not None}
            if not busy:
                break
            for conn in multiprocessing.connection.wait(list(busy)):
                w = busy[conn]  # type: ignore[index]
                task = w.task
                assert task is not None
                row = w.receive()
                if row is None:  # the worker died in the middle of a run
                    row = {
                        **task.settings(),
                        "status": "crashed",
                        "message": f"its worker process died ({w.death()}); "
                        "run the sweep again to redo it",
                    }
                    w.stop()
                    workers.remove(w)
                    w = _Worker(u, y)
                    workers.append(w)
                # the next run first: the worker trains while the table is
                # written and the progress shown (a few ms a run, on a disk)
                w.give(pending)
                done(row)
    finally:
        for w in workers:
            w.stop()


# ---------------------------------------------------------------- the sweep


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _gb(n: float) -> str:
    return f"{n / 2**30:.3g} GB"


def _check_size(runs: Sequence[SweepRun], u: np.ndarray, y: np.ndarray, nproc: int):
    """Refuse a sweep whose workers cannot fit in memory, naming the cause."""
    ni, no = u.shape[-1], y.shape[-1]
    samples = int(np.prod(u.shape[:-1]))
    epochs = max(r.options.epochs for r in runs)
    nn = max(r.units if r.init == "random" else 5 for r in runs)
    n_params = 4 * nn * (ni + nn + 1) + no * (nn + 1)
    parts = {
        "epochs": _BYTES_PER_EPOCH * epochs,
        "units": 8 * (8 * n_params + 16 * nn * samples),
    }
    per_worker = _WORKER_BASE_BYTES + sum(parts.values())
    total = per_worker * nproc
    memory = _physical_memory()
    if memory is None or total <= memory:
        return
    name = max(parts, key=lambda k: parts[k])
    if per_worker <= memory:
        name = "processes"
    what = {
        "epochs": f"{epochs} epochs per run",
        "units": f"Nn = {nn} units on {samples} samples",
        "processes": f"{nproc} worker processes",
    }[name]
    raise ValueError(
        f"{name}: {what} need about {_gb(total)} ({nproc} x {_gb(per_worker)}); "
        f"this machine has {_gb(memory)} of memory"
    )


def run_sweep(
    runs: Sequence[SweepRun],
    *,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    out: str | Path | None = None,
    force: bool = False,
    out_csv: str | Path | None = None,
    processes: int | None = None,
    scheduler: object = None,
    chunk: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[Row, int, int], None] | None = None,
    on_cluster: Callable[[str, str | None, int], None] | None = None,
    name: str = "out",
    _timings: list[RunTiming] | None = None,
) -> list[Row]:
    """Run the trainings in parallel; save the table as results come in.

    With ``processes > 1`` the runs go to worker processes: fresh
    interpreters that import only this package (not the caller's script).

    Parameters
    ----------
    runs
        From :func:`grid` (or built by hand; ``run`` indices unique, ``>= 0``).
    data
        ``(u, y)``, shapes ``(T, Ni)`` and ``(T, No)`` or batched
        ``(B, T, .)``; default the seed's plant, 1001 samples (seed 0).
    out
        A sweep folder: :data:`TABLE_FILE` (rewritten atomically after every
        run), :data:`PLAN_FILE` and a marker. If it holds this same sweep
        (same runs, same data), the sweep resumes: finished runs are kept and
        not run again. Another sweep there, or files that are not a sweep's,
        are refused unless ``force``.
    force
        Start over in ``out`` whatever it holds (its table is replaced).
    out_csv
        Instead of ``out``: only the table, at this path, replaced (no resume).
    processes
        Worker processes; default the cores this process may use. 1 runs in
        this process (so does any number where ``os.name != "posix"``: the
        workers need ``pass_fds``). Not with ``scheduler``.
    scheduler
        Run on a Dask cluster instead (needs the extra ``[distributed]``):
        ``"local"`` or ``"local:N"`` starts a local cluster of N worker
        processes (default the cores), shut down at the end; an address
        (``"tcp://host:8786"``) or a ``distributed.Client`` uses a running
        cluster. The rows are the same as with worker processes. A script
        using ``"local"`` needs the ``if __name__ == "__main__":`` guard (Dask
        starts its workers with ``multiprocessing``'s spawn).
    chunk
        With ``scheduler``: runs per Dask task (consecutive runs; the rows of
        a chunk are saved when it finishes). Default: at least 8 chunks per
        worker, at most 16 runs each. The rows do not depend on it.
    on_start
        Called as ``on_start(kept, total)`` once the folder is open, before any
        run: ``kept`` finished runs were found in ``out`` and are skipped.
    on_result
        Called as ``on_result(row, finished, total)`` after each run of this
        call; ``row`` may carry a ``"message"`` (why a run failed).
    on_cluster
        With ``scheduler``: called once connected, as ``on_cluster(address,
        dashboard, workers)`` (``dashboard`` None when there is none).
    name
        What ``out`` is called in error messages (the CLI passes ``"--out"``).
    _timings
        Private (benchmarks): a list that receives the :data:`RunTiming` of
        each run of this call, in the order the runs finish.

    Returns
    -------
    list of dict
        One row per run (keys :data:`COLUMNS`, a ``"message"`` on failed runs
        of this call), sorted by ``run``, resumed rows included.

    Raises
    ------
    ValueError
        Bad runs, data, ``processes``, ``scheduler``, a sweep too large for
        memory, or an ``out`` that is refused
        (:class:`~blocksim_lstm._files.OutputRefusedError`).
    ImportError
        ``scheduler`` without ``dask.distributed`` installed: a one-line
        message naming the extra ``[distributed]``.
    OSError
        The Dask scheduler cannot be reached (the message starts with
        ``scheduler:``), or the table cannot be written.
    KeyboardInterrupt
        After the workers are stopped; the table holds every finished run.
    """
    if not runs:
        raise ValueError("runs: expected at least one run")
    ids = [r.run for r in runs]
    if len(set(ids)) != len(ids):
        raise ValueError("runs: run indices must be unique")
    if min(ids) < 0:
        raise ValueError(f"runs: run indices must be >= 0, got {min(ids)}")
    if out is not None and out_csv is not None:
        raise ValueError("out_csv: give out (a sweep folder) or out_csv, not both")
    if scheduler is not None:
        from ._dask import check_scheduler, import_distributed

        if processes is not None:
            raise ValueError(
                "processes: give processes or scheduler, not both (a local "
                "cluster's size is scheduler='local:N')"
            )
        kind, value = check_scheduler(scheduler)
        if chunk is not None and (
            isinstance(chunk, bool)
            or not isinstance(chunk, (int, np.integer))
            or chunk < 1
        ):
            raise ValueError(f"chunk: expected an integer >= 1, got {chunk!r}")
        import_distributed()  # a missing extra before the folder is touched
        nproc = int(value or _cores()) if kind == "local" else 1
    elif chunk is not None:
        raise ValueError(
            f"chunk: runs per Dask task, expected only with scheduler, got "
            f"chunk={chunk!r} without (the process pool sends one run at a time)"
        )
    elif processes is None:
        nproc = _cores()
    elif isinstance(processes, bool) or not isinstance(processes, (int, np.integer)):
        raise TypeError(f"processes: expected an integer >= 1, got {processes!r}")
    elif processes < 1:
        raise ValueError(f"processes: expected an integer >= 1, got {processes}")
    else:
        nproc = int(processes)
    u, y = seed_data() if data is None else data
    u, y = np.asarray(u), np.asarray(y)
    if any(r.init == "calculated" for r in runs):
        like = calculated_weights()  # Ni = No = 1
    else:
        ni = u.shape[-1] if u.ndim > 1 else 1
        no = y.shape[-1] if y.ndim > 1 else 1
        like = LSTMParams.random(1, ni, no, seed=0, states=False)
    u, y = check_data(like, u, y)  # shapes, finite values; (B, T, .) float64
    nproc = min(nproc, len(runs))
    _check_size(runs, u, y, nproc)
    kept: list[Row] = []
    path: Path | None = None
    if out is not None:
        try:
            kept = _open_folder(Path(out), _plan(runs, u, y), force=force, name=name)
        except OSError as exc:  # e.g. a folder that cannot be created
            raise OutputRefusedError(
                f"{name}: cannot write a sweep in {out} "
                f"({exc.strerror or type(exc).__name__})"
            ) from exc
        path = Path(out) / TABLE_FILE
    elif out_csv is not None:
        path = check_output_file(out_csv, "out_csv")
    rows: dict[int, Row] = {int(r["run"]): r for r in kept}
    todo = [r for r in sorted(runs, key=lambda r: r.run) if r.run not in rows]

    if on_start is not None:
        on_start(len(rows), len(runs))

    def done(row: Row) -> None:
        timing = row.pop(_TIMES, None)  # never in the table nor shown
        if timing is not None and _timings is not None:
            _timings.append(timing)
        rows[int(row["run"])] = row
        if path is not None:
            _write_table(path, rows.values())
        if on_result is not None:
            on_result(row, len(rows), len(runs))

    if todo and scheduler is not None:
        from ._dask import run_on_cluster

        run_on_cluster(
            todo,
            u,
            y,
            scheduler,
            done,
            _timed,
            env=_ONE_THREAD,
            cores=_cores(),
            chunk=None if chunk is None else int(chunk),
            on_cluster=on_cluster,
        )
    elif todo and (nproc == 1 or len(todo) == 1 or os.name != "posix"):
        for r in todo:
            done(_timed(r, u, y))
    elif todo:
        _run_parallel(todo, u, y, nproc, done)
    return [rows[k] for k in sorted(rows)]


# ---------------------------------------------------------------- statistics


def spread_by(
    rows: Sequence[Row], key: str, value: str = "final_loss"
) -> dict[object, dict[str, float]]:
    """Spread of ``value`` in each group of rows sharing ``key``.

    Returns
    -------
    dict
        ``{group: {"n", "min", "median", "max", "mean", "std", "max/min"}}``.
    """
    groups: dict[Any, list[float]] = {}
    for r in rows:
        v = r.get(value)
        if isinstance(v, (int, float)) and np.isfinite(v):
            groups.setdefault(r[key], []).append(float(v))
    out = {}
    for g, vals in sorted(groups.items(), key=lambda kv: kv[0]):
        a = np.array(vals)
        out[g] = {
            "n": float(a.size),
            "min": float(a.min()),
            "median": float(np.median(a)),
            "max": float(a.max()),
            "mean": float(a.mean()),
            "std": float(a.std()),
            "max/min": float(a.max() / a.min()),
        }
    return out


def by_seed(rows: Sequence[Row], key: str, value: str = "final_loss") -> dict[int, Row]:
    """For each seed, ``value`` at each ``key`` and the ratio largest / smallest.

    This is the sensitivity of one starting point to a hyperparameter (e.g. the
    drop factor), as opposed to the spread over starting points.

    Returns
    -------
    dict
        ``{seed: {"values": {key_value: value}, "max/min": ratio}}``.
    """
    table: dict[int, dict[object, float]] = {}
    for r in rows:
        v = r.get(value)
        if isinstance(v, (int, float)) and np.isfinite(v):
            table.setdefault(int(r["seed"]), {})[r[key]] = float(v)
    return {
        seed: {"values": vals, "max/min": max(vals.values()) / min(vals.values())}
        for seed, vals in sorted(table.items())
    }


# ---------------------------------------------------------------- the pipeline


@dataclass(frozen=True)
class SweepSummary:
    """A finished sweep: its rows and their spread by one setting.

    The one summary the command line (``summary.json``, ``final_loss.png``)
    and the report's sensitivity section both use.

    Attributes
    ----------
    rows : list of dict
        One row per run, sorted by ``run``, keys :data:`COLUMNS` only (no
        ``"message"``: the table's columns).
    key : str
        The setting the spread is taken over (a column, e.g. ``"drop_factor"``).
    messages : dict
        Why runs of this call failed, by run index (not saved in the table).
    """

    rows: list[Row]
    key: str = "drop_factor"
    messages: dict[int, str] = field(default_factory=dict)

    @property
    def statuses(self) -> dict[str, int]:
        """Number of rows by status, sorted by status."""
        out: dict[str, int] = {}
        for r in self.rows:
            out[r["status"]] = out.get(r["status"], 0) + 1
        return dict(sorted(out.items()))

    @property
    def spread(self) -> dict[object, dict[str, float]]:
        """:func:`spread_by` of the final loss over :attr:`key`."""
        return spread_by(self.rows, self.key)

    @property
    def per_seed(self) -> dict[int, Row]:
        """:func:`by_seed` of the final loss across :attr:`key`."""
        return by_seed(self.rows, self.key)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (``summary.json`` of a sweep folder)."""
        return {
            "runs": len(self.rows),
            "statuses": self.statuses,
            f"spread_by_{self.key}": {str(k): v for k, v in self.spread.items()},
            f"per_seed_across_{self.key}s": {
                str(s): {
                    "values": {str(f): x for f, x in d["values"].items()},
                    "max/min": d["max/min"],
                }
                for s, d in self.per_seed.items()
            },
            "rows": self.rows,
        }

    def figure(self) -> Any:
        """Final loss against drop factor, one line per seed (a Figure)."""
        from ..training.plots import plot_sweep

        return plot_sweep(self.rows)

    def save(self, folder: str | Path) -> None:
        """Write ``summary.json`` and ``final_loss.png`` into ``folder``
        (atomically; the folder is the sweep's, already claimed).

        Parameters
        ----------
        folder
            The sweep folder (``out`` of :func:`sweep`).
        """
        from .._figures import save_figure

        folder = Path(folder)
        write_atomic(
            folder / "summary.json", json.dumps(self.to_dict(), indent=2) + "\n"
        )
        save_figure(self.figure(), folder / "final_loss.png")


def summarize(rows: Sequence[Row], key: str = "drop_factor") -> SweepSummary:
    """The summary of a sweep's rows (from :func:`run_sweep` or :func:`read_table`).

    Parameters
    ----------
    rows
        Sweep rows; a ``"message"`` is kept aside in :attr:`SweepSummary.messages`.
    key
        The setting to take the spread over.

    Returns
    -------
    SweepSummary
    """
    ordered = sorted(rows, key=lambda r: int(r["run"]))
    return SweepSummary(
        rows=[{k: r[k] for k in COLUMNS if k in r} for r in ordered],
        key=key,
        messages={int(r["run"]): str(r["message"]) for r in ordered if "message" in r},
    )


def sweep(
    runs: Sequence[SweepRun],
    *,
    key: str = "drop_factor",
    **options: Any,
) -> SweepSummary:
    """Run a sweep (:func:`run_sweep`) and summarize it (:func:`summarize`).

    Parameters
    ----------
    runs
        From :func:`grid`.
    key
        The setting the summary's spread is taken over.
    **options
        Passed to :func:`run_sweep` (``data``, ``out``, ``force``, ``out_csv``,
        ``processes``, ``scheduler``, ``chunk``, ``on_start``, ``on_result``,
        ``on_cluster``, ``name``).

    Returns
    -------
    SweepSummary
    """
    return summarize(run_sweep(runs, **options), key)
