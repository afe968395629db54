"""Which training kernels run: compiled ones, or numpy's while they compile.

numba compiles the three training kernels (:mod:`._kernels`) in about 10 s the
first time, and :mod:`._native` writes their machine code to a file in the
user's cache folder; a later process links that file in about 10 ms, without
importing numba (whose own import and cache cost about 0.8 s in every
process). :mod:`._interpreted` runs the same loops with numpy, with the same
bytes as results, about 400 times slower at the seed's size. So, per dtype:

- once this process has the compiled kernels, they run;
- if the file for this source, this numba, this Python and this CPU is there,
  it is loaded;
- otherwise, in float64, a child process compiles the kernels and writes the
  file (on another core, at full speed) while the epochs run on numpy's
  kernels; when the child is done the file is loaded and takes over. A short
  first ``train`` never waits for the compiler;
- in float32, or with ``engine="compiled"``, this process compiles them (from
  numba's cache if it holds them) and writes the file.

``BLOCKSIM_LSTM_ENGINE=compiled`` (or ``interpreted``) in the environment
replaces ``auto``: every run then waits for the compiled kernels (or never uses
them). Where the file cannot be written or read (no llvmlite, a damaged file,
a file of that name that is not ours: it is left alone), numba's own kernels
run, loaded as before. The child dies with this process. The float32 mode has
no numpy version.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import _native

ENGINES = ("auto", "compiled", "interpreted")
"""The values of ``engine``: see :func:`kernels`."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_compiled: dict[str, Any] = {}  # dtype: the compiled kernels in this process
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


def load(dtype: str = "float64") -> Any:
    """The compiled kernels in ``dtype``, now.

    From their file (:mod:`._native`) if there is one; else numba compiles
    them here (or loads them from its cache) and the file is written for the
    next process; where that fails, numba's kernels themselves.
    """
    kernels = _compiled.get(dtype)
    if kernels is None:
        kernels = _native.load(dtype)
        if kernels is None:
            if _native.build(dtype) is not None:
                kernels = _native.load(dtype)
            if kernels is None:
                from . import _kernels

                kernels = _kernels
        _compiled[dtype] = kernels
    return kernels


def _start_child() -> None:
    """Compile the float64 kernels and write their file in a child process (once)."""
    global _child
    if _child is not None:
        return
    code = (
        f"import sys, os; sys.path.insert(0, {_PACKAGE_ROOT!r}); "
        "from blocksim_lstm.studies._sweep_worker import die_with_parent; "
        f"die_with_parent({os.getpid()}); "
        "from blocksim_lstm.training import _native; _native.build('float64')"
    )
    _child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kernels(engine: str, dtype: str) -> Any:
    """The kernels (``forward``, ``backward``, ``update``) that run now.

    Parameters
    ----------
    engine : {"auto", "compiled", "interpreted"}
        ``"auto"``: as the module docstring says (or as
        ``$BLOCKSIM_LSTM_ENGINE`` says); ``"compiled"``: the compiled ones,
        now (compiling in this process if need be); ``"interpreted"``: numpy's.
    dtype : {"float64", "float32"}
        float32 always gets the compiled kernels.

    Returns
    -------
    :class:`._native.NativeKernels`, or the module :mod:`._kernels` (numba's),
    or the module :mod:`._interpreted`: the same arguments, the same bytes.
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
    compiled = _compiled.get(dtype)
    if compiled is not None:
        return compiled
    if engine == "compiled" or dtype != "float64":
        return load(dtype)
    if _child is None:
        native = _native.load(dtype)
        if native is not None:
            _compiled[dtype] = native
            return native
        try:
            _start_child()
        except OSError:  # cannot start a process: compile here
            return load(dtype)
    assert _child is not None
    if _child.poll() is not None:  # done (or failed: then load() compiles here)
        return load(dtype)
    from . import _interpreted

    return _interpreted
