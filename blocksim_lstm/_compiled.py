"""A compiled run of a bdsim diagram: one fused step function, compiled with numba.

:func:`compile_diagram` walks the compiled ``bd.plan`` (bdsim's evaluation order)
and writes Python source with one short code fragment per block it knows (bdsim's
``CONSTANT``, ``GAIN``, ``SUM``, ``PROD``, ``FUNCTION`` when numba can compile its
function; this package's ``SIGMOID``, ``TANH``, ``RELU``, ``EPROD``, ``AFFINE``,
``UNITDELAY``, ``SEQUENCE``, ``LOGGER``). When it knows every block, the loop over
steps runs inside one numba function. A block it does not know (or a known block
with inputs it does not handle, such as a scalar where a vector is expected) is
run by calling its own ``output`` / ``next`` from a Python loop over the plan, with
the known blocks between such blocks compiled as numba segments of one step.

Semantics are bdsim's for a pure-discrete diagram with one clock: the evaluation
at tick ``t = (k + 1) Ts`` is step ``k``; clocked states latch after each step.
bdsim's extra evaluation at ``t = 0`` is made only for the blocks run by their own
methods (for their side effects; the known blocks have none).

Same bytes on any machine: the generated code has no fast-math, no BLAS (matrix
products are loops in a fixed order, each sum from its first term to its last),
and sigmoid / tanh are the training kernels' (built from +, -, *, /, no libm).
bdsim's own blocks call BLAS, SciPy's ``expit`` and NumPy's ``tanh``, so the two
engines agree to a few units in the last place, not to the bit.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._files import cache_folder

__all__ = ["CompiledDiagram", "compile_diagram", "KNOWN_BLOCKS"]

KNOWN_BLOCKS: tuple[str, ...] = (
    "CONSTANT",
    "GAIN",
    "SUM",
    "PROD",
    "FUNCTION",
    "SIGMOID",
    "TANH",
    "RELU",
    "EPROD",
    "AFFINE",
    "UNITDELAY",
    "SEQUENCE",
    "LOGGER",
)
"""Block types the engine turns into generated code (``FUNCTION`` only when numba
can compile its function; the others when their signals are 1-D float vectors)."""

_Wire = tuple[int, int]  # (block index, output port)


@dataclass
class _WireInfo:
    var: str  # trace array name in the generated code
    width: int
    vector: bool  # 1-D float64 ndarray (else any other value, kept as an object)
    sample: Any  # the value at the t = 0 evaluation


@dataclass
class _Fragment:
    """Generated code of one known block for step ``k``."""

    block: Any
    lines: list[str]
    consts: dict[str, Any] = field(default_factory=dict)
    label: str = ""


def _type_name(block: Any) -> str:
    return str(getattr(block, "type", type(block).__name__)).upper()


def _is_vec(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype == np.float64


class _Builder:
    """Walks the plan once (t = 0, initial states), then writes the source."""

    def __init__(self, bd: Any):
        self.bd = bd
        if not getattr(bd, "compiled", False) or not getattr(bd, "plan", None):
            raise ValueError("bd: expected a compiled diagram (call bd.compile())")
        self.blocks: list[Any] = list(bd.blocklist)
        self.index = {id(b): i for i, b in enumerate(self.blocks)}
        self.order: list[Any] = [b for group in bd.plan for b in group]
        # the first group (sources, clocked blocks without feedthrough) runs before
        # any wire is known: bdsim gives these blocks None inputs in output()
        self.first = {id(b) for b in bd.plan[0]}
        self.sinks = [b for b in self.blocks if b.nout == 0 and b not in self.order]
        clocks = list(getattr(bd, "clocklist", []))
        for b in self.blocks:
            if getattr(b, "nstates", 0):
                raise ValueError(
                    f"engine 'compiled': block {b.name!r} has continuous states; "
                    "expected a discrete-time diagram"
                )
        if len(clocks) > 1:
            raise ValueError(
                f"engine 'compiled': expected one clock, got {len(clocks)} "
                f"({', '.join(str(c.name) for c in clocks)})"
            )
        if clocks and clocks[0].offset != 0:
            raise ValueError(
                f"engine 'compiled': expected a clock offset of 0, got "
                f"{clocks[0].offset}"
            )
        self.clock = clocks[0] if clocks else None
        self.sources: dict[tuple[int, int], _Wire] = {}
        for w in bd.wirelist:
            end = (self.index[id(w.end.block)], w.end.port)
            self.sources[end] = (self.index[id(w.start.block)], w.start.port)
        self.wires: dict[_Wire, _WireInfo] = {}
        self._probe()

    def inputs(self, b: Any) -> list[_Wire]:
        i = self.index[id(b)]
        return [self.sources[(i, p)] for p in range(b.nin)]

    def state0(self, b: Any) -> Any:
        return np.array(b._x0, dtype=float) if getattr(b, "ndstates", 0) else None

    def _probe(self) -> None:
        """Evaluate the plan at t = 0 to learn every wire's type and width."""
        values: dict[_Wire, Any] = {}
        for b in self.order:
            ins = [None if id(b) in self.first else values[s] for s in self.inputs(b)]
            out = b.output(0.0, ins, self.state0(b))
            if not isinstance(out, (list, tuple)) or len(out) != b.nout:
                raise ValueError(
                    f"engine 'compiled': block {b.name!r} returned {out!r}, "
                    f"expected a list of {b.nout} outputs"
                )
            i = self.index[id(b)]
            for p, v in enumerate(out):
                values[(i, p)] = v
                arr = np.asarray(v, dtype=float).reshape(-1)
                self.wires[(i, p)] = _WireInfo(f"w{i}_{p}", arr.size, _is_vec(v), v)

    # ---------------------------------------------------------------- fragments

    def fragment(self, b: Any) -> _Fragment | None:
        """The block's generated code, or None to run its own methods."""
        kind = _type_name(b)
        i = self.index[id(b)]
        ins = [self.wires[s] for s in self.inputs(b)]
        outs = [self.wires[(i, p)] for p in range(b.nout)]
        if not all(w.vector for w in ins + outs):
            return None
        maker = getattr(self, f"_frag_{kind.lower()}", None)
        if maker is None or kind not in KNOWN_BLOCKS:
            return None
        frag: _Fragment | None = maker(b, i, [w.var for w in ins], ins, outs)
        if frag is not None:
            src = ", ".join(w.var for w in ins) or "()"
            frag.label = f"{b.name} ({kind}): {src} -> {', '.join(w.var for w in outs)}"
        return frag

    def _frag_constant(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        c = f"c{i}"
        o = outs[0].var
        if not _is_vec(b.value):
            return None
        return _Fragment(b, [f"copy({c}, 0, {o}, k)"], {c: _row(b.value)})

    def _frag_gain(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        K, o, c = b.K, outs[0].var, f"c{i}"
        if isinstance(K, np.ndarray) and K.ndim == 2 and K.dtype == np.float64:
            if b.premul:  # K @ x: the sweep over the columns of K
                if K.shape != (outs[0].width, ins[0].width):
                    return None
                Kt = np.ascontiguousarray(K.T)
            else:  # x @ K: the sweep over the rows of K
                if K.shape != (ins[0].width, outs[0].width):
                    return None
                Kt = np.ascontiguousarray(K)
            return _Fragment(b, [f"matvec({c}, {x[0]}, {o}, k)"], {c: Kt})
        if isinstance(K, (int, float)) and not isinstance(K, bool):
            lines = [
                f"for e in range({o}.shape[1]):",
                f"    {o}[k, e] = {x[0]}[k, e] * {c}",
            ]
            return _Fragment(b, lines, {c: float(K)})
        return None

    def _frag_sum(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        if b.mode is not None or len({w.width for w in ins + outs}) != 1:
            return None
        terms = ""
        for p, s in enumerate(b.signs):
            term = f"{x[p]}[k, e]"
            terms = (
                (f"-{term}" if s == "-" else term) if p == 0 else f"{terms} {s} {term}"
            )
        o = outs[0].var
        return _Fragment(
            b, [f"for e in range({o}.shape[1]):", f"    {o}[k, e] = {terms}"]
        )

    def _frag_prod(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        # two 1-D vectors: bdsim's '@' gives their dot product, a scalar (not a
        # vector wire): run by the block itself; nothing else is element-wise here
        return None

    def _frag_eprod(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        if len({w.width for w in ins + outs}) != 1:
            return None
        o = outs[0].var
        return _Fragment(b, [f"eprod({x[0]}, {x[1]}, {o}, k)"])

    def _elementwise(self, b, fn, x, ins, outs):  # noqa: ANN001, ANN202
        if ins[0].width != outs[0].width:
            return None
        o = outs[0].var
        return _Fragment(b, [f"{fn}({x[0]}, {o}, k)"])

    def _frag_sigmoid(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        return self._elementwise(b, "sigmoid", x, ins, outs)

    def _frag_tanh(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        return self._elementwise(b, "tanh", x, ins, outs)

    def _frag_relu(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        return self._elementwise(b, "relu", x, ins, outs)

    def _frag_affine(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        K, c, d, o = b.K, f"c{i}", f"d{i}", outs[0].var
        if K.shape != (outs[0].width, ins[0].width):
            return None
        lines = [f"affine({c}, {x[0]}, {d}, {o}, k)"]
        return _Fragment(b, lines, {c: np.ascontiguousarray(K.T), d: _row(b.bias)})

    def _frag_unitdelay(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        c, o = f"c{i}", outs[0].var
        if b._clock is not self.clock or ins[0].width != outs[0].width:
            return None
        lines = [  # y(k) = x0 at k = 0, the input of step k - 1 after
            "if k == 0:",
            f"    copy({c}, 0, {o}, k)",
            "else:",
            f"    copy({x[0]}, k - 1, {o}, k)",
        ]
        return _Fragment(b, lines, {c: _row(b._x0)})

    def _frag_sequence(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        c, s, o = f"c{i}", f"s{i}", outs[0].var
        x0 = float(np.asarray(b._x0).reshape(-1)[0])
        if b._clock is not self.clock or x0 != int(x0) or x0 < 0:
            return None
        lines = [  # the block's state counts steps from x0 (0): row min(x0 + k, N-1)
            f"copy({c}, min({s} + k, {c}.shape[0] - 1), {o}, k)"
        ]
        return _Fragment(b, lines, {c: np.ascontiguousarray(b.u), s: int(x0)})

    def _frag_function(self, b, i, x, ins, outs):  # noqa: ANN001, ANN202
        if not callable(b.func) or b.userdata is not None or b.args or b.kwargs:
            return None
        if b.nout != 1:
            return None
        f = _numba_function(b.func, [w.sample for w in ins], outs[0].sample)
        if f is None:
            return None
        c, o = f"f{i}", outs[0].var
        args = ", ".join(f"{v}[k]" for v in x)
        return _Fragment(
            b,
            [f"{o}[k, :] = {c}({args})"],
            {c: f},
        )


def _row(v: Any) -> np.ndarray:
    """A vector as a 1-row 2-D float64 array (what the kernels take)."""
    return np.array(v, dtype=np.float64).reshape(1, -1)


def _numba_function(func: Callable[..., Any], samples: list[Any], out: Any) -> Any:
    """``func`` compiled by numba (no fast-math), if it compiles and its result at
    the t = 0 inputs has the same shape as the interpreted one; else None."""
    try:
        from numba import njit

        f = njit(func)
        r = f(*[np.ascontiguousarray(s) for s in samples])
    except Exception:  # numba cannot type it: the block runs itself
        return None
    if not _is_vec(r) or r.shape != np.shape(out):
        return None
    return f


# ------------------------------------------------------------------- source


_HEADER = '''"""Generated by blocksim_lstm._compiled from a bdsim diagram."""
from numba import njit

from blocksim_lstm._compiled_kernels import (
    affine, copy, eprod, matvec, relu, sigmoid, tanh
)
'''


def _segment_source(
    name: str, frags: list[_Fragment], args: list[str], *, loop: bool
) -> str:
    """One numba function: the fragments for step ``k`` (or a loop over k).

    Cached on disk unless it calls a user's function (passed as an argument: the
    cache could not tell two functions apart).
    """
    head = "n" if loop else "k"
    cache = not any(_type_name(f.block) == "FUNCTION" for f in frags)
    lines = [
        f"@njit(cache={cache}, error_model='numpy')",
    ]
    row = f"def {name}({head},"
    for a in args:
        if len(row) + len(a) + 2 > 84:
            lines.append(row)
            row = "        "
        row += f" {a},"
    lines.append(row[:-1] + "):")
    pad = "        " if loop else "    "
    if loop:
        lines.append("    for k in range(n):")
    for f in frags:
        lines.append(f"{pad}# {f.label}")
        lines += [pad + ln for ln in f.lines]
    lines.append("    return 0")
    return "\n".join(lines) + "\n"


def _stamp() -> str:
    """Hash of the sources the generated code depends on (a change recompiles)."""
    from . import _compiled_kernels
    from .training import _kernels

    h = hashlib.sha256()
    for mod in (sys.modules[__name__], _compiled_kernels, _kernels):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:16]


def _load_module(source: str) -> tuple[Any, bool]:
    """Import ``source`` from a file named by its hash, so numba can cache it on
    disk; return the module and whether that file is in the user's cache."""
    digest = hashlib.sha256((_stamp() + source).encode()).hexdigest()[:24]
    name = f"_bdsl_compiled_{digest}"
    if name in sys.modules:
        return sys.modules[name], True
    folder = cache_folder()
    path = folder / f"{name}.py"
    cached = True
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != source:
            from ._files import write_atomic

            write_atomic(path, source)
    except OSError:  # read-only home: a private temporary file, no disk cache
        cached = False
        folder = Path(tempfile.mkdtemp(prefix="bdsl-compiled-"))
        path = folder / f"{name}.py"
        path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module, cached


@dataclass
class _Step:
    """One entry of the per-step schedule: a compiled segment or a block."""

    segment: str | None = None
    args: list[str] = field(default_factory=list)
    block: Any = None


class CompiledDiagram:
    """A bdsim diagram turned into generated code (see :func:`compile_diagram`).

    Parameters
    ----------
    builder
        The walk of the diagram's compiled plan: blocks in evaluation order,
        wire widths, sinks.
    frags
        Each block (by ``id``) -> its generated code, or None for a block that
        runs its own ``output`` / ``next``.

    Attributes
    ----------
    source : the generated Python source (numba functions).
    fused : True if every block is compiled and the step loop runs inside numba.
    fallback : names of the blocks run by their own ``output`` / ``next``.
    cached : True if the source lives in the on-disk cache (numba caches its
        machine code beside it, so a later process does not compile again).
    """

    def __init__(self, builder: _Builder, frags: dict[int, _Fragment | None]):
        self._b = builder
        order = builder.order
        self.fallback: list[str] = [b.name for b in order if frags[id(b)] is None]
        self.fallback += [b.name for b in builder.sinks if _type_name(b) != "LOGGER"]
        self.fused = not self.fallback
        self.consts: dict[str, Any] = {}
        for f in frags.values():
            if f is not None:
                self.consts.update(f.consts)
        # the schedule: runs of known blocks become one segment each
        self._steps: list[_Step] = []
        run: list[_Fragment] = []
        chunks: list[str] = []

        def close() -> None:
            if not run:
                return
            name = f"segment_{len(chunks)}"
            args = self._args(run)
            chunks.append(_segment_source(name, list(run), args, loop=self.fused))
            self._steps.append(_Step(segment=name, args=args))
            run.clear()

        for b in order:
            f = frags[id(b)]
            if f is None:
                close()
                self._steps.append(_Step(block=b))
            else:
                run.append(f)
        close()
        plan = ["", "# one step, in bdsim's evaluation order:"]
        for st in self._steps:
            if st.segment is not None:
                plan.append(f"#   {st.segment}(...)")
            else:
                plan.append(
                    f"#   {st.block.name} ({_type_name(st.block)}): its own "
                    "output() / next(), called from Python"
                )
        if self.fused:
            plan.append("# (fused: the loop over steps runs inside the segment)")
        self.source = _HEADER + "\n".join(plan) + "\n\n\n" + "\n\n".join(chunks)
        self._module: Any = None
        self._traces: dict[str, np.ndarray] = {}
        self.cached = False

    def _args(self, frags: list[_Fragment]) -> list[str]:
        names: list[str] = []
        for f in frags:
            i = self._b.index[id(f.block)]
            for s in self._b.inputs(f.block):
                names.append(self._b.wires[s].var)
            names += [self._b.wires[(i, p)].var for p in range(f.block.nout)]
            names += list(f.consts)
        seen: dict[str, None] = {}
        for n in names:
            seen.setdefault(n, None)
        return list(seen)

    def load(self) -> None:
        """Import (and so compile on first call) the generated functions."""
        if self._module is None:
            self._module, self.cached = _load_module(self.source)

    def run(self, steps: int, ts: float) -> dict[tuple[str, int], np.ndarray]:
        """Run ``steps`` steps; return every output port's trace.

        Parameters
        ----------
        steps
            Number of ticks; step k is the tick at ``t = (k + 1) ts``.
        ts
            The clock's period (only the blocks run by their own methods see t).

        Returns
        -------
        dict
            ``(block name, port) -> ndarray, shape (steps, width)``.
        """
        self.load()
        b = self._b
        traces = {w.var: np.empty((steps, w.width)) for w in b.wires.values()}
        env: dict[str, Any] = {**traces, **self.consts}
        if self.fused:
            for st in self._steps:
                getattr(self._module, str(st.segment))(
                    steps, *[env[a] for a in st.args]
                )
        else:
            self._interpreted(steps, ts, traces, env)
        for s in b.sinks:
            if _type_name(s) == "LOGGER":
                tr = traces[b.wires[b.inputs(s)[0]].var]
                rows = {0.0: tr[0].copy()} if steps else {}
                for k in range(steps):
                    rows[(k + 1) * ts] = tr[k].copy()
                s._rows = rows
        return {
            (blk.name, p): traces[w.var]
            for (i, p), w in b.wires.items()
            for blk in (b.blocks[i],)
        }

    def _interpreted(
        self, steps: int, ts: float, traces: dict[str, np.ndarray], env: dict[str, Any]
    ) -> None:
        """The plan walked in Python: segments for known blocks, methods for others."""
        b = self._b
        self._traces = traces
        state = {id(blk): b.state0(blk) for blk in b.order + b.sinks}
        live: dict[_Wire, Any] = {}
        idx = b.index
        other_sinks = [s for s in b.sinks if _type_name(s) != "LOGGER"]
        seg_fns = {
            st.segment: getattr(self._module, str(st.segment))
            for st in self._steps
            if st.segment
        }
        for e in range(steps + 1):  # e = 0: bdsim's evaluation at t = 0
            k = max(e - 1, 0)
            t = e * ts
            for st in self._steps:
                if st.segment is not None:
                    seg_fns[st.segment](k, *[env[a] for a in st.args])
                    continue
                blk = st.block
                ins = [
                    None if id(blk) in b.first else self._value(s, k, live)
                    for s in b.inputs(blk)
                ]
                out = blk.output(t, ins, state[id(blk)])
                i = idx[id(blk)]
                for p, v in enumerate(out):
                    live[(i, p)] = v
                    traces[b.wires[(i, p)].var][k] = np.asarray(v, dtype=float).reshape(
                        -1
                    )
            for s in other_sinks:
                s.step(t, [self._value(w, k, live) for w in b.inputs(s)])
            if e == 0:
                continue
            new = {}
            for st in self._steps:  # latch the clocked blocks run by their methods
                blk = st.block
                if blk is not None and state[id(blk)] is not None:
                    ins = [self._value(s, k, live) for s in b.inputs(blk)]
                    new[id(blk)] = np.asarray(
                        blk.next(t, ins, state[id(blk)]), dtype=float
                    ).reshape(-1)
            state.update(new)

    def _value(self, wire: _Wire, k: int, live: dict[_Wire, Any]) -> Any:
        """A wire's value at step k: as its block returned it, or a row of its
        trace when compiled code wrote it."""
        if wire in live:
            return live[wire]
        return self._traces[self._b.wires[wire].var][k]

    def __repr__(self) -> str:
        return (
            f"CompiledDiagram(fused={self.fused}, fallback={self.fallback}, "
            f"wires={len(self._b.wires)})"
        )


def compile_diagram(bd: Any) -> CompiledDiagram:
    """Turn a compiled bdsim diagram into generated, numba-compiled code.

    Parameters
    ----------
    bd
        A bdsim ``BlockDiagram`` after ``bd.compile()``: discrete-time, one clock
        with offset 0, every signal a value bdsim can run.

    Returns
    -------
    CompiledDiagram
        Its ``source`` is the generated code; ``run(steps, ts)`` records every
        wire. numba compiles on the first run (or loads its disk cache).

    Raises
    ------
    ValueError
        The diagram is not compiled, has continuous states or more than one clock.
    """
    builder = _Builder(bd)
    frags = {id(b): builder.fragment(b) for b in builder.order}
    return CompiledDiagram(builder, frags)
