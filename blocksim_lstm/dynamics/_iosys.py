"""The LSTM + FC layer as a python-control ``NonlinearIOSystem`` (discrete time).

With it ``control.input_output_response``, ``control.find_operating_point`` and
``control.linearize`` work on an LSTM as on any nonlinear plant.
"""

from __future__ import annotations

from typing import Any

import control as ct
import numpy as np

from .._parameters import LSTMParams
from .._validate import as_array
from ._statespace import _step, check_params

__all__ = ["lstm_iosys"]


def lstm_iosys(
    params: LSTMParams, *, ts: float = 0.01, name: str = "lstm"
) -> ct.NonlinearIOSystem:
    """A discrete-time ``control.NonlinearIOSystem`` for the LSTM + FC layer.

    Parameters
    ----------
    params
        Weights (cast to float64); its ``h0, c0`` are not used by python-control
        (pass them as ``X0``, e.g. ``initial_state(params)``).
    ts
        Sample time ``dt`` of the system (positive).
    name
        System name.

    Returns
    -------
    control.NonlinearIOSystem
        States ``h[0..Nn-1], c[0..Nn-1]`` (``h(t-1), c(t-1)``), inputs
        ``u[0..Ni-1]``, outputs ``y[0..No-1]``, ``dt = ts``. The update function
        is the state map ``f``, the output function ``g = F h(t) + bF``, so that
        ``input_output_response(sys, T, U, X0=initial_state(params))`` gives the
        reference cell's ``y`` sample for sample.

    Examples
    --------
    >>> import control as ct, numpy as np
    >>> from blocksim_lstm.training import calculated_weights
    >>> from blocksim_lstm.dynamics import lstm_iosys, initial_state
    >>> p = calculated_weights()
    >>> sys = lstm_iosys(p, ts=0.01)
    >>> lin = ct.linearize(sys, initial_state(p), [0.0])
    >>> round(float(np.real(lin.dcgain())), 3)
    7.535
    """
    p = check_params(params)
    ts_ = float(as_array("ts", ts, ()))
    if not ts_ > 0:
        raise ValueError(f"ts: expected a positive sample time, got {ts_}")
    nn = p.nn

    def update(t: float, x: Any, u: Any, par: Any) -> np.ndarray:
        h, c = _step(p, np.asarray(x, float), np.atleast_1d(np.asarray(u, float)))
        return np.concatenate([h, c])

    def output(t: float, x: Any, u: Any, par: Any) -> np.ndarray:
        h, _ = _step(p, np.asarray(x, float), np.atleast_1d(np.asarray(u, float)))
        return h @ p.F.T + p.bF

    sys = ct.nlsys(
        update,
        output,
        inputs=[f"u[{j}]" for j in range(p.ni)],
        outputs=[f"y[{j}]" for j in range(p.no)],
        states=[f"h[{j}]" for j in range(nn)] + [f"c[{j}]" for j in range(nn)],
        dt=ts_,
        name=name,
    )
    return sys
