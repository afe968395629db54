"""The compiled diagram engine against bdsim's own run, wire by wire."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import erf
from small_diagrams import accumulator, sim, two_loops

import blocksim_lstm as bl
from blocksim_lstm._compiled import compile_diagram
from blocksim_lstm.blocks import EProd, Logger, Sigmoid, Tanh, UnitDelay
from blocksim_lstm.cli import main

# bdsim's blocks call BLAS (its summation order is the CPU's), SciPy's expit and
# NumPy's tanh; the compiled engine sums in a fixed order and computes sigmoid /
# tanh without libm. The two agree to a few units in the last place of a wire's
# scale; measured <= 5 ulp on the seed.
TOL = 1e-15


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Generated sources (and numba's cache of them) in a folder of the session."""
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path_factory.getbasetemp()))


def assert_wires_equal(ref: dict, got: dict) -> None:
    assert ref.keys() == got.keys()
    for key in ref:
        a, b = np.asarray(ref[key]), np.asarray(got[key])
        assert a.shape == b.shape, key
        scale = max(1.0, float(np.max(np.abs(a))))
        err = float(np.max(np.abs(a - b)))
        assert err <= TOL * scale, f"{key}: differs by {err:.3g} (scale {scale:.3g})"


def bdsim_ports(bd, steps: int, ts: float) -> dict:
    """Every output port's trace from bdsim's own run (row 0, t = 0, dropped)."""
    with contextlib.redirect_stdout(io.StringIO()):
        bd.compile(report=False)
        blocks = [b for b in bd.blocklist if b.nout]
        watch = [b[p] for b in blocks for p in range(b.nout)]
        out = sim().run(bd, T=steps * ts, watch=watch)
    keys = [(b.name, p) for b in blocks for p in range(b.nout)]
    return {
        key: np.asarray(tr, dtype=float).reshape(steps + 1, -1)[1:]
        for key, tr in zip(keys, out[".ywatch"], strict=True)
    }


def _both(diagram) -> tuple:
    ref = diagram.run()
    got = diagram.run(engine="compiled")
    return ref, got


@settings(max_examples=4, deadline=None)
@given(
    nn=st.integers(1, 6),
    ni=st.integers(1, 3),
    no=st.integers(1, 3),
    steps=st.integers(1, 30),
    seed=st.integers(0, 2**31),
)
def test_one_layer_every_wire_equals_bdsim(nn, ni, no, steps, seed):
    params = bl.LSTMParams.random(nn, ni, no, seed=seed)
    u = np.random.default_rng(seed).normal(size=(steps, ni))
    ref, got = _both(bl.build_lstm_diagram(params, u, ts=0.05))
    assert_wires_equal(dict(ref.signals), dict(got.signals))
    np.testing.assert_array_equal(ref.t, got.t)
    assert got.y is got.signals["y(t)"]
    assert got.signals.labels() == ref.signals.labels()


def test_seed_diagram_is_fused_and_equals_bdsim():
    params, u = bl.seed_problem()
    d = bl.build_lstm_diagram(params, u)
    d.compile()
    engine = compile_diagram(d.bd)
    assert engine.fused and engine.fallback == []
    ref, got = _both(d)
    assert_wires_equal(dict(ref.signals), dict(got.signals))
    # and to the reference cell, which shares no code with either engine
    trace = bl.reference_cell(params, u)
    np.testing.assert_allclose(got.y, trace.y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.signals["c(t)"], trace.c, rtol=1e-12, atol=1e-12)


def test_stacked_diagram_equals_bdsim():
    rng = np.random.default_rng(3)
    layers = [
        bl.LSTMParams.random(4, 2, 1, seed=1),
        bl.LSTMParams.random(3, 4, 2, seed=2),
    ]
    u = rng.normal(size=(25, 2))
    d = bl.build_stacked_diagram(layers, u)
    ref, got = _both(d)
    assert len(ref.signals) == 1 + 2 * 27 + 1
    assert_wires_equal(dict(ref.signals), dict(got.signals))


@pytest.mark.parametrize("make", [accumulator, two_loops])
def test_unknown_blocks_run_their_own_methods(make):
    """bdsim's ZOH and NULL are not known: run by their output/next, same wires."""
    bd = make()
    ref = bdsim_ports(bd, 15, 0.1)
    engine = compile_diagram(bd)
    assert not engine.fused
    assert {"out"} < set(engine.fallback)
    assert_wires_equal(ref, engine.run(15, 0.1))


class _Leaky(UnitDelay):
    """A block type the engine does not know: a leaky, time-dependent delay."""

    def output(self, t, inputs, x):
        return [np.array(x, dtype=float) * 0.5 + t]

    def next(self, t, inputs, x):
        return np.asarray(inputs[0], dtype=float) - 0.25 * x


def test_unknown_block_inside_a_loop_of_known_blocks():
    """A custom clocked block and a FUNCTION numba cannot compile, between
    compiled ones; a FUNCTION numba can compile is compiled."""
    bd = sim().blockdiagram(name="mixed")
    clk = bd.clock(0.1, name="clk")
    n = 3
    src = bd.CONSTANT(np.array([0.3, -1.2, 2.0]), name="src")
    leak = _Leaky(clk, np.array([0.1, 0.2, 0.3]), bd=bd, name="leak")
    gain = bd.GAIN(
        np.arange(n * n, dtype=float).reshape(n, n) / 7, premul=True, name="K"
    )
    add = bd.SUM("+-+", name="add")
    sig = Sigmoid(bd=bd, name="sig")
    pyf = bd.FUNCTION(lambda x: erf(x) * x, name="pyf")  # numba: no scipy
    nbf = bd.FUNCTION(lambda x: 2.0 * x - 1.0, name="nbf")
    th = Tanh(bd=bd, name="th")
    prod = EProd(bd=bd, name="prod")
    sink = Logger(bd=bd, name="log")
    bd.connect(src, add[0])
    bd.connect(leak, gain)
    bd.connect(gain, add[1])
    bd.connect(leak, add[2])
    bd.connect(add, sig)
    bd.connect(sig, pyf)
    bd.connect(pyf, nbf)
    bd.connect(nbf, th)
    bd.connect(th, prod[0])
    bd.connect(sig, prod[1])
    bd.connect(prod, leak, sink)
    ref = bdsim_ports(bd, 12, 0.1)
    ref_log = sink.data.copy()
    engine = compile_diagram(bd)
    assert set(engine.fallback) == {"leak", "pyf"}
    got = engine.run(12, 0.1)
    assert_wires_equal(ref, got)
    assert_wires_equal({0: ref_log}, {0: sink.data})
    assert "nbf" in engine.source and "f" in engine.source


def test_engine_refuses_continuous_states_and_bad_engine_name():
    bd = sim().blockdiagram(name="cont")
    x = bd.INTEGRATOR(x0=0.0, name="int")
    c = bd.CONSTANT(1.0, name="c")
    bd.connect(c, x)
    bd.connect(x, bd.NULL(name="n"))
    with contextlib.redirect_stdout(io.StringIO()):
        bd.compile(report=False)
    with pytest.raises(ValueError, match="continuous states"):
        compile_diagram(bd)
    params, u = bl.seed_problem(steps=3)
    with pytest.raises(ValueError, match="engine: expected 'bdsim' or 'compiled'"):
        bl.build_lstm_diagram(params, u).run(engine="numba")


def test_generated_code_has_no_fma_and_no_libm_call():
    """The same bytes on any x86-64: no fused multiply-add, no libm, no BLAS.

    numba cannot show the machine code of a function loaded from its disk cache:
    each function is compiled afresh here, for this CPU, from its Python source.
    """
    from numba import njit

    from blocksim_lstm import _compiled_kernels as K

    params, u = bl.seed_problem(steps=4)
    d = bl.build_lstm_diagram(params, u)
    d.run(engine="compiled")  # compiles (or loads) everything once, for its types
    d.compile()
    engine = compile_diagram(d.bd)
    engine.load()
    # every product is in a kernel: the generated code only adds and subtracts
    # (SUM), so it cannot contract a multiply-add; its callees are checked below
    body = engine.source.split("def segment_0", 1)[1]
    assert "*" not in body and "matvec(" in body and "sigmoid(" in body
    functions = [
        K.matvec,
        K.affine,
        K.sigmoid,
        K.tanh,
        K.eprod,
        K.copy,
    ]
    for f in functions:
        assert f.signatures, f
        skip = ("cache", "nopython")
        options = {k: v for k, v in f.targetoptions.items() if k not in skip}
        fresh = njit(**options)(f.py_func)  # the kernel's own flags, uncached
        for sig_ in f.signatures:
            fresh.compile(sig_)
            asm = fresh.inspect_asm(sig_)
            ir = fresh.inspect_llvm(sig_)
            assert "mulpd" in asm or "mulsd" in asm or f is K.copy  # it is code
            assert not re.findall(r"\bvf(n?)m(add|sub)", asm), f
            calls = re.findall(r"declare [^@]*@(?!llvm\.|NRT|Py|numba)(\w+)", ir)
            calls += re.findall(r"declare [^@]*@(llvm\.(?:exp|pow|fma)\S*)\(", ir)
            assert not calls, (f, calls)
            assert "cblas" not in ir and "dgemv" not in ir


_SAME_BYTES = r"""
import hashlib, sys
import numpy as np
import blocksim_lstm as bl
params = bl.LSTMParams.random(6, 2, 2, seed=4)
u = np.random.default_rng(4).normal(size=(40, 2))
run = bl.build_lstm_diagram(params, u).run(engine="compiled")
h = hashlib.sha256()
for k in run.signals:
    h.update(run.signals[k].tobytes())
print(h.hexdigest())
"""


@pytest.mark.slow
def test_compiled_engine_gives_the_same_bytes_on_a_cpu_without_fma(tmp_path):
    """numba's generic x86-64 target, glibc without FMA, another OpenBLAS kernel,
    fresh caches: every wire has the same bytes as here."""
    import hashlib
    import os
    import subprocess
    import sys

    params = bl.LSTMParams.random(6, 2, 2, seed=4)
    u = np.random.default_rng(4).normal(size=(40, 2))
    run = bl.build_lstm_diagram(params, u).run(engine="compiled")
    h = hashlib.sha256()
    for k in run.signals:
        h.update(run.signals[k].tobytes())
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "BLOCKSIM_LSTM_CACHE": str(tmp_path / "gen"),
        "NUMBA_CPU_NAME": "generic",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4",
        "OPENBLAS_CORETYPE": "Prescott",
    }
    out = subprocess.run(
        [sys.executable, "-c", _SAME_BYTES],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert out.stdout.split()[-1] == h.hexdigest()


def test_show_code_prints_the_generated_source(capsys):
    assert main(["simulate", "--engine", "compiled", "--show-code"]) == 0
    out = capsys.readouterr().out
    source = out[: out.index("LSTM block diagram:")]
    compile(source, "<generated>", "exec")  # valid Python
    assert "def segment_0(n," in source and "for k in range(n):" in source
    for name in (
        "Wi",
        "Ri",
        "sumIG",
        "logsig_i",
        "prod_oc",
        "Hidden State",
        "FC layer",
    ):
        assert f"# {name} (" in source
    assert "engine compiled" in out


def test_show_code_needs_the_compiled_engine(capsys):
    assert main(["simulate", "--show-code"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "blocksim-lstm simulate: error: --show-code: expected --engine compiled, "
        "got --engine bdsim"
    )


def test_simulate_compiled_saves_the_same_traces(tmp_path):
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert main(["simulate", "--out", str(a)]) == 0
    assert main(["simulate", "--engine", "compiled", "--out", str(b)]) == 0
    with np.load(a) as ra, np.load(b) as rb:
        assert sorted(ra.files) == sorted(rb.files)
        assert_wires_equal({k: ra[k] for k in ra.files}, {k: rb[k] for k in rb.files})
