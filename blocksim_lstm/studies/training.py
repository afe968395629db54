"""The seed's two training studies (SPEC §5), with the original's reports.

a) ``"calculated"``: from the calculated weights (balanced realization,
   scl = 1e-3), lr 1e-4, drop 0.99 every 100 epochs, 10000 epochs.
b) ``"random"``: from uniform [0, 1) W, R, b, F (zero bF and states), lr 0.04,
   drop 0.98 every 100 epochs, 10000 epochs.

Each reports the loss curve (was the start the best point?), the weight changes
block by block against the calculated weights, the linear system extracted
before and after (gain, poles, zeros, order), the validation norm on the
51-sample input, the linearity test with 3u, and a stairs plot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import control as ct
import numpy as np

from .._experiment import PLANT_TS, SCL, TRAINING_STEPS
from .._figures import save_figure
from .._files import write_atomic
from .._parameters import GATES, LSTMParams
from ..statespace.extraction import extract_state_space, linear_regime_report
from ..statespace.lti import dcgain, poles, seed_plant, zeros
from ..statespace.realization import minimal_realization
from ..statespace.validation import (
    linearity_test,
    plot_validation,
    validate,
    validation_input,
)
from ..statespace.zpk import zpk_summary
from ..training.data import calculated_weights, seed_data
from ..training.loop import TrainResult, train
from ..training.optim import TrainOptions
from ..training.plots import plot_loss

__all__ = [
    "ORIGINAL_LOG",
    "ORIGINAL_OPTIONS",
    "StudyResult",
    "extracted_summary",
    "run_study",
    "weight_differences",
]

ORIGINAL_OPTIONS: dict[str, TrainOptions] = {
    "calculated": TrainOptions(
        epochs=10000, lr=1e-4, drop_factor=0.99, drop_period=100, grad_threshold=1.0
    ),
    "random": TrainOptions(
        epochs=10000, lr=0.04, drop_factor=0.98, drop_period=100, grad_threshold=1.0
    ),
}
"""The original's training options of each study (SPEC §5)."""

ORIGINAL_LOG: dict[str, dict[int, float]] = {
    "calculated": {1: 0.0024884, 500: 0.41, 10000: 0.083875},
    "random": {1: 60.699, 10000: 0.044731},
}
"""Loss values printed in the original's training logs, by epoch (SPEC §5);
the value at epoch 500 of study a) is approximate (~0.41)."""

BLOCKS: tuple[str, ...] = tuple(
    [f"{a}{g}" for a in ("W", "R", "b") for g in GATES] + ["F", "bF"]
)
"""Weight blocks compared: Wi..Wo, Ri..Ro, bi..bo, F, bF."""


def _block(params: LSTMParams, name: str) -> np.ndarray:
    if name in ("F", "bF"):
        return np.asarray(getattr(params, name))
    return np.asarray(params.gate(name[0], name[1]))


def weight_differences(
    params: LSTMParams, reference: LSTMParams
) -> dict[str, dict[str, float]]:
    """Largest and RMS change of each block, ``params - reference``.

    Parameters
    ----------
    params, reference
        Same sizes.

    Returns
    -------
    dict
        ``{block: {"max_abs": ..., "rms": ..., "ref_max_abs": ...}}`` for
        Wi..Wo, Ri..Ro, bi..bo, F, bF (``ref_max_abs``: the block's size in
        ``reference``, for scale).
    """
    if (params.nn, params.ni, params.no) != (reference.nn, reference.ni, reference.no):
        raise ValueError(
            "params: expected the same sizes as reference, got "
            f"(Nn, Ni, No) = {(params.nn, params.ni, params.no)} and "
            f"{(reference.nn, reference.ni, reference.no)}"
        )
    out = {}
    for name in BLOCKS:
        d = _block(params, name) - _block(reference, name)
        ref = _block(reference, name)
        out[name] = {
            "max_abs": float(np.max(np.abs(d))),
            "rms": float(np.sqrt(np.mean(d**2))),
            "ref_max_abs": float(np.max(np.abs(ref))),
        }
    return out


def _roots(r: np.ndarray) -> list[list[float]]:
    return [[float(z.real), float(z.imag)] for z in np.asarray(r, dtype=complex)]


def extracted_summary(params: LSTMParams, *, scl: float = SCL) -> dict[str, object]:
    """The linear system read out of ``params`` (SPEC §4) and its key numbers.

    ``Ann = Rg``, ``Bnn = Wg / scl``, ``Cnn = scl F Ann``, ``Dnn = scl F Bnn``.

    Parameters
    ----------
    params
        Weights of a (constructed or trained) network.
    scl
        The construction's scale.

    Returns
    -------
    dict
        ``order`` (Nn), ``minimal_order``, ``Dnn``, ``dc_gain``, ``poles`` and
        ``zeros`` (as [re, im] pairs, of the full-order system), ``zpk`` (of the
        minimal realization, as text), ``linear_regime`` (gate saturations etc.).
    """
    snn = extract_state_space(params, scl=scl, ts=PLANT_TS)
    try:
        order_min = int(minimal_realization(snn).nstates)
        zpk = zpk_summary(snn)
    except (ValueError, np.linalg.LinAlgError) as exc:  # pragma: no cover - rare
        order_min, zpk = -1, f"(not available: {exc})"
    return {
        "order": int(snn.nstates),
        "minimal_order": order_min,
        "Dnn": float(np.asarray(snn.D)[0, 0]),
        "dc_gain": float(dcgain(snn)[0, 0]),
        "poles": _roots(poles(snn)),
        "zeros": _roots(zeros(snn)),
        "zpk": zpk,
        "linear_regime": linear_regime_report(params).to_dict(),
    }


def _validation(sys: ct.StateSpace, params: LSTMParams, u: np.ndarray):
    res = validate(sys, params, u=u, diagram=False)
    lin = linearity_test(sys, params, u, ks=(1.0, 3.0))
    return res, {
        "norm": res.norm_cell,
        "norm_3u": float(lin.norms[1]),
        "ratio_3u_to_u": float(lin.norms[1] / lin.norms[0]),
    }


@dataclass(frozen=True)
class StudyResult:
    """Everything one study reports.

    Attributes
    ----------
    name : str
        ``"calculated"`` or ``"random"``.
    training : TrainResult
    calculated : LSTMParams
        The calculated weights (the comparison point of every report).
    calculated_loss : float
        Their training-set loss.
    weight_changes : dict
        :func:`weight_differences` of the trained against the calculated weights.
    extracted_before, extracted_after : dict
        :func:`extracted_summary` of the starting and the trained weights.
    validation : dict
        ``{"plant": {"dc_gain", "zpk"}, "before": {...}, "after": {...}}`` with
        ``norm`` (51-sample input), ``norm_3u`` and ``ratio_3u_to_u``.
    figures : dict
        Paths of the written PNGs by name (empty without ``out``), relative to
        ``root`` of :func:`run_study` (default: the study's own folder), so
        ``study.json`` never names a temporary or machine-specific folder.
    """

    name: str
    training: TrainResult
    calculated: LSTMParams
    calculated_loss: float
    weight_changes: dict[str, dict[str, float]]
    extracted_before: dict[str, object]
    extracted_after: dict[str, object]
    validation: dict[str, dict[str, object]]
    figures: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "study": self.name,
            "training": self.training.summary(),
            "calculated_weights_loss": self.calculated_loss,
            "weight_changes": self.weight_changes,
            "extracted_before": self.extracted_before,
            "extracted_after": self.extracted_after,
            "validation": self.validation,
            "figures": self.figures,
        }

    def text(self) -> str:
        """A readable report (the numbers the original shows)."""
        s = self.training.summary()
        lines = [
            f"study {self.name!r}: {s['epochs']} epochs, "
            f"{s['ms_per_epoch']:.3f} ms/epoch",
            f"  loss: first {s['first_loss']:.6g}, final {s['final_loss']:.6g}, "
            f"best {s['best_loss']:.6g} at epoch {s['best_epoch']} "
            f"(start was the best: {s['start_was_best']}); calculated weights "
            f"{self.calculated_loss:.6g}",
            "  weight changes against the calculated weights (max |d|, RMS):",
        ]
        for name, d in self.weight_changes.items():
            lines.append(
                f"    {name:3s} max {d['max_abs']:10.4g}  rms {d['rms']:10.4g}  "
                f"(calculated max {d['ref_max_abs']:.4g})"
            )
        for when, e in (
            ("before", self.extracted_before),
            ("after", self.extracted_after),
        ):
            lines.append(
                f"  extracted {when}: order {e['order']} (minimal "
                f"{e['minimal_order']}), Dnn {e['Dnn']:.4g}, gain {e['dc_gain']:.5g}"
            )
            lines.append(f"    zpk: {e['zpk']}")
        v = self.validation
        lines.append(f"  plant: gain {v['plant']['dc_gain']:.5g}")
        for when in ("before", "after"):
            x = v[when]
            lines.append(
                f"  validation {when}: norm {x['norm']:.4g} (51 samples), "
                f"with 3u {x['norm_3u']:.4g} (x{x['ratio_3u_to_u']:.2f})"
            )
        return "\n".join(lines)


def run_study(
    name: str,
    *,
    epochs: int | None = None,
    seed: int = 0,
    data_seed: int = 0,
    out: str | Path | None = None,
    root: str | Path | None = None,
    verbose_every: int = 0,
    log: TextIO | None = None,
) -> StudyResult:
    """Run study a) ``"calculated"`` or b) ``"random"`` with the original's options.

    Parameters
    ----------
    name
        ``"calculated"`` or ``"random"``.
    epochs
        Override the original's 10000 (e.g. for a quick look).
    seed
        Seed of the random starting weights (study b).
    data_seed
        Seed of the 1001-sample N(0, 1) training input.
    out
        Directory for the run's files (weights, loss history, checkpoints) and
        the figures ``loss.png``, ``validation_before.png``,
        ``validation_after.png``, and ``study.json``.
    root
        The folder the figure paths in the result and in ``study.json`` are
        relative to (a report folder holding ``out``); default ``out``.
    verbose_every, log
        Progress table, as in :func:`~blocksim_lstm.training.train`.

    Returns
    -------
    StudyResult
    """
    if name not in ORIGINAL_OPTIONS:
        raise ValueError(
            f"name: expected one of {sorted(ORIGINAL_OPTIONS)}, got {name!r}"
        )
    opts = ORIGINAL_OPTIONS[name]
    if epochs is not None:
        opts = TrainOptions.from_dict({**opts.to_dict(), "epochs": epochs})
    calc = calculated_weights(SCL)
    start = (
        calc
        if name == "calculated"
        else LSTMParams.random(calc.nn, 1, 1, seed=seed, states=False)
    )
    u, y = seed_data(TRAINING_STEPS, seed=data_seed)
    outp = None if out is None else Path(out)
    base = outp if root is None else Path(root)
    if outp is not None and base is not None:
        if not outp.resolve().is_relative_to(base.resolve()):
            raise ValueError(f"root: expected a folder holding out {outp}, got {base}")
    res = train(start, u, y, opts, out=outp, verbose_every=verbose_every, log=log)

    plant = seed_plant()
    uval = validation_input(1, seed=0)
    val_before, before = _validation(plant, start, uval)
    val_after, after = _validation(plant, res.params, uval)
    from ..training.bptt import loss as _loss

    study = StudyResult(
        name=name,
        training=res,
        calculated=calc,
        calculated_loss=_loss(calc, u, y),
        weight_changes=weight_differences(res.params, calc),
        extracted_before=extracted_summary(start),
        extracted_after=extracted_summary(res.params),
        validation={
            "plant": {"dc_gain": float(dcgain(plant)[0, 0]), "zpk": zpk_summary(plant)},
            "before": before,
            "after": after,
        },
    )
    if outp is None or base is None:
        return study
    label = "calculated" if name == "calculated" else f"random (seed {seed})"
    figs = {
        "loss": save_figure(
            plot_loss(
                res.losses,
                title=f"Training from {label} weights: lr {opts.lr:g}, drop "
                f"{opts.drop_factor:g} every {opts.drop_period} epochs",
                reference=study.calculated_loss,
                reference_label="calculated weights",
                original={
                    e: v for e, v in ORIGINAL_LOG[name].items() if e <= res.epochs
                },
            ),
            outp / "loss.png",
        ),
        "validation_before": plot_validation(
            val_before,
            outp / "validation_before.png",
            title=f"Plant against the LSTM before training ({label} weights)",
        ),
        "validation_after": plot_validation(
            val_after,
            outp / "validation_after.png",
            title=f"Plant against the LSTM after {res.epochs} epochs from {label} "
            "weights",
        ),
    }
    study = StudyResult(
        **{
            **study.__dict__,
            "figures": {
                k: Path(v).resolve().relative_to(base.resolve()).as_posix()
                for k, v in figs.items()
            },
        }
    )
    write_atomic(outp / "study.json", json.dumps(study.to_dict(), indent=2) + "\n")
    return study
