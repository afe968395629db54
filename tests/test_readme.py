"""Every Python block of the README runs as written and prints the truth.

Each block runs in a scratch folder; what it prints is parsed and at least one
value is checked against an independent computation or a known fact (see
``printed.py``). A block is matched to its checks by the calls it makes; a new
block without a check fails :func:`test_every_block_has_a_check`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from printed import (
    PLANT_GAIN,
    after,
    assert_rounds_to,
    check_crosscheck_table,
    line_with,
    mse,
    numbers,
    token_after,
)

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _plant_response(u: np.ndarray) -> np.ndarray:
    """The seed plant's response by scipy's own simulator (not lti.simulate)."""
    from scipy.signal import dlsim

    from blocksim_lstm.statespace.lti import seed_plant

    p = seed_plant()
    return dlsim((p.A, p.B, p.C, p.D, p.dt), u)[1]


def _achieved(choice: Any, printed: str) -> None:
    """The printed achieved error is the relative RMS error of the network
    (numpy reference cell) against scipy's simulation of the plant."""
    from blocksim_lstm._reference import reference_cell
    from blocksim_lstm.statespace.accuracy import design_input

    u = design_input(1, steps=1001, seed=0)
    y = _plant_response(u)
    e = reference_cell(choice.construction.params, u).y - y
    want = np.sqrt(np.mean(e**2)) / np.sqrt(np.mean(y**2))
    assert float(printed) == pytest.approx(want, rel=1e-4)
    assert float(printed) <= 1e-6  # what was requested


def _tour(out: str, ns: dict[str, Any], folder: Path) -> None:
    check_crosscheck_table(out)
    lines = out.splitlines()
    after_table = lines.index(line_with("norm of the output difference", out)) + 1
    scl, achieved = lines[after_table].split()
    assert float(scl) == ns["choice"].scl
    _achieved(ns["choice"], achieved)


def _crosscheck(out: str, ns: dict[str, Any], folder: Path) -> None:
    check_crosscheck_table(out)


def _lti(out: str, ns: dict[str, Any], folder: Path) -> None:
    from blocksim_lstm.statespace import lti
    from blocksim_lstm.statespace.zpk import zpk_summary

    scl, _predicted, achieved = out.splitlines()[0].split()
    assert float(scl) == ns["choice"].scl
    _achieved(ns["choice"], achieved)
    # "the plant again": the same zero-pole-gain text as the plant itself
    assert out.splitlines()[1] == zpk_summary(lti.seed_plant())


def _graph(out: str, ns: dict[str, Any], folder: Path) -> None:
    # without the Cell State delay, f * c(t-1) -> c(t) -> f * c(t-1) has no delay
    assert "diagram: 1 algebraic loop(s)" in out
    assert "prod_fc -> Sum -> prod_fc" in out
    assert ns["report"].groups == {"Hidden State": 4, "Cell State": 1}
    assert (folder / "lstm.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _training(out: str, ns: dict[str, Any], folder: Path) -> None:
    from blocksim_lstm.training import calculated_weights, seed_data

    u, y = seed_data(1001, seed=0)
    assert_rounds_to(token_after("loss: first", out), mse(calculated_weights(), u, y))
    assert "(start was the best: True)" in out  # SPEC §5 a)
    assert after("plant: gain", out) == pytest.approx(PLANT_GAIN, abs=5e-4)
    # the verbose table: one row every 500 epochs, the first and last included
    epochs = [int(numbers(r)[0]) for r in out.splitlines() if re.match(r"\|\s+\d", r)]
    assert epochs == [1, *range(500, 10001, 500)]


def _draw(out: str, ns: dict[str, Any], folder: Path) -> None:
    # the one-import script: the picture is written, the wire read by its label
    assert (folder / "lstm.svg").read_text().startswith("<?xml")
    assert out.splitlines()[-1] == "(51, 3) True"
    assert ns["run"].signals["c(t-1)"] is ns["run"].signals["Cell State"]


def _cell_diagram(out: str, ns: dict[str, Any], folder: Path) -> None:
    """The GRU table: every wire passes, and the diagram's output is a plain
    GRU's (PyTorch's equations written out, one unit at a time)."""
    rows = check_crosscheck_table(out, signals=28)
    assert "prod_rn" in rows and "one_minus_z" in rows
    p, u = ns["p"], ns["u"]
    W, R, bW, bR, nn = p.W, p.R, p.bW, p.bR, p.nn
    h = list(p.h0)
    ys = []
    for x in u:
        pre = [W[j] @ x + bW[j] for j in range(3 * nn)]
        rec = [R[j] @ np.array(h) + bR[j] for j in range(3 * nn)]
        new = []
        for j in range(nn):
            r = 1 / (1 + np.exp(-(pre[j] + rec[j])))
            z = 1 / (1 + np.exp(-(pre[nn + j] + rec[nn + j])))
            n = np.tanh(pre[2 * nn + j] + r * rec[2 * nn + j])
            new.append((1 - z) * n + z * h[j])
        h = new
        ys.append(p.F @ np.array(h) + p.bF)
    np.testing.assert_allclose(ns["diagram"].run().y, ys, rtol=1e-12, atol=1e-12)


def _approximate(out: str, ns: dict[str, Any], folder: Path) -> None:
    from blocksim_lstm._reference import reference_cell
    from blocksim_lstm.statespace.accuracy import design_input

    lines = out.splitlines()
    scl, achieved, nn = lines[0].split()
    assert float(scl) == ns["approx"].scl and int(nn) == 5
    u = design_input(1, steps=1001, seed=0)
    y = _plant_response(u)
    e = reference_cell(ns["approx"].params, u).y - y
    want = np.sqrt(np.mean(e**2)) / np.sqrt(np.mean(y**2))
    assert float(achieved) == pytest.approx(want, rel=1e-4)
    assert float(achieved) <= 1e-6  # what was requested
    # the summary the command prints, starting with the system
    assert lines[1].startswith("system: nx=4, nu=1, ny=1, Ts=0.01 s")
    assert f"achieved {float(achieved):.3g}" in out
    assert float(lines[-1]) == ns["result"].summary()["final_loss"]


def _your_network(out: str, ns: dict[str, Any], folder: Path) -> None:
    """PyTorch's output against the plain scalar-loop LSTM on torch's own tensors."""
    from lstm_loops import lstm_loops

    lstm, fc = ns["lstm"], ns["fc"]

    def t(name: str) -> np.ndarray:
        return getattr(lstm, name).detach().numpy()

    h = ns["x"][0].numpy()
    for k in range(2):
        b = t(f"bias_ih_l{k}") + t(f"bias_hh_l{k}")
        eye = np.eye(6)
        state = (ns["h0"][k, 0].numpy(), ns["c0"][k, 0].numpy())
        _, h, _ = lstm_loops(
            t(f"weight_ih_l{k}"), t(f"weight_hh_l{k}"), b, eye, np.zeros(6), *state, h
        )
    y = h @ fc.weight.detach().numpy().T + fc.bias.detach().numpy()
    assert np.max(np.abs(y - ns["y_torch"])) <= 1e-12
    err, passed = out.split()
    assert float(err) <= 1e-12 and passed == "True"


def _dynamics(out: str, ns: dict[str, Any], folder: Path) -> None:
    """The fixed point's gain against python-control's plant gain (SPEC's zpk),
    the bistable cell's equilibria against their closed form h = -1/2, 0, 1/2."""
    import control as ct

    lines = out.splitlines()
    kind, residual = lines[0].split()[:2]
    assert kind == "stable" and float(residual) <= 1e-12
    plant = ct.zpk([-4.0], [-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j], 5e5)
    gain = float(np.real(ct.dcgain(ct.c2d(plant, 0.01, "zoh"))))
    assert float(np.ravel(ns["res"].linear.dcgain)[0]) == pytest.approx(gain, rel=1e-6)
    hs = sorted(float(f.x[0]) for f in ns["eq"].fixed_points)
    np.testing.assert_allclose(hs, [-0.5, 0.0, 0.5], atol=1e-9)
    kinds = {round(float(f.x[0]), 6): f.kind for f in ns["eq"].fixed_points}
    assert kinds[0.5] == kinds[-0.5] == "stable" and kinds[0.0] != "stable"
    assert lines[-1] == "holds"


def _filter(out: str, ns: dict[str, Any], folder: Path) -> None:
    """Every recorded wire of the filter against a plain-Python direct-form II
    transposed recursion (neither the diagram nor lfilter)."""
    b, a, zi, x = ns["b"], ns["a"], ns["zi"], ns["x"]
    s1, s2 = zi
    want: dict[str, list[float]] = {"sum y": [], "z1 delay": [], "z2 delay": []}
    for xn in x:
        yn = b[0] * xn + s1
        want["sum y"].append(yn)
        want["z1 delay"].append(s1)
        want["z2 delay"].append(s2)
        s1, s2 = b[1] * xn - a[1] * yn + s2, b[2] * xn - a[2] * yn
    for name, trace in want.items():
        np.testing.assert_allclose(
            ns["rec"].traces[name][:, 0], trace, rtol=0, atol=1e-14
        )
    assert out.startswith("PASSED: 11 signals, 40 steps")
    assert (folder / "filter.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _dynamics_gru(out: str, ns: dict[str, Any], folder: Path) -> None:
    """The GRU's fixed point by its reference cell: residual, spectral radius of
    central differences, and the steady-state slope against the printed gain."""
    from blocksim_lstm import cells

    g, x = ns["g"], ns["fp"].x
    kind, rho, iss = out.splitlines()[0].split()
    assert kind == "stable" and iss == "None"
    step = cells.gru_reference(g, np.zeros((1, 1)), h0=x).h[0]
    assert np.max(np.abs(step - x)) <= 1e-12
    eps = 1e-6
    X = x + eps * np.vstack([np.eye(3), -np.eye(3)])
    hs = cells.gru_reference(g, np.zeros((6, 1, 1)), h0=X).h[:, 0]
    A = (hs[:3] - hs[3:]).T / (2 * eps)
    assert float(rho) == pytest.approx(np.max(np.abs(np.linalg.eigvals(A))), abs=1e-4)

    def steady(u: float) -> float:
        return float(cells.gru_reference(g, np.full((3000, 1), u), h0=x).y[-1, 0])

    slope = (steady(1e-5) - steady(-1e-5)) / 2e-5
    shape, gain = out.splitlines()[1].rsplit(" ", 1)
    assert shape == "(3, 3)" and float(gain) == pytest.approx(slope, abs=1e-5)


# (calls the block makes, its check); a block gets every check whose calls it has
CHECKS: list[tuple[tuple[str, ...], Callable[[str, dict[str, Any], Path], None]]] = [
    (("crosscheck_diagram(", "choose_scl(", "train("), _tour),
    (("crosscheck_diagram(", "report.table()"), _crosscheck),
    (("bl.draw(", "crosscheck_diagram("), _draw),
    (("bl.approximate(", "bl.train("), _approximate),
    (("choose_scl(", "extract_state_space("), _lti),
    (("check_no_algebraic_loops(", "save_figure("), _graph),
    (("run_study(", "train("), _training),
    (("fixed_points(", "bistable_cell("), _dynamics),
    (("GRUParams", "analyze("), _dynamics_gru),
    (("interop.torch_layers(",), _your_network),
    (("build_cell_diagram(",), _cell_diagram),
    (("bl.record(", "bl.crosscheck_traces("), _filter),
]


def _checks(code: str) -> list[Callable[[str, dict[str, Any], Path], None]]:
    return [check for calls, check in CHECKS if all(c in code for c in calls)]


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 4


def test_every_block_has_a_check():
    assert all(_checks(code) for code in BLOCKS)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{k}" for k in range(len(BLOCKS))])
def test_readme_block_runs_and_prints_the_truth(code, tmp_path, capsys, monkeypatch):
    if "import torch" in code:  # the optional extra [torch]
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    ns: dict[str, Any] = {"__name__": "__readme__"}
    exec(compile(code, "README.md", "exec"), ns)
    out = capsys.readouterr().out
    for check in _checks(code):
        check(out, ns, tmp_path)
