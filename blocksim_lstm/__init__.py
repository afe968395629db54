"""blocksim-lstm: an LSTM layer as a nonlinear discrete-time dynamical system."""

from .parameters import GATES as GATES
from .parameters import NPZ_KEYS as NPZ_KEYS
from .parameters import LSTMParams as LSTMParams
from .reference import LSTMTrace as LSTMTrace
from .reference import reference_cell as reference_cell
from .reference import sigmoid as sigmoid

__version__ = "0.1.0"
