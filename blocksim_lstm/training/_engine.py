"""Which training kernels run: numba's, or numpy's while numba compiles.

numba compiles the three training kernels (:mod:`._kernels`) in about 9 s the
first time; afterwards it loads them from its cache on disk (after importing
itself: about 0.7 s). :mod:`._interpreted` runs the same loops with numpy, with
the same bytes as results, about 500 times slower at the seed's size. So:

- once the compiled kernels are in this process, they run;
- if a mark in the user's cache folder says that numba compiled them with
  this source, this numba and this Python (so its cache holds them), they are
  loaded at once, as before;
- otherwise a child process compiles them into numba's cache (on another core,
  at full speed) while the epochs run on numpy's kernels; when the child is
  done, the compiled kernels are loaded from that cache and take over. A short
  first ``train`` never waits for the compiler.

``BLOCKSIM_LSTM_ENGINE=compiled`` (or ``interpreted``) in the environment
replaces ``auto``: every run then waits for numba (or never uses it).

A wrong mark costs time only: a stale one makes the load compile in place (as
without a mark), a missing one a child that finds the cache full and ends
quickly. The child dies with this process. The float32 mode has no numpy
version: it always waits for the compiled kernels.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from .._files import cache_folder, write_atomic

ENGINES = ("auto", "compiled", "interpreted")
"""The values of ``engine``: see :func:`kernels`."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_compiled: ModuleType | None = None
_child: subprocess.Popen[bytes] | None = None


def check(engine: str, dtype: str) -> None:
    """Refuse an unknown ``engine``, or the interpreted one in float32."""
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {list(ENGINES)}, got {engine!r}")
    if engine == "interpreted" and dtype != "float64":
        raise ValueError(
            f"engine: 'interpreted' runs float64 only, got dtype {dtype!r}; use "
            "engine='compiled' or 'auto'"
        )


def _mark() -> Path:
    """The mark's path; its name says what the cached machine code depends on."""
    src = Path(__file__).with_name("_kernels.py").read_bytes()
    key = hashlib.sha256(src)
    try:
        numba_version = importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        numba_version = "?"
    for part in (
        numba_version,
        sys.version,
        sys.executable,
        os.environ.get("NUMBA_CPU_NAME", ""),
        os.environ.get("NUMBA_CPU_FEATURES", ""),
        os.environ.get("NUMBA_CACHE_DIR", ""),
        str(Path(__file__).resolve()),
    ):
        key.update(part.encode() + b"\0")
    return cache_folder() / f"training-kernels-{key.hexdigest()[:20]}.ready"


def warm_up(kernels: ModuleType) -> None:
    """Make numba compile (or load) the float64 kernels a training calls.

    One epoch of a one-unit problem with arguments of the types
    :class:`._workspace.Workspace` passes (C-contiguous writable float64
    arrays, int64 tables, float64 and int64 scalars): the specializations a
    ``train`` calls afterwards are these (a test counts them).
    """
    nn, ni, no, nb, nt = 1, 1, 1, 1, 1
    w = np.zeros((4, 1))
    r = np.zeros((4, 1))
    b = np.zeros(4)
    f = np.zeros((1, 1))
    bf = np.zeros(1)
    u = np.zeros((nb, nt, ni))
    y = np.zeros((nb, nt, no))
    h0, c0 = np.zeros(nn), np.zeros(nn)
    act = np.zeros((nb, nt, 4 * nn))
    cs, tcs = np.zeros((nb, nt, nn)), np.zeros((nb, nt, nn))
    ht = np.zeros((nb, nt + 1, nn))
    err = np.zeros((nb, nt, no))
    kernels.forward(
        w, r, b, f, bf, w.T.copy(), r.T.copy(), u, y, h0, c0, act, cs, tcs, ht, err
    )
    g = [np.zeros_like(a) for a in (w, r, b, f, bf)]
    kernels.backward(
        r, f, *g, w.T.copy(), r.T.copy(), np.zeros((4, 1)), np.zeros(nn),
        np.zeros(nn), np.zeros(nn), u, c0, act, cs, tcs, ht, err,
    )  # fmt: skip
    seg = np.array([[0, 4], [4, 8], [8, 12], [12, 13], [13, 14]], np.int64)
    ones = np.ones(5, np.int64)
    theta = np.zeros(14)
    kernels.update(
        theta, np.zeros(14), np.zeros(14), np.zeros(14), 1, np.float64(1e-3),
        0.9, 0.999, 1e-8, seg, ones, ones, 0.0, 1, 1.0,
    )  # fmt: skip


def load() -> ModuleType:
    """The compiled kernels (compiled or loaded from numba's cache now).

    Leaves the mark for the next process.
    """
    global _compiled
    if _compiled is None:
        from . import _kernels

        warm_up(_kernels)
        _compiled = _kernels
        with contextlib.suppress(OSError):  # no mark, no harm
            mark = _mark()
            if not mark.exists():
                mark.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(mark, "numba has the training kernels in its cache\n")
    return _compiled


def _start_child() -> None:
    """Compile the kernels into numba's cache in a child process (once)."""
    global _child
    if _child is not None:
        return
    code = (
        f"import sys, os; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
        "from blocksim_lstm.studies._sweep_worker import die_with_parent; "
        f"die_with_parent({os.getpid()}); "
        "from blocksim_lstm.training import _engine; _engine.load()"
    )
    _child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kernels(engine: str, dtype: str) -> ModuleType:
    """The module whose ``forward``, ``backward`` and ``update`` run now.

    Parameters
    ----------
    engine : {"auto", "compiled", "interpreted"}
        ``"auto"``: as the module docstring says (or as
        ``$BLOCKSIM_LSTM_ENGINE`` says); ``"compiled"``: numba's, now
        (compiling in this process if need be); ``"interpreted"``: numpy's.
    dtype : {"float64", "float32"}
        float32 always gets the compiled kernels.
    """
    if engine == "auto":
        engine = os.environ.get("BLOCKSIM_LSTM_ENGINE", "auto")
        if engine not in ENGINES:
            raise ValueError(
                f"BLOCKSIM_LSTM_ENGINE: expected one of {list(ENGINES)}, got {engine!r}"
            )
        if engine == "interpreted" and dtype != "float64":
            engine = "compiled"  # numpy's kernels are float64 only
    if engine == "interpreted":
        from . import _interpreted

        return _interpreted
    if _compiled is not None or engine == "compiled" or dtype != "float64":
        return load()
    if _child is None:
        try:
            warm = _mark().exists()
        except OSError:
            warm = False
        if warm:
            return load()
        try:
            _start_child()
        except OSError:  # cannot start a process: compile here
            return load()
    assert _child is not None
    if _child.poll() is not None:  # done (or failed: then load() compiles here)
        return load()
    from . import _interpreted

    return _interpreted
