"""Keras 3: read a ``.keras`` file holding ``LSTM`` layers and a ``Dense`` layer.

Keras stores an LSTM's ``kernel`` as ``(Ni, 4Nn)``, ``recurrent_kernel`` as
``(Nn, 4Nn)`` and ``bias`` as ``(4Nn,)``, the gate blocks as columns in the
order i, f, c, o (ours, with c for g): ``W = kernel.T``, ``R =
recurrent_kernel.T``. ``unit_forget_bias`` only sets the initial bias; the
stored bias is what runs. Keras is imported with ``KERAS_BACKEND=torch``
unless the environment names another backend.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ._network import ImportedNetwork, UnsupportedModelError, assemble, require
from ._sniff import file_kind

__all__ = ["import_keras", "read_keras"]

# layers that do nothing at inference
_PASS = {"InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "Activation"}


def import_keras() -> Any:
    """Import Keras 3, with the torch backend unless ``KERAS_BACKEND`` is set.

    Raises
    ------
    ModuleNotFoundError
        Keras (or its backend) is missing: the extra ``[keras]``.
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = require("keras", "keras")
    if not hasattr(keras, "version") or not keras.version().startswith("3"):
        raise ModuleNotFoundError(
            "Keras 3 is needed for .keras files; install the extra with "
            "pip install 'blocksim-lstm[keras]'",
            name="keras",
        )
    return keras


def _weights(layer: Any) -> dict[str, np.ndarray]:
    """A layer's weights by their last name (``kernel``, ``bias``...), float64."""
    with warnings.catch_warnings():
        # torch tensors warn under numpy 2 when Keras converts them: not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        return {
            w.path.split("/")[-1]: np.array(w.numpy(), dtype=np.float64)
            for w in layer.weights
        }


def _lstm_cell(layer: Any, source: str) -> dict[str, np.ndarray]:
    cfg = layer.get_config()
    where = f"{source}: LSTM layer {layer.name!r}"
    for key, want in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
        got = cfg.get(key, want)
        if got != want:
            raise UnsupportedModelError(
                f"{where}: {key}={got!r} is not supported (only {want!r})"
            )
    if cfg.get("go_backwards"):
        raise UnsupportedModelError(f"{where}: go_backwards=True is not supported")
    weights = _weights(layer)
    kernel, rec = weights.get("kernel"), weights.get("recurrent_kernel")
    if kernel is None or rec is None:
        raise ValueError(f"{where}: no kernel/recurrent_kernel weights (not built?)")
    nn = rec.shape[0]
    bias = weights.get("bias", np.zeros(4 * nn))
    return {
        "W": kernel.T,
        "R": rec.T,
        "b": bias,
        "h0": np.zeros(nn),
        "c0": np.zeros(nn),
    }


def read_keras(path: str | os.PathLike[str]) -> ImportedNetwork:
    """Read the LSTM layers and the Dense layer of a Keras 3 ``.keras`` model.

    Parameters
    ----------
    path
        A ``.keras`` file (``model.save``) of a model whose layers are, in
        order, one or more ``LSTM`` (tanh/sigmoid, forward) and at most one
        ``Dense`` with a linear activation; ``InputLayer`` and ``Dropout`` are
        skipped (inactive at inference). Loaded with ``safe_mode=True``.

    Returns
    -------
    ImportedNetwork
        Initial states zero (Keras keeps none in a model).

    Raises
    ------
    ValueError
        Another kind of file; other layers (Bidirectional, LayerNormalization,
        ...) or a non-linear Dense, named; FC sizes that do not fit.
    ModuleNotFoundError
        Keras is missing (extra ``[keras]``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE: no such file {path}")
    kind = file_kind(path)
    if kind != "a Keras .keras archive":
        raise ValueError(
            f"FILE: {path} is {kind}, not a Keras 3 .keras archive (model.save)"
        )
    keras = import_keras()
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # keras raises many kinds on a bad archive
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise ValueError(
            f"FILE: {path}: Keras could not load it ({type(exc).__name__}: {first})"
        ) from exc
    source = str(path)
    cells: list[dict[str, np.ndarray]] = []
    F = bF = None
    fc_name = "none (F = I: the output is h)"
    notes = ["initial states: zero (a Keras model stores none)"]
    returns_seq = True
    for layer in model.layers:
        cls = type(layer).__name__
        if cls in _PASS:
            if cls == "Activation" and layer.get_config().get("activation") != "linear":
                raise UnsupportedModelError(
                    f"{source}: layer {layer.name!r} applies "
                    f"{layer.get_config().get('activation')!r}; not supported"
                )
            continue
        if cls == "LSTM":
            if F is not None:
                raise UnsupportedModelError(
                    f"{source}: LSTM layer {layer.name!r} after the Dense layer; "
                    "supported: LSTM layers, then one Dense"
                )
            if cells and not returns_seq:
                raise UnsupportedModelError(
                    f"{source}: the LSTM before {layer.name!r} returns its last "
                    "step only (return_sequences=False)"
                )
            cells.append(_lstm_cell(layer, source))
            returns_seq = bool(layer.get_config().get("return_sequences", False))
            continue
        if cls == "Dense" and cells and F is None:
            cfg = layer.get_config()
            if cfg.get("activation", "linear") not in ("linear", None):
                raise UnsupportedModelError(
                    f"{source}: Dense layer {layer.name!r} has activation "
                    f"{cfg['activation']!r}; only a linear FC layer is supported"
                )
            ws = _weights(layer)
            F = ws["kernel"].T
            bF = ws.get("bias")
            fc_name = f"Dense {layer.name!r} ({F.shape[1]} -> {F.shape[0]})"
            continue
        what = {
            "Bidirectional": "a bidirectional LSTM",
            "LayerNormalization": "layer normalization",
        }.get(cls, f"a {cls} layer")
        raise UnsupportedModelError(
            f"{source}: layer {layer.name!r} is {what}; supported: LSTM layers, then "
            "one linear Dense"
        )
    if not cells:
        names = [type(la).__name__ for la in model.layers]
        raise ValueError(f"FILE: {path} holds no LSTM layer; its layers are {names}")
    if not returns_seq:
        notes.append(
            "the last LSTM has return_sequences=False: Keras outputs the last step "
            "only, the diagram every step (compare the last row)"
        )
    layers = assemble(cells, F, bF, source=source, fc_name=fc_name)
    return ImportedNetwork(
        tuple(layers), source, "Keras", "ifgo", fc_name, tuple(notes)
    )
