"""The LSTM + fully connected layer's learnable arrays and initial states.

Gate order is i, f, g, o (input, forget, cell candidate, output), as in MATLAB's
``lstmLayer`` and PyTorch's ``nn.LSTM``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._cellfiles import read_cell_file
from ._files import savez_atomic
from ._validate import (
    as_array,
    check_dtype,
    check_memory,
    check_positive_int,
    check_seed,
)

__all__ = ["GATES", "NPZ_KEYS", "LSTMParams"]

GATES: tuple[str, str, str, str] = ("i", "f", "g", "o")
"""Gate order of the row blocks of W, R and b."""

NPZ_KEYS: tuple[str, ...] = ("W", "R", "b", "F", "bF", "h0", "c0")
"""Exactly the keys of a weights ``.npz`` file."""


@dataclass(frozen=True, eq=False)
class LSTMParams:
    """Weights and initial states of one LSTM layer followed by an FC layer.

    Attributes
    ----------
    W : ndarray, shape ``(4Nn, Ni)``
        Input weights ``[Wi; Wf; Wg; Wo]``.
    R : ndarray, shape ``(4Nn, Nn)``
        Recurrent weights ``[Ri; Rf; Rg; Ro]``.
    b : ndarray, shape ``(4Nn,)``
        Biases ``[bi; bf; bg; bo]``.
    F : ndarray, shape ``(No, Nn)``
        Fully connected output layer.
    bF : ndarray, shape ``(No,)``
        Fully connected bias.
    h0, c0 : ndarray, shape ``(Nn,)``
        Initial hidden and cell states, ``h(-1)`` and ``c(-1)``.

    Every construction checks shapes and finiteness, whether through the
    constructor (arrays in the order above; dtype float32 when ``W`` is a
    float32 array, else float64), :meth:`from_arrays`, :meth:`replace` or
    ``dataclasses.replace``; the arrays are read-only copies.
    """

    W: np.ndarray
    R: np.ndarray
    b: np.ndarray
    F: np.ndarray
    bF: np.ndarray
    h0: np.ndarray
    c0: np.ndarray

    def __post_init__(self) -> None:
        # every construction is checked (the constructor, from_arrays, and
        # dataclasses.replace): an LSTMParams always holds valid arrays
        W = self.W
        dt = np.dtype(
            np.float32
            if isinstance(W, np.ndarray) and W.dtype == np.float32
            else np.float64
        )
        arrays = _checked_arrays(
            self.W, self.R, self.b, self.F, self.bF, self.h0, self.c0, dt
        )
        for key, arr in zip(NPZ_KEYS, arrays, strict=True):
            object.__setattr__(self, key, arr)

    # ------------------------------------------------------------------ sizes
    @property
    def nn(self) -> int:
        """Number of units Nn."""
        return self.R.shape[1]

    @property
    def ni(self) -> int:
        """Input width Ni."""
        return self.W.shape[1]

    @property
    def no(self) -> int:
        """Output width No."""
        return self.F.shape[0]

    @property
    def dtype(self) -> np.dtype:
        """Common dtype of all arrays."""
        return self.W.dtype

    def arrays(self) -> dict[str, np.ndarray]:
        """Return the arrays by their ``.npz`` key (``W, R, b, F, bF, h0, c0``)."""
        return {k: getattr(self, k) for k in NPZ_KEYS}

    def gate(self, array: str, gate: str) -> np.ndarray:
        """Return the row block of ``W``, ``R`` or ``b`` belonging to one gate.

        Parameters
        ----------
        array
            ``"W"``, ``"R"`` or ``"b"``.
        gate
            One of ``"i", "f", "g", "o"``.

        Returns
        -------
        ndarray
            Shape ``(Nn, Ni)``, ``(Nn, Nn)`` or ``(Nn,)``; a view.
        """
        if array not in ("W", "R", "b"):
            raise ValueError(f"array: expected one of 'W', 'R', 'b', got {array!r}")
        if gate not in GATES:
            raise ValueError(f"gate: expected one of {GATES}, got {gate!r}")
        k = GATES.index(gate)
        return getattr(self, array)[k * self.nn : (k + 1) * self.nn]

    # ---------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls,
        W: ArrayLike,
        R: ArrayLike,
        b: ArrayLike,
        F: ArrayLike,
        bF: ArrayLike | None = None,
        h0: ArrayLike | None = None,
        c0: ArrayLike | None = None,
        *,
        dtype: DTypeLike = np.float64,
    ) -> LSTMParams:
        """Check shapes and finiteness and build the container.

        Sizes are read from ``R`` (Nn), ``W`` (Ni) and ``F`` (No).

        Parameters
        ----------
        W : array_like, shape ``(4Nn, Ni)``
            Input weights.
        R : array_like, shape ``(4Nn, Nn)``
            Recurrent weights.
        b : array_like, shape ``(4Nn,)``
            Biases.
        F : array_like, shape ``(No, Nn)``
            Fully connected output layer.
        bF : array_like, shape ``(No,)``, optional
            Fully connected bias (default zeros).
        h0, c0 : array_like, shape ``(Nn,)``, optional
            Initial hidden and cell states (default zeros).
        dtype
            ``float64`` (default) or ``float32``.

        Raises
        ------
        ValueError
            An array of the wrong shape (the message names the array, the
            expected and the received shape) or with NaN/Inf entries.
        """
        return cls(*_checked_arrays(W, R, b, F, bF, h0, c0, check_dtype(dtype)))

    @classmethod
    def random(
        cls,
        nn: int = 3,
        ni: int = 4,
        no: int = 2,
        *,
        seed: int = 0,
        states: bool = True,
        dtype: DTypeLike = np.float64,
    ) -> LSTMParams:
        """Seeded uniform [0, 1) weights, as in the original's experiment 1.

        Parameters
        ----------
        nn, ni, no
            Units, input width, output width (all >= 1).
        seed
            Seed of ``numpy.random.default_rng``; the same seed gives the same bytes.
        states
            Draw ``h0`` and ``c0`` uniform [0, 1) as well (default); zeros if False.
        dtype
            ``float64`` (default) or ``float32``.

        Notes
        -----
        Draw order: h0, c0, W, R, b, F (as in the original script); ``bF`` is zero.
        """
        nn = check_positive_int("nn", nn)
        ni = check_positive_int("ni", ni)
        no = check_positive_int("no", no)
        check_memory(
            "nn",
            16.0 * (4 * nn * (ni + nn + 1) + no * (nn + 1) + 2 * nn),
            f"weights of Nn={nn}, Ni={ni}, No={no}",
        )
        rng = np.random.default_rng(check_seed("seed", seed))
        h0 = rng.random(nn) if states else np.zeros(nn)
        c0 = rng.random(nn) if states else np.zeros(nn)
        W = rng.random((4 * nn, ni))
        R = rng.random((4 * nn, nn))
        b = rng.random(4 * nn)
        F = rng.random((no, nn))
        return cls.from_arrays(W, R, b, F, np.zeros(no), h0, c0, dtype=dtype)

    def replace(self, **arrays: ArrayLike) -> LSTMParams:
        """Return a copy with some arrays replaced (checked again).

        Parameters
        ----------
        **arrays
            New arrays by their ``.npz`` key (``W=..., h0=...``).

        Raises
        ------
        ValueError
            An unknown key, or an array that fails the checks.
        """
        unknown = set(arrays) - set(NPZ_KEYS)
        if unknown:
            raise ValueError(
                f"replace: unknown array names {sorted(unknown)}; allowed {NPZ_KEYS}"
            )
        merged = {**self.arrays(), **arrays}
        return LSTMParams.from_arrays(**merged, dtype=self.dtype)

    def astype(self, dtype: DTypeLike) -> LSTMParams:
        """Return a copy with every array cast to ``dtype``.

        Parameters
        ----------
        dtype
            ``float64`` or ``float32``.
        """
        return LSTMParams.from_arrays(**self.arrays(), dtype=dtype)

    # ------------------------------------------------------------------- I/O
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the arrays to ``path`` (``.npz``, keys ``W, R, b, F, bF, h0, c0``).

        The file is written to a temporary name and renamed, so an interrupted
        save never leaves a half-written file.

        Parameters
        ----------
        path
            File name ending in ``.npz``.

        Returns
        -------
        Path
            ``path``.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"path: expected a file name ending in .npz, got {path}")
        savez_atomic(path, **self.arrays())
        return path

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        dtype: DTypeLike = np.float64,
        what: str = "weights",
    ) -> LSTMParams:
        """Read a weights ``.npz`` written by :meth:`save` (or by anyone else).

        Parameters
        ----------
        path
            The ``.npz`` with exactly the keys ``W, R, b, F, bF, h0, c0``.
        dtype
            ``float64`` (default) or ``float32``.
        what
            The file's role, the first word of every error message (a command
            passes its option, ``"--weights"``).

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        ValueError
            The file is not a readable ``.npz``, lacks a key, has extra keys, or
            holds a badly shaped, non-real (complex, boolean, text) or non-finite
            array; the message starts with ``what``, then names the array.
        """
        found = read_cell_file(path, what, "lstm")  # another cell's: named
        try:
            return cls.from_arrays(**found, dtype=dtype)
        except ValueError as exc:
            raise ValueError(f"{what}: {path}: {exc}") from exc


def _owned(
    name: str,
    value: ArrayLike,
    shape: tuple[int | None, ...],
    dt: np.dtype,
    what: str = "",
) -> np.ndarray:
    """``value`` as a read-only finite array of ``dt`` and ``shape``.

    An array this module made already (read-only, of ``dt``) is kept after a
    finiteness and shape check; anything else is copied by ``as_array``.
    """
    if (
        isinstance(value, np.ndarray)
        and value.dtype == dt
        and not value.flags.writeable
        and value.base is None
        and value.ndim == len(shape)
        and all(s in (None, n) for s, n in zip(shape, value.shape, strict=True))
        and np.all(np.isfinite(value))
    ):
        return value
    arr = as_array(name, value, shape, dtype=dt, what=what)
    arr.setflags(write=False)
    return arr


def _checked_arrays(
    W: ArrayLike,
    R: ArrayLike,
    b: ArrayLike,
    F: ArrayLike,
    bF: ArrayLike | None,
    h0: ArrayLike | None,
    c0: ArrayLike | None,
    dt: np.dtype,
) -> tuple[np.ndarray, ...]:
    """The seven arrays checked (shapes, finiteness) as read-only ``dt`` arrays."""
    R_ = _owned("R", R, (None, None), dt)
    nn = R_.shape[1]
    if nn < 1 or R_.shape[0] != 4 * nn:
        raise ValueError(
            f"R: expected shape (4Nn, Nn) with Nn >= 1, got shape {R_.shape}"
        )
    W_ = _owned("W", W, (4 * nn, None), dt, what=f"(4Nn, Ni), Nn={nn}")
    if W_.shape[1] < 1:
        raise ValueError(f"W: expected at least one input column, got {W_.shape}")
    b_ = _owned("b", b, (4 * nn,), dt, what=f"(4Nn,), Nn={nn}")
    F_ = _owned("F", F, (None, nn), dt, what=f"(No, Nn), Nn={nn}")
    if F_.shape[0] < 1:
        raise ValueError(f"F: expected at least one output row, got {F_.shape}")
    no = F_.shape[0]
    bF_ = _owned("bF", np.zeros(no) if bF is None else bF, (no,), dt)
    h0_ = _owned("h0", np.zeros(nn) if h0 is None else h0, (nn,), dt)
    c0_ = _owned("c0", np.zeros(nn) if c0 is None else c0, (nn,), dt)
    return W_, R_, b_, F_, bF_, h0_, c0_
