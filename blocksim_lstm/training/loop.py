"""The training loop: schedule, verbose table, progress, checkpoints, resume."""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import ArrayLike

from .._files import (
    OutputRefusedError,
    atomic_target,
    claim_folder,
    folder_kind,
    mark_folder,
    read_npz,
    remove_stale_temporaries,
    write_atomic,
)
from .._parameters import NPZ_KEYS, LSTMParams
from .._validate import check_positive_int
from . import _workspace
from ._memory import check_fits
from .bptt import check_data, loss, pack, segments, unpack
from .checkpoint import (
    CHECKPOINT,
    DATA,
    INITIAL,
    Checkpoint,
    load_checkpoint,
    run_id,
    save_checkpoint,
    save_data,
)
from .optim import DECAY_MASK, TrainOptions, piecewise_lr

__all__ = ["NonFiniteLossError", "TrainResult", "resumable", "resume", "train"]

KIND = "train"
"""The marker kind of a folder holding a training run."""

LOSS_CONVENTION = "mean of squared errors over all elements (not half-MSE)"
_CHUNK = 100  # a report point (callback, progress) at least every _CHUNK epochs
_CALL_S = 0.1  # target seconds per compiled call: Ctrl-C answers within about this


@dataclass(frozen=True)
class TrainResult:
    """Outcome of a training run.

    Attributes
    ----------
    params : LSTMParams
        Weights after the last update.
    initial : LSTMParams
        Starting weights.
    losses : ndarray, shape ``(epochs,)``
        Loss at the weights before each epoch's update (as MATLAB's log shows it).
    lrs : ndarray, shape ``(epochs,)``
        Learning rate of each epoch.
    options : TrainOptions
    elapsed_s : float
        Time spent in training epochs (excludes checkpoint writing).
    final_weights_loss : float
        Loss at the returned weights (after the last update).
    ms_per_epoch : float
        Median over this session's epochs of milliseconds per epoch, each
        epoch timed as its chunk's mean (the first, one-epoch chunk, which
        may load compiled code, is left out when there are others). The
        epochs numpy ran while numba compiled (see ``training._engine``) count
        with their own, slower, time.
    """

    params: LSTMParams
    initial: LSTMParams
    losses: np.ndarray
    lrs: np.ndarray
    options: TrainOptions
    elapsed_s: float
    final_weights_loss: float
    ms_per_epoch: float

    @property
    def epochs(self) -> int:
        """Epochs done."""
        return int(self.losses.size)

    def summary(self) -> dict[str, object]:
        """JSON-ready summary: first, final and best loss, timing, options."""
        best = int(np.argmin(self.losses))
        return {
            "first_loss": float(self.losses[0]),
            "final_loss": float(self.losses[-1]),
            "final_weights_loss": self.final_weights_loss,
            "best_loss": float(self.losses[best]),
            "best_epoch": best + 1,
            "start_was_best": best == 0,
            "epochs": self.epochs,
            "elapsed_s": self.elapsed_s,
            "ms_per_epoch": self.ms_per_epoch,
            "loss_convention": LOSS_CONVENTION,
            "options": self.options.to_dict(),
        }


class NonFiniteLossError(RuntimeError):
    """The loss or a gradient became NaN/Inf; ``.result`` holds the run so far.

    Parameters
    ----------
    message
        What became non-finite, and when.
    result
        The run up to the last finite epoch (None before the first).
    """

    def __init__(self, message: str, result: TrainResult | None) -> None:
        super().__init__(message)
        self.result = result


def _format_row(cells: tuple[object, ...]) -> str:
    return "| " + " | ".join(f"{c:>12}" for c in cells) + " |"


class _Reporter:
    """Verbose table on ``log`` and a one-line progress display on stderr."""

    def __init__(self, log: TextIO | None, every: int, total: int, progress: bool):
        self.log, self.every, self.total, self.progress = log, every, total, progress
        self._last_bar = 0.0

    def header(self) -> None:
        if self.log is not None and self.every > 0:
            cols = ("iteration", "epoch", "elapsed (s)", "learn rate", "loss")
            rule = "|" + "|".join("-" * 14 for _ in cols) + "|"
            print(rule, _format_row(cols), rule, sep="\n", file=self.log, flush=True)

    def row(self, epoch: int, elapsed: float, lr: float, value: float) -> None:
        if self.log is not None and self.every > 0:
            cells = (epoch, epoch, f"{elapsed:.2f}", f"{lr:.4g}", f"{value:.6g}")
            if self.progress:
                sys.stderr.write("\r\033[K")
            print(_format_row(cells), file=self.log, flush=True)

    def bar(
        self, epoch: int, elapsed: float, value: float, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not self.progress or (not force and now - self._last_bar < 0.1):
            return
        self._last_bar = now
        frac = epoch / self.total
        filled = int(30 * frac)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {epoch}/{self.total} "
            f"loss {value:.4g} {elapsed:.1f}s"
        )
        sys.stderr.flush()

    def done(self) -> None:
        if self.progress:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _boundaries(start: int, stop: int, every: int, ck_every: int) -> list[int]:
    """Epoch counts at which to return from compiled code (sorted, > start)."""
    marks = {stop}
    if start == 0:
        marks.add(1)  # the first epoch's row of the table
    for step in (every, ck_every, _CHUNK):
        if step > 0:
            marks.update(range((start // step + 1) * step, stop, step))
    return sorted(m for m in marks if start < m <= stop)


def _median_per_epoch(chunks: list[tuple[float, int]]) -> float:
    """Median over epochs of ``(ms per epoch, epochs)`` chunks (NaN if none)."""
    if not chunks:
        return math.nan
    ms = np.array([c[0] for c in chunks])
    n = np.array([c[1] for c in chunks])
    order = np.argsort(ms, kind="stable")
    ms, n = ms[order], n[order]
    upto = np.cumsum(n)
    total = int(upto[-1])
    lo = int(np.searchsorted(upto, (total + 1) // 2))  # the middle epoch(s)
    hi = int(np.searchsorted(upto, total // 2 + 1))
    return float((ms[lo] + ms[hi]) / 2)


def _run(
    initial: LSTMParams,
    u: np.ndarray,
    y: np.ndarray,
    options: TrainOptions,
    state: Checkpoint,
    *,
    out: Path | None,
    checkpoint_every: int,
    verbose_every: int,
    log: TextIO | None,
    progress: bool | None,
    callback: Callable[[int, float], None] | None,
) -> TrainResult:
    p = state.params
    nn, ni, no = p.nn, p.ni, p.no
    theta = pack(p)
    m, v = state.m.copy(), state.v.copy()
    total = options.epochs
    lrs = piecewise_lr(total, options.lr, options.drop_factor, options.drop_period)
    losses = np.full(total, np.nan)
    done = state.epoch
    losses[:done] = state.losses[:done]
    ws = _workspace.Workspace(u, y, p.h0, p.c0, theta.size, options.dtype)
    seg = segments(nn, ni, no)
    active = options.active_mask()
    show = progress if progress is not None else sys.stderr.isatty()
    rep = _Reporter(log, verbose_every, total, show)
    elapsed = state.elapsed_s
    last_ck = done
    chunk_ms: list[tuple[float, int]] = []  # ms per epoch, epochs: each call

    def result(upto: int) -> TrainResult:
        params = unpack(theta, p)
        return TrainResult(
            params=params,
            initial=initial,
            losses=losses[:upto].copy(),
            lrs=lrs[:upto].copy(),
            options=options,
            elapsed_s=elapsed,
            final_weights_loss=loss(params, u, y, dtype=options.dtype),
            ms_per_epoch=_median_per_epoch(chunk_ms[1:] or chunk_ms),
        )

    def weights_are_finite() -> bool:
        value = ws.loss(theta)
        return bool(np.isfinite(value))

    def checkpoint() -> None:
        nonlocal last_ck
        if out is not None and weights_are_finite():
            # never write weights whose loss is not finite: the next chunk
            # reports the failure and the previous checkpoint stays
            save_checkpoint(
                out,
                Checkpoint(
                    unpack(theta, p),
                    m,
                    v,
                    done,
                    losses[:done].copy(),
                    options,
                    elapsed,
                    state.run_id,
                ),
            )
            last_ck = done

    rep.header()
    try:
        budget = 1  # epochs per compiled call, adapted to ~_CALL_S seconds
        for stop in _boundaries(done, total, verbose_every, checkpoint_every):
            while done < stop:
                upto = min(stop, done + budget)
                t0 = time.perf_counter()
                n = ws.train_chunk(
                    theta,
                    m,
                    v,
                    done,
                    lrs[done:upto],
                    losses[done:upto],
                    seg,
                    active,
                    DECAY_MASK,
                    float(options.l2),
                    options.clip_mode(),
                    float(options.grad_threshold),
                    float(options.beta1),
                    float(options.beta2),
                    float(options.eps),
                )
                dt = time.perf_counter() - t0
                elapsed += dt
                if n:
                    chunk_ms.append((1e3 * dt / n, n))
                    budget = max(1, int(_CALL_S / (dt / n)))
                if n < upto - done:
                    bad = done + n  # 0-based epoch whose loss/gradient is not finite
                    rep.done()
                    where = (
                        f"; the last good checkpoint (epoch {last_ck}) is in "
                        f"{out / 'checkpoint.npz'}"
                        if out is not None
                        else ""
                    )
                    raise NonFiniteLossError(
                        "training stopped: non-finite loss or gradient at epoch "
                        f"{bad + 1} (loss {losses[bad]}, learning rate "
                        f"{lrs[bad]:.4g}){where}; try a smaller learning rate or a "
                        "gradient threshold",
                        result(bad) if bad > 0 else None,
                    )
                done = upto
                rep.bar(done, elapsed, losses[done - 1])
            if verbose_every > 0 and (done % verbose_every == 0 or done in (1, total)):
                rep.row(done, elapsed, lrs[done - 1], losses[done - 1])
            rep.bar(done, elapsed, losses[done - 1], force=done == total)
            if out is not None and (
                done == total or (checkpoint_every > 0 and done % checkpoint_every == 0)
            ):
                checkpoint()
            if callback is not None:
                callback(done, float(losses[done - 1]))
    except KeyboardInterrupt:
        rep.done()
        if log is not None:
            where = f"; last checkpoint: epoch {last_ck}" if out is not None else ""
            print(f"interrupted after epoch {done}{where}", file=log, flush=True)
        raise
    rep.done()
    res = result(done)
    if out is not None:
        _write_outputs(out, res)
    return res


RESULT_FILES: tuple[str, ...] = ("weights.npz", "loss.csv", "summary.json", "loss.png")
"""Files written at the end of a run (removed when a new run replaces a run)."""

_CSV_BLOCK = 10_000  # loss.csv is formatted this many rows at a time


def _check_every(checkpoint_every: int, verbose_every: int) -> None:
    check_positive_int("checkpoint_every", checkpoint_every, minimum=0)
    check_positive_int("verbose_every", verbose_every, minimum=0)


def _write_outputs(out: Path, res: TrainResult) -> None:
    res.params.save(out / "weights.npz")
    with atomic_target(out / "loss.csv") as tmp, open(tmp, "w") as fh:
        fh.write("epoch,learning_rate,loss\n")
        for lo in range(0, res.epochs, _CSV_BLOCK):
            hi = min(lo + _CSV_BLOCK, res.epochs)
            lrs, vals = res.lrs[lo:hi].tolist(), res.losses[lo:hi].tolist()
            fh.write(
                "".join(
                    f"{lo + k + 1},{lr!r},{val!r}\n"
                    for k, (lr, val) in enumerate(zip(lrs, vals, strict=True))
                )
            )
    write_atomic(out / "summary.json", json.dumps(res.summary(), indent=2) + "\n")


def _memory_check(uu: np.ndarray, p: LSTMParams, epochs: int, data: str) -> None:
    nb, nt, _ = uu.shape
    names = {"epochs": "epochs", "units": "params", "data": data}
    check_fits(nb, nt, p.nn, p.ni, p.no, epochs, names=names)


def _claim(out: Path, force: bool) -> None:
    """Refuse a folder holding a run or files not ours (unless ``force``)."""
    if not force and folder_kind(out) == KIND and any(out.iterdir()):
        raise OutputRefusedError(
            f"out: {out} already holds a training run; continue it with "
            f"'--resume {out}', name a new folder, or pass --force to replace it"
        )
    claim_folder(out, "out", kind=KIND, force=force, allow_ours=False)


def train(
    params: LSTMParams,
    u: ArrayLike,
    y: ArrayLike,
    options: TrainOptions | None = None,
    *,
    out: str | Path | None = None,
    force: bool = False,
    checkpoint_every: int = 500,
    verbose_every: int = 0,
    log: TextIO | None = None,
    progress: bool | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Train W, R, b, F, bF with Adam on full-batch mean squared error.

    Parameters
    ----------
    params
        Starting weights; ``h0``, ``c0`` are every sequence's fixed initial states.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s) (one batch of all of them per epoch).
    y : array_like, shape ``(T, No)`` or ``(B, T, No)``
        Targets.
    options
        Optimizer and schedule (default :class:`TrainOptions`).
    out
        Directory for the data, checkpoints and results (created); ``None``
        writes nothing. A folder that holds a training run, or files that
        blocksim-lstm did not write, is refused unless ``force``. The
        checkpoint of epoch 0 is written before training starts.
    force
        Accept any ``out`` folder: a previous run there is replaced (its
        results and checkpoint removed); other files are left alone.
    checkpoint_every
        Epochs between checkpoints (0 = only at the end).
    verbose_every
        Print a table row every this many epochs (and at the first and last)
        to ``log``; 0 prints nothing.
    log
        Stream for the table (e.g. ``sys.stdout``); ``None`` prints nothing.
    progress
        Show a progress line on stderr; default: when stderr is a terminal.
    callback
        Called as ``callback(epochs_done, last_loss)`` at each report point.

    Returns
    -------
    TrainResult

    Raises
    ------
    ValueError
        Bad data (shapes, NaN/Inf) or options; a refused ``out`` folder
        (:class:`~blocksim_lstm._files.OutputRefusedError`); a run that needs more
        memory than is available
        (:class:`~blocksim_lstm.training._memory.RunTooLargeError`).
    NonFiniteLossError
        The loss or a gradient became non-finite; the checkpoint in ``out`` is
        the last good one.
    KeyboardInterrupt
        Passed on after a note; the checkpoint in ``out`` stays intact.
    """
    options = TrainOptions() if options is None else options
    if not isinstance(options, TrainOptions):
        raise TypeError(f"options: expected TrainOptions, got {type(options).__name__}")
    _check_every(checkpoint_every, verbose_every)
    if params.dtype != np.float64:
        params = params.astype(np.float64)
    uu, yy = check_data(params, u, y)
    _memory_check(uu, params, options.epochs, "u")
    theta = pack(params)
    state = Checkpoint(
        params,
        np.zeros_like(theta),
        np.zeros_like(theta),
        0,
        np.zeros(0),
        options,
        0.0,
        run_id(uu, yy, params, options),
    )
    outp = None if out is None else Path(out)
    if outp is not None:
        _claim(outp, force)
        remove_stale_temporaries(outp)
        if folder_kind(outp) == KIND:
            # replacing a run of ours (force): its checkpoint first, so that no
            # instant pairs it with the new data; a resume checks run_id anyway
            for name in (CHECKPOINT, *RESULT_FILES):
                (outp / name).unlink(missing_ok=True)
        mark_folder(outp, KIND)
        save_data(outp, uu, yy)
        params.save(outp / INITIAL)
        save_checkpoint(outp, state)  # epoch 0: resumable from the first instant
    return _run(
        params,
        uu,
        yy,
        options,
        state,
        out=outp,
        checkpoint_every=checkpoint_every,
        verbose_every=verbose_every,
        log=log,
        progress=progress,
        callback=callback,
    )


def resume(
    out: str | Path,
    *,
    epochs: int | None = None,
    checkpoint_every: int = 500,
    verbose_every: int = 0,
    log: TextIO | None = None,
    progress: bool | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> TrainResult:
    """Continue the run saved in ``out`` from its last checkpoint.

    The result is bit-identical to an uninterrupted run with the same options.
    Before anything runs, the checkpoint's arrays are checked (shapes, dtypes,
    finite values) and its run identity is compared with the data and starting
    weights in ``out``: a checkpoint of another run is refused.

    Parameters
    ----------
    out
        Directory written by :func:`train`.
    epochs
        New total number of epochs (default: the run's own).
    checkpoint_every, verbose_every, log, progress, callback
        As in :func:`train`.

    Raises
    ------
    FileNotFoundError
        No checkpoint in ``out``.
    ValueError
        A damaged checkpoint, data or initial weights file, a checkpoint that
        belongs to other data, weights or options, too few ``epochs``, or a run
        that needs more memory than is available.
    """
    _check_every(checkpoint_every, verbose_every)
    outp = Path(out)
    ck = load_checkpoint(outp)
    initial, u, y = _load_run_inputs(outp, ck)
    options = ck.options
    if epochs is not None:
        opts = options.to_dict()
        opts["epochs"] = epochs
        options = TrainOptions.from_dict(opts)
    if options.epochs < ck.epoch:
        raise ValueError(
            f"epochs: the checkpoint already has {ck.epoch} epochs; "
            f"expected a total >= {ck.epoch}, got {options.epochs}"
        )
    _memory_check(u, initial, options.epochs, "data.npz")
    remove_stale_temporaries(outp)
    state = Checkpoint(
        ck.params, ck.m, ck.v, ck.epoch, ck.losses, options, ck.elapsed_s, ck.run_id
    )
    return _run(
        initial,
        u,
        y,
        options,
        state,
        out=outp,
        checkpoint_every=checkpoint_every,
        verbose_every=verbose_every,
        log=log,
        progress=progress,
        callback=callback,
    )


def _load_run_inputs(
    out: Path, ck: Checkpoint
) -> tuple[LSTMParams, np.ndarray, np.ndarray]:
    """The run's starting weights and data, checked against the checkpoint."""
    init_path, data_path = out / INITIAL, out / DATA
    d = read_npz(init_path, "resume", NPZ_KEYS, exact=True)
    try:
        initial = LSTMParams.from_arrays(**d)
    except ValueError as exc:
        raise ValueError(f"resume: {init_path}: {exc}") from exc
    sizes = (ck.params.nn, ck.params.ni, ck.params.no)
    if (initial.nn, initial.ni, initial.no) != sizes:
        raise ValueError(
            f"resume: {init_path}: sizes Nn={initial.nn}, Ni={initial.ni}, "
            f"No={initial.no} differ from the checkpoint's Nn={ck.params.nn}, "
            f"Ni={ck.params.ni}, No={ck.params.no}"
        )
    data = read_npz(data_path, "resume", ("u", "y"))
    for k, a in data.items():
        if a.dtype != np.float64 or a.ndim != 3:
            raise ValueError(
                f"resume: {data_path}: {k}: expected a float64 array of shape "
                f"(B, T, .), got dtype {a.dtype} shape {a.shape}"
            )
    try:
        u, y = check_data(initial, data["u"], data["y"])
    except ValueError as exc:
        raise ValueError(f"resume: {data_path}: {exc}") from exc
    if run_id(u, y, initial, ck.options) != ck.run_id:
        raise ValueError(
            f"resume: {out / CHECKPOINT} belongs to another run than {data_path} "
            f"and {init_path} (the data, starting weights or options differ from "
            "those the checkpoint was trained with); start a new run instead"
        )
    return initial, u, y


def resumable(out: str | Path) -> int | None:
    """Epochs done in the checkpoint of ``out`` if :func:`resume` would accept it.

    Parameters
    ----------
    out
        The run's output folder.

    Returns
    -------
    int or None
        ``None`` when there is no valid checkpoint of this run in ``out``.
    """
    outp = Path(out)
    try:
        ck = load_checkpoint(outp)
        _load_run_inputs(outp, ck)
    except (OSError, ValueError):
        return None
    return ck.epoch
