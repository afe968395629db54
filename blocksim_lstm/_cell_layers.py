"""One recurrent layer of any cell as bdsim blocks with named wires.

A layer builder adds one layer's blocks (no FC layer) to a bdsim diagram: one
gain per gate for W and R, bias constants, sums, activations, element-wise
products and the unit delays closing the loops. It records, for every wire, the
reference trace it stands for (a :class:`SignalSpec`) and never computes it:
the reference cells (:mod:`blocksim_lstm._reference`,
:mod:`blocksim_lstm.cells._reference`) share no code with this module.

:data:`LAYER_BUILDERS` maps a cell name to its builder; the diagram
(:class:`~blocksim_lstm._diagram.LSTMDiagram`) stacks layers of any cell with
them. Block names are those of :mod:`blocksim_lstm._names`.

Block arrangements beyond the LSTM's (SPEC section 2):

- peephole LSTM: the LSTM's 27 blocks and three gains ``Pi, Pf, Po`` (matrix
  gains ``diag(P<gate>)``: exact element-wise products) on c(t-1), c(t-1) and
  c(t), each a fourth input of its gate's sum (ports W u, R h, P c, b);
- GRU: per gate the gains ``W<gate>``, ``R<gate>`` and the constants
  ``bW<gate>``, ``bR<gate>``; ``1 - z`` is a sum ``"+-"`` fed by a constant
  ``one`` (a vector of ones) and z; with ``linear_before_reset`` (PyTorch) the
  reset gate multiplies ``Rn h(t-1) + bRn`` (the sum ``sumRN``), without it
  (ONNX's default) it multiplies h(t-1) before the gain ``Rn``;
- Elman RNN: ``Wh``, ``Rh``, ``bh``, the sum ``sumHG`` and ``tansig_h`` (or
  ``relu_h``), whose output is h(t).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._names import (
    ACTIVATION_BLOCKS,
    CELL_DELAY,
    GRU_ACTIVATION_BLOCKS,
    GRU_SUM_BLOCKS,
    HIDDEN_DELAY,
    PEEPHOLE_GAINS,
    RNN_ACTIVATION_BLOCKS,
    RNN_SUM_BLOCK,
    SUM_BLOCKS,
)
from ._parameters import GATES, LSTMParams
from .blocks import EProd, ReLU, Sigmoid, Tanh, UnitDelay
from .cells._params import GRUParams, PeepholeParams, RNNParams

__all__ = [
    "LAYER_BUILDERS",
    "LayerBuild",
    "SignalSpec",
    "add_gru_layer",
    "add_lstm_layer",
    "add_peephole_layer",
    "add_rnn_layer",
    "name_wires",
]

LayerBuild = tuple[dict[str, Any], list["SignalSpec"], Any]
"""What a layer builder returns: blocks by name, the signal specs, the block
whose output is h(t)."""


@dataclass(frozen=True)
class SignalSpec:
    """One wire of the diagram and the reference signal it stands for.

    Attributes
    ----------
    block : name of the block whose output port drives the wire.
    port : output port number.
    label : the signal's name in SPEC terms (``u(t)``, ``h(t-1)``, ``i``, ...).
    layer : 0-based layer index the signal belongs to.
    ref : the attribute of the layer's reference trace it equals
        (:class:`~blocksim_lstm._reference.LSTMTrace`, or a cell's trace in
        :mod:`blocksim_lstm.cells`), or a bias array of the parameters
        (``"b"``, ``"bW"``, ``"bR"``), or ``"ones"`` for a constant of ones.
    gate : gate whose row block of ``ref`` is meant, or None for all of it.
    """

    block: str
    port: int
    label: str
    layer: int
    ref: str
    gate: str | None = None


def name_wires(bd: Any, block: Any, name: str) -> None:
    """Name every wire leaving ``block``'s output port 0.

    bdsim 1.4's ``connect(..., name=)`` loses the name (``add_wire`` resets it to
    None), so names are set on the wires afterwards.

    Parameters
    ----------
    bd
        The bdsim ``BlockDiagram`` that holds ``block``.
    block
        The block whose output port 0 feeds the wires.
    name
        The wire name (a SPEC label such as ``"c(t-1)"``).
    """
    for w in bd.wirelist:
        if w.start.block is block and w.start.port == 0:
            w.name = name


class _Layer:
    """Collects one layer's blocks and signal specs as the builder adds them."""

    def __init__(self, prefix: str, layer: int) -> None:
        self.prefix = prefix
        self.layer = layer
        self.blocks: dict[str, Any] = {}
        self.signals: list[SignalSpec] = []

    def n(self, name: str) -> str:
        """A block name with the layer's prefix."""
        return f"{self.prefix}{name}"

    def add(self, block: Any, label: str, ref: str, gate: str | None = None) -> Any:
        """Record ``block`` and the reference signal its output stands for."""
        self.blocks[block.name] = block
        self.signals.append(SignalSpec(block.name, 0, label, self.layer, ref, gate))
        return block


def _lstm_blocks(
    bd: Any,
    clock: Any,
    params: LSTMParams | PeepholeParams,
    source: Any,
    peepholes: bool,
    prefix: str,
    layer: int,
) -> LayerBuild:
    """The LSTM layer, with the peephole gains when ``peepholes`` (one mechanism
    for both: without peepholes the blocks and wires are the seed's)."""
    L = _Layer(prefix, layer)
    n, add = L.n, L.add
    hidden = add(
        UnitDelay(clock, params.h0, bd=bd, name=n(HIDDEN_DELAY)), "h(t-1)", "h_prev"
    )
    cell = add(
        UnitDelay(clock, params.c0, bd=bd, name=n(CELL_DELAY)), "c(t-1)", "c_prev"
    )
    acts: dict[str, Any] = {}
    peeps: dict[str, Any] = {}
    for gate in GATES:
        Wx = add(
            bd.GAIN(params.gate("W", gate), premul=True, name=n(f"W{gate}")),
            f"W{gate} u(t)",
            "Wu",
            gate,
        )
        Rx = add(
            bd.GAIN(params.gate("R", gate), premul=True, name=n(f"R{gate}")),
            f"R{gate} h(t-1)",
            "Rh",
            gate,
        )
        bx = add(
            bd.CONSTANT(np.array(params.gate("b", gate)), name=n(f"b{gate}")),
            f"b{gate}",
            "b",
            gate,
        )
        peep = peepholes and gate in PEEPHOLE_GAINS
        if peep:
            assert isinstance(params, PeepholeParams)
            seen = "c(t)" if gate == "o" else "c(t-1)"
            peeps[gate] = add(
                bd.GAIN(
                    np.diag(params.peephole(gate)),
                    premul=True,
                    name=n(PEEPHOLE_GAINS[gate]),
                ),
                f"P{gate} {seen}",
                "pc",
                gate,
            )
        sx = add(
            bd.SUM("++++" if peep else "+++", name=n(SUM_BLOCKS[gate])),
            f"z{gate}",
            "z",
            gate,
        )
        kind = Tanh if gate == "g" else Sigmoid
        ax = add(kind(bd=bd, name=n(ACTIVATION_BLOCKS[gate])), gate, gate)
        bd.connect(source, Wx)
        bd.connect(hidden, Rx)
        bd.connect(Wx, sx[0])
        bd.connect(Rx, sx[1])
        if peep:  # W u + R h + P c + b: the reference's order of the terms
            bd.connect(peeps[gate], sx[2])
            bd.connect(bx, sx[3])
        else:
            bd.connect(bx, sx[2])
        bd.connect(sx, ax)
        acts[gate] = ax
    prod_fc = add(EProd(bd=bd, name=n("prod_fc")), "f*c(t-1)", "fc")
    prod_ig = add(EProd(bd=bd, name=n("prod_ig")), "i*g", "ig")
    csum = add(bd.SUM("++", name=n("Sum")), "c(t)", "c")
    tanh_c = add(Tanh(bd=bd, name=n("tansig_c")), "tanh(c(t))", "tanh_c")
    prod_oc = add(EProd(bd=bd, name=n("prod_oc")), "h(t)", "h")
    bd.connect(acts["f"], prod_fc[0])
    bd.connect(cell, prod_fc[1])
    bd.connect(acts["i"], prod_ig[0])
    bd.connect(acts["g"], prod_ig[1])
    bd.connect(prod_fc, csum[0])
    bd.connect(prod_ig, csum[1])
    bd.connect(csum, cell, tanh_c)
    bd.connect(acts["o"], prod_oc[0])
    bd.connect(tanh_c, prod_oc[1])
    bd.connect(prod_oc, hidden)
    if peepholes:
        bd.connect(cell, peeps["i"])
        bd.connect(cell, peeps["f"])
        bd.connect(csum, peeps["o"])
    for block, name in ((hidden, "h(t-1)"), (cell, "c(t-1)"), (csum, "c(t)")):
        name_wires(bd, block, name)
    return L.blocks, L.signals, prod_oc


def add_lstm_layer(
    bd: Any,
    clock: Any,
    params: LSTMParams,
    source: Any,
    *,
    prefix: str = "",
    layer: int = 0,
) -> LayerBuild:
    """Add one LSTM layer's blocks (no FC layer) to a bdsim diagram.

    Parameters
    ----------
    bd
        The bdsim ``BlockDiagram``.
    clock
        Its clock; drives the two unit delays.
    params
        The layer's W, R, b, h0, c0 (F and bF are not used here).
    source
        The output plug (or block) carrying the layer's input, width ``Ni``.
    prefix
        Prepended to every block name (``"L2 "`` for a second layer).
    layer
        Layer index recorded in the signal specs.

    Returns
    -------
    blocks : dict name -> block
    signals : list of :class:`SignalSpec`, one per block output
    h : the block whose output is ``h(t)``
    """
    return _lstm_blocks(bd, clock, params, source, False, prefix, layer)


def add_peephole_layer(
    bd: Any,
    clock: Any,
    params: PeepholeParams,
    source: Any,
    *,
    prefix: str = "",
    layer: int = 0,
) -> LayerBuild:
    """Add one LSTM-with-peepholes layer's blocks (no FC layer) to a diagram.

    The LSTM's blocks (:func:`add_lstm_layer`) and the gains ``Pi``, ``Pf``
    (on c(t-1)) and ``Po`` (on c(t)), each the fourth input of its gate's sum.

    Parameters
    ----------
    bd
        The bdsim ``BlockDiagram``.
    clock
        Its clock; drives the two unit delays.
    params
        The layer's W, R, b, P, h0, c0 (F and bF are not used here).
    source
        The output plug (or block) carrying the layer's input, width ``Ni``.
    prefix
        Prepended to every block name (``"L2 "`` for a second layer).
    layer
        Layer index recorded in the signal specs.

    Returns
    -------
    blocks : dict name -> block
    signals : list of :class:`SignalSpec`, one per block output
    h : the block whose output is ``h(t)``
    """
    return _lstm_blocks(bd, clock, params, source, True, prefix, layer)


def add_gru_layer(
    bd: Any,
    clock: Any,
    params: GRUParams,
    source: Any,
    *,
    prefix: str = "",
    layer: int = 0,
) -> LayerBuild:
    """Add one GRU layer's blocks (no FC layer) to a bdsim diagram.

    ``r = σ(Wr u + Rr h + bWr + bRr)``, ``z`` likewise, ``n = tanh(Wn u + bWn
    + r ⊙ (Rn h + bRn))`` (``linear_before_reset``: the sum ``sumRN`` and the
    product ``prod_rn``) or ``n = tanh(Wn u + Rn (r ⊙ h) + bWn + bRn)`` (the
    product ``prod_rh`` feeding the gain ``Rn``), ``1 - z`` from a constant
    ``one`` and a sum ``"+-"`` (``one_minus_z``), and
    ``h(t) = (1 - z) ⊙ n + z ⊙ h(t-1)`` (``prod_zn``, ``prod_zh``, ``Sum``).

    Parameters
    ----------
    bd
        The bdsim ``BlockDiagram``.
    clock
        Its clock; drives the unit delay ``Hidden State``.
    params
        The layer's W, R, bW, bR, h0 and ``linear_before_reset`` (F and bF are
        not used here).
    source
        The output plug (or block) carrying the layer's input, width ``Ni``.
    prefix
        Prepended to every block name (``"L2 "`` for a second layer).
    layer
        Layer index recorded in the signal specs.

    Returns
    -------
    blocks : dict name -> block
    signals : list of :class:`SignalSpec`, one per block output
    h : the block whose output is ``h(t)`` (``Sum``)
    """
    L = _Layer(prefix, layer)
    n, add = L.n, L.add
    lbr = params.linear_before_reset
    hidden = add(
        UnitDelay(clock, params.h0, bd=bd, name=n(HIDDEN_DELAY)), "h(t-1)", "h_prev"
    )
    parts: dict[str, dict[str, Any]] = {}
    for gate in params.GATES:
        p: dict[str, Any] = {}
        p["W"] = add(
            bd.GAIN(params.gate("W", gate), premul=True, name=n(f"W{gate}")),
            f"W{gate} u(t)",
            "Wu",
            gate,
        )
        reset_first = gate == "n" and not lbr
        p["R"] = add(
            bd.GAIN(params.gate("R", gate), premul=True, name=n(f"R{gate}")),
            "Rn (r*h(t-1))" if reset_first else f"R{gate} h(t-1)",
            "Rh",
            gate,
        )
        for b in ("bW", "bR"):
            p[b] = add(
                bd.CONSTANT(np.array(params.gate(b, gate)), name=n(f"{b}{gate}")),
                f"{b}{gate}",
                b,
                gate,
            )
        bd.connect(source, p["W"])
        if gate != "n":
            p["sum"] = add(
                bd.SUM("++++", name=n(GRU_SUM_BLOCKS[gate])), f"z{gate}", f"z{gate}"
            )
            for port, key in enumerate(("W", "R", "bW", "bR")):
                bd.connect(p[key], p["sum"][port])
            bd.connect(hidden, p["R"])
            p["act"] = add(
                Sigmoid(bd=bd, name=n(GRU_ACTIVATION_BLOCKS[gate])), gate, gate
            )
            bd.connect(p["sum"], p["act"])
        parts[gate] = p
    r, z, pn = parts["r"]["act"], parts["z"]["act"], parts["n"]
    if lbr:  # n = tanh(Wn u + bWn + r * (Rn h(t-1) + bRn))
        rsum = add(bd.SUM("++", name=n("sumRN")), "Rn h+bRn", "rh_n")
        prod = add(EProd(bd=bd, name=n("prod_rn")), "r*(Rn h+bRn)", "rn")
        nsum = add(bd.SUM("+++", name=n(GRU_SUM_BLOCKS["n"])), "zn", "zn")
        bd.connect(hidden, pn["R"])
        bd.connect(pn["R"], rsum[0])
        bd.connect(pn["bR"], rsum[1])
        bd.connect(r, prod[0])
        bd.connect(rsum, prod[1])
        bd.connect(pn["W"], nsum[0])
        bd.connect(pn["bW"], nsum[1])
        bd.connect(prod, nsum[2])
    else:  # n = tanh(Wn u + Rn (r * h(t-1)) + bWn + bRn)
        prod = add(EProd(bd=bd, name=n("prod_rh")), "r*h(t-1)", "rn")
        nsum = add(bd.SUM("++++", name=n(GRU_SUM_BLOCKS["n"])), "zn", "zn")
        bd.connect(r, prod[0])
        bd.connect(hidden, prod[1])
        bd.connect(prod, pn["R"])
        for port, key in enumerate(("W", "R", "bW", "bR")):
            bd.connect(pn[key], nsum[port])
    cand = add(Tanh(bd=bd, name=n(GRU_ACTIVATION_BLOCKS["n"])), "n", "n")
    bd.connect(nsum, cand)
    one = add(bd.CONSTANT(np.ones(params.nn), name=n("one")), "1", "ones")
    omz = add(bd.SUM("+-", name=n("one_minus_z")), "1-z", "one_minus_z")
    prod_zn = add(EProd(bd=bd, name=n("prod_zn")), "(1-z)*n", "zn_part")
    prod_zh = add(EProd(bd=bd, name=n("prod_zh")), "z*h(t-1)", "zh")
    hsum = add(bd.SUM("++", name=n("Sum")), "h(t)", "h")
    bd.connect(one, omz[0])
    bd.connect(z, omz[1])
    bd.connect(omz, prod_zn[0])
    bd.connect(cand, prod_zn[1])
    bd.connect(z, prod_zh[0])
    bd.connect(hidden, prod_zh[1])
    bd.connect(prod_zn, hsum[0])
    bd.connect(prod_zh, hsum[1])
    bd.connect(hsum, hidden)
    name_wires(bd, hidden, "h(t-1)")
    return L.blocks, L.signals, hsum


def add_rnn_layer(
    bd: Any,
    clock: Any,
    params: RNNParams,
    source: Any,
    *,
    prefix: str = "",
    layer: int = 0,
) -> LayerBuild:
    """Add one Elman RNN layer's blocks (no FC layer) to a bdsim diagram.

    ``h(t) = act(Wh u(t) + Rh h(t-1) + bh)``: the gains ``Wh``, ``Rh``, the
    constant ``bh``, the sum ``sumHG`` and the activation ``tansig_h`` (tanh) or
    ``relu_h`` (:class:`~blocksim_lstm.blocks.ReLU`), whose output is h(t).

    Parameters
    ----------
    bd
        The bdsim ``BlockDiagram``.
    clock
        Its clock; drives the unit delay ``Hidden State``.
    params
        The layer's W, R, b, h0 and nonlinearity (F and bF are not used here).
    source
        The output plug (or block) carrying the layer's input, width ``Ni``.
    prefix
        Prepended to every block name (``"L2 "`` for a second layer).
    layer
        Layer index recorded in the signal specs.

    Returns
    -------
    blocks : dict name -> block
    signals : list of :class:`SignalSpec`, one per block output
    h : the block whose output is ``h(t)``
    """
    L = _Layer(prefix, layer)
    n, add = L.n, L.add
    (gate,) = params.GATES
    hidden = add(
        UnitDelay(clock, params.h0, bd=bd, name=n(HIDDEN_DELAY)), "h(t-1)", "h_prev"
    )
    W = add(
        bd.GAIN(params.gate("W", gate), premul=True, name=n(f"W{gate}")),
        f"W{gate} u(t)",
        "Wu",
        gate,
    )
    R = add(
        bd.GAIN(params.gate("R", gate), premul=True, name=n(f"R{gate}")),
        f"R{gate} h(t-1)",
        "Rh",
        gate,
    )
    b = add(
        bd.CONSTANT(np.array(params.gate("b", gate)), name=n(f"b{gate}")),
        f"b{gate}",
        "b",
        gate,
    )
    s = add(bd.SUM("+++", name=n(RNN_SUM_BLOCK)), "z", "z")
    kind = ReLU if params.nonlinearity == "relu" else Tanh
    act = add(
        kind(bd=bd, name=n(RNN_ACTIVATION_BLOCKS[params.nonlinearity])), "h(t)", "h"
    )
    bd.connect(source, W)
    bd.connect(hidden, R)
    bd.connect(W, s[0])
    bd.connect(R, s[1])
    bd.connect(b, s[2])
    bd.connect(s, act)
    bd.connect(act, hidden)
    name_wires(bd, hidden, "h(t-1)")
    return L.blocks, L.signals, act


LAYER_BUILDERS: dict[str, Callable[..., LayerBuild]] = {
    "lstm": add_lstm_layer,
    "gru": add_gru_layer,
    "peephole": add_peephole_layer,
    "rnn": add_rnn_layer,
}
"""Cell name (as :data:`blocksim_lstm.cells.CELLS`) -> its layer builder."""
