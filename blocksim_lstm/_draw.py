"""One call from a diagram to a picture file: :func:`draw`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._crosscheck import CrossCheckReport
    from .layout import CrossCheckPaint

__all__ = ["draw"]


def draw(
    diagram: Any,
    path: str | os.PathLike[str],
    *,
    paint: CrossCheckReport | CrossCheckPaint | None = None,
    title: str = "",
    layout: str = "auto",
) -> Path:
    """Draw a diagram and save the picture, PNG or SVG by the suffix of ``path``.

    The LSTM layout (signal flow left to right, gates stacked, delays on
    feedback paths underneath) is used for a one-layer LSTM diagram, the
    hand-made drawing of its cell for one layer of a GRU (PyTorch's
    convention), peephole LSTM or Elman RNN, the automatic layered layout for
    anything else (stacked layers, the LTI construction, a user's bdsim
    diagram).

    Parameters
    ----------
    diagram
        An :class:`~blocksim_lstm._diagram.LSTMDiagram`, a bdsim
        ``BlockDiagram``, a :class:`~blocksim_lstm._record.Recording` (its
        diagram is drawn), or a graph from
        :func:`~blocksim_lstm._graph.diagram_graph`.
    path
        Picture file ending in ``.png`` or ``.svg``; written atomically
        (temporary name, then rename); its folder is created.
    paint
        A cross-check report (or a ready
        :class:`~blocksim_lstm.layout.CrossCheckPaint`) painted on the wires:
        each wire coloured by whether it agrees with the reference (wires
        matched by key: the block's name for output port 0, ``"name[p]"`` for
        port p), the first divergence boxed in red. Without it, wires are
        coloured by feedback loop.
    title
        Title above the picture.
    layout
        ``"auto"`` (default), ``"lstm"``, ``"cell"`` or ``"layered"``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        ``path`` ends in neither ``.png`` nor ``.svg``, ``layout`` is unknown,
        or ``layout="lstm"`` (``"cell"``) for a diagram that is not one LSTM
        layer (one layer of a cell with a hand-made drawing).
    """
    import networkx as nx  # type: ignore[import-untyped]

    from ._figures import save_one
    from ._graph import diagram_graph
    from ._names import LSTM_BLOCKS
    from .layout import (
        CrossCheckPaint,
        cell_layout,
        cell_of_graph,
        draw_layout,
        layered_layout,
        lstm_layout,
    )

    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise ValueError(
            f"path: expected a file name ending in .png or .svg, got {str(path)!r}"
        )
    if layout not in ("auto", "lstm", "cell", "layered"):
        raise ValueError(
            f"layout: expected one of 'auto', 'lstm', 'cell', 'layered', got {layout!r}"
        )
    record = sys.modules.get(f"{__package__}._record")  # loaded if one was made
    if record is not None and isinstance(diagram, record.Recording):
        diagram = diagram.diagram
    if isinstance(diagram, nx.MultiDiGraph):
        graph = diagram
    else:
        compile_ = getattr(diagram, "compile", None)
        if compile_ is not None and hasattr(diagram, "bd"):
            compile_()  # an LSTMDiagram: wire widths are known once compiled
        graph = diagram_graph(diagram)
    if layout == "auto":
        if set(graph.nodes) == set(LSTM_BLOCKS):
            layout = "lstm"
        elif cell_of_graph(graph) is not None:
            layout = "cell"
        else:
            layout = "layered"
    if layout == "lstm":
        laid = lstm_layout(graph, title=title)
    elif layout == "cell":
        laid = cell_layout(graph, title=title)
    else:
        laid = layered_layout(graph, title=title)
    if paint is not None and not isinstance(paint, CrossCheckPaint):
        paint = CrossCheckPaint.from_report(paint)
    fig = draw_layout(laid, paint=paint)
    return save_one(fig, path)
