"""The cells on the command line (``--cell``), their pictures and parameter counts.

Outputs are checked against independent computations: the cells' vectorized
references (numpy), PyTorch's ``nn.GRU`` / ``nn.RNN`` and their ``numel``, the
parameter classes' array sizes, and loop counts done by hand.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import cells
from blocksim_lstm._param_count import count_params, torch_count
from blocksim_lstm.cli import main
from blocksim_lstm.layout import cell_layout, draw_layout, overlaps, route_problems

CELLS = ("gru", "peephole", "rnn")
NN, NI, NO, T = 3, 2, 2, 7


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Weights of every cell (non-zero states) and one input, saved once."""
    d = tmp_path_factory.mktemp("cells")
    rng = np.random.default_rng(5)
    u = rng.standard_normal((T, NI))
    np.save(d / "u.npy", u)
    out = {"dir": d, "u": u}
    for k, cell in enumerate(("lstm", *CELLS)):
        cls = cells.params_class(cell)
        p = cls.random(NN, NI, NO, seed=10 + k)
        # signed weights: uniform [0, 1) weights saturate every gate
        p = p.replace(**{key: 2 * a - 1 for key, a in p.arrays().items()})
        p.save(d / f"{cell}.npz")
        out[cell] = p
    return out


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ---------------------------------------------------------------- simulate
@pytest.mark.parametrize("cell", CELLS)
def test_simulate_matches_the_cells_reference(cell, files, capsys):
    d, p, u = files["dir"], files[cell], files["u"]
    out = d / f"{cell}_traces.npz"
    args = ["simulate", "--cell", cell, "--weights", str(d / f"{cell}.npz")]
    assert main([*args, "--input", str(d / "u.npy"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    ref = cells.cell_reference(p, u)  # numpy, no diagram
    blocks = len(bl.build_cell_diagram(p, u).bd.blocklist)
    assert f"Nn={NN}, Ni={NI}, No={NO}, {T} steps" in text
    assert f"{blocks} blocks" in text
    printed = [
        np.array(line.split("y=[")[1].rstrip("]").split(), dtype=float)
        for line in text.splitlines()
        if "y=[" in line
    ]
    np.testing.assert_allclose(printed, ref.y[:5], rtol=0, atol=1e-6)
    with np.load(out) as data:
        np.testing.assert_allclose(data["y"], ref.y, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(data["Hidden State"], ref.h_prev, atol=1e-13)


def test_simulate_default_problem_is_the_seeded_cell(tmp_path, capsys):
    """No files: the cell's seeded random weights and the seed's input."""
    from blocksim_lstm._experiment import SEED, SEED_SIZES, SEED_STEPS, seed_input

    out = tmp_path / "rnn.npz"
    assert main(["simulate", "--cell", "rnn", "--out", str(out)]) == 0
    assert "Elman RNN block diagram" in capsys.readouterr().out
    nn, ni, no = SEED_SIZES["nn"], SEED_SIZES["ni"], SEED_SIZES["no"]
    p = cells.RNNParams.random(nn, ni, no, seed=SEED)
    ref = cells.cell_reference(p, seed_input(SEED_STEPS, ni, seed=SEED))
    with np.load(out) as data:
        np.testing.assert_allclose(data["y"], ref.y, rtol=1e-12, atol=1e-12)


def _torch_layer(cell: str, p):
    torch = pytest.importorskip("torch")
    kind = torch.nn.GRU if cell == "gru" else torch.nn.RNN
    layer = kind(NI, NN, dtype=torch.float64)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.from_numpy(np.array(p.W)))
        layer.weight_hh_l0.copy_(torch.from_numpy(np.array(p.R)))
        if cell == "gru":
            layer.bias_ih_l0.copy_(torch.from_numpy(np.array(p.bW)))
            layer.bias_hh_l0.copy_(torch.from_numpy(np.array(p.bR)))
        else:  # the model's one bias: b_ih + b_hh
            layer.bias_ih_l0.copy_(torch.from_numpy(np.array(p.b)))
            layer.bias_hh_l0.zero_()
    return torch, layer


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_simulate_matches_torch(cell, files, capsys):
    """The command's y against torch's own GRU / RNN with the same weights."""
    d, p, u = files["dir"], files[cell], files["u"]
    torch, layer = _torch_layer(cell, p)
    with torch.no_grad():
        h, _ = layer(
            torch.from_numpy(u)[:, None, :],
            torch.from_numpy(np.array(p.h0))[None, None],
        )
    y = h[:, 0, :].numpy() @ np.array(p.F).T + np.array(p.bF)
    out = d / f"{cell}_torch.npz"
    args = ["simulate", "--cell", cell, "--weights", str(d / f"{cell}.npz")]
    assert main([*args, "--input", str(d / "u.npy"), "--out", str(out)]) == 0
    capsys.readouterr()
    with np.load(out) as data:
        np.testing.assert_allclose(data["y"], y, rtol=0, atol=1e-12)


# -------------------------------------------------------------- crosscheck
@pytest.mark.parametrize("cell", CELLS)
def test_crosscheck_passes_and_agrees_with_the_api(cell, files, capsys):
    d, p, u = files["dir"], files[cell], files["u"]
    args = ["crosscheck", "--json", "--cell", cell, "--weights", str(d / f"{cell}.npz")]
    assert main([*args, "--input", str(d / "u.npy")]) == 0
    got = json.loads(capsys.readouterr().out)
    api = bl.crosscheck_diagram(bl.build_cell_diagram(p, u)).to_dict()
    assert got["passed"] and got["first_divergence"] is None
    assert [s["name"] for s in got["signals"]] == [s["name"] for s in api["signals"]]
    # every block output but the sink's is compared
    blocks = len(bl.build_cell_diagram(p, u).bd.blocklist)
    assert len(got["signals"]) == blocks - 1


def test_crosscheck_of_a_cell_fails_on_zero_tolerance(files, capsys):
    d = files["dir"]
    args = ["crosscheck", "--cell", "gru", "--weights", str(d / "gru.npz")]
    # float32 reference against the float64 diagram: real differences
    assert main([*args, "--dtype", "float32", "--abs-tol", "0", "--rel-tol", "0"]) == 1
    assert "FAILED" in capsys.readouterr().out


# ------------------------------------------------------------------- graph
# cycles each delay closes, counted by hand from the cells' equations:
# GRU: h(t-1) -> r -> n, -> z -> 1-z, -> z -> z*h, -> Rn -> n, and straight
#   into z*h(t-1): 5. Peephole: Cell State closes c -> f*c, c -> Pi -> i,
#   c -> Pf -> f (3); Hidden State closes, through i, f, g, two each (via
#   tanh(c) and via Po c(t)) and o (1): 7. RNN: 1.
HAND_COUNTS = {
    "gru": {"Hidden State": 5},
    "peephole": {"Hidden State": 7, "Cell State": 3},
    "rnn": {"Hidden State": 1},
}


@pytest.mark.parametrize("cell", CELLS)
def test_graph_counts_blocks_and_loops(cell, files, capsys):
    d, p, u = files["dir"], files[cell], files["u"]
    args = ["graph", "--json", "--cell", cell, "--weights", str(d / f"{cell}.npz")]
    assert main(args) == 0
    got = json.loads(capsys.readouterr().out)
    diagram = bl.build_cell_diagram(p, u)
    assert got["n_blocks"] == len(diagram.bd.blocklist)
    assert sorted(b["name"] for b in got["blocks"]) == sorted(
        b.name for b in diagram.bd.blocklist
    )
    assert got["cycle_groups"] == HAND_COUNTS[cell]
    assert got["cell_check"]["ok"] and got["algebraic_loops"] == []
    assert main(["graph", "--cell", cell]) == 0
    assert capsys.readouterr().out.rstrip().endswith("): OK")


def test_graph_without_the_cell_delay_finds_the_algebraic_loops(capsys):
    rc = main(["graph", "--cell", "peephole", "--remove-delay", "Cell State"])
    assert rc == 1
    captured = capsys.readouterr()
    assert "NOT as expected" in captured.out
    # c -> f*c, c -> Pi -> i, c -> Pf -> f: all three lose their delay
    assert captured.err.count("algebraic loop") == 3


# ------------------------------------------------------------------ params
@settings(max_examples=15, deadline=None)
@given(
    cell=st.sampled_from(("lstm", *CELLS)),
    nn=st.integers(1, 12),
    ni=st.integers(1, 12),
    no=st.integers(1, 5),
)
def test_counts_are_the_parameter_classes_array_sizes(cell, nn, ni, no):
    p = cells.params_class(cell).random(nn, ni, no, seed=0)
    states = {"h0", "c0"}
    learnable = {k: a for k, a in p.arrays().items() if k not in states}
    c = bl.count_network(ni, [nn], no, cell=cell)
    assert {a.name: a.shape for a in c.arrays} == {
        k: a.shape for k, a in learnable.items()
    }
    assert c.total == sum(a.size for a in learnable.values())
    assert c.by_layer()[f"{cell}1"] == sum(
        a.size for k, a in learnable.items() if k not in ("F", "bF")
    )
    assert c.total == count_params(p).total


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_params_command_against_torch_numel(cell, capsys):
    torch = pytest.importorskip("torch")
    kind = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
    units, ni, no = [5, 4], 3, 2
    assert (
        main(
            [
                "params",
                "--json",
                "--cell",
                cell,
                "--ni",
                "3",
                "--units",
                "5",
                "4",
                "--no",
                "2",
            ]
        )
        == 0
    )
    got = json.loads(capsys.readouterr().out)
    numel, width = 0, ni
    for nn in units:
        layer_numel = sum(q.numel() for q in kind(width, nn).parameters())
        assert torch_count(cell, width, nn) == layer_numel
        # torch's second bias vector: merged in our LSTM and RNN, kept in the GRU
        numel += layer_numel - {"lstm": 4, "gru": 0, "rnn": 1}[cell] * nn
        width = nn
    numel += sum(q.numel() for q in torch.nn.Linear(width, no).parameters())
    assert got["total"] == numel


def test_params_prints_the_cell_against_the_lstm(capsys):
    assert main(["params", "--cell", "gru", "--ni", "1", "--units", "100"]) == 0
    text = capsys.readouterr().out
    # 3*100*(1+100+2) and 4*100*(1+100+1), by hand
    assert "gru1: 3 Nn (Ni + Nn + 2) with Ni = 1, Nn = 100: 30,900" in text
    assert "an LSTM layer: 4 Nn (Ni + Nn + 1) = 40,800" in text
    assert main(["params", "--cell", "peephole", "--ni", "1", "--units", "100"]) == 0
    assert "41,100" in capsys.readouterr().out  # 40,800 + 3*100 peepholes


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ["simulate", "--cell", "foo"],
            ["--cell", "lstm, gru, peephole, rnn", "'foo'"],
        ),
        (["params", "--cell", "LSTM"], ["--cell", "'LSTM'"]),
        (["render", "--cell", "elman"], ["--cell", "'elman'"]),
        (
            ["simulate", "--weights", "{gru}"],
            ["GRU weights", "expected LSTM", "--cell gru"],
        ),
        (["crosscheck", "--cell", "rnn", "--weights", "{gru}"], ["GRU", "RNN"]),
        (["graph", "--cell", "peephole", "--weights", "{lstm}"], ["LSTM", "PEEPHOLE"]),
        (["simulate", "--weights", "{peephole}"], ["PEEPHOLE", "LSTM"]),
        (
            ["simulate", "--cell", "gru", "--weights", "{gru}", "--nn", "4"],
            ["--nn", "4"],
        ),
        (["simulate", "--cell", "rnn", "--nn", "0"], ["--nn", ">= 1"]),
        (["crosscheck", "--cell", "gru", "--expect", "{u}"], ["--cell", "--expect"]),
        (["graph", "--cell", "gru", "--remove-delay", "Cell State"], ["Hidden State"]),
    ],
)
def test_bad_input_is_one_line_naming_both(args, needles, files, capsys):
    d = files["dir"]
    names = {f"{{{c}}}": str(d / f"{c}.npz") for c in ("lstm", *CELLS)}
    names["{u}"] = str(d / "u.npy")
    argv = [names.get(a, a) for a in args]
    assert main(argv) == 2
    line = _one_line(capsys)
    for needle in needles:
        assert needle in line, line


# ------------------------------------------------------------------ layouts
@pytest.fixture(scope="module")
def graphs():
    from blocksim_lstm.studies.gallery import package_diagrams

    entries = package_diagrams([f"{c}_layer" for c in CELLS])
    return {c: entries[f"{c}_layer"].graph for c in CELLS}


@pytest.mark.parametrize("cell", CELLS)
def test_cell_pictures_are_clean_and_read_left_to_right(cell, graphs):
    import matplotlib.pyplot as plt

    layout = cell_layout(graphs[cell], title=cell)
    assert route_problems(layout) == []
    fig = draw_layout(layout)
    try:
        assert overlaps(fig) == []
    finally:
        plt.close(fig)
    b = layout.boxes
    assert b["From Workspace"].x < min(b[n].x for n in b if n.startswith("W"))
    assert b["FC layer"].x < b["To Workspace"].x
    assert max(b[n].x for n in b if n != "To Workspace") < b["To Workspace"].x
    lowest_forward = min(b[n].extent[1] for n in b if not b[n].delay)
    for n in b:
        if b[n].delay:
            assert b[n].flipped and b[n].extent[3] < lowest_forward
    for r in layout.routes:  # feedback wires leave their delay to the left
        if b[r.source].delay:
            assert r.points[1][0] < r.points[0][0]
    assert len(layout.routes) == graphs[cell].number_of_edges()


def test_cell_layout_refuses_another_diagram(graphs):
    with pytest.raises(ValueError, match="expected the 9 blocks of one Elman RNN"):
        cell_layout(graphs["gru"], "rnn")
    with pytest.raises(ValueError, match="use layered_layout"):
        cell_layout(graphs["gru"].subgraph(["Wr", "Rr"]).copy())
    with pytest.raises(ValueError, match="cell: expected one of"):
        cell_layout(graphs["rnn"], "lstm")


def test_render_one_cell_writes_its_text_files(tmp_path, capsys):
    from blocksim_lstm.studies.gallery import package_diagrams, text_files

    assert main(["render", "--cell", "rnn", "--text-only", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    want = text_files(package_diagrams(["rnn_layer"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(want)
    for name, text in want.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    report = (tmp_path / "rnn_layer.txt").read_text(encoding="utf-8")
    assert "broken by 'Hidden State': 1" in report
    assert "Hidden State -> Rh -> sumHG -> tansig_h -> Hidden State" in report
    assert "Nn (Ni + Nn + 1) = 24" in report  # 3 * (4 + 3 + 1)
