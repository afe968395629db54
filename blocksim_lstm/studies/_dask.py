"""A sweep's runs on a Dask cluster (``dask.distributed``, the extra ``[distributed]``).

Nothing here is imported by ``import blocksim_lstm``: :func:`run_on_cluster`
imports ``distributed`` when it is called, and a missing extra is a one-line
error naming it (:class:`MissingExtraError`).

How runs become tasks: consecutive runs are batched in chunks, one task each
(:func:`chunk_size`: by default at least :data:`CHUNKS_PER_WORKER` chunks per
worker and at most :data:`MAX_CHUNK` runs in one), so a task's fixed cost (a
few scheduler round trips, ~10-20 ms of CPU over the processes) is paid once
per chunk, while the table still fills in as chunks finish. A chunk's rows are
the rows of its runs one by one (each depends only on its own settings), so
the table does not depend on the chunk size.

How a run survives a fault:

- Every chunk is one task whose result is its rows (:func:`_remote_chunk`
  never raises: failures are rows). The data are one more task (not
  scattered), so the scheduler can recompute them when the workers holding
  them die.
- A worker that dies (its process killed, out of memory) takes its tasks with
  it; the scheduler runs them again on the other workers (and on the worker a
  nanny starts in its place). A task whose worker died more than
  :data:`ALLOWED_FAILURES` times (e.g. a run that needs more memory than a
  worker has) is given up: its row has status ``"crashed"`` and a resumed
  sweep redoes it. A worker that dies loses at most the chunks it held (its
  current one and one queued); they are run again whole. No Dask
  ``retries``: a run that raises would raise again (its result depends only
  on its settings).
- Ctrl-C: the futures are cancelled, the client closed and a local cluster
  shut down (its worker processes killed if they outlive the shutdown). The
  rows already saved stay; a resumed sweep runs the others.
- A local cluster's workers are started with BLAS, OpenMP and numba pinned to
  one thread (``threads_per_worker=1``), ignore SIGINT (the sweep handles
  Ctrl-C) and exit when the sweep's process dies (Dask's nanny pipe).

What a local cluster costs while it runs: Dask's defaults wake each server's
event loop 50 times a second (the ``tick`` watchdog, 20 ms), the nannies' memory
monitors 10 times, the system monitors twice; on a 2-core machine that was
~0.14 of a core doing nothing for the sweep (the scheduler, client and nannies'
loop 0.08, each worker 0.03). :data:`LOCAL_SETTINGS` slows these down (to
~0.02 of a core); they only feed warnings about a blocked event loop, memory
limits checked once a second instead of ten times, and the dashboard's plots.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

# the sweep's types, named here: the sweep imports this module, never the reverse
Row = dict[str, Any]  # one line of the sweep's table (sweep.Row)
SweepRun = Any  # a sweep.SweepRun: one run's settings

__all__ = [
    "ALLOWED_FAILURES",
    "CHUNKS_PER_WORKER",
    "LOCAL_SETTINGS",
    "MAX_CHUNK",
    "MissingExtraError",
    "check_scheduler",
    "chunk_size",
    "import_distributed",
    "run_on_cluster",
]

ALLOWED_FAILURES = 3
"""How many times a run's worker may die before the run is given up (``crashed``).

Set on a local cluster's scheduler (Dask's ``distributed.scheduler.allowed-failures``,
whose default it is); a remote scheduler keeps its own setting."""

CHUNKS_PER_WORKER = 8
"""The default chunk size leaves at least this many chunks per worker (the
table fills in at least this many steps per worker; a worker that dies loses
at most ~2 of them)."""

MAX_CHUNK = 16
"""The largest default chunk (runs per task): past ~10 runs a task's fixed cost
is well under 1 % of the chunk's, and larger chunks only delay the table."""

LOCAL_SETTINGS: dict[str, object] = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    # the workers' sampling profiler (a thread waking every 10 ms)
    "distributed.worker.profile.enabled": False,
    # the event loops' watchdog (warns when a loop was blocked): 20 ms
    "distributed.admin.tick.interval": "1s",
    # CPU / memory / network samples for the dashboard and heartbeats: 500 ms
    "distributed.admin.system-monitor.interval": "2s",
    # a nanny's and a worker's memory-limit check: 100 ms
    "distributed.worker.memory.monitor-interval": "1s",
    # chunks are alike and queued on the scheduler: nothing to steal
    "distributed.scheduler.work-stealing": False,
}
"""Dask settings of a local cluster a sweep starts (its scheduler, nannies and
workers); see the module's docstring. A remote cluster keeps its own."""

EXTRA = "distributed"
_INSTALL = "pip install 'blocksim-lstm[distributed]'"
_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z]+)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>\d+))?$"
)


class MissingExtraError(ImportError):
    """``dask.distributed`` is needed and missing (the extra ``[distributed]``)."""


def import_distributed(option: str = "scheduler") -> Any:
    """``distributed``, or a one-line :class:`MissingExtraError` naming the extra.

    Parameters
    ----------
    option
        What asked for a cluster (named in the message).
    """
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(
            f"{option}: a Dask cluster needs dask.distributed, which is not "
            f"installed (the optional extra [{EXTRA}]): {_INSTALL}"
        ) from exc
    return distributed


def check_scheduler(scheduler: object) -> tuple[str, Any]:
    """Parse a scheduler option (without importing Dask).

    Parameters
    ----------
    scheduler
        ``"local"`` (a local cluster, one worker per core this process may
        use), ``"local:N"`` (N worker processes), a scheduler address
        (``tcp://host:8786``, ``host:8786``; schemes tcp, tls, ws, wss, ucx,
        inproc) or a ``distributed.Client`` (used as it is, not closed).

    Returns
    -------
    tuple
        ``("local", N or None)``, ``("address", address)`` or ``("client", client)``.

    Raises
    ------
    ValueError
        A string that is none of these, naming ``scheduler``.
    """
    if not isinstance(scheduler, str):
        if type(scheduler).__name__ == "Client" and hasattr(scheduler, "submit"):
            return "client", scheduler
        raise TypeError(
            "scheduler: expected 'local', 'local:N' or an address such as "
            f"tcp://host:8786, got {scheduler!r}"
        )
    text = scheduler.strip()
    expected = (
        "expected 'local', 'local:N' (N worker processes >= 1) or a scheduler "
        f"address such as tcp://host:8786, got {scheduler!r}"
    )
    if text == "local":
        return "local", None
    if text.startswith("local:"):
        n = text[len("local:") :]
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"scheduler: {expected}")
        return "local", int(n)
    m = _ADDRESS.match(text)
    if m is None or (m["scheme"] is None and m["port"] is None):
        raise ValueError(f"scheduler: {expected}")
    if m["scheme"] is not None and m["scheme"] not in _SCHEMES:
        raise ValueError(
            f"scheduler: unknown protocol {m['scheme']!r} in {scheduler!r}; "
            f"expected one of {', '.join(_SCHEMES)}"
        )
    if m["port"] is not None and not 1 <= int(m["port"]) <= 65535:
        raise ValueError(
            f"scheduler: port {m['port']} in {scheduler!r} is not in 1..65535"
        )
    return "address", text if m["scheme"] else f"tcp://{text}"


# ---------------------------------------------------------------- on a worker


def _data(u: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sweep's data, as a task (recomputed if the workers holding it die)."""
    return u, y


def _remote_chunk(
    runs: Sequence[SweepRun],
    data: tuple[np.ndarray, np.ndarray],
    run_one: Callable[[SweepRun, np.ndarray, np.ndarray], Row],
) -> list[Row]:
    """A chunk of runs on a worker: their rows, in order (``run_one`` never raises)."""
    return [run_one(run, *data) for run in runs]


def chunk_size(runs: int, workers: int, chunk: int | None = None) -> int:
    """Runs per task.

    Parameters
    ----------
    runs
        Runs to do (>= 1).
    workers
        Workers of the cluster (at least 1 is assumed).
    chunk
        Asked for (>= 1), or None: the largest size that leaves at least
        :data:`CHUNKS_PER_WORKER` chunks per worker, between 1 and
        :data:`MAX_CHUNK`.

    Returns
    -------
    int
        Between 1 and ``runs``.
    """
    if chunk is None:
        chunk = min(MAX_CHUNK, runs // (CHUNKS_PER_WORKER * max(1, workers)))
    return max(1, min(int(chunk), runs))


def chunks(todo: Sequence[SweepRun], size: int) -> list[list[SweepRun]]:
    """``todo`` cut in consecutive chunks of ``size`` runs (the last may be shorter).

    Parameters
    ----------
    todo
        The runs, in the order they are to be run.
    size
        Runs per chunk (>= 1).

    Returns
    -------
    list of list
        Every run once, in order.
    """
    if size < 1:
        raise ValueError(f"chunk: expected an integer >= 1, got {size}")
    return [list(todo[i : i + size]) for i in range(0, len(todo), size)]


# ---------------------------------------------------------------- on the client


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's INFO/WARNING chatter (a worker restarted, ...) kept off the terminal."""
    names = ("distributed", "tornado")
    old = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        yield
    finally:
        for n, level in old.items():
            logging.getLogger(n).setLevel(level)


def local_cluster(workers: int, env: dict[str, str]) -> Any:
    """A local Dask cluster as a sweep starts it (the caller closes it).

    Parameters
    ----------
    workers
        Worker processes, one thread each, on loopback.
    env
        Their environment (set before they import numpy: one-thread BLAS, ...).

    Returns
    -------
    distributed.LocalCluster
        With :data:`LOCAL_SETTINGS`: its scheduler gives a task up after
        :data:`ALLOWED_FAILURES` worker deaths; its workers ignore SIGINT
        (``_sweep_worker.dask_setup``).
    """
    distributed = import_distributed()
    import dask

    # the nannies hand the settings to their workers (and to one restarted)
    with dask.config.set(LOCAL_SETTINGS):
        return distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            env=dict(env),
            # each worker (and one a nanny restarts) ignores Ctrl-C
            preload=["blocksim_lstm.studies._sweep_worker"],
        )


def _dashboard(client: Any, local: bool) -> str | None:
    """The dashboard's address, or None when the scheduler serves none."""
    if local:
        try:
            import bokeh  # noqa: F401  (the dashboard needs it)
        except ImportError:
            return None
    with contextlib.suppress(Exception):
        return str(client.dashboard_link)
    return None


def _kill_local_workers(cluster: Any) -> None:
    """Kill a local cluster's worker processes still alive after its shutdown."""
    for nanny in list(getattr(cluster, "workers", {}).values()):
        proc = getattr(getattr(nanny, "process", None), "process", None)
        pid = getattr(proc, "pid", None)
        if proc is None or pid is None:
            continue
        with contextlib.suppress(OSError, ValueError):
            if proc.is_alive():
                os.kill(pid, 9)


def run_on_cluster(
    todo: Sequence[SweepRun],
    u: np.ndarray,
    y: np.ndarray,
    scheduler: object,
    done: Callable[[Row], None],
    run_one: Callable[[SweepRun, np.ndarray, np.ndarray], Row],
    *,
    env: dict[str, str],
    cores: int,
    chunk: int | None = None,
    on_cluster: Callable[[str, str | None, int], None] | None = None,
) -> None:
    """Run ``todo`` on a Dask cluster; ``done(row)`` as each run finishes.

    Parameters
    ----------
    todo
        The runs (``run`` indices unique).
    u, y
        The checked data, shapes ``(B, T, Ni)`` and ``(B, T, No)``.
    scheduler
        See :func:`check_scheduler`.
    done
        Called in this thread with each row (in the order runs finish).
    run_one
        ``run_one(run, u, y)`` is one run's row on a worker, failures included
        (a module-level function: workers import it by name). Passed in, so
        that this module never imports the sweep that calls it.
    env
        Environment of a local cluster's workers (one-thread BLAS, ...).
    cores
        Workers of ``"local"`` without a count.
    chunk
        Runs per task; default :func:`chunk_size` for the cluster's workers
        (when connected). The rows do not depend on it.
    on_cluster
        Called once connected, as ``on_cluster(address, dashboard, workers)``.

    Raises
    ------
    MissingExtraError
        Without ``dask.distributed``.
    OSError
        The scheduler cannot be reached (named ``scheduler``).
    KeyboardInterrupt
        After the tasks are cancelled and a local cluster is shut down.
    """
    kind, value = check_scheduler(scheduler)
    distributed = import_distributed()

    with contextlib.ExitStack() as stack:
        stack.enter_context(_quiet_logs())
        cluster = None
        if kind == "client":
            client = value
        elif kind == "local":
            n = min(int(value or cores), len(todo))
            cluster = local_cluster(n, env)
            stack.callback(_kill_local_workers, cluster)
            stack.callback(cluster.close, timeout=10)
            client = distributed.Client(cluster, set_as_default=False)
            stack.callback(client.close, timeout=10)
        else:
            try:
                client = distributed.Client(value, timeout=10, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise OSError(
                    f"scheduler: cannot reach the Dask scheduler at {value} ({exc})"
                ) from exc
            stack.callback(client.close, timeout=10)
        workers = len(client.scheduler_info().get("workers", {}))
        if on_cluster is not None:
            on_cluster(
                str(client.scheduler.address),
                _dashboard(client, cluster is not None),
                workers,
            )
        parts = chunks(todo, chunk_size(len(todo), workers, chunk))
        token = uuid.uuid4().hex[:12]
        data = client.submit(
            _data, u, y, key=f"blocksim-sweep-data-{token}", pure=False
        )
        futures = client.map(
            _remote_chunk,
            parts,
            data=data,
            run_one=run_one,
            # the dashboard shows the runs of each task
            key=[_key(part, token) for part in parts],
            pure=False,
            retries=0,
        )
        part_of = {f.key: part for f, part in zip(futures, parts, strict=True)}
        try:
            for fut in distributed.as_completed(futures, loop=client.loop):
                part = part_of[fut.key]
                if fut.status == "finished":
                    rows = fut.result()
                else:
                    error: BaseException | None
                    try:
                        error = fut.exception()
                    except (KeyboardInterrupt, SystemExit):
                        raise
                    except BaseException as cancelled:  # cancelled elsewhere
                        error = cancelled
                    rows = [_failed_row(run, error, distributed) for run in part]
                fut.release()
                for row in rows:
                    done(row)
        except BaseException:
            # Ctrl-C or an error in done(): a local cluster's workers are killed
            # at once (they write no file; a run in progress is redone on
            # resume) rather than waited for, then the cluster is closed
            if cluster is not None:
                _kill_local_workers(cluster)
            raise
        finally:
            # no task of ours stays on the cluster
            with contextlib.suppress(Exception):
                client.cancel(futures + [data], force=True)


def _key(part: Sequence[SweepRun], token: str) -> str:
    """A chunk's task key: ``blocksim-sweep-runs-3-5-<token>`` (runs 3 to 5)."""
    first, last = part[0].run, part[-1].run
    runs = f"{first}" if first == last else f"{first}-{last}"
    return f"blocksim-sweep-runs-{runs}-{token}"


def _failed_row(run: SweepRun, exc: BaseException | None, distributed: Any) -> Row:
    """The row of a run whose task erred (its worker died too often, ...)."""
    row = run.settings()
    killed = getattr(distributed, "KilledWorker", None)
    if killed is not None and isinstance(exc, killed):
        row["status"] = "crashed"
        row["message"] = (
            f"its Dask worker died more than {ALLOWED_FAILURES} times while "
            "running it; run the sweep again to redo it"
        )
    else:
        row["status"] = "error"
        row["message"] = f"{type(exc).__name__}: {exc}"
    return row
