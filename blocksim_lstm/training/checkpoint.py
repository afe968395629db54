"""A training run's files in its output directory, each written atomically.

``DIR/data.npz`` (u, y), ``DIR/initial.npz`` (starting weights),
``DIR/checkpoint.npz`` (weights, Adam state, epochs done, loss history, options),
and at the end ``DIR/weights.npz`` (the format ``simulate --weights`` reads),
``DIR/loss.csv`` and ``DIR/summary.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import read_npz, savez_atomic
from ..parameters import NPZ_KEYS, LSTMParams
from .optim import TrainOptions

__all__ = [
    "Checkpoint",
    "load_checkpoint",
    "load_data",
    "save_checkpoint",
    "save_data",
]

CHECKPOINT = "checkpoint.npz"
DATA = "data.npz"
INITIAL = "initial.npz"


@dataclass(frozen=True)
class Checkpoint:
    """Everything needed to continue a run exactly.

    Attributes
    ----------
    params : LSTMParams
        Weights after ``epoch`` updates.
    m, v : ndarray, shape ``(n_theta,)``
        Adam's moment estimates (flat layout of :func:`~.bptt.pack`).
    epoch : int
        Epochs done.
    losses : ndarray, shape ``(epoch,)``
        Loss before each update.
    options : TrainOptions
    elapsed_s : float
        Training time spent so far.
    """

    params: LSTMParams
    m: np.ndarray
    v: np.ndarray
    epoch: int
    losses: np.ndarray
    options: TrainOptions
    elapsed_s: float


def save_checkpoint(out: Path, ck: Checkpoint) -> Path:
    """Write ``out/checkpoint.npz`` atomically."""
    return savez_atomic(
        Path(out) / CHECKPOINT,
        **ck.params.arrays(),
        adam_m=ck.m,
        adam_v=ck.v,
        epoch=np.int64(ck.epoch),
        losses=ck.losses,
        elapsed_s=np.float64(ck.elapsed_s),
        options=np.array(json.dumps(ck.options.to_dict())),
    )


def load_checkpoint(out: Path) -> Checkpoint:
    """Read ``out/checkpoint.npz``.

    Raises
    ------
    FileNotFoundError
        No checkpoint in ``out``.
    ValueError
        The file is not a checkpoint of this program.
    """
    keys = (*NPZ_KEYS, "adam_m", "adam_v", "epoch", "losses", "elapsed_s", "options")
    d = read_npz(Path(out) / CHECKPOINT, "resume", keys)
    return Checkpoint(
        params=LSTMParams.from_arrays(**{k: d[k] for k in NPZ_KEYS}),
        m=d["adam_m"],
        v=d["adam_v"],
        epoch=int(d["epoch"]),
        losses=d["losses"],
        options=TrainOptions.from_dict(json.loads(str(d["options"]))),
        elapsed_s=float(d["elapsed_s"]),
    )


def save_data(out: Path, u: np.ndarray, y: np.ndarray) -> Path:
    """Write the training data ``out/data.npz`` (keys ``u``, ``y``)."""
    return savez_atomic(Path(out) / DATA, u=u, y=y)


def load_data(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.npz`` with arrays ``u`` and ``y``.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file, unreadable file or missing keys.
    """
    d = read_npz(path, "data", ("u", "y"))
    return d["u"], d["y"]
