"""The training loop: determinism, resume, learning, files, failures."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm import LSTMParams
from blocksim_lstm._files import OutputRefusedError
from blocksim_lstm.training import (
    LEARNABLES,
    NonFiniteLossError,
    TrainOptions,
    _memory,
    load_data,
    loss,
    lti_data,
    resume,
    seed_data,
    train,
)
from blocksim_lstm.training._memory import RunTooLargeError
from blocksim_lstm.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def easy_problem(rng, nt=200):
    """A first-order linear system a 2-unit LSTM can fit well."""
    u = rng.normal(size=(nt, 1))
    y = np.zeros((nt, 1))
    for t in range(nt):
        y[t] = (0.6 * y[t - 1] if t else 0.0) + 0.4 * u[t]
    return u, y


def small_params(seed=0):
    rng = np.random.default_rng(seed)
    return LSTMParams.from_arrays(
        W=0.3 * rng.normal(size=(8, 1)),
        R=0.3 * rng.normal(size=(8, 2)),
        b=np.zeros(8),
        F=0.3 * rng.normal(size=(1, 2)),
    )


OPTS = TrainOptions(epochs=300, lr=0.02, drop_factor=0.9, drop_period=50)


def assert_same_run(a, b):
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(a.params, k), getattr(b.params, k))
    np.testing.assert_array_equal(a.losses, b.losses)


def test_loss_decreases_on_easy_problem(rng):
    u, y = easy_problem(rng)
    res = train(small_params(), u, y, OPTS)
    assert res.losses.shape == (300,)
    assert res.losses[-1] < 0.05 * res.losses[0]
    # the history is the loss at the weights before each update
    assert res.losses[0] == loss(small_params(), u, y)
    assert res.final_weights_loss == pytest.approx(loss(res.params, u, y))


def test_same_inputs_give_bit_identical_runs(rng):
    u, y = easy_problem(rng)
    assert_same_run(
        train(small_params(), u, y, OPTS), train(small_params(), u, y, OPTS)
    )


def test_batch_of_sequences_trains(rng):
    u1, y1 = easy_problem(rng, 80)
    u2, y2 = easy_problem(rng, 80)
    u, y = np.stack([u1, u2]), np.stack([y1, y2])
    res = train(small_params(), u, y, TrainOptions(epochs=50, lr=0.02))
    assert res.losses[-1] < res.losses[0]
    # full batch: the loss is the mean over both sequences
    assert res.losses[0] == pytest.approx(
        (loss(small_params(), u1, y1) + loss(small_params(), u2, y2)) / 2, rel=1e-13
    )


def test_interrupted_and_resumed_run_equals_uninterrupted(rng, tmp_path):
    u, y = easy_problem(rng)
    full = train(
        small_params(), u, y, OPTS, out=tmp_path / "full", checkpoint_every=100
    )

    def stop(done: int, _loss: float) -> None:
        if done == 150:
            raise KeyboardInterrupt

    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        train(
            small_params(),
            u,
            y,
            OPTS,
            out=tmp_path / "cut",
            checkpoint_every=100,
            verbose_every=50,
            log=log,
            callback=stop,
        )
    assert "last checkpoint: epoch 100" in log.getvalue()
    assert load_checkpoint(tmp_path / "cut").epoch == 100
    assert not (tmp_path / "cut" / "weights.npz").exists()
    again = resume(tmp_path / "cut", checkpoint_every=100)
    assert_same_run(full, again)
    saved = LSTMParams.load(tmp_path / "cut" / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(saved, k), getattr(full.params, k))


def test_resume_extends_a_finished_run(rng, tmp_path):
    u, y = easy_problem(rng)
    long = train(small_params(), u, y, OPTS)
    short = TrainOptions(**{**OPTS.to_dict(), "epochs": 120})
    train(small_params(), u, y, short, out=tmp_path)
    assert_same_run(long, resume(tmp_path, epochs=300))
    with pytest.raises(ValueError, match="epochs"):
        resume(tmp_path, epochs=10)


def test_out_directory_holds_results(rng, tmp_path):
    u, y = easy_problem(rng, 50)
    res = train(small_params(), u, y, TrainOptions(epochs=20), out=tmp_path)
    w = LSTMParams.load(tmp_path / "weights.npz")
    np.testing.assert_array_equal(w.F, res.params.F)
    rows = (tmp_path / "loss.csv").read_text().splitlines()
    assert rows[0] == "epoch,learning_rate,loss"
    assert len(rows) == 21
    assert float(rows[5].split(",")[2]) == res.losses[4]
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["epochs"] == 20
    assert s["first_loss"] == res.losses[0]
    assert s["best_loss"] == res.losses.min()
    uu, yy = load_data(tmp_path / "data.npz")
    np.testing.assert_array_equal(uu[0], u)
    assert not list(tmp_path.glob("*.tmp"))


def test_verbose_table_rows(rng):
    u, y = easy_problem(rng, 30)
    log = io.StringIO()
    train(small_params(), u, y, TrainOptions(epochs=25), verbose_every=10, log=log)
    rows = [
        r for r in log.getvalue().splitlines() if r.startswith("|") and "-" not in r[:3]
    ]
    epochs = [int(r.split("|")[2]) for r in rows[1:]]
    assert epochs == [1, 10, 20, 25]
    assert "learn rate" in rows[0]


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(rng, tmp_path):
    u = rng.normal(size=(20, 1))
    y = np.zeros((20, 1))
    # an absurd step sends F, bF to ~1e160: the next loss overflows to inf
    opts = TrainOptions(epochs=5, lr=1e160, grad_threshold=math.inf)
    with pytest.raises(NonFiniteLossError, match="epoch 2") as info:
        train(small_params(), u, y, opts, out=tmp_path, checkpoint_every=1)
    assert "last good checkpoint (epoch 0)" in str(info.value)
    ck = load_checkpoint(tmp_path)
    assert ck.epoch == 0
    assert math.isfinite(loss(ck.params, u, y))
    assert info.value.result is not None
    assert info.value.result.losses.shape == (1,)


@pytest.mark.parametrize(
    ("u", "y", "match"),
    [
        (np.zeros((10, 1)), np.zeros((11, 1)), "same steps"),
        (np.zeros((10, 2)), np.zeros((10, 1)), "u: expected 1 columns"),
        (np.full((10, 1), np.nan), np.zeros((10, 1)), "u: expected finite"),
        (np.zeros((10, 1)), np.full((10, 1), np.inf), "y: expected finite"),
    ],
)
def test_bad_data_is_refused(u, y, match):
    with pytest.raises(ValueError, match=match):
        train(small_params(), u, y, TrainOptions(epochs=2))


def test_bad_options_type():
    with pytest.raises(TypeError, match="options"):
        train(small_params(), np.zeros((5, 1)), np.zeros((5, 1)), {"epochs": 3})


def test_resume_without_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        resume(tmp_path)


@pytest.mark.parametrize("name", ["checkpoint_every", "verbose_every"])
def test_negative_report_intervals(rng, name):
    u, y = easy_problem(rng, 10)
    with pytest.raises(ValueError, match=name):
        train(small_params(), u, y, TrainOptions(epochs=2), **{name: -1})


# ---------------------------------------------------------------- run folders


def folder_bytes(folder):
    """Every file under ``folder`` (relative path -> bytes)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_new_run_into_a_run_is_refused_and_the_old_run_survives(rng, tmp_path):
    u, y = easy_problem(rng, 30)
    first = train(small_params(), u, y, TrainOptions(epochs=5), out=tmp_path)
    before = folder_bytes(tmp_path)
    assert {"weights.npz", "loss.csv", "summary.json", "data.npz"} <= set(before)
    u2, y2 = easy_problem(rng, 40)  # other data: it must not replace the run's
    with pytest.raises(OutputRefusedError, match="already holds a training run"):
        train(small_params(1), u2, y2, TrainOptions(epochs=5), out=tmp_path)
    assert folder_bytes(tmp_path) == before
    # the old run still resumes, on its own data
    assert_same_run(
        train(small_params(), u, y, TrainOptions(epochs=9)),
        resume(tmp_path, epochs=9),
    )
    assert first.losses.size == 5


def test_force_replaces_a_run_and_resume_follows_the_new_data(rng, tmp_path):
    u, y = easy_problem(rng, 30)
    train(small_params(), u, y, TrainOptions(epochs=5), out=tmp_path)
    u2, y2 = easy_problem(rng, 40)

    def stop(done: int, _loss: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(
            small_params(1),
            u2,
            y2,
            TrainOptions(epochs=6),
            out=tmp_path,
            force=True,
            callback=stop,
        )
    for name in ("weights.npz", "loss.csv", "summary.json"):
        assert not (tmp_path / name).exists()  # the old run's results are gone
    uu, yy = load_data(tmp_path / "data.npz")
    np.testing.assert_array_equal(uu[0], u2)
    again = resume(tmp_path)
    assert_same_run(train(small_params(1), u2, y2, TrainOptions(epochs=6)), again)


def test_folder_with_other_files_is_refused_and_kept(rng, tmp_path):
    (tmp_path / "thesis.txt").write_text("years of work")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.csv").write_text("1,2\n")
    before = folder_bytes(tmp_path)
    u, y = easy_problem(rng, 20)
    with pytest.raises(OutputRefusedError, match="did not write"):
        train(small_params(), u, y, TrainOptions(epochs=3), out=tmp_path)
    assert folder_bytes(tmp_path) == before
    train(small_params(), u, y, TrainOptions(epochs=3), out=tmp_path, force=True)
    after = folder_bytes(tmp_path)
    assert all(after[k] == v for k, v in before.items())  # nothing of theirs lost
    assert "weights.npz" in after


def test_epoch_zero_checkpoint_exists_before_any_compiled_code(
    rng, tmp_path, monkeypatch
):
    from blocksim_lstm.training import _workspace, resumable

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_workspace, "Workspace", interrupted)
    u, y = easy_problem(rng, 20)
    with pytest.raises(KeyboardInterrupt):
        train(small_params(), u, y, TrainOptions(epochs=8), out=tmp_path)
    assert resumable(tmp_path) == 0
    ck = load_checkpoint(tmp_path)
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(ck.params, k), getattr(small_params(), k))
    monkeypatch.undo()
    assert_same_run(
        train(small_params(), u, y, TrainOptions(epochs=8)), resume(tmp_path)
    )


# ---------------------------------------------------------------- resume checks


def _rewrite_checkpoint(folder, **changes):
    path = folder / "checkpoint.npz"
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    arrays.update(changes)
    for k, v in list(arrays.items()):
        if v is None:
            del arrays[k]
    np.savez(path, **arrays)


@pytest.fixture
def run_dir(rng, tmp_path):
    u, y = easy_problem(rng, 30)
    train(small_params(), u, y, TrainOptions(epochs=6), out=tmp_path)
    return tmp_path


def test_resume_refuses_other_data(run_dir, rng):
    u, y = load_data(run_dir / "data.npz")
    y = y.copy()
    y[0, 3, 0] = np.nextafter(y[0, 3, 0], np.inf)  # one ulp of one sample
    np.savez(run_dir / "data.npz", u=u, y=y)
    with pytest.raises(ValueError, match="belongs to another run"):
        resume(run_dir, epochs=8)


def test_resume_refuses_other_starting_weights(run_dir):
    small_params(5).save(run_dir / "initial.npz")
    with pytest.raises(ValueError, match="belongs to another run"):
        resume(run_dir, epochs=8)


def test_resume_refuses_other_options(run_dir):
    ck = load_checkpoint(run_dir)
    opts = {**ck.options.to_dict(), "lr": 0.5}
    _rewrite_checkpoint(run_dir, options=np.array(json.dumps(opts)))
    with pytest.raises(ValueError, match="belongs to another run"):
        resume(run_dir, epochs=8)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda ck: {"adam_m": ck["adam_m"][:-3]}, r"adam_m: expected shape"),
        (lambda ck: {"adam_v": ck["adam_v"][:1]}, r"adam_v: expected shape"),
        (lambda ck: {"adam_m": ck["adam_m"].astype(np.float32)}, "adam_m: expected fl"),
        (lambda ck: {"adam_v": -ck["adam_v"] - 1}, "adam_v: expected values >= 0"),
        (lambda ck: {"adam_m": ck["adam_m"] * np.nan}, "adam_m: expected finite"),
        (lambda ck: {"losses": ck["losses"][:-1]}, r"losses: expected shape \(6,\)"),
        (lambda ck: {"epoch": np.int64(7)}, r"losses: expected shape \(7,\)"),
        (lambda ck: {"epoch": np.int64(-1)}, "epoch: expected >= 0"),
        (lambda ck: {"epoch": np.float64(6)}, "epoch: expected a scalar"),
        (lambda ck: {"R": ck["R"][:, :1]}, "R: expected shape"),
        (lambda ck: {"W": ck["W"].astype(np.float32)}, "W: expected float64"),
        (lambda ck: {"elapsed_s": np.float64(np.nan)}, "elapsed_s"),
        (lambda ck: {"options": np.array("{")}, "options"),
        (lambda ck: {"options": np.array('{"epochs": 6, "speed": 1}')}, "options"),
        (lambda ck: {"run_id": None}, "run_id"),
    ],
)
def test_damaged_checkpoint_is_refused_naming_file_and_array(run_dir, change, match):
    with np.load(run_dir / "checkpoint.npz") as d:
        ck = {k: d[k] for k in d.files}
    _rewrite_checkpoint(run_dir, **change(ck))
    with pytest.raises(ValueError, match=match) as info:
        resume(run_dir, epochs=8)
    assert "checkpoint.npz" in str(info.value)


def test_resume_refuses_damaged_data_file(run_dir):
    u, y = load_data(run_dir / "data.npz")
    np.savez(run_dir / "data.npz", u=u[:, :-1], y=y)
    with pytest.raises(ValueError, match="data.npz"):
        resume(run_dir, epochs=8)


# ---------------------------------------------------------------- sizes


def test_sizes_that_cannot_fit_are_refused_before_anything(rng, tmp_path, monkeypatch):
    monkeypatch.setattr(_memory, "available_bytes", lambda: 2 * 10**9)
    u, y = easy_problem(rng, 20)
    with pytest.raises(RunTooLargeError, match=r"epochs: 1000000000 epochs need 64 GB"):
        train(small_params(), u, y, TrainOptions(epochs=10**9), out=tmp_path / "a")
    assert not (tmp_path / "a").exists()
    big = LSTMParams.from_arrays(
        W=np.zeros((4 * 300, 1)),
        R=np.zeros((4 * 300, 300)),
        b=np.zeros(1200),
        F=np.zeros((1, 300)),
    )
    long_u = np.zeros((2, 100_000, 1))
    with pytest.raises(RunTooLargeError, match=r"params: Nn=300 .* B=2 .* T=100000"):
        train(big, long_u, long_u, TrainOptions(epochs=10))
    train(small_params(), u, y, TrainOptions(epochs=3))  # what fits still runs


@pytest.mark.slow
def test_memory_estimate_bounds_the_real_peak(tmp_path):
    """Peak resident memory of a real run stays below the estimate."""
    code = (
        "import tracemalloc, numpy as np\n"
        "from blocksim_lstm import LSTMParams\n"
        "from blocksim_lstm.training import TrainOptions, train\n"
        "p = LSTMParams.random(2, 1, 1, seed=0, states=False)\n"
        "u = np.zeros((1, 3, 1))\n"
        "train(p, u, u, TrainOptions(epochs=3))\n"
        "from blocksim_lstm.training import _engine\n"
        "_engine.load()  # numba has compiled before we measure\n"
        # numpy reports its buffers to tracemalloc: the peak of this run alone,
        # not the process's high-water mark (which compilation may have set)
        "tracemalloc.start()\n"
        "r0 = tracemalloc.get_traced_memory()[0]\n"
        "opts = TrainOptions(epochs=EPOCHS, lr=1e-9)\n"
        "train(p, u, u, opts, out=OUT, checkpoint_every=0)\n"
        "r1 = tracemalloc.get_traced_memory()[1]\n"
        "print(r1 - r0)\n"
    )
    epochs = 500_000
    code = code.replace("EPOCHS", str(epochs)).replace("OUT", repr(str(tmp_path)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    grew = int(out.stdout.split()[-1])
    assert grew > 16 * epochs  # the history is really there (the test can fail)
    assert grew <= _memory.BYTES_PER_EPOCH * epochs


# ---------------------------------------------------------------- same bytes everywhere

_SAME_BYTES_SCRIPT = r"""
import hashlib, json, re, sys
import numpy as np
from blocksim_lstm import LSTMParams
from blocksim_lstm.training import (
    TrainOptions, load_data, loss_and_gradients, seed_data, train, LEARNABLES,
)
from blocksim_lstm.training import _kernels

folder = sys.argv[1]
u, y = load_data(folder + "/data.npz")
calc = LSTMParams.load(folder + "/calc.npz")
rnd = LSTMParams.random(5, 1, 1, seed=0, states=False)
rng = np.random.default_rng(5)
ub, yb = rng.normal(size=(2, 200, 2)), rng.normal(size=(2, 200, 2))
mimo = LSTMParams.random(3, 2, 2, seed=1, states=True)
runs = {
    "calculated": (calc, u, y, TrainOptions(epochs=300, lr=1e-4, drop_factor=0.99)),
    "random": (rnd, u, y, TrainOptions(epochs=300, lr=0.04, drop_factor=0.98)),
    "batch_global_l2": (mimo, ub, yb, TrainOptions(
        epochs=200, lr=0.01, clip="global-l2norm", l2=1e-4, frozen=("bF",))),
}
if "f32" in sys.argv:  # the float32 mode (its kernels do not depend on BLAS)
    runs["random_float32"] = (
        rnd, u, y, TrainOptions(epochs=300, lr=0.04, drop_factor=0.98, dtype="float32")
    )
out = {}
for name, (p, uu, yy, opts) in runs.items():
    r = train(p, uu, yy, opts)
    h = hashlib.sha256(r.losses.tobytes())
    for k in LEARNABLES:
        h.update(np.ascontiguousarray(getattr(r.params, k)).tobytes())
    out[name] = [h.hexdigest(), float(r.losses[0]), float(r.losses[-1])]
value, grads = loss_and_gradients(calc, u, y)
h = hashlib.sha256(np.float64(value).tobytes())
for k in LEARNABLES:
    h.update(grads[k].tobytes())
out["gradient"] = [h.hexdigest(), value, value]
su, sy = seed_data(300, seed=2)
out["seed_data"] = [hashlib.sha256(su.tobytes() + sy.tobytes()).hexdigest()]
if "inspect" in sys.argv:  # the machine code: no fused multiply-add, no libm call
    out["fma"] = 0
    decl = []
    for f in (_kernels.forward, _kernels.backward, _kernels.update):
        for sig in f.signatures:  # float64 and float32 (update: float64)
            asm = f.inspect_asm(sig)
            ir = f.inspect_llvm(sig)
            out["fma"] += len(re.findall(r"\bvf(n?)m(add|sub)", asm))
            decl += re.findall(r"declare [^@]*@(?!llvm\.|NRT|Py|numba)(\w+)", ir)
            # transcendental intrinsics become libm calls (log10 formats errors)
            decl += re.findall(
                r"declare [^@]*@(llvm\.(?:exp|pow|fma|sin|cos|log\.)\S*)\(", ir
            )
    out["signatures"] = len(_kernels.forward.signatures)
    out["calls"] = sorted(set(decl))
print(json.dumps(out))
"""

# another OpenBLAS kernel; a CPU without FMA: numba's generic x86-64 target and
# glibc's libm variants without FMA (its exp differs there by 1 ulp at times)
_VARIANTS = {
    "here": {},
    "OpenBLAS Prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "OpenBLAS Haswell": {"OPENBLAS_CORETYPE": "Haswell"},
    "no FMA: numba generic, libm": {
        "NUMBA_CPU_NAME": "generic",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4",
    },
}


# the float32 mode runs where the CPU matters (its kernels call no BLAS)
_F32_VARIANTS = ("here", "no FMA: numba generic, libm")


@pytest.mark.slow
def test_training_gives_the_same_bytes_on_other_cpus_and_blas(tmp_path):
    """Short runs from saved weights give the same weights bytes in every variant.

    Each variant runs in a fresh process with its own empty numba cache and
    kernel file folder, so that machine code is compiled for it, not reused;
    two at a time.
    """
    from blocksim_lstm.training import calculated_weights, seed_data

    calculated_weights().save(tmp_path / "calc.npz")
    u, y = seed_data(1001, seed=0)
    np.savez(tmp_path / "data.npz", u=u, y=y)
    procs = {}
    for n, (label, extra) in enumerate(_VARIANTS.items()):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.update(
            NUMBA_CACHE_DIR=str(tmp_path / f"numba-{n}"),
            BLOCKSIM_LSTM_CACHE=str(tmp_path / f"kernels-{n}"),  # no object file
            **extra,
        )
        argv = [sys.executable, "-c", _SAME_BYTES_SCRIPT, str(tmp_path)]
        if label == "here":
            argv.append("inspect")
        if label in _F32_VARIANTS:
            argv.append("f32")
        if len(procs) >= 2:  # two at a time
            list(procs.values())[-2].wait()
        procs[label] = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    results = {}
    for label, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{label}: {stderr}"
        results[label] = json.loads(stdout.splitlines()[-1])
    here = results.pop("here")
    assert here.pop("fma") == 0
    assert here.pop("calls") == []
    assert here.pop("signatures") == 2  # float64 and float32 were inspected
    assert here["random"][2] < 0.5 * here["random"][1]  # real runs that learned
    assert here["batch_global_l2"][2] < here["batch_global_l2"][1]
    f32 = here.pop("random_float32")
    assert f32[2] < 0.5 * f32[1]
    assert f32 != here["random"]  # really another arithmetic
    for label, res in results.items():
        if label in _F32_VARIANTS:
            assert res.pop("random_float32") == f32, f"{label}: float32 differs"
        assert res == here, f"{label} differs from this machine's bytes"


# ---------------------------------------------------------------- data


@settings(max_examples=15, deadline=None)
@given(
    nx=st.integers(1, 5),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    steps=st.integers(2, 60),
    seed=st.integers(0, 2**32 - 1),
)
def test_lti_data_matches_python_control(nx, nu, ny, steps, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(nx, nx))
    a *= 0.9 / max(1e-9, np.max(np.abs(np.linalg.eigvals(a))))  # stable
    sys_ = ct.ss(
        a,
        rng.normal(size=(nx, nu)),
        rng.normal(size=(ny, nx)),
        rng.normal(size=(ny, nu)),
        0.1,
    )
    u, y = lti_data(sys_, steps, seed=seed % 1000)
    assert u.shape == (steps, nu) and y.shape == (steps, ny)
    np.testing.assert_array_equal(
        u, np.random.default_rng(seed % 1000).standard_normal((steps, nu))
    )
    ref = ct.forced_response(sys_, T=np.arange(steps) * 0.1, U=u.T, X0=0)
    expected = np.asarray(ref.outputs).reshape(ny, steps).T
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


def test_lti_data_refuses_a_negative_seed():
    with pytest.raises(ValueError, match="seed: expected an integer >= 0, got -1"):
        seed_data(10, seed=-1)
