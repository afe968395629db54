"""Every script in examples/ runs headless, in quick mode, and prints the truth.

Each example's printed output is parsed and at least one value is checked
against an independent computation (the numpy reference cell, a closed-form
count, the continuous plant) or a known fact (see ``printed.py``).
"""

from __future__ import annotations

import ast
import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from printed import (
    PLANT_GAIN,
    PLANT_POLES,
    after,
    assert_rounds_to,
    check_crosscheck_table,
    line_with,
    lstm_params,
    mse,
    numbers,
    token_after,
)

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def _01_build_and_run(out: str, folder: Path) -> None:
    from blocksim_lstm._experiment import seed_problem
    from blocksim_lstm._reference import reference_cell

    params, u = seed_problem()
    ref = reference_cell(params, u)  # numpy, not the diagram
    block = out.split("y(t) for the first three steps:")[1].split("forget gate")[0]
    y3 = np.array(numbers(block)).reshape(3, -1)
    np.testing.assert_allclose(y3, ref.y[:3], atol=6e-7)
    f0 = numbers(line_with("forget gate f at t = 0", out).split(":")[1])
    np.testing.assert_allclose(f0, ref.f[0], atol=6e-7)
    c1 = numbers(line_with("seen by the Cell State delay at t = 1", out).split(":")[1])
    np.testing.assert_allclose(c1, ref.c[0], atol=6e-7)  # c(t-1) at t = 1 is c(0)
    assert f"clock ticks {len(u)} | logged y equals run.y: True" in out


def _02_crosscheck(out: str, folder: Path) -> None:
    from blocksim_lstm._experiment import seed_problem

    check_crosscheck_table(out.split("\n\n")[0])
    # float32 against float64: rounding of ~1e-7 per step, not an exact number
    norm32 = after("norm of the output difference:", out.split("float32")[1])
    assert 1e-8 < norm32 < 1e-5
    assert "miswired diagram passed? False" in out
    # the swapped gains: the diagram's Wi wire carries Wf u(0), the reference Wi u(0)
    params, u = seed_problem()
    nn = params.nn
    m = re.search(r"step 0: Wi \(Wi u\(t\)\)\[0\] = (\S+), reference (\S+)", out)
    assert m, out
    assert_rounds_to(m[1], params.W[nn] @ u[0])
    assert_rounds_to(m[2], params.W[0] @ u[0])


def _03_graph_and_loops(out: str, folder: Path) -> None:
    groups = ast.literal_eval(line_with("cycles per delay:", out).split(":", 1)[1])
    # each gate's R h(t-1) closes a loop through the hidden state; the cell
    # state closes one through f * c(t-1)
    assert groups == {"Hidden State": 4, "Cell State": 1}
    cycles = [ln.strip() for ln in out.splitlines() if ln.startswith("  ")]
    assert len(cycles) == 5
    through = {c.split(" -> ")[1] for c in cycles if c.startswith("Hidden State")}
    assert through == {"Ri", "Rf", "Rg", "Ro"}
    assert "1 algebraic loop(s)" in out and "prod_fc -> Sum -> prod_fc" in out
    assert "overlapping boxes or labels: none" in out
    assert (folder / "lstm_layer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _04_parameter_count(out: str, folder: Path) -> None:
    assert after("one layer, Ni=4, Nn=3:", out) == lstm_params(4, 3) == 96
    total = lstm_params(1, 100) + lstm_params(100, 100) + (100 + 1)
    assert line_with("all    total", out).split()[-1] == f"{total:,d}"
    # R of both layers and the second layer's W: three 400 x 100 arrays
    assert after("R arrays + second layer's W:", out) == 3 * 400 * 100
    rows = re.findall(r"Nn =\s*(\d+):\s*([\d,]+) parameters", out)
    assert len(rows) == 3
    for nn, count in rows:
        assert int(count.replace(",", "")) == lstm_params(1, int(nn))


def _05_seed_plant(out: str, folder: Path) -> None:
    assert after("steady-state gain C (I - A)^-1 B + D = [[", out) == pytest.approx(
        PLANT_GAIN, abs=5e-5
    )
    vals = numbers(out.split("poles:")[1].split("zeros:")[0].replace("j", " "))
    poles = sorted(
        (complex(a, b) for a, b in zip(vals[::2], vals[1::2], strict=True)),
        key=lambda z: (round(z.real, 6), z.imag),
    )
    np.testing.assert_allclose(poles, PLANT_POLES, atol=1e-6)
    # strictly proper (3 zeros, 4 poles): y(0) = D u(0) = 0 from x0 = 0
    assert numbers(line_with("y(0..4) from x0 = 0:", out).split(":")[1])[0] == 0.0


def _06_construction(out: str, folder: Path) -> None:
    # Nn of each construction for the plant (nx = 4, nu = 1): nx + nu, nx, 2nx + nu
    for method, nn in (("spec", 5), ("nx", 4), ("delayed", 9)):
        assert re.search(rf"^{method}\s+Nn=\s*{nn}\b", out, flags=re.M), method
    # the FIR filter (nx = 2) is built with the delayed construction: Nn = 5
    assert "auto chose 'delayed', Nn=5" in out
    assert after("max |y - y_FIR| =", out) < 1e-6


def _07_accuracy(out: str, folder: Path) -> None:
    # the error of the construction grows as scl^2 (first neglected Taylor term)
    assert after("float64: slope", out) == pytest.approx(2.0, abs=0.1)
    assert after("achieved", out.split("requested 1e-6:")[1]) <= 1e-6
    assert "(met)" in out
    companion = after("companion: MSE", out)
    balanced = after("balanced : MSE", out)
    assert balanced < companion / 1000  # SPEC §4: the realization matters


def _08_extraction(out: str, folder: Path) -> None:
    for method in ("spec", "delayed"):
        line = line_with(method, out)
        assert "-> minimal 4" in line  # the plant's own order
        assert after("gain", line) == pytest.approx(PLANT_GAIN, abs=1e-6)
    regime = out.split("random weights:")
    assert re.search(r"linear\s+True", regime[0])
    assert re.search(r"linear\s+False", regime[1])


def _study_first_loss(out: str, params) -> None:
    from blocksim_lstm.training import seed_data

    u, y = seed_data(1001, seed=0)
    first = token_after("loss: first", out)
    assert_rounds_to(first, mse(params, u, y))
    assert after("plant: gain", out) == pytest.approx(PLANT_GAIN, abs=5e-4)


def _09_training_calculated(out: str, folder: Path) -> None:
    from blocksim_lstm.training import calculated_weights

    _study_first_loss(out, calculated_weights())
    assert "(start was the best: True)" in out  # SPEC §5 a)
    assert (folder / "study_calculated" / "loss.png").is_file()


def _10_training_random(out: str, folder: Path) -> None:
    from blocksim_lstm import LSTMParams
    from blocksim_lstm.training import calculated_weights, seed_data

    _study_first_loss(out, LSTMParams.random(5, 1, 1, seed=0, states=False))
    u, y = seed_data(1001, seed=0)
    calc = token_after("calculated weights", line_with("loss: first", out))
    assert_rounds_to(calc, mse(calculated_weights(), u, y))


def _11_sweep(out: str, folder: Path) -> None:
    from blocksim_lstm import LSTMParams
    from blocksim_lstm.training import TrainOptions, seed_data, train

    with open(folder / "sweep" / "sweep.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert re.match(r"6 runs, table in", out), out
    # one row against a training of its own
    (r,) = [x for x in rows if x["seed"] == "0" and x["drop_factor"] == "0.98"]
    u, y = seed_data(1001, seed=0)
    opts = TrainOptions(epochs=200, lr=0.04, drop_factor=0.98, drop_period=100)
    res = train(LSTMParams.random(5, 1, 1, seed=0, states=False), u, y, opts)
    assert float(r["final_loss"]) == res.losses[-1]
    # per seed: the printed ratio is the table's largest / smallest final loss
    for seed in (0, 1):
        losses = [float(x["final_loss"]) for x in rows if int(x["seed"]) == seed]
        ratio = after("-> x", line_with(f"seed {seed}:", out))
        assert ratio == pytest.approx(max(losses) / min(losses), abs=0.006)


def _12_report(out: str, folder: Path) -> None:
    assert "{'Hidden State': 4, 'Cell State': 1}; 0 algebraic loops" in out
    core = 3 * 400 * 100
    total = lstm_params(1, 100) + lstm_params(100, 100) + 101
    assert f"{core:,d} ({total:,d} in all)" in out
    assert Path(line_with("report:", out).split("report: ")[1]).is_file()


def _13_dynamics(out: str, folder: Path) -> None:
    """The linearization's gain against python-control's gain of SPEC's plant;
    the bistable cell's three equilibria by kind."""
    import control as ct

    plant = ct.zpk([-4.0], [-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j], 5e5)
    want = float(np.real(ct.dcgain(ct.c2d(plant, 0.01, "zoh"))))
    m = re.search(r"linearization: gain ([0-9.]+)", out)
    assert m is not None, out
    assert float(m.group(1)) == pytest.approx(want, abs=1e-6)
    residual = float(re.search(r"residual ([0-9.e+-]+)", out).group(1))  # type: ignore[union-attr]
    assert residual <= 1e-12
    bistable = line_with("bistable cell:", out)
    assert bistable.count("stable") >= 2 and "saddle" in bistable


def _15_your_network(out: str, folder: Path) -> None:
    """The saved layers run through the scalar-loop LSTM give PyTorch's output."""
    from lstm_loops import lstm_loops

    if out.startswith("skipped: PyTorch is not installed"):
        pytest.importorskip("torch")  # skips here too, else the example lied
        raise AssertionError("torch is installed but the example skipped")
    assert after("PyTorch vs block diagram: max |dy| =", out) <= 1e-12
    assert "per-wire cross-check passed: True" in out
    u = np.load(folder / "u.npy")
    p1, p2 = (np.load(folder / f"layer{k}.npz") for k in (1, 2))
    _, h, _ = lstm_loops(*(p1[k] for k in ("W", "R", "b", "F", "bF", "h0", "c0")), u)
    y, _, _ = lstm_loops(*(p2[k] for k in ("W", "R", "b", "F", "bF", "h0", "c0")), h)
    np.testing.assert_allclose(np.load(folder / "y_torch.npy"), y, rtol=0, atol=1e-12)
    if "onnxruntime" in out:
        assert after("onnxruntime vs block diagram: max |dy| =", out) <= 1e-6
    assert "With gate order i, o, f, g (ONNX's i, o, f, c) it matches" in out
    assert "--gate-order iofc" in out


def _14_model_file(out: str, folder: Path) -> None:
    """bdrun's y against the reference cell; the edited model's first divergence
    recomputed from the reference: i[0] * c0 where f[0] * c0 was due."""
    from blocksim_lstm._experiment import seed_problem
    from blocksim_lstm._reference import reference_cell

    params, u = seed_problem()
    assert "30 blocks" in out and "weights read back equal? True" in out
    assert float(after("max |diff|", line_with("bdrun's y", out))) <= 1e-15
    assert "PASSED: 29 signals, 51 steps" in out
    assert "edited model passed? False" in out
    line = line_with("first divergence", out)
    assert "step 0: prod_fc (f*c(t-1))[0]" in line
    tr = reference_cell(params, u)
    got = float(token_after("[0] =", line))
    assert got == pytest.approx(tr.i[0, 0] * params.c0[0], rel=1e-9)
    assert float(token_after("reference", line)) == pytest.approx(tr.fc[0, 0], rel=1e-9)


def _filter_crosscheck(out: str, folder: Path) -> None:
    """The miswired filter's first divergence recomputed from lfilter alone:
    b0 x[0] + z2's initial state where lfilter has y[0] = b0 x[0] + z1's."""
    from scipy.signal import lfilter

    b, a, zi = [0.25, 0.5, 0.25], [1.0, -0.6, 0.25], [0.5, -0.3]
    x = np.random.default_rng(1).standard_normal(40)
    assert "PASSED: 11 signals, 40 steps" in out
    assert after("max |y - lfilter| =", out) <= 1e-12
    assert "miswired filter passed? False" in out
    line = line_with("first divergence", out)
    assert "step 0: sum y (y[n])[0]" in line
    got = float(token_after("[0] =", line))
    assert got == pytest.approx(b[0] * x[0] + zi[1], rel=1e-9)
    y0 = lfilter(b, a, x, zi=zi)[0][0]
    assert float(token_after("reference", line)) == pytest.approx(y0, rel=1e-9)
    for name in ("filter_crosscheck.png", "filter_crosscheck_miswired.png"):
        assert (folder / name).stat().st_size > 10_000


CHECKS = {
    "13_dynamics.py": _13_dynamics,
    "01_build_and_run.py": _01_build_and_run,
    "02_crosscheck.py": _02_crosscheck,
    "03_graph_and_loops.py": _03_graph_and_loops,
    "04_parameter_count.py": _04_parameter_count,
    "05_seed_plant.py": _05_seed_plant,
    "06_construction.py": _06_construction,
    "07_accuracy.py": _07_accuracy,
    "08_extraction.py": _08_extraction,
    "09_training_calculated.py": _09_training_calculated,
    "10_training_random.py": _10_training_random,
    "11_sweep.py": _11_sweep,
    "12_report.py": _12_report,
    "15_your_network.py": _15_your_network,
    "14_model_file.py": _14_model_file,
    "filter_crosscheck.py": _filter_crosscheck,
}


def test_there_are_examples():
    assert len(EXAMPLES) >= 2


def test_every_example_has_a_check():
    assert sorted(CHECKS) == [p.name for p in EXAMPLES]


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_prints_the_truth(script, tmp_path):
    env = {
        **os.environ,
        "MPLBACKEND": "Agg",
        "BLOCKSIM_LSTM_QUICK": "1",
        "TMPDIR": str(tmp_path),  # temporary folders of the example land here
    }
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    CHECKS[script.name](proc.stdout, tmp_path)
