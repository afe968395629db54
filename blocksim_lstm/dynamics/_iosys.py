"""A cell + FC layer as a python-control ``NonlinearIOSystem`` (discrete time).

With it ``control.input_output_response``, ``control.find_operating_point`` and
``control.linearize`` work on an LSTM (or any other cell) as on any nonlinear
plant.
"""

from __future__ import annotations

from typing import Any

import control as ct
import numpy as np

from .._validate import as_array
from ._system import cell_system

__all__ = ["lstm_iosys"]


def lstm_iosys(
    params: Any, *, ts: float = 0.01, name: str | None = None
) -> ct.NonlinearIOSystem:
    """A discrete-time ``control.NonlinearIOSystem`` for a cell + FC layer.

    Parameters
    ----------
    params
        A cell's parameters (cast to float64; the LSTM's or any other) or a
        :class:`~blocksim_lstm.dynamics.CellSystem`; its initial state is not
        used by python-control (pass it as ``X0``, e.g.
        ``initial_state(params)``).
    ts
        Sample time ``dt`` of the system (positive).
    name
        System name (default: the cell's, ``"lstm"``, ``"gru"``, ...).

    Returns
    -------
    control.NonlinearIOSystem
        States ``h[0..Nn-1], c[0..Nn-1]`` (``h(t-1), c(t-1)``; only ``h`` for
        the GRU and the RNN), inputs
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
    p = cell_system(params)
    ts_ = float(as_array("ts", ts, ()))
    if not ts_ > 0:
        raise ValueError(f"ts: expected a positive sample time, got {ts_}")

    def update(t: float, x: Any, u: Any, par: Any) -> np.ndarray:
        return p.step(np.asarray(x, float), np.atleast_1d(np.asarray(u, float)))

    def output(t: float, x: Any, u: Any, par: Any) -> np.ndarray:
        return p.output(np.asarray(x, float), np.atleast_1d(np.asarray(u, float)))

    sys = ct.nlsys(
        update,
        output,
        inputs=[f"u[{j}]" for j in range(p.ni)],
        outputs=[f"y[{j}]" for j in range(p.no)],
        states=p.state_labels(),
        dt=ts_,
        name=p.cell if name is None else name,
    )
    return sys
