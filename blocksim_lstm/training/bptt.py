"""Loss and gradients of the LSTM + FC network by backpropagation through time.

The loss is the plain mean squared error over every element,
``L = sum((yhat - y)**2) / (B * T * No)``; MATLAB's "half-MSE" would be ``L / 2``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._parameters import LSTMParams
from .._reference import check_input
from .._validate import as_array
from . import _workspace

__all__ = [
    "LEARNABLES",
    "check_data",
    "loss",
    "loss_and_gradients",
    "pack",
    "segments",
    "unpack",
]

LEARNABLES: tuple[str, str, str, str, str] = ("W", "R", "b", "F", "bF")
"""The trained arrays, in the order of the flat parameter vector."""


def segments(nn: int, ni: int, no: int) -> np.ndarray:
    """Start and stop of each learnable array in the flat vector.

    Parameters
    ----------
    nn, ni, no
        Units, input width and output width.

    Returns
    -------
    ndarray of int64, shape ``(5, 2)``
        Rows W, R, b, F, bF; columns start, stop.
    """
    sizes = [4 * nn * ni, 4 * nn * nn, 4 * nn, no * nn, no]
    stops = np.cumsum(sizes)
    return np.stack([stops - sizes, stops], axis=1).astype(np.int64)


def pack(params: LSTMParams) -> np.ndarray:
    """Flatten W, R, b, F, bF into one float64 vector (row-major, in that order).

    Parameters
    ----------
    params
        Weights (sizes Nn, Ni, No).

    Returns
    -------
    ndarray, shape ``(4Nn(Ni + Nn + 1) + No(Nn + 1),)``
    """
    return np.concatenate(
        [np.asarray(getattr(params, k), np.float64).ravel() for k in LEARNABLES]
    )


def unpack(theta: np.ndarray, like: LSTMParams) -> LSTMParams:
    """Inverse of :func:`pack`: new parameters with ``like``'s sizes and states.

    Parameters
    ----------
    theta : ndarray, shape ``(P,)``
        A flat vector from :func:`pack` (P learnable numbers).
    like
        Parameters whose sizes and initial states the result keeps.
    """
    seg = segments(like.nn, like.ni, like.no)
    arrays = {
        k: theta[lo:hi].reshape(getattr(like, k).shape)
        for k, (lo, hi) in zip(LEARNABLES, seg, strict=True)
    }
    return like.replace(**arrays)


def check_data(
    params: LSTMParams, u: ArrayLike, y: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Check training data against the network's sizes.

    Parameters
    ----------
    params
        Gives Ni and No.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s); 1-D accepted when ``Ni == 1``.
    y : array_like, shape ``(T, No)`` or ``(B, T, No)``
        Target sequence(s); 1-D accepted when ``No == 1``.

    Returns
    -------
    u, y : ndarray, shapes ``(B, T, Ni)`` and ``(B, T, No)``, float64, C-contiguous

    Raises
    ------
    ValueError
        Wrong widths, different lengths or batch sizes, NaN/Inf.
    """
    uu = check_input(u, params.ni)
    yy = as_array("y", y, None)
    if yy.ndim == 1 and params.no == 1:
        yy = yy[:, None]
    if yy.ndim != uu.ndim:
        raise ValueError(
            f"y: expected {uu.ndim} dimensions like u (shape {uu.shape}), "
            f"got shape {yy.shape}"
        )
    if yy.shape[-1] != params.no:
        raise ValueError(
            f"y: expected {params.no} columns (No={params.no}), got shape {yy.shape}"
        )
    if yy.shape[:-1] != uu.shape[:-1]:
        raise ValueError(
            f"y: expected the same steps (and batch) as u {uu.shape[:-1]}, "
            f"got shape {yy.shape}"
        )
    if uu.ndim == 2:
        uu, yy = uu[None], yy[None]
    return np.ascontiguousarray(uu), np.ascontiguousarray(yy)


def _run(params: LSTMParams, u: ArrayLike, y: ArrayLike, grad: bool, dtype: str):
    if dtype not in _workspace.DTYPES:
        raise ValueError(
            f"dtype: expected one of {sorted(_workspace.DTYPES)}, got {dtype!r}"
        )
    uu, yy = check_data(params, u, y)
    theta = pack(params)
    ws = _workspace.Workspace(uu, yy, params.h0, params.c0, theta.size, dtype)
    if not grad:
        return float(ws.loss(theta)), None
    value = ws.gradient(theta)
    g = ws.grad
    seg = segments(params.nn, params.ni, params.no)
    grads = {
        k: g[lo:hi].reshape(getattr(params, k).shape).copy()
        for k, (lo, hi) in zip(LEARNABLES, seg, strict=True)
    }
    return float(value), grads


def loss(
    params: LSTMParams, u: ArrayLike, y: ArrayLike, *, dtype: str = "float64"
) -> float:
    """Mean squared error of the network on ``(u, y)`` (see :func:`check_data`).

    Parameters
    ----------
    params
        Weights of the LSTM + FC network.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
        Input sequence(s).
    y : array_like, shape ``(T, No)`` or ``(B, T, No)``
        Target output(s).
    dtype
        ``"float64"`` or ``"float32"``: the arithmetic of the forward pass, as in
        :class:`~blocksim_lstm.training.TrainOptions`; the loss is summed in
        float64 either way.
    """
    return _run(params, u, y, False, dtype)[0]


def loss_and_gradients(
    params: LSTMParams, u: ArrayLike, y: ArrayLike, *, dtype: str = "float64"
) -> tuple[float, dict[str, np.ndarray]]:
    """Mean squared error and its gradient with respect to W, R, b, F, bF.

    Parameters
    ----------
    params
        Network; ``h0`` and ``c0`` are the (fixed) initial states of every sequence.
    u : array_like, shape ``(T, Ni)`` or ``(B, T, Ni)``
    y : array_like, shape ``(T, No)`` or ``(B, T, No)``
    dtype
        ``"float64"`` (default) or ``"float32"``: the arithmetic of the forward
        and backward passes (the gradient is returned as float64 arrays either
        way).

    Returns
    -------
    loss : float
        ``sum((yhat - y)**2) / (B T No)``.
    gradients : dict
        ``"W" (4Nn, Ni)``, ``"R" (4Nn, Nn)``, ``"b" (4Nn,)``, ``"F" (No, Nn)``,
        ``"bF" (No,)``.
    """
    value, grads = _run(params, u, y, True, dtype)
    assert grads is not None
    return value, grads
