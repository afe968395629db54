"""One interface for every cell's dynamics: :class:`CellSystem`.

A recurrent cell followed by its FC layer is a discrete-time system
``x(t+1) = f(x(t), u(t))``, ``y(t) = g(x(t), u(t)) = F h(t) + bF`` whose state
``x`` stacks the cell's delayed state arrays (``h``; or ``h`` then ``c``). A
:class:`CellSystem` exposes what the analysis needs and nothing more: state size
and names, initial state, the one-step map ``f`` and the output map ``g``
(batched), and the analytic Jacobians ``A = df/dx``, ``B = df/du``,
``C = dg/dx``, ``D = dg/du``. Equilibria, linearization, Lyapunov exponents,
contraction and :func:`~blocksim_lstm.dynamics.analyze` are written once against
it; :func:`cell_system` picks the implementation from the parameters' class:

- LSTM (:class:`~blocksim_lstm.LSTMParams`): state ``(h, c)``, the analytic
  Jacobians of :mod:`._jacobian` (gate by gate, without forming ``A`` where it
  is not needed);
- LSTM with peepholes (:class:`~blocksim_lstm.cells.PeepholeParams`): ``(h, c)``;
- GRU (:class:`~blocksim_lstm.cells.GRUParams`, both placements of the reset
  gate): ``h``;
- Elman RNN (:class:`~blocksim_lstm.cells.RNNParams`, tanh or ReLU): ``h``.

The ReLU is not differentiable at 0: its derivative is taken as 0 there (the
subgradient PyTorch's autograd uses, ``relu'(a) = 1 if a > 0 else 0``), so ``A``
and ``B`` are exact wherever no pre-activation is exactly zero (almost
everywhere) and one-sided elsewhere.

A cell of one's own: subclass :class:`CellSystem`, set :attr:`CellSystem.cell`,
:attr:`~CellSystem.STATES`, :attr:`~CellSystem.BOUNDS`, implement
:meth:`~CellSystem.step` and :meth:`~CellSystem.step_jacobians`, and pass an
instance wherever parameters are accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit as sigmoid

from .._parameters import LSTMParams
from .._validate import as_array
from ..cells import GRUParams, PeepholeParams, RNNParams, cell_name
from ._jacobian import Jacobians, lstm_jacobians, lstm_jvp, lstm_vjp, state_jacobian
from ._statespace import StepParts, _step, check_params, join_state, step_parts

__all__ = [
    "CellSystem",
    "GRUSystem",
    "LSTMSystem",
    "PeepholeSystem",
    "RNNSystem",
    "cell_system",
    "initial_state",
    "jacobians",
    "jvp",
    "output_map",
    "state_map",
    "vjp",
]

TangentMap = Callable[[int, np.ndarray], np.ndarray]
"""``(t, Q) -> A(t) @ Q`` along a trajectory (``Q`` of shape ``(n, k)``)."""

VJP = Callable[[np.ndarray], np.ndarray]
"""``w -> A^T w`` at the points of one batched step (``w`` of shape ``(..., n)``)."""


class CellSystem:
    """A recurrent cell + FC layer as ``x(t+1) = f(x, u)``, ``y = g(x, u)``.

    Methods take float64 arrays, already checked (the public functions of
    :mod:`blocksim_lstm.dynamics` check them), batched over leading dimensions:
    ``x`` of shape ``(..., n)`` with ``u`` of shape ``(..., Ni)`` (broadcast).

    Parameters
    ----------
    params
        The cell's parameters (cast to float64).

    Attributes
    ----------
    cell : str
        The cell's name (``"lstm"``, ``"gru"``, ...).
    STATES : tuple of str
        The state arrays in state-vector order, ``h`` first; each has ``Nn``
        entries, so the state size is ``n = len(STATES) * Nn``.
    BOUNDS : tuple of float or None
        Per state array, a bound of ``|x|`` every reachable state keeps (``h``
        of a tanh cell: 1) or None; random starts are drawn inside it.
    params
        The float64 parameters.
    """

    cell: ClassVar[str] = "cell"
    STATES: ClassVar[tuple[str, ...]] = ("h",)
    BOUNDS: ClassVar[tuple[float | None, ...]] = (None,)

    def __init__(self, params: Any) -> None:
        self.params = params

    # ------------------------------------------------------------- sizes
    @property
    def nn(self) -> int:
        """Units Nn."""
        return int(self.params.nn)

    @property
    def ni(self) -> int:
        """Input width Ni."""
        return int(self.params.ni)

    @property
    def no(self) -> int:
        """Output width No."""
        return int(self.params.no)

    @property
    def n(self) -> int:
        """State size ``len(STATES) * Nn``."""
        return len(self.STATES) * self.nn

    @property
    def size_text(self) -> str:
        """The state size in words: ``"2Nn"`` or ``"Nn"``."""
        return "Nn" if len(self.STATES) == 1 else f"{len(self.STATES)}Nn"

    @property
    def bounds(self) -> tuple[float | None, ...]:
        """:attr:`BOUNDS` (a cell whose bounds depend on a setting overrides this)."""
        return self.BOUNDS

    @property
    def title(self) -> str:
        """A short readable name (``"LSTM"``, ``"GRU"``, ``"RNN (relu)"``...)."""
        return self.cell.upper()

    def state_labels(self) -> list[str]:
        """Names of the state coordinates: ``h[0], .., h[Nn-1]`` (then ``c[..]``)."""
        return [f"{s}[{j}]" for s in self.STATES for j in range(self.nn)]

    def initial_state(self) -> np.ndarray:
        """The parameters' initial state (``h0``; or ``h0, c0``), shape ``(n,)``."""
        return np.concatenate(
            [np.asarray(getattr(self.params, f"{s}0"), float) for s in self.STATES]
        )

    def split(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Views of the state arrays of ``x`` by name, each ``(..., Nn)``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        """
        nn = self.nn
        return {s: x[..., k * nn : (k + 1) * nn] for k, s in enumerate(self.STATES)}

    # -------------------------------------------------------------- maps
    def step(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The one-step map ``f(x, u)``, shape ``(..., n)``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``
        """
        raise NotImplementedError

    def output(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The output map ``g(x, u) = F h(t) + bF``, shape ``(..., No)``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``
        """
        h = self.step(x, u)[..., : self.nn]
        return h @ self.params.F.T + self.params.bF  # type: ignore[no-any-return]

    def step_jacobians(
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Analytic ``A = df/dx`` and ``B = df/du``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``

        Returns
        -------
        A : ndarray, shape ``S + (n, n)``
        B : ndarray, shape ``S + (n, Ni)``
            ``S``: the broadcast batch shape of ``x`` and ``u``.
        """
        raise NotImplementedError

    def state_jacobian(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Only ``A = df/dx``, shape ``S + (n, n)``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``
        """
        return self.step_jacobians(x, u)[0]

    def jacobians(self, x: np.ndarray, u: np.ndarray) -> Jacobians:
        """``A, B`` and, through ``y = F h(t) + bF``, ``C = F A_h``, ``D = F B_h``.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``
        """
        A, B = self.step_jacobians(x, u)
        F = self.params.F
        return Jacobians(
            A=A, B=B, C=F @ A[..., : self.nn, :], D=F @ B[..., : self.nn, :]
        )

    def jvp(self, x: np.ndarray, u: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """``A(x, u) @ dx`` for one point: ``x (n,)``, ``u (Ni,)``, ``dx (n, k)``.

        Parameters
        ----------
        x : ndarray, shape ``(n,)``
        u : ndarray, shape ``(Ni,)``
        dx : ndarray, shape ``(n, k)``
        """
        return self.state_jacobian(x, u) @ dx  # type: ignore[no-any-return]

    def step_vjp(self, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, VJP]:
        """One batched step and the products ``w -> A^T w`` at its points.

        Parameters
        ----------
        x : ndarray, shape ``(..., n)``
        u : ndarray, shape ``(..., Ni)``

        Returns
        -------
        x_next : ndarray, shape ``(..., n)``
            ``f(x, u)``.
        vjp : callable
            ``w (..., n) -> A^T w (..., n)``, one cotangent per point.
        """
        A = self.state_jacobian(x, u)
        return self.step(x, u), lambda w: np.einsum("...ij,...i->...j", A, w)

    def tangent(self, X: np.ndarray, U: np.ndarray) -> TangentMap:
        """The tangent maps ``Q -> A(t) Q`` along a trajectory.

        Parameters
        ----------
        X : ndarray, shape ``(T, n)``
            The states ``x(t)``.
        U : ndarray, shape ``(T, Ni)``
            The inputs ``u(t)``.

        Returns
        -------
        callable
            ``(t, Q (n, k)) -> A(x(t), u(t)) @ Q``.
        """

        def apply(t: int, Q: np.ndarray) -> np.ndarray:
            return self.state_jacobian(X[t], U[t]) @ Q  # type: ignore[no-any-return]

        return apply

    # ------------------------------------------------------------ checks
    def check_state(self, x: ArrayLike, name: str = "x") -> np.ndarray:
        """``x`` as a finite float64 array of shape ``(..., n)``, or ValueError.

        Parameters
        ----------
        x : array_like
        name
            The argument named in the error.
        """
        arr = as_array(name, x)
        if arr.ndim < 1 or arr.shape[-1] != self.n:
            raise ValueError(
                f"{name}: expected shape (..., {self.size_text}) = (..., {self.n}) "
                f"({' then '.join(self.STATES)}), got shape {arr.shape}"
            )
        return arr

    def check_input(self, u: ArrayLike, name: str = "u") -> np.ndarray:
        """``u`` as a finite float64 array of shape ``(..., Ni)`` (a scalar when
        ``Ni == 1``), or ValueError.

        Parameters
        ----------
        u : array_like
        name
            The argument named in the error.
        """
        arr = as_array(name, u)
        if arr.ndim == 0 and self.ni == 1:
            arr = arr.reshape(1)
        if arr.ndim < 1 or arr.shape[-1] != self.ni:
            raise ValueError(
                f"{name}: expected shape (..., Ni) = (..., {self.ni}), "
                f"got shape {arr.shape}"
            )
        return arr

    def check_u0(self, u: ArrayLike | None, name: str = "u0") -> np.ndarray:
        """A constant input of shape ``(Ni,)``; None gives zeros.

        Parameters
        ----------
        u : array_like, optional
        name
            The argument named in the error.
        """
        if u is None:
            return np.zeros(self.ni)
        arr = as_array(name, u)
        if arr.ndim == 0 and self.ni == 1:
            arr = arr.reshape(1)
        if arr.shape != (self.ni,):
            raise ValueError(
                f"{name}: expected {self.ni} value(s) (Ni = {self.ni}, one per "
                f"input), got shape {arr.shape}"
            )
        return arr


def _rows(coef: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``diag(coef) @ M``, batched: ``coef (..., m)``, ``M (m, k)``, result
    ``(..., m, k)``."""
    return coef[..., :, None] * M


def _diag(v: np.ndarray) -> np.ndarray:
    """A batch of diagonal matrices from ``v (..., m)``."""
    out = np.zeros(v.shape + v.shape[-1:])
    idx = np.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


# ------------------------------------------------------------------ LSTM
class LSTMSystem(CellSystem):
    """The LSTM: state ``(h, c)``; the gate-by-gate Jacobians of :mod:`._jacobian`."""

    cell = "lstm"
    STATES = ("h", "c")
    BOUNDS = (1.0, None)
    params: LSTMParams

    def step(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        return join_state(*_step(self.params, x, u))

    def output(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        h, _ = _step(self.params, x, u)
        return h @ self.params.F.T + self.params.bF  # type: ignore[no-any-return]

    def step_jacobians(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        J = lstm_jacobians(self.params, x, u)
        return J.A, J.B

    def state_jacobian(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        return state_jacobian(self.params, x, u)

    def jacobians(self, x: np.ndarray, u: np.ndarray) -> Jacobians:  # noqa: D102
        return lstm_jacobians(self.params, x, u)

    def jvp(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray, dx: np.ndarray
    ) -> np.ndarray:
        return lstm_jvp(self.params, x, u, dx)

    def step_vjp(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, VJP]:
        parts = step_parts(self.params, x, u)  # one forward pass for both
        return join_state(parts.h, parts.c), lambda w: lstm_vjp(
            self.params, x, u, w, parts=parts
        )

    def tangent(self, X: np.ndarray, U: np.ndarray) -> TangentMap:  # noqa: D102
        p = self.params
        parts: StepParts = step_parts(p, X, U)  # every step's coefficients at once
        nn = p.nn
        kf = parts.k * parts.f
        RT = p.R.T

        def apply(t: int, Q: np.ndarray) -> np.ndarray:
            # A(t) @ Q without forming A (see jvp), with the step's coefficients
            k = Q.shape[1]
            dh, dc = Q[:nn].T, Q[nn:].T  # (k, Nn)
            dz = (dh @ RT).reshape(k, 4, nn)
            dc_new = (parts.dc_dz[t] * dz).sum(axis=-2) + parts.f[t] * dc
            dh_new = (parts.dh_dz[t] * dz).sum(axis=-2) + kf[t] * dc
            return np.concatenate([dh_new, dc_new], axis=-1).T

        return apply


# -------------------------------------------------------------- peephole
class PeepholeSystem(CellSystem):
    """The LSTM with peepholes (ONNX): state ``(h, c)``; ``i, f`` see ``c(t-1)``,
    ``o`` sees ``c(t)``.

    With ``s_q = q (1 - q)`` for the sigmoid gates, ``s_g = 1 - g^2``,
    ``k = o (1 - tanh(c(t))^2)`` and ``e = s_o tanh(c(t))``::

        dc(t) = (f + c s_f Pf + g s_i Pi) dc + (g s_i Ri + c s_f Rf + i s_g Rg) dh
                + (g s_i Wi + c s_f Wf + i s_g Wg) du
        dh(t) = e (Ro dh + Wo du) + (k + e Po) dc(t)
    """

    cell = "peephole"
    STATES = ("h", "c")
    BOUNDS = (1.0, None)
    params: PeepholeParams

    @property
    def title(self) -> str:  # noqa: D102
        return "peephole LSTM"

    def _forward(self, x: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params
        nn = p.nn
        h, c = x[..., :nn], x[..., nn:]
        Pi, Pf, Po = (p.P[k * nn : (k + 1) * nn] for k in range(3))
        lin = u @ p.W.T + h @ p.R.T
        b = p.b
        i = sigmoid(lin[..., :nn] + Pi * c + b[:nn])
        f = sigmoid(lin[..., nn : 2 * nn] + Pf * c + b[nn : 2 * nn])
        g = np.tanh(lin[..., 2 * nn : 3 * nn] + b[2 * nn : 3 * nn])
        c_new = f * c + i * g
        o = sigmoid(lin[..., 3 * nn :] + Po * c_new + b[3 * nn :])
        tc = np.tanh(c_new)
        return {"c": c, "i": i, "f": f, "g": g, "o": o, "c_new": c_new, "tc": tc}

    def step(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        s = self._forward(x, u)
        return join_state(s["o"] * s["tc"], s["c_new"])

    def step_jacobians(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        nn = p.nn
        s = self._forward(x, u)
        i, f, g, o, c, tc = s["i"], s["f"], s["g"], s["o"], s["c"], s["tc"]
        Pi, Pf, Po = (p.P[k * nn : (k + 1) * nn] for k in range(3))
        ci, cf, cg = g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g)
        e = o * (1.0 - o) * tc
        kk = o * (1.0 - tc * tc) + e * Po
        Ri, Rf, Rg, Ro = (p.R[k * nn : (k + 1) * nn] for k in range(4))
        Wi, Wf, Wg, Wo = (p.W[k * nn : (k + 1) * nn] for k in range(4))
        a_ch = _rows(ci, Ri) + _rows(cf, Rf) + _rows(cg, Rg)
        b_c = _rows(ci, Wi) + _rows(cf, Wf) + _rows(cg, Wg)
        a_cc = f + cf * Pf + ci * Pi
        batch = np.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        A = np.zeros(batch + (2 * nn, 2 * nn))
        A[..., nn:, :nn] = a_ch
        A[..., nn:, nn:] = _diag(np.broadcast_to(a_cc, batch + (nn,)))
        A[..., :nn, :nn] = _rows(e, Ro) + _rows(kk, a_ch)
        A[..., :nn, nn:] = _diag(np.broadcast_to(kk * a_cc, batch + (nn,)))
        B = np.concatenate([_rows(e, Wo) + _rows(kk, b_c), b_c], axis=-2)
        return A, np.broadcast_to(B, batch + B.shape[-2:])


# ------------------------------------------------------------------- GRU
class GRUSystem(CellSystem):
    """The GRU (gate order r, z, n): state ``h``.

    ``h(t) = (1 - z) n + z h``, so with ``s_r = r (1 - r)``, ``s_z = z (1 - z)``,
    ``s_n = 1 - n^2``::

        dh(t) = z dh + (h - n) s_z (Rz dh + Wz du) + (1 - z) s_n dzn

    where, reset applied after the product (``linear_before_reset``, PyTorch),
    ``zn = Wn u + bWn + r (Rn h + bRn)`` and
    ``dzn = Wn du + (Rn h + bRn) s_r (Rr dh + Wr du) + r Rn dh``; reset applied
    before it (ONNX's default), ``zn = Wn u + bWn + Rn (r h) + bRn`` and
    ``dzn = Wn du + Rn [h s_r (Rr dh + Wr du) + r dh]``.
    """

    cell = "gru"
    STATES = ("h",)
    BOUNDS = (1.0,)
    params: GRUParams

    @property
    def title(self) -> str:  # noqa: D102
        if self.params.linear_before_reset:
            return "GRU"
        return "GRU (reset before the product)"

    def _forward(self, x: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
        p = self.params
        nn = p.nn
        rz, nc = slice(0, 2 * nn), slice(2 * nn, 3 * nn)
        Wu = u @ p.W.T
        RT = p.R.T
        if p.linear_before_reset:
            Rh = x @ RT
            a = sigmoid(Wu[..., rz] + Rh[..., rz] + (p.bW[rz] + p.bR[rz]))
            r = a[..., :nn]
            q = Rh[..., nc] + p.bR[nc]
            zn = Wu[..., nc] + p.bW[nc] + r * q
        else:
            Rh_rz = x @ RT[:, rz]
            a = sigmoid(Wu[..., rz] + Rh_rz + (p.bW[rz] + p.bR[rz]))
            r = a[..., :nn]
            q = (r * x) @ p.R[nc].T  # Rn (r h)
            zn = Wu[..., nc] + p.bW[nc] + q + p.bR[nc]
        z = a[..., nn:]
        n = np.tanh(zn)
        return {"r": r, "z": z, "n": n, "q": q, "h_new": (1.0 - z) * n + z * x}

    def step(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        return self._forward(x, u)["h_new"]

    def step_jacobians(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        nn = p.nn
        s = self._forward(x, u)
        r, z, n, q = s["r"], s["z"], s["n"], s["q"]
        batch = np.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        h = np.broadcast_to(x, batch + (nn,))
        Rr, Rz, Rn = (p.R[k * nn : (k + 1) * nn] for k in range(3))
        Wr, Wz, Wn = (p.W[k * nn : (k + 1) * nn] for k in range(3))
        sr = r * (1.0 - r)
        cz = (h - n) * z * (1.0 - z)
        cn = (1.0 - z) * (1.0 - n * n)
        if p.linear_before_reset:
            dzn_dh = _rows(q * sr, Rr) + _rows(r, Rn)
            dzn_du = _rows(q * sr, Wr) + Wn
        else:
            Rn_hs = Rn * (h * sr)[..., None, :]  # Rn diag(h s_r)
            dzn_dh = Rn_hs @ Rr + Rn * r[..., None, :]
            dzn_du = Rn_hs @ Wr + Wn
        A = _diag(np.broadcast_to(z, batch + (nn,))) + _rows(cz, Rz) + _rows(cn, dzn_dh)
        B = _rows(cz, Wz) + _rows(cn, dzn_du)
        return A, np.broadcast_to(B, batch + B.shape[-2:])


# ------------------------------------------------------------------- RNN
class RNNSystem(CellSystem):
    """The Elman RNN ``h(t) = act(W u + R h + b)``: state ``h``.

    ``A = diag(act'(a)) R``, ``B = diag(act'(a)) W`` with ``a`` the
    pre-activation; ``tanh' = 1 - h^2``; ``relu'(a) = 1`` for ``a > 0``, else 0
    (also at ``a = 0``, where the ReLU has no derivative: PyTorch's choice).
    """

    cell = "rnn"
    STATES = ("h",)
    params: RNNParams

    @property
    def bounds(self) -> tuple[float | None, ...]:
        """``|h| < 1`` for tanh; unbounded for ReLU."""
        return (1.0,) if self.params.nonlinearity == "tanh" else (None,)

    @property
    def title(self) -> str:  # noqa: D102
        return f"RNN ({self.params.nonlinearity})"

    def _pre(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        p = self.params
        return u @ p.W.T + x @ p.R.T + p.b  # type: ignore[no-any-return]

    def step(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:  # noqa: D102
        a = self._pre(x, u)
        if self.params.nonlinearity == "relu":
            return np.maximum(a, 0.0)
        return np.tanh(a)

    def step_jacobians(  # noqa: D102
        self, x: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        a = self._pre(x, u)
        if self.params.nonlinearity == "relu":
            d = (a > 0.0).astype(float)
        else:
            t = np.tanh(a)
            d = 1.0 - t * t
        return _rows(d, self.params.R), _rows(d, self.params.W)


# --------------------------------------------------------------- dispatch
_SYSTEMS: dict[str, type[CellSystem]] = {
    "lstm": LSTMSystem,
    "gru": GRUSystem,
    "peephole": PeepholeSystem,
    "rnn": RNNSystem,
}


def cell_system(params: Any, *, what: str = "params") -> CellSystem:
    """The dynamical system of a cell's parameters.

    Parameters
    ----------
    params
        :class:`~blocksim_lstm.LSTMParams`,
        :class:`~blocksim_lstm.cells.GRUParams`,
        :class:`~blocksim_lstm.cells.PeepholeParams`,
        :class:`~blocksim_lstm.cells.RNNParams` (cast to float64), or a
        :class:`CellSystem` (returned as it is).
    what
        The argument named in the error.

    Returns
    -------
    CellSystem

    Raises
    ------
    TypeError
        Anything else; the message lists the parameter classes.
    """
    if isinstance(params, CellSystem):
        return params
    try:
        kind = cell_name(params, what=what)
    except TypeError:
        raise TypeError(
            f"{what}: expected LSTMParams, GRUParams, PeepholeParams or RNNParams "
            f"(a cell's parameters) or a CellSystem, got {type(params).__name__}"
        ) from None
    p = params if params.dtype == np.float64 else params.astype(np.float64)
    return _SYSTEMS[kind](p)


# ------------------------------------------------ checked public functions
def state_map(params: Any, x: ArrayLike, u: ArrayLike) -> np.ndarray:
    """The one-step map ``f(x, u)`` of any cell.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a :class:`CellSystem`.
    x : array_like, shape ``(..., n)``
        The state: ``(h(t-1), c(t-1))`` for the LSTMs (``n = 2Nn``), ``h(t-1)``
        for the GRU and the RNN (``n = Nn``).
    u : array_like, shape ``(..., Ni)``
        ``u(t)``; broadcast against ``x``.

    Returns
    -------
    ndarray, shape ``(..., n)``
    """
    s = cell_system(params)
    return s.step(s.check_state(x), s.check_input(u))


def output_map(params: Any, x: ArrayLike, u: ArrayLike) -> np.ndarray:
    """The output map ``g(x, u) = F h(t) + bF`` with ``h(t)`` from ``f(x, u)``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a :class:`CellSystem`.
    x : array_like, shape ``(..., n)``
    u : array_like, shape ``(..., Ni)``

    Returns
    -------
    ndarray, shape ``(..., No)``
    """
    s = cell_system(params)
    return s.output(s.check_state(x), s.check_input(u))


def initial_state(params: Any) -> np.ndarray:
    """The initial state of ``params``: ``(h0, c0)`` (LSTMs) or ``h0``, shape ``(n,)``.

    Parameters
    ----------
    params
        A cell's parameters or a :class:`CellSystem`.
    """
    return cell_system(params).initial_state()


def jacobians(params: Any, x: ArrayLike, u: ArrayLike) -> Jacobians:
    """Analytic ``A, B, C, D`` of any cell at ``(x, u)``.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64) or a :class:`CellSystem`.
    x : array_like, shape ``(..., n)``
        Operating state.
    u : array_like, shape ``(..., Ni)``
        Operating input; broadcast against ``x``.

    Returns
    -------
    Jacobians
        Arrays with the broadcast batch shape ``S`` of ``x`` and ``u`` in front.
    """
    s = cell_system(params)
    return s.jacobians(s.check_state(x), s.check_input(u))


def jvp(
    params: Any,
    x: np.ndarray,
    u: np.ndarray,
    dx: np.ndarray,
    *,
    parts: StepParts | None = None,
) -> np.ndarray:
    """``A(x, u) @ dx`` (no argument checks; the LSTM's without forming ``A``).

    Parameters
    ----------
    params
        A cell's parameters (float64) or a :class:`CellSystem`.
    x : ndarray, shape ``(n,)``
    u : ndarray, shape ``(Ni,)``
    dx : ndarray, shape ``(n, k)``
        Tangent vectors as columns.
    parts
        LSTM only: its ``step_parts`` of ``(x, u)`` if already computed.

    Returns
    -------
    ndarray, shape ``(n, k)``
    """
    s = cell_system(params)
    if parts is not None:
        return lstm_jvp(check_params(s.params, "parts="), x, u, dx, parts=parts)
    return s.jvp(x, u, dx)


def vjp(
    params: Any,
    x: np.ndarray,
    u: np.ndarray,
    w: np.ndarray,
    *,
    parts: StepParts | None = None,
) -> np.ndarray:
    """``A(x, u)^T @ w``, batched (no argument checks).

    Parameters
    ----------
    params
        A cell's parameters (float64) or a :class:`CellSystem`.
    x : ndarray, shape ``(..., n)``
    u : ndarray, shape ``(..., Ni)``
    w : ndarray, shape ``(..., n)``
        Cotangent vectors, one per operating point.
    parts
        LSTM only: its ``step_parts`` of ``(x, u)`` if already computed.

    Returns
    -------
    ndarray, shape ``(..., n)``
    """
    s = cell_system(params)
    if parts is not None:
        return lstm_vjp(check_params(s.params, "parts="), x, u, w, parts=parts)
    return s.step_vjp(x, u)[1](w)
