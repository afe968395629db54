"""bdsim blocks that bdsim itself lacks for an LSTM diagram (and the
other cells' diagrams).

bdsim discovers these by reading ``blocksim_lstm/blocks/*.py``
(``bdsim.BDSim(packages="blocksim_lstm")`` gives ``bd.SIGMOID``, ``bd.EPROD``, ...);
they can also be instantiated directly with ``bd=``.
"""

from .functions import Affine as Affine
from .functions import EProd as EProd
from .functions import MatGain as MatGain
from .functions import ReLU as ReLU
from .functions import Sigmoid as Sigmoid
from .functions import Tanh as Tanh
from .sampled import Sequence as Sequence
from .sampled import UnitDelay as UnitDelay
from .sinks import Logger as Logger

__all__ = [
    "Affine",
    "EProd",
    "Logger",
    "ReLU",
    "Sequence",
    "Sigmoid",
    "Tanh",
    "UnitDelay",
]
