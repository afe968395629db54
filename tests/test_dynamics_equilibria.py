"""Fixed points: closed-form cases, the calculated weights, bad and hopeless input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._parameters import LSTMParams
from blocksim_lstm._reference import reference_cell
from blocksim_lstm.dynamics import _equilibria as eqmod
from blocksim_lstm.dynamics import (
    bistable_cell,
    classify,
    fixed_points,
    join_state,
    split_state,
)
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.realization import balanced_realization
from blocksim_lstm.training import calculated_weights


def sig(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def reference_residual(p: LSTMParams, x: np.ndarray, u0: np.ndarray) -> float:
    """|f(x) - x|_inf by the reference cell (independent of the package)."""
    h0, c0 = split_state(x)
    tr = reference_cell(p, u0[None, :], h0=h0, c0=c0)
    return float(np.max(np.abs(join_state(tr.h[0], tr.c[0]) - x)))


def reference_jacobian(p: LSTMParams, x: np.ndarray, u0: np.ndarray) -> np.ndarray:
    eps = 1e-6
    n = x.size
    X = np.concatenate([x + eps * np.eye(n), x - eps * np.eye(n)])
    h0, c0 = split_state(X)
    tr = reference_cell(p, np.tile(u0, (2 * n, 1, 1)), h0=h0, c0=c0)
    fx = join_state(tr.h[:, 0], tr.c[:, 0])
    return (fx[:n] - fx[n:]).T / (2 * eps)


# ------------------------------------------------------------- closed form
@pytest.mark.parametrize(
    ("a", "gates"),
    [(0.5, (2.0, -1.0, 3.0)), (0.3, (2.0, -1.0, 3.0)), (0.6, (1.0, -2.0, 4.0))],
)
def test_bistable_cell_three_equilibria_in_closed_form(a, gates) -> None:
    bi, bf, bo = gates
    p = bistable_cell(a, bi=bi, bf=bf, bo=bo)
    i, f, o = sig(bi), sig(bf), sig(bo)
    r = float(p.R[2, 0])
    # closed form: h = 0, +-a; c = artanh(h / o); Jacobian of rank one with
    # eigenvalues 0 and o (1 - tanh(c)^2) i (1 - g^2) r + f, g = tanh(r h)
    expected = []
    for h in (-a, 0.0, a):
        c = np.arctanh(h / o)
        g = np.tanh(r * h)
        lam = o * (1 - np.tanh(c) ** 2) * i * (1 - g**2) * r + f
        expected.append((h, c, lam))
    eq = fixed_points(p, starts=32)
    assert len(eq.fixed_points) == 3
    found = sorted(eq.fixed_points, key=lambda fp: fp.h[0])
    for fp, (h, c, lam) in zip(found, expected, strict=True):
        np.testing.assert_allclose(fp.x, [h, c], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            sorted(fp.eigenvalues.real), sorted([0.0, lam]), rtol=0, atol=1e-12
        )
        assert np.all(fp.eigenvalues.imag == 0)
        assert fp.residual <= 1e-15
    outer, middle = (found[0], found[2]), found[1]
    assert [fp.kind for fp in outer] == ["stable", "stable"]
    assert all(fp.stable and fp.spectral_radius < 1 for fp in outer)
    # the middle one is unstable: one eigenvalue outside the unit circle; in the
    # two-dimensional state (h, c) its other eigenvalue is 0, so it is a saddle
    assert middle.kind == "saddle" and not middle.stable
    assert middle.spectral_radius == pytest.approx(expected[1][2], abs=1e-12)
    assert middle.spectral_radius > 1
    # most stable first; every start accounted for
    assert eq.fixed_points[-1] is middle
    assert sum(fp.starts for fp in eq.fixed_points) == eq.converged == 32


def test_bistable_cell_refuses_impossible_positions() -> None:
    with pytest.raises(ValueError, match="a: expected 0 < a"):
        bistable_cell(0.99)
    with pytest.raises(ValueError, match="a: too large"):
        bistable_cell(0.9, bi=-2.0)


def test_calculated_weights_fixed_point_is_the_origin_with_the_plant_poles() -> None:
    p = calculated_weights()
    eq = fixed_points(p, [0.0])
    assert len(eq.fixed_points) == 1
    fp = eq.fixed_points[0]
    assert fp.starts == eq.converged == 32
    assert np.all(fp.x == 0.0) and fp.residual == 0.0
    plant = lti.poles(balanced_realization(lti.seed_plant()))
    assert lti.match_distance(fp.eigenvalues[:4], plant) < 1e-12
    # the other 2Nn - nx = 6: five disabled cell states (sigmoid(-100)) and the
    # input unit (a zero row of Rg): all ~0
    assert np.max(np.abs(fp.eigenvalues[4:])) < 1e-40
    assert fp.kind == "stable"


def test_a_nonzero_input_gives_the_plants_steady_state_to_order_scl_squared() -> None:
    """For u0 = 1 the fixed point holds h1 ~ scl x_ss, and F h* is the plant's
    steady-state output up to the tanh's curvature: an error O(scl^2)."""
    gain = float(lti.dcgain(lti.seed_plant())[0, 0])
    errors = []
    for scl in (1e-2, 1e-3, 1e-4):
        p = calculated_weights(scl)
        fp = fixed_points(p, [1.0], starts=4).fixed_points[0]
        # the state a long simulation with u = 1 settles in is that fixed point
        tr = reference_cell(p, np.ones((3000, 1)))
        np.testing.assert_allclose(fp.h, tr.h[-1], rtol=0, atol=1e-12)
        errors.append(abs((p.F @ fp.h)[0] - gain) / gain)
    assert errors[1] < 1e-3
    for big, small in zip(errors[:-1], errors[1:], strict=True):
        assert 50 < big / small < 200  # x10 smaller scl: x100 smaller error


# ------------------------------------------------------------ the fallback
def test_fallback_recovers_a_start_where_newton_cannot_move() -> None:
    """At (h, c) = (0, c_s) the Jacobian has the eigenvalue 1 (closed form), so
    A - I is singular there: Newton fails, q-minimization hands it a start."""
    p = bistable_cell(0.5)
    i, f, o = sig(2.0), sig(-1.0), sig(3.0)
    r = float(p.R[2, 0])
    tc2 = 1 - (1 - f) / (o * i * r)  # tanh(c+)^2 where the trace is exactly 1
    c_plus = np.arctanh(np.sqrt(tc2))
    x_s = np.array([0.0, c_plus / f])
    eq = fixed_points(p, initial_states=x_s[None])
    rep = eq.starts[0]
    assert rep.origin == "given"
    assert rep.status == "fallback", rep
    assert len(eq.fixed_points) == 1
    assert reference_residual(p, eq.fixed_points[0].x, np.zeros(1)) <= 1e-12


def test_no_fixed_point_every_start_is_reported_not_converged() -> None:
    """Forget gate 1.0 in float64 and i g = 1: c(t+1) = c(t) + 1, no fixed point."""
    p = LSTMParams.from_arrays(
        np.zeros((4, 1)), np.zeros((4, 1)), [50.0, 50.0, 50.0, 0.0], np.ones((1, 1))
    )
    eq = fixed_points(p, starts=8, slow_points=True)
    assert eq.fixed_points == [] and eq.converged == 0
    assert len(eq.starts) == 8
    for s in eq.starts:
        assert s.status == "failed" and not s.converged
        assert "q-minimization" in s.reason
        assert s.residual == pytest.approx(1.0)
    assert eq.slow_points == []  # q = 1/2 everywhere: not slow
    json.dumps(eq.to_dict(), allow_nan=False)


def test_non_finite_newton_is_a_reported_start_never_a_point(monkeypatch) -> None:
    p = bistable_cell(0.5)
    real = eqmod.state_jacobian

    def broken(*args, **kwargs):
        return real(*args, **kwargs) * np.nan

    monkeypatch.setattr(eqmod, "state_jacobian", broken)
    eq = fixed_points(p, initial_states=[[0.3, 0.2], [-0.2, 0.1]])
    assert eq.fixed_points == []
    for s in eq.starts:
        assert s.status == "failed" and s.reason.startswith("non-finite Jacobian")


def test_divergent_newton_is_reported(monkeypatch) -> None:
    # with X_MAX = 0.4 the outer fixed points (|c| = 0.58) lie beyond the bound:
    # a run that has not converged when it passes it is stopped as divergent
    monkeypatch.setattr(eqmod, "X_MAX", 0.4)
    p = bistable_cell(0.5)
    X0 = np.array([[0.45, 0.5], [-0.45, -0.5]])
    _, _, reasons, iters = eqmod._newton(p, X0, np.zeros(1), tol=1e-10, max_iter=50)
    assert all(r.startswith("diverged") for r in reasons) and list(iters) == [1, 1]
    # through the search (fallback cut to one step): reported, never accepted
    eq = fixed_points(p, initial_states=X0, fallback_iter=1)
    for s in eq.starts:
        assert s.status == "failed" and s.reason.startswith("diverged")
    assert eq.fixed_points == []


def test_polish_never_accepts_a_worse_point(monkeypatch) -> None:
    """A fixed point is kept only after its residual is recomputed and checked."""
    p = bistable_cell(0.5)
    real = eqmod._polish

    def spoiled(p_, X, u0):
        X2, _ = real(p_, X, u0)
        return X2 + 1e-3, np.zeros(len(X2))  # claims residual 0, moved off

    monkeypatch.setattr(eqmod, "_polish", spoiled)
    eq = fixed_points(p, starts=4)
    assert eq.fixed_points == []
    assert all("above tolerance" in s.reason for s in eq.starts)


# ------------------------------------------------------- property: any weights
@settings(max_examples=12, deadline=None)
@given(nn=st.integers(1, 6), ni=st.integers(1, 2), seed=st.integers(0, 2**31))
def test_every_fixed_point_is_checked_independently(nn, ni, seed) -> None:
    rng = np.random.default_rng(seed)
    p = LSTMParams.from_arrays(
        rng.standard_normal((4 * nn, ni)),
        rng.standard_normal((4 * nn, nn)) * 1.5,
        rng.standard_normal(4 * nn),
        rng.standard_normal((1, nn)),
    )
    u0 = rng.standard_normal(ni)
    eq = fixed_points(p, u0, starts=12, seed=seed)
    assert len(eq.starts) == 12
    radii = [fp.spectral_radius for fp in eq.fixed_points]
    assert radii == sorted(radii)
    for fp in eq.fixed_points:
        assert reference_residual(p, fp.x, u0) <= 1e-10
        ev = np.linalg.eigvals(reference_jacobian(p, fp.x, u0))
        assert lti.match_distance(ev, fp.eigenvalues) < 1e-6
        assert fp.kind == classify(ev)
    for a in range(len(eq.fixed_points)):
        for b in range(a):
            d = eq.fixed_points[a].x - eq.fixed_points[b].x
            assert np.max(np.abs(d)) > 1e-8
    json.dumps(eq.to_dict(), allow_nan=False)


# ------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"u0": [0.0, 1.0]}, ValueError, r"u0: expected 1 value\(s\) \(Ni = 1"),
        ({"u0": [np.nan]}, ValueError, "u0: expected finite"),
        ({"starts": 0}, ValueError, "starts: expected an integer >= 1, got 0"),
        ({"starts": 2.5}, TypeError, "starts: expected an integer"),
        ({"tol": 0.0}, ValueError, "tol: expected a positive number"),
        ({"initial_states": [[0.0, np.inf]]}, ValueError, "initial_states: expected"),
        (
            {"initial_states": [[0.0, 1.0, 2.0]]},
            ValueError,
            r"initial_states: expected",
        ),
    ],
)
def test_bad_input(kwargs, err, match) -> None:
    with pytest.raises(err, match=match):
        fixed_points(bistable_cell(0.5), **kwargs)


def test_classify_table() -> None:
    assert classify([0.5, 0.99]) == "stable"
    assert classify([0.5, 1.5]) == "saddle"
    assert classify([1.2, -1.5]) == "unstable"
    assert classify([0.5, 1.0 + 1e-12]) == "marginal"
    assert classify([0.6 + 0.8j]) == "marginal"  # |z| = 1
    with pytest.raises(ValueError, match="eigenvalues: expected finite"):
        classify([np.nan])


def test_slow_point_of_a_ghost_is_reported_when_asked() -> None:
    """Past a saddle-node bifurcation two fixed points vanish and leave a slow
    region (a ghost): a minimum of q above zero. The bifurcation is found here
    on the one-dimensional map h -> o tanh(i tanh(r h + bg) / (1 - f))."""
    p0 = bistable_cell(0.5)
    i, f, o = sig(2.0), sig(-1.0), sig(3.0)
    r = float(p0.R[2, 0])
    hs = np.linspace(-0.99, 0.99, 20001)

    def gap(bg: float) -> np.ndarray:
        return o * np.tanh(i * np.tanh(r * hs + bg) / (1 - f)) - hs

    def roots(bg: float) -> int:
        return int(np.sum(np.diff(np.sign(gap(bg))) != 0))

    lo, hi = 1e-3, 0.5  # three roots at lo, one at hi
    assert roots(lo) == 3 and roots(hi) == 1
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if roots(mid) == 3 else (lo, mid)
    bg = hi + 1e-5
    d = gap(bg)
    neg = hs < 0
    h_ghost = hs[neg][np.argmin(d[neg])]  # closest approach of the map to h
    p = p0.replace(b=[2.0, -1.0, bg, 3.0])
    eq = fixed_points(p, slow_points=True)
    assert len(eq.fixed_points) == 1 and eq.fixed_points[0].h[0] > 0.5
    assert eq.slow_points, "the ghost should be reported as a slow point"
    best = eq.slow_points[0]
    assert 0 < best.q <= 1e-6
    assert abs(best.x[0] - h_ghost) < 0.05
    assert any(s.status == "slow" for s in eq.starts)
    # without asking, the same starts are plain failures
    assert fixed_points(p).slow_points == []


def test_newton_steps_never_raise_the_residual() -> None:
    """Near a singular A - I the full Newton step is huge (here |d| ~ 30, the
    residual 1.28 -> 28): the line search halves it until the residual drops."""
    p = bistable_cell(0.5)
    i, f, o = sig(2.0), sig(-1.0), sig(3.0)
    r = float(p.R[2, 0])
    c_plus = np.arctanh(np.sqrt(1 - (1 - f) / (o * i * r)))
    x = np.array([[0.0, c_plus / f + 1e-2]])
    u0 = np.zeros(1)
    before = np.linalg.norm(eqmod._residual(p, x, u0))
    X, _, _, iters = eqmod._newton(p, x, u0, tol=1e-10, max_iter=1)
    after = np.linalg.norm(eqmod._residual(p, X, u0))
    assert iters[0] == 1 and after < before
    # the undamped step would have made it twenty times worse
    A = eqmod.state_jacobian(p, x[0], u0)
    d = np.linalg.solve(A - np.eye(2), -eqmod._residual(p, x, u0)[0])
    assert np.linalg.norm(eqmod._residual(p, x + d, u0)) > 20 * before
