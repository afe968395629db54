"""The original model's block and wire names (SPEC section 2), in one place, and
the names of the other cells' diagrams (GRU, peephole LSTM, Elman RNN).

The diagram builders name their blocks with these, the LSTM layout places them,
the renderer colours the loops they close, and the command line and the report
check a diagram against them. The other cells' names follow the LSTM's style:
``W<gate>``, ``R<gate>`` gains, bias constants, ``sum<GATE>G`` sums,
``logsig_<gate>`` / ``tansig_<gate>`` activations, ``prod_<xy>`` element-wise
products, ``Sum`` for the state update, the same delays and FC layer.
"""

from __future__ import annotations

__all__ = [
    "ACTIVATION_BLOCKS",
    "CELL_DELAY",
    "CELL_LOOP_GROUPS",
    "FC_BLOCK",
    "GRU_ACTIVATION_BLOCKS",
    "GRU_BLOCKS",
    "GRU_NAMED_SIGNALS",
    "GRU_SUM_BLOCKS",
    "HIDDEN_DELAY",
    "INPUT_BLOCK",
    "LOOP_GROUPS",
    "LSTM_BLOCKS",
    "LSTM_NAMED_SIGNALS",
    "OUTPUT_BLOCK",
    "PEEPHOLE_BLOCKS",
    "PEEPHOLE_GAINS",
    "RNN_ACTIVATION_BLOCKS",
    "RNN_BLOCKS",
    "RNN_NAMED_SIGNALS",
    "RNN_SUM_BLOCK",
    "SUM_BLOCKS",
    "cell_blocks",
]

INPUT_BLOCK = "From Workspace"
"""The source playing the input sequence u(t)."""
OUTPUT_BLOCK = "To Workspace"
"""The sink logging y(t)."""
FC_BLOCK = "FC layer"
"""The fully connected output layer, y(t) = F h(t) + bF."""
HIDDEN_DELAY = "Hidden State"
"""The unit delay h(t) -> h(t-1) (the outer loops, through the R gains)."""
CELL_DELAY = "Cell State"
"""The unit delay c(t) -> c(t-1) (the inner loop, through f * c(t-1))."""

SUM_BLOCKS: dict[str, str] = {"i": "sumIG", "f": "sumFG", "g": "sumCG", "o": "sumOG"}
"""Gate -> the sum block forming its pre-activation z."""
ACTIVATION_BLOCKS: dict[str, str] = {
    "i": "logsig_i",
    "f": "logsig_f",
    "g": "tansig_g",
    "o": "logsig_o",
}
"""Gate -> the block applying its activation (sigmoid, or tanh for g)."""

LSTM_BLOCKS: tuple[str, ...] = (
    INPUT_BLOCK,
    *(f"{a}{k}" for a in "WRb" for k in "ifgo"),
    *SUM_BLOCKS.values(),
    "logsig_i",
    "logsig_f",
    "logsig_o",
    "tansig_g",
    "tansig_c",
    "prod_fc",
    "prod_ig",
    "prod_oc",
    "Sum",
    HIDDEN_DELAY,
    CELL_DELAY,
    FC_BLOCK,
    OUTPUT_BLOCK,
)
"""The original model's 30 block names."""

LSTM_NAMED_SIGNALS: tuple[str, ...] = (
    "u(t)",
    "h(t-1)",
    "c(t-1)",
    "c(t)",
    "h(t)",
    "y(t)",
)
"""Wire names of the original model (plus the output y(t))."""

LOOP_GROUPS: dict[str, int] = {CELL_DELAY: 1, HIDDEN_DELAY: 4}
"""Feedback cycles each delay closes in one layer: the cell-state loop, and one
hidden-state loop through each gate's R gain."""


# ------------------------------------------------------------------ other cells

PEEPHOLE_GAINS: dict[str, str] = {"i": "Pi", "f": "Pf", "o": "Po"}
"""Peephole gate -> its element-wise gain ``diag(P<gate>)`` (on c(t-1) for i and
f, on c(t) for o), the fourth input of the gate's sum."""

PEEPHOLE_BLOCKS: tuple[str, ...] = (*LSTM_BLOCKS, *PEEPHOLE_GAINS.values())
"""The peephole LSTM's 33 block names: the LSTM's and the three peephole gains."""

GRU_SUM_BLOCKS: dict[str, str] = {"r": "sumRG", "z": "sumZG", "n": "sumNG"}
"""GRU gate -> the sum block forming its pre-activation (zr, zz, zn)."""
GRU_ACTIVATION_BLOCKS: dict[str, str] = {
    "r": "logsig_r",
    "z": "logsig_z",
    "n": "tansig_n",
}
"""GRU gate -> the block applying its activation (sigmoid, or tanh for n)."""

_GRU_COMMON: tuple[str, ...] = (
    INPUT_BLOCK,
    *(f"{a}{k}" for a in ("W", "R", "bW", "bR") for k in "rzn"),
    *GRU_SUM_BLOCKS.values(),
    *GRU_ACTIVATION_BLOCKS.values(),
    "one",
    "one_minus_z",
    "prod_zn",
    "prod_zh",
    "Sum",
    HIDDEN_DELAY,
    FC_BLOCK,
    OUTPUT_BLOCK,
)

GRU_BLOCKS: dict[bool, tuple[str, ...]] = {
    True: (*_GRU_COMMON, "sumRN", "prod_rn"),
    False: (*_GRU_COMMON, "prod_rh"),
}
"""A one-layer GRU diagram's block names, by ``linear_before_reset``.

Both: the gains ``Wr, Wz, Wn`` (on u(t)) and ``Rr, Rz, Rn``, the constants
``bWr .. bRn``, the sums ``sumRG, sumZG, sumNG``, ``logsig_r, logsig_z,
tansig_n``, the constant ``one`` (ones) and the sum ``one_minus_z`` (``"+-"``:
1 - z), the products ``prod_zn`` ((1 - z) * n) and ``prod_zh`` (z * h(t-1)), and
``Sum`` = h(t). Linear before reset (PyTorch, 29 blocks): ``sumRN`` = Rn h(t-1) +
bRn and ``prod_rn`` = r * sumRN, which enters ``sumNG``. Reset first (ONNX's
default, 28 blocks): ``prod_rh`` = r * h(t-1) feeds the gain ``Rn``.
"""

RNN_SUM_BLOCK = "sumHG"
"""The Elman RNN's sum W u(t) + R h(t-1) + b."""
RNN_ACTIVATION_BLOCKS: dict[str, str] = {"tanh": "tansig_h", "relu": "relu_h"}
"""Nonlinearity -> the block giving h(t)."""

RNN_BLOCKS: dict[str, tuple[str, ...]] = {
    act: (
        INPUT_BLOCK,
        "Wh",
        "Rh",
        "bh",
        RNN_SUM_BLOCK,
        block,
        HIDDEN_DELAY,
        FC_BLOCK,
        OUTPUT_BLOCK,
    )
    for act, block in RNN_ACTIVATION_BLOCKS.items()
}
"""A one-layer Elman RNN diagram's 9 block names, by nonlinearity."""

GRU_NAMED_SIGNALS: tuple[str, ...] = ("u(t)", "h(t-1)", "h(t)", "y(t)")
"""Named wires of a GRU diagram."""
RNN_NAMED_SIGNALS: tuple[str, ...] = GRU_NAMED_SIGNALS
"""Named wires of an Elman RNN diagram."""

CELL_LOOP_GROUPS: dict[str, dict[str, int]] = {
    "lstm": LOOP_GROUPS,
    "peephole": {CELL_DELAY: 3, HIDDEN_DELAY: 7},
    "gru": {HIDDEN_DELAY: 5},
    "rnn": {HIDDEN_DELAY: 1},
}
"""Feedback cycles each delay closes in one layer of each cell (no cycle passes
both delays). GRU, either variant: five through h(t-1) (via Rr, via Rz into
1 - z and into z * h(t-1), via Rn, and h(t-1) straight into z * h(t-1)).
Peephole LSTM: three through c(t-1) (f * c(t-1), and the gains Pi, Pf), seven
through h(t-1) (Ri, Rf, Rg each reach h(t) through tanh(c(t)) and through Po;
Ro directly). Elman RNN: one."""


def cell_blocks(
    cell: str, *, linear_before_reset: bool = True, nonlinearity: str = "tanh"
) -> tuple[str, ...]:
    """The block names of a one-layer diagram of a cell (FC layer included).

    Parameters
    ----------
    cell
        ``"lstm"``, ``"gru"``, ``"peephole"`` or ``"rnn"``.
    linear_before_reset
        The GRU's variant.
    nonlinearity
        The RNN's activation, ``"tanh"`` or ``"relu"``.

    Raises
    ------
    ValueError
        An unknown cell or setting; the message lists the known ones.
    """
    if cell == "lstm":
        return LSTM_BLOCKS
    if cell == "peephole":
        return PEEPHOLE_BLOCKS
    if cell == "gru":
        return GRU_BLOCKS[bool(linear_before_reset)]
    if cell == "rnn":
        if nonlinearity not in RNN_BLOCKS:
            raise ValueError(
                f"nonlinearity: expected one of {list(RNN_BLOCKS)}, "
                f"got {nonlinearity!r}"
            )
        return RNN_BLOCKS[nonlinearity]
    raise ValueError(
        f"cell: expected one of ['lstm', 'gru', 'peephole', 'rnn'], got {cell!r}"
    )
