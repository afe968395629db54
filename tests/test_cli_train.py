"""``blocksim-lstm train`` end to end (in process, and one real Ctrl-C)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.training import (
    LEARNABLES,
    calculated_weights,
    loss,
    resumable,
    seed_data,
)
from blocksim_lstm.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys, *argv: str) -> dict:
    assert main(["train", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_run_starts_at_the_calculated_weights(capsys, tmp_path):
    s = run_json(capsys, "--epochs", "30", "--out", str(tmp_path))
    u, y = seed_data(1001, seed=0)
    assert s["first_loss"] == loss(calculated_weights(1e-3), u, y)
    for key in ("first_loss", "final_loss", "best_loss", "epochs", "ms_per_epoch"):
        assert key in s
    assert s["epochs"] == 30
    assert s["options"]["lr"] == 1e-4 and s["options"]["drop_factor"] == 0.99
    for name in ("weights.npz", "loss.csv", "loss.png", "summary.json"):
        assert (tmp_path / name).is_file()
    w = LSTMParams.load(tmp_path / "weights.npz")
    assert loss(w, u, y) == pytest.approx(s["final_weights_loss"], rel=1e-12)


def test_random_init_uses_the_original_options(capsys):
    s = run_json(
        capsys, "--init", "random", "--units", "3", "--epochs", "20", "--seed", "7"
    )
    u, y = seed_data(1001, seed=7)
    p = LSTMParams.random(3, 1, 1, seed=7, states=False)
    assert s["first_loss"] == loss(p, u, y)
    assert s["options"]["lr"] == 0.04 and s["options"]["drop_factor"] == 0.98


def test_init_from_file_and_data_file(capsys, tmp_path, rng):
    p = LSTMParams.random(2, 2, 1, seed=3, states=False)
    p.save(tmp_path / "w.npz")
    u, y = rng.normal(size=(50, 2)), rng.normal(size=(50, 1))
    np.savez(tmp_path / "d.npz", u=u, y=y)
    s = run_json(
        capsys,
        "--init",
        str(tmp_path / "w.npz"),
        "--data",
        str(tmp_path / "d.npz"),
        "--epochs",
        "5",
        "--lr",
        "0.01",
    )
    assert s["first_loss"] == loss(p, u, y)


def test_cli_resume_equals_uninterrupted(capsys, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_json(capsys, "--init", "random", "--epochs", "60", "--out", str(a))
    run_json(capsys, "--init", "random", "--epochs", "25", "--out", str(b))
    s = run_json(capsys, "--resume", str(b), "--epochs", "60")
    assert s["epochs"] == 60
    wa, wb = LSTMParams.load(a / "weights.npz"), LSTMParams.load(b / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(wa, k), getattr(wb, k))
    assert (a / "loss.csv").read_text() == (b / "loss.csv").read_text()


@pytest.mark.parametrize(
    ("arrays", "match"),
    [
        ({"u": np.zeros((10, 1)), "y": np.zeros((9, 1))}, "same steps"),
        ({"u": np.zeros((10, 1))}, "missing"),
        ({"u": np.full((10, 1), np.nan), "y": np.zeros((10, 1))}, "finite"),
    ],
)
def test_bad_data_file(capsys, tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    rc = main(
        [
            "train",
            "--init",
            "random",
            "--data",
            str(tmp_path / "d.npz"),
            "--epochs",
            "2",
        ]
    )
    assert rc == 2
    assert match in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--init", "nonsense"], "--init"),
        (["--epochs", "0"], "epochs"),
        (["--lr", "-1"], "lr"),
        (["--freeze", "Q"], "frozen"),
        (["--resume", "/nonexistent/dir"], "checkpoint"),
    ],
)
def test_bad_options(capsys, argv, match):
    assert main(["train", *argv]) == 2
    assert match in capsys.readouterr().err


def test_non_finite_loss_exits_with_message(capsys, tmp_path):
    rc = main(
        [
            "train",
            "--init",
            "random",
            "--epochs",
            "5",
            "--lr",
            "1e160",
            "--grad-threshold",
            "inf",
            "--out",
            str(tmp_path),
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "non-finite" in err and "last good checkpoint (epoch 0)" in err
    assert load_checkpoint(tmp_path).epoch == 0


def test_ctrl_c_keeps_checkpoint_and_resume_matches(tmp_path, capsys):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cut = tmp_path / "cut"
    cmd = [
        sys.executable,
        "-m",
        "blocksim_lstm",
        "train",
        "--init",
        "random",
        "--epochs",
        "1000000",
        "--checkpoint-every",
        "200",
        "--verbose-every",
        "0",
        "--out",
        str(cut),
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ck = cut / "checkpoint.npz"
            if ck.is_file() and load_checkpoint(cut).epoch >= 400:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "--resume" in err
    done = load_checkpoint(cut).epoch
    assert done >= 400 and done % 200 == 0
    total = str(done + 100)
    run_json(capsys, "--resume", str(cut), "--epochs", total)
    run_json(
        capsys, "--init", "random", "--epochs", total, "--out", str(tmp_path / "full")
    )
    a = LSTMParams.load(cut / "weights.npz")
    b = LSTMParams.load(tmp_path / "full" / "weights.npz")
    for k in LEARNABLES:
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


# ---------------------------------------------------------------- nothing lost


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_out_holding_a_run_is_refused_without_force(capsys, tmp_path):
    out = tmp_path / "run"
    base = ["train", "--init", "random", "--units", "2", "--epochs", "5"]
    assert main([*base, "--out", str(out)]) == 0
    before = folder_bytes(out)
    capsys.readouterr()
    assert main([*base, "--seed", "4", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already holds a training run" in err and "--force" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert folder_bytes(out) == before
    assert main([*base, "--seed", "4", "--out", str(out), "--force"]) == 0
    u, _ = seed_data(1001, seed=4)
    np.testing.assert_array_equal(np.load(out / "data.npz")["u"][0], u)


def test_out_folder_with_other_files_is_refused(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    before = folder_bytes(tmp_path)
    argv = ["train", "--init", "random", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "did not write" in capsys.readouterr().err
    assert folder_bytes(tmp_path) == before


def test_input_that_the_run_would_overwrite_is_refused(capsys, tmp_path, rng):
    run = tmp_path / "run"
    assert main(["train", "--init", "random", "--epochs", "3", "--out", str(run)]) == 0
    capsys.readouterr()
    u, y = rng.normal(size=(30, 1)), rng.normal(size=(30, 1))
    np.savez(run / "data.npz", u=u, y=y)  # the user's own data, put there
    argv = ["train", "--init", "random", "--epochs", "3", "--force"]
    argv += ["--data", str(run / "data.npz"), "--out", str(run)]
    assert main(argv) == 2
    assert "--data" in capsys.readouterr().err
    np.testing.assert_array_equal(np.load(run / "data.npz")["y"], y)


@pytest.mark.parametrize(
    "extra", [["--lr", "0.1"], ["--init", "random"], ["--seed", "3"], ["--force"]]
)
def test_resume_refuses_options_of_a_new_run(capsys, tmp_path, extra):
    argv = ["train", "--init", "random", "--epochs", "3", "--out", str(tmp_path)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["train", "--resume", str(tmp_path), "--epochs", "5", *extra]) == 2
    err = capsys.readouterr().err
    assert f"{extra[0]}: not with --resume" in err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--seed", "-1"], "--seed: expected an integer >= 0, got -1"),
        (["--init", "random", "--units", "0"], "--units: expected an integer >= 1"),
        (["--epochs", "1000000000000"], "--epochs: 1000000000000 epochs need"),
        (["--init", "random", "--units", "1000000000000"], "--units: Nn=1000000000000"),
        (["--checkpoint-every", "-2"], "--checkpoint-every"),
        (["--force"], "--force: only with --out"),
    ],
)
def test_bad_sizes_are_one_line_errors(capsys, argv, match):
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert match in err
    assert err.count("\n") == 1


def test_epochs_that_cannot_fit_are_refused_up_front(capsys, tmp_path, monkeypatch):
    from blocksim_lstm.training import _memory

    monkeypatch.setattr(_memory, "available_bytes", lambda: 8 * 10**9)
    out = tmp_path / "run"
    argv = ["train", "--epochs", "1000000000", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--epochs: 1000000000 epochs need 64 GB" in err and "8 GB avail" in err
    assert not out.exists()
    np.savez(tmp_path / "long.npz", u=np.zeros((200_000, 1)), y=np.zeros((200_000, 1)))
    assert _memory.run_bytes(1, 200_000, 2000, 1, 1, 1) > 8 * 10**9  # a real case
    argv = ["train", "--init", "random", "--units", "2000", "--epochs", "1"]
    argv += ["--data", str(tmp_path / "long.npz")]
    assert main(argv) == 2
    assert "--units: Nn=2000 units on --data of B=1 sequences x T=200000" in (
        capsys.readouterr().err
    )


def _cli(*argv: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "blocksim_lstm", "train", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_damaged_checkpoint_exits_2_instead_of_crashing(tmp_path):
    argv = ["--init", "random", "--epochs", "20", "--out", str(tmp_path)]
    proc = _cli(*argv)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    ck = tmp_path / "checkpoint.npz"
    with np.load(ck) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["adam_m"] = arrays["adam_m"][:3]  # truncated: a segfault before
    np.savez(ck, **arrays)
    proc = _cli("--resume", str(tmp_path), "--epochs", "40")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "adam_m: expected shape" in err and str(ck) in err
    assert "Traceback" not in err


def test_kill_9_temporaries_are_cleaned_on_resume(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--init", "random", "--epochs", "1000000", "--checkpoint-every", "1"]
    argv += ["--verbose-every", "0", "--out", str(out)]
    left: list[str] = []
    for _attempt in range(20):
        if out.exists():
            shutil.rmtree(out)
        proc = _cli(*argv)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not left:
                if (out / "checkpoint.npz").is_file():
                    left = [
                        e.name
                        for e in os.scandir(out)
                        if ".checkpoint.npz.tmp" in e.name
                    ]
            proc.send_signal(signal.SIGKILL)  # mid-write when `left`
            proc.communicate(timeout=30)
        finally:
            proc.kill()
        left = [e.name for e in os.scandir(out) if ".tmp-" in e.name]
        if left:
            break
    assert left, "never caught a checkpoint being written"
    done = load_checkpoint(out).epoch
    run_json(capsys, "--resume", str(out), "--epochs", str(done + 2))
    assert not [e.name for e in os.scandir(out) if ".tmp-" in e.name]
    assert load_checkpoint(out).epoch == done + 2


def test_ctrl_c_while_writing_the_figures_says_resume(capsys, tmp_path, monkeypatch):
    # the training is done and checkpointed; the interrupt lands in the pictures
    # (seen under load in test_early_real_ctrl_c_message_is_true: no message)
    import blocksim_lstm.cli.train as cli_train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train, "_write_figures", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--epochs", "20", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert (
        f"resume with: blocksim-lstm train --resume {out} (checkpoint at epoch 20)"
        in err
    )
    monkeypatch.undo()
    s = run_json(capsys, "--resume", str(out))
    assert s["epochs"] == 20 and (out / "loss.png").is_file()


def test_ctrl_c_before_any_checkpoint_says_so(capsys, tmp_path, monkeypatch):
    from blocksim_lstm.training import loop

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "save_data", interrupted)
    argv = ["train", "--epochs", "50", "--out", str(tmp_path / "run")]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "nothing to resume" in err and "resume with" not in err


@pytest.mark.parametrize("wrapped", [True, False])
def test_ctrl_c_while_importing_is_an_interrupt_not_a_traceback(
    capsys, monkeypatch, wrapped
):
    # a SIGINT during numba's import comes out as a RuntimeError whose cause is
    # the KeyboardInterrupt (seen under load: exit 1 with a traceback)
    import blocksim_lstm.cli.train as cli_train

    def run(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            if wrapped:
                raise RuntimeError("Error calling __set_name__") from exc
            raise

    monkeypatch.setattr(cli_train, "run", run)
    assert main(["train", "--epochs", "5"]) == 130
    assert capsys.readouterr().err == "blocksim-lstm train: interrupted\n"


def test_ctrl_c_while_the_command_module_imports_numpy(capsys, monkeypatch):
    # seen under load: SIGINT inside `import numpy` (while the parser imports
    # the command's module) came out as numpy's ImportError with a traceback
    import importlib

    import blocksim_lstm.cli as cli

    real = importlib.import_module

    def import_module(name, *args, **kwargs):
        if name == "blocksim_lstm.cli.train":
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt as exc:
                raise ImportError("Error importing numpy") from exc
        return real(name, *args, **kwargs)

    monkeypatch.setattr(cli.importlib, "import_module", import_module)
    assert main(["train", "--epochs", "5"]) == 130
    assert capsys.readouterr().err == "blocksim-lstm train: interrupted\n"
    monkeypatch.setattr(cli.importlib, "import_module", real)
    with pytest.raises(ImportError, match="broken"):  # a real ImportError stays

        def broken(name, *args, **kwargs):
            raise ImportError("broken")

        monkeypatch.setattr(cli.importlib, "import_module", broken)
        main(["train", "--epochs", "5"])


def test_a_runtime_error_from_a_bug_keeps_its_traceback(monkeypatch):
    import blocksim_lstm.cli.train as cli_train

    def run(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli_train, "run", run)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["train", "--epochs", "5"])


def test_ctrl_c_at_the_first_compiled_call_can_be_resumed(
    capsys, tmp_path, monkeypatch
):
    from blocksim_lstm.training import _workspace

    real = _workspace.Workspace

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_workspace, "Workspace", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--epochs", "30", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert (
        f"resume with: blocksim-lstm train --resume {out} (checkpoint at epoch 0)"
        in err
    )
    monkeypatch.setattr(_workspace, "Workspace", real)
    s = run_json(capsys, "--resume", str(out))
    full = run_json(capsys, "--epochs", "30")
    assert s["final_loss"] == full["final_loss"] and s["epochs"] == 30


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0])
def test_early_real_ctrl_c_message_is_true(tmp_path, capsys, delay):
    out = tmp_path / "run"
    proc = _cli("--epochs", "200", "--out", str(out))
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    if proc.returncode == 0:
        return  # finished before the signal: nothing to check
    # 130: our handler; -SIGINT: interrupted while Python was still importing
    assert proc.returncode in (130, -signal.SIGINT), err
    if "resume with" in err:
        s = run_json(capsys, "--resume", str(out))
        assert s["epochs"] == 200
    else:
        assert resumable(out) is None
