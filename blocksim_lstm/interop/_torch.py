"""PyTorch: ``nn.LSTM`` (+ ``nn.Linear``) to our layers and back.

PyTorch's gate order is ours (i, f, g, o). Each layer has two biases,
``bias_ih`` and ``bias_hh``, which always appear summed: ``b = b_ih + b_hh``.
The weights do not depend on ``batch_first``. Initial states are not part of a
module: pass them (``h0``, ``c0``) as you pass them to ``lstm(x, (h0, c0))``.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._files import atomic_target
from .._parameters import LSTMParams
from ._network import ImportedNetwork, UnsupportedModelError, assemble, require
from ._sniff import file_kind

__all__ = [
    "TorchNetwork",
    "from_torch",
    "read_torch",
    "to_torch",
    "torch_layers",
    "write_torch",
]

_LAYER_KEY = re.compile(
    r"^(?P<prefix>.*?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"_l(?P<k>\d+)(?P<rev>_reverse)?$"
)
_CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


class TorchNetwork(NamedTuple):
    """What :func:`to_torch` builds: call ``lstm(x, (h0, c0))`` then ``linear``.

    Attributes
    ----------
    lstm : torch.nn.LSTM
        ``batch_first=True``, ``num_layers`` = number of layers.
    linear : torch.nn.Linear
        The FC layer of the last layer (``F``, ``bF``).
    h0, c0 : torch.Tensor, shape ``(num_layers, 1, Nn)``
        Initial states, one batch row; ``expand(-1, batch, -1)`` for more.
    """

    lstm: Any
    linear: Any
    h0: Any
    c0: Any


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().cpu().double().numpy())


def _states(
    name: str, value: ArrayLike | None, layers: int, nn: int
) -> list[np.ndarray]:
    """Initial states as given to ``nn.LSTM``: ``(L, Nn)``, ``(L, 1, Nn)``."""
    if value is None:
        return [np.zeros(nn) for _ in range(layers)]
    if hasattr(value, "detach"):
        value = _np(value)
    a = np.asarray(value, dtype=float)
    if a.shape == (nn,) and layers == 1:
        a = a[None]
    if a.ndim == 3 and a.shape[1] == 1:
        a = a[:, 0]
    if a.shape != (layers, nn):
        raise ValueError(
            f"{name}: expected shape ({layers}, {nn}) or ({layers}, 1, {nn}) "
            f"(num_layers, [batch 1,] hidden_size), got shape {a.shape}"
        )
    return list(a)


def _check_modules(lstm: Any, linear: Any) -> Any:
    torch = require("torch", "torch")
    if not isinstance(lstm, torch.nn.LSTM):
        raise ValueError(f"lstm: expected a torch.nn.LSTM, got {type(lstm).__name__}")
    if lstm.bidirectional:
        raise UnsupportedModelError(
            "lstm: a bidirectional nn.LSTM is not supported (one direction only: "
            "the diagram is causal)"
        )
    if getattr(lstm, "proj_size", 0):
        raise UnsupportedModelError(
            f"lstm: nn.LSTM with proj_size={lstm.proj_size} is not supported "
            "(h is projected: our cell has no projection)"
        )
    if linear is not None and not isinstance(linear, torch.nn.Linear):
        raise ValueError(
            f"linear: expected a torch.nn.Linear or None, got {type(linear).__name__}"
        )
    return torch


def torch_layers(
    lstm: Any,
    linear: Any = None,
    *,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
) -> list[LSTMParams]:
    """Every layer of an ``nn.LSTM`` (+ ``nn.Linear``) as our parameters.

    Parameters
    ----------
    lstm : torch.nn.LSTM
        One direction, no projection; any ``num_layers``, dtype, ``batch_first``.
    linear : torch.nn.Linear, optional
        The FC layer after the last layer (weight ``(No, Nn)``); without it the
        last layer gets ``F = I`` (the output is ``h``).
    h0, c0 : array_like or Tensor, shape ``(num_layers, Nn)`` or ``(num_layers, 1, Nn)``
        Initial states, as passed to ``lstm(x, (h0, c0))``; default zeros.

    Returns
    -------
    list of LSTMParams
        For :func:`blocksim_lstm.build_stacked_diagram`: layers before the last
        have ``F = I``; biases are ``bias_ih + bias_hh``; float64.

    Raises
    ------
    ValueError
        Not an ``nn.LSTM``; bidirectional or ``proj_size > 0``; a Linear whose
        ``in_features`` is not the LSTM's ``hidden_size``; bad state shapes.
    ModuleNotFoundError
        PyTorch is missing (extra ``[torch]``).
    """
    _check_modules(lstm, linear)
    sd = {k: v for k, v in lstm.state_dict().items()}
    if linear is not None:
        sd.update({f"fc.{k}": v for k, v in linear.state_dict().items()})
    net = _from_state_dict(
        sd, "nn.LSTM", fc_prefix="fc." if linear is not None else None
    )
    nn, nl = lstm.hidden_size, lstm.num_layers
    hs = _states("h0", h0, nl, nn)
    cs = _states("c0", c0, nl, nn)
    return [p.replace(h0=h, c0=c) for p, h, c in zip(net.layers, hs, cs, strict=True)]


def from_torch(
    lstm: Any,
    linear: Any = None,
    *,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
    layer: int | None = None,
) -> LSTMParams:
    """One layer of an ``nn.LSTM`` (+ ``nn.Linear``) as our parameters.

    Parameters
    ----------
    lstm, linear, h0, c0
        As in :func:`torch_layers`.
    layer
        Which layer (1-based) when ``num_layers > 1``; layers before the last
        get ``F = I``.

    Returns
    -------
    LSTMParams
        float64.

    Raises
    ------
    ValueError
        As :func:`torch_layers`; a multi-layer LSTM without ``layer``.
    """
    layers = torch_layers(lstm, linear, h0=h0, c0=c0)
    if layer is None and len(layers) > 1:
        raise ValueError(
            f"layer: the nn.LSTM has {len(layers)} layers; pass layer=1..{len(layers)} "
            "or use torch_layers() for the list (build_stacked_diagram)"
        )
    net = ImportedNetwork(tuple(layers), "nn.LSTM", "PyTorch", "ifgo", "nn.Linear")
    return net.layer(layer)


def _as_layers(
    params: LSTMParams | list[LSTMParams] | tuple[LSTMParams, ...],
) -> list[LSTMParams]:
    layers = [params] if isinstance(params, LSTMParams) else list(params)
    if not layers or not all(isinstance(p, LSTMParams) for p in layers):
        raise ValueError("params: expected an LSTMParams or a non-empty list of them")
    nn = layers[0].nn
    for k, p in enumerate(layers):
        if p.nn != nn:
            raise ValueError(
                f"params: nn.LSTM needs the same hidden_size in every layer; layer 1 "
                f"has Nn={nn}, layer {k + 1} has Nn={p.nn}"
            )
        if k and p.ni != nn:
            raise ValueError(
                f"params: layer {k + 1} takes Ni={p.ni} inputs, expected {nn} (the "
                "units of the layer before)"
            )
    return layers


def to_torch(
    params: LSTMParams | list[LSTMParams] | tuple[LSTMParams, ...],
    *,
    dtype: str = "float64",
) -> TorchNetwork:
    """Build ``nn.LSTM`` + ``nn.Linear`` holding our weights.

    Parameters
    ----------
    params
        One layer, or stacked layers with the same Nn (PyTorch's restriction);
        the last layer's ``F``, ``bF`` become the Linear.
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Returns
    -------
    TorchNetwork
        ``(lstm, linear, h0, c0)``; ``bias_ih = b``, ``bias_hh = 0``;
        ``batch_first=True``.

    Raises
    ------
    ValueError
        Layers of different Nn, or sizes that do not chain.
    ModuleNotFoundError
        PyTorch is missing (extra ``[torch]``).
    """
    torch = require("torch", "torch")
    layers = _as_layers(params)
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype: expected 'float64' or 'float32', got {dtype!r}")
    tdt = getattr(torch, dtype)
    first, last = layers[0], layers[-1]
    lstm = torch.nn.LSTM(
        first.ni, first.nn, num_layers=len(layers), batch_first=True, dtype=tdt
    )
    linear = torch.nn.Linear(last.nn, last.no, dtype=tdt)
    with torch.no_grad():
        for k, p in enumerate(layers):
            getattr(lstm, f"weight_ih_l{k}").copy_(torch.from_numpy(p.W.copy()))
            getattr(lstm, f"weight_hh_l{k}").copy_(torch.from_numpy(p.R.copy()))
            getattr(lstm, f"bias_ih_l{k}").copy_(torch.from_numpy(p.b.copy()))
            getattr(lstm, f"bias_hh_l{k}").zero_()
        linear.weight.copy_(torch.from_numpy(last.F.copy()))
        linear.bias.copy_(torch.from_numpy(last.bF.copy()))
    h0 = torch.tensor(np.stack([p.h0 for p in layers])[:, None, :], dtype=tdt)
    c0 = torch.tensor(np.stack([p.c0 for p in layers])[:, None, :], dtype=tdt)
    return TorchNetwork(lstm, linear, h0, c0)


# ------------------------------------------------------------------ state dicts


def _from_state_dict(
    sd: Mapping[str, Any], source: str, *, fc_prefix: str | None = None
) -> ImportedNetwork:
    """Our layers from a flat state dict of one ``nn.LSTM`` and at most one Linear."""
    lstm_keys: dict[str, dict[int, dict[str, Any]]] = {}
    rest: dict[str, Any] = {}
    for key, val in sd.items():
        m = _LAYER_KEY.match(key)
        if m is None:
            rest[key] = val
            continue
        if m["rev"]:
            raise UnsupportedModelError(
                f"{source}: a bidirectional LSTM ({key}) is not supported "
                "(one direction only)"
            )
        if m["kind"] == "weight_hr":
            raise UnsupportedModelError(
                f"{source}: an LSTM with a projection (proj_size > 0, {key}) is "
                "not supported"
            )
        lstm_keys.setdefault(m["prefix"], {}).setdefault(int(m["k"]), {})[m["kind"]] = (
            val
        )
    if not lstm_keys:
        raise ValueError(
            f"{source}: found no LSTM weights (keys like 'weight_ih_l0'); its keys "
            f"are {sorted(sd)[:8]}"
        )
    if len(lstm_keys) > 1:
        names = sorted(p.rstrip(".") or "(top level)" for p in lstm_keys)
        raise UnsupportedModelError(
            f"{source}: found {len(lstm_keys)} LSTM modules ({', '.join(names)}); "
            "one nn.LSTM (of any num_layers) is supported"
        )
    prefix, by_layer = next(iter(lstm_keys.items()))
    if sorted(by_layer) != list(range(len(by_layer))):
        raise ValueError(f"{source}: LSTM layers {sorted(by_layer)} are not 0..n-1")
    h0 = rest.pop("h0", None)
    c0 = rest.pop("c0", None)
    notes = ["biases: bias_ih + bias_hh summed"]
    cells = []
    for k in range(len(by_layer)):
        d = by_layer[k]
        for need in ("weight_ih", "weight_hh"):
            if need not in d:
                raise ValueError(f"{source}: {prefix}{need}_l{k} is missing")
        W, R = _np(d["weight_ih"]), _np(d["weight_hh"])
        if R.ndim != 2 or R.shape[0] != 4 * R.shape[1]:
            raise ValueError(
                f"{source}: {prefix}weight_hh_l{k} has shape {R.shape}; expected "
                "(4*hidden_size, hidden_size)"
            )
        nn = R.shape[1]
        b = np.zeros(4 * nn)
        for kind in ("bias_ih", "bias_hh"):
            if kind in d:
                b = b + _np(d[kind])
        cells.append({"W": W, "R": R, "b": b})
    nl, nn = len(cells), cells[-1]["R"].shape[1]
    for name, val, key in (("h0", h0, "h0"), ("c0", c0, "c0")):
        states = _states(f"{source}: {key}", val, nl, cells[0]["R"].shape[1])
        for cell, s in zip(cells, states, strict=True):
            cell[name] = s
    if h0 is None and c0 is None:
        notes.append("initial states: zero (a PyTorch module stores none)")
    # the FC layer: one 2-D '<p>weight' (+ '<p>bias') left over
    weights = {k[: -len("weight")]: v for k, v in rest.items() if k.endswith("weight")}
    if fc_prefix is not None:
        weights = {fc_prefix: rest[fc_prefix + "weight"]}
    linear = {p: w for p, w in weights.items() if getattr(w, "ndim", 0) == 2}
    if len(linear) > 1:
        raise UnsupportedModelError(
            f"{source}: found {len(linear)} linear layers "
            f"({', '.join(p.rstrip('.') for p in sorted(linear))}); one nn.Linear "
            "after the LSTM is supported"
        )
    F = bF = None
    fc_name = "none (F = I: the output is h)"
    used: set[str] = set()
    if linear:
        p, w = next(iter(linear.items()))
        F = _np(w)
        bF = _np(rest[p + "bias"]) if p + "bias" in rest else None
        used = {p + "weight", p + "bias"}
        fc_name = (
            f"nn.Linear {p.rstrip('.') or 'weight'} ({F.shape[1]} -> {F.shape[0]})"
        )
    other = sorted(k for k in rest if k not in used)
    if other:
        raise UnsupportedModelError(
            f"{source}: holds parameters we cannot place: {other[:6]} (supported: "
            "one nn.LSTM and one nn.Linear after it; no layer norm, embedding, ...)"
        )
    layers = assemble(cells, F, bF, source=source, fc_name=fc_name)
    return ImportedNetwork(
        tuple(layers), source, "PyTorch", "ifgo", fc_name, tuple(notes)
    )


# ---------------------------------------------------------------------- files


def _load(path: Path, trust: bool) -> Any:
    torch = require("torch", "torch")
    kind = file_kind(path)
    if kind not in ("a PyTorch file", "a pickle"):
        raise ValueError(
            f"FILE: {path} is {kind}, not a PyTorch .pt/.pth file (a state dict or "
            "a module saved with torch.save)"
        )
    safe = [
        torch.nn.LSTM,
        torch.nn.Linear,
        torch.nn.Sequential,
        torch.nn.ModuleList,
        torch.nn.ModuleDict,
        torch.nn.Dropout,
        torch.nn.Identity,
        torch.nn.Parameter,
        set,
    ]
    try:
        if trust:
            return torch.load(path, map_location="cpu", weights_only=False)
        with torch.serialization.safe_globals(safe):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        m = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        what = m.group(1) if m else "a class outside torch.nn"
        raise ValueError(
            f"FILE: {path} holds a pickled {what}; loading it would run its code. "
            "Save a state dict (torch.save(model.state_dict(), ...)), or pass "
            "--trust-pickle (Python: trust=True) if you trust the file and its "
            "class is importable"
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(
            f"FILE: {path} is not a readable PyTorch file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:100] if str(exc) else ''})"
        ) from exc


def read_torch(path: str | os.PathLike[str], *, trust: bool = False) -> ImportedNetwork:
    """Read a ``.pt``/``.pth`` file: a state dict, a checkpoint, or a module.

    Parameters
    ----------
    path
        A file written by ``torch.save``: a state dict (of a module holding one
        ``nn.LSTM`` and at most one ``nn.Linear``), a checkpoint dict with such
        a state dict under ``"state_dict"``, ``"model_state_dict"`` or
        ``"model"``, or a whole module. Top-level keys ``h0``, ``c0``
        (``(num_layers, Nn)``) are read as initial states (what
        :func:`write_torch` writes).
    trust
        Unpickle arbitrary classes (a whole module of your own class). Off by
        default: only ``torch.nn`` containers load.

    Returns
    -------
    ImportedNetwork

    Raises
    ------
    ValueError
        Another kind of file, an unsupported variant (bidirectional,
        projection, extra layers), mismatched FC sizes.
    """
    torch = require("torch", "torch")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE: no such file {path}")
    obj = _load(path, trust)
    notes: list[str] = []
    if isinstance(obj, torch.nn.Module):
        notes.append(f"a whole module ({type(obj).__name__}) was read")
        obj = obj.state_dict()
    if isinstance(obj, Mapping) and not any(
        isinstance(v, torch.Tensor) for v in obj.values()
    ):
        for key in _CHECKPOINT_KEYS:
            inner = obj.get(key)
            if isinstance(inner, torch.nn.Module):
                inner = inner.state_dict()
            if isinstance(inner, Mapping):
                notes.append(
                    f"the state dict under the checkpoint key {key!r} was read"
                )
                obj = inner
                break
    if isinstance(obj, Mapping) and any(
        isinstance(v, torch.nn.Module) for v in obj.values()
    ):
        notes.append("a dict of modules was read")
        obj = {
            f"{k}.{kk}": vv
            for k, v in obj.items()
            if isinstance(v, torch.nn.Module)
            for kk, vv in v.state_dict().items()
        }
    if not isinstance(obj, Mapping):
        raise ValueError(
            f"FILE: {path} holds a {type(obj).__name__}, expected a state dict or "
            "an nn.Module"
        )
    sd = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    net = _from_state_dict(sd, str(path))
    return ImportedNetwork(
        net.layers, net.source, net.kind, net.order, net.fc, (*notes, *net.notes)
    )


def write_torch(
    params: LSTMParams | list[LSTMParams] | tuple[LSTMParams, ...],
    path: str | os.PathLike[str],
    *,
    dtype: str = "float64",
) -> Path:
    """Save our weights as a PyTorch state dict (written atomically).

    The keys are ``lstm.*`` (an ``nn.LSTM(batch_first=True)`` state dict),
    ``fc.weight``, ``fc.bias`` and ``h0``, ``c0`` (shape ``(num_layers, 1, Nn)``)::

        sd = torch.load(path)
        lstm.load_state_dict({k[5:]: v for k, v in sd.items() if k[:5] == "lstm."})
        fc.load_state_dict({k[3:]: v for k, v in sd.items() if k[:3] == "fc."})
        y = fc(lstm(x, (sd["h0"], sd["c0"]))[0])

    Parameters
    ----------
    params
        One layer or stacked layers (same Nn).
    path
        The output file (``.pt`` or ``.pth``).
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Returns
    -------
    Path
    """
    torch = require("torch", "torch")
    net = to_torch(params, dtype=dtype)
    sd: dict[str, Any] = {f"lstm.{k}": v for k, v in net.lstm.state_dict().items()}
    sd.update({f"fc.{k}": v for k, v in net.linear.state_dict().items()})
    sd["h0"], sd["c0"] = net.h0, net.c0
    path = Path(path)
    with atomic_target(path) as tmp:
        torch.save(sd, tmp)
    return path
