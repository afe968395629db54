"""Any bdsim diagram: a second-order IIR filter, recorded wire by wire and
cross-checked against scipy.signal.lfilter; then a miswired copy is caught.

The filter is built from bdsim's stock GAIN and SUM blocks and this package's
exact unit delays, in direct form II transposed (what lfilter computes)::

    y[n]  = b0 x[n] + z1[n-1]
    z1[n] = b1 x[n] - a1 y[n] + z2[n-1]
    z2[n] = b2 x[n] - a2 y[n]

``bl.record`` runs it and returns every wire; the reference for every wire
comes from lfilter alone (its output, and its state after each sample, from
lfilter run on each prefix of the input). Writes filter_crosscheck.png and
filter_crosscheck_miswired.png to the folder given as argument (default .):
``python examples/filter_crosscheck.py docs`` redraws the README's pictures.
"""

import sys
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

import blocksim_lstm as bl
from blocksim_lstm.blocks import Sequence, UnitDelay

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
b = [0.25, 0.5, 0.25]  # b0, b1, b2
a = [1.0, -0.6, 0.25]  # 1, a1, a2: poles of radius 0.5
zi = [0.5, -0.3]  # lfilter's initial state = the delays' initial outputs
x = np.random.default_rng(1).standard_normal(40)


def build_filter(swapped: bool = False):
    """The filter as a bdsim diagram; ``swapped`` crosses the two delays' wires."""
    bd = bl.new_sim().blockdiagram()
    clock = bd.clock(0.001, unit="s", name="clock")  # 1 kHz
    src = Sequence(clock, x[:, None], bd=bd, name="x")
    z1 = UnitDelay(clock, [zi[0]], bd=bd, name="z1 delay")
    z2 = UnitDelay(clock, [zi[1]], bd=bd, name="z2 delay")
    b0, b1, b2 = (bd.GAIN(v, name=f"b{k}") for k, v in enumerate(b))
    a1, a2 = (bd.GAIN(v, name=f"a{k}") for k, v in enumerate(a[1:], 1))
    sum_y = bd.SUM("++", name="sum y")
    sum_z1 = bd.SUM("+-+", name="sum z1")
    sum_z2 = bd.SUM("+-", name="sum z2")
    bd.connect(src, b0, b1, b2)
    bd.connect(b0, sum_y[0])
    bd.connect(z2 if swapped else z1, sum_y[1])  # the miswiring: z2 where z1 was due
    bd.connect(sum_y, a1, a2)
    bd.connect(b1, sum_z1[0])
    bd.connect(a1, sum_z1[1])
    bd.connect(z1 if swapped else z2, sum_z1[2])
    bd.connect(b2, sum_z2[0])
    bd.connect(a2, sum_z2[1])
    bd.connect(sum_z1, z1)
    bd.connect(sum_z2, z2)
    for w in bd.wirelist:  # name the wires a reader looks for
        names = {"x": "x[n]", "sum y": "y[n]", "z1 delay": "z1[n-1]"}
        w.name = names.get(w.start.block.name, w.name)
    return bd


# the reference, from lfilter only
y, _ = lfilter(b, a, x, zi=zi)
z = np.array([lfilter(b, a, x[: k + 1], zi=zi)[1] for k in range(len(x))])
z_prev = np.vstack([zi, z[:-1]])  # what the delays output at step n: z[n-1]
reference = {
    "x": x,
    "b0": b[0] * x,
    "b1": b[1] * x,
    "b2": b[2] * x,
    "sum y": y,
    "a1": a[1] * y,
    "a2": a[2] * y,
    "sum z1": z[:, 0],
    "sum z2": z[:, 1],
    "z1 delay": z_prev[:, 0],
    "z2 delay": z_prev[:, 1],
}

rec = bl.record(build_filter(), steps=len(x))
print(f"recorded {len(rec.wires)} wires over {rec.steps} steps (Ts = {rec.ts} s)")
print("evaluation order:", ", ".join(rec.order))
report = bl.crosscheck_traces(rec, reference)
print(report.table())
print(f"max |y - lfilter| = {np.abs(rec.traces['y[n]'][:, 0] - y).max():.1e}")
title = "2nd-order IIR filter (GAIN, SUM, UnitDelay) vs scipy.signal.lfilter"
print("wrote", bl.draw(rec, out / "filter_crosscheck.png", paint=report, title=title))

bad = bl.record(build_filter(swapped=True), steps=len(x))
bad_report = bl.crosscheck_traces(bad, reference)
print("\nmiswired filter passed?", bad_report.passed)
print(bad_report.first_divergence.describe())
title = "The same filter with the two delays' output wires swapped"
png = out / "filter_crosscheck_miswired.png"
print("wrote", bl.draw(bad, png, paint=bad_report, title=title))
