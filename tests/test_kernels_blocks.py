"""The register-tiled products of the training kernels: same bytes as plain sums.

The kernels compute ``R' h`` (forward), ``R dz`` (backward) and the weight
gradients with register tiles over panels of outputs, in alternating panel
order from step to step, above size thresholds. Each output must still add its
terms one at a time in index order (time order for the gradients), so the
results are compared to the bit with plain numpy loops that add one term per
pass (numpy rounds each product and each sum separately, as the kernels
do), on data whose magnitudes spread over four decades, so that another order
of the terms changes bits; and the whole gradient with the plain
one-term-per-pass loops of ``test_train_kernels`` at sizes on both sides of
the thresholds.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_train_kernels import _problem, assert_gradient_equals_plain_loops

from blocksim_lstm.training import _kernels as K

DTYPES = st.sampled_from(["float64", "float32"])


def _spread(rng, shape, dtype):
    """Random numbers of both signs, magnitudes 1e-2 .. 1e2: sums of their
    products round differently in another order of the terms."""
    v = rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 3, size=shape)
    return v.astype(dtype)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 40),
    quads=st.integers(1, 26),  # m = 4 .. 104 outputs: full panels and every tail
    dtype=DTYPES,
    trans=st.booleans(),
    backwards=st.integers(0, 1),
    seed=st.integers(0, 2**16),
)
def test_panels_add_each_outputs_terms_in_index_order(
    n, quads, dtype, trans, backwards, seed
):
    """``z[k] += A[0, k] x[0] + A[1, k] x[1] + ...`` through panels, to the bit."""
    rng = np.random.default_rng(seed)
    m = 4 * quads
    A = _spread(rng, (n, m), dtype)
    x = _spread(rng, n, dtype)
    z0 = _spread(rng, m, dtype)
    P = np.full((n, m), np.nan, dtype)  # the forward kernel's RT has this shape
    src = np.ascontiguousarray(A.T) if trans else A
    K._pack_panels(P, src, n, m, trans)
    assert not np.isnan(P).any()  # every element placed
    z = z0.copy()
    K._add_panels(z, P, x, m, backwards)
    expected = z0.copy()
    for i in range(n):  # one term per pass, each product and sum rounded
        expected = expected + A[i] * x[i]
    np.testing.assert_array_equal(z, expected)


@settings(max_examples=15, deadline=None)
@given(
    rows=st.integers(1, 9),  # 4-row tiles and single rows
    quads=st.integers(1, 10),  # 8/16-column tiles and every tail
    nt=st.integers(1, 140),  # passes of 64 steps and the rest
    dtype=DTYPES,
    seed=st.integers(0, 2**16),
)
def test_weight_gradient_tiles_add_steps_backwards_in_time(
    rows, quads, nt, dtype, seed
):
    """``G[j, k] += D[t, k] X[t, j]`` for ``t = T-1, ..., 0`` through tiles."""
    rng = np.random.default_rng(seed)
    m = 4 * quads
    D = _spread(rng, (nt, m), dtype)
    X = _spread(rng, (nt + 1, rows), dtype)  # as ht: one row more than steps
    G0 = _spread(rng, (rows, m), dtype)
    G = G0.copy()
    K._add_outer(G, D, X, nt - 1)
    expected = G0.copy()
    for t in range(nt - 1, -1, -1):
        expected = expected + np.outer(X[t], D[t])
    np.testing.assert_array_equal(G, expected)


@settings(max_examples=14, deadline=None)
@given(
    nn=st.sampled_from(
        [
            K.FORWARD_PANEL_MIN_NN - 1,
            K.FORWARD_PANEL_MIN_NN,
            K.TILE_MIN_NN - 1,
            K.TILE_MIN_NN,
            K.PANEL_MIN_NN - 1,
            K.PANEL_MIN_NN,
            K.PANEL_MIN_NN + 1,
            K.PANEL_MIN_NN + 2,
            K.PANEL_MIN_NN + 3,
        ]
    ),
    ni=st.integers(1, 5),
    nb=st.integers(1, 2),
    nt=st.sampled_from([1, 2, 63, 64, 65, 130]),
    dtype=DTYPES,
    seed=st.integers(0, 2**16),
)
def test_kernels_around_the_size_thresholds_equal_the_plain_loops(
    nn, ni, nb, nt, dtype, seed
):
    """Loss and gradient equal to the bit those of the one-term-per-pass loops,
    below and above the sizes where the tiles and panels take over."""
    p, u, y = _problem(nn, ni, 1, nb, nt, seed)
    assert_gradient_equals_plain_loops(p, u, y, dtype, "compiled")
