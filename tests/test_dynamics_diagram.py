"""The analytic Jacobian against a numerical linearization of the bdsim diagram.

The diagram's own ``dlinmod``: perturb the initial values of its two unit delays
(``Hidden State``, ``Cell State``) and its input, run one tick through bdsim, and
take central differences of the wires ``h(t)`` (``prod_oc``), ``c(t)`` (``Sum``)
and ``y(t)`` (``FC layer``). No code of the dynamics package is involved.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._diagram import build_lstm_diagram
from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm.dynamics import jacobians, join_state, split_state
from blocksim_lstm.training import calculated_weights

EPS = 1e-5


def diagram_tick(p: LSTMParams, x: np.ndarray, u: np.ndarray):
    """One bdsim tick from state x = (h(t-1), c(t-1)) with input u(t)."""
    h0, c0 = split_state(x)
    run = build_lstm_diagram(p.replace(h0=h0, c0=c0), u[None, :]).run()
    s = run.signals
    return join_state(s["prod_oc"][0], s["Sum"][0]), s["FC layer"][0]


def diagram_dlinmod(p: LSTMParams, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``[[A, B], [C, D]]`` by central differences of one diagram tick."""
    n, ni = x.size, u.size
    cols = []
    for j in range(n + ni):
        e = np.zeros(n + ni)
        e[j] = EPS
        xp, yp = diagram_tick(p, x + e[:n], u + e[n:])
        xm, ym = diagram_tick(p, x - e[:n], u - e[n:])
        cols.append(np.concatenate([xp - xm, yp - ym]) / (2 * EPS))
    return np.array(cols).T


def analytic(p: LSTMParams, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    J = jacobians(p, x, u)
    return np.block([[J.A, J.B], [J.C, J.D]])


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))


@settings(max_examples=6, deadline=None)
@given(
    nn=st.integers(1, 8),
    ni=st.integers(1, 2),
    no=st.integers(1, 2),
    seed=st.integers(0, 2**31),
    scale=st.floats(0.3, 1.2),
)
def test_jacobian_equals_the_diagrams_numerical_linearization(
    nn: int, ni: int, no: int, seed: int, scale: float
) -> None:
    rng = np.random.default_rng(seed)
    p = LSTMParams.from_arrays(
        rng.standard_normal((4 * nn, ni)) * scale,
        rng.standard_normal((4 * nn, nn)) * scale,
        rng.standard_normal(4 * nn),
        rng.standard_normal((no, nn)),
        rng.standard_normal(no),
    )
    x = join_state(rng.uniform(-0.9, 0.9, nn), rng.normal(0, 1.5, nn))
    u = rng.standard_normal(ni)
    assert rel_error(analytic(p, x, u), diagram_dlinmod(p, x, u)) <= 1e-6


def test_calculated_weights_off_the_origin() -> None:
    """The seed's weights at an operating point away from the fixed point."""
    p = calculated_weights()
    rng = np.random.default_rng(1)
    x = join_state(rng.normal(0, 0.01, 5), rng.normal(0, 0.01, 5))
    u = np.array([0.7])
    assert rel_error(analytic(p, x, u), diagram_dlinmod(p, x, u)) <= 1e-6


def test_the_tick_is_the_step() -> None:
    """The helper really runs the diagram: its tick equals the state map."""
    from blocksim_lstm.dynamics import output_map, state_map

    p = LSTMParams.random(3, 2, 2, seed=4)
    x = np.linspace(-0.5, 0.5, 6)
    u = np.array([0.3, -1.0])
    xs, ys = diagram_tick(p, x, u)
    np.testing.assert_allclose(xs, state_map(p, x, u), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ys, output_map(p, x, u), rtol=0, atol=1e-15)
