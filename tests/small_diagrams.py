"""Small bdsim diagrams built from stock blocks, for the graph and loop tests."""

from __future__ import annotations

import bdsim
import numpy as np

from blocksim_lstm._diagram import new_sim


def sim() -> bdsim.BDSim:
    """The package's quiet BDSim: one per process, knowing our blocks too.

    bdsim caches its block library at the first ``BDSim()``; sharing
    :func:`new_sim` keeps the test order from deciding which blocks exist.
    """
    return new_sim()


def accumulator(n: int = 3, *, with_delay: bool = True):
    """x(t+1) = x(t) + 0.5 x(t) + 1: CONSTANT -> SUM -> ZOH -> GAIN -> SUM.

    Without the delay the SUM feeds the GAIN directly: an algebraic loop
    ``sum -> K -> sum``.
    """
    bd = sim().blockdiagram(name="accumulator")
    clk = bd.clock(0.1, name="clk")
    const = bd.CONSTANT(np.ones(n), name="const")
    k = bd.GAIN(0.5 * np.eye(n), name="K")
    s = bd.SUM("++", name="sum")
    out = bd.NULL(name="out")
    bd.connect(const, s[0])
    if with_delay:
        z = bd.ZOH(clk, x0=np.zeros(n), name="delay")
        bd.connect(s, z)
        bd.connect(z, k)
    else:
        bd.connect(s, k)
    bd.connect(k, s[1])
    bd.connect(s, out)
    bd.wirelist[-2].name = "feedback"
    return bd


def two_loops(n: int = 2):
    """Two delays: an inner loop a -> z1 -> a and an outer a -> b -> z2 -> a."""
    bd = sim().blockdiagram(name="two_loops")
    clk = bd.clock(0.1, name="clk")
    src = bd.CONSTANT(np.ones(n), name="src")
    a = bd.SUM("+++", name="a")
    b = bd.GAIN(np.full((n, n), 0.1), name="b")
    z1 = bd.ZOH(clk, x0=np.zeros(n), name="z1")
    z2 = bd.ZOH(clk, x0=np.zeros(n), name="z2")
    out = bd.NULL(name="out")
    bd.connect(src, a[0])
    bd.connect(z1, a[1])
    bd.connect(z2, a[2])
    bd.connect(a, z1, b, out)
    bd.connect(b, z2)
    return bd


class _StandInFunction(bdsim.FunctionBlock):
    def output(self, t, inputs, x):  # pragma: no cover - never run
        return [0.0] * self.nout


class _StandInSource(bdsim.SourceBlock):
    def output(self, t, inputs, x):  # pragma: no cover - never run
        return [0.0] * self.nout


class _StandInSink(bdsim.SinkBlock):
    def step(self, t, inputs):  # pragma: no cover - never run
        return None


def stand_in(name: str, nin: int, nout: int, bd) -> bdsim.Block:
    """A do-nothing block with the given name and port counts."""
    if nin == 0:
        return _StandInSource(nout=nout, name=name, bd=bd)
    if nout == 0:
        return _StandInSink(nin=nin, name=name, bd=bd)
    return _StandInFunction(nin=nin, nout=nout, name=name, bd=bd)
