"""Cross-check harness: every wire of a diagram against its reference trace.

Tolerance per element is ``max(abs_tol, rel_tol * |reference|)``, as in Simulink's
Simulation Data Inspector. Beyond judging each signal on its own, the harness names
the *first divergence* (earliest step, then first signal in evaluation order) and
recognises traces that match their reference shifted by whole steps: the classic
unit-delay start-up error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._diagram import DiagramRun, LSTMDiagram, build_lstm_diagram
from ._experiment import EXPERIMENT1_TS
from ._parameters import LSTMParams
from ._reference import LSTMTrace
from ._validate import check_dtype
from .cells._reference import cell_reference

__all__ = [
    "DEFAULT_TOLERANCES",
    "CrossCheckReport",
    "Divergence",
    "SignalReport",
    "compare_traces",
    "crosscheck",
    "crosscheck_diagram",
    "reference_traces",
]

DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-12, 1e-12),
    "float32": (1e-5, 1e-5),
}
"""(abs_tol, rel_tol) by the reference's dtype (the diagram always runs float64)."""

_PARAM_ROWS = ("b", "bW", "bR")
"""Signal refs that name a bias array of the parameters (a constant block)."""

MAX_SHIFT = 3
"""Largest whole-step shift looked for when a signal fails."""


@dataclass(frozen=True)
class SignalReport:
    """How one wire compares with its reference.

    Attributes
    ----------
    name : block whose output the wire is.
    label : signal name in SPEC terms (``h(t-1)``, ``i``, ...).
    width : number of elements.
    max_abs : largest absolute difference over all steps and elements.
    max_rel : largest ``|d - r| / |r|`` over elements with ``r != 0``.
    passed : every element within tolerance at every step.
    first_step : first failing step, or None.
    first_index : element index failing first at ``first_step``, or None.
    shift : if the trace fails but matches its reference delayed by ``shift``
        steps (negative: advanced), that shift; else None.
    """

    name: str
    label: str
    width: int
    max_abs: float
    max_rel: float
    passed: bool
    first_step: int | None = None
    first_index: int | None = None
    shift: int | None = None


@dataclass(frozen=True)
class Divergence:
    """The earliest failure: step, then the first signal in evaluation order.

    Attributes
    ----------
    step
        The time step (0-based) of the first failing sample.
    signal
        The diagram's wire (block name) that fails first at that step.
    label
        Its SPEC label (``"c(t-1)"``, ``"i"``, ...).
    index
        The element of the wire's vector that fails.
    diagram_value, reference_value
        That element in the diagram and in the reference cell.
    shift
        Steps by which the whole trace lags (> 0) or leads (< 0) its
        reference, when a shift explains the failure; None otherwise.
    """

    step: int
    signal: str
    label: str
    index: int
    diagram_value: float
    reference_value: float
    shift: int | None = None

    def describe(self) -> str:
        """One line for humans."""
        text = (
            f"first divergence at step {self.step}: {self.signal} ({self.label})"
            f"[{self.index}] = {self.diagram_value:.10g}, reference "
            f"{self.reference_value:.10g}"
        )
        if self.shift:
            way = "lags" if self.shift > 0 else "leads"
            text += (
                f"; the trace {way} its reference by {abs(self.shift)} step(s) "
                "(unit-delay start-up error)"
            )
        return text


@dataclass(frozen=True)
class CrossCheckReport:
    """Per-signal comparison of a diagram run with the reference.

    Attributes
    ----------
    signals : one :class:`SignalReport` per wire, in evaluation order.
    first_divergence : the earliest failure, or None when all pass.
    abs_tol, rel_tol : the tolerances used.
    dtype : the reference computation's dtype.
    steps : number of steps compared.
    output_norm : Frobenius norm of the output difference, ``norm(z - y)`` in the
        original's terms (NaN when no output signal was named).
    """

    signals: tuple[SignalReport, ...]
    first_divergence: Divergence | None
    abs_tol: float
    rel_tol: float
    dtype: str
    steps: int
    output_norm: float = float("nan")

    @property
    def passed(self) -> bool:
        """True when every signal passed."""
        return all(s.passed for s in self.signals)

    def signal(self, name: str) -> SignalReport:
        """The report of the signal driven by block ``name``.

        Parameters
        ----------
        name
            A block name, as in :attr:`SignalReport.name`.

        Raises
        ------
        KeyError
            No signal of that name; the message lists the names.
        """
        for s in self.signals:
            if s.name == name:
                return s
        raise KeyError(
            f"name: no signal {name!r}; have {[s.name for s in self.signals]}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``passed``, ``first_divergence``, ``signals``, ..."""
        return {
            "passed": self.passed,
            "first_divergence": (
                None if self.first_divergence is None else asdict(self.first_divergence)
            ),
            "abs_tol": self.abs_tol,
            "rel_tol": self.rel_tol,
            "dtype": self.dtype,
            "steps": self.steps,
            "output_norm": self.output_norm,
            "signals": [asdict(s) for s in self.signals],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text.

        Parameters
        ----------
        indent
            Spaces per level, or None for one line.
        """
        return json.dumps(self.to_dict(), indent=indent)

    def table(self) -> str:
        """A fixed-width text table, one row per signal, and a verdict line."""
        rows = [
            f"{'signal':<16} {'label':<12} {'width':>5} {'max abs':>10} "
            f"{'max rel':>10}  result"
        ]
        for s in self.signals:
            result = "pass" if s.passed else f"FAIL at step {s.first_step}"
            if s.shift:
                result += f" (shifted {s.shift:+d})"
            rows.append(
                f"{s.name:<16} {s.label:<12} {s.width:>5} {s.max_abs:>10.2e} "
                f"{s.max_rel:>10.2e}  {result}"
            )
        verdict = (
            f"{'PASSED' if self.passed else 'FAILED'}: {len(self.signals)} signals, "
            f"{self.steps} steps, reference {self.dtype}, tolerance "
            f"max({self.abs_tol:g}, {self.rel_tol:g} * |reference|)"
        )
        rows.append(verdict)
        if np.isfinite(self.output_norm):
            rows.append(f"norm of the output difference: {self.output_norm:.3e}")
        if self.first_divergence is not None:
            rows.append(self.first_divergence.describe())
        return "\n".join(rows)


def _within(d: np.ndarray, r: np.ndarray, abs_tol: float, rel_tol: float) -> np.ndarray:
    return np.abs(d - r) <= np.maximum(abs_tol, rel_tol * np.abs(r))


def _shift(d: np.ndarray, r: np.ndarray, abs_tol: float, rel_tol: float) -> int | None:
    n = d.shape[0]
    for k in range(1, min(MAX_SHIFT, n - 1) + 1):
        for s in (k, -k):
            dd, rr = (d[s:], r[: n - s]) if s > 0 else (d[: n + s], r[-s:])
            if np.all(_within(dd, rr, abs_tol, rel_tol)):
                return s
    return None


def compare_traces(
    diagram: Mapping[str, np.ndarray],
    reference: Mapping[str, np.ndarray],
    order: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    abs_tol: float,
    rel_tol: float,
    dtype: str = "float64",
    output: str | None = None,
) -> CrossCheckReport:
    """Compare recorded traces with reference traces, signal by signal.

    Parameters
    ----------
    diagram, reference
        dict name -> ndarray of shape ``(T, width)``; the same names.
    order
        Signal names in evaluation order (decides ties for the first divergence).
    labels
        Optional display label per name.
    abs_tol, rel_tol
        Tolerance ``max(abs_tol, rel_tol * |reference|)`` per element.
    dtype
        Name of the reference dtype, recorded in the report.
    output
        Name of the output signal whose difference norm is reported.
    """
    if abs_tol < 0 or rel_tol < 0 or not np.isfinite(abs_tol + rel_tol):
        raise ValueError(
            f"abs_tol, rel_tol: expected finite values >= 0, got {abs_tol}, {rel_tol}"
        )
    missing = set(order) ^ set(diagram)
    if missing or set(order) != set(reference):
        raise ValueError(
            f"order: expected the same signal names as the traces; differ: "
            f"{sorted(missing | (set(order) ^ set(reference)))}"
        )
    labels = labels or {}
    reports = []
    first: Divergence | None = None
    steps = 0
    for name in order:
        d = np.asarray(diagram[name], dtype=float)
        r = np.asarray(reference[name], dtype=float)
        if d.shape != r.shape:
            raise ValueError(
                f"signal {name!r}: diagram trace has shape {d.shape}, reference "
                f"{r.shape}"
            )
        steps = d.shape[0]
        err = np.abs(d - r)
        nz = r != 0
        max_rel = float(np.max(err[nz] / np.abs(r[nz]))) if np.any(nz) else 0.0
        ok = _within(d, r, abs_tol, rel_tol) & np.isfinite(d)
        label = labels.get(name, name)
        if ok.all():
            reports.append(
                SignalReport(
                    name, label, d.shape[1], float(err.max(initial=0.0)), max_rel, True
                )
            )
            continue
        bad_steps = np.flatnonzero(~ok.all(axis=1))
        step = int(bad_steps[0])
        index = int(np.flatnonzero(~ok[step])[0])
        shift = _shift(d, r, abs_tol, rel_tol)
        reports.append(
            SignalReport(
                name,
                label,
                d.shape[1],
                float(np.nanmax(err)),
                max_rel,
                False,
                step,
                index,
                shift,
            )
        )
        if first is None or step < first.step:
            first = Divergence(
                step,
                name,
                label,
                index,
                float(d[step, index]),
                float(r[step, index]),
                shift,
            )
    out_norm = float("nan")
    if output is not None:
        out_norm = float(
            np.linalg.norm(
                np.asarray(diagram[output], dtype=float)
                - np.asarray(reference[output], dtype=float)
            )
        )
    return CrossCheckReport(
        tuple(reports), first, float(abs_tol), float(rel_tol), dtype, steps, out_norm
    )


def reference_traces(
    diagram: LSTMDiagram, *, dtype: DTypeLike = np.float64
) -> dict[str, np.ndarray]:
    """Each wire's expected trace, from the reference cells and the diagram's params.

    The diagram says which reference signal each wire stands for (its
    :class:`~blocksim_lstm._diagram.SignalSpec`: a trace field and a gate); the
    values come from each layer's reference cell
    (:func:`~blocksim_lstm.cells.cell_reference`: the LSTM's
    :func:`~blocksim_lstm._reference.reference_cell`, the GRU's, ...), run layer
    after layer on the diagram's input with the diagram's parameters. A bias
    constant's trace is its parameter row (``"b"``, ``"bW"``, ``"bR"``), a
    constant of ones (``"ones"``, the GRU's ``1 - z``) is ones.

    Parameters
    ----------
    diagram
        Any diagram built by this package (one layer or stacked, any cells).
    dtype
        The reference computation's dtype (float64 or float32).

    Returns
    -------
    dict
        Block name -> ndarray, shape ``(T, width)``.
    """
    dt = check_dtype(dtype)
    traces: list[Any] = []
    x: np.ndarray = diagram.u
    for p in diagram.layers:
        traces.append(cell_reference(p, x, dtype=dt))
        x = traces[-1].h
    last: Any = diagram.layers[-1]  # every cell has F and bF
    y = traces[-1].h @ last.F.T.astype(dt) + last.bF.astype(dt)
    steps = diagram.steps
    out: dict[str, np.ndarray] = {}
    for s in diagram.signals:
        tr = traces[s.layer]
        p = diagram.layers[s.layer]
        if s.ref in _PARAM_ROWS:
            row = (
                getattr(p, s.ref) if s.gate is None else p.gate(s.ref, s.gate)
            ).astype(dt)
            out[s.block] = np.broadcast_to(row, (steps, row.size)).copy()
        elif s.ref == "ones":
            out[s.block] = np.ones((steps, p.nn), dtype=dt)
        elif s.ref == "y":
            out[s.block] = y
        elif s.gate is not None and getattr(tr, s.ref).shape[-1] != p.nn:
            if isinstance(tr, LSTMTrace):
                out[s.block] = tr.gate_block(s.ref, s.gate)
            else:  # a cell's trace: gate-stacked by its gates (or its peepholes)
                gates = p.PEEPHOLES if s.ref == "pc" else p.GATES  # type: ignore[union-attr]
                out[s.block] = tr.gate_block(s.ref, s.gate, gates)
        else:
            out[s.block] = getattr(tr, s.ref)
    return out


def crosscheck_diagram(
    diagram: LSTMDiagram,
    *,
    dtype: DTypeLike = np.float64,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
    run: DiagramRun | None = None,
) -> CrossCheckReport:
    """Run ``diagram`` and compare every wire with the reference cell.

    Parameters
    ----------
    diagram
        Any diagram built by this package (one layer or stacked).
    dtype
        The reference's dtype: float64 (default) or float32. The diagram itself
        always runs in float64.
    abs_tol, rel_tol
        Tolerances; defaults from :data:`DEFAULT_TOLERANCES` for ``dtype``.
    run
        A result of ``diagram.run()`` to compare instead of running it again
        (e.g. to check one run against float64 and float32 references).
    """
    dt = check_dtype(dtype)
    a0, r0 = DEFAULT_TOLERANCES[dt.name]
    run = diagram.run() if run is None else run
    ref = reference_traces(diagram, dtype=dt)
    eval_order = diagram.evaluation_order()
    order = [n for n in eval_order if n in run.signals]
    order += [n for n in run.signals if n not in order]
    labels = {s.block: s.label for s in diagram.signals}
    return compare_traces(
        run.signals,
        ref,
        order,
        labels=labels,
        abs_tol=a0 if abs_tol is None else abs_tol,
        rel_tol=r0 if rel_tol is None else rel_tol,
        dtype=dt.name,
        output=diagram.signals[-1].block,
    )


def crosscheck(
    params: LSTMParams,
    u: ArrayLike,
    *,
    ts: float = EXPERIMENT1_TS,
    dtype: DTypeLike = np.float64,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> CrossCheckReport:
    """Build the seed's diagram for ``params`` and cross-check it on ``u``.

    Parameters
    ----------
    params
        Weights and initial states.
    u : array_like, shape ``(T, Ni)``
        Input sequence.
    ts
        Sample time (does not change the values; it labels the time axis).
    dtype, abs_tol, rel_tol
        As in :func:`crosscheck_diagram`.
    """
    return crosscheck_diagram(
        build_lstm_diagram(params, u, ts=ts),
        dtype=dtype,
        abs_tol=abs_tol,
        rel_tol=rel_tol,
    )
