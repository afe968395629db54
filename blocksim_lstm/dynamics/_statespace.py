"""The LSTM + FC layer in state-space form, ``x(t+1) = f(x(t), u(t))``,
``y = g(x, u)``: the LSTM's side of :class:`~blocksim_lstm.dynamics.CellSystem`.

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
from ..cells import cell_name

__all__ = [
    "StepParts",
    "check_params",
    "join_state",
    "split_state",
    "step_parts",
]


def check_params(
    params: object, purpose: str = "this", *, what: str = "params"
) -> LSTMParams:
    """Return ``params`` as float64 :class:`LSTMParams`, or raise ``TypeError``.

    For what is defined for the LSTM only (Bonassi et al.'s ISS condition, the
    pole study); the error names the cell given instead.

    Parameters
    ----------
    params
        Expected: :class:`~blocksim_lstm.LSTMParams`.
    purpose
        What needs the LSTM, for the message.
    what
        The argument named in the error.
    """
    if isinstance(params, LSTMParams):
        return params if params.dtype == np.float64 else params.astype(np.float64)
    cell = getattr(params, "cell", None)  # a CellSystem
    if not isinstance(cell, str):
        try:
            cell = cell_name(params)
        except TypeError:
            cell = None
    got = type(params).__name__
    if cell is not None:
        got = f"the parameters of the {cell} cell ({got})"
    raise TypeError(
        f"{what}: expected LSTMParams ({purpose} is defined for the LSTM only), "
        f"got {got}"
    )


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
