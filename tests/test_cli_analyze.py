"""``blocksim-lstm analyze``: the judged numbers, the JSON keys, files, errors."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blocksim_lstm import _files
from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.dynamics import bistable_cell, jacobians
from blocksim_lstm.statespace import lti
from blocksim_lstm.training import calculated_weights

PLANT_GAIN = 7.5351


def run_json(argv: list[str]) -> tuple[int, dict]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(argv)
    return rc, json.loads(buf.getvalue())


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyze")
    rc, res = run_json(
        [
            "analyze",
            "--json",
            "--system-out",
            str(out / "sys.npz"),
            "--out",
            str(out / "fig"),
        ]
    )
    return rc, res, out


def test_json_keys_as_the_issue_lists_them(seed_run) -> None:
    rc, res, _ = seed_run
    assert rc == 0
    for key in ("fixed_points", "linearization", "lyapunov_exponent", "iss"):
        assert key in res
    for fp in res["fixed_points"]:
        assert {"h", "c", "residual", "eigenvalues", "spectral_radius", "kind"} <= set(
            fp
        )
        assert all(len(pair) == 2 for pair in fp["eigenvalues"])
        assert fp["kind"] in ("stable", "saddle", "unstable", "marginal")
    assert {"dcgain", "poles"} <= set(res["linearization"])
    assert all(len(pair) == 2 for pair in res["linearization"]["poles"])
    assert {"holds", "margin"} <= set(res["iss"])
    assert isinstance(res["lyapunov_exponent"], float)


def test_seed_calculated_weights_meet_the_criteria(seed_run) -> None:
    _, res, _ = seed_run
    fp = res["fixed_points"][0]
    assert fp["residual"] <= 1e-12
    lin = res["linearization"]
    assert abs(lin["dcgain"] - PLANT_GAIN) / PLANT_GAIN <= 1e-3
    poles = np.array([complex(a, b) for a, b in lin["poles"]])
    for p in lti.poles(lti.seed_plant()):
        assert np.min(np.abs(poles - p)) <= 1e-3
    assert len(poles) == 10  # 2Nn states
    # the exact numbers behind the criteria
    assert lin["dcgain"] == pytest.approx(7.535113629512, rel=1e-11)
    assert res["lyapunov_exponent"] == pytest.approx(np.log(0.98019867), abs=5e-4)
    assert res["iss"]["holds"] is False


def test_most_stable_first(tmp_path) -> None:
    w = bistable_cell(0.5).save(tmp_path / "bistable.npz")
    rc, res = run_json(["analyze", "--json", "--weights", str(w), "--starts", "16"])
    radii = [fp["spectral_radius"] for fp in res["fixed_points"]]
    assert rc == 0 and len(radii) == 3 and radii == sorted(radii)
    assert [fp["kind"] for fp in res["fixed_points"]] == ["stable", "stable", "saddle"]


def test_system_file_is_the_linearization(seed_run) -> None:
    _, res, out = seed_run
    sys_ = lti.load_system(out / "sys.npz")
    J = jacobians(calculated_weights(), np.zeros(10), [0.0])
    for m in "ABCD":
        np.testing.assert_array_equal(np.asarray(getattr(sys_, m)), getattr(J, m))
    assert sys_.dt == 0.01
    assert res["files"]["system"] == str(out / "sys.npz")


def test_figures_written(seed_run) -> None:
    _, res, out = seed_run
    for name in ("eigenvalues", "phase_portrait", "bode"):
        png = out / "fig" / f"{name}.png"
        assert png.is_file() and png.stat().st_size > 5000
        assert png.with_suffix(".svg").is_file()
        assert res["files"][name] == str(png)


def test_same_seed_same_output(seed_run, tmp_path) -> None:
    _, res, _ = seed_run
    rc, again = run_json(["analyze", "--json"])
    res = {k: v for k, v in res.items() if k != "files"}
    again = {k: v for k, v in again.items() if k != "files"}
    assert rc == 0 and again == res


def test_text_output(capsys) -> None:
    assert main(["analyze", "--starts", "4", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "the seed's calculated weights" in out
    assert "#0: stable" in out and "steady-state gain [[7.535114]]" in out
    assert "largest Lyapunov exponent" in out and "ISS (Bonassi et al. 2020)" in out


def test_u0_moves_the_operating_point(tmp_path) -> None:
    rc, res = run_json(["analyze", "--json", "--u0", "1", "--starts", "4"])
    assert rc == 0 and res["u0"] == [1.0]
    h = np.array(res["fixed_points"][0]["h"])
    assert np.max(np.abs(h)) > 1e-3  # no longer the origin


def test_no_fixed_point_is_reported_and_system_out_refused(tmp_path, capsys) -> None:
    p = LSTMParams.from_arrays(
        np.zeros((4, 1)), np.zeros((4, 1)), [50.0, 50.0, 50.0, 0.0], np.ones((1, 1))
    )
    w = p.save(tmp_path / "w.npz")
    target = tmp_path / "sys.npz"
    rc = main(
        [
            "analyze",
            "--json",
            "--weights",
            str(w),
            "--starts",
            "4",
            "--system-out",
            str(target),
        ]
    )
    cap = capsys.readouterr()
    res = json.loads(cap.out)
    assert rc == 1 and not target.exists()
    assert res["fixed_points"] == [] and res["linearization"] is None
    assert len(res["starts"]["not_converged"]) == 4
    assert all(s["reason"] for s in res["starts"]["not_converged"])
    assert "no fixed point found" in cap.err and "Traceback" not in cap.err


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _nan_weights(tmp_path: Path) -> Path:
    arrays = LSTMParams.random(2, 1, 1).arrays()
    W = np.array(arrays["W"])
    W[1, 0] = np.nan
    path = tmp_path / "nan.npz"
    np.savez(path, **{**arrays, "W": W})
    return path


@pytest.mark.parametrize(
    ("make_args", "match"),
    [
        (lambda t: ["--weights", str(_nan_weights(t))], r"W: expected finite values"),
        (lambda t: ["--weights", str(t / "missing.npz")], "weights: no such file"),
        (lambda t: ["--u0", "1,2"], r"--u0: expected 1 value\(s\), one per input"),
        (lambda t: ["--u0", "one"], "--u0: expected comma-separated numbers"),
        (lambda t: ["--u0", "nan"], "--u0: expected finite values"),
        (lambda t: ["--starts", "0"], "--starts: expected an integer >= 1, got 0"),
        (lambda t: ["--steps", "-3"], "--steps: expected an integer >= 1"),
        (lambda t: ["--ts", "0"], "--ts: expected a positive sample time"),
        (lambda t: ["--system-out", str(t / "sys.txt")], "--system-out: expected"),
        (
            lambda t: ["--system-out", str(_folder(t / "d.npz"))],
            "--system-out: expected a file name, got the existing folder",
        ),
    ],
)
def test_bad_input_gives_one_clear_line(tmp_path, capsys, make_args, match) -> None:
    rc = main(["analyze", *make_args(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("blocksim-lstm analyze: error: ")
    assert re.search(match, err), err


def test_output_equal_to_input_is_refused(tmp_path, capsys) -> None:
    w = LSTMParams.random(2, 1, 1).save(tmp_path / "w.npz")
    before = w.read_bytes()
    rc = main(["analyze", "--weights", str(w), "--system-out", str(w)])
    assert rc == 2 and "is also the input --weights" in capsys.readouterr().err
    assert w.read_bytes() == before


def test_out_that_is_a_file_is_refused_and_kept(tmp_path, capsys) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert main(["analyze", "--out", str(f)]) == 2
    assert "--out: expected a folder, got the file" in capsys.readouterr().err
    assert f.read_text() == "mine"


def test_a_crash_while_writing_keeps_the_old_system_file(
    tmp_path, monkeypatch, capsys
) -> None:
    target = tmp_path / "sys.npz"
    target.write_bytes(b"old contents")

    def crash(fh, **arrays):
        fh.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(_files.np, "savez", crash)
    rc = main(
        ["analyze", "--starts", "2", "--steps", "20", "--system-out", str(target)]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "--system-out: cannot write" in err and "disk full" in err
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sys.npz"]  # no temporary


def test_as_a_real_process_no_traceback(tmp_path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "blocksim_lstm", "analyze", "--starts", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--starts: expected an integer >= 1, got 0" in proc.stderr


def test_outputs_are_checked_before_any_work(tmp_path, capsys, monkeypatch) -> None:
    """A --system-out in a missing folder is refused before the analysis runs."""
    import blocksim_lstm.dynamics as dyn

    def never(*args, **kwargs):
        raise AssertionError("the analysis ran")

    monkeypatch.setattr(dyn, "analyze", never)
    rc = main(["analyze", "--system-out", str(tmp_path / "no" / "sys.npz")])
    assert rc == 2 and "does not exist" in capsys.readouterr().err


def test_sizes_that_cannot_fit_are_refused_up_front(capsys, monkeypatch) -> None:
    from blocksim_lstm import _validate

    monkeypatch.setattr(_validate, "memory_limit", lambda: 10_000_000)
    rc = main(["analyze", "--starts", "100000"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("blocksim-lstm analyze: error: --starts:")
    assert "of memory" in err
