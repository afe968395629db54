"""LTI tools: the seed's reference values, random systems, simulation, zeros."""

from __future__ import annotations

import control as ct
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._experiment import PLANT_TS
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace.zpk import zpk_summary

SPEC_ZPK = (
    "0.078673 (z + 3.517)(z - 0.9608)(z + 0.2599) / "
    "((z^2 - 1.826 z + 0.8353)(z^2 - 1.72 z + 0.9608))"
)


def _tf_at(sys: ct.StateSpace, z: complex) -> np.ndarray:
    """C (zI - A)^-1 B + D at one point: an independent transfer-function value."""
    A, B, C, D = (np.asarray(m) for m in (sys.A, sys.B, sys.C, sys.D))
    return C @ np.linalg.solve(z * np.eye(A.shape[0]) - A, B) + D


# ---------------------------------------------------------------- seed's plant
def test_seed_plant_reference_values() -> None:
    sys = lti.seed_plant()
    assert (sys.nstates, sys.ninputs, sys.noutputs, sys.dt) == (4, 1, 1, 0.01)
    assert np.asarray(sys.D) == 0
    assert lti.dcgain(sys)[0, 0] == pytest.approx(7.5351, abs=5e-5)
    assert zpk_summary(sys) == SPEC_ZPK


def test_seed_plant_poles_are_zoh_images_of_continuous_poles() -> None:
    # a zero-order hold maps each continuous pole p to exp(p Ts), exactly
    pc = np.array([-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j])
    expected = np.exp(pc * PLANT_TS)
    assert lti.match_distance(lti.poles(lti.seed_plant()), expected) < 1e-12


def test_seed_plant_zeros_match_spec_factors() -> None:
    z = lti.zeros(lti.seed_plant())
    assert lti.match_distance(z, [-3.517, 0.9608, -0.2599]) < 5e-4
    # the SPEC's quadratic denominators z^2 + a z + b, to their 4 digits
    p = lti.poles(lti.seed_plant())
    upper = p[p.imag > 0]
    quads = sorted((-2 * q.real, abs(q) ** 2) for q in upper)
    np.testing.assert_allclose(quads, [(-1.826, 0.8353), (-1.72, 0.9608)], atol=5e-4)


def test_dcgain_agrees_with_control_and_the_step_response() -> None:
    sys = lti.random_stable(4, 2, 3, seed=7)
    g = lti.dcgain(sys)
    np.testing.assert_allclose(g, ct.dcgain(sys), rtol=1e-10)
    # a long unit step on input 1 settles at the gain's column 1
    u = np.zeros((400, 2))
    u[:, 1] = 1.0
    np.testing.assert_allclose(lti.simulate(sys, u)[-1], g[:, 1], rtol=1e-8)


# ------------------------------------------------------------- random systems
@settings(max_examples=25, deadline=None)
@given(
    nx=st.integers(1, 6),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 2**31),
    data=st.data(),
)
def test_random_stable_is_stable_with_requested_sizes(nx, nu, ny, seed, data) -> None:
    k = data.draw(st.integers(0, nx))
    sys = lti.random_stable(nx, nu, ny, seed=seed, origin_poles=k)
    assert (sys.nstates, sys.ninputs, sys.noutputs) == (nx, nu, ny)
    p = np.abs(np.linalg.eigvals(sys.A))
    assert p.max() < 0.95 + 1e-9
    assert np.sum(p < 1e-8) >= k
    if k:
        assert np.linalg.cond(sys.A) > 1e10


def test_random_stable_is_reproducible() -> None:
    a = lti.random_stable(5, 2, 2, seed=11)
    b = lti.random_stable(5, 2, 2, seed=11)
    c = lti.random_stable(5, 2, 2, seed=12)
    for m in ("A", "B", "C", "D"):
        assert (
            np.asarray(getattr(a, m)).tobytes() == np.asarray(getattr(b, m)).tobytes()
        )
    assert not np.allclose(a.A, c.A)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"nx": 0}, "nx: expected an integer >= 1"),
        ({"nx": 2, "origin_poles": 3}, "origin_poles: expected 0..nx=2"),
        ({"nx": 2, "max_radius": 1.0}, "max_radius"),
    ],
)
def test_random_stable_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        lti.random_stable(**kwargs)


# ------------------------------------------------------------------ simulation
@settings(max_examples=20, deadline=None)
@given(
    nx=st.integers(1, 5),
    nu=st.integers(1, 3),
    ny=st.integers(1, 3),
    seed=st.integers(0, 1000),
)
def test_simulate_matches_the_recursion(nx, nu, ny, seed) -> None:
    sys = lti.random_stable(nx, nu, ny, seed=seed)
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((30, nu))
    x0 = rng.standard_normal(nx)
    A, B, C, D = (np.asarray(m) for m in (sys.A, sys.B, sys.C, sys.D))
    x = x0.copy()
    want = []
    for t in range(30):
        want.append(C @ x + D @ u[t])
        x = A @ x + B @ u[t]
    np.testing.assert_allclose(
        lti.simulate(sys, u, x0=x0), want, rtol=1e-10, atol=1e-12
    )


def test_simulate_accepts_1d_input_for_one_input() -> None:
    sys = lti.seed_plant()
    u = np.random.default_rng(0).standard_normal(20)
    np.testing.assert_array_equal(lti.simulate(sys, u), lti.simulate(sys, u[:, None]))


def test_simulate_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match=r"u: expected shape \(T, nu\) with nu=1"):
        lti.simulate(lti.seed_plant(), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="u: expected finite"):
        lti.simulate(lti.seed_plant(), [[0.0], [np.nan]])
    with pytest.raises(ValueError, match=r"x0: expected shape \(4,\)"):
        lti.simulate(lti.seed_plant(), np.zeros((5, 1)), x0=[1.0])


# ----------------------------------------------------------- building systems
@pytest.mark.parametrize(
    ("mats", "match"),
    [
        (
            (np.eye(2), np.ones((3, 1)), np.ones((1, 2))),
            r"B: expected shape \(2, any\)",
        ),
        (
            (np.eye(2), np.ones((2, 1)), np.ones((1, 3))),
            r"C: expected shape \(any, 2\)",
        ),
        ((np.ones((2, 3)), np.ones((2, 1)), np.ones((1, 2))), "A: expected a square"),
        (
            (np.eye(2), np.ones((2, 1)), np.ones((1, 2)), np.ones((2, 2))),
            r"D: expected shape \(1, 1\)",
        ),
        (
            (np.diag([1.0, np.inf]), np.ones((2, 1)), np.ones((1, 2))),
            "A: expected finite",
        ),
    ],
)
def test_state_space_refuses_inconsistent_dimensions(mats, match) -> None:
    with pytest.raises(ValueError, match=match):
        lti.state_space(*mats)


def test_state_space_refuses_bad_sample_time() -> None:
    with pytest.raises(ValueError, match="ts: expected a positive sample time"):
        lti.state_space(np.eye(1), np.ones((1, 1)), np.ones((1, 1)), ts=0.0)


def test_check_discrete_refuses_continuous_and_transfer_functions() -> None:
    with pytest.raises(ValueError, match="continuous-time.*c2d"):
        lti.check_discrete(ct.ss(-np.eye(2), np.ones((2, 1)), np.ones((1, 2)), 0))
    with pytest.raises(TypeError, match="TransferFunction; convert it with control.ss"):
        lti.check_discrete(lti.seed_plant_continuous())
    with pytest.raises(TypeError, match="expected a control.StateSpace"):
        lti.check_discrete(np.eye(2))


# ---------------------------------------------------------------------- zeros
def test_zeros_of_a_tall_system_are_the_common_zeros() -> None:
    siso = lti.random_stable(3, 1, 1, seed=2)
    # two outputs proportional to one: the invariant zeros are the SISO zeros
    tall = ct.ss(
        siso.A,
        siso.B,
        np.vstack([siso.C, -2 * siso.C]),
        np.vstack([siso.D, -2 * siso.D]),
        1,
    )
    assert lti.match_distance(lti.zeros(tall), lti.zeros(siso)) < 1e-8
    wide = ct.ss(
        siso.A,
        np.hstack([siso.B, 3 * siso.B]),
        siso.C,
        np.hstack([siso.D, 3 * siso.D]),
        1,
    )
    assert lti.match_distance(lti.zeros(wide), lti.zeros(siso)) < 1e-8


def test_zeros_are_where_the_transfer_function_vanishes() -> None:
    sys = lti.random_stable(4, 1, 1, seed=5)
    for z in lti.zeros(sys):
        assert abs(_tf_at(sys, z)[0, 0]) < 1e-8 * (1 + abs(z)) ** 4


def test_zpk_summary_of_a_mimo_system_has_one_line_per_channel() -> None:
    text = zpk_summary(lti.random_stable(3, 2, 3, seed=1))
    lines = text.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("u[0] -> y[0]: ")
    assert lines[-1].startswith("u[1] -> y[2]: ")


def test_zpk_summary_writes_a_pure_delay() -> None:
    # y(t) = 2 u(t-2): 2 / z^2
    A = np.array([[0.0, 0.0], [1.0, 0.0]])
    sys = lti.state_space(A, [[1.0], [0.0]], [[0.0, 2.0]], ts=0.1)
    assert zpk_summary(sys) == "2 / z^2"


def test_markov_gain_is_the_first_nonzero_markov_parameter() -> None:
    sys = lti.seed_plant()
    assert lti.markov_gain(sys) == pytest.approx((sys.C @ sys.B)[0, 0], rel=1e-12)


def test_match_distance() -> None:
    assert lti.match_distance([1, 2j], [2j + 1e-3, 1]) == pytest.approx(1e-3)
    assert lti.match_distance([1], [1, 2]) == float("inf")
    assert lti.match_distance([], []) == 0.0


# ------------------------------------------------------------------ file I/O
def test_save_and_load_system(tmp_path) -> None:
    sys = lti.random_stable(3, 2, 1, seed=4, ts=0.05)
    path = lti.save_system(sys, tmp_path / "sys.npz")
    back = lti.load_system(path)
    for m in ("A", "B", "C", "D"):
        np.testing.assert_array_equal(getattr(back, m), getattr(sys, m))
    assert back.dt == 0.05


def test_load_system_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="system: no such file"):
        lti.load_system(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, A=np.eye(2), B=np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"missing \['C', 'D', 'Ts'\]"):
        lti.load_system(bad)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, A=np.eye(2), B=np.ones((3, 1)), C=np.ones((1, 2)), D=0.0, Ts=1.0)
    with pytest.raises(ValueError, match="B: expected shape"):
        lti.load_system(wrong)


def test_zeros_of_a_zero_transfer_function_are_not_nan() -> None:
    """B = 0, D = 0: a singular pencil, whose NaN "roots" are no zeros."""
    plant = lti.seed_plant()
    dead = ct.ss(plant.A, 0 * plant.B, plant.C, 0 * plant.D, plant.dt)
    assert np.isnan(np.asarray(dead.zeros(), dtype=complex)).any()  # the trap
    z = lti.zeros(dead)
    assert np.all(np.isfinite(z))


def test_dcgain_of_an_integrator_says_so() -> None:
    integrator = ct.ss([[1.0]], [[1.0]], [[1.0]], [[0.0]], 1.0)
    with pytest.raises(ValueError, match=r"^sys: a pole at z = 1 \(an integrator"):
        lti.dcgain(integrator)


def test_load_system_names_its_role_and_the_matrix(tmp_path) -> None:
    path = tmp_path / "c.npz"
    np.savez(path, A=[[0.5 + 1j]], B=[[1.0]], C=[[1.0]], D=[[0.0]], Ts=1.0)
    with pytest.raises(ValueError, match=r"^--system: .*c\.npz: A: expected real"):
        lti.load_system(path, what="--system")
    with pytest.raises(FileNotFoundError, match=r"^--system: no such file"):
        lti.load_system(tmp_path / "none.npz", what="--system")
