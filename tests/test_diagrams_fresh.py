"""The committed files in diagrams/ are what the package generates now.

Compares the DOT text and the GraphML structure (not pixels). When this fails,
run ``blocksim-lstm render`` and commit diagrams/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blocksim_lstm.layout import to_graphml
from blocksim_lstm.studies.gallery import package_diagrams, stale_files, text_files

DIAGRAMS = Path(__file__).parent.parent / "diagrams"
HINT = "diagrams/ is stale: run `blocksim-lstm render` and commit diagrams/"


@pytest.fixture(scope="module")
def entries():
    return package_diagrams()


@pytest.fixture(scope="module")
def fresh(entries) -> dict[str, str]:
    return text_files(entries)


def test_committed_dot_and_graphml_match_the_package(fresh) -> None:
    stale = stale_files(DIAGRAMS, fresh)
    assert stale == [], f"{HINT}; stale: {stale}"


def test_pictures_are_committed(entries) -> None:
    names = [f"{n}.{ext}" for n in entries for ext in ("png", "svg")]
    names += ["lstm_layer_crosscheck.png", "lstm_layer_fault.png", "param_growth.png"]
    names += ["cell_param_growth.png", "cell_param_growth.svg"]
    missing = [n for n in names if not (DIAGRAMS / n).is_file()]
    assert missing == [], f"{HINT}; missing {missing}"


def test_a_changed_wire_is_detected(tmp_path, entries, fresh) -> None:
    for name, text in fresh.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert stale_files(tmp_path, fresh) == []
    # the cell sum's two inputs swapped: same blocks, different wiring
    g = entries["lstm_layer"].graph.copy()
    for _, _, d in g.in_edges("Sum", data=True):
        d["dest_port"] = 1 - d["dest_port"]
    (tmp_path / "lstm_layer.graphml").write_text(to_graphml(g), encoding="utf-8")
    # a DOT file edited by hand
    dot = tmp_path / "lti_plant.dot"
    dot.write_text(dot.read_text().replace('"A" -> ', '"B" -> ', 1), encoding="utf-8")
    (tmp_path / "lstm_stacked.dot").unlink()
    assert stale_files(tmp_path, fresh) == [
        "lstm_layer.graphml",
        "lstm_stacked.dot",
        "lti_plant.dot",
    ]


def test_every_cell_has_its_files(fresh) -> None:
    """Each cell's picture, loop report and parameter count are generated (and
    so compared above)."""
    for cell in ("lstm", "gru", "peephole", "rnn"):
        for ext in ("dot", "graphml", "txt"):
            assert f"{cell}_layer.{ext}" in fresh
    assert "broken by 'Cell State': 3" in fresh["peephole_layer.txt"]
    assert "3 Nn (Ni + Nn + 2) = 81" in fresh["gru_layer.txt"]  # 3*3*(4+3+2)


def test_an_edited_cell_report_is_detected(tmp_path, fresh) -> None:
    for name, text in fresh.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    report = tmp_path / "gru_layer.txt"
    report.write_text(report.read_text().replace("= 81", "= 80"), encoding="utf-8")
    (tmp_path / "rnn_layer.dot").unlink()
    assert stale_files(tmp_path, fresh) == ["gru_layer.txt", "rnn_layer.dot"]
