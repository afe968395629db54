"""Learnable parameter counts of LSTM layers, stacked layers and the FC layer.

One LSTM layer with Ni inputs and Nn units holds ``W (4Nn, Ni)``, ``R (4Nn, Nn)``
and ``b (4Nn,)``: ``4 Nn (Ni + Nn + 1)`` parameters, quadratic in the units
(through R) and linear in the inputs (through W). A fully connected layer with
No outputs adds ``F (No, Nn)`` and ``bF (No,)``: ``No (Nn + 1)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._validate import check_positive_int

__all__ = [
    "ArrayCount",
    "ParamCount",
    "count_lstm",
    "count_network",
    "count_params",
    "fc_count",
    "lstm_count",
    "plot_param_growth",
]


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


def count_network(ni: int, units: Sequence[int], no: int | None = None) -> ParamCount:
    """Per-array counts of stacked LSTM layers, optionally followed by an FC layer.

    Parameters
    ----------
    ni
        Input width of the first layer.
    units
        Units of each LSTM layer, first to last (layer k's input width is layer
        k-1's units).
    no
        Output width of the FC layer; ``None`` for no FC layer.

    Returns
    -------
    ParamCount
        Arrays ``W (4Nn, Nin)``, ``R (4Nn, Nn)``, ``b (4Nn,)`` per layer
        (``lstm1``, ``lstm2``, ...) and ``F (No, Nn)``, ``bF (No,)`` for ``fc``.

    Examples
    --------
    The seed's example, two 100-unit layers: the R arrays and the second W hold
    3 x 40000 = 120000 parameters.

    >>> count_network(1, [100, 100]).core_weights()
    120000
    """
    ni = check_positive_int("ni", ni)
    if len(units) == 0:
        raise ValueError("units: expected at least one LSTM layer, got []")
    arrays: list[ArrayCount] = []
    width = ni
    for k, nn in enumerate(units, start=1):
        nn = check_positive_int(f"units[{k - 1}]", nn)
        layer = f"lstm{k}"
        arrays += [
            ArrayCount(layer, "W", (4 * nn, width)),
            ArrayCount(layer, "R", (4 * nn, nn)),
            ArrayCount(layer, "b", (4 * nn,)),
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
    """Count the arrays of an :class:`~blocksim_lstm._parameters.LSTMParams`.

    The sizes are read from the parameter object (``W, R, b, F, bF``); initial
    states are not learnable and are not counted.

    Parameters
    ----------
    params
        An :class:`~blocksim_lstm.LSTMParams` (LSTM + FC layer).
    """
    from ._parameters import LSTMParams

    if not isinstance(params, LSTMParams):
        raise TypeError(f"params: expected LSTMParams, got {type(params).__name__}")
    return count_lstm(params.ni, params.nn, params.no)


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
