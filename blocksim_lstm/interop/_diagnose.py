"""Gate-order diagnosis: which order and layout make our output match yours.

A wrong gate order runs without an error and gives wrong numbers. Given the
output ``Y`` that the user's own framework computed for an input ``U``, we run
the reference cell with the stored blocks read in each of the 24 gate orders,
each layout of ``W`` and ``R`` that the shapes allow (:data:`LAYOUTS`), and
with zero initial states, and name what matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._parameters import LSTMParams
from .._reference import reference_cell
from ._gates import LAYOUTS, all_orders, convert_arrays, describe_order

__all__ = ["Candidate", "GateOrderDiagnosis", "diagnose_gate_order", "expected_output"]

_SCREEN_STEPS = 64  # candidates are screened on the first steps, the best rerun


@dataclass(frozen=True)
class Candidate:
    """One way of reading the stored arrays, and how well it matches.

    Attributes
    ----------
    order : str
        Gate order of the stored blocks, our letters (``"iofg"``).
    layout : str
        Layout of ``W`` and ``R`` (:data:`LAYOUTS`).
    zero_states : bool
        Initial states replaced by zeros.
    error : float
        Max ``|y - expected|`` over the compared steps.
    """

    order: str
    layout: str
    zero_states: bool
    error: float

    def options(self) -> str:
        """The ``blocksim-lstm import`` options that read the arrays this way."""
        opts = []
        if self.order != "ifgo":
            shown = "iofc" if self.order == "iofg" else self.order  # ONNX's letters
            opts.append(f"--gate-order {shown}")
        if self.layout != "rows":
            opts.append(f"--layout {self.layout}")
        if self.zero_states:
            opts.append("--zero-states")
        return " ".join(opts)

    def describe(self) -> str:
        """In words: ``"gate order i, o, f, g (ONNX's i, o, f, c)"`` and the rest."""
        text = f"gate order {describe_order(self.order)}"
        if self.layout != "rows":
            text += f", layout {self.layout}"
        if self.zero_states:
            text += ", zero initial states"
        return text


@dataclass(frozen=True)
class GateOrderDiagnosis:
    """The outcome of :func:`diagnose_gate_order`.

    Attributes
    ----------
    as_read : Candidate or None
        The arrays read as they are (ours: i, f, g, o, rows); None when their
        shapes are not ours.
    matches : tuple of Candidate
        The other readings within ``tol``, best first.
    best : Candidate
        The reading with the smallest error.
    tol : float
        Tolerance on max ``|y - expected|``.
    steps : str
        ``"every step"`` or ``"the last step"``.
    tried : int
        Number of readings tried.
    """

    as_read: Candidate | None
    matches: tuple[Candidate, ...]
    best: Candidate
    tol: float
    steps: str
    tried: int

    @property
    def agrees(self) -> bool:
        """Our output, from the arrays as read, matches the expected one."""
        return self.as_read is not None and self.as_read.error <= self.tol

    def message(self, weights: str = "W.npz", expect: str = "Y.npy") -> str:
        """What a user reads: agreement, or which order the weights are in and the fix.

        Parameters
        ----------
        weights, expect
            The file names to show.
        """
        tol = f"tolerance {self.tol:.1e}, {self.steps}"
        if self.agrees:
            assert self.as_read is not None
            return (
                f"--expect: our output matches {expect}: max |y - expected| = "
                f"{self.as_read.error:.2e} ({tol})"
            )
        head = (
            f"--expect: our output differs from {expect}: max |y - expected| = "
            f"{self.as_read.error:.2e} ({tol})"
            if self.as_read is not None
            else f"--expect: {weights} is not in our layout (W (4Nn, Ni), R (4Nn, Nn))"
        )
        if not self.matches:
            return (
                f"{head}. None of the {self.tried} readings (24 gate orders x "
                f"layouts x initial states) matches; the closest, "
                f"{self.best.describe()}, is off by {self.best.error:.2e}. Check the "
                "biases (PyTorch has two, bias_ih + bias_hh; ONNX B = [Wb, Rb]), the "
                f"input and that {expect} came from these weights."
            )
        m = self.matches[0]
        fix = f"blocksim-lstm import {weights} {m.options()} --out FIXED.npz"
        if len(self.matches) > 1:
            others = "; ".join(c.describe() for c in self.matches[1:4])
            return (
                f"{head}. Several readings match, first {m.describe()} "
                f"(max |y - expected| = {m.error:.2e}), also {others}: the weights "
                f"cannot tell them apart. The first is fixed by: {fix}"
            )
        if m.order == "ifgo" and m.layout == "rows":
            why = (
                "the gate order is ours; your framework ran from zero initial "
                f"states, not the h0, c0 of {weights}"
            )
        else:
            why = (
                f"the weights in {weights} are stored that way (ours: i, f, g, o, rows)"
            )
        return (
            f"{head}. With {m.describe()} it matches (max |y - expected| = "
            f"{m.error:.2e}): {why}. Fix: {fix}"
        )


def expected_output(
    expect: ArrayLike, steps: int, no: int, *, what: str = "--expect"
) -> tuple[np.ndarray, bool]:
    """The expected output as ``(T, No)``, or the last step ``(No,)``.

    Parameters
    ----------
    expect
        ``(T, No)``, ``(1, T, No)``, ``(T, 1, No)``, ``(T,)`` when ``No == 1``,
        or the last step only: ``(No,)``, ``(1, No)``.
    steps, no
        T and No of our run.
    what
        The argument named in messages.

    Returns
    -------
    (array, last_only)
    """
    a = np.asarray(expect, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what}: expected finite values, got NaN or Inf")
    squeezed = tuple(n for n in a.shape if n != 1)
    if squeezed == tuple(n for n in (steps, no) if n != 1):
        return a.reshape(steps, no), False
    if squeezed == tuple(n for n in (no,) if n != 1):
        return a.reshape(no), True
    raise ValueError(
        f"{what}: expected the output of shape (T, No) = ({steps}, {no}) (or the "
        f"last step, ({no},)), got shape {a.shape}"
    )


def _error(p: LSTMParams, u: np.ndarray, y: np.ndarray, last: bool) -> float:
    out = reference_cell(p, u).y
    d = out[-1] - y if last else out - y[: len(out)]
    return float(np.max(np.abs(d)))


def diagnose_gate_order(
    weights: LSTMParams | Mapping[str, ArrayLike],
    u: ArrayLike,
    expect: ArrayLike,
    *,
    tol: float | None = None,
) -> GateOrderDiagnosis:
    """Compare our output with the user's framework's; if they differ, say why.

    Parameters
    ----------
    weights
        Our parameters, or the raw arrays of a weights ``.npz`` (``W, R, b, F,
        bF, h0, c0``), whose shapes may be another layout's.
    u : array_like, shape ``(T, Ni)``
        The input both ran on.
    expect : array_like, shape ``(T, No)`` (or the last step ``(No,)``)
        The user's framework's output for ``u``.
    tol
        Tolerance on max ``|y - expected|``; default ``1e-4 * max(1, |expected|)``
        for a float32 ``expect``, ``1e-9 * max(1, |expected|)`` otherwise.

    Returns
    -------
    GateOrderDiagnosis
        ``.agrees``, ``.matches`` and ``.message()``.
    """
    arrays = weights.arrays() if isinstance(weights, LSTMParams) else dict(weights)
    exp_dtype = np.asarray(expect).dtype
    u = np.asarray(u, dtype=float)
    if u.ndim != 2:
        raise ValueError(f"--input: expected shape (T, Ni), got shape {u.shape}")
    F = np.asarray(arrays["F"], dtype=float)
    Rs = np.shape(arrays["R"])
    nn = Rs[1] if len(Rs) == 2 and Rs[0] == 4 * Rs[1] else min(Rs) if Rs else 0
    no = F.shape[0] if F.ndim == 2 and F.shape[1] == nn else F.shape[-1]
    y, last = expected_output(expect, u.shape[0], no)
    if tol is None:
        rel = 1e-4 if exp_dtype == np.float32 else 1e-9
        tol = rel * max(1.0, float(np.max(np.abs(y))))
    screen = u if last else u[:_SCREEN_STEPS]
    nonzero = any(np.any(np.asarray(arrays.get(k, 0.0)) != 0) for k in ("h0", "c0"))
    cands: list[Candidate] = []
    as_read: Candidate | None = None
    for layout in LAYOUTS:
        for zero in (False, True) if nonzero else (False,):
            for order in all_orders():
                try:
                    p = convert_arrays(
                        arrays, order=order, layout=layout, zero_states=zero
                    )
                except ValueError:
                    break  # this layout does not fit the shapes
                if p.ni != u.shape[1]:
                    break
                c = Candidate(order, layout, zero, _error(p, screen, y, last))
                if (order, layout, zero) == ("ifgo", "rows", False):
                    c = Candidate(order, layout, zero, _error(p, u, y, last))
                    as_read = c
                cands.append(c)
    if not cands:
        raise ValueError(
            f"--weights: no layout of W {np.shape(arrays['W'])}, R {Rs} fits an input "
            f"of width {u.shape[1]}"
        )
    # rerun the promising ones on the whole sequence
    good = [c for c in cands if c.error <= tol and c is not as_read]
    full = [
        Candidate(
            c.order,
            c.layout,
            c.zero_states,
            _error(
                convert_arrays(
                    arrays, order=c.order, layout=c.layout, zero_states=c.zero_states
                ),
                u,
                y,
                last,
            ),
        )
        for c in good
    ]
    matches = tuple(sorted((c for c in full if c.error <= tol), key=lambda c: c.error))
    best = min([*matches, *cands], key=lambda c: c.error)
    return GateOrderDiagnosis(
        as_read=as_read,
        matches=() if as_read is not None and as_read.error <= tol else matches,
        best=best,
        tol=float(tol),
        steps="the last step" if last else "every step",
        tried=len(cands),
    )
