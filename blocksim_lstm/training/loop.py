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

from .._files import write_atomic
from .._validate import check_positive_int
from ..parameters import LSTMParams
from . import _kernels
from .bptt import check_data, loss, pack, segments, unpack
from .checkpoint import (
    INITIAL,
    Checkpoint,
    load_checkpoint,
    load_data,
    save_checkpoint,
    save_data,
)
from .optim import DECAY_MASK, TrainOptions, piecewise_lr

__all__ = ["NonFiniteLossError", "TrainResult", "resume", "train"]

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
        Median over the compiled chunks of this session of milliseconds per
        epoch (the first, one-epoch chunk, which may load compiled code, is
        left out when there are others).
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
    """The loss or a gradient became NaN/Inf; ``.result`` holds the run so far."""

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
    ws = _kernels.Workspace(u, y, p.h0, p.c0, theta.size)
    seg = segments(nn, ni, no)
    active = options.active_mask()
    show = progress if progress is not None else sys.stderr.isatty()
    rep = _Reporter(log, verbose_every, total, show)
    elapsed = state.elapsed_s
    last_ck = done
    chunk_ms: list[float] = []  # ms per epoch of each compiled call

    def result(upto: int) -> TrainResult:
        params = unpack(theta, p)
        return TrainResult(
            params=params,
            initial=initial,
            losses=losses[:upto].copy(),
            lrs=lrs[:upto].copy(),
            options=options,
            elapsed_s=elapsed,
            final_weights_loss=loss(params, u, y),
            ms_per_epoch=float(np.median(chunk_ms[1:] or chunk_ms or [math.nan])),
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
                    unpack(theta, p), m, v, done, losses[:done].copy(), options, elapsed
                ),
            )
            last_ck = done

    rep.header()
    if out is not None and done == 0:
        checkpoint()  # epoch 0: a run can always be resumed
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
                    chunk_ms.append(1e3 * dt / n)
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
            print(
                f"interrupted after epoch {done}; last checkpoint: epoch {last_ck}",
                file=log,
                flush=True,
            )
        raise
    rep.done()
    res = result(done)
    if out is not None:
        _write_outputs(out, res)
    return res


RESULT_FILES: tuple[str, ...] = ("weights.npz", "loss.csv", "summary.json")
"""Files written at the end of a run (removed when a new run starts in the folder)."""


def _check_every(checkpoint_every: int, verbose_every: int) -> None:
    check_positive_int("checkpoint_every", checkpoint_every, minimum=0)
    check_positive_int("verbose_every", verbose_every, minimum=0)


def _write_outputs(out: Path, res: TrainResult) -> None:
    res.params.save(out / "weights.npz")
    lines = ["epoch,learning_rate,loss"]
    lines += [
        f"{k + 1},{lr!r},{val!r}"
        for k, (lr, val) in enumerate(
            zip(res.lrs.tolist(), res.losses.tolist(), strict=True)
        )
    ]
    write_atomic(out / "loss.csv", "\n".join(lines) + "\n")
    write_atomic(out / "summary.json", json.dumps(res.summary(), indent=2) + "\n")


def train(
    params: LSTMParams,
    u: ArrayLike,
    y: ArrayLike,
    options: TrainOptions | None = None,
    *,
    out: str | Path | None = None,
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
        writes nothing.
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
        Bad data (shapes, NaN/Inf) or options.
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
    theta = pack(params)
    outp = None if out is None else Path(out)
    if outp is not None:
        outp.mkdir(parents=True, exist_ok=True)
        for name in RESULT_FILES:  # a previous run's results would mislead
            (outp / name).unlink(missing_ok=True)
        save_data(outp, uu, yy)
        params.save(outp / INITIAL)
    state = Checkpoint(
        params, np.zeros_like(theta), np.zeros_like(theta), 0, np.zeros(0), options, 0.0
    )
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

    Parameters
    ----------
    out
        Directory written by :func:`train`.
    epochs
        New total number of epochs (default: the run's own).
    checkpoint_every, verbose_every, log, progress, callback
        As in :func:`train`.
    """
    _check_every(checkpoint_every, verbose_every)
    outp = Path(out)
    ck = load_checkpoint(outp)
    u, y = load_data(outp / "data.npz")
    initial = LSTMParams.load(outp / INITIAL)
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
    state = Checkpoint(
        ck.params, ck.m, ck.v, ck.epoch, ck.losses, options, ck.elapsed_s
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
