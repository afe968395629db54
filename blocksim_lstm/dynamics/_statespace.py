"""The LSTM + FC layer in state-space form: ``x(t+1) = f(x(t), u(t))``, ``y = g(x, u)``.

State ``x = (h, c)``, the two unit-delay outputs ``h(t-1)`` and ``c(t-1)`` of the
diagram, shape ``(2Nn,)`` with ``h`` first. One step maps them to ``(h(t), c(t))``;
the output ``y(t) = F h(t) + bF`` uses the *new* hidden state, so
``g(x, u) = F f_h(x, u) + bF`` has a direct feed-through from ``u(t)`` (SPEC §1:
``y(0)`` already depends on ``u(0)``).

Everything is float64 and batched: ``x`` of shape ``(..., 2Nn)`` with ``u`` of shape
``(..., Ni)`` (broadcast against each other).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit as sigmoid  # overflow-free, fast

from .._parameters import LSTMParams
from .._validate import as_array

__all__ = [
    "StepParts",
    "check_params",
    "check_state",
    "check_u0",
    "initial_state",
    "join_state",
    "output_map",
    "split_state",
    "state_map",
    "step_parts",
]


def check_params(params: object) -> LSTMParams:
    """Return ``params`` as float64 :class:`LSTMParams`, or raise ``TypeError``."""
    if not isinstance(params, LSTMParams):
        raise TypeError(f"params: expected LSTMParams, got {type(params).__name__}")
    return params if params.dtype == np.float64 else params.astype(np.float64)


def check_state(params: LSTMParams, x: ArrayLike, name: str = "x") -> np.ndarray:
    """Return ``x`` as a finite float64 array of shape ``(..., 2Nn)``."""
    arr = as_array(name, x)
    n = 2 * params.nn
    if arr.ndim < 1 or arr.shape[-1] != n:
        raise ValueError(
            f"{name}: expected shape (..., 2Nn) = (..., {n}) (h then c), "
            f"got shape {arr.shape}"
        )
    return arr


def check_u0(params: LSTMParams, u: ArrayLike | None, name: str = "u0") -> np.ndarray:
    """Return a constant input of shape ``(Ni,)``; ``None`` gives zeros.

    A scalar is accepted when ``Ni == 1``.
    """
    if u is None:
        return np.zeros(params.ni)
    arr = as_array(name, u)
    if arr.ndim == 0 and params.ni == 1:
        arr = arr.reshape(1)
    if arr.shape != (params.ni,):
        raise ValueError(
            f"{name}: expected {params.ni} value(s) (Ni = {params.ni}, one per "
            f"input), got shape {arr.shape}"
        )
    return arr


def join_state(h: ArrayLike, c: ArrayLike) -> np.ndarray:
    """Stack ``h`` and ``c`` (each ``(..., Nn)``) into ``x`` of shape ``(..., 2Nn)``.

    Parameters
    ----------
    h, c : array_like, shape ``(..., Nn)``
        Hidden and cell states.
    """
    return np.concatenate([np.asarray(h, float), np.asarray(c, float)], axis=-1)


def split_state(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split ``x`` of shape ``(..., 2Nn)`` into views ``h, c``, each ``(..., Nn)``.

    Parameters
    ----------
    x : ndarray, shape ``(..., 2Nn)``
        States ``(h, c)``.
    """
    nn = x.shape[-1] // 2
    return x[..., :nn], x[..., nn:]


def initial_state(params: LSTMParams) -> np.ndarray:
    """The diagram's initial state ``(h0, c0)`` of ``params``, shape ``(2Nn,)``.

    Parameters
    ----------
    params
        Weights and initial states ``h0, c0`` (each ``(Nn,)``).
    """
    return join_state(params.h0, params.c0)


@dataclass(frozen=True)
class StepParts:
    """The signals of one step that the Jacobians are built from.

    All arrays broadcast over the batch shape ``S`` of the call.

    Attributes
    ----------
    h, c : ndarray, shape ``S + (Nn,)``
        New states ``h(t)``, ``c(t)``.
    f : ndarray, shape ``S + (Nn,)``
        Forget gate: ``dc(t)/dc(t-1) = diag(f)``.
    k : ndarray, shape ``S + (Nn,)``
        ``o * (1 - tanh(c(t))^2)``: ``dh(t)/dc(t)``.
    dc_dz : ndarray, shape ``S + (4, Nn)``
        ``dc(t)`` per gate pre-activation ``z_i, z_f, z_g, z_o`` (last one zero).
    dh_dz : ndarray, shape ``S + (4, Nn)``
        ``dh(t)`` per gate pre-activation.
    """

    h: np.ndarray
    c: np.ndarray
    f: np.ndarray
    k: np.ndarray
    dc_dz: np.ndarray
    dh_dz: np.ndarray


def step_parts(params: LSTMParams, x: np.ndarray, u: np.ndarray) -> StepParts:
    """One step with the derivative coefficients (no argument checks).

    Parameters
    ----------
    params
        float64 weights.
    x : ndarray, shape ``(..., 2Nn)``
    u : ndarray, shape ``(..., Ni)``

    Returns
    -------
    StepParts
    """
    nn = params.nn
    h_prev, c_prev = split_state(x)
    z = u @ params.W.T + h_prev @ params.R.T + params.b
    zi, zf, zg, zo = (z[..., k * nn : (k + 1) * nn] for k in range(4))
    i, f, o = sigmoid(zi), sigmoid(zf), sigmoid(zo)
    g = np.tanh(zg)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    h = o * tc
    k = o * (1.0 - tc * tc)
    c_prev_b = np.broadcast_to(c_prev, c.shape)
    dc_dz = np.stack(
        [g * i * (1.0 - i), c_prev_b * f * (1.0 - f), i * (1.0 - g * g), 0.0 * c],
        axis=-2,
    )
    dh_dz = k[..., None, :] * dc_dz
    dh_dz[..., 3, :] = tc * o * (1.0 - o)
    return StepParts(h=h, c=c, f=f, k=k, dc_dz=dc_dz, dh_dz=dh_dz)


def _step(params: LSTMParams, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, ...]:
    nn = params.nn
    h_prev, c_prev = split_state(x)
    z = u @ params.W.T + h_prev @ params.R.T + params.b
    zi, zf, zg, zo = (z[..., k * nn : (k + 1) * nn] for k in range(4))
    c = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)
    h = sigmoid(zo) * np.tanh(c)
    return h, c


def state_map(params: LSTMParams, x: ArrayLike, u: ArrayLike) -> np.ndarray:
    """The one-step map ``f(x, u) = (h(t), c(t))``.

    Parameters
    ----------
    params
        Weights (cast to float64).
    x : array_like, shape ``(..., 2Nn)``
        ``(h(t-1), c(t-1))``.
    u : array_like, shape ``(..., Ni)``
        ``u(t)``; broadcast against ``x``.

    Returns
    -------
    ndarray, shape ``(..., 2Nn)``
    """
    p = check_params(params)
    h, c = _step(p, check_state(p, x), _check_u(p, u))
    return join_state(h, c)


def output_map(params: LSTMParams, x: ArrayLike, u: ArrayLike) -> np.ndarray:
    """The output map ``g(x, u) = F h(t) + bF`` with ``h(t) = f_h(x, u)``.

    Parameters
    ----------
    params
        Weights (cast to float64).
    x : array_like, shape ``(..., 2Nn)``
    u : array_like, shape ``(..., Ni)``

    Returns
    -------
    ndarray, shape ``(..., No)``
    """
    p = check_params(params)
    h, _ = _step(p, check_state(p, x), _check_u(p, u))
    return h @ p.F.T + p.bF


def _check_u(params: LSTMParams, u: ArrayLike) -> np.ndarray:
    arr = as_array("u", u)
    if arr.ndim == 0 and params.ni == 1:
        arr = arr.reshape(1)
    if arr.ndim < 1 or arr.shape[-1] != params.ni:
        raise ValueError(
            f"u: expected shape (..., Ni) = (..., {params.ni}), got shape {arr.shape}"
        )
    return arr
