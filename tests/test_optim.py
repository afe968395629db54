"""Schedule, clipping and Adam semantics, checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from blocksim_lstm import LSTMParams
from blocksim_lstm.training import (
    LEARNABLES,
    TrainOptions,
    clip_gradients,
    loss_and_gradients,
    piecewise_lr,
    train,
)


def test_piecewise_schedule_drops_every_period():
    lrs = piecewise_lr(350, 0.04, 0.98, 100)
    assert lrs.shape == (350,)
    # epochs 1..100 use lr0; 101..200 lr0*f; 201..300 lr0*f^2; 301.. lr0*f^3
    assert np.all(lrs[:100] == 0.04)
    assert lrs[100] == pytest.approx(0.04 * 0.98, rel=1e-15)
    assert np.all(lrs[100:200] == lrs[100])
    assert lrs[299] == pytest.approx(0.04 * 0.98**2, rel=1e-15)
    assert lrs[300] == pytest.approx(0.04 * 0.98**3, rel=1e-15)
    assert piecewise_lr(np.array([10000]), 1e-4, 0.99, 100)[0] == pytest.approx(
        1e-4 * 0.99**99, rel=1e-13
    )


def test_schedule_factor_one_is_constant():
    assert np.all(piecewise_lr(500, 0.1, 1.0, 7) == 0.1)


def _grads(rng, scale):
    return {
        "W": scale * rng.normal(size=(8, 2)),
        "R": scale * rng.normal(size=(8, 2)),
        "b": 0.01 * rng.normal(size=8),  # small: stays below the threshold
        "F": scale * rng.normal(size=(1, 2)),
        "bF": np.array([0.3]),
    }


def test_l2norm_clips_each_array_separately(rng):
    g = _grads(rng, 5.0)
    c = clip_gradients(g, 1.0, method="l2norm")
    for k in LEARNABLES:
        norm = np.linalg.norm(g[k])
        if norm > 1.0:
            assert np.linalg.norm(c[k]) == pytest.approx(1.0, rel=1e-14)
            np.testing.assert_allclose(c[k], g[k] / norm, rtol=1e-14)
        else:
            np.testing.assert_array_equal(c[k], g[k])
    assert np.linalg.norm(g["b"]) < 1.0  # the case "below threshold" was exercised


def test_global_l2norm_scales_all_together(rng):
    g = _grads(rng, 5.0)
    total = math.sqrt(sum(np.sum(v**2) for v in g.values()))
    c = clip_gradients(g, 2.0, method="global-l2norm")
    for k in LEARNABLES:
        np.testing.assert_allclose(c[k], g[k] * 2.0 / total, rtol=1e-14)
    small = _grads(rng, 1e-3)
    small["bF"] = np.array([1e-3])
    c2 = clip_gradients(small, 2.0, method="global-l2norm")
    for k in LEARNABLES:
        np.testing.assert_array_equal(c2[k], small[k])


def test_clip_rejects_bad_arguments(rng):
    g = _grads(rng, 1.0)
    with pytest.raises(ValueError, match="threshold"):
        clip_gradients(g, -1.0)
    with pytest.raises(ValueError, match="method"):
        clip_gradients(g, 1.0, method="value")


def _numpy_adam(params, u, y, opts):
    """Independent Adam loop in numpy (gradients from the kernel)."""
    theta = {k: np.array(getattr(params, k)) for k in LEARNABLES}
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    v = {k: np.zeros_like(t) for k, t in theta.items()}
    lrs = piecewise_lr(opts.epochs, opts.lr, opts.drop_factor, opts.drop_period)
    for step in range(1, opts.epochs + 1):
        _, g = loss_and_gradients(params.replace(**theta), u, y)
        g = clip_gradients(g, opts.grad_threshold, method=opts.clip)
        for k in LEARNABLES:
            if k in opts.frozen:
                continue
            m[k] = opts.beta1 * m[k] + (1 - opts.beta1) * g[k]
            v[k] = opts.beta2 * v[k] + (1 - opts.beta2) * g[k] ** 2
            mh = m[k] / (1 - opts.beta1**step)
            vh = v[k] / (1 - opts.beta2**step)
            theta[k] = theta[k] - lrs[step - 1] * mh / (np.sqrt(vh) + opts.eps)
    return theta


@pytest.mark.parametrize(
    "opts",
    [
        TrainOptions(epochs=7, lr=0.05, drop_factor=0.5, drop_period=3),
        TrainOptions(epochs=5, lr=0.01, clip="global-l2norm", grad_threshold=0.1),
        TrainOptions(epochs=4, lr=0.02, frozen=("R", "bF")),
    ],
)
def test_adam_matches_independent_numpy_loop(rng, opts):
    p = LSTMParams.random(3, 2, 1, seed=4)
    u, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 1))
    res = train(p, u, y, opts)
    expected = _numpy_adam(p, u, y, opts)
    for k in LEARNABLES:
        np.testing.assert_allclose(
            getattr(res.params, k), expected[k], rtol=1e-12, atol=1e-14
        )
        if k in opts.frozen:
            np.testing.assert_array_equal(getattr(res.params, k), getattr(p, k))


def test_first_adam_step_moves_each_weight_by_lr(rng):
    # with bias correction the first step is lr * g / (|g| + eps) ~ lr * sign(g)
    p = LSTMParams.random(2, 1, 1, seed=1)
    u, y = rng.normal(size=(30, 1)), rng.normal(size=(30, 1))
    res = train(p, u, y, TrainOptions(epochs=1, lr=1e-3, grad_threshold=math.inf))
    _, g = loss_and_gradients(p, u, y)
    for k in LEARNABLES:
        step = getattr(p, k) - getattr(res.params, k)
        np.testing.assert_allclose(step, 1e-3 * g[k] / (np.abs(g[k]) + 1e-8), rtol=1e-9)
        assert np.all(np.abs(np.abs(step) - 1e-3) < 1e-3 * 1e-3)  # ~ lr * sign(g)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 2.5}, TypeError, "epochs"),
        ({"lr": -1}, ValueError, "lr"),
        ({"lr": float("nan")}, ValueError, "lr"),
        ({"drop_factor": 1.5}, ValueError, "drop_factor"),
        ({"drop_period": 0}, ValueError, "drop_period"),
        ({"grad_threshold": 0}, ValueError, "grad_threshold"),
        ({"clip": "value"}, ValueError, "clip"),
        ({"beta1": 1.0}, ValueError, "beta1"),
        ({"frozen": ("Q",)}, ValueError, "frozen"),
        ({"frozen": LEARNABLES}, ValueError, "nothing to train"),
        ({"l2": -1e-4}, ValueError, "l2"),
    ],
)
def test_options_reject_bad_values(kwargs, err, match):
    with pytest.raises(err, match=match):
        TrainOptions(**kwargs)


def test_options_roundtrip_through_dict():
    o = TrainOptions(epochs=3, grad_threshold=math.inf, frozen=("F",), l2=1e-4)
    assert TrainOptions.from_dict(o.to_dict()) == o
