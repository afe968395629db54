"""Options shared by commands that run a cell on an input: cell, weights, sizes."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._experiment import EXPERIMENT1_TS, SEED, SEED_SIZES, SEED_STEPS, seed_input
from .._parameters import LSTMParams
from .._validate import as_array, check_memory, check_positive_int, check_seed

__all__ = [
    "CELL_NAMES",
    "add_cell_argument",
    "add_problem_arguments",
    "cell_title",
    "check_cell",
    "load_input",
    "load_problem",
    "load_weights",
    "sizes_text",
    "weight_files",
]

CELL_NAMES: tuple[str, ...] = ("lstm", "gru", "peephole", "rnn")
"""The names ``--cell`` takes (those of :data:`blocksim_lstm.cells.CELLS`)."""

_CELL_TITLES = {
    "lstm": "LSTM",
    "gru": "GRU",
    "peephole": "Peephole LSTM",
    "rnn": "Elman RNN",
}

# blocks per unit the one-layer diagram records each step (the LSTM's 27 is
# measured, see _diagram.run_bytes; the others by their wires per unit, rounded up)
_WIRES_PER_UNIT = {"lstm": 27, "gru": 30, "peephole": 31, "rnn": 5}
# entries per unit of a layer's weights beyond W and R: gates, bias rows, P
_GATES = {"lstm": 4, "gru": 3, "peephole": 4, "rnn": 1}


def add_cell_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--cell lstm|gru|peephole|rnn`` (checked by :func:`check_cell`).

    Parameters
    ----------
    parser
        The command's parser.
    """
    parser.add_argument(
        "--cell",
        metavar="{" + ",".join(CELL_NAMES) + "}",
        help="the recurrent cell: lstm (default), gru (PyTorch's convention), "
        "peephole (LSTM with peepholes, as ONNX) or rnn (Elman)",
    )


def check_cell(cell: str | None) -> str:
    """The cell named by ``--cell`` (``"lstm"`` when not given).

    Parameters
    ----------
    cell
        The option's value.

    Raises
    ------
    ValueError
        An unknown name; the one-line message lists the known ones.
    """
    if cell is None:
        return "lstm"
    if cell not in CELL_NAMES:
        raise ValueError(
            f"--cell: expected one of {', '.join(CELL_NAMES)}, got {cell!r}"
        )
    return cell


def build_diagram(params: Any, u: np.ndarray, *, ts: float) -> Any:
    """The one-layer block diagram of ``params``'s cell on the input ``u``.

    Parameters
    ----------
    params
        An :class:`~blocksim_lstm.LSTMParams` (the seed's diagram,
        :func:`~blocksim_lstm.build_lstm_diagram`) or a cell's parameters
        (:func:`~blocksim_lstm.build_cell_diagram`).
    u : ndarray, shape ``(T, Ni)``
        The input.
    ts
        Sample time in seconds.
    """
    if isinstance(params, list):
        from .._diagram import build_cell_diagram

        return build_cell_diagram(params, u, ts=ts)
    if isinstance(params, LSTMParams):
        from .._diagram import build_lstm_diagram

        return build_lstm_diagram(params, u, ts=ts)
    from .._diagram import build_cell_diagram

    return build_cell_diagram(params, u, ts=ts)


def cell_title(cell: str) -> str:
    """How output text names a cell (``"GRU"``, ``"Elman RNN"``, ...).

    Parameters
    ----------
    cell
        A name of :data:`CELL_NAMES`.
    """
    return _CELL_TITLES[cell]


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK"


def add_problem_arguments(
    parser: argparse.ArgumentParser, *, stacked: bool = False
) -> None:
    """Add ``--cell --weights --input --nn --ni --no --steps --seed --ts``.

    Parameters
    ----------
    parser
        The command's parser.
    stacked
        ``--weights`` takes one file per layer (stacked layers, first to last).
    """
    g = parser.add_argument_group("problem (default: the seed's experiment 1)")
    add_cell_argument(g)  # type: ignore[arg-type]
    g.add_argument(
        "--weights",
        type=Path,
        metavar="W.npz",
        nargs="+" if stacked else None,
        help="weights .npz with keys W, R, b, F, bF, h0, c0 for the LSTM (a GRU's: "
        "W, R, bW, bR, F, bF, h0; a peephole LSTM's: the LSTM's and P; an RNN's: "
        "W, R, b, F, bF, h0), as the parameter classes' save writes them "
        "(default: seeded uniform [0,1) weights)"
        + (
            "; several files: stacked layers, first to last (import --layer all "
            "writes them), the last one's F, bF the FC layer"
            if stacked
            else ""
        ),
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


def _weights_bytes(nn: int, ni: int, no: int, cell: str = "lstm") -> float:
    # W, R, biases, F, bF, states; a few copies (draws, checks, float32 reference)
    g = _GATES[cell]
    return 8.0 * 4 * (g * nn * (ni + nn + 2) + 3 * nn + no * (nn + 1) + 2 * nn)


def _run_bytes(cell: str, steps: int, nn: int, ni: int, no: int) -> float:
    from .._diagram import run_bytes

    if cell == "lstm":
        return run_bytes(steps, nn, ni, no)
    widths = ni + _WIRES_PER_UNIT[cell] * nn + no
    return float(steps) * (32.0 * widths + 5000.0)


def load_weights(path: Path, cell: str) -> Any:
    """Read ``--weights`` as the weights of ``cell``.

    A file of another cell is refused with a message naming both cells (and
    the ``--cell`` that reads it).

    Parameters
    ----------
    path
        The ``.npz`` file.
    cell
        A name of :data:`CELL_NAMES`.

    Raises
    ------
    FileNotFoundError, ValueError
        No such file, another cell's weights, wrong keys or shapes.
    """
    from ..cells import load_cell

    return load_cell(path, cell, what="--weights")


def load_problem(
    args: argparse.Namespace, *, runs: bool = True
) -> tuple[Any, np.ndarray]:
    """Weights and input from the options; sizes must agree with given files.

    ``--cell`` picks the cell (LSTM by default): its weights file, or its
    seeded random weights (:meth:`~blocksim_lstm.cells.CellParams.random`,
    the LSTM's :meth:`~blocksim_lstm.LSTMParams.random`).

    Every option is checked, and the memory the command needs is estimated,
    before anything is allocated.

    Parameters
    ----------
    args
        The parsed options of :func:`add_problem_arguments`.
    runs
        The command runs the diagram (its recording must fit in memory).

    Returns
    -------
    params
        An :class:`~blocksim_lstm.LSTMParams` or a cell's parameters
        (:mod:`blocksim_lstm.cells`).
    u : ndarray, shape ``(steps, Ni)``
        The input.

    Raises
    ------
    ValueError, FileNotFoundError
        An unknown cell, unreadable files, another cell's weights, wrong keys or
        shapes, sizes that contradict the files, sizes that cannot fit in
        memory, a bad seed or sample time.
    """
    from .._diagram import check_sample_time

    cell = check_cell(getattr(args, "cell", None))
    seed = check_seed("--seed", args.seed)
    sizes = {
        k: None
        if getattr(args, k) is None
        else check_positive_int(f"--{k}", getattr(args, k))
        for k in SEED_SIZES
    }
    steps = None if args.steps is None else check_positive_int("--steps", args.steps)
    files = weight_files(args)
    if len(files) > 1:
        layers = [load_weights(f, cell) for f in files]
        for k in range(1, len(layers)):
            if layers[k].ni != layers[k - 1].nn:
                raise ValueError(
                    f"--weights: layer {k + 1} ({files[k]}) has Ni={layers[k].ni}, "
                    f"expected Nn={layers[k - 1].nn} of layer {k} ({files[k - 1]}), "
                    "whose h(t) is its input"
                )
        params: Any = layers
        first, last = layers[0], layers[-1]
        source = f"--weights {' '.join(map(str, files))}"
        _check_size("ni", sizes["ni"], first.ni, source)
        _check_size("no", sizes["no"], last.no, source)
        if sizes["nn"] is not None:
            raise ValueError("--nn: the units come from the stacked --weights files")
    elif files:
        params = load_weights(files[0], cell)
        for name in ("nn", "ni", "no"):
            source = f"--weights {files[0]}"
            _check_size(name, sizes[name], getattr(params, name), source)
    else:
        nn, ni, no = (sizes[k] or v for k, v in SEED_SIZES.items())
        given = "/".join(f"--{k}" for k, v in sizes.items() if v is not None)
        check_memory(
            given or "--nn",
            _weights_bytes(nn, ni, no, cell),
            f"weights of Nn={nn}, Ni={ni}, No={no}",
        )
        if cell == "lstm":
            params = LSTMParams.random(nn, ni, no, seed=seed)
        else:
            from ..cells import params_class

            cls: Any = params_class(cell)
            params = cls.random(nn, ni, no, seed=seed)
    first = params[0] if isinstance(params, list) else params
    last = params[-1] if isinstance(params, list) else params
    nn_all = sum(p.nn for p in params) if isinstance(params, list) else params.nn
    u: np.ndarray | None = None
    if args.input is not None:
        u = load_input(args.input, first.ni, what="--input")
        _check_size("steps", steps, u.shape[0], f"--input {args.input}")
        n = u.shape[0]
    else:
        n = SEED_STEPS if steps is None else steps
    check_sample_time("--ts", args.ts, n)
    if runs:
        check_memory(
            "--steps",
            _run_bytes(cell, n, nn_all, first.ni, last.no),
            f"recording every wire of the block diagram over {n} steps",
        )
    if u is None:
        check_memory("--steps", 8.0 * n * first.ni, f"an input of {n} x {first.ni}")
        u = seed_input(n, first.ni, seed=seed)
    return params, u


def weight_files(args: argparse.Namespace) -> list[Path]:
    """The ``--weights`` files given (none, one, or one per stacked layer).

    Parameters
    ----------
    args
        The parsed options of :func:`add_problem_arguments`.
    """
    w = getattr(args, "weights", None)
    if w is None:
        return []
    return list(w) if isinstance(w, list) else [w]


def sizes_text(params: Any) -> str:
    """``Nn=3, Ni=4, No=2`` for a layer, ``Nn=3+3, Ni=2, No=1`` for a stack.

    Parameters
    ----------
    params
        A cell's parameters or a list of them (stacked layers).
    """
    if isinstance(params, list):
        nn = "+".join(str(p.nn) for p in params)
        return f"Nn={nn}, Ni={params[0].ni}, No={params[-1].no}"
    return f"Nn={params.nn}, Ni={params.ni}, No={params.no}"
