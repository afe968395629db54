"""The cross-check harness: it passes correct diagrams and catches miswired ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm._crosscheck import compare_traces, crosscheck, crosscheck_diagram
from blocksim_lstm._diagram import build_lstm_diagram, build_stacked_diagram
from blocksim_lstm._experiment import seed_problem
from blocksim_lstm._reference import reference_cell
from blocksim_lstm.blocks import Tanh


def test_seed_size_passes_with_at_least_15_signals_below_1e_12():
    report = crosscheck(*seed_problem())
    assert report.passed and report.first_divergence is None
    assert len(report.signals) >= 15
    assert max(s.max_abs for s in report.signals) <= 1e-12
    d = report.to_dict()
    assert {"passed", "first_divergence", "signals"} <= set(d)
    assert {"name", "max_abs", "max_rel", "passed"} <= set(d["signals"][0])
    json.loads(report.to_json())


U32 = 2.0**-24
"""float32 unit roundoff (half of numpy's ``finfo(float32).eps``)."""


def float32_output_error_bounds(params, u):
    """``(lower, upper)`` for ``norm(y32 - y64)`` from rounding alone.

    Lower (exact): every entry of a float32 result is a float32 number, and no
    float32 number is closer to ``y64`` than ``y64`` rounded to nearest, so
    ``|y32 - y64| >= |fl32(y64) - y64|`` entry by entry, whatever the kernel.

    Upper (first order in the unit roundoff ``u``, worst case): run the float64
    trajectory and carry a bound on each signal's error through the cell. A
    dot product of ``n`` terms, with both factors cast to float32, errs by at
    most ``(n + 2) u`` times the sum of the terms' magnitudes; each activation
    by ``4 u`` of its value; errors already present pass through the local
    derivatives ``s (1 - s)`` of the sigmoid and ``1 - tanh^2``. Any summation
    order (any BLAS kernel) is inside this bound.
    """
    tr = reference_cell(params, u)
    nn = params.nn
    W, R, b, F, bF = (
        np.abs(np.asarray(getattr(params, k))) for k in ("W", "R", "b", "F", "bF")
    )
    y = tr.y
    lower = float(np.linalg.norm(y.astype(np.float32).astype(np.float64) - y))

    def gamma(n):
        return (n + 2) * U32

    dh = U32 * np.abs(params.h0)  # h(-1), c(-1) are cast to float32
    dc = U32 * np.abs(params.c0)
    err = np.empty_like(y)
    for t in range(y.shape[0]):
        hp = np.abs(tr.h_prev[t])
        dz = gamma(params.ni + nn + 1) * (W @ np.abs(tr.u[t]) + R @ hp + b) + R @ dh
        dzi, dzf, dzg, dzo = (dz[k * nn : (k + 1) * nn] for k in range(4))
        i, f, g, o = tr.i[t], tr.f[t], tr.g[t], tr.o[t]
        di = i * (1 - i) * dzi + 4 * U32 * i
        df = f * (1 - f) * dzf + 4 * U32 * f
        dg = (1 - g**2) * dzg + 4 * U32 * np.abs(g)
        do = o * (1 - o) * dzo + 4 * U32 * o
        cp, ag = np.abs(tr.c_prev[t]), np.abs(g)
        dc = f * dc + cp * df + ag * di + i * dg + 3 * U32 * (f * cp + i * ag)
        th = tr.tanh_c[t]
        dth = (1 - th**2) * dc + 4 * U32 * np.abs(th)
        dh = np.abs(th) * do + o * dth + U32 * np.abs(tr.h[t])
        err[t] = gamma(nn + 1) * (F @ np.abs(tr.h[t]) + bF) + F @ dh
    return lower, float(np.linalg.norm(err))


@pytest.mark.parametrize(
    ("sizes", "steps", "seed"),
    [((3, 4, 2), 51, 0), ((3, 4, 2), 51, 1), ((5, 1, 1), 300, 3)],
)
def test_float32_reference_error_is_rounding_from_both_sides(sizes, steps, seed):
    """norm(z - y) lies between the exact floor and the worst-case rounding.

    Measured (2026-11, this machine): seed 0 gives lower 3.4e-7, norm 8.8e-7
    (Haswell kernel; 9.5e-7 Prescott), upper 3.7e-5. A float32 path that ran in
    float64 would fall below the floor; one that lost a few more bits (float16
    casts, a wrong cast of a weight) would rise above the ceiling.
    """
    nn, ni, no = sizes
    p, u = seed_problem(nn=nn, ni=ni, no=no, steps=steps, seed=seed)
    report = crosscheck(p, u, dtype="float32")
    assert report.passed
    lower, upper = float32_output_error_bounds(p, u)
    assert lower > 0
    assert upper < 200 * lower  # the window is about two decades, not three
    assert lower <= report.output_norm <= upper
    assert max(s.max_abs for s in report.signals) > 1e-9


def test_stacked_diagram_is_cross_checked_too():
    rng = np.random.default_rng(3)
    d = build_stacked_diagram(
        [LSTMParams.random(3, 2, 1, seed=1), LSTMParams.random(2, 3, 1, seed=2)],
        rng.standard_normal((30, 2)),
    )
    report = crosscheck_diagram(d)
    assert report.passed and len(report.signals) == 1 + 2 * 27 + 1


def _diagram(steps=40):
    p, u = seed_problem(steps=steps, seed=5)
    return build_lstm_diagram(p, u)


def test_mutation_swapped_gains_is_caught_and_named():
    d = _diagram()
    d.blocks["Wi"].K, d.blocks["Wf"].K = d.blocks["Wf"].K, d.blocks["Wi"].K
    report = crosscheck_diagram(d)
    assert not report.passed
    div = report.first_divergence
    assert (div.step, div.signal) == (0, "Wi")  # Wi is evaluated before Wf
    assert not report.signal("Wf").passed
    assert "first divergence at step 0: Wi" in report.table()


def test_mutation_tanh_instead_of_sigmoid_is_caught_and_named():
    d = _diagram()
    blk = d.blocks["logsig_f"]
    blk.output = Tanh.output.__get__(blk)
    report = crosscheck_diagram(d)
    assert (report.first_divergence.step, report.first_divergence.signal) == (
        0,
        "logsig_f",
    )
    # upstream of the fault is right at step 0, then the error comes round the
    # hidden-state loop one step later
    assert report.signal("sumFG").first_step == 1


def test_mutation_delay_starting_one_tick_late_is_caught_at_step_1():
    d = _diagram()
    blk = d.blocks["Cell State"]
    original_next = blk.next
    calls = []

    def late_next(t, inputs, x):
        calls.append(t)
        return x.copy() if len(calls) == 1 else original_next(t, inputs, x)

    blk.next = late_next
    report = crosscheck_diagram(d)
    div = report.first_divergence
    assert (div.step, div.signal, div.label) == (1, "Cell State", "c(t-1)")
    assert report.signal("Hidden State").first_step == 2


def test_input_sequence_shifted_by_one_is_recognised_as_a_shift():
    # the classic start-up error: index the input by round(t / Ts), so the tick
    # at t = (k + 1) Ts (which is step k) plays u[k + 1]
    d = _diagram()
    src = d.blocks["From Workspace"]
    n = src.u.shape[0]
    src.output = lambda t, inputs, x: [src.u[min(round(t / d.ts), n - 1)].copy()]
    report = crosscheck_diagram(d)
    div = report.first_divergence
    assert (div.step, div.signal, div.shift) == (0, "From Workspace", -1)
    assert "leads its reference by 1 step" in div.describe()


def test_compare_traces_finds_lag_and_tie_break_by_order():
    r = np.arange(20.0).reshape(10, 2)
    lag = np.vstack([r[:2], r[:-2]])  # d[t] = r[t-2] from step 2 on
    report = compare_traces(
        {"a": r.copy(), "b": lag, "c": r + 1},
        {"a": r, "b": r, "c": r},
        ["c", "b", "a"],
        abs_tol=1e-12,
        rel_tol=0.0,
    )
    assert report.signal("a").passed
    assert report.signal("b").shift == 2 and report.signal("b").first_step == 2
    assert report.first_divergence.signal == "c"  # step 0, first in order


def test_compare_traces_tolerance_is_max_of_abs_and_rel():
    r = np.array([[1000.0], [0.0]])
    d = r + np.array([[5e-10], [5e-10]])
    ok = compare_traces({"s": d}, {"s": r}, ["s"], abs_tol=1e-9, rel_tol=1e-12)
    assert ok.passed
    bad = compare_traces({"s": d}, {"s": r}, ["s"], abs_tol=1e-10, rel_tol=1e-13)
    assert not bad.passed and bad.signal("s").first_step == 0
    # the relative part alone admits the large value, the absolute part the zero
    big = np.array([[1000.0]])
    rel = compare_traces(
        {"s": big + 5e-10}, {"s": big}, ["s"], abs_tol=1e-12, rel_tol=1e-12
    )
    assert rel.passed


def test_compare_traces_nan_in_diagram_fails():
    r = np.zeros((3, 1))
    d = r.copy()
    d[1, 0] = np.nan
    report = compare_traces({"s": d}, {"s": r}, ["s"], abs_tol=1.0, rel_tol=1.0)
    assert not report.passed and report.first_divergence.step == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"abs_tol": -1.0, "rel_tol": 0.0}, "abs_tol, rel_tol: expected finite"),
        ({"abs_tol": np.nan, "rel_tol": 0.0}, "abs_tol, rel_tol: expected finite"),
    ],
)
def test_compare_traces_bad_tolerances(kwargs, match):
    r = np.zeros((2, 1))
    with pytest.raises(ValueError, match=match):
        compare_traces({"s": r}, {"s": r}, ["s"], **kwargs)


def test_compare_traces_mismatched_names():
    r = np.zeros((2, 1))
    with pytest.raises(ValueError, match="order: expected the same signal names"):
        compare_traces({"s": r}, {"t": r}, ["s"], abs_tol=0, rel_tol=0)


def test_a_given_run_is_compared_without_running_again():
    d = _diagram()
    run = d.run()
    d.blocks["Wi"].K = d.blocks["Wi"].K + 1.0  # would fail if it ran again
    assert crosscheck_diagram(d, run=run).passed
    assert not crosscheck_diagram(d).passed
