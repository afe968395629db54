"""What an import found: the layers, where they came from, and what was done.

One container for every cell (LSTM, GRU, LSTM with peepholes, Elman RNN): the
importers hand :func:`assemble` one dict of our arrays per layer (already in our
gate order) and the cell's name; the layers are built by the cell's parameter
class, so every cell is checked the same way.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .._parameters import LSTMParams
from ..cells import CellParams, cell_name, params_class
from ._gates import describe_order

__all__ = [
    "CELL_TITLES",
    "AnyParams",
    "ImportedNetwork",
    "UnsupportedModelError",
    "assemble",
    "describe_cell_order",
    "permute_blocks",
    "require",
    "state_keys",
]

AnyParams = LSTMParams | CellParams
"""The parameters of one layer of any cell."""

CELL_TITLES: dict[str, str] = {
    "lstm": "LSTM",
    "gru": "GRU",
    "peephole": "peephole LSTM",
    "rnn": "RNN",
}
"""How a cell is named in messages."""

# gate orders of the sources, in our letters, and how each is named
_GRU_ORDERS = {"rzn": "PyTorch: ours", "zrn": "ONNX's z, r, h"}


def permute_blocks(a: np.ndarray, source: str, target: str) -> np.ndarray:
    """Permute equal row blocks of ``a``, one per letter, from ``source`` to ``target``.

    Parameters
    ----------
    a : ndarray, shape ``(k n, ...)``
        ``k = len(source)`` blocks of ``n`` rows, stacked in the order ``source``.
    source, target
        The same ``k`` distinct letters in two orders (``"zrn"``, ``"rzn"``).

    Returns
    -------
    ndarray, shape ``(k n, ...)``
        A new array, blocks in the order ``target``.

    Raises
    ------
    ValueError
        The orders are not permutations of each other, or ``a`` has not ``k n``
        rows.
    """
    if sorted(source) != sorted(target) or len(set(source)) != len(source):
        raise ValueError(
            f"source, target: expected two orders of the same distinct letters, "
            f"got {source!r} and {target!r}"
        )
    a = np.asarray(a)
    k = len(source)
    if a.ndim < 1 or a.shape[0] % k:
        raise ValueError(f"a: expected {k}n rows ({k} blocks), got shape {a.shape}")
    n = a.shape[0] // k
    blocks = {g: a[j * n : (j + 1) * n] for j, g in enumerate(source)}
    return np.concatenate([blocks[g] for g in target], axis=0)


def describe_cell_order(cell: str, order: str) -> str:
    """``("gru", "zrn")`` -> ``"gate order z, r, n (ONNX's z, r, h) -> ours r, z, n"``.

    Parameters
    ----------
    cell
        ``"lstm"``, ``"gru"``, ``"peephole"`` or ``"rnn"``.
    order
        The source's gate order in our letters (``"iofg"``, ``"zrn"``, ``"h"``).
    """
    if cell in ("lstm", "peephole"):
        return f"gate order {describe_order(order)} -> ours i, f, g, o"
    if cell == "gru":
        known = _GRU_ORDERS.get(order)
        text = ", ".join(order) + (f" ({known})" if known else "")
        return f"gate order {text} -> ours r, z, n"
    return "one gate block (no order to convert)"


def state_keys(params: AnyParams) -> tuple[str, ...]:
    """The initial-state keys of a layer: ``("h0", "c0")`` or ``("h0",)``.

    Parameters
    ----------
    params
        Any cell's parameters.
    """
    if isinstance(params, LSTMParams):
        return ("h0", "c0")
    return tuple(f"{s}0" for s in params.STATES)


def _settings(params: AnyParams) -> str:
    """A layer's settings in words (``linear_before_reset=1``, ``relu``)."""
    if isinstance(params, LSTMParams):
        return ""
    flags = params.flags()
    if "linear_before_reset" in flags:
        return f", linear_before_reset={int(flags['linear_before_reset'])}"
    if "nonlinearity" in flags:
        return f", nonlinearity {flags['nonlinearity']}"
    return ""


class UnsupportedModelError(ValueError):
    """A model that holds something we cannot represent (peepholes, ...)."""


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Parameters
    ----------
    module
        Module name (``"torch"``, ``"onnx"``, ``"onnxruntime"``, ``"keras"``).
    extra
        The extra of blocksim-lstm that installs it (``"torch"``).

    Raises
    ------
    ModuleNotFoundError
        The module is missing; the message names ``pip install 'blocksim-lstm[extra]'``.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module.split(".")[0]:
            raise
        raise ModuleNotFoundError(
            f"{module} is not installed; install the extra with "
            f"pip install 'blocksim-lstm[{extra}]'",
            name=module,
        ) from exc


@dataclass(frozen=True)
class ImportedNetwork:
    """Layers read from another framework's file or objects.

    Attributes
    ----------
    layers : tuple of LSTMParams, GRUParams, PeepholeParams or RNNParams
        First to last, all of one cell (:attr:`cell`); LSTM layers are ready
        for :func:`blocksim_lstm.build_stacked_diagram`, any cell's run layer
        after layer by :func:`blocksim_lstm.cells.cell_reference`.
        Every layer but the last has ``F = I`` and ``bF = 0`` (its output is its
        hidden state ``h``, the next layer's input); the last layer holds the FC
        layer (``F = I`` too when the model has none).
    source : str
        What was read (a file name, or ``"nn.LSTM"``).
    kind : str
        ``"PyTorch"``, ``"ONNX"``, ``"Keras"`` or ``"weights .npz"``.
    order : str
        Gate order of the source, in our letters (``"iofg"`` for ONNX's LSTM,
        ``"zrn"`` for its GRU, ``"h"`` for an RNN's one block).
    notes : tuple of str
        What was done on the way (biases summed, states defaulted, ...).
    fc : str
        What the FC layer came from (``"none (F = I)"`` when absent).
    """

    layers: tuple[Any, ...]
    source: str
    kind: str
    order: str
    fc: str
    notes: tuple[str, ...] = field(default=())

    @property
    def cell(self) -> str:
        """The cell of the layers: ``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``."""
        return cell_name(self.layers[0], what="layers")

    def layer(self, k: int | None) -> Any:
        """Layer ``k`` (1-based); ``None`` is allowed for a one-layer network.

        Parameters
        ----------
        k
            The layer number, 1..number of layers, or None.

        Raises
        ------
        ValueError
            ``k`` out of range, or ``None`` for several layers.
        """
        n = len(self.layers)
        if k is None:
            if n == 1:
                return self.layers[0]
            raise ValueError(
                f"--layer: {self.source} holds {n} {CELL_TITLES[self.cell]} layers "
                "and a weights .npz "
                f"holds one; choose one with --layer 1..{n}, or --layer all for "
                f"one file per layer (layers before the "
                "last get F = I, so each outputs its h, the next layer's input)"
            )
        if (
            isinstance(k, bool)
            or not isinstance(k, (int, np.integer))
            or not (1 <= k <= n)
        ):
            raise ValueError(
                f"--layer: expected a layer number 1..{n} of {self.source}, got {k!r}"
            )
        return self.layers[int(k) - 1]

    def describe(self) -> str:
        """Several lines: sizes, gate order, layers, FC layer, notes."""
        n = len(self.layers)
        lines = [
            f"read {self.source}: {self.kind}, {n} {CELL_TITLES[self.cell]} "
            f"layer{'s' * (n > 1)}, {describe_cell_order(self.cell, self.order)}"
        ]
        for k, p in enumerate(self.layers, start=1):
            given = any(np.any(getattr(p, s)) for s in state_keys(p))
            states = "non-zero initial states" if given else "zero initial states"
            lines.append(f"  layer {k}: Ni={p.ni} Nn={p.nn}, {states}{_settings(p)}")
        last = self.layers[-1]
        lines.append(f"  FC layer: {self.fc}, No={last.no}")
        lines.extend(f"  note: {t}" for t in self.notes)
        return "\n".join(lines)


def assemble(
    cells: list[dict[str, Any]],
    F: np.ndarray | None,
    bF: np.ndarray | None,
    *,
    source: str,
    fc_name: str,
    cell: str = "lstm",
) -> list[Any]:
    """Build the layers from per-layer arrays (ours) and an FC layer.

    Parameters
    ----------
    cells
        One dict per layer with the cell's arrays but ``F``, ``bF`` (LSTM:
        ``W (4Nn, Ni)``, ``R (4Nn, Nn)``, ``b (4Nn,)``, ``h0``, ``c0``; GRU:
        ``W``, ``R``, ``bW``, ``bR``, ``h0``; ...) already in our gate order,
        and its settings (``linear_before_reset``, ``nonlinearity``).
    F : ndarray, shape ``(No, Nn)``, or None
        FC weights of the last layer (None: ``F = I``).
    bF : ndarray, shape ``(No,)``, or None
        FC bias (None: zeros).
    source, fc_name
        For messages.
    cell
        ``"lstm"`` (default), ``"gru"``, ``"peephole"`` or ``"rnn"``.

    Returns
    -------
    list of the cell's parameters (:data:`blocksim_lstm.cells.CELLS`)

    Raises
    ------
    ValueError
        Sizes of consecutive layers or of the FC layer do not fit, or a layer's
        arrays fail the cell's checks (the message names the layer).
    """
    cls: Any = params_class(cell)
    title = CELL_TITLES[cell]
    layers: list[Any] = []
    for k, arrays in enumerate(cells):
        nn = arrays["R"].shape[1]
        if k and arrays["W"].shape[1] != layers[-1].nn:
            raise ValueError(
                f"{source}: {title} layer {k + 1} takes {arrays['W'].shape[1]} inputs "
                f"but layer {k} has {layers[-1].nn} units"
            )
        last = k == len(cells) - 1
        if last and F is not None:
            if F.ndim != 2 or F.shape[1] != nn:
                raise ValueError(
                    f"{source}: the FC layer {fc_name} has weights of shape "
                    f"{F.shape} (No, inputs) but the last {title} layer has {nn} "
                    "units; "
                    f"expected (No, {nn})"
                )
            if bF is not None and bF.shape != (F.shape[0],):
                raise ValueError(
                    f"{source}: the FC layer {fc_name} has {F.shape[0]} outputs but "
                    f"a bias of shape {bF.shape}"
                )
            f, fb = F, (np.zeros(F.shape[0]) if bF is None else bF)
        else:
            f, fb = np.eye(nn), np.zeros(nn)
        try:
            layers.append(cls.from_arrays(**arrays, F=f, bF=fb))
        except ValueError as exc:
            raise ValueError(f"{source}: {title} layer {k + 1}: {exc}") from exc
    return layers
