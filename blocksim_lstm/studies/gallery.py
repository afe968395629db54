"""The package's own diagrams and the files of ``diagrams/`` generated from them.

Every file in ``diagrams/`` is written by :func:`render_all` (the
``blocksim-lstm render`` command), never by hand:

- ``lstm_layer``: the seed's LSTM layer (Nn=3, Ni=4, No=2), hand-designed layout;
- ``lstm_stacked``: two stacked LSTM layers and an FC layer, automatic layout;
- ``lti_construction``: the LSTM whose weights reproduce the seed's LTI plant
  (SPEC section 4, Nn = nx + nu = 5), hand-designed layout;
- ``lti_plant``: the plant itself, x(t+1) = A x + B u, y = C x + D u, from bdsim
  stock blocks, automatic layout;
- ``lstm_layer_crosscheck`` / ``lstm_layer_fault``: the seed's diagram painted
  with its cross-check (all wires agree) and with a deliberately injected
  fault (one entry of ``Rf`` off by 1e-3: the first divergence is boxed in red);
- ``param_growth``: parameters of one LSTM layer against units (log-log);
- ``gru_layer``, ``peephole_layer``, ``rnn_layer``: one layer of each other
  cell (:mod:`._cells`), hand-made layouts; ``NAME.txt`` for them and for
  ``lstm_layer``: which delay closes which cycles, parameters against the LSTM's;
- ``cell_param_growth``: every cell's parameters against units, and over the
  LSTM's.

Each diagram gets ``.dot`` and ``.graphml`` text (compared by the test suite
with what the package generates now) and ``.png``/``.svg`` pictures; the three
LSTM diagrams also a ``.bd`` model file (bdsim's runner runs it, bdedit opens
it; compared as text).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np

from .._files import write_atomic
from .._graph import diagram_graph
from ..layout import Layout, cell_layout, layered_layout, lstm_layout
from ._cells import CELL_FILES, CELL_TITLES, cell_diagram, cell_text

__all__ = [
    "MODEL_FILES",
    "DiagramEntry",
    "package_diagrams",
    "render_all",
    "stale_files",
    "text_files",
]


@dataclass(frozen=True)
class DiagramEntry:
    """One package diagram: its graph, its layout and the bdsim diagram object.

    Attributes
    ----------
    name
        File stem in ``diagrams/``.
    graph
        Its graph (:func:`blocksim_lstm.diagram_graph`).
    layout
        Its layout.
    diagram
        The bdsim diagram (or ``LSTMDiagram``) it was read from.
    """

    name: str
    graph: nx.MultiDiGraph
    layout: Layout
    diagram: Any


def _seed_layer() -> Any:
    from .._diagram import build_lstm_diagram
    from .._experiment import seed_problem

    params, u = seed_problem()
    return build_lstm_diagram(params, u)


def _stacked() -> Any:
    from .._diagram import build_stacked_diagram
    from .._experiment import seed_input
    from .._parameters import LSTMParams

    layers = [LSTMParams.random(3, 4, 2, seed=0), LSTMParams.random(3, 3, 2, seed=1)]
    return build_stacked_diagram(layers, seed_input(51, 4))


def _lti_construction() -> Any:
    from .._diagram import build_lstm_diagram
    from .._experiment import SCL, seed_input
    from ..statespace.construction import lstm_from_state_space
    from ..statespace.lti import seed_plant

    plant = seed_plant()
    params = lstm_from_state_space(plant, SCL)
    return build_lstm_diagram(params, seed_input(51, 1), ts=float(plant.dt))


def _lti_plant() -> Any:
    """x(t+1) = A x + B u, y = C x + D u from bdsim stock blocks (+ our delay)."""
    from .._diagram import new_sim
    from .._experiment import seed_input
    from ..blocks import Logger, UnitDelay
    from ..blocks import Sequence as SequenceSource
    from ..statespace.lti import seed_plant

    plant = seed_plant()
    A, B, C, D = (
        np.asarray(m, dtype=float) for m in (plant.A, plant.B, plant.C, plant.D)
    )
    bd = new_sim().blockdiagram(name="lti_plant")
    clock = bd.clock(float(plant.dt), name="clock")
    u = SequenceSource(clock, seed_input(51, 1), bd=bd, name="u source")
    gb = bd.GAIN(B, premul=True, name="B")
    ga = bd.GAIN(A, premul=True, name="A")
    gc = bd.GAIN(C, premul=True, name="C")
    gd = bd.GAIN(D, premul=True, name="D")
    sx = bd.SUM("++", name="A x + B u")
    sy = bd.SUM("++", name="C x + D u")
    x = UnitDelay(clock, np.zeros(A.shape[0]), bd=bd, name="State x")
    out = Logger(bd=bd, name="y log")
    bd.connect(u, gb, gd)
    bd.connect(gb, sx[1])
    bd.connect(ga, sx[0])
    bd.connect(sx, x)
    bd.connect(x, ga, gc)
    bd.connect(gc, sy[0])
    bd.connect(gd, sy[1])
    bd.connect(sy, out)
    names = {u: "u(t)", x: "x(t)", sx: "x(t+1)", sy: "y(t)"}
    for w in bd.wirelist:
        if w.start.block in names:
            w.name = names[w.start.block]
    return bd


def _compiled(diagram: Any) -> Any:
    compile_ = getattr(diagram, "compile", None)
    if compile_ is not None and hasattr(diagram, "bd"):
        compile_()
    else:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            diagram.compile(report=False)
    return diagram


_BUILDERS: dict[str, tuple[Callable[[], Any], str, str]] = {
    "lstm_layer": (
        _seed_layer,
        "lstm",
        "One LSTM layer + FC layer as a discrete-time system (Nn=3, Ni=4, No=2)",
    ),
    "lstm_stacked": (
        _stacked,
        "layered",
        "Two stacked LSTM layers + FC layer (automatic layout)",
    ),
    "lti_construction": (
        _lti_construction,
        "lstm",
        "LSTM reproducing the seed's LTI plant (Nn = nx + nu = 5, SPEC §4)",
    ),
    "lti_plant": (
        _lti_plant,
        "layered",
        "The seed's LTI plant x(t+1) = A x + B u, y = C x + D u (automatic layout)",
    ),
}
_BUILDERS.update(
    {
        f"{cell}_layer": (partial(cell_diagram, cell), "cell", title)
        for cell, title in CELL_TITLES.items()
    }
)


def package_diagrams(names: Collection[str] | None = None) -> dict[str, DiagramEntry]:
    """Build, compile and lay out every package diagram (deterministic).

    Parameters
    ----------
    names
        Only these diagrams (file stems); None: all.

    Returns
    -------
    dict
        ``name -> DiagramEntry`` for ``lstm_layer``, ``lstm_stacked``,
        ``lti_construction``, ``lti_plant``, ``gru_layer``, ``peephole_layer``
        and ``rnn_layer``.
    """
    if names is not None:
        unknown = sorted(set(names) - set(_BUILDERS))
        if unknown:
            raise ValueError(
                f"names: expected some of {list(_BUILDERS)}, got unknown {unknown}"
            )
    out: dict[str, DiagramEntry] = {}
    for name, (build, kind, title) in _BUILDERS.items():
        if names is not None and name not in names:
            continue
        diagram = _compiled(build())
        graph = diagram_graph(diagram)
        graph.graph["name"] = name
        layout = lstm_layout(graph, title=title) if kind == "lstm" else None
        if kind == "cell":
            layout = cell_layout(graph, title=title)
        if layout is None:
            layout = layered_layout(graph, title=title)
        out[name] = DiagramEntry(name, graph, layout, diagram)
    return out


MODEL_FILES: tuple[str, ...] = ("lstm_layer", "lstm_stacked", "lti_construction")
"""The package diagrams also written as ``.bd`` model files (bdrun runs them,
bdedit opens them; the logger writes y to ``NAME_y.npy`` in the folder bdrun
runs in)."""


def text_files(entries: dict[str, DiagramEntry] | None = None) -> dict[str, str]:
    """File name -> text of every DOT, GraphML and ``.bd`` file ``diagrams/`` must hold.

    Parameters
    ----------
    entries
        The diagrams (default: every package diagram, built here).
    """
    from ..layout import to_dot, to_graphml
    from ..modelfile import model_text

    entries = package_diagrams() if entries is None else entries
    out: dict[str, str] = {}
    for name, e in entries.items():
        out[f"{name}.dot"] = to_dot(e.graph, e.layout)
        out[f"{name}.graphml"] = to_graphml(e.graph)
        if name in MODEL_FILES:
            out[f"{name}.bd"] = model_text(
                e.diagram, layout=e.layout, y_file=f"{name}_y.npy", name=name
            )
        if name in CELL_FILES:
            out[f"{name}.txt"] = cell_text(e.graph, CELL_FILES[name])
    return out


def _graphml_structure(text: str) -> tuple[list[Any], list[Any]]:
    """Nodes and edges with all their attributes, sorted (order-free)."""
    import io

    g = nx.read_graphml(io.BytesIO(text.encode("utf-8")), force_multigraph=True)
    nodes = sorted((n, sorted(d.items())) for n, d in g.nodes(data=True))
    edges = sorted((u, v, sorted(d.items())) for u, v, d in g.edges(data=True))
    return nodes, edges


def stale_files(
    directory: str | os.PathLike[str], expected: dict[str, str] | None = None
) -> list[str]:
    """Names of DOT/GraphML files in ``directory`` that differ from what the
    package generates now (or are missing).

    DOT files are compared as text, GraphML files by structure (nodes, edges
    and all their attributes), never pixels.

    Parameters
    ----------
    directory
        Usually ``diagrams/``.
    expected
        File name -> text; defaults to :func:`text_files`.
    """
    d = Path(directory)
    expected = text_files() if expected is None else expected
    out: list[str] = []
    for name, text in sorted(expected.items()):
        path = d / name
        if not path.is_file():
            out.append(name)
            continue
        have = path.read_text(encoding="utf-8")
        if name.endswith(".graphml"):
            try:
                same = _graphml_structure(have) == _graphml_structure(text)
            except Exception:  # unreadable GraphML is stale too
                same = False
        else:
            same = have == text
        if not same:
            out.append(name)
    return out


def _fault_diagram() -> Any:
    """The seed's diagram with Rf[0, 0] off by 1e-3 (reference unchanged)."""
    d = _seed_layer()
    gain = d.blocks["Rf"]
    K = np.array(gain.K, dtype=float)
    K[0, 0] += 1e-3
    gain.K = K
    return d


def render_all(
    out_dir: str | os.PathLike[str],
    *,
    pictures: bool = True,
    progress: Callable[[str], None] | None = None,
    only: Collection[str] | None = None,
) -> list[Path]:
    """Regenerate every file of ``diagrams/`` (DOT, GraphML, PNG, SVG).

    Parameters
    ----------
    out_dir
        Target directory (created if needed).
    pictures
        Also draw the PNG/SVG pictures (else only the DOT/GraphML text).
    progress
        Called with each file name as it is written.
    only
        Only these diagrams' files (file stems, e.g. ``["gru_layer"]``): their
        text files and pictures, none of the other pictures. None: everything.

    Returns
    -------
    list of Path
        The files written, each written atomically (tmp file + rename).
    """
    from .._figures import save_figure
    from ..layout import CrossCheckPaint, draw_layout

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _s: None)
    written: list[Path] = []
    entries = package_diagrams(only)
    for fname, text in text_files(entries).items():
        written.append(write_atomic(out / fname, text))
        say(fname)
    if not pictures:
        return written
    for name, e in entries.items():
        fig = draw_layout(e.layout)
        png = save_figure(fig, out / f"{name}.png", dpi=None)
        written += [png, png.with_suffix(".svg")]
        say(f"{name}.png, {name}.svg")
    if only is not None:
        return written
    from .._crosscheck import crosscheck_diagram

    seed = entries["lstm_layer"]
    for name, diagram, title in (
        (
            "lstm_layer_crosscheck",
            _seed_layer(),
            "Cross-check painted on the diagram: every wire vs the reference cell",
        ),
        (
            "lstm_layer_fault",
            _fault_diagram(),
            "Injected fault Rf[0,0] + 1e-3: the first divergence is boxed in red",
        ),
    ):
        report = crosscheck_diagram(diagram)
        layout = Layout(
            seed.layout.boxes, seed.layout.routes, seed.layout.junctions, title, "lstm"
        )
        fig = draw_layout(layout, paint=CrossCheckPaint.from_report(report))
        png = save_figure(fig, out / f"{name}.png", dpi=None)
        written += [png, png.with_suffix(".svg")]
        say(f"{name}.png")
    from .._param_count import plot_param_growth

    png = plot_param_growth(out / "param_growth.png")
    written += [png, png.with_suffix(".svg")]
    say("param_growth.png, param_growth.svg")
    from .._param_count import plot_cell_growth

    png = plot_cell_growth(out / "cell_param_growth.png")
    written += [png, png.with_suffix(".svg")]
    say("cell_param_growth.png, cell_param_growth.svg")
    return written
