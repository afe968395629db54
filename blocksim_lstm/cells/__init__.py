"""Recurrent cells beside the LSTM: GRU, LSTM with peepholes, Elman RNN.

Each cell has a parameter container (checked shapes, ``random``, ``save`` /
``load``) and a vectorized reference computation returning every internal
signal, the independent side of a wire-by-wire cross-check::

    from blocksim_lstm import cells
    p = cells.GRUParams.random(nn=3, ni=2, no=1, seed=0)
    trace = cells.cell_reference(p, u)        # trace.r, trace.z, trace.n, trace.h
    p2 = cells.load_cell("weights.npz")       # whichever cell the file holds

:data:`CELLS` maps the names used by ``--cell`` (``lstm``, ``gru``,
``peephole``, ``rnn``) to the parameter classes.
"""

from ._params import CELLS as CELLS
from ._params import CellParams as CellParams
from ._params import GRUParams as GRUParams
from ._params import PeepholeParams as PeepholeParams
from ._params import RNNParams as RNNParams
from ._params import cell_name as cell_name
from ._params import cell_of_file as cell_of_file
from ._params import load_cell as load_cell
from ._params import params_class as params_class
from ._reference import GRUTrace as GRUTrace
from ._reference import PeepholeTrace as PeepholeTrace
from ._reference import RNNTrace as RNNTrace
from ._reference import cell_reference as cell_reference
from ._reference import gru_reference as gru_reference
from ._reference import peephole_reference as peephole_reference
from ._reference import rnn_reference as rnn_reference

__all__ = [
    "CELLS",
    "CellParams",
    "GRUParams",
    "GRUTrace",
    "PeepholeParams",
    "PeepholeTrace",
    "RNNParams",
    "RNNTrace",
    "cell_name",
    "cell_of_file",
    "cell_reference",
    "gru_reference",
    "load_cell",
    "params_class",
    "peephole_reference",
    "rnn_reference",
]
