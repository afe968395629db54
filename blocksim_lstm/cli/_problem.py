"""Options shared by commands that run an LSTM on an input: weights, input, sizes."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import numpy as np

from .._experiment import EXPERIMENT1_TS, SEED, SEED_SIZES, SEED_STEPS, seed_input
from .._parameters import LSTMParams
from .._validate import as_array, check_memory, check_positive_int, check_seed

__all__ = ["add_problem_arguments", "load_input", "load_problem"]

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK"


def add_problem_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--weights --input --nn --ni --no --steps --seed --ts``."""
    g = parser.add_argument_group("problem (default: the seed's experiment 1)")
    g.add_argument(
        "--weights",
        type=Path,
        metavar="W.npz",
        help="weights .npz with keys W, R, b, F, bF, h0, c0 "
        "(default: seeded uniform [0,1) weights)",
    )
    g.add_argument(
        "--input",
        type=Path,
        metavar="U.npy",
        help="input sequence .npy, shape (steps, Ni) (default: seeded N(0,1))",
    )
    g.add_argument("--nn", type=int, help=f"units (default {SEED_SIZES['nn']})")
    g.add_argument("--ni", type=int, help=f"inputs (default {SEED_SIZES['ni']})")
    g.add_argument("--no", type=int, help=f"outputs (default {SEED_SIZES['no']})")
    g.add_argument("--steps", type=int, help=f"steps (default {SEED_STEPS})")
    g.add_argument("--seed", type=int, default=SEED, help=f"seed (default {SEED})")
    g.add_argument(
        "--ts",
        type=float,
        default=EXPERIMENT1_TS,
        help=f"sample time in seconds (default {EXPERIMENT1_TS})",
    )


def load_input(
    path: str | os.PathLike[str], ni: int, *, what: str = "--input"
) -> np.ndarray:
    """Read an input sequence from an ``.npy`` file (``numpy.save``).

    The header is read first: a file shorter than its header says, or holding
    anything but real numbers, is refused before any array is allocated.

    Parameters
    ----------
    path
        The ``.npy`` file.
    ni
        Input width Ni; a 1-D array is read as ``(steps, 1)`` when ``ni == 1``.
    what
        The argument named in messages.

    Returns
    -------
    ndarray, shape ``(steps, ni)``, float64, finite, ``steps >= 1``

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not an ``.npy`` (an ``.npz``, a folder, anything else), truncated,
        not real numbers, wrong shape, NaN or Inf. The message starts with
        ``what``.
    """
    path = Path(path)
    want = f"an .npy of shape (steps, Ni) with Ni = {ni} (numpy.save)"
    if path.is_dir():
        raise ValueError(f"{what}: expected {want}, got the folder {path}")
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no such file {path}")
    with open(path, "rb") as fh:
        magic = fh.read(len(_NPY_MAGIC))
        if magic.startswith(_ZIP_MAGIC):
            raise ValueError(
                f"{what}: {path} is an .npz archive, not a single array; expected "
                f"{want}"
            )
        if magic != _NPY_MAGIC:
            raise ValueError(f"{what}: {path} is not an .npy file; expected {want}")
        fh.seek(0)
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        except Exception as exc:  # any failure to parse is an unreadable header
            raise ValueError(
                f"{what}: {path} has an unreadable .npy header "
                f"({type(exc).__name__}); expected {want}"
            ) from exc
        if dtype.hasobject:
            raise ValueError(
                f"{what}: {path} holds Python objects (pickles are not read); "
                f"expected real numbers"
            )
        need = math.prod(shape) * dtype.itemsize
        have = os.fstat(fh.fileno()).st_size - fh.tell()
        if have < need:
            raise ValueError(
                f"{what}: {path} is truncated: its header says shape {shape} "
                f"({need} bytes of data) but it holds {have} bytes"
            )
        fh.seek(0)
        try:
            raw = np.load(fh, allow_pickle=False)
        except Exception as exc:  # any failure to parse is an unreadable file
            raise ValueError(
                f"{what}: {path} is not a readable .npy file ({type(exc).__name__})"
            ) from exc
    u = as_array(f"{what}: {path}", raw)
    if u.ndim == 1 and ni == 1:
        u = u[:, None]
    if u.ndim != 2 or u.shape[1] != ni:
        raise ValueError(
            f"{what}: {path}: expected shape (steps, Ni) with Ni = {ni}, "
            f"got shape {u.shape}"
        )
    if u.shape[0] < 1:
        raise ValueError(
            f"{what}: {path}: expected at least one step, got shape {u.shape}"
        )
    return u


def _check_size(name: str, given: int | None, actual: int, source: str) -> None:
    if given is not None and given != actual:
        raise ValueError(f"--{name}: {source} gives {name} = {actual}, got {given}")


def _weights_bytes(nn: int, ni: int, no: int) -> float:
    # W, R, b, F, bF, h0, c0; a few copies (draws, checks, float32 reference)
    return 8.0 * 4 * (4 * nn * (ni + nn + 1) + no * (nn + 1) + 2 * nn)


def load_problem(
    args: argparse.Namespace, *, runs: bool = True
) -> tuple[LSTMParams, np.ndarray]:
    """Weights and input from the options; sizes must agree with given files.

    Every option is checked, and the memory the command needs is estimated,
    before anything is allocated.

    Parameters
    ----------
    args
        The parsed options of :func:`add_problem_arguments`.
    runs
        The command runs the diagram (its recording must fit in memory).

    Raises
    ------
    ValueError, FileNotFoundError
        Unreadable files, wrong keys or shapes, sizes that contradict the files,
        sizes that cannot fit in memory, a bad seed or sample time.
    """
    from .._diagram import check_sample_time, run_bytes

    seed = check_seed("--seed", args.seed)
    sizes = {
        k: None
        if getattr(args, k) is None
        else check_positive_int(f"--{k}", getattr(args, k))
        for k in SEED_SIZES
    }
    steps = None if args.steps is None else check_positive_int("--steps", args.steps)
    if args.weights is not None:
        params = LSTMParams.load(args.weights, what="--weights")
        for name in ("nn", "ni", "no"):
            source = f"--weights {args.weights}"
            _check_size(name, sizes[name], getattr(params, name), source)
    else:
        nn, ni, no = (sizes[k] or v for k, v in SEED_SIZES.items())
        given = "/".join(f"--{k}" for k, v in sizes.items() if v is not None)
        check_memory(
            given or "--nn",
            _weights_bytes(nn, ni, no),
            f"weights of Nn={nn}, Ni={ni}, No={no}",
        )
        params = LSTMParams.random(nn, ni, no, seed=seed)
    u: np.ndarray | None = None
    if args.input is not None:
        u = load_input(args.input, params.ni, what="--input")
        _check_size("steps", steps, u.shape[0], f"--input {args.input}")
        n = u.shape[0]
    else:
        n = SEED_STEPS if steps is None else steps
    check_sample_time("--ts", args.ts, n)
    if runs:
        check_memory(
            "--steps",
            run_bytes(n, params.nn, params.ni, params.no),
            f"recording every wire of the block diagram over {n} steps",
        )
    if u is None:
        check_memory("--steps", 8.0 * n * params.ni, f"an input of {n} x {params.ni}")
        u = seed_input(n, params.ni, seed=seed)
    return params, u
