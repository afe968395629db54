"""Beyond the original: the trained networks as dynamical systems (their poles)."""

from __future__ import annotations

from ..._parameters import LSTMParams
from ...dynamics import pole_study
from ...training import calculated_weights
from ..context import ReportContext
from ..document import Section

__all__ = ["dynamics"]


def dynamics(ctx: ReportContext) -> Section:
    """The LSTM as a dynamical system: fixed points and poles, before and after
    training.

    Parameters
    ----------
    ctx
        The report run (the training sections' weights are read from it).
    """
    sec = Section("The networks as dynamical systems: fixed points and poles")
    trained: dict[str, LSTMParams] = {}
    for name, label in (("calculated", "a)"), ("random", "b)")):
        weights = ctx.results.get(f"_study_{name}_weights")
        if isinstance(weights, tuple):
            before, after = weights
            if name == "random":
                trained[f"{label} before training"] = before
            trained[f"{label} after training"] = after
    study = pole_study(calculated_weights(), trained, seed=ctx.seed)
    sec.p(
        "The state of the layer is x = (h, c); for a constant input the network is "
        "a nonlinear map x(t) = f(x(t-1), u). Each network below is linearized at "
        "its most stable fixed point for u = 0 (found by Newton's method from many "
        "starts, residual checked), and its dominant poles (as many as the "
        "plant's) are compared with the plant's: the calculated weights *are* the "
        "plant near that point; training moves them (the training runs of data "
        "seed 0 and random start 0). `blocksim-lstm analyze` does this for any "
        "weights."
    )
    header, rows = study.table()
    sec.table(header, rows)
    sec.figure(
        ctx.save_figure(study.figure(), "dynamics_poles"),
        "Dominant poles of each network's linearization against the plant's.",
    )
    claim, verdict, number = study.claim()
    sec.numbers.update(
        {
            "calculated_dcgain": round(study.calculated.dcgain, 6),
            "claim": {"claim": claim, "verdict": verdict, "measured": number},
        }
    )
    ctx.results["dynamics"] = sec.numbers
    return sec
