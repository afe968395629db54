"""Memory a training run needs, checked against what the machine has, up front.

A run that cannot fit is refused before anything is allocated or written, with
the size it would need, instead of a ``MemoryError`` traceback halfway or the
kernel's out-of-memory killer.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import _workspace

__all__ = ["RunTooLargeError", "available_bytes", "check_fits", "run_bytes"]

BYTES_PER_EPOCH = 64
"""Loss history, learning rates and their copies in the result: 8 float64 per
epoch, upper bound (``loss.csv`` is written in blocks, the plot decimated)."""

_OVERHEAD = 64 << 20  # interpreter, compiled code, plots: not counted above


class RunTooLargeError(ValueError):
    """The run would need more memory than the machine has available."""


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int:
    """Memory this process may still allocate, in bytes.

    The smallest of: ``MemAvailable`` in ``/proc/meminfo``, the cgroup (v2)
    limit minus its current use, and the physical memory
    (``os.sysconf("SC_PHYS_PAGES")``) when nothing else is known.
    """
    candidates: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    limit = _read_int("/sys/fs/cgroup/memory.max")
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        candidates.append(max(0, limit - used))
    if not candidates:
        try:
            candidates.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            return 1 << 62  # unknown: do not refuse
    return min(candidates)


def run_bytes(nb: int, nt: int, nn: int, ni: int, no: int, epochs: int) -> int:
    """Bytes a run needs: kernel buffers, parameters, Adam state, loss history.

    Parameters
    ----------
    nb, nt
        Sequences and steps of the data.
    nn, ni, no
        Units, inputs, outputs.
    epochs
        Total epochs.
    """
    n_theta = 4 * nn * (ni + nn + 1) + no * (nn + 1)
    # theta, m, v, their checkpoint copies, initial and final weights, gradient
    params = 10 * 8 * n_theta
    return (
        _workspace.buffer_bytes(nb, nt, nn, ni, no)
        + params
        + BYTES_PER_EPOCH * epochs
        + _OVERHEAD
    )


def _gb(n: int) -> str:
    return f"{n / 1e9:.3g} GB"


def check_fits(
    nb: int, nt: int, nn: int, ni: int, no: int, epochs: int, *, names: dict[str, str]
) -> None:
    """Refuse a run whose :func:`run_bytes` exceed :func:`available_bytes`.

    Parameters
    ----------
    nb, nt, nn, ni, no, epochs
        As in :func:`run_bytes`.
    names
        How the caller calls the sizes, for the message: keys ``"epochs"``,
        ``"units"``, ``"data"`` (e.g. ``{"epochs": "--epochs", ...}``).

    Raises
    ------
    RunTooLargeError
        Naming the largest part (the loss history of ``epochs``, or the
        buffers of the data and units) and both sizes.
    """
    need = run_bytes(nb, nt, nn, ni, no, epochs)
    have = available_bytes()
    if need <= have:
        return
    history = BYTES_PER_EPOCH * epochs
    buffers = need - history
    if history >= buffers:
        raise RunTooLargeError(
            f"{names['epochs']}: {epochs} epochs need {_gb(history)} of memory for "
            f"the loss history ({_gb(need)} in all), more than the {_gb(have)} "
            "available; expected fewer epochs"
        )
    raise RunTooLargeError(
        f"{names['units']}: Nn={nn} units on {names['data']} of B={nb} sequences "
        f"x T={nt} steps need {_gb(buffers)} of memory for the training buffers "
        f"({_gb(need)} in all), more than the {_gb(have)} available; expected fewer "
        "units or shorter data"
    )
