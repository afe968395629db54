"""Each custom bdsim block alone (bdsim's ``test_output``) and in a small diagram."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from blocksim_lstm._diagram import new_sim
from blocksim_lstm.blocks import (
    Affine,
    EProd,
    Logger,
    Sequence,
    Sigmoid,
    Tanh,
    UnitDelay,
)


def test_sigmoid_and_tanh_elementwise():
    x = np.array([-3.0, 0.0, 0.5, 40.0])
    np.testing.assert_allclose(Sigmoid().test_output(x)[0], expit(x), rtol=1e-15)
    np.testing.assert_allclose(Tanh().test_output(x)[0], np.tanh(x), rtol=1e-15)


def test_eprod_is_elementwise_unlike_bdsim_prod():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    np.testing.assert_array_equal(EProd().test_output(a, b)[0], [4.0, 10.0, 18.0])
    # the trap this block exists for: bdsim's PROD gives the dot product
    bd = new_sim().blockdiagram()
    assert np.ndim(bd.PROD("**").test_output(a, b)[0]) == 0


def test_eprod_width_mismatch_names_block_and_port():
    with pytest.raises(ValueError, match=r"block 'p' input 1: expected width 3, got 2"):
        EProd(name="p").test_output(np.ones(3), np.ones(2))


def test_affine():
    K = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    blk = Affine(K, [1.0, 0.0, -1.0])
    np.testing.assert_allclose(blk.test_output(np.array([1.0, -1.0]))[0], [0, -1, -2])
    with pytest.raises(ValueError, match=r"bias: expected shape \(3,\)"):
        Affine(K, [1.0])


def _delay_diagram(x0, u):
    """u -> SUM(+,+) with a unit-delay feedback: y(k) = u(k) + y(k-1)."""
    sim = new_sim()
    bd = sim.blockdiagram()
    clk = bd.clock(0.5, name="clk")
    src = Sequence(clk, u, bd=bd, name="src")
    dly = UnitDelay(clk, x0, bd=bd, name="dly")
    s = bd.SUM("++", name="sum")
    log = Logger(bd=bd, name="log")
    bd.connect(src, s[0])
    bd.connect(dly, s[1])
    bd.connect(s, dly, log)
    bd.compile(report=False)
    return sim, bd, log


def test_unit_delay_sequence_and_logger_give_a_running_sum(capsys):
    u = np.arange(1.0, 13.0).reshape(6, 2)
    sim, bd, log = _delay_diagram([10.0, 20.0], u)
    sim.run(bd, T=6 * 0.5)
    expected = np.cumsum(u, axis=0) + [10.0, 20.0]
    np.testing.assert_array_equal(log.data, expected)
    # a second run starts afresh
    sim.run(bd, T=6 * 0.5)
    np.testing.assert_array_equal(log.data, expected)


def test_unit_delay_output_is_a_fresh_array():
    # bdsim records outputs by reference: an output aliasing the state would
    # change recorded samples when the state changes
    blk = UnitDelay(new_sim().blockdiagram().clock(1.0), [1.0, 2.0])
    x = np.array([1.0, 2.0])
    out = blk.output(0.0, [], x)[0]
    out[0] = 99.0
    assert x.tolist() == [1.0, 2.0]


def test_unit_delay_refuses_a_wrong_width():
    blk = UnitDelay(new_sim().blockdiagram().clock(1.0), [0.0, 0.0], name="d")
    with pytest.raises(ValueError, match=r"block 'd' input 0: expected width 2, got 3"):
        blk.next(0.0, [np.ones(3)], np.zeros(2))
    with pytest.raises(ValueError, match="x0: expected a 1-D vector"):
        UnitDelay(new_sim().blockdiagram().clock(1.0), [[0.0]])


def test_sequence_counts_steps_and_holds_the_last_row():
    u = np.array([[1.0], [2.0]])
    blk = Sequence(new_sim().blockdiagram().clock(1.0), u)
    assert blk.output(0.0, [], np.array([0.0]))[0].tolist() == [1.0]
    assert blk.output(0.0, [], np.array([5.0]))[0].tolist() == [2.0]
    np.testing.assert_array_equal(blk.next(0.0, [], np.array([3.0])), [4.0])
    with pytest.raises(ValueError, match="u: expected finite values"):
        Sequence(new_sim().blockdiagram().clock(1.0), [[np.nan]])


def test_factories_are_registered_with_bdsim():
    bd = new_sim().blockdiagram()
    clk = bd.clock(1.0)
    assert isinstance(bd.SIGMOID(), Sigmoid)
    assert isinstance(bd.EPROD(), EProd)
    assert isinstance(bd.UNITDELAY(clk, [0.0]), UnitDelay)
