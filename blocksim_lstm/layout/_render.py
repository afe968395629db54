"""Draw diagram layouts with matplotlib (no Graphviz binary is used).

Files are written by :mod:`blocksim_lstm.layout._export` (PNG, SVG, DOT, GraphML).

Every block shows its name (above the box) and its symbol (in the box); named
wires carry their label; wires on feedback loops are coloured by the delay that
closes the loop, with a legend. A cross-check report
can be painted on instead: each wire coloured by its largest error, the first
divergence marked. :func:`overlaps` measures the drawn picture and lists any
box, name or label that overlaps another, so tests can hold the layout to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._names import CELL_DELAY, HIDDEN_DELAY
from .._wirekey import wire_key
from ._geometry import Layout, Route

__all__ = [
    "CrossCheckPaint",
    "draw_layout",
    "overlaps",
]

SCALE = 0.52
"""Inches per layout unit."""

_FORWARD = "#3a3a3a"
_PALETTE = ("#d95f02", "#1f78b4", "#33a02c", "#6a3d9a", "#b15928", "#e7298a")
_LSTM_LOOPS = {
    CELL_DELAY: ("#d95f02", "inner loop: c(t) → Cell State → c(t−1) → f·c(t−1)"),
    HIDDEN_DELAY: (
        "#1f78b4",
        "outer loop: h(t) → Hidden State → h(t−1) → R gains → gates",
    ),
}


@dataclass(frozen=True)
class CrossCheckPaint:
    """What to paint from a cross-check: per-wire errors and the first divergence.

    Attributes
    ----------
    errors : dict
        Wire key -> largest absolute error on that wire. A wire's key is its
        source block's name for output port 0 and ``"name[p]"`` for port p
        (as in :func:`blocksim_lstm.record`); wires without one are drawn
        as not compared.
    tolerance : float
        The absolute tolerance the check used (drawn on the colour bar).
    first : str or None
        Key of the wire that diverged first (its block is boxed in red), None
        when all passed.
    first_text : str
        One line describing the first divergence.
    """

    errors: Mapping[str, float]
    tolerance: float
    first: str | None = None
    first_text: str = ""

    @classmethod
    def from_report(cls, report: Any) -> CrossCheckPaint:
        """Read a :class:`blocksim_lstm._crosscheck.CrossCheckReport`.

        Parameters
        ----------
        report
            A cross-check report (``bl.crosscheck_diagram``,
            ``bl.crosscheck_traces``): its signal names are wire keys.
        """
        errors = {s.name: float(s.max_abs) for s in report.signals}
        fd = report.first_divergence
        text = ""
        if fd is not None:
            text = (
                f"first divergence: step {fd.step}, {fd.signal} [{fd.label}] "
                f"element {fd.index}: diagram {fd.diagram_value:.6g}, "
                f"reference {fd.reference_value:.6g}"
            )
        return cls(
            errors, float(report.abs_tol), None if fd is None else fd.signal, text
        )


_AGREES, _DIFFERS, _UNCHECKED = "#1a7a1a", "#d7191c", "#bbbbbb"
_PAINT_CLASSES = (
    (_AGREES, "agrees: largest |diagram − reference| ≤ {tol:.0e}"),
    (_DIFFERS, "differs: above the tolerance"),
    (_UNCHECKED, "not compared"),
)


def _paint_colour(paint: CrossCheckPaint, source: str, port: int) -> str:
    """Colour class of a wire: agrees, differs, or not compared.

    Only the class is drawn, not the size of an error below the tolerance:
    that size is rounding (1e-16 to 1e-15) and depends on the machine's BLAS
    kernel, and the picture must be the same on every machine. The sizes are
    in the cross-check's table.
    """
    err = paint.errors.get(wire_key(source, port))
    if err is None:
        return _UNCHECKED
    return _DIFFERS if err > paint.tolerance else _AGREES


def _group_colours(layout: Layout) -> dict[str, tuple[str, str]]:
    groups = sorted({r.group for r in layout.routes if r.group is not None})
    out: dict[str, tuple[str, str]] = {}
    k = 0
    for grp in groups:
        base = grp.split(" ", 1)[1] if grp[:1] == "L" and " " in grp else grp
        if grp in layout.legend and grp in _LSTM_LOOPS:
            out[grp] = (_LSTM_LOOPS[grp][0], layout.legend[grp])
        elif grp in layout.legend:
            out[grp] = (_PALETTE[k % len(_PALETTE)], layout.legend[grp])
            k += 1
        elif base in _LSTM_LOOPS and grp == base:
            out[grp] = _LSTM_LOOPS[base]
        else:
            out[grp] = (_PALETTE[k % len(_PALETTE)], f"loops closed by {grp}")
            k += 1
    return out


def _arrow(ax: Any, r: Route, colour: str, lw: float) -> None:
    (x0, y0), (x1, y1) = r.points[-2], r.points[-1]
    dx, dy = x1 - x0, y1 - y0
    n = max(abs(dx), abs(dy)) or 1.0
    back = (x1 - 0.22 * dx / n, y1 - 0.22 * dy / n)
    ax.annotate(
        "",
        xy=(x1, y1),
        xytext=back,
        arrowprops={
            "arrowstyle": "-|>",
            "color": colour,
            "lw": lw,
            "mutation_scale": 11,
        },
        zorder=3,
    )


def draw_layout(
    layout: Layout,
    *,
    paint: CrossCheckPaint | None = None,
    dpi: int = 110,
) -> Any:
    """Draw a layout into a new matplotlib figure.

    Parameters
    ----------
    layout
        From :func:`blocksim_lstm.layout.lstm_layout` or
        :func:`blocksim_lstm.layout.layered_layout`.
    paint
        Optional cross-check errors: wires coloured by class (agrees within the
        tolerance, differs, not compared), the first divergence boxed. Without
        it wires are coloured by feedback loop.
    dpi
        Resolution of the figure (PNG output).

    Returns
    -------
    matplotlib.figure.Figure
        Artists carry ``gid`` tags (``box:``, ``name:``, ``symbol:``,
        ``label:``, ``wire:``, ``legend``) that :func:`overlaps` reads.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = layout.bounds
    pad = 0.6
    legend_h = 1.6 if paint is None else 2.8
    # room for the title: about 0.21 layout units per character at 13 pt
    extra = max(0.0, 0.21 * len(layout.title) + 1.0 - (x1 - x0)) / 2
    x0, x1 = x0 - extra, x1 + extra
    width = (x1 - x0) + 2 * pad
    height = (y1 - y0) + 2 * pad + legend_h + (0.9 if layout.title else 0)
    # a figure on its own Agg canvas: the user's backend and pyplot's list of
    # open figures are left alone
    fig = Figure(figsize=(width * SCALE, height * SCALE), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ylim = (y0 - pad - legend_h, y1 + pad + (0.9 if layout.title else 0))
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    if layout.title:
        ax.text(
            (x0 + x1) / 2,
            y1 + pad + 0.35,
            layout.title,
            ha="center",
            va="center",
            fontsize=13,
            fontweight="bold",
            gid="title",
        )
    colours = _group_colours(layout)
    # wires: forward ones first, then loops, the loop with fewest wires on top
    n_in_group: dict[str | None, int] = {}
    for r in layout.routes:
        n_in_group[r.group] = n_in_group.get(r.group, 0) + 1
    order = sorted(
        range(len(layout.routes)),
        key=lambda k: (
            layout.routes[k].group is not None,
            -n_in_group[layout.routes[k].group],
        ),
    )
    for k in order:
        r = layout.routes[k]
        if paint is not None:
            colour = _paint_colour(paint, r.source, r.source_port)
            lw = 2.0
        else:
            colour = colours[r.group][0] if r.group in colours else _FORWARD
            lw = 1.8 if r.group else 1.2
        xs = [p[0] for p in r.points]
        ys = [p[1] for p in r.points]
        ax.plot(
            xs,
            ys,
            color=colour,
            lw=lw,
            solid_capstyle="butt",
            zorder=2,
            gid=f"wire:{k}",
        )
        _arrow(ax, r, colour, lw)
        if r.label and r.label_at is not None:
            ax.text(
                r.label_at[0],
                r.label_at[1],
                r.label,
                ha="center",
                va="bottom",
                fontsize=9.5,
                fontstyle="italic",
                color=colour if r.group else "black",
                zorder=4,
                gid=f"label:{r.source}:{r.source_port}",
            )
    for jx, jy in layout.junctions:
        ax.plot([jx], [jy], "o", ms=4, color="black", zorder=3)
    # boxes
    for name, b in layout.boxes.items():
        bx0, by0, _, _ = b.extent
        face = "#fff4e6" if b.delay else "#ffffff"
        edge = "black"
        lw = 1.6 if b.delay else 1.1
        if b.delay and paint is None:
            edge = colours.get(name, (edge, ""))[0]
        if paint is not None and paint.first in {
            wire_key(name, p) for p in range(len(b.outputs))
        }:
            face, edge, lw = "#fde0dd", "#d7191c", 3.0  # the first divergence
        ax.add_patch(
            Rectangle(
                (bx0, by0),
                b.w,
                b.h,
                facecolor=face,
                edgecolor=edge,
                lw=lw,
                zorder=5,
                gid=f"box:{name}",
            )
        )
        size = 12 if len(b.symbol) <= 2 else 9.5
        ax.text(
            b.x,
            b.y,
            b.symbol,
            ha="center",
            va="center",
            fontsize=size,
            zorder=6,
            gid=f"symbol:{name}",
        )
        left = b.name_side == "left"
        below = b.name_side == "below"
        ax.text(
            b.x - b.w / 2 - 0.1 if left else b.x,
            b.y if left else (b.y - b.h / 2 - 0.06 if below else b.y + b.h / 2 + 0.06),
            name,
            ha="right" if left else "center",
            va="center" if left else ("top" if below else "bottom"),
            fontsize=8,
            color="#202020",
            zorder=6,
            gid=f"name:{name}",
        )
    # legend / colour bar below the drawing
    if paint is None:
        handles = [Line2D([], [], color=_FORWARD, lw=1.2, label="forward path")]
        for _grp, (colour, text) in colours.items():
            handles.append(Line2D([], [], color=colour, lw=2.0, label=text))
        leg = ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(3, len(handles)),
            fontsize=9,
            frameon=True,
        )
        leg.set_gid("legend")
    else:
        handles = [
            Line2D([], [], color=c, lw=2.0, label=text.format(tol=paint.tolerance))
            for c, text in _PAINT_CLASSES
        ]
        leg = ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.35 / (ylim[1] - ylim[0])),
            ncol=len(handles),
            fontsize=9,
            frameon=True,
        )
        leg.set_gid("legend")
        ax.text(
            (x0 + x1) / 2,
            y0 - pad + 0.1,
            paint.first_text or "all wires agree within the tolerance",
            ha="center",
            va="top",
            fontsize=9.5,
            color="#d7191c" if paint.first else "#1a7a1a",
            gid="legend",
        )
    return fig


# ------------------------------------------------------------------- overlaps
def _bbox_of(artist: Any, renderer: Any) -> Any:
    return artist.get_window_extent(renderer=renderer)


def overlaps(fig: Any, *, tol: float = 0.5) -> list[str]:
    """Measure a drawn layout: every pair of boxes, names and labels that overlap.

    Parameters
    ----------
    fig
        A figure from :func:`draw_layout`.
    tol
        Overlaps smaller than this many pixels are ignored.

    Returns
    -------
    list of str
        One line per fault (empty when the picture is clean): two of {box,
        block name, wire label, legend} overlapping; a symbol not inside its
        box; a name or label crossed by a wire.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    solid: list[tuple[str, Any]] = []
    symbols: dict[str, Any] = {}
    boxes: dict[str, Any] = {}
    wires: list[tuple[str, Any]] = []
    for ax in fig.axes:
        for art in [*ax.patches, *ax.texts, *ax.lines]:
            gid = art.get_gid() or ""
            kind = gid.split(":", 1)[0]
            if kind in ("box", "name", "label", "legend", "title"):
                bb = _bbox_of(art, renderer)
                solid.append((gid, bb))
                if kind == "box":
                    boxes[gid[4:]] = bb
            elif kind == "symbol":
                symbols[gid[7:]] = _bbox_of(art, renderer)
            elif kind == "wire":
                wires.append((gid, art))
        leg = ax.get_legend()
        if leg is not None:
            solid.append(("legend", leg.get_window_extent(renderer)))
    faults: list[str] = []
    for i, (ga, a) in enumerate(solid):
        for gb, b in solid[i + 1 :]:
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > tol and h > tol:
                faults.append(f"{ga} overlaps {gb}")
    for name, s in symbols.items():
        b = boxes.get(name)
        if b is None or s.x0 < b.x0 - tol or s.x1 > b.x1 + tol:
            faults.append(f"symbol of {name!r} sticks out of its box")
    texts = [(g, bb) for g, bb in solid if g.split(":", 1)[0] in ("name", "label")]
    for gid, line in wires:
        path = line.get_xydata()
        pts = line.get_transform().transform(path)
        for p, q in zip(pts, pts[1:], strict=False):
            lo_x, hi_x = sorted((p[0], q[0]))
            lo_y, hi_y = sorted((p[1], q[1]))
            for tg, bb in texts:
                if (
                    lo_x < bb.x1 - tol
                    and hi_x > bb.x0 + tol
                    and lo_y < bb.y1 - tol
                    and hi_y > bb.y0 + tol
                ):
                    faults.append(f"{gid} crosses {tg}")
    return sorted(set(faults))
