"""The public API: ``import blocksim_lstm as bl`` is enough for a script."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import ATOL64, RTOL64

import blocksim_lstm as bl
from blocksim_lstm._figures import save_one
from blocksim_lstm._graph import diagram_graph
from blocksim_lstm.layout import (
    CrossCheckPaint,
    draw_layout,
    layered_layout,
    lstm_layout,
)

HEAVY = ("numpy", "bdsim", "numba", "control", "matplotlib", "networkx", "scipy")


def test_all_names_resolve_to_their_modules_objects() -> None:
    assert 15 <= len(bl.__all__) <= 40  # a script's needs, not the whole toolbox
    assert bl.__all__ == sorted(set(bl.__all__))
    for name in bl.__all__:
        obj = getattr(bl, name)
        module = bl._PUBLIC[name]
        home = sys.modules[f"blocksim_lstm.{module}"]
        assert obj is getattr(home, name), name
    assert set(bl.__all__) <= set(dir(bl))


def test_unknown_name_lists_the_public_ones() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'.*crosscheck"):
        _ = bl.nope


def test_import_loads_nothing_heavy() -> None:
    # the import itself must stay cheap: the names load on first use
    code = (
        "import sys, blocksim_lstm as bl; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules)); "
        "bl.LSTMParams; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "[]"
    assert "numpy" in out[1] and "bdsim" not in out[1]


def test_a_submodule_never_shadows_a_public_function() -> None:
    # importing every module first (as the CLI does) leaves bl.crosscheck,
    # bl.draw, bl.train callable: no module shares a public function's name
    code = textwrap.dedent(
        """
        import importlib, pkgutil, blocksim_lstm as bl
        for m in pkgutil.walk_packages(bl.__path__, "blocksim_lstm."):
            if ".cli" not in m.name and "__main__" not in m.name:
                importlib.import_module(m.name)
        bad = [n for n in bl.__all__ if type(getattr(bl, n)).__name__ == "module"]
        print(bad)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_ten_line_script(tmp_path) -> None:
    params, u = bl.seed_problem()
    diagram = bl.build_lstm_diagram(params, u)
    run = diagram.run()
    report = bl.crosscheck_diagram(diagram, run=run)
    path = bl.draw(diagram, tmp_path / "lstm.svg", paint=report)
    assert report.passed and path.read_text().startswith("<?xml")
    ref = bl.reference_cell(params, u)
    np.testing.assert_allclose(run.signals["c(t-1)"], ref.c_prev, rtol=RTOL64)
    np.testing.assert_allclose(run.y, ref.y, rtol=RTOL64, atol=ATOL64)


def test_draw_picks_the_lstm_layout_for_one_layer(tmp_path) -> None:
    # the same bytes as the layout drawn by hand
    params, u = bl.seed_problem(steps=3)
    d = bl.build_lstm_diagram(params, u)
    d.compile()
    by_hand = save_one(
        draw_layout(lstm_layout(diagram_graph(d), title="t")), tmp_path / "a.svg"
    )
    drawn = bl.draw(d, tmp_path / "b.svg", title="t")
    assert drawn.read_bytes() == by_hand.read_bytes()


def test_draw_picks_the_layered_layout_otherwise_and_paints(tmp_path) -> None:
    l1 = bl.LSTMParams.random(2, 2, 1, seed=1)
    l2 = bl.LSTMParams.random(2, 2, 1, seed=2)
    d = bl.build_stacked_diagram([l1, l2], np.ones((3, 2)))
    report = bl.crosscheck_diagram(d)
    d.compile()
    by_hand = save_one(
        draw_layout(
            layered_layout(diagram_graph(d)),
            paint=CrossCheckPaint.from_report(report),
        ),
        tmp_path / "a.svg",
    )
    drawn = bl.draw(d, tmp_path / "b.svg", paint=report)
    assert drawn.read_bytes() == by_hand.read_bytes()
    # from the graph, as PNG
    png = bl.draw(diagram_graph(d), tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"path": "x.pdf"}, r"path: expected a file name ending in .png or .svg"),
        ({"path": "x.png", "layout": "circle"}, r"layout: expected one of"),
    ],
)
def test_draw_refuses_bad_arguments(tmp_path, kwargs, match) -> None:
    params, u = bl.seed_problem(steps=2)
    kwargs["path"] = tmp_path / kwargs["path"]
    with pytest.raises(ValueError, match=match):
        bl.draw(bl.build_lstm_diagram(params, u), **kwargs)
    assert list(tmp_path.iterdir()) == []
