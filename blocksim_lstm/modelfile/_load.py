"""Load a ``.bd`` model file into a diagram the rest of the package accepts.

:func:`load_model` checks the file (:mod:`._read`), builds it with bdsim's own
``bdload`` (no code evaluated: ``allow_eval=False``, as ``bdrun --safe-eval``),
and recognises the LSTM by block names: the weights are read back from the
model's gain, constant, delay and FC blocks, so the reference the cross-check
compares with is built from the model's own numbers.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._diagram import (
    DiagramRun,
    LSTMDiagram,
    Signals,
    SignalSpec,
    name_wires,
    new_sim,
    signal_labels,
)
from .._names import (
    ACTIVATION_BLOCKS,
    CELL_DELAY,
    FC_BLOCK,
    HIDDEN_DELAY,
    INPUT_BLOCK,
    OUTPUT_BLOCK,
    SUM_BLOCKS,
)
from .._parameters import GATES, LSTMParams
from .._validate import check_input
from ._read import ModelFileError, check_model, read_model

__all__ = ["ModelDiagram", "layer_signals", "load_model"]


def layer_signals(prefix: str, layer: int) -> list[SignalSpec]:
    """The signals of one LSTM layer by block name, in the builder's order.

    Parameters
    ----------
    prefix
        The layer's block-name prefix (``""`` or ``"L2 "``).
    layer
        0-based layer index.
    """
    out: list[SignalSpec] = [
        SignalSpec(prefix + HIDDEN_DELAY, 0, "h(t-1)", layer, "h_prev"),
        SignalSpec(prefix + CELL_DELAY, 0, "c(t-1)", layer, "c_prev"),
    ]
    for g in GATES:
        out += [
            SignalSpec(f"{prefix}W{g}", 0, f"W{g} u(t)", layer, "Wu", g),
            SignalSpec(f"{prefix}R{g}", 0, f"R{g} h(t-1)", layer, "Rh", g),
            SignalSpec(f"{prefix}b{g}", 0, f"b{g}", layer, "b", g),
            SignalSpec(prefix + SUM_BLOCKS[g], 0, f"z{g}", layer, "z", g),
            SignalSpec(prefix + ACTIVATION_BLOCKS[g], 0, g, layer, g),
        ]
    out += [
        SignalSpec(prefix + "prod_fc", 0, "f*c(t-1)", layer, "fc"),
        SignalSpec(prefix + "prod_ig", 0, "i*g", layer, "ig"),
        SignalSpec(prefix + "Sum", 0, "c(t)", layer, "c"),
        SignalSpec(prefix + "tansig_c", 0, "tanh(c(t))", layer, "tanh_c"),
        SignalSpec(prefix + "prod_oc", 0, "h(t)", layer, "h"),
    ]
    return out


def _layer_prefixes(names: Sequence[str] | set[str]) -> list[str]:
    if "Wi" in names:
        return [""]
    out: list[str] = []
    while f"L{len(out) + 1} Wi" in names:
        out.append(f"L{len(out) + 1} ")
    return out


class _Reader:
    """Reads arrays from named blocks, with errors naming file and block."""

    def __init__(self, path: Path, blocks: dict[str, Any]):
        self.path = path
        self.blocks = blocks

    def fail(self, text: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: {text}")

    def block(self, name: str, kinds: tuple[str, ...], what: str) -> Any:
        b = self.blocks.get(name)
        if b is None:
            raise self.fail(
                f"no block {name!r}: the cross-check reads the {what} from it "
                "(blocks are recognised by name)"
            )
        if type(b).__name__ not in kinds:
            raise self.fail(
                f"block {name!r} is a {type(b).__name__.upper()}; expected "
                f"{' or '.join(k.upper() for k in kinds)} holding the {what}"
            )
        return b

    def array(
        self, name: str, value: Any, param: str, shape: tuple[int, ...], why: str
    ) -> np.ndarray:
        arr = np.asarray(value, dtype=float)
        if arr.shape != shape:
            raise self.fail(
                f"block {name!r}: {param} has shape {arr.shape}; expected {shape} "
                f"({why})"
            )
        return arr


def _read_layer(r: _Reader, prefix: str, ni: int, ni_from: str) -> dict[str, Any]:
    hidden = r.block(prefix + HIDDEN_DELAY, ("UnitDelay",), "initial state h0")
    h0 = np.asarray(hidden._x0, dtype=float)
    nn = h0.shape[0]
    nn_from = f"Nn = {nn} from {prefix + HIDDEN_DELAY!r} x0"
    cell = r.block(prefix + CELL_DELAY, ("UnitDelay",), "initial state c0")
    c0 = r.array(cell.name, cell._x0, "x0", (nn,), nn_from)
    W, R, b = [], [], []
    for g in GATES:
        wb = r.block(f"{prefix}W{g}", ("MatGain", "Gain"), f"input weights W{g}")
        W.append(
            r.array(wb.name, wb.K, "K", (nn, ni), f"(Nn, Ni): {nn_from}, {ni_from}")
        )
        rb = r.block(f"{prefix}R{g}", ("MatGain", "Gain"), f"recurrent weights R{g}")
        R.append(r.array(rb.name, rb.K, "K", (nn, nn), f"(Nn, Nn): {nn_from}"))
        bb = r.block(f"{prefix}b{g}", ("Constant",), f"bias b{g}")
        b.append(r.array(bb.name, np.atleast_1d(bb.value), "value", (nn,), nn_from))
    return {
        "W": np.vstack(W),
        "R": np.vstack(R),
        "b": np.concatenate(b),
        "h0": h0,
        "c0": c0,
    }


class ModelDiagram(LSTMDiagram):
    """A diagram loaded from a ``.bd`` model file (see :func:`load_model`).

    Everything an :class:`~blocksim_lstm._diagram.LSTMDiagram` offers: ``run()``
    records every wire, ``bd`` is the bdsim diagram ``bdload`` built, ``layers``
    hold the weights read back from the model's blocks (the cross-check's
    reference is built from them), ``signals`` the wires recognised by block name.

    Parameters
    ----------
    *args, **kwargs
        Not accepted: a ``ModelDiagram`` comes from :func:`load_model`.

    Attributes
    ----------
    path : the model file.
    extra_blocks : names of blocks that are not part of the recognised LSTM
        (they run, and are not cross-checked).
    """

    path: Path
    extra_blocks: tuple[str, ...]

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # pragma: no cover
        raise TypeError("ModelDiagram: use blocksim_lstm.modelfile.load_model(path)")

    def run(self, *, engine: str = "bdsim") -> DiagramRun:
        """Run the model over its whole input and record every recognised wire.

        The model's clock ticks at ``(k + 1/2) Ts`` (see
        :mod:`blocksim_lstm.blocks._clock`): the run lasts ``T = N Ts``, and the
        evaluations after t = 0 are steps 0 .. N-1 (then one more, dropped).
        The logger writes no file here (``bdrun`` does).

        Parameters
        ----------
        engine
            ``"bdsim"`` only: the compiled engine does not run model files yet
            (their clocks tick half a period early).

        Returns
        -------
        DiagramRun
            Each signal's trace, shape ``(T, width)``, row k = step k.
        """
        if engine != "bdsim":
            raise ValueError(
                f"engine: a model file runs on 'bdsim' only (the compiled engine "
                f"does not take model files yet), got {engine!r}"
            )
        self._prepare_run()
        n = self.steps
        watch = [self.blocks[s.block][s.port] for s in self.signals]
        loggers = [b for b in self.bd.blocklist if type(b).__name__ == "Logger"]
        files = [b._file for b in loggers]
        try:
            for b in loggers:
                b._file = None
            with contextlib.redirect_stdout(io.StringIO()):
                out = self.sim.run(self.bd, T=n * self.ts, watch=watch)
        except Exception as exc:
            raise ModelFileError(
                f"{self.path}: the run failed: {_reason(exc)}"
            ) from None
        finally:
            for b, f in zip(loggers, files, strict=True):
                b._file = f
        traces = out[".ywatch"]
        recorded = {}
        for s, tr in zip(self.signals, traces, strict=True):
            arr = np.asarray(tr, dtype=float)
            arr = arr.reshape(arr.shape[0], -1)
            if arr.shape[0] < n + 1:
                raise RuntimeError(
                    f"bdsim recorded {arr.shape[0]} samples, expected at least {n + 1}"
                )
            recorded[s.block] = arr[1 : n + 1].copy()
        signals = Signals(recorded, signal_labels(self.signals, len(self.layers)))
        return DiagramRun(
            signals=signals, y=signals[FC_BLOCK], t=np.arange(n) * self.ts
        )


def _reason(exc: BaseException) -> str:
    """The innermost message of a bdsim error (bdsim wraps block errors)."""
    seen = exc
    while True:  # down the chain, stopping where a message replaced its cause
        nxt = seen.__cause__
        wrapper = type(seen).__name__ in ("BlockCreationError", "BlockRuntimeError")
        if nxt is None and (wrapper or not seen.__suppress_context__):
            nxt = seen.__context__
        if nxt is None or nxt is seen:
            break
        seen = nxt
    text = str(seen).strip().splitlines()
    return text[0] if text else type(seen).__name__


def _library() -> tuple[set[str], dict[str, tuple[int, int]]]:
    lib = new_sim().block_library
    ports = {
        k: (int(v["nin"]), int(v["nout"]))
        for k, v in lib.items()
        if v.get("package") == "blocksim_lstm"
    }
    return set(lib), ports


def load_model(
    path: str | os.PathLike[str], *, u: ArrayLike | None = None
) -> ModelDiagram:
    """Load a ``.bd`` model file of an LSTM diagram (one layer or stacked).

    The file is checked first (one-line errors naming the block), then built by
    bdsim's ``bdload`` without evaluating code, then recognised by block names
    (``Wi`` ... ``Ro``, ``bi`` ..., ``Hidden State``, ``Cell State``, ``FC
    layer``, ``From Workspace``; stacked layers prefixed ``L1 ``, ``L2 ``, ...).

    Parameters
    ----------
    path
        The model file, as written by ``blocksim-lstm render`` or saved by bdedit.
    u : array_like, shape ``(T, Ni)``, optional
        An input sequence to play instead of the model's own.

    Returns
    -------
    ModelDiagram
        ``run()``, ``layers`` (the model's weights), ``signals``, ``bd``; accepted
        by :func:`~blocksim_lstm.crosscheck_diagram`,
        :func:`~blocksim_lstm.diagram_graph`,
        :func:`~blocksim_lstm.draw`, ...

    Raises
    ------
    FileNotFoundError
        No such file.
    ModelFileError
        (a ValueError) The file is not JSON, has an unknown block type, a wire
        to a missing socket, a parameter that needs code evaluation, weights of
        the wrong shape, or is not an LSTM diagram; the message names the block.
    """
    from bdsim.blockdiagram import bdload

    p = Path(path)
    model = read_model(p)
    known, ports = _library()
    check_model(p, model, known, ports)
    sim = new_sim()
    bd = sim.blockdiagram(name=p.stem)
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            bdload(bd, str(p), allow_eval=False)
    except Exception as exc:
        why = _instantiation_error(model, sim, exc)
        raise ModelFileError(f"{p}: {why}") from None
    blocks = {b.name: b for b in bd.blocklist}
    r = _Reader(p, blocks)
    src = r.block(INPUT_BLOCK, ("Sequence",), "input sequence u")
    if u is not None:
        uu = check_input(u, src.u.shape[1])
        if uu.ndim != 2:
            raise ValueError(f"u: expected shape (steps, Ni), got shape {uu.shape}")
        src.u = uu
    prefixes = _layer_prefixes(set(blocks))
    if not prefixes:
        raise r.fail(
            "no LSTM layer: expected blocks named Wi, Wf, ... (one layer) or "
            "L1 Wi, ... (stacked layers)"
        )
    ni = int(src.u.shape[1])
    ni_from = f"Ni = {ni} from {INPUT_BLOCK!r}"
    arrays = []
    for k, prefix in enumerate(prefixes):
        arrays.append(_read_layer(r, prefix, ni, ni_from))
        ni = arrays[-1]["h0"].shape[0]
        ni_from = f"Ni = {ni}, the units of layer {k + 1}"
    fc = r.block(FC_BLOCK, ("Affine",), "output layer F, bF")
    nn = ni
    F = r.array(fc.name, fc.K, "K", (fc.K.shape[0], nn), f"(No, Nn): Nn = {nn}")
    no = F.shape[0]
    bF = r.array(fc.name, fc.bias, "bias", (no,), f"No = {no}")
    layers = []
    for k, a in enumerate(arrays):
        last = k == len(arrays) - 1
        nk = a["h0"].shape[0]
        layers.append(
            LSTMParams(
                a["W"],
                a["R"],
                a["b"],
                F if last else np.zeros((no, nk)),
                bF if last else np.zeros(no),
                a["h0"],
                a["c0"],
            )
        )
    for b in bd.blocklist:
        if type(b).__name__ == "Logger":
            if b._steps is not None or u is not None:
                b._steps = int(src.u.shape[0])
    signals = [SignalSpec(INPUT_BLOCK, 0, "u(t)", 0, "u")]
    for k, prefix in enumerate(prefixes):
        signals += [s for s in layer_signals(prefix, k) if s.block in blocks]
    signals.append(SignalSpec(FC_BLOCK, 0, "y(t)", len(prefixes) - 1, "y"))
    for s in signals:
        if blocks[s.block].nout < 1:
            raise r.fail(
                f"block {s.block!r} has no output; expected the {s.label} wire"
            )
    _name_wires(bd, blocks, prefixes)
    d = object.__new__(ModelDiagram)
    d.path = p
    d.layers = tuple(layers)
    d.u = np.asarray(src.u, dtype=float)
    d.ts = float(src._clock.T)
    d.sim = sim
    d.bd = bd
    d.clock = src._clock
    d.blocks = blocks
    d.signals = signals
    known_names = {s.block for s in signals} | {OUTPUT_BLOCK}
    d.extra_blocks = tuple(n for n in blocks if n not in known_names)
    d._compiled = False
    try:
        d.compile()
    except Exception as exc:
        raise ModelFileError(f"{p}: bdsim cannot compile it: {_reason(exc)}") from None
    return d


def _name_wires(bd: Any, blocks: dict[str, Any], prefixes: list[str]) -> None:
    """Name the wires as the builder does (bdedit's files carry no wire names)."""
    names = {INPUT_BLOCK: "u(t)", FC_BLOCK: "y(t)"}
    for prefix in prefixes:
        names[prefix + HIDDEN_DELAY] = "h(t-1)"
        names[prefix + CELL_DELAY] = "c(t-1)"
        names[prefix + "Sum"] = "c(t)"
        names[prefix + "prod_oc"] = "h(t)"
    for block, name in names.items():
        if block in blocks:
            name_wires(bd, blocks[block], name)


def _instantiation_error(model: dict[str, Any], sim: Any, exc: BaseException) -> str:
    """Why ``bdload`` failed, naming the block: each block is made again alone
    (on a scratch diagram) until one fails as bdload's did."""
    scratch = sim.blockdiagram(name="scratch")
    for block in model["blocks"]:
        kind = block["block_type"]
        if kind in ("CONNECTOR", "MAIN"):
            continue
        params = dict(block.get("parameters", []))
        blockargs = params.pop("blockargs", None) or {}
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                getattr(scratch, kind)(name=block["title"], **params, **blockargs)
        except Exception as err:
            why = _reason(err)
            title = block["title"]
            if why.startswith(f"block {title!r}"):
                return why
            return f"block {title!r} ({kind}): {why}"
    return f"bdsim cannot load it: {_reason(exc)}"
