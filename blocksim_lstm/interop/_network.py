"""What an import found: the layers, where they came from, and what was done."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from .._parameters import LSTMParams
from ._gates import describe_order

__all__ = ["ImportedNetwork", "UnsupportedModelError", "assemble", "require"]


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
    layers : tuple of LSTMParams
        First to last, ready for :func:`blocksim_lstm.build_stacked_diagram`.
        Every layer but the last has ``F = I`` and ``bF = 0`` (its output is its
        hidden state ``h``, the next layer's input); the last layer holds the FC
        layer (``F = I`` too when the model has none).
    source : str
        What was read (a file name, or ``"nn.LSTM"``).
    kind : str
        ``"PyTorch"``, ``"ONNX"``, ``"Keras"`` or ``"weights .npz"``.
    order : str
        Gate order of the source, in our letters (``"iofg"`` for ONNX).
    notes : tuple of str
        What was done on the way (biases summed, states defaulted, ...).
    fc : str
        What the FC layer came from (``"none (F = I)"`` when absent).
    """

    layers: tuple[LSTMParams, ...]
    source: str
    kind: str
    order: str
    fc: str
    notes: tuple[str, ...] = field(default=())

    def layer(self, k: int | None) -> LSTMParams:
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
                f"--layer: {self.source} holds {n} LSTM layers and a weights .npz "
                f"holds one; choose one with --layer 1..{n} (layers before the "
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
            f"read {self.source}: {self.kind}, {n} LSTM layer{'s' * (n > 1)}, "
            f"gate order {describe_order(self.order)} -> ours i, f, g, o"
        ]
        for k, p in enumerate(self.layers, start=1):
            states = (
                "zero initial states"
                if not (np.any(p.h0) or np.any(p.c0))
                else "non-zero initial states"
            )
            lines.append(f"  layer {k}: Ni={p.ni} Nn={p.nn}, {states}")
        last = self.layers[-1]
        lines.append(f"  FC layer: {self.fc}, No={last.no}")
        lines.extend(f"  note: {t}" for t in self.notes)
        return "\n".join(lines)


def assemble(
    cells: list[dict[str, np.ndarray]],
    F: np.ndarray | None,
    bF: np.ndarray | None,
    *,
    source: str,
    fc_name: str,
) -> list[LSTMParams]:
    """Build the layers from per-layer ``W, R, b, h0, c0`` (ours) and an FC layer.

    Parameters
    ----------
    cells
        One dict per layer with ``W (4Nn, Ni)``, ``R (4Nn, Nn)``, ``b (4Nn,)``,
        ``h0``, ``c0`` (``(Nn,)``), already in our gate order.
    F : ndarray, shape ``(No, Nn)``, or None
        FC weights of the last layer (None: ``F = I``).
    bF : ndarray, shape ``(No,)``, or None
        FC bias (None: zeros).
    source, fc_name
        For messages.

    Raises
    ------
    ValueError
        Sizes of consecutive layers or of the FC layer do not fit.
    """
    layers: list[LSTMParams] = []
    for k, cell in enumerate(cells):
        nn = cell["R"].shape[1]
        if k and cell["W"].shape[1] != layers[-1].nn:
            raise ValueError(
                f"{source}: LSTM layer {k + 1} takes {cell['W'].shape[1]} inputs "
                f"but layer {k} has {layers[-1].nn} units"
            )
        last = k == len(cells) - 1
        if last and F is not None:
            if F.ndim != 2 or F.shape[1] != nn:
                raise ValueError(
                    f"{source}: the FC layer {fc_name} has weights of shape "
                    f"{F.shape} (No, inputs) but the last LSTM layer has {nn} units; "
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
            layers.append(
                LSTMParams.from_arrays(
                    cell["W"], cell["R"], cell["b"], f, fb, cell["h0"], cell["c0"]
                )
            )
        except ValueError as exc:
            raise ValueError(f"{source}: LSTM layer {k + 1}: {exc}") from exc
    return layers
