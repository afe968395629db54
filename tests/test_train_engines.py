"""numpy's training kernels give numba's bytes; the engine choice and its child.

``training._interpreted`` runs the compiled kernels' loops with numpy so that a
first ``train`` need not wait for numba (``training._engine``). The switch from
one to the other may happen between any two calls, so every result must be the
same bytes: losses, weights, Adam moments, gradients, the epoch a run stops at.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm.training import (
    TrainOptions,
    _engine,
    _interpreted,
    _native,
    _workspace,
    train,
)
from blocksim_lstm.training import _kernels as K
from blocksim_lstm.training.bptt import segments
from blocksim_lstm.training.optim import DECAY_MASK

ROOT = Path(__file__).resolve().parent.parent


def random_problem(nb, nt, nn, ni, no, seed, scale):
    """Data, initial states, weights (scaled) and zero Adam moments of a random
    problem: ``u, y, h0, c0, theta, m, v``."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(nb, nt, ni)) * scale
    y = rng.normal(size=(nb, nt, no))
    h0, c0 = rng.normal(size=nn), rng.normal(size=nn)
    n = 4 * nn * (ni + nn + 1) + no * (nn + 1)
    theta = rng.normal(size=n) * 0.5 * scale
    return u, y, h0, c0, theta, np.zeros(n), np.zeros(n)


def _chunk(engine, nb, nt, nn, ni, no, seed, epochs, clip, l2, active, scale):
    u, y, h0, c0, theta, m, v = random_problem(nb, nt, nn, ni, no, seed, scale)
    ws = _workspace.Workspace(u, y, h0, c0, theta.size, engine=engine)
    losses = np.full(epochs, -1.0)
    done = ws.train_chunk(
        theta,
        m,
        v,
        3,
        np.geomspace(0.05, 0.01, epochs),
        losses,
        segments(nn, ni, no),
        np.array(active, np.int64),
        DECAY_MASK,
        l2,
        clip,
        0.7,
        0.9,
        0.999,
        1e-8,
    )
    return done, losses, theta, m, v, ws.grad.copy(), ws.act.copy(), ws.ht.copy()


@settings(max_examples=25, deadline=None)
@given(
    nn=st.integers(1, 9),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    nb=st.integers(1, 3),
    nt=st.integers(1, 23),
    seed=st.integers(0, 2**16),
    clip=st.sampled_from([0, 1, 2]),
    l2=st.sampled_from([0.0, 1e-3]),
    active=st.lists(st.integers(0, 1), min_size=5, max_size=5),
    scale=st.sampled_from([1.0, 40.0, 1e200]),
)
def test_numpy_kernels_give_the_compiled_bytes(
    nn, ni, no, nb, nt, seed, clip, l2, active, scale
):
    """Every buffer, loss and update equal to the bit, including saturated gates
    (scale 40), overflow to inf/NaN (1e200: the run stops at the same epoch;
    NaNs compare equal whatever their bits)."""
    args = (nb, nt, nn, ni, no, seed, 3, clip, l2, active, scale)
    a = _chunk("compiled", *args)
    b = _chunk("interpreted", *args)
    assert a[0] == b[0]
    for x, y in zip(a[1:], b[1:], strict=True):
        assert _canonical(x) == _canonical(y)


def _canonical(x: np.ndarray) -> bytes:
    """The bytes, every NaN made the same: which NaN an operation returns (sign,
    payload) depends on its operands' order, which a compiler may swap; a NaN
    loss stops training either way."""
    return np.where(np.isnan(x), np.nan, x).tobytes()


_SPECIAL = [0.0, -0.0, 1e-300, 5e-324, 1e-8, 0.5, 1.0, 19.0, 20.0, 36.7, 37.0]
_SPECIAL += [300.0, 372.9, 373.0, 373.5, 400.0, 745.0, 746.0, 800.0, 1e300]
_SPECIAL += [np.inf, np.nan]


def test_gate_functions_give_the_compiled_bits_at_the_edges():
    """Sigmoid and tanh at zeros, subnormals, saturation, the underflow edge of
    exp (-746), infinities and NaN, and at random points, against the
    compiled scalar functions."""
    rng = np.random.default_rng(3)
    xs = np.array(_SPECIAL + [-x for x in _SPECIAL])
    xs = np.concatenate([xs, rng.normal(size=200) * 10, rng.normal(size=50) * 300])
    nn = xs.size
    z = np.concatenate([xs, xs, xs, xs])  # gates i, f, g, o
    _interpreted._gates(z, nn)
    sig = np.array([K._sigmoid(float(x)) for x in xs])
    tnh = np.array([K._tanh(float(x)) for x in xs])
    for got, want in ((z[:nn], sig), (z[nn : 2 * nn], sig), (z[3 * nn :], sig)):
        assert _canonical(got) == _canonical(want)
    assert _canonical(z[2 * nn : 3 * nn]) == _canonical(tnh)
    assert _canonical(_interpreted._tanh(xs.copy())) == _canonical(tnh)


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    p = bl.LSTMParams.random(4, 2, 1, seed=seed, states=True)
    return p, rng.normal(size=(2, 40, 2)), rng.normal(size=(2, 40, 1))


def _bytes(result):
    out = result.losses.tobytes()
    for k in ("W", "R", "b", "F", "bF"):
        out += np.ascontiguousarray(getattr(result.params, k)).tobytes()
    return out + np.float64(result.final_weights_loss).tobytes()


@pytest.mark.parametrize("switch_after", [0, 1, 4])
def test_a_run_that_switches_engines_gives_the_same_bytes(monkeypatch, switch_after):
    """numpy's kernels for the first calls, then numba's: the run's bytes are
    those of a run on numba's kernels alone."""
    p, u, y = _problem()
    opts = TrainOptions(epochs=25, lr=0.02, drop_factor=0.9, drop_period=5)
    whole = train(p, u, y, opts)
    calls = {"n": 0}
    real = _engine.kernels

    def switching(engine, dtype):
        calls["n"] += 1
        return _interpreted if calls["n"] <= switch_after else real("compiled", dtype)

    monkeypatch.setattr(_engine, "kernels", switching)
    mixed = train(p, u, y, opts, verbose_every=1)  # many calls: one per row
    assert calls["n"] > switch_after
    assert _bytes(mixed) == _bytes(whole)


def test_the_engine_is_chosen_by_the_file_and_the_child(monkeypatch, tmp_path):
    """No kernel file: numpy's kernels while the child compiles, the compiled
    ones once it is done (and the file is written); a file: the compiled ones at
    once, without a child; float32 always the compiled ones."""
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path))
    monkeypatch.delenv("BLOCKSIM_LSTM_ENGINE", raising=False)
    monkeypatch.setattr(_engine, "_compiled", {})
    started = []

    class Running:
        def poll(self):
            return None

    def fake_start():
        started.append(1)
        _engine._child = Running()

    monkeypatch.setattr(_engine, "_child", None)
    monkeypatch.setattr(_engine, "_start_child", fake_start)
    assert _engine.kernels("auto", "float64") is _interpreted
    assert _engine.kernels("auto", "float64") is _interpreted
    assert started == [1]  # one child per process
    assert isinstance(_engine.kernels("auto", "float32"), _native.NativeKernels)
    assert not _native.path("float64").exists()
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    monkeypatch.setattr(_engine, "_child", done)
    compiled = _engine.kernels("auto", "float64")  # the child is done
    assert isinstance(compiled, _native.NativeKernels)
    assert _native.path("float64").exists()  # left for the next process
    monkeypatch.setattr(_engine, "_compiled", {})
    monkeypatch.setattr(_engine, "_child", None)
    again = _engine.kernels("auto", "float64")  # the file: no child
    assert isinstance(again, _native.NativeKernels) and again is not compiled
    assert started == [1]
    monkeypatch.setenv("BLOCKSIM_LSTM_ENGINE", "interpreted")
    assert _engine.kernels("auto", "float64") is _interpreted
    assert _engine.kernels("auto", "float32") is not _interpreted


def test_the_kernel_file_depends_on_the_cpu_target_and_never_replaces_a_file(
    monkeypatch, tmp_path
):
    """Another CPU target, another file; a file of that name that is not ours
    is left as it is, and numba's own kernels run."""
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path))
    monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
    host = _native.path("float64")
    monkeypatch.setenv("NUMBA_CPU_NAME", "generic")
    assert _native.path("float64") != host
    monkeypatch.delenv("NUMBA_CPU_NAME")
    host.write_text("a user's file of that name\n")
    monkeypatch.setattr(_engine, "_compiled", {})
    assert _engine.load("float64") is K
    assert host.read_text() == "a user's file of that name\n"


def test_bad_engine_values_are_refused():
    p, u, y = _problem()
    n = bl.training.pack(p).size
    with pytest.raises(ValueError, match=r"engine: expected one of .* got 'jit'"):
        _workspace.Workspace(u, y, p.h0, p.c0, n, engine="jit")
    with pytest.raises(ValueError, match=r"float64 only, got dtype 'float32'"):
        _workspace.Workspace(u, y, p.h0, p.c0, n, "float32", engine="interpreted")


def test_a_bad_engine_variable_is_a_clear_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BLOCKSIM_LSTM_ENGINE", "fast")
    from blocksim_lstm.cli import main

    assert main(["train", "--epochs", "2", "--json"]) == 2
    err = capsys.readouterr().err
    assert "BLOCKSIM_LSTM_ENGINE: expected one of" in err and "'fast'" in err
    assert "Traceback" not in err


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead
        return f.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_the_compiling_child_dies_with_its_parent(tmp_path):
    """A parent killed (SIGKILL) while its child compiles takes the child along."""
    code = (
        "import sys, time, numpy as np\n"
        "from blocksim_lstm.training import _engine, _interpreted\n"
        "assert _engine.kernels('auto', 'float64') is _interpreted\n"
        "print(_engine._child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BLOCKSIM_LSTM_CACHE": str(tmp_path / "cache"),  # no kernel file: a child
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),  # nothing cached: it compiles
    }
    env.pop("BLOCKSIM_LSTM_ENGINE", None)
    parent = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(parent.stdout.readline())
        time.sleep(1.0)  # past the child's die_with_parent
        assert _pid_alive(child)  # still compiling
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        for _ in range(100):
            if not _pid_alive(child):
                break
            time.sleep(0.1)
        assert not _pid_alive(child)
    finally:
        parent.kill()
        parent.wait()
        parent.stdout.close()
    assert not list((tmp_path / "cache").glob("*.o"))  # it never finished


def test_a_first_train_on_the_command_line_runs_numpys_kernels_with_the_same_bytes(
    tmp_path,
):
    """`train` with no kernel file (a fresh cache folder) runs the auto engine: its
    weights file is the same bytes as a run on numba's kernels."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    outs = {}
    for engine in ("auto", "compiled"):
        e = {**env, "BLOCKSIM_LSTM_ENGINE": engine}
        e["BLOCKSIM_LSTM_CACHE"] = str(tmp_path / f"cache-{engine}")
        out = tmp_path / engine
        r = subprocess.run(
            [sys.executable, "-m", "blocksim_lstm", "train", "--epochs", "4"]
            + ["--out", str(out)],
            env=e,
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr
        outs[engine] = (out / "weights.npz").read_bytes()
    assert outs["auto"] == outs["compiled"]
