"""bdsim's editor (bdedit) opens the shipped ``.bd`` files: every block, every wire.

Needs the optional extra ``pip install -e '.[editor]'`` (PySide6-Essentials,
about 250 MB); skipped without it. Runs headless (Qt's offscreen platform).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="the [editor] extra is not installed")
pytest.importorskip("bdedit", reason="bdsim's bdedit is not installed")

import blocksim_lstm as bl  # noqa: E402
from blocksim_lstm.modelfile import load_model  # noqa: E402

DIAGRAMS = Path(__file__).parent.parent / "diagrams"
SHIPPED = ("lstm_layer", "lstm_stacked", "lti_construction")


@pytest.fixture(scope="module")
def editor():
    """One headless bdedit window whose palette holds our blocks."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from blocksim_lstm._diagram import new_sim

    new_sim()  # our blocks join bdsim's (class-wide) library, which bdedit reads
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from bdedit.block import blocklist
    from bdedit.interface_manager import InterfaceWindow

    window = InterfaceWindow(QRect(0, 0, 1600, 1000), False)
    yield window, blocklist
    window.close()
    app.processEvents()


def test_our_blocks_are_in_the_palette(editor) -> None:
    _, blocklist = editor
    types = {cls.block_type for cls in blocklist}
    assert {"MATGAIN", "SIGMOID", "TANH", "EPROD", "AFFINE"} <= types
    assert {"UNITDELAY", "SEQUENCE", "LOGGER"} <= types
    delay = next(cls for cls in blocklist if cls.block_type == "UNITDELAY")
    assert [p[0] for p in delay.parameters] == ["clock", "x0", "ts"]


@pytest.mark.parametrize("name", SHIPPED)
def test_bdedit_opens_every_block_and_wire(editor, name, tmp_path) -> None:
    window, _ = editor
    scene = window.centralWidget().scene
    path = DIAGRAMS / f"{name}.bd"
    model = json.loads(path.read_text())
    scene.clear()
    scene.loadFromFile(str(path))
    titles = sorted(b.title for b in scene.blocks)
    assert titles == sorted(b["title"] for b in model["blocks"])
    assert len(scene.wires) == len(model["wires"])
    pairs = sorted(
        (
            w.start_socket.node.title,
            w.start_socket.index,
            w.end_socket.node.title,
            w.end_socket.index,
        )
        for w in scene.wires
    )
    want = sorted(
        (c.source, c.source_port, c.dest, c.dest_port)
        for c in _connections(load_model(path))
    )
    assert pairs == want
    # saved by the editor, the model still loads and passes the cross-check
    saved = tmp_path / f"{name}_saved.bd"
    scene.saveToFile(str(saved))
    assert bl.crosscheck_diagram(load_model(saved)).passed


def _connections(diagram):
    from blocksim_lstm._graph import wiring_of_diagram

    return wiring_of_diagram(diagram)
