"""``blocksim-lstm approximate``: the summary, JSON, figures, weights, errors."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.cli import main
from blocksim_lstm.statespace import lti


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    """Default command on the seed's plant, with figures and weights."""
    out = tmp_path_factory.mktemp("approximate")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(
            [
                "approximate",
                "--json",
                "--out",
                str(out / "fig"),
                "--weights-out",
                str(out / "W.npz"),
            ]
        )
    return rc, json.loads(buf.getvalue()), out


def test_seed_plant_reference_values(seed_run) -> None:
    rc, res, _ = seed_run
    assert rc == 0
    assert res["dcgain"][0][0] == pytest.approx(7.5351, abs=5e-5)
    plant = lti.seed_plant()
    poles = [complex(a, b) for a, b in res["poles"]]
    zeros = [complex(a, b) for a, b in res["zeros"]]
    assert (
        lti.match_distance(
            poles, np.exp(np.array([-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j]) * 0.01)
        )
        < 1e-12
    )
    assert lti.match_distance(zeros, [-3.517, 0.9608, -0.2599]) < 5e-4
    assert lti.match_distance(zeros, lti.zeros(plant)) < 1e-12
    assert res["zpk"].startswith("0.078673 (z + 3.517)(z - 0.9608)(z + 0.2599)")


def test_seed_plant_accuracy_and_round_trip(seed_run) -> None:
    _, res, _ = seed_run
    assert res["tol"] == 1e-6 and res["met"] is True
    assert res["achieved_rel_rms_error"] <= 1e-6
    assert res["predicted_rel_rms_error"] == pytest.approx(
        res["achieved_rel_rms_error"], rel=0.05
    )
    assert 0 < res["scl"] < 1e-3
    assert res["construction"] == "spec" and res["nn"] == 5
    rt = res["round_trip"]
    assert max(rt["dcgain_error"], rt["pole_distance"], rt["zero_distance"]) < 1e-9
    assert res["validation"]["crosscheck_passed"] is True
    assert res["error_vs_scl"][0]["slope"] == pytest.approx(2.0, abs=0.05)
    assert res["linear_regime"]["linear"] is True


def test_figures_are_written(seed_run) -> None:
    _, res, out = seed_run
    for name in ("error_vs_scl", "validation", "linearity"):
        path = out / "fig" / f"{name}.png"
        assert res["files"][name] == str(path)
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_weights_run_by_simulate_reproduce_the_plant(
    seed_run, tmp_path, capsys
) -> None:
    _, res, out = seed_run
    params = LSTMParams.load(out / "W.npz")
    assert params.nn == res["nn"]
    u = np.random.default_rng(123).standard_normal((51, 1))
    np.save(tmp_path / "u.npy", u)
    rc = main(
        [
            "simulate",
            "--weights",
            str(out / "W.npz"),
            "--input",
            str(tmp_path / "u.npy"),
            "--ts",
            "0.01",
            "--out",
            str(tmp_path / "tr.npz"),
        ]
    )
    assert rc == 0
    y_lstm = np.load(tmp_path / "tr.npz")["y"]
    y = lti.simulate(lti.seed_plant(), u)
    assert np.sqrt(np.mean((y_lstm - y) ** 2) / np.mean(y**2)) < 1e-6
    capsys.readouterr()


def test_text_summary_for_a_random_singular_system(tmp_path, capsys) -> None:
    rc = main(
        [
            "approximate",
            "--nx",
            "4",
            "--nu",
            "2",
            "--ny",
            "3",
            "--origin-poles",
            "1",
            "--seed",
            "3",
            "--tol",
            "1e-7",
            "--no-figures",
            "--no-diagram",
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0
    assert "construction: delayed, Nn=10 units" in text
    assert ": met" in text
    assert "u[1] -> y[2]:" in text


def test_system_file_and_fixed_scl(tmp_path, capsys) -> None:
    path = lti.save_system(
        lti.random_stable(2, 1, 1, seed=8, ts=0.5), tmp_path / "s.npz"
    )
    rc = main(
        [
            "approximate",
            "--system",
            str(path),
            "--scl",
            "1e-3",
            "--json",
            "--realization",
            "given",
            "--no-figures",
            "--no-diagram",
        ]
    )
    res = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert res["scl"] == 1e-3 and res["tol"] is None and res["ts"] == 0.5
    sys = lti.load_system(path)
    np.testing.assert_allclose(res["dcgain"], lti.dcgain(sys))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--construction", "spec", "--nx", "3", "--origin-poles", "1"], "cond(A) = "),
        (["--tol", "-1"], "--tol: expected a positive finite number"),
        (["--scl", "0"], "error: --scl: expected a positive finite number"),
        (["--steps", "0"], "error: --steps: expected an integer >= 1"),
        (["--system", "/nonexistent/s.npz"], "error: --system: no such file"),
        (["--nx", "0"], "error: --nx: expected an integer >= 1"),
        (["--nx", "2", "--seed", "-1"], "error: --seed: expected an integer >= 0"),
        (["--amplitude", "inf"], "error: --amplitude: expected a positive finite"),
    ],
)
def test_user_errors_are_one_line(argv, message, capsys) -> None:
    rc = main(["approximate", "--no-figures", "--no-diagram", *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_scl_and_tol_are_exclusive(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["approximate", "--scl", "1e-3", "--tol", "1e-6"])
    assert exc.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_unreachable_tolerance_exits_1(capsys) -> None:
    rc = main(["approximate", "--construction", "nx", "--no-figures", "--no-diagram"])
    assert rc == 1
    assert "NOT met" in capsys.readouterr().out


def test_a_system_with_hidden_states_says_its_minimal_order(tmp_path, capsys) -> None:
    """B = 0 but D != 0: a static gain; no NaN zeros, the minimal order said."""
    plant = lti.seed_plant()
    path = tmp_path / "static.npz"
    np.savez(path, A=plant.A, B=0 * plant.B, C=plant.C, D=[[0.5]], Ts=plant.dt)
    argv = ["approximate", "--system", str(path), "--realization", "given"]
    rc = main([*argv, "--no-figures", "--no-diagram", "--steps", "201"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "minimal order: 0 of 4 states (the others are not controllable" in out
    assert "nan" not in out.lower()
    assert "steady-state gain: [[0.5]]" in out


# ------------------------------------------------ the typed result behind it
@pytest.fixture(scope="module")
def small_random():
    """bl.approximate on a small random system (2 inputs, 2 outputs), and the
    command's JSON and text for the same system: one computation, two readers."""
    import blocksim_lstm as bl

    argv = ["approximate", "--nx", "3", "--nu", "2", "--ny", "2", "--seed", "4"]
    argv += ["--steps", "301", "--no-figures", "--no-diagram"]
    printed = {}
    for fmt in ("--json", None):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main([*argv, *([fmt] if fmt else [])]) == 0
        printed[fmt or "text"] = buf.getvalue()
    sys = lti.random_stable(3, 2, 2, seed=4)
    return bl.approximate(sys, steps=301, diagram=False), printed


def test_approximation_is_what_the_command_prints(small_random) -> None:
    res, printed = small_random
    label = "random stable system (nx=3, nu=2, ny=2, origin poles=0, seed=4)"
    assert json.loads(printed["--json"]) == {**res.to_dict(), "system": label}
    assert printed["text"] == res.text(label) + "\n"
    assert res.text().startswith("system: nx=3, nu=2, ny=2, Ts=")


def test_approximation_fields_against_independent_numbers(small_random) -> None:
    import control as ct

    from blocksim_lstm._reference import reference_cell
    from blocksim_lstm.statespace.accuracy import design_input

    res, _ = small_random
    sys = lti.random_stable(3, 2, 2, seed=4)
    np.testing.assert_allclose(res.dcgain, ct.dcgain(sys), rtol=1e-10)
    assert res.dcgain.shape == (2, 2) and res.params.nn == res.nn == 3 + 2
    np.testing.assert_allclose(
        np.sort_complex(res.poles), np.sort_complex(np.linalg.eigvals(sys.A))
    )
    # achieved error: the reference cell against the plant on the design input
    u = design_input(2, steps=301, amplitude=1.0, seed=0)
    y = ct.forced_response(sys, U=u.T).outputs.T
    e = reference_cell(res.params, u).y - y
    want = np.sqrt(np.mean(e**2) / np.mean(y**2))
    assert res.achieved_rel_rms_error == pytest.approx(want, rel=1e-6)
    assert res.met is (res.achieved_rel_rms_error <= 1e-6) and res.met
    assert res.to_dict()["tol"] == res.tol == 1e-6


def test_approximation_save_writes_its_json(small_random, tmp_path) -> None:
    res, _ = small_random
    path = res.save(tmp_path / "results.json")
    assert json.loads(path.read_text()) == res.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_a_given_scl_has_no_verdict() -> None:
    import blocksim_lstm as bl

    res = bl.approximate(lti.seed_plant(), scl=1e-3, steps=101, diagram=False)
    assert res.tol is None and res.met is None and res.scl == 1e-3
    assert "scl: 0.001 (given)" in res.text()
    assert res.to_dict()["met"] is None
