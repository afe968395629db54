"""Checks on signals flowing between blocks: 1-D float vectors of a known width."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_vector"]


def as_vector(
    block: str, port: int, value: Any, width: int | None = None
) -> np.ndarray:
    """Return ``value`` as a 1-D float array, checking its width if given.

    Raises
    ------
    ValueError
        The signal is not a vector, or has the wrong width; the message names the
        block and the input port.
    """
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        v = v.reshape(1)
    if v.ndim != 1:
        raise ValueError(
            f"block {block!r} input {port}: expected a 1-D vector, got shape {v.shape}"
        )
    if width is not None and v.shape[0] != width:
        raise ValueError(
            f"block {block!r} input {port}: expected width {width}, got {v.shape[0]}"
        )
    return v
