"""Learnable parameter counts of recurrent layers, stacked layers and the FC layer.

One LSTM layer with Ni inputs and Nn units holds ``W (4Nn, Ni)``, ``R (4Nn, Nn)``
and ``b (4Nn,)``: ``4 Nn (Ni + Nn + 1)`` parameters, quadratic in the units
(through R) and linear in the inputs (through W). A fully connected layer with
No outputs adds ``F (No, Nn)`` and ``bF (No,)``: ``No (Nn + 1)``.

The other cells, counted as their parameter classes hold them
(:mod:`blocksim_lstm.cells`):

- GRU: ``W (3Nn, Ni)``, ``R (3Nn, Nn)`` and two bias vectors ``bW``, ``bR``
  (``3Nn`` each; ``bRn`` sits inside the reset product, so the two cannot be
  merged in PyTorch's convention): ``3 Nn (Ni + Nn + 2)``, as torch's
  ``numel``;
- LSTM with peepholes: the LSTM's and ``P (3Nn,)``: ``4 Nn (Ni + Nn + 1) + 3 Nn``;
- Elman RNN: ``W (Nn, Ni)``, ``R (Nn, Nn)``, ``b (Nn,)``: ``Nn (Ni + Nn + 1)``.

The LSTM and the RNN have one bias vector here; PyTorch keeps two (``b_ih``,
``b_hh``) whose sum is all that matters, so torch's ``numel`` is larger by
``4 Nn`` and ``Nn`` (:func:`torch_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._validate import check_positive_int

__all__ = [
    "CELL_FORMULAS",
    "ArrayCount",
    "ParamCount",
    "cell_count",
    "cell_count_table",
    "count_lstm",
    "count_network",
    "count_params",
    "fc_count",
    "lstm_count",
    "plot_cell_growth",
    "plot_param_growth",
    "torch_count",
]

CELL_FORMULAS: dict[str, str] = {
    "lstm": "4 Nn (Ni + Nn + 1)",
    "gru": "3 Nn (Ni + Nn + 2)",
    "peephole": "4 Nn (Ni + Nn + 1) + 3 Nn",
    "rnn": "Nn (Ni + Nn + 1)",
}
"""Cell name -> the parameter count of one layer (no FC layer), as a formula."""


def _check_cell(cell: str) -> str:
    if not isinstance(cell, str) or cell not in CELL_FORMULAS:
        raise ValueError(f"cell: expected one of {list(CELL_FORMULAS)}, got {cell!r}")
    return cell


def _layer_arrays(cell: str, nn: int, ni: int) -> list[tuple[str, tuple[int, ...]]]:
    """The learnable arrays of one layer of ``cell``, in its parameter class's
    key order (written out here, not read from the classes: the tests compare
    the two)."""
    if cell == "gru":
        g = 3 * nn
        return [("W", (g, ni)), ("R", (g, nn)), ("bW", (g,)), ("bR", (g,))]
    if cell == "rnn":
        return [("W", (nn, ni)), ("R", (nn, nn)), ("b", (nn,))]
    g = 4 * nn
    out = [("W", (g, ni)), ("R", (g, nn)), ("b", (g,))]
    if cell == "peephole":
        out.append(("P", (3 * nn,)))
    return out


def cell_count(cell: str, ni: int, nn: int) -> int:
    """Parameters of one layer of a cell (:data:`CELL_FORMULAS`).

    Parameters
    ----------
    cell
        ``"lstm"``, ``"gru"``, ``"peephole"`` or ``"rnn"``.
    ni
        Inputs of the layer (>= 1).
    nn
        Units of the layer (>= 1).

    Returns
    -------
    int
        ``4 Nn (Ni + Nn + 1)`` (LSTM), ``3 Nn (Ni + Nn + 2)`` (GRU, both bias
        vectors), ``4 Nn (Ni + Nn + 1) + 3 Nn`` (peephole LSTM) or
        ``Nn (Ni + Nn + 1)`` (Elman RNN, one bias vector).

    Examples
    --------
    >>> [cell_count(c, 1, 100) for c in ("lstm", "gru", "peephole", "rnn")]
    [40800, 30900, 41100, 10200]
    """
    cell = _check_cell(cell)
    ni = check_positive_int("ni", ni)
    nn = check_positive_int("nn", nn)
    if cell == "gru":
        return 3 * nn * (ni + nn + 2)
    if cell == "rnn":
        return nn * (ni + nn + 1)
    return 4 * nn * (ni + nn + 1) + (3 * nn if cell == "peephole" else 0)


def torch_count(cell: str, ni: int, nn: int) -> int | None:
    """What ``sum(p.numel() for p in layer.parameters())`` gives for one PyTorch
    layer of ``cell``: ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` keep two bias vectors
    (``b_ih``, ``b_hh``). None for the peephole LSTM (PyTorch has none).

    Parameters
    ----------
    cell
        ``"lstm"``, ``"gru"``, ``"peephole"`` or ``"rnn"``.
    ni, nn
        Inputs and units of the layer (>= 1).
    """
    cell = _check_cell(cell)
    ni = check_positive_int("ni", ni)
    nn = check_positive_int("nn", nn)
    gates = {"lstm": 4, "gru": 3, "rnn": 1}.get(cell)
    return None if gates is None else gates * nn * (ni + nn + 2)


def lstm_count(ni: int, nn: int) -> int:
    """Parameters of one LSTM layer: ``4 Nn (Ni + Nn + 1)``.

    Parameters
    ----------
    ni
        Inputs of the layer (>= 1).
    nn
        Units of the layer (>= 1).

    Returns
    -------
    int
        The number of entries of ``W`` (4Nn x Ni), ``R`` (4Nn x Nn) and ``b`` (4Nn).
    """
    ni = check_positive_int("ni", ni)
    nn = check_positive_int("nn", nn)
    return 4 * nn * (ni + nn + 1)


def fc_count(nn: int, no: int) -> int:
    """Parameters of a fully connected layer on Nn inputs: ``No (Nn + 1)``.

    Parameters
    ----------
    nn
        Inputs of the FC layer (the LSTM's units).
    no
        Outputs of the FC layer.
    """
    nn = check_positive_int("nn", nn)
    no = check_positive_int("no", no)
    return no * (nn + 1)


@dataclass(frozen=True)
class ArrayCount:
    """One learnable array: ``layer`` (e.g. ``"lstm1"``, ``"fc"``), ``name``, shape.

    Attributes
    ----------
    layer
        The layer (``"lstm1"``, ``"lstm2"``, ..., ``"fc"``).
    name
        The array (``"W"``, ``"R"``, ``"b"``, ``"F"``, ``"bF"``).
    shape
        Its shape, e.g. ``(4Nn, Ni)`` for ``W``.
    """

    layer: str
    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of elements."""
        n = 1
        for s in self.shape:
            n *= s
        return n


@dataclass(frozen=True)
class ParamCount:
    """Per-array parameter count of a network, with totals.

    Attributes
    ----------
    arrays
        One :class:`ArrayCount` per learnable array, layer by layer.
    """

    arrays: tuple[ArrayCount, ...]

    @property
    def total(self) -> int:
        """All learnable parameters."""
        return sum(a.size for a in self.arrays)

    def by_layer(self) -> dict[str, int]:
        """Parameters per layer, in network order."""
        out: dict[str, int] = {}
        for a in self.arrays:
            out[a.layer] = out.get(a.layer, 0) + a.size
        return out

    def by_name(self, name: str) -> int:
        """Total over the arrays called ``name`` (e.g. ``"R"`` for all layers).

        Parameters
        ----------
        name
            An array name (``"W"``, ``"R"``, ``"b"``, ``"F"``, ``"bF"``).
        """
        return sum(a.size for a in self.arrays if a.name == name)

    def core_weights(self) -> int:
        """The R arrays plus the W arrays of layers 2, 3, ...: no biases, no FC.

        The figure the seed quotes for stacked layers (SPEC section 3): "120000
        before biases and the first layer's W" for two 100-unit layers.
        """
        first = self.arrays[0].layer if self.arrays else ""
        return sum(
            a.size
            for a in self.arrays
            if a.name == "R" or (a.name == "W" and a.layer != first)
        )

    def table(self) -> str:
        """A plain-text table: layer, array, shape, count; subtotals and total."""
        rows = [("layer", "array", "shape", "parameters")]
        for a in self.arrays:
            shape = (
                "("
                + ", ".join(map(str, a.shape))
                + ("," if len(a.shape) == 1 else "")
                + ")"
            )
            rows.append((a.layer, a.name, shape, f"{a.size:,}"))
        for layer, n in self.by_layer().items():
            rows.append((layer, "subtotal", "", f"{n:,}"))
        rows.append(("all", "total", "", f"{self.total:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = []
        for k, r in enumerate(rows):
            lines.append(
                "  ".join(
                    c.rjust(w) if i == 3 else c.ljust(w)
                    for i, (c, w) in enumerate(zip(r, widths, strict=False))
                ).rstrip()
            )
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """JSON-able form."""
        return {
            "arrays": [
                {
                    "layer": a.layer,
                    "name": a.name,
                    "shape": list(a.shape),
                    "size": a.size,
                }
                for a in self.arrays
            ],
            "by_layer": self.by_layer(),
            "total": self.total,
        }


def count_network(
    ni: int, units: Sequence[int], no: int | None = None, *, cell: str = "lstm"
) -> ParamCount:
    """Per-array counts of stacked recurrent layers, optionally followed by an FC layer.

    Parameters
    ----------
    ni
        Input width of the first layer.
    units
        Units of each layer, first to last (layer k's input width is layer
        k-1's units).
    no
        Output width of the FC layer; ``None`` for no FC layer.
    cell
        The layers' cell: ``"lstm"`` (default), ``"gru"``, ``"peephole"`` or
        ``"rnn"``.

    Returns
    -------
    ParamCount
        Per layer (``lstm1``, ``lstm2``, ... or ``gru1``, ...) the arrays of its
        parameter class: ``W (4Nn, Nin)``, ``R (4Nn, Nn)``, ``b (4Nn,)`` for the
        LSTM (and ``P (3Nn,)`` with peepholes), ``W (3Nn, Nin)``, ``R (3Nn, Nn)``,
        ``bW (3Nn,)``, ``bR (3Nn,)`` for the GRU, ``W (Nn, Nin)``, ``R (Nn, Nn)``,
        ``b (Nn,)`` for the RNN; ``F (No, Nn)``, ``bF (No,)`` for ``fc``.

    Examples
    --------
    The seed's example, two 100-unit layers: the R arrays and the second W hold
    3 x 40000 = 120000 parameters.

    >>> count_network(1, [100, 100]).core_weights()
    120000
    """
    cell = _check_cell(cell)
    ni = check_positive_int("ni", ni)
    if len(units) == 0:
        raise ValueError(f"units: expected at least one {cell.upper()} layer, got []")
    arrays: list[ArrayCount] = []
    width = ni
    for k, nn in enumerate(units, start=1):
        nn = check_positive_int(f"units[{k - 1}]", nn)
        layer = f"{cell}{k}"
        arrays += [
            ArrayCount(layer, name, shape)
            for name, shape in _layer_arrays(cell, nn, width)
        ]
        width = nn
    if no is not None:
        no = check_positive_int("no", no)
        arrays += [ArrayCount("fc", "F", (no, width)), ArrayCount("fc", "bF", (no,))]
    return ParamCount(tuple(arrays))


def count_lstm(ni: int, nn: int, no: int | None = None) -> ParamCount:
    """Per-array counts of one LSTM layer (+ FC layer if ``no`` is given).

    Parameters
    ----------
    ni, nn
        Inputs and units of the layer (>= 1).
    no
        Outputs of the FC layer after it; None counts the LSTM layer alone.
    """
    return count_network(ni, [nn], no)


def count_params(params: object) -> ParamCount:
    """Count the learnable arrays of a cell's parameters (layer + FC layer).

    The sizes are read from the parameter object; initial states are not
    learnable and are not counted.

    Parameters
    ----------
    params
        An :class:`~blocksim_lstm.LSTMParams`, or a GRU, peephole or RNN
        parameter object of :mod:`blocksim_lstm.cells`.

    Raises
    ------
    TypeError
        Anything else.
    """
    from .cells import CELLS

    for cell, cls in CELLS.items():
        if type(params) is cls:
            p: Any = params
            return count_network(p.ni, [p.nn], p.no, cell=cell)
    raise TypeError(
        "params: expected "
        + ", ".join(c.__name__ for c in CELLS.values())
        + f", got {type(params).__name__}"
    )


def cell_count_table(
    ni: int, nn: int, *, cells: Sequence[str] = tuple(CELL_FORMULAS)
) -> str:
    """One layer of each cell against the LSTM: formula, count, ratio, torch's count.

    Parameters
    ----------
    ni, nn
        Inputs and units of the layer (>= 1).
    cells
        The cells to list (default all four, the LSTM first).

    Returns
    -------
    str
        A plain-text table, one row per cell; the ratio column is the cell's
        count over the LSTM's at the same sizes.
    """
    lstm = cell_count("lstm", ni, nn)
    rows = [("cell", "parameters of one layer", "count", "vs LSTM", "torch numel")]
    for cell in cells:
        n = cell_count(cell, ni, nn)
        t = torch_count(cell, ni, nn)
        rows.append(
            (
                cell,
                CELL_FORMULAS[cell],
                f"{n:,}",
                f"{n / lstm:.3f}",
                "(none)" if t is None else f"{t:,}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for k, r in enumerate(rows):
        lines.append(
            "  ".join(
                c.rjust(w) if i >= 2 else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"(Ni = {ni}, Nn = {nn}; no FC layer)")
    return "\n".join(lines)


def plot_param_growth(
    path: str | Path,
    *,
    units: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
    input_widths: Sequence[int] = (1, 10, 100, 1000),
) -> Path:
    """Save a log-log plot of LSTM-layer parameters against units.

    One line per input width, plus the slope-2 line ``4 Nn^2`` (the R array
    alone) to show the quadratic growth. Written atomically (tmp + rename).

    Parameters
    ----------
    path
        Output file (``.png`` or ``.svg``).
    units, input_widths
        Unit counts (x axis) and input widths (one line each).

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ._figures import save_figure

    nns = [check_positive_int("units", n) for n in units]
    fig = Figure(figsize=(7.0, 5.0), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    markers = "osD^v<>"
    for k, ni in enumerate(input_widths):
        ni = check_positive_int("input_widths", ni)
        ax.loglog(
            nns,
            [lstm_count(ni, n) for n in nns],
            marker=markers[k % len(markers)],
            ms=4,
            label=f"Ni = {ni}",
        )
    ax.loglog(
        nns, [4 * n * n for n in nns], "k--", lw=1, label="4 Nn² (R alone, slope 2)"
    )
    ax.set_xlabel("units Nn")
    ax.set_ylabel("parameters of one LSTM layer, 4 Nn (Ni + Nn + 1)")
    ax.set_title("LSTM parameters grow quadratically in the units")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="input width", loc="upper left")
    fig.tight_layout()
    out = save_figure(fig, path, dpi=None)
    return out


_CELL_STYLE = {
    "lstm": ("#1f78b4", "o", "LSTM"),
    "peephole": ("#6a3d9a", "D", "LSTM with peepholes"),
    "gru": ("#33a02c", "s", "GRU"),
    "rnn": ("#d95f02", "^", "Elman RNN"),
}


def plot_cell_growth(
    path: str | Path,
    *,
    ni: int = 10,
    units: Sequence[int] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
) -> Path:
    """Save a figure comparing the cells' parameters against units.

    Left: one layer's parameters of each cell (log-log, input width ``ni``).
    Right: each cell's count over the LSTM's (GRU tends to 3/4, RNN to 1/4,
    the peephole LSTM to 1). Written atomically (tmp + rename); a ``.png``
    also gets its ``.svg`` twin (:func:`~blocksim_lstm._figures.save_figure`).

    Parameters
    ----------
    path
        Output file (``.png`` or ``.svg``).
    ni
        Input width of the layer (>= 1).
    units
        Unit counts (x axis).

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ._figures import save_figure

    ni = check_positive_int("ni", ni)
    nns = [check_positive_int("units", n) for n in units]
    fig = Figure(figsize=(11.0, 4.6), dpi=110)
    FigureCanvasAgg(fig)
    ax, rx = fig.subplots(1, 2)
    for cell in ("lstm", "peephole", "gru", "rnn"):
        colour, marker, name = _CELL_STYLE[cell]
        counts = [cell_count(cell, ni, n) for n in nns]
        label = f"{name}: {CELL_FORMULAS[cell]}"
        ax.loglog(nns, counts, marker=marker, ms=4, color=colour, label=label)
        ratio = [
            c / cell_count("lstm", ni, n) for c, n in zip(counts, nns, strict=True)
        ]
        rx.semilogx(nns, ratio, marker=marker, ms=4, color=colour, label=name)
    ax.set_xlabel("units Nn")
    ax.set_ylabel(f"parameters of one layer (Ni = {ni})")
    ax.set_title("Parameters of one layer against units")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8.5)
    rx.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0], ["0", "1/4", "1/2", "3/4", "1"])
    rx.set_xlabel("units Nn")
    rx.set_ylabel("parameters / the LSTM's")
    rx.set_ylim(0.0, 1.2)
    rx.set_title(f"Each cell's count over the LSTM's (Ni = {ni})")
    rx.grid(True, which="both", alpha=0.3)
    rx.legend(loc="lower right", bbox_to_anchor=(1.0, 0.32), fontsize=8.5)
    fig.tight_layout()
    return save_figure(fig, path, dpi=None)
