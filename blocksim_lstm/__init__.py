"""blocksim-lstm: an LSTM layer as a nonlinear discrete-time dynamical system.

``import blocksim_lstm as bl`` gives what a script needs::

    params, u = bl.seed_problem()                 # weights and an input
    diagram = bl.build_lstm_diagram(params, u)    # a bdsim block diagram
    run = diagram.run()                           # run.signals["c(t-1)"], ...
    print(bl.crosscheck_diagram(diagram).table())  # every wire vs the reference
    bl.draw(diagram, "lstm.svg")                  # the picture, PNG or SVG

The names load lazily (the first use of ``bl.train`` imports the training
engine, not ``import blocksim_lstm``), so importing the package stays fast.
The rest of the toolbox lives in public subpackages (``blocksim_lstm.layout``,
``blocksim_lstm.statespace``, ``blocksim_lstm.training``, ``blocksim_lstm.dynamics``,
``blocksim_lstm.studies``, ``blocksim_lstm.report``, ``blocksim_lstm.blocks``);
every top-level module is private (``_diagram.py``, ...): import from
``blocksim_lstm`` or a subpackage, never from a ``_module``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module (relative to this package) that defines it
_PUBLIC: dict[str, str] = {
    # parameters and the reference cell
    "LSTMParams": "_parameters",
    "reference_cell": "_reference",
    # the block diagram
    "build_lstm_diagram": "_diagram",
    "build_stacked_diagram": "_diagram",
    "build_cell_diagram": "_diagram",
    "LSTMDiagram": "_diagram",
    "new_sim": "_diagram",
    # the model as a .bd file (bdrun runs it, bdedit opens it)
    "load_model": "modelfile",
    # cross-check
    "crosscheck": "_crosscheck",
    "crosscheck_diagram": "_crosscheck",
    "CrossCheckReport": "_crosscheck",
    # graph, loops, pictures
    "diagram_graph": "_graph",
    "structure_report": "_loops",
    "check_no_algebraic_loops": "_loops",
    "AlgebraicLoopError": "_loops",
    "bypass_block": "_graph",
    "draw": "_draw",
    "save_figure": "_figures",
    # parameter counts
    "lstm_count": "_param_count",
    "count_network": "_param_count",
    "plot_param_growth": "_param_count",
    # LTI <-> LSTM
    "seed_plant": "statespace.lti",
    "construct": "statespace.construction",
    "extract_state_space": "statespace.extraction",
    "approximate": "studies.approximation",
    # training
    "train": "training",
    "resume": "training",
    "TrainOptions": "training",
    "TrainResult": "training",
    # the seed's problems
    "seed_problem": "_experiment",
    "seed_input": "_experiment",
    "seed_data": "training",
}

# importable from here for older scripts, not part of the curated API
_ALSO: dict[str, str] = {
    "GATES": "_parameters",
    "NPZ_KEYS": "_parameters",
    "LSTMTrace": "_reference",
    "sigmoid": "_reference",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:  # what mypy and IDEs see; at run time __getattr__ loads them
    from ._crosscheck import CrossCheckReport as CrossCheckReport
    from ._crosscheck import crosscheck as crosscheck
    from ._crosscheck import crosscheck_diagram as crosscheck_diagram
    from ._diagram import LSTMDiagram as LSTMDiagram
    from ._diagram import build_cell_diagram as build_cell_diagram
    from ._diagram import build_lstm_diagram as build_lstm_diagram
    from ._diagram import build_stacked_diagram as build_stacked_diagram
    from ._diagram import new_sim as new_sim
    from ._draw import draw as draw
    from ._experiment import seed_input as seed_input
    from ._experiment import seed_problem as seed_problem
    from ._figures import save_figure as save_figure
    from ._graph import bypass_block as bypass_block
    from ._graph import diagram_graph as diagram_graph
    from ._loops import AlgebraicLoopError as AlgebraicLoopError
    from ._loops import check_no_algebraic_loops as check_no_algebraic_loops
    from ._loops import structure_report as structure_report
    from ._param_count import count_network as count_network
    from ._param_count import lstm_count as lstm_count
    from ._param_count import plot_param_growth as plot_param_growth
    from ._parameters import GATES as GATES
    from ._parameters import NPZ_KEYS as NPZ_KEYS
    from ._parameters import LSTMParams as LSTMParams
    from ._reference import LSTMTrace as LSTMTrace
    from ._reference import reference_cell as reference_cell
    from ._reference import sigmoid as sigmoid
    from .modelfile import load_model as load_model
    from .statespace.construction import construct as construct
    from .statespace.extraction import extract_state_space as extract_state_space
    from .statespace.lti import seed_plant as seed_plant
    from .studies.approximation import approximate as approximate
    from .training import TrainOptions as TrainOptions
    from .training import TrainResult as TrainResult
    from .training import resume as resume
    from .training import seed_data as seed_data
    from .training import train as train


def __getattr__(name: str) -> Any:
    """Load a public name (or a submodule) on first use (PEP 562)."""
    module = _PUBLIC.get(name) or _ALSO.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
    raise AttributeError(
        f"module {__name__!r} has no attribute {name!r}; the public names are "
        f"{', '.join(__all__)}"
    )


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
