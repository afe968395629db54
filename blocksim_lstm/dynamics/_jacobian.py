"""Analytic Jacobians of the state-space form: ``A = df/dx``, ``B = df/du``,
``C = dg/dx``, ``D = dg/du``, batched, and Jacobian-vector products.

With ``z = W u + R h(t-1) + b`` split into gates ``z_i, z_f, z_g, z_o``::

    dc(t) = f * dc(t-1) + sum_gate dc/dz_gate * dz_gate
    dh(t) = k * dc(t) + tanh(c(t)) * o * (1 - o) * dz_o,   k = o * (1 - tanh(c)^2)
    dz    = R dh(t-1) + W du

so every block is a diagonal scaling of a row block of ``R`` or ``W`` (see
:class:`~blocksim_lstm.dynamics._statespace.StepParts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._parameters import LSTMParams
from ._statespace import StepParts, split_state, step_parts

__all__ = ["Jacobians", "lstm_jacobians", "lstm_jvp", "lstm_vjp", "state_jacobian"]


@dataclass(frozen=True)
class Jacobians:
    """The four Jacobians at one or many operating points.

    ``n`` is the state size: ``2Nn`` for the LSTMs, ``Nn`` for the GRU and the RNN.

    Attributes
    ----------
    A : ndarray, shape ``S + (n, n)``
        ``df/dx``; rows and columns ordered ``h`` then ``c``.
    B : ndarray, shape ``S + (n, Ni)``
        ``df/du``.
    C : ndarray, shape ``S + (No, n)``
        ``dg/dx``.
    D : ndarray, shape ``S + (No, Ni)``
        ``dg/du``.
    """

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    D: np.ndarray


def state_jacobian(params: LSTMParams, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Only ``A = df/dx`` at ``(x, u)``, batched (no argument checks).

    Returns
    -------
    ndarray, shape ``S + (2Nn, 2Nn)``
    """
    parts = step_parts(params, x, u)
    nn = params.nn
    R4 = params.R.reshape(4, nn, nn)
    batch = parts.h.shape[:-1]
    A = np.zeros(batch + (2 * nn, 2 * nn))
    A[..., :nn, :nn] = (parts.dh_dz[..., None] * R4).sum(axis=-3)
    A[..., nn:, :nn] = (parts.dc_dz[..., None] * R4).sum(axis=-3)
    idx = np.arange(nn)
    A[..., idx, nn + idx] = parts.k * parts.f
    A[..., nn + idx, nn + idx] = parts.f
    return A


def _blocks(params: LSTMParams, parts: StepParts) -> tuple[np.ndarray, ...]:
    nn, ni = params.nn, params.ni
    R4 = params.R.reshape(4, nn, nn)
    W4 = params.W.reshape(4, nn, ni)
    # diag(coef_gate) @ M_gate summed over the four gates, as a broadcast product
    a_hh = (parts.dh_dz[..., None] * R4).sum(axis=-3)
    a_ch = (parts.dc_dz[..., None] * R4).sum(axis=-3)
    b_h = (parts.dh_dz[..., None] * W4).sum(axis=-3)
    b_c = (parts.dc_dz[..., None] * W4).sum(axis=-3)
    return a_hh, a_ch, b_h, b_c


def lstm_jacobians(p: LSTMParams, xx: np.ndarray, uu: np.ndarray) -> Jacobians:
    """The LSTM's analytic ``A, B, C, D`` at ``(x, u)`` (no argument checks).

    Parameters
    ----------
    p
        float64 weights.
    xx : ndarray, shape ``(..., 2Nn)``
        Operating state ``(h(t-1), c(t-1))``.
    uu : ndarray, shape ``(..., Ni)``
        Operating input; broadcast against ``x``.

    Returns
    -------
    Jacobians
        Arrays with the broadcast batch shape ``S`` of ``x`` and ``u`` in front.
    """
    parts = step_parts(p, xx, uu)
    a_hh, a_ch, b_h, b_c = _blocks(p, parts)
    batch = a_hh.shape[:-2]
    nn = p.nn
    A = np.zeros(batch + (2 * nn, 2 * nn))
    A[..., :nn, :nn] = a_hh
    A[..., nn:, :nn] = a_ch
    idx = np.arange(nn)
    A[..., idx, nn + idx] = np.broadcast_to(parts.k * parts.f, batch + (nn,))
    A[..., nn + idx, nn + idx] = np.broadcast_to(parts.f, batch + (nn,))
    B = np.concatenate([b_h, b_c], axis=-2)
    C = p.F @ A[..., :nn, :]
    D = p.F @ b_h
    return Jacobians(A=A, B=B, C=C, D=D)


def lstm_jvp(
    params: LSTMParams,
    x: np.ndarray,
    u: np.ndarray,
    dx: np.ndarray,
    *,
    parts: StepParts | None = None,
) -> np.ndarray:
    """``A(x, u) @ dx`` without forming ``A`` (no argument checks).

    Parameters
    ----------
    params
        float64 weights.
    x : ndarray, shape ``(2Nn,)``
    u : ndarray, shape ``(Ni,)``
    dx : ndarray, shape ``(2Nn, k)``
        Tangent vectors as columns.
    parts
        :func:`step_parts` of ``(x, u)`` if already computed.

    Returns
    -------
    ndarray, shape ``(2Nn, k)``
    """
    nn = params.nn
    sp = step_parts(params, x, u) if parts is None else parts
    dh, dc = split_state(dx.T)  # (k, Nn) each
    dz = (dh @ params.R.T).reshape(dx.shape[1], 4, nn)  # (k, 4, Nn)
    dc_new = (sp.dc_dz * dz).sum(axis=-2) + sp.f * dc
    dh_new = (sp.dh_dz * dz).sum(axis=-2) + sp.k * sp.f * dc
    return np.concatenate([dh_new, dc_new], axis=-1).T


def lstm_vjp(
    params: LSTMParams,
    x: np.ndarray,
    u: np.ndarray,
    w: np.ndarray,
    *,
    parts: StepParts | None = None,
) -> np.ndarray:
    """``A(x, u)^T @ w`` without forming ``A``, batched (no argument checks).

    Parameters
    ----------
    params
        float64 weights.
    x : ndarray, shape ``(..., 2Nn)``
    u : ndarray, shape ``(..., Ni)``
    w : ndarray, shape ``(..., 2Nn)``
        Cotangent vectors, one per operating point.
    parts
        :func:`step_parts` of ``(x, u)`` if already computed.

    Returns
    -------
    ndarray, shape ``(..., 2Nn)``
    """
    nn = params.nn
    sp = step_parts(params, x, u) if parts is None else parts
    wh, wc = split_state(w)
    wz = sp.dh_dz * wh[..., None, :] + sp.dc_dz * wc[..., None, :]  # (..., 4, Nn)
    gh = wz.reshape(wz.shape[:-2] + (4 * nn,)) @ params.R
    gc = sp.k * sp.f * wh + sp.f * wc
    return np.concatenate([gh, gc], axis=-1)
