"""Checks of what examples and README blocks print, against independent numbers.

Each check parses printed text and compares it with a computation that does not
go through the code that printed it (the numpy reference cell instead of the
diagram or the numba trainer, closed-form parameter counts, the continuous
plant's gain, which a zero-order hold keeps) or with a known fact.
"""

from __future__ import annotations

import cmath
import re
from decimal import Decimal

import numpy as np

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"

# The seed's continuous plant (SPEC §4): zero -4, poles -9 +- 5i, -2 +- 50i, gain
# 5e5, sampled with a zero-order hold at Ts = 0.01 s. A ZOH keeps the DC gain,
# and maps each pole p to exp(p Ts).
PLANT_GAIN = 5e5 * 4 / (abs(-9 + 5j) ** 2 * abs(-2 + 50j) ** 2)
PLANT_POLES = sorted(
    (cmath.exp(p * 0.01) for p in (-9 + 5j, -9 - 5j, -2 + 50j, -2 - 50j)),
    key=lambda z: (round(z.real, 6), z.imag),
)


def lstm_params(ni: int, nn: int) -> int:
    """Parameters of one LSTM layer: W, R and b of four gates."""
    return 4 * nn * (ni + nn + 1)


def numbers(text: str) -> list[float]:
    """Every number in ``text``, in order."""
    return [float(x) for x in re.findall(NUMBER, text)]


def after(label: str, text: str) -> float:
    """The first number after ``label`` in ``text``."""
    m = re.search(re.escape(label) + r"\s*(" + NUMBER + ")", text)
    assert m, f"{label!r} not printed in:\n{text[:2000]}"
    return float(m[1])


def token_after(label: str, text: str) -> str:
    """The first number after ``label`` in ``text``, as printed."""
    m = re.search(re.escape(label) + r"\s*(" + NUMBER + ")", text)
    assert m, f"{label!r} not printed in:\n{text[:2000]}"
    return m[1]


def assert_rounds_to(printed: str, value: float) -> None:
    """``printed`` is ``value`` rounded to the digits shown (half a unit of the
    last digit; a change of that digit fails)."""
    d = Decimal(printed)
    half = Decimal(5) * Decimal(10) ** (d.as_tuple().exponent - 1)
    assert abs(Decimal(value) - d) <= half * Decimal("1.000001"), (printed, value)


def line_with(label: str, text: str) -> str:
    for line in text.splitlines():
        if label in line:
            return line
    raise AssertionError(f"no line with {label!r} in:\n{text[:2000]}")


def check_crosscheck_table(text: str, *, signals: int = 29, tol: float = 1e-12):
    """A float64 cross-check table: every wire passes, its error at rounding level.

    Returns the rows parsed, ``{signal: (max_abs, max_rel)}``.
    """
    rows = {}
    for line in text.splitlines():
        m = re.search(rf"\s(\d+)\s+({NUMBER})\s+({NUMBER})\s+(pass|FAIL.*)$", line)
        if m:
            assert m[4] == "pass", line
            rows[line[:16].strip()] = (float(m[2]), float(m[3]))
    assert len(rows) == signals, rows
    assert max(a for a, _ in rows.values()) <= tol
    assert f"PASSED: {signals} signals" in text
    return rows


def mse(params, u: np.ndarray, y: np.ndarray) -> float:
    """Training loss (mean squared error over all elements) by the numpy cell."""
    from blocksim_lstm._reference import reference_cell

    return float(np.mean((reference_cell(params, u).y - y) ** 2))
