"""A one-unit LSTM with three equilibria known in closed form (two stable, one
unstable), for tests and demonstrations."""

from __future__ import annotations

import numpy as np

from .._parameters import LSTMParams
from .._reference import sigmoid

__all__ = ["bistable_cell"]


def bistable_cell(
    a: float = 0.5, *, bi: float = 2.0, bf: float = -1.0, bo: float = 3.0
) -> LSTMParams:
    """One LSTM unit (one input, one output) with fixed points ``h = -a, 0, +a``.

    The input, forget and output gates are constants (``W = R = 0`` for them,
    biases ``bi, bf, bo``); the cell candidate is ``g = tanh(r h)`` with no input
    and no bias. With ``u = 0`` a fixed point satisfies ``c = i g / (1 - f)`` and
    ``h = o tanh(c)``, so ``h = +-a`` are fixed points exactly when

        ``r = artanh((1 - f) artanh(a / o) / i) / a``,

    and ``h = 0`` is one for any ``r``. ``r`` is chosen so; with the defaults the
    outer two are stable and the middle one unstable (``o i r + f > 1``).

    Parameters
    ----------
    a
        Position of the outer fixed points, ``0 < a < o`` and
        ``(1 - f) artanh(a / o) / i < 1``.
    bi, bf, bo
        Gate biases.

    Returns
    -------
    LSTMParams
        ``Nn = Ni = No = 1``, ``F = 1``, zero initial state.
    """
    i, f, o = (float(sigmoid(np.array(b))) for b in (bi, bf, bo))
    if not 0 < a < o:
        raise ValueError(f"a: expected 0 < a < sigmoid(bo) = {o:.6g}, got {a!r}")
    inner = (1.0 - f) * np.arctanh(a / o) / i
    if not inner < 1.0:
        raise ValueError(
            f"a: too large for these gates ((1 - f) artanh(a/o) / i = {inner:.3g}, "
            "expected < 1)"
        )
    r = float(np.arctanh(inner) / a)
    R = np.zeros((4, 1))
    R[2, 0] = r
    b = np.array([bi, bf, 0.0, bo])
    return LSTMParams.from_arrays(np.zeros((4, 1)), R, b, np.ones((1, 1)))
