"""Weights and initial states of the other recurrent cells: GRU, LSTM with
peepholes, Elman RNN (each followed by an FC layer, as the LSTM).

One mechanism checks every cell's arrays: a class lists its array keys and the
shape of each in terms of ``G Nn`` (G = the cell's number of gates), ``Nn``,
``Ni`` and ``No``; :class:`CellParams` reads the sizes from ``R`` (Nn), ``W``
(Ni) and ``F`` (No) and checks the rest against them. The LSTM keeps its own
class (:class:`~blocksim_lstm.LSTMParams`), registered in :data:`CELLS` beside
these.

Row blocks of ``W``, ``R`` and the biases are in each cell's gate order:

- GRU: r, z, n (reset, update, new), as PyTorch's ``nn.GRU``;
- peephole LSTM: i, f, g, o as the LSTM, and ``P = [Pi; Pf; Po]`` (ONNX stores
  i, o, f: the importer reorders);
- RNN: one block.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .._cellfiles import REQUIRED_KEYS, cell_of_keys, read_cell_file
from .._files import read_npz, savez_atomic
from .._parameters import LSTMParams, _owned
from .._validate import check_dtype, check_memory, check_positive_int, check_seed

__all__ = [
    "CELLS",
    "CellParams",
    "GRUParams",
    "PeepholeParams",
    "RNNParams",
    "cell_name",
    "cell_of_file",
    "load_cell",
    "params_class",
]

_Self = TypeVar("_Self", bound="CellParams")

# a dimension of an array: "G" = gates * Nn, "P" = 3 Nn (peepholes), or a size
_Dim = str


def _size_text(shape: tuple[_Dim, ...]) -> str:
    names = {"G": "{g}Nn", "P": "3Nn", "nn": "Nn", "ni": "Ni", "no": "No"}
    inner = ", ".join(names[d] for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


class CellParams:
    """Common behaviour of a cell's parameter container (a frozen dataclass).

    A subclass declares :attr:`cell`, :attr:`GATES`, :attr:`SHAPES` (array key
    -> shape in ``"G"``, ``"nn"``, ``"ni"``, ``"no"``), :attr:`STATES` (its
    state arrays, in state-vector order) and :attr:`FLAGS` (non-array settings
    saved with the weights). Every construction checks shapes and finiteness;
    the arrays are read-only copies of one dtype (float32 when ``W`` is a
    float32 array, else float64).
    """

    cell: ClassVar[str]
    GATES: ClassVar[tuple[str, ...]]
    SHAPES: ClassVar[dict[str, tuple[_Dim, ...]]]
    STATES: ClassVar[tuple[str, ...]]
    FLAGS: ClassVar[tuple[str, ...]] = ()
    OPTIONAL: ClassVar[tuple[str, ...]] = ("bF", "h0", "c0")

    # ------------------------------------------------------------ checking
    def __post_init__(self) -> None:
        W = getattr(self, "W")  # noqa: B009 (a subclass's dataclass field)
        dt = np.dtype(
            np.float32
            if isinstance(W, np.ndarray) and W.dtype == np.float32
            else np.float64
        )
        arrays = type(self)._checked({k: getattr(self, k) for k in self.SHAPES}, dt)
        for key, arr in arrays.items():
            object.__setattr__(self, key, arr)
        self._check_flags()

    def _check_flags(self) -> None:
        """Check the non-array settings (a subclass with flags overrides this)."""

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The array keys, in constructor and ``.npz`` order."""
        return tuple(cls.SHAPES)

    @classmethod
    def _checked(
        cls, given: Mapping[str, ArrayLike | None], dt: np.dtype
    ) -> dict[str, np.ndarray]:
        g = len(cls.GATES)
        if given.get("R") is None:
            raise ValueError(f"R: missing, the recurrent weights of a {cls.cell} cell")
        R = _owned("R", given["R"], (None, None), dt)  # type: ignore[arg-type]
        nn = R.shape[1]
        if nn < 1 or R.shape[0] != g * nn:
            raise ValueError(
                f"R: expected shape ({g}Nn, Nn) with Nn >= 1 for a {cls.cell} cell "
                f"({g} gates), got shape {R.shape}"
            )
        sizes: dict[str, int | None] = {
            "G": g * nn,
            "P": 3 * nn,
            "nn": nn,
            "ni": None,
            "no": None,
        }
        out: dict[str, np.ndarray] = {}
        for key in ("W", "F", *cls.SHAPES):
            if key in out or key == "R":
                continue
            shape = cls.SHAPES[key]
            value = given.get(key)
            if value is None and key in cls.OPTIONAL:
                value = np.zeros([sizes[d] or 0 for d in shape])
            want = tuple(sizes[d] for d in shape)
            what = _size_text(shape).format(g=g) + f", Nn={nn}"
            arr = _owned(key, value, want, dt, what=what)  # type: ignore[arg-type]
            for d, n in zip(shape, arr.shape, strict=True):
                if sizes[d] is None:
                    if n < 1:
                        raise ValueError(
                            f"{key}: expected at least one "
                            f"{'input column' if d == 'ni' else 'output row'}, "
                            f"got shape {arr.shape}"
                        )
                    sizes[d] = n
            out[key] = arr
        out["R"] = R
        return {k: out[k] for k in cls.SHAPES}

    # --------------------------------------------------------------- sizes
    @property
    def nn(self) -> int:
        """Number of units Nn."""
        return int(getattr(self, "R").shape[1])  # noqa: B009

    @property
    def ni(self) -> int:
        """Input width Ni."""
        return int(getattr(self, "W").shape[1])  # noqa: B009

    @property
    def no(self) -> int:
        """Output width No."""
        return int(getattr(self, "F").shape[0])  # noqa: B009

    @property
    def dtype(self) -> np.dtype:
        """Common dtype of all arrays."""
        return getattr(self, "W").dtype  # type: ignore[no-any-return]  # noqa: B009

    @property
    def state_size(self) -> int:
        """Length of the state vector (``Nn`` per state array)."""
        return len(self.STATES) * self.nn

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by key, in :meth:`keys` order."""
        return {k: getattr(self, k) for k in self.SHAPES}

    def flags(self) -> dict[str, Any]:
        """The non-array settings by name (``linear_before_reset``, ...)."""
        return {k: getattr(self, k) for k in self.FLAGS}

    def gate(self, array: str, gate: str) -> np.ndarray:
        """The row block of a gated array belonging to one gate (a view).

        Parameters
        ----------
        array
            A key whose first dimension is ``G Nn`` (``"W"``, ``"R"``, ...).
        gate
            One of :attr:`GATES`.

        Returns
        -------
        ndarray
            Shape ``(Nn, ...)``.
        """
        if array not in self.SHAPES or self.SHAPES[array][0] != "G":
            gated = [k for k, s in self.SHAPES.items() if s[0] == "G"]
            raise ValueError(f"array: expected one of {gated}, got {array!r}")
        if gate not in self.GATES:
            raise ValueError(f"gate: expected one of {self.GATES}, got {gate!r}")
        k = self.GATES.index(gate)
        return getattr(self, array)[k * self.nn : (k + 1) * self.nn]  # type: ignore[no-any-return]

    # -------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls: type[_Self], *, dtype: DTypeLike = np.float64, **arrays: Any
    ) -> _Self:
        """Check shapes and finiteness and build the container.

        Parameters
        ----------
        dtype
            ``float64`` (default) or ``float32``.
        **arrays
            The arrays by key (:meth:`keys`; ``bF``, ``h0``, ``c0`` default to
            zeros) and the flags (:attr:`FLAGS`).

        Raises
        ------
        ValueError
            An unknown or missing key, a wrong shape (the message names the
            array, the expected and the received shape) or NaN/Inf entries.
        """
        dt = check_dtype(dtype)
        allowed = set(cls.SHAPES) | set(cls.FLAGS)
        unknown = sorted(set(arrays) - allowed)
        if unknown:
            raise ValueError(
                f"arrays: unknown names {unknown} for a {cls.cell} cell; "
                f"expected {list(cls.SHAPES)} and settings {list(cls.FLAGS)}"
            )
        missing = [k for k in cls.SHAPES if k not in cls.OPTIONAL and k not in arrays]
        if missing:
            raise ValueError(f"arrays: missing {missing} for a {cls.cell} cell")
        checked = cls._checked(arrays, dt)
        flags = {k: arrays[k] for k in cls.FLAGS if k in arrays}
        return cls(**checked, **flags)

    @classmethod
    def random(
        cls: type[_Self],
        nn: int = 3,
        ni: int = 4,
        no: int = 2,
        *,
        seed: int = 0,
        states: bool = True,
        dtype: DTypeLike = np.float64,
        **flags: Any,
    ) -> _Self:
        """Seeded uniform [0, 1) weights, the LSTM's convention.

        Parameters
        ----------
        nn, ni, no
            Units, input width, output width (all >= 1).
        seed
            Seed of ``numpy.random.default_rng``; the same seed gives the same
            bytes.
        states
            Draw the initial states uniform [0, 1) as well (default); zeros if
            False.
        dtype
            ``float64`` (default) or ``float32``.
        **flags
            The cell's settings (``linear_before_reset=False``, ...).

        Notes
        -----
        Draw order: the initial states (in :attr:`STATES` order), then the
        other arrays in :meth:`keys` order; ``bF`` is zero.
        """
        nn = check_positive_int("nn", nn)
        ni = check_positive_int("ni", ni)
        no = check_positive_int("no", no)
        sizes = {"G": len(cls.GATES) * nn, "P": 3 * nn, "nn": nn, "ni": ni, "no": no}
        shapes = {k: tuple(sizes[d] for d in s) for k, s in cls.SHAPES.items()}
        check_memory(
            "nn",
            16.0 * sum(int(np.prod(s)) for s in shapes.values()),
            f"weights of Nn={nn}, Ni={ni}, No={no}",
        )
        rng = np.random.default_rng(check_seed("seed", seed))
        arrays: dict[str, np.ndarray] = {}
        for s in cls.STATES:
            key = f"{s}0"
            arrays[key] = rng.random(shapes[key]) if states else np.zeros(shapes[key])
        for key, shape in shapes.items():
            if key in arrays:
                continue
            arrays[key] = np.zeros(shape) if key == "bF" else rng.random(shape)
        return cls.from_arrays(**arrays, **flags, dtype=dtype)

    def replace(self: _Self, **arrays: Any) -> _Self:
        """A copy with some arrays or settings replaced (checked again).

        Parameters
        ----------
        **arrays
            New arrays by key, or new settings by name.
        """
        merged = {**self.arrays(), **self.flags(), **arrays}
        return type(self).from_arrays(**merged, dtype=self.dtype)

    def astype(self: _Self, dtype: DTypeLike) -> _Self:
        """A copy with every array cast to ``dtype`` (float64 or float32).

        Parameters
        ----------
        dtype
            ``float64`` or ``float32``.
        """
        return type(self).from_arrays(**self.arrays(), **self.flags(), dtype=dtype)

    # ----------------------------------------------------------------- I/O
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the arrays and settings to an ``.npz`` (atomically).

        The settings are stored as 0-d arrays (``linear_before_reset`` 0 or 1,
        ``relu`` 0 or 1), so the file says which cell it is:
        :func:`cell_of_file` tells the cells apart by their keys.

        Parameters
        ----------
        path
            File name ending in ``.npz``.
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"path: expected a file name ending in .npz, got {path}")
        savez_atomic(path, **self.arrays(), **self._flag_arrays())
        return path

    def _flag_arrays(self) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def _flags_from(cls, found: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {}

    @classmethod
    def file_keys(cls) -> tuple[str, ...]:
        """Every key a weights file of this cell holds."""
        return cls.keys()

    @classmethod
    def load(
        cls: type[_Self],
        path: str | os.PathLike[str],
        *,
        dtype: DTypeLike = np.float64,
        what: str = "weights",
    ) -> _Self:
        """Read a weights ``.npz`` written by :meth:`save`.

        Parameters
        ----------
        path
            The ``.npz`` file.
        dtype
            ``float64`` (default) or ``float32``.
        what
            The file's role, the first word of every error message.

        Raises
        ------
        FileNotFoundError
            ``path`` does not exist.
        ValueError
            Not a readable ``.npz``, the weights of another cell (the message
            names both), or a badly shaped or non-finite array.
        """
        found = read_cell_file(path, what, cls.cell)
        try:
            arrays = {k: found[k] for k in cls.keys()}
            return cls.from_arrays(**arrays, **cls._flags_from(found), dtype=dtype)
        except ValueError as exc:
            raise ValueError(f"{what}: {path}: {exc}") from exc


def _flag(found: Mapping[str, np.ndarray], key: str, default: int) -> int:
    if key not in found:
        return default
    value = np.asarray(found[key])
    if value.shape != () or value.dtype.kind not in "biu" or int(value) not in (0, 1):
        raise ValueError(f"{key}: expected 0 or 1, got {value!r:.60}")
    return int(value)


@dataclass(frozen=True, eq=False)
class GRUParams(CellParams):
    """Weights and initial state of a GRU layer followed by an FC layer.

    ``r = σ(Wr u + bWr + Rr h + bRr)``, ``z = σ(Wz u + bWz + Rz h + bRz)``,
    ``n = tanh(Wn u + bWn + r ⊙ (Rn h + bRn))`` (PyTorch's convention,
    ``linear_before_reset=True``) or ``n = tanh(Wn u + bWn + Rn (r ⊙ h) + bRn)``
    (ONNX's default, ``linear_before_reset=False``), and
    ``h(t) = (1 - z) ⊙ n + z ⊙ h(t-1)``.

    Attributes
    ----------
    W : ndarray, shape ``(3Nn, Ni)``
        Input weights ``[Wr; Wz; Wn]``.
    R : ndarray, shape ``(3Nn, Nn)``
        Recurrent weights ``[Rr; Rz; Rn]``.
    bW, bR : ndarray, shape ``(3Nn,)``
        Input and recurrent biases (kept apart: ``bRn`` sits inside the reset
        product).
    F : ndarray, shape ``(No, Nn)``
        Fully connected output layer.
    bF : ndarray, shape ``(No,)``
        Fully connected bias.
    h0 : ndarray, shape ``(Nn,)``
        Initial hidden state ``h(-1)``.
    linear_before_reset : bool
        Where the reset gate acts (see above); True by default.
    """

    cell: ClassVar[str] = "gru"
    GATES: ClassVar[tuple[str, ...]] = ("r", "z", "n")
    SHAPES: ClassVar[dict[str, tuple[_Dim, ...]]] = {
        "W": ("G", "ni"),
        "R": ("G", "nn"),
        "bW": ("G",),
        "bR": ("G",),
        "F": ("no", "nn"),
        "bF": ("no",),
        "h0": ("nn",),
    }
    STATES: ClassVar[tuple[str, ...]] = ("h",)
    FLAGS: ClassVar[tuple[str, ...]] = ("linear_before_reset",)

    W: np.ndarray
    R: np.ndarray
    bW: np.ndarray
    bR: np.ndarray
    F: np.ndarray
    bF: np.ndarray
    h0: np.ndarray
    linear_before_reset: bool = True

    def _check_flags(self) -> None:
        v = self.linear_before_reset
        if isinstance(v, np.ndarray | np.integer | np.bool_):
            v = v.item()
        if v not in (True, False, 0, 1) or isinstance(v, float):
            raise ValueError(f"linear_before_reset: expected True or False, got {v!r}")
        object.__setattr__(self, "linear_before_reset", bool(v))

    def _flag_arrays(self) -> dict[str, np.ndarray]:
        return {"linear_before_reset": np.array(int(self.linear_before_reset))}

    @classmethod
    def _flags_from(cls, found: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {"linear_before_reset": bool(_flag(found, "linear_before_reset", 1))}

    @classmethod
    def file_keys(cls) -> tuple[str, ...]:
        """Every key a GRU weights file holds."""
        return (*cls.keys(), "linear_before_reset")


@dataclass(frozen=True, eq=False)
class PeepholeParams(CellParams):
    """Weights and initial states of an LSTM layer with peepholes (+ FC layer).

    As the LSTM, with the cell state seen by the gates:
    ``i = σ(Wi u + Ri h + Pi ⊙ c(t-1) + bi)``, ``f = σ(Wf u + Rf h + Pf ⊙ c(t-1)
    + bf)``, ``o = σ(Wo u + Ro h + Po ⊙ c(t) + bo)`` (ONNX's ``LSTM`` with P).

    Attributes
    ----------
    W, R, b : ndarray, shapes ``(4Nn, Ni)``, ``(4Nn, Nn)``, ``(4Nn,)``
        As :class:`~blocksim_lstm.LSTMParams`, gate order i, f, g, o.
    P : ndarray, shape ``(3Nn,)``
        Peephole weights ``[Pi; Pf; Po]``.
    F, bF : ndarray, shapes ``(No, Nn)``, ``(No,)``
        Fully connected output layer.
    h0, c0 : ndarray, shape ``(Nn,)``
        Initial hidden and cell states.
    """

    cell: ClassVar[str] = "peephole"
    GATES: ClassVar[tuple[str, ...]] = ("i", "f", "g", "o")
    PEEPHOLES: ClassVar[tuple[str, ...]] = ("i", "f", "o")
    SHAPES: ClassVar[dict[str, tuple[_Dim, ...]]] = {
        "W": ("G", "ni"),
        "R": ("G", "nn"),
        "b": ("G",),
        "P": ("P",),
        "F": ("no", "nn"),
        "bF": ("no",),
        "h0": ("nn",),
        "c0": ("nn",),
    }
    STATES: ClassVar[tuple[str, ...]] = ("h", "c")

    W: np.ndarray
    R: np.ndarray
    b: np.ndarray
    P: np.ndarray
    F: np.ndarray
    bF: np.ndarray
    h0: np.ndarray
    c0: np.ndarray

    def peephole(self, gate: str) -> np.ndarray:
        """The peephole weights of gate ``"i"``, ``"f"`` or ``"o"``, shape ``(Nn,)``.

        Parameters
        ----------
        gate
            ``"i"``, ``"f"`` or ``"o"``.
        """
        if gate not in self.PEEPHOLES:
            raise ValueError(f"gate: expected one of {self.PEEPHOLES}, got {gate!r}")
        k = self.PEEPHOLES.index(gate)
        return self.P[k * self.nn : (k + 1) * self.nn]

    def lstm(self) -> LSTMParams:
        """The same layer without its peepholes (an ordinary LSTM)."""
        a = self.arrays()
        return LSTMParams(a["W"], a["R"], a["b"], a["F"], a["bF"], a["h0"], a["c0"])

    @classmethod
    def from_lstm(
        cls, params: LSTMParams, P: ArrayLike | None = None
    ) -> PeepholeParams:
        """An LSTM's weights with peepholes ``P`` (zeros by default).

        Parameters
        ----------
        params
            The LSTM layer.
        P : array_like, shape ``(3Nn,)``, optional
            Peephole weights ``[Pi; Pf; Po]``.
        """
        P_ = np.zeros(3 * params.nn) if P is None else P
        return cls.from_arrays(**params.arrays(), P=P_, dtype=params.dtype)


@dataclass(frozen=True, eq=False)
class RNNParams(CellParams):
    """Weights and initial state of an Elman RNN layer followed by an FC layer.

    ``h(t) = act(W u(t) + R h(t-1) + b)`` with ``act`` tanh or ReLU.

    Attributes
    ----------
    W : ndarray, shape ``(Nn, Ni)``
        Input weights.
    R : ndarray, shape ``(Nn, Nn)``
        Recurrent weights.
    b : ndarray, shape ``(Nn,)``
        Bias (PyTorch's ``b_ih + b_hh``).
    F, bF : ndarray, shapes ``(No, Nn)``, ``(No,)``
        Fully connected output layer.
    h0 : ndarray, shape ``(Nn,)``
        Initial hidden state.
    nonlinearity : str
        ``"tanh"`` (default) or ``"relu"``.
    """

    cell: ClassVar[str] = "rnn"
    GATES: ClassVar[tuple[str, ...]] = ("h",)
    SHAPES: ClassVar[dict[str, tuple[_Dim, ...]]] = {
        "W": ("G", "ni"),
        "R": ("G", "nn"),
        "b": ("G",),
        "F": ("no", "nn"),
        "bF": ("no",),
        "h0": ("nn",),
    }
    STATES: ClassVar[tuple[str, ...]] = ("h",)
    FLAGS: ClassVar[tuple[str, ...]] = ("nonlinearity",)

    W: np.ndarray
    R: np.ndarray
    b: np.ndarray
    F: np.ndarray
    bF: np.ndarray
    h0: np.ndarray
    nonlinearity: str = "tanh"

    def _check_flags(self) -> None:
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"nonlinearity: expected 'tanh' or 'relu', got {self.nonlinearity!r}"
            )

    def _flag_arrays(self) -> dict[str, np.ndarray]:
        return {"relu": np.array(int(self.nonlinearity == "relu"))}

    @classmethod
    def _flags_from(cls, found: Mapping[str, np.ndarray]) -> dict[str, Any]:
        return {"nonlinearity": "relu" if _flag(found, "relu", 0) else "tanh"}

    @classmethod
    def file_keys(cls) -> tuple[str, ...]:
        """Every key an RNN weights file holds."""
        return (*cls.keys(), "relu")


CELLS: dict[str, type] = {
    "lstm": LSTMParams,
    "gru": GRUParams,
    "peephole": PeepholeParams,
    "rnn": RNNParams,
}
"""Cell name -> its parameter class."""


def params_class(cell: str, *, what: str = "cell") -> type:
    """The parameter class of a cell name.

    Parameters
    ----------
    cell
        ``"lstm"``, ``"gru"``, ``"peephole"`` or ``"rnn"``.
    what
        The argument named in the error (``"--cell"``).

    Raises
    ------
    ValueError
        An unknown cell name; the message lists the known ones.
    """
    if not isinstance(cell, str) or cell not in CELLS:
        raise ValueError(f"{what}: expected one of {list(CELLS)}, got {cell!r}")
    return CELLS[cell]


def cell_name(params: object, *, what: str = "params") -> str:
    """The cell name of a parameter container (``"lstm"``, ``"gru"``, ...).

    Parameters
    ----------
    params
        An :class:`~blocksim_lstm.LSTMParams`, :class:`GRUParams`,
        :class:`PeepholeParams` or :class:`RNNParams`.
    what
        The argument named in the error.

    Raises
    ------
    TypeError
        Anything else.
    """
    for name, cls in CELLS.items():
        if type(params) is cls:
            return name
    raise TypeError(
        f"{what}: expected the parameters of a cell "
        f"({', '.join(c.__name__ for c in CELLS.values())}), "
        f"got {type(params).__name__}"
    )


def cell_of_file(path: str | os.PathLike[str], *, what: str = "weights") -> str:
    """Which cell a weights ``.npz`` belongs to, from its keys.

    Parameters
    ----------
    path
        The file.
    what
        The argument named in errors.

    Raises
    ------
    ValueError
        The keys fit no cell; the message lists them.
    """
    found = read_npz(path, what, (), every=True)
    kind = cell_of_keys(frozenset(found))
    if kind is None:
        raise ValueError(
            f"{what}: {path} holds the keys {sorted(found)}, which fit no cell; "
            + "; ".join(f"{c}: {sorted(REQUIRED_KEYS[c])}" for c in CELLS)
        )
    return kind


def load_cell(
    path: str | os.PathLike[str],
    cell: str | None = None,
    *,
    dtype: DTypeLike = np.float64,
    what: str = "weights",
) -> Any:
    """Read any cell's weights file.

    Parameters
    ----------
    path
        An ``.npz`` written by a parameter class's ``save``.
    cell
        The cell expected (``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``);
        None takes the file's own (:func:`cell_of_file`).
    dtype
        ``float64`` (default) or ``float32``.
    what
        The file's role in error messages (``"--weights"``).

    Returns
    -------
    LSTMParams, GRUParams, PeepholeParams or RNNParams

    Raises
    ------
    ValueError
        The file holds another cell's weights than ``cell`` (the message names
        both), or its arrays fail the checks.
    """
    if cell is None:
        cell = cell_of_file(path, what=what)
    cls = params_class(cell)
    if cls is LSTMParams:
        return LSTMParams.load(path, dtype=dtype, what=what)
    return cls.load(path, dtype=dtype, what=what)  # type: ignore[attr-defined]
