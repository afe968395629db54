"""Training the LSTM + FC network: BPTT gradients, Adam, schedule, runs.

Sweeps of many runs are an orchestration: :mod:`blocksim_lstm.studies.sweep`.

The public names are re-exported here (``__all__``).
"""

from .bptt import LEARNABLES as LEARNABLES
from .bptt import check_data as check_data
from .bptt import loss as loss
from .bptt import loss_and_gradients as loss_and_gradients
from .bptt import pack as pack
from .bptt import unpack as unpack
from .checkpoint import load_data as load_data
from .data import calculated_weights as calculated_weights
from .data import lti_data as lti_data
from .data import seed_data as seed_data
from .loop import NonFiniteLossError as NonFiniteLossError
from .loop import TrainResult as TrainResult
from .loop import resumable as resumable
from .loop import resume as resume
from .loop import train as train
from .optim import TrainOptions as TrainOptions
from .optim import clip_gradients as clip_gradients
from .optim import piecewise_lr as piecewise_lr

__all__ = [
    "LEARNABLES",
    "NonFiniteLossError",
    "TrainOptions",
    "TrainResult",
    "calculated_weights",
    "check_data",
    "clip_gradients",
    "load_data",
    "loss",
    "loss_and_gradients",
    "lti_data",
    "pack",
    "piecewise_lr",
    "resumable",
    "resume",
    "seed_data",
    "train",
    "unpack",
]
