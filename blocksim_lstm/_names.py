"""The original model's block and wire names (SPEC section 2), in one place.

The diagram builder names its blocks with these, the LSTM layout places them,
the renderer colours the loops they close, and the command line and the report
check a diagram against them.
"""

from __future__ import annotations

__all__ = [
    "ACTIVATION_BLOCKS",
    "CELL_DELAY",
    "FC_BLOCK",
    "HIDDEN_DELAY",
    "INPUT_BLOCK",
    "LOOP_GROUPS",
    "LSTM_BLOCKS",
    "LSTM_NAMED_SIGNALS",
    "OUTPUT_BLOCK",
    "SUM_BLOCKS",
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
