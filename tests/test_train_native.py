"""The kernels' machine code in a file: numba's bytes, without numba.

``training._native`` writes the compiled training kernels to an object file and
links it into later processes with llvmlite, so that a warm ``train`` never
imports numba. Its kernels must give numba's results bit for bit; a damaged
file, or one that is not ours, must be refused (never run, never replaced).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_train_engines import random_problem

from blocksim_lstm.training import _engine, _native, _workspace
from blocksim_lstm.training import _kernels as K
from blocksim_lstm.training.bptt import segments
from blocksim_lstm.training.optim import DECAY_MASK

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A cache folder with both dtypes' kernel files, built here."""
    folder = tmp_path_factory.mktemp("kernels")
    old = os.environ.get("BLOCKSIM_LSTM_CACHE")
    os.environ["BLOCKSIM_LSTM_CACHE"] = str(folder)
    try:
        for dtype in ("float64", "float32"):
            assert _native.build(dtype) == _native.path(dtype)
        yield folder, {d: _native.load(d) for d in ("float64", "float32")}
    finally:
        if old is None:
            del os.environ["BLOCKSIM_LSTM_CACHE"]
        else:
            os.environ["BLOCKSIM_LSTM_CACHE"] = old


def _run(kernels, dtype, nb, nt, nn, ni, no, seed, clip, scale):
    """Three epochs of train_chunk on ``kernels``; every buffer it leaves."""
    u, y, h0, c0, theta, m, v = random_problem(nb, nt, nn, ni, no, seed, scale)
    ws = _workspace.Workspace(u, y, h0, c0, theta.size, dtype, engine="compiled")
    ws.kernels = lambda: kernels  # type: ignore[method-assign]
    losses = np.full(3, -1.0)
    done = ws.train_chunk(
        theta, m, v, 3, np.geomspace(0.05, 0.01, 3), losses, segments(nn, ni, no),
        np.ones(5, np.int64), DECAY_MASK, 1e-3, clip, 0.7, 0.9, 0.999, 1e-8,
    )  # fmt: skip
    single = ws.loss(theta)  # the kernels called one by one, unbound
    arrays = (losses, theta, m, v, ws.grad, ws.act, ws.ht, ws.cs, ws.err)
    return done, single, [np.where(np.isnan(a), np.nan, a).tobytes() for a in arrays]


@settings(max_examples=12, deadline=None)
@given(
    dtype=st.sampled_from(["float64", "float32"]),
    nn=st.sampled_from([1, 2, 5, 8, 16, 33]),  # every path: rows, panels, tiles
    ni=st.integers(1, 2),
    no=st.integers(1, 2),
    nb=st.integers(1, 2),
    nt=st.integers(1, 17),
    seed=st.integers(0, 2**16),
    clip=st.sampled_from([0, 1, 2]),
    scale=st.sampled_from([1.0, 40.0, 1e200]),
)
def test_the_file_kernels_give_numbas_bytes(
    files, dtype, nn, ni, no, nb, nt, seed, clip, scale
):
    """Losses, weights, Adam moments, gradient and buffers equal to the bit
    (NaNs as NaN), the same stop epoch, for both dtypes and every kernel path."""
    if dtype == "float32":
        scale = min(scale, 1e30)  # data that fits float32; overflow comes later
    args = (dtype, nb, nt, nn, ni, no, seed, clip, scale)
    a = _run(K, *args)
    b = _run(files[1][dtype], *args)
    assert a[0] == b[0]
    assert np.array_equal(a[1], b[1], equal_nan=True)
    assert a[2] == b[2]


def test_a_warm_train_imports_no_numba_and_gives_its_bytes(files, tmp_path):
    """With the file there, `train` on the command line links it: numba is never
    imported, and the weights are a numba run's bytes."""
    code = (
        "import sys\n"
        "from blocksim_lstm.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print('numba' in sys.modules)\n"
        "sys.exit(rc)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLOCKSIM_LSTM_CACHE": str(files[0])}
    env.pop("BLOCKSIM_LSTM_ENGINE", None)
    out = tmp_path / "run"
    argv = ["train", "--init", "random", "--seed", "3", "--epochs", "6"]
    r = subprocess.run(
        [sys.executable, "-c", code, *argv, "--out", str(out), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "False"
    from blocksim_lstm.cli import main

    with pytest.MonkeyPatch.context() as mp:  # the same command on numba's kernels
        mp.setattr(_engine, "kernels", lambda engine, dtype: K)
        assert main([*argv, "--out", str(tmp_path / "numba"), "--json"]) == 0
    got = (out / "weights.npz").read_bytes()
    assert got == (tmp_path / "numba" / "weights.npz").read_bytes()


def _damage(data: bytes, how: str) -> bytes:
    head, _, obj = data.partition(b"\n")
    header = json.loads(head)
    if how == "flipped byte":
        i = len(obj) // 2
        return head + b"\n" + obj[:i] + bytes([obj[i] ^ 1]) + obj[i + 1 :]
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "no header":
        return obj
    if how == "other dtype":
        header["dtype"] = "float32"
    if how == "unknown symbol":
        header["foreign"]["functions"].append("blocksim_lstm_no_such_symbol")
    if how == "sizes":
        header["sizes"] = [len(obj)]
    return json.dumps(header).encode() + b"\n" + obj


@pytest.mark.parametrize(
    "how",
    [
        "flipped byte",
        "truncated",
        "no header",
        "other dtype",
        "unknown symbol",
        "sizes",
    ],
)
def test_a_damaged_file_is_refused_and_left_alone(files, monkeypatch, tmp_path, how):
    """The hash, the header and the symbols are checked before LLVM runs
    anything; numba's kernels serve instead, and the file is not replaced."""
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path))
    good = (files[0] / _native.path("float64").name).read_bytes()
    bad = _damage(good, how)
    _native.path("float64").write_bytes(bad)
    assert _native.load("float64") is None
    monkeypatch.setattr(_engine, "_compiled", {})
    assert _engine.load("float64") is K
    assert _native.path("float64").read_bytes() == bad


def test_bound_kernels_refuse_arrays_numba_was_not_compiled_for(files):
    """A wrong dtype, dimension count, order or a read-only array: a TypeError
    naming the argument (the machine code would read it wrongly)."""
    rng = np.random.default_rng(0)
    ws = _workspace.Workspace(
        rng.normal(size=(1, 4, 1)), rng.normal(size=(1, 4, 1)), np.zeros(2),
        np.zeros(2), 4 * 2 * 4 + 3,
    )  # fmt: skip
    theta = np.zeros(4 * 2 * 4 + 3)
    ws._bind(theta)
    fwd = files[1]["float64"].forward
    args = list(ws._fwd_args)
    assert fwd.bind(tuple(args))() == pytest.approx(float(np.mean(ws.y**2)))
    frozen = args[7].copy()
    frozen.flags.writeable = False
    for i, bad, what in [
        (
            7,
            args[7].astype(np.float32),
            "u: expected a writable C-contiguous 3-d float64",
        ),
        (0, args[0][:, :, None], "W: expected .* 2-d float64 array, got float64 3-d"),
        (1, np.asfortranarray(np.ones((8, 3))), "R: .* got float64 2-d strided"),
        (7, frozen, "u: expected a writable"),
        (2, [0.0] * 8, "b: .* got list"),
    ]:
        wrong = list(args)
        wrong[i] = bad
        with pytest.raises(TypeError, match=what):
            fwd(*wrong)
    with pytest.raises(TypeError, match="forward: expected 16 arguments, got 15"):
        fwd(*args[:-1])


def test_kernels_that_allocate_get_no_file(monkeypatch, tmp_path):
    """A kernel calling numba's allocator would need numba's runtime: no file
    is written, and numba's kernels serve."""
    monkeypatch.setenv("BLOCKSIM_LSTM_CACHE", str(tmp_path))
    monkeypatch.setattr(_native, "_ALLOCATORS", frozenset({"NRT_MemInfo_call_dtor"}))
    assert _native.build("float64") is None
    assert not list(tmp_path.iterdir())


def test_numba_imported_after_the_file_still_raises_and_allocates(files):
    """Linking the file gives numba's helpers an address that aborts (only
    numba's entry points and error paths call them). numba, imported later in
    the same process, must still get its real helpers: an exception raised in
    compiled code, and an allocation, work as usual."""
    code = (
        "import sys\n"
        "from blocksim_lstm.training import _native\n"
        "assert _native.load('float64') is not None and 'numba' not in sys.modules\n"
        "import numba, numpy as np\n"
        "@numba.njit\n"
        "def f(x):\n"
        "    if x > 1:\n"
        "        raise ValueError('boom', x)\n"
        "    return np.ones(x).sum()\n"
        "try:\n"
        "    f(5)\n"
        "except ValueError as e:\n"
        "    print('raised', e.args)\n"
        "print(f(1))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BLOCKSIM_LSTM_CACHE": str(files[0])}
    r = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["raised ('boom', 5)", "1.0"]
