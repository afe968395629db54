"""Optimizer pieces as MATLAB's ``trainingOptions('adam', ...)`` defines them.

- Adam: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g**2``,
  ``theta -= lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected
  ``m_hat = m / (1 - b1**k)``, ``v_hat = v / (1 - b2**k)``, ``k`` the 1-based step.
- Piecewise learning rate: ``lr0 * drop_factor ** floor((epoch - 1) / drop_period)``
  for the 1-based epoch (epochs 1..period use ``lr0``); the power by repeated
  squaring, so the rates are the same bytes on every machine.
- Gradient threshold, method ``"l2norm"`` (MATLAB's default): each learnable array
  (W, R, b, F, bF) whose L2 norm exceeds the threshold is scaled to norm = threshold;
  ``"global-l2norm"``: all trained arrays together.
- L2 regularization (off by default here; MATLAB's default is 1e-4): ``l2 * theta``
  added to the gradient of the weights W, R, F (not the biases), before clipping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from . import _clipcodes, _interpreted, _workspace
from .bptt import LEARNABLES, segments

__all__ = ["CLIP_METHODS", "TrainOptions", "clip_gradients", "piecewise_lr"]

CLIP_METHODS: dict[str, int] = {
    "none": _clipcodes.CLIP_NONE,
    "l2norm": _clipcodes.CLIP_L2NORM,
    "global-l2norm": _clipcodes.CLIP_GLOBAL,
}
"""Gradient clipping methods by name."""


def _positive(name: str, value: float, *, allow_inf: bool = False) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}: expected a positive number, got {value!r}") from exc
    if not (x > 0) or (math.isinf(x) and not allow_inf) or math.isnan(x):
        raise ValueError(f"{name}: expected a positive finite number, got {value!r}")
    return x


@dataclass(frozen=True)
class TrainOptions:
    """Training options (names follow MATLAB's ``trainingOptions``).

    Attributes
    ----------
    epochs : int
        Maximum number of epochs (full batch: one iteration per epoch).
    lr : float
        Initial learning rate.
    drop_factor : float
        Piecewise schedule: the rate is multiplied by this every ``drop_period``
        epochs; 1 keeps it constant. In (0, 1].
    drop_period : int
        Epochs between drops.
    grad_threshold : float
        Gradient threshold; ``inf`` disables clipping.
    clip : str
        ``"l2norm"`` (per array, MATLAB's default), ``"global-l2norm"`` or ``"none"``.
    beta1, beta2, eps : float
        Adam's decay rates and denominator offset.
    l2 : float
        L2 regularization factor on W, R, F (0 = off).
    frozen : tuple of str
        Arrays among W, R, b, F, bF that are not trained.
    dtype : str
        ``"float64"`` (default) or ``"float32"``: the arithmetic of the forward
        and backward passes (data, states, gates, gradients). The weights, Adam's
        moments and the update stay float64 either way; float32 is faster for
        large Nn and its loss differs from float64's (see README, Training).
        Both are the same bytes on every x86-64 machine.
    """

    epochs: int = 1000
    lr: float = 1e-3
    drop_factor: float = 1.0
    drop_period: int = 100
    grad_threshold: float = 1.0
    clip: str = "l2norm"
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    l2: float = 0.0
    frozen: tuple[str, ...] = field(default=())
    dtype: str = "float64"

    def __post_init__(self) -> None:
        for name in ("epochs", "drop_period"):
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, (int, np.integer)):
                raise TypeError(f"{name}: expected an integer >= 1, got {val!r}")
            if val < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {val}")
        _positive("lr", self.lr)
        _positive("eps", self.eps)
        _positive("grad_threshold", self.grad_threshold, allow_inf=True)
        if not (0 < float(self.drop_factor) <= 1):
            raise ValueError(
                f"drop_factor: expected a number in (0, 1], got {self.drop_factor!r}"
            )
        for name in ("beta1", "beta2"):
            if not (0 <= float(getattr(self, name)) < 1):
                raise ValueError(
                    f"{name}: expected a number in [0, 1), got {getattr(self, name)!r}"
                )
        if not (float(self.l2) >= 0 and math.isfinite(float(self.l2))):
            raise ValueError(f"l2: expected a finite number >= 0, got {self.l2!r}")
        if self.clip not in CLIP_METHODS:
            raise ValueError(
                f"clip: expected one of {sorted(CLIP_METHODS)}, got {self.clip!r}"
            )
        frozen = tuple(self.frozen)
        bad = [a for a in frozen if a not in LEARNABLES]
        if bad:
            raise ValueError(f"frozen: expected names among {LEARNABLES}, got {bad}")
        if set(frozen) == set(LEARNABLES):
            raise ValueError("frozen: every array is frozen; nothing to train")
        object.__setattr__(self, "frozen", frozen)
        if self.dtype not in _workspace.DTYPES:
            raise ValueError(
                f"dtype: expected one of {sorted(_workspace.DTYPES)}, "
                f"got {self.dtype!r}"
            )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary (``inf`` threshold written as ``None``).

        ``dtype`` appears only when it is not the default ``"float64"``, so that
        the runs (and run identities) of float64 training are those of versions
        without the option.
        """
        d = asdict(self)
        d["frozen"] = list(self.frozen)
        if self.dtype == "float64":
            del d["dtype"]
        if math.isinf(self.grad_threshold):
            d["grad_threshold"] = None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> TrainOptions:
        """Inverse of :meth:`to_dict`.

        Parameters
        ----------
        d
            A dict from :meth:`to_dict` (``grad_threshold`` None means inf).
        """
        kw = dict(d)
        if kw.get("grad_threshold") is None:
            kw["grad_threshold"] = math.inf
        kw["frozen"] = tuple(kw.get("frozen", ()))  # type: ignore[arg-type]
        return cls(**kw)  # type: ignore[arg-type]

    def active_mask(self) -> np.ndarray:
        """1 for trained arrays, 0 for frozen, in the order W, R, b, F, bF."""
        return np.array([0 if a in self.frozen else 1 for a in LEARNABLES], np.int64)

    def clip_mode(self) -> int:
        """The kernels' integer code of the clipping method."""
        if math.isinf(self.grad_threshold):
            return _clipcodes.CLIP_NONE
        return CLIP_METHODS[self.clip]


DECAY_MASK = np.array([1, 1, 0, 1, 0], np.int64)
"""Where L2 regularization applies: W, R, F (not the biases b, bF)."""


def piecewise_lr(
    epochs: np.ndarray | int, lr: float, drop_factor: float, drop_period: int
) -> np.ndarray:
    """Learning rate of each 1-based epoch under the piecewise schedule.

    Parameters
    ----------
    epochs : int or array of int, shape ``(n,)``
        1-based epoch numbers; an int ``n`` means epochs ``1..n``.
    lr, drop_factor, drop_period
        Initial rate, factor, period (see :class:`TrainOptions`).

    Returns
    -------
    ndarray, shape ``(n,)``
        ``lr * drop_factor ** floor((epoch - 1) / drop_period)``.
    """
    if np.ndim(epochs) == 0:
        e = np.arange(1, int(epochs) + 1)  # type: ignore[arg-type]
    else:
        e = np.asarray(epochs)
    if e.size and e.min() < 1:
        raise ValueError(f"epochs: expected 1-based epoch numbers, got min {e.min()}")
    drops = (e - 1) // drop_period
    return lr * _powi(float(drop_factor), drops)


def _powi(base: float, n: np.ndarray) -> np.ndarray:
    """``base ** n`` for integers ``n >= 0`` by repeated squaring, elementwise.

    The same bytes on every machine (``numpy.power`` calls libm's ``pow`` or a
    SIMD variant chosen by the CPU); the same algorithm as the kernels' ``powi``.

    Parameters
    ----------
    base
        The base.
    n : ndarray of int, shape ``(m,)``
        Exponents, ``>= 0``.

    Returns
    -------
    ndarray, shape ``(m,)``
    """
    n = np.array(n, dtype=np.int64)
    out = np.ones(n.shape)
    b = float(base)
    while np.any(n > 0):
        odd = (n & 1) == 1
        out[odd] *= b
        b *= b
        n >>= 1
    return out


def clip_gradients(
    grads: Mapping[str, np.ndarray],
    threshold: float,
    *,
    method: str = "l2norm",
) -> dict[str, np.ndarray]:
    """Clip gradients as the training loop does (a copy; the input is untouched).

    Parameters
    ----------
    grads
        ``{"W": (4Nn, Ni), "R": (4Nn, Nn), "b": (4Nn,), "F": (No, Nn), "bF": (No,)}``.
    threshold
        Positive L2-norm threshold.
    method
        ``"l2norm"`` (each array separately) or ``"global-l2norm"`` (all together).

    Returns
    -------
    dict
        Same keys and shapes, clipped.
    """
    threshold = _positive("threshold", threshold)
    if method not in ("l2norm", "global-l2norm"):
        raise ValueError(
            f"method: expected 'l2norm' or 'global-l2norm', got {method!r}"
        )
    missing = [k for k in LEARNABLES if k not in grads]
    if missing:
        raise ValueError(f"grads: missing arrays {missing}; expected {LEARNABLES}")
    nn = grads["R"].shape[1]
    ni = grads["W"].shape[1]
    no = grads["F"].shape[0]
    flat = np.concatenate(
        [np.asarray(grads[k], np.float64).ravel() for k in LEARNABLES]
    )
    seg = segments(nn, ni, no)
    ones = np.ones(5, np.int64)
    _interpreted.regularize_and_clip(
        np.zeros_like(flat),
        flat,
        seg,
        ones,
        DECAY_MASK,
        0.0,
        CLIP_METHODS[method],
        threshold,
    )
    return {
        k: flat[lo:hi].reshape(np.shape(grads[k]))
        for k, (lo, hi) in zip(LEARNABLES, seg, strict=True)
    }
