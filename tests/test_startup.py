"""Start-up: a command imports only what it uses (checked in a fresh process).

No timing here (see benchmarks/bench_startup.py): what is checked is the set of
modules a real run leaves in ``sys.modules``, and that the small problems a first
run interprets instead of compiling give the compiled bits.
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

ROOT = Path(__file__).resolve().parent.parent

_RUN = r"""
import contextlib, io, json, runpy, sys
sys.argv = ["blocksim-lstm"] + json.loads(sys.argv[1])
out = io.StringIO()
code = 0
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("blocksim_lstm", run_name="__main__")
    except SystemExit as e:
        code = e.code or 0
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _modules(argv: list[str], cwd: Path, **extra: str) -> tuple[str, set[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", **extra}
    r = subprocess.run(
        [sys.executable, "-c", _RUN, json.dumps(argv)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout.splitlines()[-1])
    assert res["code"] == 0, res
    return res["out"], set(res["modules"])


PLANT_AND_PICTURES = {"control", "scipy.signal", "matplotlib.pyplot", "matplotlib"}


def test_train_imports_neither_control_nor_pictures_nor_bdsim(tmp_path):
    out, mods = _modules(["train", "--epochs", "2", "--json"], tmp_path)
    summary = json.loads(out)
    assert summary["epochs"] == 2 and summary["init"] == "calculated"
    assert "blocksim_lstm.training" in mods  # it did train
    assert not (PLANT_AND_PICTURES | {"bdsim"}) & mods


def test_a_first_short_train_runs_without_numba(tmp_path):
    """No file of the compiled kernels (a fresh cache folder): the epochs run
    on numpy's kernels while a child compiles; this process never imports
    numba (llvmlite only, to look for the file) and gives the bytes of a run on
    numba's kernels."""
    out, mods = _modules(
        ["train", "--epochs", "3", "--json"],
        tmp_path,
        BLOCKSIM_LSTM_ENGINE="auto",
        BLOCKSIM_LSTM_CACHE=str(tmp_path / "cache"),
    )
    assert "blocksim_lstm.training._interpreted" in mods  # it did train on numpy
    assert "blocksim_lstm.training._kernels" not in mods
    assert "numba" not in mods
    ref, _ = _modules(["train", "--epochs", "3", "--json"], tmp_path)  # compiled
    got, want = json.loads(out), json.loads(ref)
    for key in ("final_loss", "initial_loss", "final_weights_loss"):
        if key in want:
            assert got[key] == want[key], key


def test_train_help_imports_no_engine(tmp_path):
    out, mods = _modules(["train", "--help"], tmp_path)
    assert "--epochs" in out
    assert not (PLANT_AND_PICTURES | {"bdsim", "numba", "scipy"}) & mods


def test_simulate_imports_no_control(tmp_path):
    """bdsim itself imports scipy.signal and pyplot; python-control is ours to
    avoid, and is avoided."""
    out, mods = _modules(["simulate"], tmp_path)
    assert "LSTM block diagram" in out
    assert "bdsim" in mods and "control" not in mods


@pytest.mark.parametrize("realization", ["balanced", "given"])
@pytest.mark.parametrize("scl", [1e-3, 0.25])
def test_seed_weights_and_data_are_the_control_route_bytes(realization, scl):
    """The array route of calculated_weights / seed_data (no python-control) gives
    the bytes of the route through control.StateSpace objects."""
    from blocksim_lstm.statespace.construction import lstm_from_state_space
    from blocksim_lstm.statespace.lti import seed_plant
    from blocksim_lstm.statespace.realization import realize
    from blocksim_lstm.training import calculated_weights, lti_data, seed_data

    got = calculated_weights(scl, realization=realization)
    want = lstm_from_state_space(realize(seed_plant(), realization), scl)
    for k in ("W", "R", "b", "F", "bF", "h0", "c0"):
        assert getattr(got, k).tobytes() == getattr(want, k).tobytes(), k
    u, y = seed_data(57, seed=4)
    u2, y2 = lti_data(seed_plant(), 57, seed=4)
    assert u.tobytes() == u2.tobytes() and y.tobytes() == y2.tobytes()
    assert np.all(np.isfinite(y))


def test_calculated_weights_refuses_an_unknown_realization():
    from blocksim_lstm.training import calculated_weights

    with pytest.raises(ValueError, match="realization: expected one of"):
        calculated_weights(realization="modal")  # type: ignore[arg-type]


# ------------------------------ small problems run interpreted: the compiled bits


def _stable(rng: np.random.Generator, n: int) -> np.ndarray:
    X = rng.standard_normal((n, n))
    return X / (1.1 * max(1.0, float(np.max(np.abs(np.linalg.eigvals(X))))))


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 8), seed=st.integers(0, 2**16))
def test_small_linear_algebra_runs_interpreted_to_the_compiled_bits(n, seed):
    """Matrices up to INTERPRET_MAX go through the routines' loops in the
    interpreter (no compiling on a first run); every result is the compiled
    routine's, bit for bit."""
    from blocksim_lstm.statespace import _linalg as la

    assert la.INTERPRET_MAX >= 5  # the seed plant's (4 states + 1 input) is small
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    B = rng.standard_normal((n, 2)) * 1e3
    W = A @ A.T + np.eye(n)
    calls = [
        (la._matmul, (A, B)),
        (la._solve, (A, B)),
        (la._cholesky, (W,)),
        (la._svd, (rng.standard_normal((min(n + 1, la.INTERPRET_MAX), n)),)),
        (la._expm, (rng.standard_normal((n, n)) * 3,)),
        (la._dlyap, (_stable(rng, n), W)),
        (la._dlyap, (1.5 * np.eye(n), W)),  # diverges: inf, no warning either way
    ]
    for fn, args in calls:
        twin = la._pick(fn, *args)
        assert twin is not fn
        got, want = twin(*args), la.compiled(fn)(*args)
        for g, w in zip(
            got if isinstance(got, tuple) else (got,),
            want if isinstance(want, tuple) else (want,),
            strict=True,
        ):
            assert np.asarray(g).tobytes() == np.asarray(w).tobytes(), fn
    big = np.eye(la.INTERPRET_MAX + 1)
    assert la._pick(la._expm, big) is la.compiled(la._expm)


@settings(max_examples=6, deadline=None)
@given(
    nx=st.integers(1, 5),
    nu=st.integers(1, 2),
    ny=st.integers(1, 2),
    steps=st.integers(1, 300),
    seed=st.integers(0, 2**16),
)
def test_small_simulations_run_interpreted_to_the_compiled_bytes(
    nx, nu, ny, steps, seed
):
    from blocksim_lstm.training import data

    rng = np.random.default_rng(seed)
    A = _stable(rng, nx) * (50.0 if seed % 3 == 0 else 1.0)  # some overflow to inf
    B, C, D = (rng.standard_normal(s) for s in ((nx, nu), (ny, nx), (ny, nu)))
    assert steps * (nx + ny) * (nx + nu) <= data.INTERPRET_MAX_OPS
    u, y = data._lti_arrays(A, B, C, D, steps, seed)
    y2 = np.empty_like(y)
    data.simulate_compiled()(A, B, C, D, u, y2)
    assert y.tobytes() == y2.tobytes()
