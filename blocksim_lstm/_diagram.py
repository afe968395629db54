"""The LSTM layer (+ FC layer) as a bdsim block diagram, block for block as the
original Simulink model ``lstm_sim.mdl`` (SPEC section 2).

Each block's output is one wire ("signal"). :class:`LSTMDiagram` records, for
every signal, the name of the reference trace it stands for (a
:class:`SignalSpec`); it never computes that trace. The reference cell
(:mod:`blocksim_lstm._reference`) is a sibling that shares no code with this
module: only the cross-check (:mod:`blocksim_lstm._crosscheck`) uses both.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bdsim
import numpy as np
from numpy.typing import ArrayLike

from ._cell_layers import LAYER_BUILDERS, SignalSpec, add_lstm_layer, name_wires
from ._experiment import EXPERIMENT1_TS
from ._names import FC_BLOCK, INPUT_BLOCK, OUTPUT_BLOCK
from ._parameters import LSTMParams
from ._validate import as_array, check_input, check_memory
from .blocks import Affine, Logger
from .blocks import Sequence as SequenceSource
from .cells._params import CELLS, CellParams, cell_name

__all__ = [
    "MAX_END_TIME",
    "MIN_TS",
    "DiagramRun",
    "LSTMDiagram",
    "SignalSpec",
    "Signals",
    "add_lstm_layer",
    "build_cell_diagram",
    "build_lstm_diagram",
    "build_stacked_diagram",
    "check_sample_time",
    "name_wires",
    "new_sim",
    "run_bytes",
    "signal_labels",
]

MIN_TS: float = 1e-9
"""Smallest sample time: bdsim compares event times with an absolute tolerance of
1e-12 s, so ticks closer than that merge (measured: 1e-12 s records 4 of 52
samples); 1e-9 s keeps a factor 1000."""
MAX_END_TIME: float = 1e300
"""Largest ``steps * ts``: beyond, bdsim's tick times overflow (3e306 s with 2000
steps records 61 of 2001 samples)."""


def check_sample_time(name: str, ts: ArrayLike, steps: int) -> float:
    """Return ``ts`` as a float if bdsim can run ``steps`` ticks of it, else raise.

    Parameters
    ----------
    name
        The argument named in messages (``"ts"``, ``"--ts"``).
    ts
        Sample time in seconds: ``MIN_TS <= ts`` and ``steps * ts <= MAX_END_TIME``.
    steps
        Number of ticks the diagram will run.

    Raises
    ------
    ValueError
        ``ts`` is not a number, not positive, too small or too large.
    """
    ts_ = float(as_array(name, ts, ()))
    if not ts_ > 0:
        raise ValueError(f"{name}: expected a positive sample time, got {ts_}")
    if ts_ < MIN_TS:
        raise ValueError(
            f"{name}: expected a sample time >= {MIN_TS:g} s (bdsim merges events "
            f"closer than 1e-12 s), got {ts_:g}"
        )
    if steps * ts_ > MAX_END_TIME:
        raise ValueError(
            f"{name}: expected steps * ts <= {MAX_END_TIME:g} s (bdsim's tick times "
            f"overflow beyond), got {steps} * {ts_:g}"
        )
    return ts_


def run_bytes(steps: int, nn: int, ni: int, no: int) -> float:
    """Memory a run of the one-layer diagram records, in bytes (an upper estimate).

    bdsim keeps one small array per wire and step: measured about
    ``24 (Ni + 27 Nn + No) + 4000`` bytes a step (Nn = 3, 30; Ni = 4, 40); this
    takes ``32 (...) + 5000``, plus the cross-check's reference traces.

    Parameters
    ----------
    steps
        Steps of the run T.
    nn, ni, no
        Units, input width and output width of the layer.
    """
    widths = ni + 27 * nn + no
    return float(steps) * (32.0 * widths + 5000.0)


class Signals(Mapping[str, np.ndarray]):
    """Every wire's trace of a run, by block name or by SPEC label.

    A read-only mapping whose keys (iteration, ``len``) are the block names
    (``"logsig_f"``, ``"Cell State"``, ``"FC layer"``, ...); a trace can also be
    looked up by its signal's SPEC label (``"u(t)"``, ``"h(t-1)"``,
    ``"c(t-1)"``, ``"i"``, ``"f"``, ``"g"``, ``"o"``, ``"c(t)"``, ``"h(t)"``,
    ``"y(t)"``, ``"zf"``, ``"Wi u(t)"``, ...). In a stacked diagram a layer's
    labels carry its prefix (``"L2 h(t)"``); ``"u(t)"`` and ``"y(t)"`` need none.

    Parameters
    ----------
    traces
        Block name -> trace, shape ``(T, width)``; row k is step k.
    labels
        Label -> block name, for the label look-ups.
    """

    def __init__(self, traces: Mapping[str, np.ndarray], labels: Mapping[str, str]):
        self._traces = dict(traces)
        self._labels = {k: v for k, v in labels.items() if k not in self._traces}

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._traces:
            return self._traces[key]
        if key in self._labels:
            return self._traces[self._labels[key]]
        raise KeyError(
            f"signals: no signal {key!r}; block names: {list(self._traces)}; "
            f"labels: {list(self._labels)}"
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self._traces)

    def __len__(self) -> int:
        return len(self._traces)

    def labels(self) -> dict[str, str]:
        """The SPEC labels (and layer-prefixed labels) and the block each names."""
        return dict(self._labels)

    def __repr__(self) -> str:
        return f"Signals({list(self._traces)})"


def signal_labels(signals: Sequence[SignalSpec], layers: int) -> dict[str, str]:
    """Label -> block name for a diagram's signals (see :class:`Signals`).

    Parameters
    ----------
    signals
        The diagram's :class:`SignalSpec` list.
    layers
        Number of LSTM layers; with more than one, a layer's labels are
        prefixed ``"L1 "``, ``"L2 "``, ... (``u(t)`` and ``y(t)`` are not).
    """
    out: dict[str, str] = {}
    for s in signals:
        label = s.label
        if layers > 1 and s.ref not in ("u", "y"):
            label = f"L{s.layer + 1} {label}"
        out.setdefault(label, s.block)
    return out


@dataclass(frozen=True)
class DiagramRun:
    """Result of running a diagram: every wire's trace, aligned to steps.

    Attributes
    ----------
    signals : :class:`Signals`, a mapping name -> ndarray, shape ``(T, width)``;
        row k is step k. Keys are block names; SPEC labels (``"c(t-1)"``,
        ``"i"``, ...) are accepted as well.
    y : ndarray, shape ``(T, No)``: the FC layer's output.
    t : ndarray, shape ``(T,)``: the time of step k, ``k * Ts``.
    """

    signals: Signals
    y: np.ndarray
    t: np.ndarray


_SIM: bdsim.BDSim | None = None


def new_sim() -> bdsim.BDSim:
    """Return a quiet bdsim simulator (created once per process).

    It does not touch ``sys.argv``, prints no banner, opens no window, and knows
    this package's blocks as factories (``bd.SIGMOID``, ``bd.EPROD``, ...).
    """
    global _SIM
    if _SIM is None:
        # bdsim finds "<entry>/blocksim_lstm/blocks" by walking sys.path, which an
        # editable install or a run from the source folder ('' entry) does not
        # show it: put our parent folder on the path while it looks.
        root = str(Path(__file__).resolve().parent.parent)
        added = root not in sys.path
        if added:
            sys.path.append(root)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _SIM = bdsim.BDSim(
                    banner=False,
                    quiet=True,
                    progress=False,
                    graphics=False,
                    toolboxes=False,
                    sysargs=False,
                    packages="blocksim_lstm",
                )
        finally:
            if added:
                sys.path.remove(root)
    return _SIM


class LSTMDiagram:
    """A bdsim block diagram of one or more stacked recurrent layers and an FC layer.

    Build it with :func:`build_lstm_diagram`, :func:`build_stacked_diagram` or
    :func:`build_cell_diagram`. A layer may be any cell of
    :data:`blocksim_lstm.cells.CELLS` (LSTM, GRU, peephole LSTM, Elman RNN), built
    by its layer builder (:data:`~blocksim_lstm._cell_layers.LAYER_BUILDERS`);
    cells may be mixed in one stack. The diagram is an ordinary bdsim diagram
    (:attr:`bd`): inspect it, change it, and run it with bdsim's own API, or with
    :meth:`run`.

    Attributes
    ----------
    layers : the layers' parameters; the last layer's F, bF drive the FC layer.
    u : ndarray, shape ``(T, Ni)``: the input sequence.
    ts : sample time in seconds.
    sim, bd, clock : the bdsim simulator, diagram and clock.
    blocks : dict name -> bdsim block.
    signals : list of :class:`SignalSpec`, one per wire, in build order.
    """

    def __init__(
        self, layers: Sequence[LSTMParams | CellParams], u: ArrayLike, *, ts: float
    ):
        if len(layers) < 1:
            raise ValueError("layers: expected at least one LSTMParams, got none")
        cells: list[str] = []
        for k, p in enumerate(layers):
            try:
                cells.append(cell_name(p))
            except TypeError:
                raise TypeError(
                    f"layers[{k}]: expected "
                    f"{', '.join(c.__name__ for c in CELLS.values())} (a cell's "
                    f"parameters), got {type(p).__name__}"
                ) from None
            if k and p.ni != layers[k - 1].nn:
                raise ValueError(
                    f"layers[{k}]: expected Ni = {layers[k - 1].nn} (the units of "
                    f"layer {k - 1}, {cells[k - 1]}), got Ni = {p.ni} (layer {k}, "
                    f"{cells[k]})"
                )
        self.layers = tuple(
            p if p.dtype == np.float64 else p.astype("float64") for p in layers
        )
        self.u = check_input(u, self.layers[0].ni)
        if self.u.ndim != 2:
            raise ValueError(
                f"u: a diagram runs one sequence, expected shape (steps, Ni), "
                f"got shape {self.u.shape}"
            )
        self.ts = check_sample_time("ts", ts, self.u.shape[0])
        self.sim = new_sim()
        self.bd = self.sim.blockdiagram()
        self.clock = self.bd.clock(self.ts, unit="s", name="clock")
        self.blocks: dict[str, Any] = {}
        self.signals: list[SignalSpec] = []
        self._compiled = False
        self._build()

    @property
    def cells(self) -> tuple[str, ...]:
        """The layers' cell names (``"lstm"``, ``"gru"``, ``"peephole"``, ``"rnn"``)."""
        return tuple(cell_name(p) for p in self.layers)

    @property
    def steps(self) -> int:
        """Number of steps T of the input sequence."""
        return self.u.shape[0]

    def _build(self) -> None:
        bd = self.bd
        src = SequenceSource(self.clock, self.u, bd=bd, name=INPUT_BLOCK)
        self.blocks[src.name] = src
        self.signals.append(SignalSpec(src.name, 0, "u(t)", 0, "u"))
        plug = src
        many = len(self.layers) > 1
        outputs = []
        for k, p in enumerate(self.layers):
            prefix = f"L{k + 1} " if many else ""
            blocks, signals, plug = LAYER_BUILDERS[cell_name(p)](
                bd, self.clock, p, plug, prefix=prefix, layer=k
            )
            self.blocks.update(blocks)
            self.signals.extend(signals)
            outputs.append(plug)
        last: Any = self.layers[-1]  # every cell has F and bF
        fc = Affine(last.F, last.bF, bd=bd, name=FC_BLOCK)
        sink = Logger(bd=bd, name=OUTPUT_BLOCK)
        bd.connect(plug, fc)
        bd.connect(fc, sink)
        self.blocks[fc.name] = fc
        self.blocks[sink.name] = sink
        self.signals.append(SignalSpec(fc.name, 0, "y(t)", len(self.layers) - 1, "y"))
        name_wires(bd, src, "u(t)")
        name_wires(bd, fc, "y(t)")
        for h in outputs:
            name_wires(bd, h, "h(t)")

    def compile(self) -> None:
        """Compile the bdsim diagram (done by :meth:`run` if needed)."""
        with contextlib.redirect_stdout(io.StringIO()):
            self.bd.compile(report=False)
        self._compiled = True

    def evaluation_order(self) -> list[str]:
        """Block names in the order bdsim evaluates them within one step."""
        if not self._compiled:
            self.compile()
        return [b.name for group in self.bd.plan for b in group]

    def _prepare_run(self) -> None:
        """Refuse a run whose recording cannot fit in memory; compile once."""
        n = self.steps
        # run_bytes counts an LSTM layer's 27 wires of width Nn; another cell's
        # layer counts as the LSTM units with as many wire elements
        wires = [0] * len(self.layers)
        for s in self.signals:
            if s.ref not in ("u", "y"):
                wires[s.layer] += 1
        units = sum(
            p.nn if c == "lstm" else -(-p.nn * w // 27)
            for p, c, w in zip(self.layers, self.cells, wires, strict=True)
        )
        check_memory(
            "u",
            run_bytes(n, units, self.layers[0].ni, self.layers[-1].no),
            f"recording every wire over {n} steps",
        )
        if not self._compiled:
            self.compile()

    def run(self, *, engine: str = "bdsim") -> DiagramRun:
        """Run the diagram over the whole input and record every wire.

        Parameters
        ----------
        engine
            ``"bdsim"`` (bdsim's own ``run``, the reference) or ``"compiled"``
            (the diagram as one generated numba function, see
            :mod:`blocksim_lstm._compiled`; same wires to a few units in the last
            place, the same bytes on any machine).

        Returns
        -------
        DiagramRun
            Each signal's trace, shape ``(T, width)``, row k = step k.
        """
        if engine not in ("bdsim", "compiled"):
            raise ValueError(f"engine: expected 'bdsim' or 'compiled', got {engine!r}")
        self._prepare_run()
        n = self.steps
        if engine == "compiled":
            from ._compiled import compile_diagram

            ports = compile_diagram(self.bd).run(n, self.ts)
            return self._result(
                {s.block: ports[(s.block, s.port)] for s in self.signals}
            )
        watch = [self.blocks[s.block][s.port] for s in self.signals]
        # bdsim's k-th tick is at k * Ts (computed as k * T): T = n * Ts gives
        # exactly the ticks 1..n; a T between ticks would add an extra sample
        with contextlib.redirect_stdout(io.StringIO()):
            out = self.sim.run(self.bd, T=n * self.ts, watch=watch)
        traces = out[".ywatch"]
        if len(traces) != len(watch) or np.asarray(traces[0]).shape[0] != n + 1:
            raise RuntimeError(
                f"bdsim recorded {np.asarray(traces[0]).shape[0]} samples, "
                f"expected {n + 1} (t = 0 and {n} ticks)"
            )
        recorded = {}
        for s, tr in zip(self.signals, traces, strict=True):
            arr = np.asarray(tr, dtype=float)
            recorded[s.block] = arr.reshape(n + 1, -1)[1:].copy()
        return self._result(recorded)

    def _result(self, recorded: dict[str, np.ndarray]) -> DiagramRun:
        signals = Signals(recorded, signal_labels(self.signals, len(self.layers)))
        return DiagramRun(
            signals=signals, y=signals[FC_BLOCK], t=np.arange(self.steps) * self.ts
        )


def build_lstm_diagram(
    params: LSTMParams, u: ArrayLike, *, ts: float = EXPERIMENT1_TS
) -> LSTMDiagram:
    """Build the seed's model: one LSTM layer and an FC layer, 30 blocks.

    Parameters
    ----------
    params
        Weights and initial states (any Ni, Nn, No >= 1).
    u : array_like, shape ``(T, Ni)``
        Input sequence played by the ``From Workspace`` block.
    ts
        Sample time in seconds (0.1 in the seed).

    Returns
    -------
    LSTMDiagram
        Blocks named as in the original: ``Wi..Wo``, ``Ri..Ro``, ``bi..bo``,
        ``sumIG, sumFG, sumCG, sumOG``, ``logsig_i, logsig_f, logsig_o``,
        ``tansig_g, tansig_c``, ``prod_fc, prod_ig, prod_oc``, ``Sum``,
        ``Hidden State``, ``Cell State``, ``FC layer``, ``From Workspace``,
        ``To Workspace``.
    """
    return LSTMDiagram([params], u, ts=ts)


def build_stacked_diagram(
    layers: Sequence[LSTMParams], u: ArrayLike, *, ts: float = EXPERIMENT1_TS
) -> LSTMDiagram:
    """Build stacked LSTM layers (``h`` of one feeds the next) and an FC layer.

    Block names get a prefix ``"L1 "``, ``"L2 "``, ... Only the last layer's F and
    bF are used (the FC layer); earlier layers' F and bF are ignored.

    Parameters
    ----------
    layers
        The layers' parameters, first to last; layer k's ``Ni`` is layer
        k-1's ``Nn``.
    u : array_like, shape ``(T, Ni)``
        Input sequence of the first layer.
    ts
        Sample time in seconds.

    Returns
    -------
    LSTMDiagram
    """
    return LSTMDiagram(list(layers), u, ts=ts)


def build_cell_diagram(
    layers: LSTMParams | CellParams | Sequence[LSTMParams | CellParams],
    u: ArrayLike,
    *,
    ts: float = EXPERIMENT1_TS,
) -> LSTMDiagram:
    """Build any cell's layers (GRU, peephole LSTM, Elman RNN, LSTM) and an FC layer.

    Each layer is built block by block with named wires by its cell's layer
    builder (:data:`~blocksim_lstm._cell_layers.LAYER_BUILDERS`); layer k's h(t)
    feeds layer k+1, and the last layer's F and bF form the FC layer. Cells may
    be mixed in one stack (a GRU layer feeding an LSTM layer): every layer only
    needs its input of width ``Ni`` and gives its h(t). Cross-check the result
    with :func:`~blocksim_lstm.crosscheck_diagram` as an LSTM diagram.

    Parameters
    ----------
    layers
        One parameter container (:class:`~blocksim_lstm.cells.GRUParams`,
        :class:`~blocksim_lstm.cells.PeepholeParams`,
        :class:`~blocksim_lstm.cells.RNNParams`,
        :class:`~blocksim_lstm.LSTMParams`) or a sequence of them, first to last;
        layer k's ``Ni`` is layer k-1's ``Nn``.
    u : array_like, shape ``(T, Ni)``
        Input sequence of the first layer.
    ts
        Sample time in seconds.

    Returns
    -------
    LSTMDiagram
        Blocks named as in :mod:`blocksim_lstm._names` (``Wr``, ``Rr``, ``bWr``,
        ``bRr``, ``sumRG``, ``logsig_r``, ... for a GRU), prefixed ``"L1 "``,
        ``"L2 "``, ... when there is more than one layer.

    Raises
    ------
    TypeError
        A layer is not a known cell's parameters (the message names the layer).
    ValueError
        No layer, sizes that do not chain (the message names both layers and
        their cells), or a bad input or sample time.

    Examples
    --------
    >>> import numpy as np
    >>> import blocksim_lstm as bl
    >>> from blocksim_lstm import cells
    >>> p = cells.GRUParams.random(nn=3, ni=2, no=1, seed=0)
    >>> d = bl.build_cell_diagram(p, np.zeros((5, 2)))
    >>> d.cells, len(d.blocks)
    (('gru',), 29)
    """
    one = isinstance(layers, LSTMParams | CellParams)
    return LSTMDiagram(
        [layers] if one else list(layers),  # type: ignore[list-item, arg-type]
        u,
        ts=ts,
    )
