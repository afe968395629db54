"""Shared test fixtures: a seeded random generator, tolerances, headless plots."""

from __future__ import annotations

import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests train for hundreds of epochs: they wait for numba's kernels rather than
# start on numpy's (the same bytes, ~500x slower). tests/test_train_engines.py
# runs the default ("auto") engine.
os.environ.setdefault("BLOCKSIM_LSTM_ENGINE", "compiled")

# Shared tolerances: float64 comparisons between independent computations.
RTOL64 = 1e-12
ATOL64 = 1e-12
# float32 computation against a float64 one.
RTOL32 = 1e-5
ATOL32 = 1e-5


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator for each test (reproducible inputs)."""
    return np.random.default_rng(20261127)
