"""Deterministic linear algebra: the same bits as plain Python, close to LAPACK.

Bit-for-bit claims are checked against an evaluation of the same formulas in
plain Python floats (IEEE-754, no BLAS, no fused multiply-add), and across
machines by re-running in child processes under other OpenBLAS kernels and
numba's generic CPU target.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from blocksim_lstm._experiment import PLANT_GAIN, PLANT_POLES, PLANT_TS, PLANT_ZEROS
from blocksim_lstm.statespace import _linalg as la
from blocksim_lstm.statespace import lti
from blocksim_lstm.statespace._discretize import poly_from_roots, zoh_companion
from blocksim_lstm.statespace.construction import lstm_from_state_space
from blocksim_lstm.statespace.realization import balanced_realization, canonical_signs


def _py_matmul(A, B):
    n, k = A.shape
    m = B.shape[1]
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            s = 0.0
            for p in range(k):
                s += float(A[i, p]) * float(B[p, j])
            out[i, j] = s
    return out


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 7),
    k=st.integers(1, 7),
    m=st.integers(1, 7),
    seed=st.integers(0, 999),
)
def test_matmul_is_bit_identical_to_plain_python(n, k, m, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((n, k)), rng.standard_normal((k, m)) * 1e3
    got = la.matmul(A, B)
    assert np.array_equal(got, _py_matmul(A, B))  # no FMA, no reordering
    np.testing.assert_allclose(got, A @ B, rtol=1e-12, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 9), seed=st.integers(0, 999))
def test_solve_cholesky_svd_expm_dlyap_agree_with_lapack(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) + n * np.eye(n)
    B = rng.standard_normal((n, 2))
    np.testing.assert_allclose(
        la.solve(A, B), np.linalg.solve(A, B), rtol=1e-9, atol=1e-12
    )
    W = A @ A.T + np.eye(n)
    L = la.cholesky(W)
    np.testing.assert_allclose(L, np.linalg.cholesky(W), rtol=1e-10, atol=1e-12)
    M = rng.standard_normal((n + 2, n))
    U, s, V = la.svd(M)
    np.testing.assert_allclose(s, np.linalg.svd(M, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose(U * s @ V.T, M, atol=1e-12)
    np.testing.assert_allclose(V.T @ V, np.eye(n), atol=1e-13)
    assert np.all(np.diff(s) <= 0)
    X = rng.standard_normal((n, n))
    np.testing.assert_allclose(la.expm(X), scipy.linalg.expm(X), rtol=1e-11, atol=1e-12)
    As = X / (1.05 * max(1.0, np.max(np.abs(np.linalg.eigvals(X)))))
    Q = B @ B.T
    np.testing.assert_allclose(
        la.dlyap(As, Q),
        scipy.linalg.solve_discrete_lyapunov(As, Q),
        rtol=1e-8,
        atol=1e-10,
    )


def test_errors_name_the_problem():
    with pytest.raises(la.LinAlgError, match="singular"):
        la.solve(np.zeros((2, 2)), np.ones((2, 1)))
    with pytest.raises(la.LinAlgError, match="not positive definite"):
        la.cholesky(-np.eye(2))
    with pytest.raises(la.LinAlgError, match="did not converge"):
        la.dlyap(1.5 * np.eye(2), np.eye(2))
    with pytest.raises(la.LinAlgError, match="do not chain"):
        la.matmul(np.ones((2, 3)), np.ones((2, 3)))


def test_charpoly_and_poly_from_roots():
    A = np.diag([0.5, -0.25, 2.0])
    np.testing.assert_allclose(la.charpoly(A), np.poly(np.diag(A)), atol=1e-14)
    np.testing.assert_array_equal(
        poly_from_roots([1.0, 1 + 2j, 1 - 2j]), np.poly([1, 1 + 2j, 1 - 2j]).real
    )
    with pytest.raises(ValueError, match="no conjugate partner"):
        poly_from_roots([1 + 2j])


def test_seed_plant_equals_python_controls_discretization():
    import control as ct

    ref = ct.ss(ct.c2d(lti.seed_plant_continuous(), PLANT_TS, "zoh"))
    ours = lti.seed_plant()
    for a, b in zip(
        (ours.A, ours.B, ours.C, ours.D), (ref.A, ref.B, ref.C, ref.D), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    A, *_ = zoh_companion(PLANT_ZEROS, PLANT_POLES, PLANT_GAIN, 0.05)
    np.testing.assert_allclose(
        np.sort_complex(np.linalg.eigvals(A)),
        np.sort_complex(np.exp(np.array(PLANT_POLES) * 0.05)),
        rtol=1e-10,  # a companion matrix's eigenvalues are ill-conditioned
    )


def _bal(sys):
    b = balanced_realization(sys)
    return [np.asarray(m) for m in (b.A, b.B, b.C, b.D)]


def test_flipped_signs_from_the_factor_routines_give_the_same_weights(monkeypatch):
    """SVD and Cholesky are free to flip signs; the realization must not care."""
    plant = lti.seed_plant()
    want = _bal(plant)
    weights = lstm_from_state_space(balanced_realization(plant), 1e-3).arrays()
    real_svd, real_chol = la.svd, la.cholesky
    flips = np.array([1.0, -1.0, -1.0, 1.0])

    def flipped_svd(M):
        U, s, V = real_svd(M)
        return U * flips[: s.size], s, V * flips[: s.size]

    def flipped_chol(W):
        return real_chol(W) * flips[::-1][: W.shape[0]]

    monkeypatch.setattr(la, "svd", flipped_svd)
    monkeypatch.setattr(la, "cholesky", flipped_chol)
    got = _bal(plant)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    again = lstm_from_state_space(balanced_realization(plant), 1e-3).arrays()
    for k in weights:
        np.testing.assert_array_equal(again[k], weights[k])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), nx=st.integers(1, 5), nu=st.integers(1, 2))
def test_canonical_signs_remove_any_sign_and_repeated_block_rotation(seed, nx, nu):
    rng = np.random.default_rng(seed)
    sys = lti.random_stable(nx, nu, 2, seed=seed)
    A, B, C, _ = _bal(sys)
    hsv = np.linspace(2.0, 1.0, A.shape[0])  # pretend distinct: signs only
    A0, B0, C0 = canonical_signs(A, B, C, hsv)
    S = np.diag(rng.choice([-1.0, 1.0], A.shape[0]))
    A1, B1, C1 = canonical_signs(S @ A @ S, S @ B, C @ S, hsv)
    for a, b in zip((A1, B1, C1), (A0, B0, C0), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-13)
    # k equal singular values: any rotation of that block is allowed and must be
    # undone (unique when [B_blk, C_blk^T] has full row rank, k <= nu + 2)
    n = A.shape[0]
    k = min(n, nu + 2)
    eq = np.concatenate([np.ones(k), np.linspace(0.5, 0.1, n - k)])
    Q = np.eye(n)
    Q[:k, :k] = np.linalg.qr(rng.standard_normal((k, k)))[0]
    A2, B2, C2 = canonical_signs(A, B, C, eq)
    A3, B3, C3 = canonical_signs(Q.T @ A @ Q, Q.T @ B, C @ Q, eq)
    for a, b in zip((A3, B3, C3), (A2, B2, C2), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)


_PRINT_WEIGHTS = (
    "import hashlib, numpy as np\n"
    "from blocksim_lstm.training import calculated_weights\n"
    "a = calculated_weights().arrays()\n"
    "print(hashlib.sha256(b''.join(np.ascontiguousarray(a[k]).tobytes() "
    "for k in sorted(a))).hexdigest())\n"
)


def test_calculated_weights_have_the_same_bits_under_other_blas_kernels(tmp_path):
    """Another CPU, simulated: OpenBLAS kernels and numba's generic target."""
    digests = {}
    for name, extra in {
        "default": {},
        "prescott": {"OPENBLAS_CORETYPE": "Prescott"},
        "sandybridge-generic": {
            "OPENBLAS_CORETYPE": "Sandybridge",
            "NUMBA_CPU_NAME": "generic",
            "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        },
    }.items():
        env = {**os.environ, **extra}
        out = subprocess.run(
            [sys.executable, "-c", _PRINT_WEIGHTS],
            env=env,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        digests[name] = out.stdout.strip()
    assert len(set(digests.values())) == 1, digests
    local = calculated = None
    from blocksim_lstm.training import calculated_weights

    calculated = calculated_weights().arrays()
    local = hashlib.sha256(
        b"".join(
            np.ascontiguousarray(calculated[k]).tobytes() for k in sorted(calculated)
        )
    ).hexdigest()
    assert digests["default"] == local
