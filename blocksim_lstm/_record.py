"""Record every wire of any discrete-time bdsim diagram, aligned to steps.

:func:`record` runs a bdsim ``BlockDiagram`` (built from this package's exact
sampled blocks, :mod:`blocksim_lstm.blocks`, from bdsim's stock blocks, or
both) and returns each wire's trace, row k = step k, keyed by
:func:`~blocksim_lstm._wirekey.wire_key` (the block's name for port 0,
``"name[p]"`` for port p). It is the same recording as
:meth:`~blocksim_lstm._diagram.LSTMDiagram.run` (one mechanism,
:func:`~blocksim_lstm._diagram.run_watched`), for any diagram; the traces can be
cross-checked against reference arrays with
:func:`~blocksim_lstm._crosscheck.crosscheck_traces` and the report painted on
the diagram with :func:`~blocksim_lstm._draw.draw`.

Which stock bdsim 1.4 blocks are exact unit delays (measured, see
``tests/test_record.py``): ``ZOH`` with ``x0`` of the signal's full width,
``LTI_SS_S(clock, A=0, B=1, C=1)`` and ``LTI_SISO_S(clock, N=[1], D=[1, 0])``
on scalar signals, like this package's ``UnitDelay``. Not delays:
``INTEGRATOR_S`` (``y[k] = x0 + gain Ts sum_{j<k} u[j]``, no feedthrough),
``DERIV_S`` (feedthrough). A ``ZOH`` with a scalar ``x0`` fed a vector keeps
one element and passes wrong values on, silently.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._diagram import Signals, check_sample_time, new_sim, run_watched
from ._graph import diagram_graph
from ._loops import check_no_algebraic_loops
from ._validate import check_memory, check_positive_int
from ._wirekey import wire_key

__all__ = ["Recording", "record", "record_bytes"]


@dataclass(frozen=True, eq=False)
class Recording:
    """Every wire's trace of a run of a bdsim diagram, aligned to steps.

    Attributes
    ----------
    traces : :class:`~blocksim_lstm._diagram.Signals`
        Wire key -> ndarray, shape ``(T, width)``; row k is step k. Keys are
        block names for port 0 and ``"name[p]"`` for port p, in evaluation
        order; a wire's label (``labels``) is accepted as a key too.
    t : ndarray, shape ``(T,)``
        The time of step k, ``k * Ts``.
    order : tuple of str
        Block names in the order bdsim evaluates them within one step (its
        schedule, ``bd.plan``; sinks are not in it).
    labels : dict
        Wire key -> label: the name the diagram gives the wire (bdsim wire
        names, or this package's SPEC labels for its LSTM diagrams); wires
        without a name are absent.
    ts : float
        Sample time in seconds (the diagram's clock period).
    diagram : object
        What was recorded: the bdsim ``BlockDiagram``, or the
        ``LSTMDiagram`` / ``ModelDiagram`` holding it.
    """

    traces: Signals
    t: np.ndarray
    order: tuple[str, ...]
    labels: Mapping[str, str]
    ts: float
    diagram: Any

    @property
    def steps(self) -> int:
        """Number of steps T."""
        return int(self.t.shape[0])

    @property
    def wires(self) -> tuple[str, ...]:
        """The wire keys in evaluation order (block order, then port)."""
        return tuple(self.traces)

    @property
    def bd(self) -> Any:
        """The bdsim ``BlockDiagram`` that was run."""
        return getattr(self.diagram, "bd", self.diagram)


def record_bytes(steps: int, widths: list[int], dstates: int = 0) -> float:
    """Memory a recording of ``steps`` steps takes, in bytes (an upper estimate).

    bdsim keeps one small array per wire and step (about 120 bytes plus 8 per
    element), stacks them at the end, and the recording copies the stack:
    taken as ``200 + 32 width`` bytes per wire and step, plus the states.

    Parameters
    ----------
    steps
        Steps of the run T.
    widths
        Elements of each recorded wire.
    dstates
        Discrete states of the diagram (bdsim logs them at every tick).
    """
    per_step = sum(200.0 + 32.0 * w for w in widths) + 32.0 * dstates + 500.0
    return float(steps) * per_step


def _block_diagram(diagram: Any) -> Any:
    bd = getattr(diagram, "bd", diagram)
    if not (hasattr(bd, "blocklist") and hasattr(bd, "wirelist")):
        raise TypeError(
            "diagram: expected a bdsim BlockDiagram, an LSTMDiagram or a "
            f"ModelDiagram, got {type(diagram).__name__}"
        )
    return bd


def _clock(bd: Any) -> Any:
    """The one clock whose ticks are the steps; refuse anything else."""
    clocks = list(bd.clocklist)
    for b in bd.blocklist:
        c = getattr(b, "_clock", None)
        if c is not None and all(c is not k for k in clocks):
            raise ValueError(
                f"diagram: block {b.name!r} is clocked by {getattr(c, 'name', c)!r}, "
                "which is not a clock of this diagram (make clocks with bd.clock)"
            )
    if not clocks:
        raise ValueError(
            "diagram: expected a discrete-time diagram with a clock (bd.clock(Ts)) "
            "whose ticks are the steps, got a diagram with no clock"
        )
    kinds = {(float(c.T), float(c.offset)) for c in clocks}
    if len(kinds) > 1:
        found = ", ".join(
            f"{c.name!r} (Ts {c.T:g} s, offset {c.offset:g} s)" for c in clocks
        )
        raise ValueError(
            "diagram: expected one clock period and offset (the steps of the "
            f"recording), got clocks {found}"
        )
    clock = clocks[0]
    if not clock.time(1) > 0:
        raise ValueError(
            f"diagram: clock {clock.name!r} never ticks: its first tick "
            f"Ts + offset = {clock.time(1):g} s is not after t = 0"
        )
    return clock


def _width(block: Any, port: int) -> int:
    values = getattr(block, "_output_values", None)
    try:
        return max(1, int(np.size(values[port])))  # type: ignore[index]
    except (TypeError, IndexError):
        return 1


def _labels(diagram: Any, bd: Any, keys: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in getattr(diagram, "signals", None) or ():
        if all(hasattr(s, a) for a in ("block", "port", "label")):
            out.setdefault(wire_key(str(s.block), int(s.port)), str(s.label))
    for w in bd.wirelist:
        if w.name:
            out.setdefault(wire_key(w.start.block.name, int(w.start.port)), w.name)
    return {k: v for k, v in out.items() if k in keys}


def _compile(diagram: Any, bd: Any) -> None:
    """Compile ``bd``; a failure becomes a one-line error naming its cause."""
    compile_ = getattr(diagram, "compile", None) if diagram is not bd else None
    try:
        if compile_ is not None:
            compile_()  # an LSTMDiagram remembers that it is compiled
        else:
            with contextlib.redirect_stdout(io.StringIO()):
                bd.compile(report=False)
    except Exception as exc:
        # bdsim prints the cause of a cycle and raises "could not compile":
        # name the loop's blocks ourselves (AlgebraicLoopError, a ValueError)
        check_no_algebraic_loops(diagram_graph(bd))
        text = str(exc).strip().splitlines()
        raise ValueError(
            f"diagram: bdsim could not compile it: "
            f"{text[0] if text else type(exc).__name__}"
        ) from exc


def record(diagram: Any, *, steps: int | None = None) -> Recording:
    """Run a discrete-time bdsim diagram and record every wire, aligned to steps.

    The diagram's clock defines the steps: bdsim evaluates at t = 0 and at each
    tick; the run ends on tick ``steps`` and the t = 0 sample is dropped, so
    row k of every trace is the evaluation at tick k + 1, which sees the states
    after k latches: step k (the convention of ``LSTMDiagram.run``, whose
    traces this reproduces byte for byte). A source block that reads the time
    (bdsim's ``WAVEFORM``, ``STEP``...) sees ``(k + 1) Ts + offset`` at step k;
    this package's ``Sequence`` counts steps instead.

    This package's ``Logger`` blocks write no file during the recording.

    Parameters
    ----------
    diagram
        A bdsim ``BlockDiagram`` (compiled or not: it is compiled here), or an
        object holding one as ``.bd`` (an ``LSTMDiagram`` or ``ModelDiagram``).
        All its clocks must share one period and offset (one clock is usual);
        it must have no continuous states.
    steps
        Number of steps T, >= 1; defaults to ``diagram.steps`` for this
        package's diagrams (a bdsim diagram does not know its length).

    Returns
    -------
    Recording
        ``traces[key]`` of shape ``(T, width)`` for every output port of every
        block, ``t`` of shape ``(T,)``, the evaluation ``order``, wire ``labels``.

    Raises
    ------
    TypeError
        ``diagram`` is not a bdsim diagram.
    ValueError
        ``steps`` is not an integer >= 1; bdsim cannot compile the diagram (an
        algebraic loop is named by its blocks: ``AlgebraicLoopError``, an
        unconnected input...); the diagram has no clock, clocks of
        different periods or offsets, a clock that never ticks, continuous
        states, no output port, or two wires with the same key; the recording
        would not fit in memory.
    RuntimeError
        bdsim recorded another number of samples than expected.
    """
    bd = _block_diagram(diagram)
    if steps is None:
        steps = getattr(diagram, "steps", None) if diagram is not bd else None
        if steps is None:
            raise ValueError(
                "steps: expected an integer >= 1 (a bdsim diagram does not know "
                "how many steps to run), got None"
            )
    n = check_positive_int("steps", steps)
    if not bd.compiled:
        _compile(diagram, bd)
    if bd.nstates > 0:
        cont = [b.name for b in bd.blocklist if getattr(b, "nstates", 0) > 0]
        raise ValueError(
            f"diagram: expected a discrete-time diagram, got {bd.nstates} "
            f"continuous states (blocks {cont}); bdsim samples those at its "
            "integrator's points, not at steps"
        )
    clock = _clock(bd)
    ts = check_sample_time(f"diagram: clock {clock.name!r} period", clock.T, n)
    order = [b.name for group in bd.plan for b in group]
    blocks = {b.name: b for b in bd.blocklist}
    ports: dict[str, tuple[Any, int]] = {}
    for name in order + [name for name in blocks if name not in order]:
        b = blocks[name]
        for p in range(int(b.nout)):
            key = wire_key(name, p)
            if key in ports:
                other = ports[key]
                raise ValueError(
                    f"diagram: wires {name!r} port {p} and {other[0].name!r} port "
                    f"{other[1]} would both be recorded as {key!r}; rename a block"
                )
            ports[key] = (b, p)
    if not ports:
        raise ValueError("diagram: expected blocks with outputs, got no output port")
    widths = [_width(b, p) for b, p in ports.values()]
    check_memory(
        "steps",
        record_bytes(n, widths, int(getattr(bd, "ndstates", 0) or 0)),
        f"recording {len(ports)} wires over {n} steps",
    )
    traces = run_watched(
        new_sim(), bd, [b[p] for b, p in ports.values()], steps=n, clock=clock
    )
    recorded = dict(zip(ports, traces, strict=True))
    labels = _labels(diagram, bd, set(ports))
    by_label: dict[str, str] = {}
    for key, label in labels.items():
        by_label.setdefault(label, key)
    return Recording(
        traces=Signals(recorded, by_label),
        t=np.arange(n) * ts,
        order=tuple(order),
        labels=labels,
        ts=ts,
        diagram=diagram,
    )
