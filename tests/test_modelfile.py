"""The model as a ``.bd`` file: bdsim's own runner runs it, load_model reads it back.

The shipped files (``diagrams/*.bd``, kept fresh by test_diagrams_fresh) are run
by the real ``bdrun`` in a subprocess and compared with ``blocksim-lstm
simulate``; loaded back, they give the same graph as the diagrams built in code;
edited copies fail the cross-check naming the first divergence; bad files get a
one-line error naming the block.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm.cli import main
from blocksim_lstm.layout import block_symbol
from blocksim_lstm.modelfile import ModelFileError, load_model, model_text

DIAGRAMS = Path(__file__).parent.parent / "diagrams"
LAYER = DIAGRAMS / "lstm_layer.bd"
SHIPPED = ("lstm_layer", "lstm_stacked", "lti_construction")
BDRUN = Path(sys.executable).parent / "bdrun"


@pytest.fixture(scope="module")
def code_built():
    """The package's diagrams as built in code (what render writes as .bd)."""
    from blocksim_lstm.studies.gallery import package_diagrams

    return package_diagrams()


def _sockets(model: dict) -> tuple[dict[str, int], dict[tuple[str, int], int]]:
    outs, ins = {}, {}
    for b in model["blocks"]:
        for s in b["outputs"]:
            outs[b["title"]] = s["id"]
        for s in b["inputs"]:
            ins[(b["title"], s["index"])] = s["id"]
    return outs, ins


def _rewire(text: str, dest: tuple[str, int], new_source: str) -> str:
    """The model text with the wire into ``dest`` starting at ``new_source``,
    edited as text (as a user would with an editor)."""
    outs, ins = _sockets(json.loads(text))
    end = ins[dest]
    pattern = re.compile(r'"start_socket": \d+,(\s*)"end_socket": ' + f"{end},")
    new, n = pattern.subn(
        lambda m: (
            f'"start_socket": {outs[new_source]},{m.group(1)}"end_socket": {ins[dest]},'
        ),
        text,
    )
    assert n == 1
    return new


def _bdrun_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "BDSIM")}
    env["BDSIMPATH"] = "blocksim_lstm"  # the one documented variable
    env["MPLBACKEND"] = "Agg"
    return env


# ------------------------------------------------------------ bdsim's own runner
@pytest.mark.parametrize("safe", [False, True], ids=["eval-allowed", "safe-eval"])
def test_bdrun_writes_the_y_of_simulate(tmp_path, safe) -> None:
    """bdsim's real ``bdrun`` (a subprocess, bdrun's default run length) on the
    shipped model writes y equal to ``blocksim-lstm simulate``'s to <= 1e-15."""
    assert BDRUN.is_file(), "bdsim's bdrun script is not installed beside python"
    cmd = [str(BDRUN), str(LAYER), "--no-graphics", *(["--safe-eval"] if safe else [])]
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=_bdrun_env(), capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    y = np.load(tmp_path / "lstm_layer_y.npy")
    assert main(["simulate", "--out", str(tmp_path / "sim.npz")]) == 0
    with np.load(tmp_path / "sim.npz") as z:
        want = z["y"]
    assert y.shape == want.shape == (51, 2)
    assert np.max(np.abs(y - want)) <= 1e-15


def test_bdrun_without_our_blocks_names_them(tmp_path) -> None:
    """Without BDSIMPATH bdrun cannot know MATGAIN: the README's variable matters."""
    env = _bdrun_env()
    del env["BDSIMPATH"]
    proc = subprocess.run(
        [str(BDRUN), str(LAYER), "--no-graphics", "--safe-eval"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "not loaded, check BDSIMPATH" in proc.stdout
    assert not (tmp_path / "lstm_layer_y.npy").exists()


def test_run_wrapper_runs_the_whole_input(tmp_path, monkeypatch, capsys) -> None:
    """``blocksim-lstm run`` needs no variable and runs steps x Ts (0.51 s here)."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(DIAGRAMS / "lti_construction.bd")]) == 0
    y = np.load(tmp_path / "lti_construction_y.npy")
    want = load_model(DIAGRAMS / "lti_construction.bd").run().y
    assert y.shape == (51, 1)
    np.testing.assert_array_equal(y, want)
    assert "51 steps x 1, written to lti_construction_y.npy" in capsys.readouterr().out


def test_logger_never_replaces_a_file_it_did_not_write(
    tmp_path, monkeypatch, capsys
) -> None:
    """A user's file where y would go is kept; the run says so and fails."""
    monkeypatch.chdir(tmp_path)
    mine = tmp_path / "lstm_layer_y.npy"
    mine.write_text("my notes, not an array")
    assert main(["run", str(LAYER)]) == 1
    assert mine.read_text() == "my notes, not an array"
    out = capsys.readouterr()
    assert (
        "y not written to lstm_layer_y.npy: that path holds something else" in out.err
    )
    assert "y was not written" in out.out
    # an earlier y (an .npy) is replaced by the new one
    np.save(mine, np.zeros((2, 2)))
    assert main(["run", str(LAYER)]) == 0
    assert np.load(mine).shape == (51, 2)


# ------------------------------------------------------- load_model: same graph
@pytest.mark.parametrize("name", SHIPPED)
def test_load_model_gives_the_graph_built_in_code(name, code_built) -> None:
    loaded = load_model(DIAGRAMS / f"{name}.bd")
    built = code_built[name].diagram
    g1, g2 = bl.diagram_graph(loaded), bl.diagram_graph(built)
    assert list(g1.nodes) == list(g2.nodes)
    for n in g2.nodes:
        a, b = g1.nodes[n], g2.nodes[n]
        for key in ("nin", "nout", "delay", "blockclass"):
            assert a[key] == b[key], (n, key)
        assert block_symbol(a) == block_symbol(b), n  # drawn alike
        # stock GAIN (code) is MATGAIN in a file: GAIN would apply a list K wrongly
        assert a["type"] == ("matgain" if b["type"] == "gain" else b["type"]), n
    edges = lambda g: sorted(  # noqa: E731
        (u, v, k, d["name"], d["signal"], d["width"])
        for u, v, k, d in g.edges(keys=True, data=True)
    )
    assert edges(g1) == edges(g2)
    cycles = bl.structure_report(g1).cycles
    assert len(cycles) == 5 * len(built.layers)
    for p, q in zip(loaded.layers, built.layers, strict=True):
        for k in ("W", "R", "b", "h0", "c0"):
            np.testing.assert_array_equal(getattr(p, k), getattr(q, k))
    np.testing.assert_array_equal(loaded.layers[-1].F, built.layers[-1].F)
    np.testing.assert_array_equal(loaded.u, built.u)
    assert loaded.ts == built.ts
    run = loaded.run()
    ref = built.run()
    assert list(run.signals) == list(ref.signals)
    for k in ref.signals:
        np.testing.assert_array_equal(run.signals[k], ref.signals[k])
    assert bl.crosscheck_diagram(loaded, run=run).passed


def test_a_model_draws(tmp_path) -> None:
    out = bl.draw(load_model(LAYER), tmp_path / "m.png")
    assert out.stat().st_size > 10_000


# ---------------------------------------------------------- crosscheck --model
def _crosscheck_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(["crosscheck", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def test_crosscheck_model_passes_and_reads_the_models_own_weights(capsys) -> None:
    code, out = _crosscheck_json(capsys, "--model", str(LAYER))
    assert code == 0 and out["passed"] and len(out["signals"]) == 29
    assert out["reference_weights"] == "model" and out["extra_blocks"] == []


def test_swapped_gate_wires_name_the_first_divergence(tmp_path, capsys) -> None:
    """i and f swapped as text at the two products: f*c(t-1) diverges first."""
    text = _rewire(LAYER.read_text(), ("prod_fc", 0), "logsig_i")
    text = _rewire(text, ("prod_ig", 0), "logsig_f")
    edited = tmp_path / "swapped.bd"
    edited.write_text(text)
    code, out = _crosscheck_json(capsys, "--model", str(edited))
    assert code == 1 and not out["passed"]
    first = out["first_divergence"]
    assert (first["signal"], first["step"]) == ("prod_fc", 0)
    p = load_model(LAYER).layers[0]
    trace = bl.reference_cell(p, load_model(LAYER).u)
    k = first["index"]
    assert first["diagram_value"] == pytest.approx(trace.i[0, k] * p.c0[k], rel=1e-12)
    assert first["reference_value"] == pytest.approx(trace.fc[0, k], rel=1e-12)


def test_a_whole_step_shift_is_named(tmp_path, capsys) -> None:
    """FC fed from h(t-1) instead of h(t): y lags the reference by one step."""
    edited = tmp_path / "late.bd"
    edited.write_text(_rewire(LAYER.read_text(), ("FC layer", 0), "Hidden State"))
    code, out = _crosscheck_json(capsys, "--model", str(edited))
    assert code == 1
    assert out["first_divergence"]["signal"] == "FC layer"
    assert out["first_divergence"]["shift"] == 1


def test_a_changed_gain_fails_against_given_weights(tmp_path, capsys) -> None:
    """Rf[0,0] edited: consistent with itself, caught against the seed's weights."""
    model = json.loads(LAYER.read_text())
    rf = next(b for b in model["blocks"] if b["title"] == "Rf")
    rf["parameters"][0][1][0][0] += 1e-3
    edited = tmp_path / "gain.bd"
    edited.write_text(json.dumps(model))
    weights = tmp_path / "w.npz"
    bl.seed_problem()[0].save(weights)
    code, out = _crosscheck_json(capsys, "--model", str(edited))
    assert code == 0  # the reference is built from the model's own (edited) Rf
    code, out = _crosscheck_json(
        capsys, "--model", str(edited), "--weights", str(weights)
    )
    assert code == 1
    first = out["first_divergence"]
    assert (first["signal"], first["step"], first["index"]) == ("Rf", 0, 0)


def test_crosscheck_model_with_another_input(tmp_path, capsys, rng) -> None:
    u = rng.standard_normal((7, 4))
    np.save(tmp_path / "u.npy", u)
    code, out = _crosscheck_json(
        capsys, "--model", str(LAYER), "--input", str(tmp_path / "u.npy")
    )
    assert code == 0 and out["steps"] == 7
    y = load_model(LAYER, u=u).run().y
    p = load_model(LAYER).layers[0]
    np.testing.assert_allclose(
        y, bl.reference_cell(p, u).h @ p.F.T + p.bF, rtol=1e-12, atol=1e-12
    )


# ------------------------------------------------------------------ bad files
def _edit_block(which: str, **changes):
    def edit(model: dict) -> None:
        block = next(b for b in model["blocks"] if b.get("title") == which)
        block.update(changes)

    return edit


def _set_param(title: str, name: str, value):
    def edit(model: dict) -> None:
        block = next(b for b in model["blocks"] if b.get("title") == title)
        for pv in block["parameters"]:
            if pv[0] == name:
                pv[1] = value

    return edit


def _drop_wire_into(title: str):
    def edit(model: dict) -> None:
        _, ins = _sockets(model)
        model["wires"] = [
            w for w in model["wires"] if w["end_socket"] != ins[(title, 0)]
        ]

    return edit


def _wire_to_nowhere(model: dict) -> None:
    model["wires"][5]["end_socket"] = 999_999


W = load_model(LAYER).layers[0].gate("W", "f").tolist()
BAD = {
    "unknown block type": (
        _edit_block("tansig_c", block_type="TANHH"),
        r"block 'tansig_c' \(TANHH\): unknown block type 'TANHH'",
    ),
    "wire to a missing socket": (
        _wire_to_nowhere,
        r"wire \d+ from block '.+' \(\w+\) output 0: ends at socket 999999, which "
        r"is no block's input",
    ),
    "code to evaluate": (
        _set_param("Wf", "K", "=np.eye(3, 4)"),
        r"block 'Wf' \(MATGAIN\): parameter K = '=np.eye\(3, 4\)' is code",
    ),
    "wrong-shaped weights": (
        _set_param("Wf", "K", [row[:3] for row in W]),
        r"block 'Wf': K has shape \(3, 3\); expected \(3, 4\)",
    ),
    "not a matrix": (
        _set_param("Rg", "K", [1.0, 2.0, 3.0]),
        r"block 'Rg': K: expected a matrix \(a list of rows\), got shape \(3,\)",
    ),
    "unconnected input": (
        _drop_wire_into("logsig_o"),
        r"block 'logsig_o' \(SIGMOID\): input 0 has no wire",
    ),
    "no clock and no ts": (
        _set_param("Cell State", "ts", None),
        r"block 'Cell State': expected either clock= or ts=",
    ),
    "duplicate name": (
        _edit_block("Ri", title="Wi"),
        r"block 'Wi' \(MATGAIN\): a second block with this title",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_bad_model_gets_one_line_naming_the_block(case, tmp_path, capsys) -> None:
    edit, message = BAD[case]
    model = json.loads(LAYER.read_text())
    edit(model)
    path = tmp_path / "bad.bd"
    path.write_text(json.dumps(model))
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
    for cmd in (["crosscheck", "--model", str(path)], ["run", str(path)]):
        assert main(cmd) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and re.search(message, err), err
        assert str(path) in err and "Traceback" not in err


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", r"not a model file: not JSON \(.+ at line 1, column 2\)"),
        ("[1, 2]", r"expected a JSON object \(a bdedit scene\), got list"),
        ('{"blocks": []}', r"expected a 'wires' list"),
        ('{"blocks": [], "wires": []}', r"no block 'From Workspace'"),
    ],
)
def test_not_a_model(text, message, tmp_path, capsys) -> None:
    path = tmp_path / "x.bd"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
    assert main(["crosscheck", "--model", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_missing_model_file(tmp_path, capsys) -> None:
    assert main(["run", str(tmp_path / "none.bd")]) == 2
    assert "no such file" in capsys.readouterr().err


# ------------------------------------------------------- write, load, round trip
@settings(max_examples=6, deadline=None)
@given(
    nn=st.integers(1, 4),
    ni=st.integers(1, 3),
    no=st.integers(1, 3),
    steps=st.integers(1, 6),
    layers=st.integers(1, 2),
    seed=st.integers(0, 2**31),
    ts=st.sampled_from([0.1, 0.01, 0.25, 1.0]),
)
def test_any_diagram_survives_the_file(nn, ni, no, steps, layers, seed, ts) -> None:
    """Written, loaded and run: every wire equals the diagram built in code,
    the weights come back bit for bit, and writing again gives the same bytes."""
    import tempfile

    ps = [bl.LSTMParams.random(nn, ni, no, seed=seed)]
    if layers == 2:
        ps.append(bl.LSTMParams.random(nn + 1, nn, no, seed=seed + 1))
    u = np.random.default_rng(seed).standard_normal((steps, ni))
    built = bl.build_stacked_diagram(ps, u, ts=ts)
    text = model_text(built)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.bd"
        path.write_text(text)
        loaded = load_model(path)
        assert model_text(loaded) == text
        a, b = loaded.run(), built.run()
        for k in b.signals:
            np.testing.assert_array_equal(a.signals[k], b.signals[k])
        for p, q in zip(loaded.layers, built.layers, strict=True):
            np.testing.assert_array_equal(p.W, q.W)
            np.testing.assert_array_equal(p.R, q.R)
        assert bl.crosscheck_diagram(loaded, run=a).passed


def test_render_writes_the_same_bytes_twice(code_built) -> None:
    from blocksim_lstm.studies.gallery import _seed_layer

    e = code_built["lstm_layer"]
    once = model_text(e.diagram, layout=e.layout, y_file="y.npy")
    again = model_text(_seed_layer(), layout=e.layout, y_file="y.npy")
    assert once == again
    model = json.loads(once)
    assert len(model["blocks"]) == 30 and len(model["wires"]) == 37
    # every parameter is a value: nothing for bdload to evaluate
    for b in model["blocks"]:
        for _, value in b["parameters"]:
            assert not (isinstance(value, str) and value.startswith("="))


def test_positions_follow_the_layout(code_built) -> None:
    """Blocks placed as in the picture: left-to-right and top-to-bottom order kept."""
    e = code_built["lstm_layer"]
    model = json.loads((DIAGRAMS / "lstm_layer.bd").read_text())
    pos = {
        b["title"]: (b["pos_x"] + b["width"] / 2, b["pos_y"]) for b in model["blocks"]
    }
    boxes = e.layout.boxes
    names = sorted(boxes)
    for a in names:
        for b in names:
            if boxes[a].x + 0.5 < boxes[b].x:
                assert pos[a][0] < pos[b][0], (a, b)
            if boxes[a].y > boxes[b].y + 0.5:  # layout y up, scene y down
                assert pos[a][1] < pos[b][1], (a, b)


# ------------------------------------------------------------------- the blocks
def test_matgain_applies_rows_as_a_matrix() -> None:
    """The trap of stock GAIN: K=[[1,2],[3,4]] on [1,1] is [3, 7], not [1, 2]."""
    from blocksim_lstm.blocks import MatGain

    out = MatGain(K=[[1, 2], [3, 4]]).test_output(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(out[0], [3.0, 7.0])


def test_sampled_blocks_share_the_clock_of_their_period() -> None:
    from blocksim_lstm._diagram import new_sim
    from blocksim_lstm.blocks import Sequence, UnitDelay

    bd = new_sim().blockdiagram()
    a = UnitDelay(x0=[0.0, 1.0], ts=0.5, bd=bd, name="a")
    b = Sequence(u=[[1.0]], ts=0.5, bd=bd, name="b")
    c = UnitDelay(x0=[0.0], ts=0.25, bd=bd, name="c")
    assert a._clock is b._clock is not c._clock
    assert (a._clock.T, a._clock.offset) == (0.5, -0.25)
    with pytest.raises(ValueError, match="'d': expected either clock= or ts="):
        UnitDelay(x0=[0.0], bd=bd, name="d")
    with pytest.raises(
        ValueError, match="'e': expected either clock= or ts= .*, got both"
    ):
        UnitDelay(a._clock, [0.0], ts=0.5, bd=bd, name="e")
    with pytest.raises(ValueError, match="'f': ts: expected a positive number"):
        UnitDelay(x0=[0.0], ts=-1.0, bd=bd, name="f")


def test_sequence_reads_an_npy_named_by_path(tmp_path) -> None:
    """The input named by path instead of embedded: same run, same y."""
    model = json.loads(LAYER.read_text())
    src = next(b for b in model["blocks"] if b["title"] == "From Workspace")
    u = np.asarray(src["parameters"][0][1])
    np.save(tmp_path / "u.npy", u)
    src["parameters"][0] = ["file", str(tmp_path / "u.npy")]
    path = tmp_path / "by_path.bd"
    path.write_text(json.dumps(model))
    np.testing.assert_array_equal(load_model(path).run().y, load_model(LAYER).run().y)
    (tmp_path / "u.npy").write_text("not an array")
    with pytest.raises(
        ModelFileError, match="'From Workspace': file: .* not a readable"
    ):
        load_model(path)


def test_shipped_files_are_bdsim_loadable_without_eval_only() -> None:
    """bdload with allow_eval=False (bdrun --safe-eval) builds every shipped file."""
    from bdsim.blockdiagram import bdload

    from blocksim_lstm._diagram import new_sim

    for name in SHIPPED:
        bd = new_sim().blockdiagram()
        bdload(bd, str(DIAGRAMS / f"{name}.bd"), allow_eval=False)
        assert len(bd.blocklist) == len(
            json.loads((DIAGRAMS / f"{name}.bd").read_text())["blocks"]
        )


def test_copying_a_model_keeps_it_loadable(tmp_path) -> None:
    shutil.copy(LAYER, tmp_path / "copy.bd")
    assert load_model(tmp_path / "copy.bd").steps == 51
