"""The LSTM (and the other cells) as a dynamical system: state-space form,
Jacobians, equilibria, linearization, stability.

State ``x = (h, c)`` (the two unit-delay outputs ``h(t-1), c(t-1)``), input ``u``,
output ``y = F h(t) + bF``: ``x(t+1) = f(x(t), u(t))``, ``y(t) = g(x(t), u(t))``.
Every function below takes any cell's parameters (``LSTMParams``, and from
:mod:`blocksim_lstm.cells` ``GRUParams``, ``PeepholeParams``, ``RNNParams``;
the GRU's and the RNN's state is ``h`` alone) through one interface,
:class:`CellSystem` (:func:`cell_system`): state, one-step map, analytic
Jacobians. What is the LSTM's only (:func:`iss_condition`, :func:`pole_study`,
:func:`bistable_cell`) refuses the other cells by name.

- :class:`CellSystem`, :func:`cell_system`: a cell's dynamical system.
- :func:`state_map`, :func:`output_map`: ``f`` and ``g``, batched.
- :func:`jacobians`: analytic ``A, B, C, D`` at any ``(x, u)``.
- :func:`lstm_iosys`: a python-control ``NonlinearIOSystem`` (any cell).
- :func:`fixed_points`: equilibria for a constant input (Newton from many starts,
  q-minimization fallback), each with residual, eigenvalues and kind.
- :func:`linearize`: a python-control ``StateSpace`` at an operating point.
- :func:`lyapunov_exponents`, :func:`contraction`: stability along a trajectory.
- :func:`iss_condition`: Bonassi et al.'s sufficient ISS condition.
- :func:`analyze`: all of it at once (the ``analyze`` command).
- :func:`pole_study`: the calculated weights against the plant, before and after
  training (for the report).
"""

from ._analysis import Analysis as Analysis
from ._analysis import analyze as analyze
from ._analysis import analyze_bytes as analyze_bytes
from ._analysis import driving_input as driving_input
from ._bistable import bistable_cell as bistable_cell
from ._equilibria import Equilibria as Equilibria
from ._equilibria import FixedPoint as FixedPoint
from ._equilibria import SlowPoint as SlowPoint
from ._equilibria import StartReport as StartReport
from ._equilibria import default_starts as default_starts
from ._equilibria import fixed_points as fixed_points
from ._iosys import lstm_iosys as lstm_iosys
from ._iss import ISSCondition as ISSCondition
from ._iss import iss_condition as iss_condition
from ._jacobian import Jacobians as Jacobians
from ._linearize import LinearSummary as LinearSummary
from ._linearize import linear_summary as linear_summary
from ._linearize import linearize as linearize
from ._lyapunov import Contraction as Contraction
from ._lyapunov import contraction as contraction
from ._lyapunov import lyapunov_exponents as lyapunov_exponents
from ._lyapunov import trajectory as trajectory
from ._plots import plot_bode as plot_bode
from ._plots import plot_eigenvalues as plot_eigenvalues
from ._plots import plot_phase_portrait as plot_phase_portrait
from ._plots import plot_pole_sets as plot_pole_sets
from ._plots import write_figures as write_figures
from ._stability import KINDS as KINDS
from ._stability import classify as classify
from ._stability import sorted_eigenvalues as sorted_eigenvalues
from ._statespace import join_state as join_state
from ._statespace import split_state as split_state
from ._study import NetworkPoles as NetworkPoles
from ._study import PoleStudy as PoleStudy
from ._study import pole_study as pole_study
from ._system import CellSystem as CellSystem
from ._system import cell_system as cell_system
from ._system import initial_state as initial_state
from ._system import jacobians as jacobians
from ._system import jvp as jvp
from ._system import output_map as output_map
from ._system import state_map as state_map
from ._system import vjp as vjp

__all__ = [
    "Analysis",
    "CellSystem",
    "Contraction",
    "Equilibria",
    "FixedPoint",
    "ISSCondition",
    "Jacobians",
    "KINDS",
    "LinearSummary",
    "NetworkPoles",
    "PoleStudy",
    "SlowPoint",
    "StartReport",
    "analyze",
    "analyze_bytes",
    "bistable_cell",
    "cell_system",
    "classify",
    "contraction",
    "default_starts",
    "driving_input",
    "fixed_points",
    "initial_state",
    "iss_condition",
    "jacobians",
    "join_state",
    "jvp",
    "linear_summary",
    "linearize",
    "lstm_iosys",
    "lyapunov_exponents",
    "output_map",
    "plot_bode",
    "plot_eigenvalues",
    "plot_phase_portrait",
    "plot_pole_sets",
    "pole_study",
    "sorted_eigenvalues",
    "split_state",
    "state_map",
    "trajectory",
    "vjp",
    "write_figures",
]
