"""A training run's files in its output directory, each written atomically.

``DIR/data.npz`` (u, y), ``DIR/initial.npz`` (starting weights),
``DIR/checkpoint.npz`` (weights, Adam state, epochs done, loss history, options
and the run's identity), and at the end ``DIR/weights.npz`` (the format
``simulate --weights`` reads), ``DIR/loss.csv`` and ``DIR/summary.json``.

The run's identity (:func:`run_id`) is a SHA-256 of the data, the starting
weights and the options other than the number of epochs. A checkpoint carries
it, so that a resume can prove that ``data.npz`` and ``initial.npz`` beside it
belong to the same run; every array read back is checked (shape, dtype,
finiteness) before compiled code sees it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import read_npz, savez_atomic
from .._parameters import NPZ_KEYS, LSTMParams
from .optim import TrainOptions

__all__ = [
    "Checkpoint",
    "load_checkpoint",
    "load_data",
    "run_id",
    "save_checkpoint",
    "save_data",
]

CHECKPOINT = "checkpoint.npz"
DATA = "data.npz"
INITIAL = "initial.npz"
_CK_KEYS = (
    *NPZ_KEYS,
    "adam_m",
    "adam_v",
    "epoch",
    "losses",
    "elapsed_s",
    "options",
    "run_id",
)


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
    run_id : str
        :func:`run_id` of the run's data, starting weights and options.
    """

    params: LSTMParams
    m: np.ndarray
    v: np.ndarray
    epoch: int
    losses: np.ndarray
    options: TrainOptions
    elapsed_s: float
    run_id: str


def run_id(
    u: np.ndarray, y: np.ndarray, initial: LSTMParams, options: TrainOptions
) -> str:
    """SHA-256 (hex) of a run's data, starting weights and options but ``epochs``.

    Parameters
    ----------
    u : ndarray, shape ``(B, T, Ni)``
    y : ndarray, shape ``(B, T, No)``
    initial
        Starting weights (``h0`` and ``c0`` included).
    options
        Training options; ``epochs`` is left out (a resume may raise it).
    """
    h = hashlib.sha256(b"blocksim-lstm train run v1\n")
    arrays = [("u", u), ("y", y)]
    arrays += [(f"initial.{k}", v) for k, v in initial.arrays().items()]
    for name, a in arrays:
        a = np.ascontiguousarray(a, np.float64)
        h.update(f"{name} {a.shape}\n".encode())
        h.update(a.tobytes())
    opts = options.to_dict()
    opts.pop("epochs")
    h.update(json.dumps(opts, sort_keys=True).encode())
    return h.hexdigest()


def save_checkpoint(out: Path, ck: Checkpoint) -> Path:
    """Write ``out/checkpoint.npz`` atomically.

    Parameters
    ----------
    out
        The run's output folder.
    ck
        The state to save.
    """
    return savez_atomic(
        Path(out) / CHECKPOINT,
        **ck.params.arrays(),
        adam_m=ck.m,
        adam_v=ck.v,
        epoch=np.int64(ck.epoch),
        losses=ck.losses,
        elapsed_s=np.float64(ck.elapsed_s),
        options=np.array(json.dumps(ck.options.to_dict())),
        run_id=np.array(ck.run_id),
    )


def _float_array(path: Path, name: str, a: np.ndarray, shape: tuple[int, ...]):
    if a.dtype != np.float64:
        raise ValueError(
            f"resume: {path}: {name}: expected float64, got dtype {a.dtype}"
        )
    if a.shape != shape:
        raise ValueError(
            f"resume: {path}: {name}: expected shape {shape}, got shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"resume: {path}: {name}: expected finite values")
    return a


def _scalar(path: Path, name: str, a: np.ndarray, kind: str):
    if a.shape != () or a.dtype.kind not in kind:
        raise ValueError(
            f"resume: {path}: {name}: expected a scalar of kind {kind!r}, got "
            f"dtype {a.dtype} shape {a.shape}"
        )
    return a[()]


def load_checkpoint(out: Path) -> Checkpoint:
    """Read and check ``out/checkpoint.npz``.

    Every array is checked before use: the weights as :class:`LSTMParams`
    checks them, ``adam_m`` and ``adam_v`` float64 of the flat parameter
    vector's length, finite (``adam_v >= 0``), ``losses`` float64 of length
    ``epoch``, finite, ``elapsed_s`` finite and ``>= 0``, ``options`` valid.

    Parameters
    ----------
    out
        The run's output folder.

    Raises
    ------
    FileNotFoundError
        No checkpoint in ``out``.
    ValueError
        The file is not a checkpoint of this program, or an array in it is
        damaged (the message names the file and the array).
    """
    path = Path(out) / CHECKPOINT
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(
            f"resume: expected a folder written by 'blocksim-lstm train --out', "
            f"got the file {out}"
        )
    if not path.is_file():
        raise FileNotFoundError(
            f"resume: no checkpoint {path}; expected a folder written by "
            "'blocksim-lstm train --out'"
        )
    d = read_npz(path, "resume", _CK_KEYS)
    try:
        params = LSTMParams.from_arrays(**{k: d[k] for k in NPZ_KEYS})
    except ValueError as exc:
        raise ValueError(f"resume: {path}: {exc}") from exc
    for k in NPZ_KEYS:
        if d[k].dtype != np.float64:
            raise ValueError(
                f"resume: {path}: {k}: expected float64, got dtype {d[k].dtype}"
            )
    n_theta = sum(getattr(params, k).size for k in ("W", "R", "b", "F", "bF"))
    m = _float_array(path, "adam_m", d["adam_m"], (n_theta,))
    v = _float_array(path, "adam_v", d["adam_v"], (n_theta,))
    if np.any(v < 0):
        raise ValueError(f"resume: {path}: adam_v: expected values >= 0")
    epoch = int(_scalar(path, "epoch", d["epoch"], "iu"))
    if epoch < 0:
        raise ValueError(f"resume: {path}: epoch: expected >= 0, got {epoch}")
    losses = _float_array(path, "losses", d["losses"], (epoch,))
    elapsed = float(_scalar(path, "elapsed_s", d["elapsed_s"], "f"))
    if not (np.isfinite(elapsed) and elapsed >= 0):
        raise ValueError(
            f"resume: {path}: elapsed_s: expected a finite number >= 0, got {elapsed}"
        )
    text = str(_scalar(path, "options", d["options"], "U"))
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise TypeError(f"expected a JSON object, got {type(raw).__name__}")
        options = TrainOptions.from_dict(raw)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"resume: {path}: options: {exc}") from exc
    if epoch > options.epochs:
        raise ValueError(
            f"resume: {path}: epoch: expected at most the run's "
            f"{options.epochs} epochs, got {epoch}"
        )
    rid = str(_scalar(path, "run_id", d["run_id"], "U"))
    return Checkpoint(params, m, v, epoch, losses, options, elapsed, rid)


def save_data(out: Path, u: np.ndarray, y: np.ndarray) -> Path:
    """Write the training data ``out/data.npz`` (keys ``u``, ``y``).

    Parameters
    ----------
    out
        The run's output folder.
    u : ndarray, shape ``(T, Ni)``
        Training input.
    y : ndarray, shape ``(T, No)``
        Training target.
    """
    return savez_atomic(Path(out) / DATA, u=u, y=y)


def load_data(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an ``.npz`` with arrays ``u`` and ``y``.

    Parameters
    ----------
    path
        The ``.npz`` file (``u``: ``(T, Ni)``, ``y``: ``(T, No)``).

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file, unreadable file or missing keys.
    """
    d = read_npz(path, "data", ("u", "y"))
    return d["u"], d["y"]
