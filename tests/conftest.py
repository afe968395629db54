"""Shared test fixtures: a seeded random generator, tolerances, headless plots."""

from __future__ import annotations

import os
import signal

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")
# Tests train for hundreds of epochs: they wait for numba's kernels rather than
# start on numpy's (the same bytes, ~500x slower). tests/test_train_engines.py
# runs the default ("auto") engine.
os.environ.setdefault("BLOCKSIM_LSTM_ENGINE", "compiled")

# A suite started in the background by a non-interactive shell (`.ci/run &`)
# inherits SIGINT ignored, and so would every process it starts: the tests that
# press Ctrl-C on a sweep need the default disposition (exec resets a handler
# to it, not an ignored signal).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

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
