"""Entry point of a sweep's worker processes: tied to the parent before anything.

A worker is a fresh interpreter that runs :func:`main` (``python -c``). This
module imports nothing heavy, so the worker asks to die with its parent
(``PR_SET_PDEATHSIG``) a fraction of a second after it starts; only then does
it import the training code (seconds on a busy machine). A parent killed during
those seconds takes its workers with it.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["dask_setup", "dask_teardown", "die_with_parent", "main"]

_PR_SET_PDEATHSIG = 1


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def die_with_parent(parent: int) -> str:
    """Make this process die when ``parent`` dies.

    On Linux the kernel sends this process ``SIGKILL`` when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread checks the parent
    every 0.5 s. If the parent is already gone, exit at once.

    Parameters
    ----------
    parent
        The pid this process must not outlive (its parent's).

    Returns
    -------
    str
        ``"pdeathsig"`` or ``"watchdog"``: how the process is tied.
    """
    how = "watchdog"
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                how = "pdeathsig"
        except (OSError, AttributeError):
            pass
    if how == "watchdog":
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before we asked
        os._exit(1)
    return how


def main(fd: int, parent: int) -> None:
    """A sweep worker: tie to ``parent``, then serve runs on the socket ``fd``.

    Parameters
    ----------
    fd
        This process's end of a socket pair with the sweep.
    parent
        The sweep's pid.
    """
    die_with_parent(parent)
    # Ctrl-C is the sweep's to handle: it stops its workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from multiprocessing.connection import Connection

    from .sweep import serve  # the heavy imports, once tied

    serve(Connection(fd))


def dask_setup(worker: object) -> None:
    """Dask preload of a local cluster's workers: leave Ctrl-C to the sweep.

    A terminal's Ctrl-C reaches the whole process group; the sweep cancels its
    tasks and shuts its cluster down itself, so a worker must not die of it
    half-way (its nanny would restart it meanwhile).

    Parameters
    ----------
    worker
        The ``distributed.Worker`` starting (unused).
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def dask_teardown(worker: object) -> None:
    """Dask preload of a local cluster's workers: a closed worker exits at once.

    Called while the worker closes (its tasks, connections and scratch folder
    are handled by Dask before the process ends). Tearing the interpreter down
    afterwards (numpy, numba, distributed, ... module by module) costs ~0.6 s
    of CPU per worker process and serves nothing: the process leaves with
    ``os._exit(0)`` from the first exit handler instead.

    Parameters
    ----------
    worker
        The ``distributed.Worker`` closing (unused).
    """
    atexit.register(_exit_now)  # the last registered runs first
