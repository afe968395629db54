"""PyTorch: ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` (+ ``nn.Linear``) to ours and back.

One mechanism for the three modules, whose state dicts share their key names
(``weight_ih_lK``, ``weight_hh_lK``, ``bias_ih_lK``, ``bias_hh_lK``): the cell
is read from the shape of ``weight_hh`` (``4H``, ``3H`` or ``H`` rows).

- ``nn.LSTM``: gate order ours (i, f, g, o); ``b = bias_ih + bias_hh``.
- ``nn.GRU``: gate order ours (r, z, n), the reset gate applied to
  ``W_hn h + b_hn`` (``linear_before_reset``); the biases are kept apart
  (``bW = bias_ih``, ``bR = bias_hh``).
- ``nn.RNN``: ``b = bias_ih + bias_hh``; its ``nonlinearity`` (tanh or relu) is
  read from the module; a state dict does not store it (tanh unless told).

The weights do not depend on ``batch_first``. Initial states are not part of a
module: pass them (``h0``, ``c0``) as you pass them to ``lstm(x, (h0, c0))`` or
``gru(x, h0)``.
"""

from __future__ import annotations

import os
import pickle
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._files import atomic_target
from .._parameters import LSTMParams
from ..cells import CellParams, GRUParams, RNNParams, cell_name
from ._network import (
    CELL_TITLES,
    AnyParams,
    ImportedNetwork,
    UnsupportedModelError,
    assemble,
    require,
)
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

# rows of weight_hh per unit -> the cell; the module of each cell; its gate order
_CELL_OF_ROWS = {4: "lstm", 3: "gru", 1: "rnn"}
_MODULE = {"lstm": "nn.LSTM", "gru": "nn.GRU", "rnn": "nn.RNN"}
_ORDER = {"lstm": "ifgo", "gru": "rzn", "rnn": "h"}
_NONLINEARITIES = ("tanh", "relu")


class TorchNetwork(NamedTuple):
    """What :func:`to_torch` builds: the recurrent module, then ``linear``.

    Attributes
    ----------
    lstm : torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN
        The recurrent module (named ``lstm`` for history): ``batch_first=True``,
        ``num_layers`` = number of layers.
    linear : torch.nn.Linear
        The FC layer of the last layer (``F``, ``bF``).
    h0 : torch.Tensor, shape ``(num_layers, 1, Nn)``
        Initial hidden states, one batch row; ``expand(-1, batch, -1)`` for more.
    c0 : torch.Tensor, shape ``(num_layers, 1, Nn)``, or None
        Initial cell states of an LSTM; None for a GRU or an RNN.
    """

    lstm: Any
    linear: Any
    h0: Any
    c0: Any

    def forward(self, x: Any) -> Any:
        """``linear(module(x, states)[0])`` for a batch-first input tensor.

        Parameters
        ----------
        x : torch.Tensor, shape ``(batch, T, Ni)``
            The input; the initial states are expanded to the batch.

        Returns
        -------
        torch.Tensor, shape ``(batch, T, No)``
        """
        batch = x.shape[0]
        h0 = self.h0.expand(-1, batch, -1).contiguous()
        if self.c0 is None:
            return self.linear(self.lstm(x, h0)[0])
        c0 = self.c0.expand(-1, batch, -1).contiguous()
        return self.linear(self.lstm(x, (h0, c0))[0])


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


def _check_modules(module: Any, linear: Any) -> str:
    """The cell of ``module`` (``"lstm"``, ``"gru"``, ``"rnn"``), or an error."""
    torch = require("torch", "torch")
    kinds = {torch.nn.LSTM: "lstm", torch.nn.GRU: "gru", torch.nn.RNN: "rnn"}
    cell = kinds.get(type(module))
    if cell is None:
        cell = next((c for k, c in kinds.items() if isinstance(module, k)), None)
    if cell is None:
        raise ValueError(
            "module: expected a torch.nn.LSTM, nn.GRU or nn.RNN, got "
            f"{type(module).__name__}"
        )
    what = _MODULE[cell]
    if module.bidirectional:
        raise UnsupportedModelError(
            f"module: a bidirectional {what} is not supported (one direction only: "
            "the diagram is causal)"
        )
    if getattr(module, "proj_size", 0):
        raise UnsupportedModelError(
            f"module: {what} with proj_size={module.proj_size} is not supported "
            "(h is projected: our cell has no projection)"
        )
    if linear is not None and not isinstance(linear, torch.nn.Linear):
        raise ValueError(
            f"linear: expected a torch.nn.Linear or None, got {type(linear).__name__}"
        )
    return cell


def torch_layers(
    module: Any,
    linear: Any = None,
    *,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
) -> list[Any]:
    """Every layer of an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` (+ ``nn.Linear``).

    Parameters
    ----------
    module : torch.nn.LSTM, torch.nn.GRU or torch.nn.RNN
        One direction, no projection; any ``num_layers``, dtype, ``batch_first``;
        an ``nn.RNN``'s ``nonlinearity`` (tanh or relu) is kept.
    linear : torch.nn.Linear, optional
        The FC layer after the last layer (weight ``(No, Nn)``); without it the
        last layer gets ``F = I`` (the output is ``h``).
    h0 : array_like or Tensor, shape ``(num_layers, Nn)`` or ``(num_layers, 1, Nn)``
        Initial hidden states, as passed to ``module(x, h0)``; default zeros.
    c0 : array_like or Tensor, shape ``(num_layers, Nn)`` or ``(num_layers, 1, Nn)``
        Initial cell states of an ``nn.LSTM``; default zeros.

    Returns
    -------
    list of LSTMParams, GRUParams or RNNParams
        One per layer, float64; layers before the last have ``F = I``. LSTM:
        ``b = bias_ih + bias_hh``; GRU: ``bW = bias_ih``, ``bR = bias_hh``,
        ``linear_before_reset=True``; RNN: ``b = bias_ih + bias_hh``.

    Raises
    ------
    ValueError
        Not one of the three modules; bidirectional or ``proj_size > 0``; a
        Linear whose ``in_features`` is not ``hidden_size``; bad state shapes;
        ``c0`` for a GRU or an RNN.
    ModuleNotFoundError
        PyTorch is missing (extra ``[torch]``).
    """
    cell = _check_modules(module, linear)
    sd = {k: v for k, v in module.state_dict().items()}
    if linear is not None:
        sd.update({f"fc.{k}": v for k, v in linear.state_dict().items()})
    net = _from_state_dict(
        sd,
        _MODULE[cell],
        fc_prefix="fc." if linear is not None else None,
        nonlinearity=module.nonlinearity if cell == "rnn" else None,
    )
    nn, nl = module.hidden_size, module.num_layers
    hs = _states("h0", h0, nl, nn)
    if cell != "lstm":
        if c0 is not None:
            raise ValueError(
                f"c0: an {_MODULE[cell]} has no cell state; pass h0 only "
                f"({_MODULE[cell].split('.')[1].lower()}(x, h0))"
            )
        return [p.replace(h0=h) for p, h in zip(net.layers, hs, strict=True)]
    cs = _states("c0", c0, nl, nn)
    return [p.replace(h0=h, c0=c) for p, h, c in zip(net.layers, hs, cs, strict=True)]


def from_torch(
    module: Any,
    linear: Any = None,
    *,
    h0: ArrayLike | None = None,
    c0: ArrayLike | None = None,
    layer: int | None = None,
) -> Any:
    """One layer of an ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` (+ ``nn.Linear``).

    Parameters
    ----------
    module, linear, h0, c0
        As in :func:`torch_layers`.
    layer
        Which layer (1-based) when ``num_layers > 1``; layers before the last
        get ``F = I``.

    Returns
    -------
    LSTMParams, GRUParams or RNNParams
        float64.

    Raises
    ------
    ValueError
        As :func:`torch_layers`; a multi-layer module without ``layer``.
    """
    layers = torch_layers(module, linear, h0=h0, c0=c0)
    cell = cell_name(layers[0])
    if layer is None and len(layers) > 1:
        raise ValueError(
            f"layer: the {_MODULE[cell]} has {len(layers)} layers; pass "
            f"layer=1..{len(layers)} or use torch_layers() for the list"
        )
    net = ImportedNetwork(
        tuple(layers), _MODULE[cell], "PyTorch", _ORDER[cell], "nn.Linear"
    )
    return net.layer(layer)


def _as_layers(
    params: AnyParams | Sequence[AnyParams],
) -> tuple[str, list[Any]]:
    """The cell and the layers of ``to_torch``'s argument, checked."""
    single = isinstance(params, LSTMParams | CellParams)
    layers: list[Any] = [params] if single else list(params)  # type: ignore[arg-type]
    kinds = {type(p) for p in layers}
    if not layers or len(kinds) != 1 or not kinds <= {LSTMParams, GRUParams, RNNParams}:
        raise ValueError(
            "params: expected an LSTMParams, GRUParams or RNNParams, or a non-empty "
            "list of one of them (PyTorch has no LSTM with peepholes), got "
            f"{sorted(k.__name__ for k in kinds) or 'an empty list'}"
        )
    cell = cell_name(layers[0])
    what = _MODULE[cell]
    nn = layers[0].nn
    for k, p in enumerate(layers):
        if p.nn != nn:
            raise ValueError(
                f"params: {what} needs the same hidden_size in every layer; layer 1 "
                f"has Nn={nn}, layer {k + 1} has Nn={p.nn}"
            )
        if k and p.ni != nn:
            raise ValueError(
                f"params: layer {k + 1} takes Ni={p.ni} inputs, expected {nn} (the "
                "units of the layer before)"
            )
        if cell == "gru" and not p.linear_before_reset:
            raise ValueError(
                f"params: layer {k + 1} has linear_before_reset=False; nn.GRU "
                "applies the reset gate to W_hn h + b_hn (linear_before_reset=True) "
                "only"
            )
        if cell == "rnn" and p.nonlinearity != layers[0].nonlinearity:
            raise ValueError(
                f"params: nn.RNN has one nonlinearity; layer 1 has "
                f"{layers[0].nonlinearity!r}, layer {k + 1} {p.nonlinearity!r}"
            )
    return cell, layers


def to_torch(
    params: AnyParams | Sequence[AnyParams],
    *,
    dtype: str = "float64",
) -> TorchNetwork:
    """Build ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` + ``nn.Linear`` holding our weights.

    Parameters
    ----------
    params
        One layer, or stacked layers of one cell with the same Nn (PyTorch's
        restriction); the last layer's ``F``, ``bF`` become the Linear. A GRU
        must have ``linear_before_reset=True`` (PyTorch's only kind).
    dtype
        ``"float64"`` (default) or ``"float32"``.

    Returns
    -------
    TorchNetwork
        ``(module, linear, h0, c0)``; ``batch_first=True``. LSTM and RNN:
        ``bias_ih = b``, ``bias_hh = 0``; GRU: ``bias_ih = bW``, ``bias_hh = bR``.

    Raises
    ------
    ValueError
        Layers of different cells or Nn, sizes that do not chain, a GRU with
        ``linear_before_reset=False``, a peephole LSTM.
    ModuleNotFoundError
        PyTorch is missing (extra ``[torch]``).
    """
    torch = require("torch", "torch")
    cell, layers = _as_layers(params)
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype: expected 'float64' or 'float32', got {dtype!r}")
    tdt = getattr(torch, dtype)
    first, last = layers[0], layers[-1]
    kwargs: dict[str, Any] = {"num_layers": len(layers), "batch_first": True}
    if cell == "rnn":
        kwargs["nonlinearity"] = first.nonlinearity
    module_class = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
    module = module_class[cell](first.ni, first.nn, dtype=tdt, **kwargs)
    linear = torch.nn.Linear(last.nn, last.no, dtype=tdt)

    def put(name: str, a: np.ndarray | None) -> None:
        target = getattr(module, name)
        if a is None:
            target.zero_()
        else:
            target.copy_(torch.from_numpy(np.array(a, dtype=np.float64)))

    with torch.no_grad():
        for k, p in enumerate(layers):
            put(f"weight_ih_l{k}", p.W)
            put(f"weight_hh_l{k}", p.R)
            put(f"bias_ih_l{k}", p.bW if cell == "gru" else p.b)
            put(f"bias_hh_l{k}", p.bR if cell == "gru" else None)
        linear.weight.copy_(torch.from_numpy(np.array(last.F, dtype=np.float64)))
        linear.bias.copy_(torch.from_numpy(np.array(last.bF, dtype=np.float64)))
    h0 = torch.tensor(np.stack([p.h0 for p in layers])[:, None, :], dtype=tdt)
    c0 = None
    if cell == "lstm":
        c0 = torch.tensor(np.stack([p.c0 for p in layers])[:, None, :], dtype=tdt)
    return TorchNetwork(module, linear, h0, c0)


# ------------------------------------------------------------------ state dicts


def _cell_arrays(cell: str, d: Mapping[str, Any], nonlinearity: str) -> dict[str, Any]:
    """One layer's arrays (ours) from its ``weight_ih``, ``weight_hh``, biases."""
    W, R = _np(d["weight_ih"]), _np(d["weight_hh"])
    g = R.shape[0]
    bias = {k: _np(d[k]) if k in d else np.zeros(g) for k in ("bias_ih", "bias_hh")}
    if cell == "gru":
        return {
            "W": W,
            "R": R,
            "bW": bias["bias_ih"],
            "bR": bias["bias_hh"],
            "linear_before_reset": True,
        }
    out: dict[str, Any] = {"W": W, "R": R, "b": bias["bias_ih"] + bias["bias_hh"]}
    if cell == "rnn":
        out["nonlinearity"] = nonlinearity
    return out


def _from_state_dict(
    sd: Mapping[str, Any],
    source: str,
    *,
    fc_prefix: str | None = None,
    nonlinearity: str | None = None,
) -> ImportedNetwork:
    """Our layers from a flat state dict of one recurrent module and one Linear.

    ``nonlinearity`` is an ``nn.RNN``'s (None: not known, tanh with a note).
    """
    groups: dict[str, dict[int, dict[str, Any]]] = {}
    rest: dict[str, Any] = {}
    for key, val in sd.items():
        m = _LAYER_KEY.match(key)
        if m is None:
            rest[key] = val
            continue
        if m["rev"]:
            raise UnsupportedModelError(
                f"{source}: a bidirectional module ({key}) is not supported "
                "(one direction only)"
            )
        if m["kind"] == "weight_hr":
            raise UnsupportedModelError(
                f"{source}: an LSTM with a projection (proj_size > 0, {key}) is "
                "not supported"
            )
        groups.setdefault(m["prefix"], {}).setdefault(int(m["k"]), {})[m["kind"]] = val
    if not groups:
        raise ValueError(
            f"{source}: found no LSTM weights (nor GRU or RNN weights: keys like "
            f"'weight_ih_l0'); its keys are {sorted(sd)[:8]}"
        )
    kinds = {p: _cell_of_group(source, p, d) for p, d in groups.items()}
    if len(groups) > 1:
        names = sorted(
            f"{p.rstrip('.') or '(top level)'}: {CELL_TITLES[c]}"
            for p, c in kinds.items()
        )
        same = len(set(kinds.values())) == 1
        what = CELL_TITLES[next(iter(kinds.values()))] if same else "recurrent"
        raise UnsupportedModelError(
            f"{source}: found {len(groups)} {what} modules ({', '.join(names)}); "
            "one nn.LSTM, nn.GRU or nn.RNN (of any num_layers) is supported"
        )
    prefix, by_layer = next(iter(groups.items()))
    cell = kinds[prefix]
    if sorted(by_layer) != list(range(len(by_layer))):
        raise ValueError(
            f"{source}: {CELL_TITLES[cell]} layers {sorted(by_layer)} are not 0..n-1"
        )
    h0 = rest.pop("h0", None)
    c0 = rest.pop("c0", None)
    if cell != "lstm" and c0 is not None:
        raise ValueError(
            f"{source}: holds c0 (a cell state) but its weights are an "
            f"{_MODULE[cell]}'s, which has none"
        )
    notes = [
        "biases: bias_ih -> bW, bias_hh -> bR (kept apart: the n block of bias_hh "
        "sits inside the reset product)"
        if cell == "gru"
        else "biases: bias_ih + bias_hh summed"
    ]
    if cell == "rnn":
        if nonlinearity is None:
            notes.append(
                "nonlinearity: tanh (a state dict does not store it; "
                "--nonlinearity relu for nn.RNN(nonlinearity='relu'))"
            )
        elif nonlinearity not in _NONLINEARITIES:
            raise UnsupportedModelError(
                f"{source}: nonlinearity={nonlinearity!r} is not supported "
                "('tanh' or 'relu')"
            )
    cells = []
    g = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    for k in range(len(by_layer)):
        d = by_layer[k]
        for need in ("weight_ih", "weight_hh"):
            if need not in d:
                raise ValueError(f"{source}: {prefix}{need}_l{k} is missing")
        R = d["weight_hh"]
        if R.ndim != 2 or R.shape[0] != g * R.shape[1]:
            raise ValueError(
                f"{source}: {prefix}weight_hh_l{k} has shape {tuple(R.shape)}; "
                f"expected ({g}*hidden_size, hidden_size), as layer 0 of this "
                f"{_MODULE[cell]}"
            )
        cells.append(_cell_arrays(cell, d, nonlinearity or "tanh"))
    nl = len(cells)
    state_names = ("h0", "c0") if cell == "lstm" else ("h0",)
    for name, val in (("h0", h0), ("c0", c0)):
        if name not in state_names:
            continue
        states = _states(f"{source}: {name}", val, nl, cells[0]["R"].shape[1])
        for arrays, s in zip(cells, states, strict=True):
            arrays[name] = s
    if h0 is None and c0 is None:
        notes.append("initial states: zero (a PyTorch module stores none)")
    # the FC layer: one 2-D '<p>weight' (+ '<p>bias') left over
    weights = {k[: -len("weight")]: v for k, v in rest.items() if k.endswith("weight")}
    if fc_prefix is not None:
        weights = {fc_prefix: rest[fc_prefix + "weight"]}
    linear = {p: w for p, w in weights.items() if getattr(w, "ndim", 0) == 2}
    title = CELL_TITLES[cell]
    if len(linear) > 1:
        raise UnsupportedModelError(
            f"{source}: found {len(linear)} linear layers "
            f"({', '.join(p.rstrip('.') for p in sorted(linear))}); one nn.Linear "
            f"after the {title} is supported"
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
            f"one {_MODULE[cell]} and one nn.Linear after it; no layer norm, "
            "embedding, ...)"
        )
    layers = assemble(cells, F, bF, source=source, fc_name=fc_name, cell=cell)
    return ImportedNetwork(
        tuple(layers), source, "PyTorch", _ORDER[cell], fc_name, tuple(notes)
    )


def _cell_of_group(source: str, prefix: str, d: Mapping[int, Mapping[str, Any]]) -> str:
    """The cell of one module's weights, from ``weight_hh_l0``'s rows per column."""
    R = d.get(0, {}).get("weight_hh")
    if R is None:
        raise ValueError(f"{source}: {prefix}weight_hh_l0 is missing")
    rows, cols = (tuple(R.shape) + (0, 0))[:2] if R.ndim == 2 else (0, 0)
    cell = _CELL_OF_ROWS.get(rows // cols) if cols and rows % cols == 0 else None
    if cell is None:
        raise ValueError(
            f"{source}: {prefix}weight_hh_l0 has shape {tuple(R.shape)}; expected "
            "(4H, H) (nn.LSTM), (3H, H) (nn.GRU) or (H, H) (nn.RNN)"
        )
    return cell


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
        torch.nn.GRU,
        torch.nn.RNN,
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


def _nonlinearity_of(obj: Any, torch: Any) -> str | None:
    """The ``nonlinearity`` of an ``nn.RNN`` held by ``obj`` (a module, a dict)."""
    if isinstance(obj, torch.nn.Module):
        found = {m.nonlinearity for m in obj.modules() if isinstance(m, torch.nn.RNN)}
        return found.pop() if len(found) == 1 else None
    if isinstance(obj, Mapping):
        value = obj.get("nonlinearity")
        if isinstance(value, str):
            return value
        for v in obj.values():
            if isinstance(v, torch.nn.Module | Mapping):
                inner = _nonlinearity_of(v, torch)
                if inner is not None:
                    return inner
    return None


def read_torch(
    path: str | os.PathLike[str],
    *,
    trust: bool = False,
    nonlinearity: str | None = None,
) -> ImportedNetwork:
    """Read a ``.pt``/``.pth`` file: a state dict, a checkpoint, or a module.

    Parameters
    ----------
    path
        A file written by ``torch.save``: a state dict (of a module holding one
        ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` and at most one ``nn.Linear``),
        a checkpoint dict with such a state dict under ``"state_dict"``,
        ``"model_state_dict"`` or ``"model"``, or a whole module. Top-level
        keys ``h0``, ``c0`` (``(num_layers, Nn)``) are read as initial states
        and ``nonlinearity`` (a string) as an RNN's (what :func:`write_torch`
        writes).
    trust
        Unpickle arbitrary classes (a whole module of your own class). Off by
        default: only ``torch.nn`` containers load.
    nonlinearity
        ``"tanh"`` or ``"relu"``: an ``nn.RNN``'s, which a state dict does not
        store (a whole module does: it must agree). None: the file's, else
        tanh.

    Returns
    -------
    ImportedNetwork

    Raises
    ------
    ValueError
        Another kind of file, an unsupported variant (bidirectional,
        projection, extra layers), mismatched FC sizes, ``nonlinearity`` for
        another cell than an RNN or against the file's.
    """
    torch = require("torch", "torch")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE: no such file {path}")
    if nonlinearity is not None and nonlinearity not in _NONLINEARITIES:
        raise ValueError(
            f"--nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}"
        )
    obj = _load(path, trust)
    notes: list[str] = []
    stored = _nonlinearity_of(obj, torch)
    if nonlinearity is not None and stored is not None and stored != nonlinearity:
        raise ValueError(
            f"--nonlinearity: {path} holds an nn.RNN with nonlinearity "
            f"{stored!r}, not {nonlinearity!r}"
        )
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
    net = _from_state_dict(sd, str(path), nonlinearity=nonlinearity or stored)
    if nonlinearity is not None and net.cell != "rnn":
        raise ValueError(
            f"--nonlinearity: applies to an nn.RNN; {path} holds an {_MODULE[net.cell]}"
        )
    if net.cell == "rnn" and nonlinearity is None and stored is not None:
        notes.append(f"nonlinearity {stored} (stored in the file)")
    return ImportedNetwork(
        net.layers, net.source, net.kind, net.order, net.fc, (*notes, *net.notes)
    )


def write_torch(
    params: AnyParams | Sequence[AnyParams],
    path: str | os.PathLike[str],
    *,
    dtype: str = "float64",
) -> Path:
    """Save our weights as a PyTorch state dict (written atomically).

    The keys are ``lstm.*`` (an ``nn.LSTM(batch_first=True)`` state dict;
    ``gru.*``, ``rnn.*`` for an ``nn.GRU``, ``nn.RNN``), ``fc.weight``,
    ``fc.bias``, ``h0`` (and ``c0`` for an LSTM; shape ``(num_layers, 1,
    Nn)``) and, for an RNN, ``nonlinearity`` (a string)::

        sd = torch.load(path)
        lstm.load_state_dict({k[5:]: v for k, v in sd.items() if k[:5] == "lstm."})
        fc.load_state_dict({k[3:]: v for k, v in sd.items() if k[:3] == "fc."})
        y = fc(lstm(x, (sd["h0"], sd["c0"]))[0])

    Parameters
    ----------
    params
        One layer or stacked layers of one cell (same Nn), as :func:`to_torch`.
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
    cell = {torch.nn.LSTM: "lstm", torch.nn.GRU: "gru", torch.nn.RNN: "rnn"}[
        type(net.lstm)
    ]
    sd: dict[str, Any] = {f"{cell}.{k}": v for k, v in net.lstm.state_dict().items()}
    sd.update({f"fc.{k}": v for k, v in net.linear.state_dict().items()})
    sd["h0"] = net.h0
    if net.c0 is not None:
        sd["c0"] = net.c0
    if cell == "rnn":
        sd["nonlinearity"] = net.lstm.nonlinearity
    path = Path(path)
    with atomic_target(path) as tmp:
        torch.save(sd, tmp)
    return path
