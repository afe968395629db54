"""A training run's files in its output directory, each written atomically.

``DIR/data.npz`` (u, y), ``DIR/initial.npz`` (starting weights),
``DIR/checkpoint.npz`` (weights, Adam state, epochs done, loss history, options),
and at the end ``DIR/weights.npz`` (the format ``simulate --weights`` reads),
``DIR/loss.csv`` and ``DIR/summary.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..parameters import NPZ_KEYS, LSTMParams
from .optim import TrainOptions

__all__ = [
    "Checkpoint",
    "load_checkpoint",
    "load_data",
    "save_checkpoint",
    "save_data",
    "write_atomic",
]

CHECKPOINT = "checkpoint.npz"
DATA = "data.npz"
INITIAL = "initial.npz"


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    mode = "w" if isinstance(data, str) else "wb"
    with open(tmp, mode) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def _savez_atomic(path: Path, **arrays: Any) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


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
    return _savez_atomic(
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
    path = Path(out) / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"resume: no checkpoint {path}")
    try:
        with np.load(path, allow_pickle=False) as d:
            params = LSTMParams.from_arrays(**{k: d[k] for k in NPZ_KEYS})
            return Checkpoint(
                params=params,
                m=d["adam_m"].copy(),
                v=d["adam_v"].copy(),
                epoch=int(d["epoch"]),
                losses=d["losses"].copy(),
                options=TrainOptions.from_dict(json.loads(str(d["options"]))),
                elapsed_s=float(d["elapsed_s"]),
            )
    except KeyError as exc:
        raise ValueError(
            f"resume: {path} is not a training checkpoint ({exc})"
        ) from exc


def save_data(out: Path, u: np.ndarray, y: np.ndarray) -> Path:
    """Write the training data ``out/data.npz`` (keys ``u``, ``y``)."""
    return _savez_atomic(Path(out) / DATA, u=u, y=y)


def load_data(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.npz`` with arrays ``u`` and ``y``.

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file, unreadable file or missing keys.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data: no such file {path}")
    try:
        with np.load(path, allow_pickle=False) as d:
            missing = [k for k in ("u", "y") if k not in d.files]
            if missing:
                raise ValueError(
                    f"data: {path} must hold arrays 'u' and 'y'; missing {missing}"
                )
            return d["u"].copy(), d["y"].copy()
    except (OSError, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith("data:"):
            raise
        raise ValueError(f"data: {path} is not a readable .npz file") from exc
