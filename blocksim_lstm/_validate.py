"""Argument checks shared by the package: clear errors at the door.

Every message names the argument first, then what was expected, then what came.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

__all__ = ["as_array", "check_dtype", "check_positive_int"]

_FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}


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


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer ``>= minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def as_array(
    name: str,
    value: ArrayLike,
    shape: Sequence[int | None] | None = None,
    *,
    dtype: DTypeLike = np.float64,
    what: str = "",
) -> np.ndarray:
    """Convert ``value`` to a finite float array of the expected shape.

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

    Raises
    ------
    ValueError
        Wrong shape, non-numeric content, or NaN/Inf entries.
    """
    try:
        arr = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as exc:
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
        raise ValueError(
            f"{name}: expected finite values, got {arr[tuple(bad)]} at index "
            f"{tuple(int(i) for i in bad)}"
        )
    return arr
