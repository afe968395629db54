"""Argument checks shared by the package: clear errors at the door.

Every message names the argument first, then what was expected, then what came.
Every error raised here is a :class:`ValueError` (a wrong type is an
:class:`ArgumentTypeError`, a ``ValueError`` that is also a ``TypeError``), so the
command line prints it as one line; any other exception is a bug and keeps its
traceback.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = [
    "ArgumentTypeError",
    "as_array",
    "check_dtype",
    "check_input",
    "check_memory",
    "check_positive_int",
    "check_seed",
    "format_bytes",
    "memory_limit",
]

_FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}
# dtype kinds accepted as numbers: float, signed and unsigned integer
_REAL_KINDS = {"f": "real", "i": "integer", "u": "unsigned integer"}
_KIND_NAMES = {
    "c": "complex numbers (their imaginary part would be lost)",
    "b": "booleans",
    "O": "Python objects",
    "U": "text",
    "S": "bytes",
    "V": "raw records",
    "M": "dates",
    "m": "time spans",
}


class ArgumentTypeError(ValueError, TypeError):
    """An argument of the wrong type.

    A ``ValueError`` (bad input, printed by the command line as one line) that
    is also a ``TypeError`` for callers that catch that.
    """


def check_dtype(dtype: DTypeLike) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it is float64 or float32, else raise."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(
            f"dtype: expected 'float64' or 'float32', got {dtype!r}"
        ) from exc
    if dt.name not in _FLOAT_DTYPES:
        raise ValueError(f"dtype: expected 'float64' or 'float32', got {dt.name!r}")
    return dt


def check_positive_int(
    name: str, value: object, *, minimum: int = 1, maximum: int | None = None
) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``.

    Raises
    ------
    ArgumentTypeError
        ``value`` is not an integer (a bool is not one).
    ValueError
        ``value`` is out of range.
    """
    want = f"an integer >= {minimum}"
    if maximum is not None:
        want = f"an integer in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{name}: expected {want}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name}: expected {want}, got {value}")
    return int(value)


def check_seed(name: str, seed: object) -> int:
    """Return ``seed`` if ``numpy.random.default_rng`` accepts it (an int >= 0)."""
    return check_positive_int(name, seed, minimum=0)


def format_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: a size in binary units, three digits."""
    if not math.isfinite(n):
        return f"{n} bytes"
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} bytes" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def memory_limit() -> int | None:
    """The memory this process may use: physical memory, or a lower cgroup limit.

    ``None`` when neither can be read.
    """
    limits: list[int] = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in (
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) > 0:
            limits.append(int(text))
    return min(limits) if limits else None


def check_memory(name: str, nbytes: float, what: str) -> None:
    """Refuse, before any allocation, a size that cannot fit in memory.

    Parameters
    ----------
    name
        The argument that sets the size (``"--steps"``, ``"nn"``).
    nbytes
        Estimated bytes needed (an upper estimate; may be a float or inf).
    what
        What needs them, e.g. ``"51 steps of the block diagram"``.

    Raises
    ------
    ValueError
        ``nbytes`` is more than :func:`memory_limit` (the message gives both).
    """
    limit = memory_limit()
    if limit is None or nbytes <= limit:
        return
    raise ValueError(
        f"{name}: {what} would need about {format_bytes(nbytes)} of memory, more "
        f"than the {format_bytes(limit)} of this machine; choose a smaller size"
    )


def _check_kind(name: str, value: object, arr: np.ndarray) -> None:
    kind = arr.dtype.kind
    if kind in _REAL_KINDS:
        return
    if kind == "O" and arr.ndim == 0 and not isinstance(value, np.ndarray):
        raise ValueError(f"{name}: expected a numeric array, got {value!r:.80}")
    what = _KIND_NAMES.get(kind, f"dtype {arr.dtype}")
    raise ValueError(f"{name}: expected real numbers, got {what} (dtype {arr.dtype})")


def as_array(
    name: str,
    value: ArrayLike,
    shape: Sequence[int | None] | None = None,
    *,
    dtype: DTypeLike = np.float64,
    what: str = "",
) -> np.ndarray:
    """Convert ``value`` to a finite float array of the expected shape.

    Only real numbers are accepted: floats and integers. Complex numbers (whose
    imaginary part a conversion would drop), booleans, text and objects are
    refused, as are NaN and Inf.

    Parameters
    ----------
    name
        Argument name used in error messages.
    value
        Anything ``numpy.asarray`` accepts.
    shape
        Expected shape; ``None`` entries match any length. ``None`` skips the check.
    dtype
        Result dtype.
    what
        Optional explanation of the shape appended to the message, e.g.
        ``"(4Nn, Ni) = (12, 4)"``.

    Returns
    -------
    ndarray
        A new array of ``dtype`` (never a view of ``value``).

    Raises
    ------
    ValueError
        Wrong shape, non-real content, or NaN/Inf entries.
    """
    try:
        src = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name}: expected a numeric array, got {value!r:.80}"
        ) from exc
    _check_kind(name, value, src)
    try:  # too large for dtype becomes inf, refused below with the reason
        with np.errstate(over="ignore"):
            arr = np.array(src, dtype=dtype, copy=True)
    except (TypeError, ValueError, OverflowError) as exc:  # pragma: no cover
        raise ValueError(
            f"{name}: expected a numeric array, got {value!r:.80}"
        ) from exc
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == n for s, n in zip(shape, arr.shape, strict=True)
        )
        if not ok:
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape)
            want += ",)" if len(shape) == 1 else ")"
            extra = f" {what}" if what else ""
            raise ValueError(
                f"{name}: expected shape {want}{extra}, got shape {arr.shape}"
            )
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        src_bad = src[tuple(bad)] if src.shape == arr.shape else arr[tuple(bad)]
        note = ""
        if np.isfinite(src_bad):  # finite in the source, too large for dtype
            note = f" (too large for {arr.dtype.name})"
        raise ValueError(
            f"{name}: expected finite values, got {src_bad} at index "
            f"{tuple(int(i) for i in bad)}{note}"
        )
    return arr


def check_input(u: ArrayLike, ni: int, *, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Check an input sequence: shape ``(T, Ni)`` or ``(B, T, Ni)``, finite, T >= 1.

    A 1-D input is accepted when ``Ni == 1`` and read as ``(T, 1)``.

    Parameters
    ----------
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        The input sequence (or a batch of them).
    ni
        Expected input width Ni.
    dtype
        dtype of the returned array (float64 or float32).

    Raises
    ------
    ValueError
        Wrong width (names ``Ni``), no steps, or NaN/Inf entries.
    """
    arr = as_array("u", u, None, dtype=dtype)
    if arr.ndim == 1 and ni == 1:
        arr = arr[:, None]
    if arr.ndim not in (2, 3):
        raise ValueError(
            f"u: expected shape (steps, Ni) or (batch, steps, Ni) with Ni={ni}, "
            f"got shape {arr.shape}"
        )
    if arr.shape[-1] != ni:
        raise ValueError(
            f"u: expected {ni} columns (Ni={ni}, one per input), got shape {arr.shape}"
        )
    if arr.shape[-2] < 1:
        raise ValueError(f"u: expected at least one step, got shape {arr.shape}")
    return arr
