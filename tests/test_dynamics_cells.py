"""The dynamics of every cell through one interface (:class:`CellSystem`): step
maps against the vectorized reference cells, analytic Jacobians against central
differences of the reference cells and against torch's autograd, fixed points
against long simulations, and the ``analyze --cell`` command."""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import blocksim_lstm as bl
from blocksim_lstm import cells, dynamics
from blocksim_lstm.cli import main

VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("lstm", {}),
    ("gru", {}),
    ("gru", {"linear_before_reset": False}),
    ("peephole", {}),
    ("rnn", {}),
    ("rnn", {"nonlinearity": "relu"}),
]
IDS = ["lstm", "gru", "gru-reset-first", "peephole", "rnn-tanh", "rnn-relu"]
STATES = {"lstm": ("h", "c"), "peephole": ("h", "c"), "gru": ("h",), "rnn": ("h",)}


def gaussian(
    cell: str, nn: int, ni: int, no: int, seed: int, scale: float = 1.0, **flags: Any
) -> Any:
    """Weights N(0, scale^2) (recurrent ones N(0, scale^2 / Nn)): the gates in
    their sensitive range, not saturated as with uniform [0, 1) weights."""
    rng = np.random.default_rng(seed)
    gates = {"lstm": 4, "peephole": 4, "gru": 3, "rnn": 1}[cell]
    sizes = {"G": gates * nn, "P": 3 * nn, "nn": nn, "ni": ni, "no": no}
    if cell == "lstm":
        shapes = {
            "W": ("G", "ni"),
            "R": ("G", "nn"),
            "b": ("G",),
            "F": ("no", "nn"),
            "bF": ("no",),
            "h0": ("nn",),
            "c0": ("nn",),
        }
    else:
        shapes = cells.CELLS[cell].SHAPES
    arrays = {}
    for key, shape in shapes.items():
        s = scale / np.sqrt(nn) if key == "R" else scale
        arrays[key] = rng.normal(0.0, s, tuple(sizes[d] for d in shape))
    if cell == "lstm":
        return bl.LSTMParams.from_arrays(**arrays)
    return cells.CELLS[cell].from_arrays(**arrays, **flags)


def reference_step(p: Any, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, ...]:
    """One step of the cell's reference from states ``x (B, n)``, inputs ``u (B, Ni)``:
    the new states ``(B, n)`` and outputs ``(B, No)``."""
    names = STATES[cells.cell_name(p)]
    nn = p.nn
    init = {f"{s}0": x[:, k * nn : (k + 1) * nn] for k, s in enumerate(names)}
    tr = cells.cell_reference(p, u[:, None, :], **init)
    new = np.concatenate([getattr(tr, s)[:, 0] for s in names], axis=-1)
    return new, tr.y[:, 0]


def central_differences(p: Any, x: np.ndarray, u: np.ndarray, eps: float = 1e-6):
    """A, B, C, D by central differences of the reference cell (one batch)."""
    n, ni = x.size, u.size
    X = np.concatenate(
        [x + eps * np.eye(n), x - eps * np.eye(n), np.tile(x, (2 * ni, 1))]
    )
    U = np.concatenate(
        [np.tile(u, (2 * n, 1)), u + eps * np.eye(ni), u - eps * np.eye(ni)]
    )
    xs, ys = reference_step(p, X, U)
    A = (xs[:n] - xs[n : 2 * n]).T / (2 * eps)
    C = (ys[:n] - ys[n : 2 * n]).T / (2 * eps)
    B = (xs[2 * n : 2 * n + ni] - xs[2 * n + ni :]).T / (2 * eps)
    D = (ys[2 * n : 2 * n + ni] - ys[2 * n + ni :]).T / (2 * eps)
    return A, B, C, D


def random_state(p: Any, rng: np.random.Generator) -> np.ndarray:
    names = STATES[cells.cell_name(p)]
    parts = [rng.uniform(-0.9, 0.9, p.nn)]
    if len(names) == 2:
        parts.append(rng.normal(0.0, 1.5, p.nn))
    return np.concatenate(parts)


# ------------------------------------------------------- step map vs reference
@pytest.mark.parametrize(("cell", "flags"), VARIANTS, ids=IDS)
@settings(max_examples=4, deadline=None)
@given(
    nn=st.integers(1, 6),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_step_map_is_the_reference_cell(cell, flags, nn, ni, no, seed) -> None:
    p = gaussian(cell, nn, ni, no, seed, **flags)
    u = np.random.default_rng(seed + 1).standard_normal((25, ni))
    X = dynamics.trajectory(p, u)  # X[0] = the parameters' initial state
    tr = cells.cell_reference(p, u)
    names = STATES[cell]
    np.testing.assert_array_equal(
        X[0], np.concatenate([getattr(p, f"{s}0") for s in names])
    )
    ref = np.concatenate([getattr(tr, s) for s in names], axis=-1)
    # the whole run: rounding differences (a few ulps a step) may accumulate
    np.testing.assert_allclose(X[1:], ref, rtol=1e-13, atol=1e-13)
    # step by step from the reference's own states (batched): to the last bits
    prev = np.concatenate([getattr(tr, f"{s}_prev") for s in names], axis=-1)
    np.testing.assert_allclose(
        dynamics.state_map(p, prev, u), ref, rtol=1e-15, atol=1e-15
    )
    # y = F h + bF: a sum of Nn products, each within an ulp or two
    y = dynamics.output_map(p, prev, u)
    scale = np.abs(tr.h) @ np.abs(p.F).T + np.abs(p.bF)
    assert np.all(np.abs(y - tr.y) <= 1e-15 * (nn + 1) * scale + 1e-300)


# ------------------------------------------- Jacobians vs central differences
@pytest.mark.parametrize(("cell", "flags"), VARIANTS, ids=IDS)
@settings(max_examples=4, deadline=None)
@given(
    nn=st.integers(1, 5),
    ni=st.integers(1, 3),
    no=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_jacobians_are_the_reference_cells_derivatives(
    cell, flags, nn, ni, no, seed
) -> None:
    p = gaussian(cell, nn, ni, no, seed, **flags)
    rng = np.random.default_rng(seed + 2)
    x = random_state(p, rng)
    u = rng.standard_normal(ni)
    J = dynamics.jacobians(p, x, u)
    assert J.A.shape == (x.size, x.size) and J.D.shape == (no, ni)
    A, B, C, D = central_differences(p, x, u)
    fd = np.block([[A, B], [C, D]])
    big = np.block([[J.A, J.B], [J.C, J.D]])
    assert np.max(np.abs(big - fd)) <= 1e-7 * max(1.0, np.max(np.abs(big)))
    # batched Jacobians at several points equal one at a time
    Xb = np.stack([x, random_state(p, rng)])
    Ub = np.stack([u, rng.standard_normal(ni)])
    Jb = dynamics.jacobians(p, Xb, Ub)
    np.testing.assert_allclose(Jb.A[0], J.A, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(
        Jb.B[1], dynamics.jacobians(p, Xb[1], Ub[1]).B, atol=1e-15
    )
    # products with A (Newton's fallback and the Lyapunov exponents use them)
    V = rng.standard_normal((x.size, 2))
    np.testing.assert_allclose(dynamics.jvp(p, x, u, V), J.A @ V, atol=1e-13)
    w = rng.standard_normal(x.size)
    np.testing.assert_allclose(dynamics.vjp(p, x, u, w), J.A.T @ w, atol=1e-13)


def test_relu_derivative_at_zero_is_zero() -> None:
    # unit 0's pre-activation is exactly 0 (R[0] x = 0.5 - 0.5, u = 0, b = 0)
    # though its weights are not; unit 1's is positive
    W = np.array([[2.0], [0.7]])
    R = np.array([[1.0, -1.0], [0.3, -0.2]])
    p = cells.RNNParams.from_arrays(
        W=W, R=R, b=np.array([0.0, 0.1]), F=np.ones((1, 2)), nonlinearity="relu"
    )
    x, u = np.array([0.5, 0.5]), np.array([0.0])
    J = dynamics.jacobians(p, x, u)
    np.testing.assert_array_equal(J.A[0], [0.0, 0.0])
    np.testing.assert_array_equal(J.B[0], [0.0])
    np.testing.assert_array_equal(J.A[1], R[1])  # a > 0: the identity's slope
    np.testing.assert_array_equal(J.D, [[0.7]])
    torch = pytest.importorskip("torch")  # the same choice as autograd's
    from torch.autograd.functional import jacobian

    A, _ = jacobian(_torch_step(p, torch), (torch.tensor(x), torch.tensor(u)))[0]
    np.testing.assert_array_equal(J.A, A.numpy())


# ------------------------------------------------- Jacobians vs torch autograd
def _torch_step(p: Any, torch: Any):
    """The cell's step in torch: PyTorch's own cells where they exist, else the
    formula written out; a function of ``(x, u)`` returning ``(x_next, y)``."""
    nn_ = torch.nn
    T = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
    cell = cells.cell_name(p)
    F, bF = T(p.F), T(p.bF)
    nn = p.nn
    if cell == "gru" and p.linear_before_reset:
        m = nn_.GRUCell(p.ni, nn, dtype=torch.float64)
        with torch.no_grad():
            m.weight_ih.copy_(T(p.W))
            m.weight_hh.copy_(T(p.R))
            m.bias_ih.copy_(T(p.bW))
            m.bias_hh.copy_(T(p.bR))

        def f(x, u):
            h = m(u[None], x[None])[0]
            return h, F @ h + bF

    elif cell == "rnn":
        m = nn_.RNNCell(p.ni, nn, nonlinearity=p.nonlinearity, dtype=torch.float64)
        with torch.no_grad():
            m.weight_ih.copy_(T(p.W))
            m.weight_hh.copy_(T(p.R))
            m.bias_ih.copy_(T(p.b))
            m.bias_hh.zero_()

        def f(x, u):
            h = m(u[None], x[None])[0]
            return h, F @ h + bF

    elif cell == "lstm":
        m = nn_.LSTMCell(p.ni, nn, dtype=torch.float64)
        with torch.no_grad():
            m.weight_ih.copy_(T(p.W))
            m.weight_hh.copy_(T(p.R))
            m.bias_ih.copy_(T(p.b))
            m.bias_hh.zero_()

        def f(x, u):
            h, c = m(u[None], (x[None, :nn], x[None, nn:]))
            return torch.cat([h[0], c[0]]), F @ h[0] + bF

    elif cell == "gru":  # reset before the product: no torch cell, the formula
        W, R, bW, bR = T(p.W), T(p.R), T(p.bW), T(p.bR)

        def f(x, u):
            gi = W @ u + bW
            r = torch.sigmoid(gi[:nn] + R[:nn] @ x + bR[:nn])
            z = torch.sigmoid(gi[nn : 2 * nn] + R[nn : 2 * nn] @ x + bR[nn : 2 * nn])
            n = torch.tanh(gi[2 * nn :] + R[2 * nn :] @ (r * x) + bR[2 * nn :])
            h = (1 - z) * n + z * x
            return h, F @ h + bF

    else:  # peephole
        W, R, b, P = T(p.W), T(p.R), T(p.b), T(p.P)

        def f(x, u):
            h, c = x[:nn], x[nn:]
            a = W @ u + R @ h + b
            i = torch.sigmoid(a[:nn] + P[:nn] * c)
            fg = torch.sigmoid(a[nn : 2 * nn] + P[nn : 2 * nn] * c)
            g = torch.tanh(a[2 * nn : 3 * nn])
            c2 = fg * c + i * g
            o = torch.sigmoid(a[3 * nn :] + P[2 * nn :] * c2)
            h2 = o * torch.tanh(c2)
            return torch.cat([h2, c2]), F @ h2 + bF

    return f


@pytest.mark.parametrize(("cell", "flags"), VARIANTS, ids=IDS)
def test_jacobians_are_torch_autograds(cell, flags) -> None:
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import jacobian

    p = gaussian(cell, 4, 2, 2, seed=11, **flags)
    f = _torch_step(p, torch)
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = random_state(p, rng)
        u = rng.standard_normal(2)
        tx, tu = torch.tensor(x), torch.tensor(u)
        (A, B), (C, D) = jacobian(f, (tx, tu))
        J = dynamics.jacobians(p, x, u)
        for mine, theirs in ((J.A, A), (J.B, B), (J.C, C), (J.D, D)):
            np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            dynamics.state_map(p, x, u), f(tx, tu)[0].detach().numpy(), atol=1e-14
        )


# ------------------------------------------------------------- fixed points
def bistable(cell: str) -> Any:
    """A one-unit cell with three fixed points for u = 0: 0 (unstable in h) and
    a stable pair, or for the ReLU a stable 0 and an unstable h* = 1."""
    if cell == "gru":  # h = (1 - z) tanh(2 h) + z h: fixed points of h = tanh(2h)
        return cells.GRUParams.from_arrays(
            W=np.zeros((3, 1)),
            R=np.array([[0.0], [0.0], [2.0]]),
            bW=np.array([0.0, -1.0, 0.0]),
            bR=np.array([5.0, 0.0, 0.0]),  # r = 0.993, not 1: the reset matters
            F=np.ones((1, 1)),
        )
    if cell == "gru-reset-first":
        return bistable("gru").replace(linear_before_reset=False)
    if cell == "rnn":
        return cells.RNNParams.from_arrays(
            W=np.zeros((1, 1)), R=np.array([[1.5]]), b=np.zeros(1), F=np.ones((1, 1))
        )
    if cell == "rnn-relu":  # h = relu(2 h - 1): 0 stable, 1 unstable
        return cells.RNNParams.from_arrays(
            W=np.zeros((1, 1)),
            R=np.array([[2.0]]),
            b=np.array([-1.0]),
            F=np.ones((1, 1)),
            nonlinearity="relu",
        )
    lstm = dynamics.bistable_cell(0.5)
    if cell == "lstm":
        return lstm
    return cells.PeepholeParams.from_lstm(lstm, P=[0.05, -0.1, 0.2])


EXPECTED = {
    "lstm": ["stable", "stable", "saddle"],
    "peephole": ["stable", "stable", "saddle"],
    "gru": ["stable", "stable", "unstable"],
    "gru-reset-first": ["stable", "stable", "unstable"],
    "rnn": ["stable", "stable", "unstable"],
    "rnn-relu": ["stable", "unstable"],
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fixed_points_and_their_stability_agree_with_simulation(name) -> None:
    p = bistable(name)
    eq = dynamics.fixed_points(p, starts=12, seed=1)
    assert sorted(fp.kind for fp in eq.fixed_points) == sorted(EXPECTED[name])
    rng = np.random.default_rng(0)
    for fp in eq.fixed_points:
        # residual recomputed by the reference cell, not by the code under test
        x1, _ = reference_step(p, fp.x[None], np.zeros((1, 1)))
        assert np.max(np.abs(x1[0] - fp.x)) < 1e-10
        assert fp.residual < 1e-10
        # a long run of the reference cell from a nearby start
        d = rng.standard_normal(fp.x.size)
        x0 = fp.x + 1e-4 * d / np.linalg.norm(d)
        names = STATES[cells.cell_name(p)]
        tr = cells.cell_reference(
            p,
            np.zeros((600, 1)),
            **{f"{s}0": x0[k : k + 1] for k, s in enumerate(names)},
        )
        X = np.concatenate([getattr(tr, s) for s in names], axis=-1)
        dist = np.max(np.abs(X - fp.x), axis=-1)
        if fp.kind == "stable":
            assert dist[-1] < 1e-9
        else:  # the run leaves the point: it has an unstable direction
            assert np.max(dist) > 1e-2


def test_the_unstable_gru_point_has_the_predicted_eigenvalue() -> None:
    # at h = 0: dh' / dh = z + (1 - z) r * 2 (reset after the product) with
    # r = sigma(5), z = sigma(-1); before it: the same (h = 0 kills the h s_r term)
    z, r = 1 / (1 + np.exp(1.0)), 1 / (1 + np.exp(-5.0))
    for name in ("gru", "gru-reset-first"):
        eq = dynamics.fixed_points(bistable(name), starts=12, seed=1)
        (origin,) = [fp for fp in eq.fixed_points if abs(fp.x[0]) < 1e-12]
        np.testing.assert_allclose(origin.eigenvalues.real, [z + (1 - z) * 2 * r])


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), nn=st.integers(1, 4), case=st.sampled_from(IDS))
def test_found_fixed_points_have_small_residuals(seed, nn, case) -> None:
    cell, flags = VARIANTS[IDS.index(case)]
    p = gaussian(cell, nn, 1, 1, seed, scale=0.8, **flags)
    u0 = np.array([0.3])
    eq = dynamics.fixed_points(p, u0, starts=8, seed=seed)
    for fp in eq.fixed_points:
        x1, _ = reference_step(p, fp.x[None], u0[None])
        assert np.max(np.abs(x1[0] - fp.x)) <= 1e-10
        ev = np.linalg.eigvals(central_differences(p, fp.x, u0)[0])
        assert np.max(np.abs(ev)) == pytest.approx(fp.spectral_radius, abs=1e-6)


# --------------------------------------- linearization, Lyapunov, one interface
def test_gru_linearization_gain_is_the_steady_state_slope() -> None:
    p = gaussian("gru", 3, 1, 1, seed=5, scale=0.8)
    u0, eps = np.array([0.2]), 1e-5
    eq = dynamics.fixed_points(p, u0, starts=8)
    fp = eq.fixed_points[0]
    assert fp.kind == "stable"
    lin = dynamics.linearize(p, fp.x, u0)
    assert list(lin.state_labels) == ["h[0]", "h[1]", "h[2]"]
    assert lin.name == "gru_linearized"

    def steady(u: float) -> float:  # the reference cell run to rest from x*
        tr = cells.cell_reference(p, np.full((3000, 1), u), h0=fp.x)
        return float(tr.y[-1, 0])

    slope = (steady(u0[0] + eps) - steady(u0[0] - eps)) / (2 * eps)
    gain = dynamics.linear_summary(lin).dcgain[0, 0]
    assert gain == pytest.approx(slope, rel=1e-6)


@pytest.mark.parametrize("name", ["gru", "peephole", "rnn"])
def test_lyapunov_exponent_at_a_stable_point_is_log_spectral_radius(name) -> None:
    p = bistable(name)
    fp = dynamics.fixed_points(p, starts=12).fixed_points[0]  # most stable first
    le = dynamics.lyapunov_exponents(p, np.zeros((400, 1)), x0=fp.x, k=1, burn_in=100)[
        0
    ]
    assert le == pytest.approx(np.log(fp.spectral_radius), abs=1e-6)


class Linear(dynamics.CellSystem):
    """x+ = a x + b u, y = F x+: a cell written by a user against the interface."""

    cell = "linear"

    def step(self, x, u):
        return x @ self.params.a.T + u @ self.params.b.T

    def step_jacobians(self, x, u):
        shape = np.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        return (
            np.broadcast_to(self.params.a, shape + self.params.a.shape),
            np.broadcast_to(self.params.b, shape + self.params.b.shape),
        )


def test_a_cell_of_ones_own_gets_the_whole_analysis() -> None:
    a = np.array([[0.5, 0.2], [-0.1, 0.8]])
    b = np.array([[1.0], [0.5]])
    prm = SimpleNamespace(
        a=a, b=b, F=np.array([[1.0, -1.0]]), bF=np.zeros(1), h0=np.zeros(2),
        nn=2, ni=1, no=1,
    )  # fmt: skip
    res = dynamics.analyze(Linear(prm), [1.0], starts=4, steps=100)
    fp = res.equilibria.fixed_points[0]
    np.testing.assert_allclose(fp.x, np.linalg.solve(np.eye(2) - a, b[:, 0]))
    assert res.iss is None and res.to_dict()["cell"] == "linear"
    gain = prm.F @ a @ np.linalg.solve(np.eye(2) - a, b) + prm.F @ b
    np.testing.assert_allclose(res.linear.dcgain, gain, rtol=1e-12)
    rho = np.max(np.abs(np.linalg.eigvals(a)))
    assert res.lyapunov_exponent == pytest.approx(np.log(rho), abs=1e-6)


# ----------------------------------------------------------- LSTM-only parts
@pytest.mark.parametrize("cell", ["gru", "peephole", "rnn"])
def test_lstm_only_parts_refuse_other_cells_by_name(cell) -> None:
    p = cells.CELLS[cell].random(2, 1, 1)
    with pytest.raises(TypeError, match=f"ISS condition.*LSTM only.*{cell} cell"):
        dynamics.iss_condition(p)
    with pytest.raises(TypeError, match=f"calculated: .*pole study.*{cell} cell"):
        dynamics.pole_study(p)
    res = dynamics.analyze(p, starts=2, steps=20, burn_in=5)
    assert res.iss is None and res.to_dict()["iss"] is None
    assert f"LSTM only (not for the {cell} cell)" in res.text()
    with pytest.raises(TypeError, match="params: expected LSTMParams, GRUParams"):
        dynamics.fixed_points("gru")


def test_gru_fixed_point_has_no_cell_state() -> None:
    eq = dynamics.fixed_points(bistable("gru"), starts=4)
    fp = eq.fixed_points[0]
    assert set(fp.to_dict()) >= {"h", "residual"} and "c" not in fp.to_dict()
    np.testing.assert_array_equal(fp.h, fp.x)
    with pytest.raises(AttributeError, match="state is \\(h\\), it has no c"):
        _ = fp.c


# --------------------------------------------------------------------- CLI
def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


def test_cli_analyze_a_gru_file_and_refuse_it_as_lstm(tmp_path) -> None:
    path = bistable("gru-reset-first").save(tmp_path / "gru.npz")
    rc, out, _ = run(["analyze", "--cell", "gru", "--weights", str(path), "--json"])
    assert rc == 0
    res = json.loads(out)
    assert res["cell"] == "gru" and res["iss"] is None
    assert sorted(fp["kind"] for fp in res["fixed_points"]) == EXPECTED["gru"]
    assert all(set(fp) >= {"h"} and "c" not in fp for fp in res["fixed_points"])
    rc, _, err = run(["analyze", "--weights", str(path)])
    assert rc == 2 and "GRU weights" in err and "expected LSTM weights" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    rc, _, err = run(["analyze", "--cell", "gru", "--weights", str(path), "--nn", "2"])
    assert rc == 2 and "--nn" in err


def test_cli_analyze_random_cells_and_bad_cell(tmp_path) -> None:
    rc, out, _ = run(["analyze", "--cell", "rnn", "--nn", "2", "--seed", "4",
                      "--steps", "50", "--starts", "4", "--json"])  # fmt: skip
    assert rc == 0
    res = json.loads(out)
    p = cells.RNNParams.random(2, 1, 1, seed=4)
    assert res["cell"] == "rnn" and res["sizes"] == {"nn": 2, "ni": 1, "no": 1}
    eq = dynamics.fixed_points(p, starts=4, seed=4)
    assert [fp["h"] for fp in res["fixed_points"]] == [
        list(fp.h) for fp in eq.fixed_points
    ]
    rc, _, err = run(["analyze", "--cell", "lsmt"])
    assert rc == 2 and "--cell: expected one of" in err and "'lsmt'" in err


def test_phase_portrait_of_a_one_unit_gru(tmp_path) -> None:
    p = bistable("gru")
    eq = dynamics.fixed_points(p, starts=6)
    fig = dynamics.plot_phase_portrait(p, eq, runs=5, steps=20)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "h"
    # every run is drawn and the three fixed points are marked at their h
    assert len(ax.get_lines()) >= 2 * 5 + 2 * 3


@pytest.mark.parametrize("case", ["gru-reset-first", "peephole", "rnn-tanh"])
def test_iosys_of_any_cell_runs_as_its_reference(case) -> None:
    import control as ct

    cell, flags = VARIANTS[IDS.index(case)]
    p = gaussian(cell, 3, 2, 1, seed=8, **flags)
    sys_ = dynamics.lstm_iosys(p, ts=0.01)
    assert sys_.name == cell and sys_.nstates == len(STATES[cell]) * 3
    u = np.random.default_rng(9).standard_normal((30, 2))
    resp = ct.input_output_response(
        sys_, np.arange(30) * 0.01, u.T, X0=dynamics.initial_state(p)
    )
    np.testing.assert_allclose(
        np.ravel(resp.outputs), cells.cell_reference(p, u).y[:, 0], atol=1e-13
    )
