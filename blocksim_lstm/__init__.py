"""blocksim-lstm: an LSTM layer as a nonlinear discrete-time dynamical system.

``import blocksim_lstm as bl`` gives what a script needs::

    params, u = bl.seed_problem()                 # weights and an input
    diagram = bl.build_lstm_diagram(params, u)    # a bdsim block diagram
    run = diagram.run()                           # run.signals["c(t-1)"], ...
    print(bl.crosscheck_diagram(diagram).table())  # every wire vs the reference
    bl.draw(diagram, "lstm.svg")                  # the picture, PNG or SVG

The names load lazily (the first use of ``bl.train`` imports the training
engine, not ``import blocksim_lstm``), so importing the package stays fast.
The modules behind them stay importable for the rest of the toolbox
(``blocksim_lstm.statespace.lti``, ``blocksim_lstm.training``, ...).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module (relative to this package) that defines it
_PUBLIC: dict[str, str] = {
    # parameters and the reference cell
    "LSTMParams": "parameters",
    "GATES": "parameters",
    "reference_cell": "reference",
    # the block diagram
    "build_lstm_diagram": "diagram",
    "build_stacked_diagram": "diagram",
    "LSTMDiagram": "diagram",
    # the model as a .bd file (bdrun runs it, bdedit opens it)
    "load_model": "modelfile",
    # cross-check
    "crosscheck": "_crosscheck",
    "crosscheck_diagram": "_crosscheck",
    "CrossCheckReport": "_crosscheck",
    # graph, loops, pictures
    "diagram_graph": "graph",
    "structure_report": "loops",
    "draw": "_draw",
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
    "seed_problem": "experiment",
    "seed_input": "experiment",
    "seed_data": "training",
}

# importable from here for older scripts, not part of the curated API
_ALSO: dict[str, str] = {
    "NPZ_KEYS": "parameters",
    "LSTMTrace": "reference",
    "sigmoid": "reference",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:  # what mypy and IDEs see; at run time __getattr__ loads them
    from ._crosscheck import CrossCheckReport as CrossCheckReport
    from ._crosscheck import crosscheck as crosscheck
    from ._crosscheck import crosscheck_diagram as crosscheck_diagram
    from ._draw import draw as draw
    from .diagram import LSTMDiagram as LSTMDiagram
    from .diagram import build_lstm_diagram as build_lstm_diagram
    from .diagram import build_stacked_diagram as build_stacked_diagram
    from .experiment import seed_input as seed_input
    from .experiment import seed_problem as seed_problem
    from .graph import diagram_graph as diagram_graph
    from .loops import structure_report as structure_report
    from .modelfile import load_model as load_model
    from .parameters import GATES as GATES
    from .parameters import NPZ_KEYS as NPZ_KEYS
    from .parameters import LSTMParams as LSTMParams
    from .reference import LSTMTrace as LSTMTrace
    from .reference import reference_cell as reference_cell
    from .reference import sigmoid as sigmoid
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
