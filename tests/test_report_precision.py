"""How the report states numbers: bounds, spreads, and summary digits."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from blocksim_lstm.report.precision import Bound, Spread, json_ready, stated


def test_bound_text_and_json():
    b = Bound(1.78e-15, 1e-13)
    assert b.holds and b.text == "< 1e-13" and str(b) == "< 1e-13"
    assert b.to_json() == {"below": 1e-13}
    w = Bound(8.8e-7, 1e-5, 1e-7)
    assert w.holds and w.text == "1e-7 to 1e-5"
    assert w.to_json() == {"from": 1e-7, "below": 1e-5}
    # outside: the digits appear, flagged, and the JSON carries the value
    out = Bound(3e-5, 1e-5, 1e-7)
    assert not out.holds
    assert out.text == "3.00e-05 (OUTSIDE the expected 1e-7 to 1e-5)"
    assert out.to_json()["outside_bound_value"] == 3e-5
    assert not Bound(5e-8, 1e-5, 1e-7).holds  # below the window
    assert not Bound(float("nan"), 1e-13).holds
    with pytest.raises(ValueError, match="upper"):
        Bound(1.0, 1e-7, 1e-5)


@given(
    exponent=st.integers(-17, -4),
    mantissa=st.floats(1.0, 9.99),
    margin=st.integers(1, 3),
)
def test_a_bound_reads_the_same_for_every_value_below_it(exponent, mantissa, margin):
    """The printed text depends on the bound only, never on the digits."""
    upper = 10.0 ** (exponent + margin)
    value = mantissa * 10.0**exponent
    texts = {Bound(value * f, upper).text for f in (0.5, 0.9, 1.0, 1.1, 2.0)}
    texts = {t for t in texts if "OUTSIDE" not in t}
    assert texts == {f"< 1e{exponent + margin}"}


def test_spread_text_and_json():
    sp = Spread.of([0.0015, 0.0008, 0.0041, 0.0011, 0.002], range(5), "data seeds")
    assert sp.n == 5 and sp.median == 0.0015
    assert sp.text() == "0.0015 (0.0008–0.0041)"
    assert sp.seeds_text() == "data seeds 0–4"
    assert Spread.of([2.0], [3], "random starts").text() == "2 (one run)"
    assert Spread.of([-0.01, 0.004, 0.01], range(3), "x").text() == (
        "0.004 (-0.01 to 0.01)"
    )
    assert Spread.of([2.0, 2.0], [0, 5], "x").text() == "2 (all 2 equal)"
    assert Spread.of([1.0, 2.0], [0, 5], "random starts").seeds_text() == (
        "random starts 0, 5"
    )
    j = sp.to_json()
    assert j["min"] == 0.0008 and j["max"] == 0.0041 and j["seeds"] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="one value per seed"):
        Spread.of([1.0, 2.0], [0], "x")


@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_summary_numbers_keep_four_digits(x):
    got = json_ready({"a": [x, (x, np.float64(x))]})
    assert isinstance(got, dict)
    vals = [got["a"][0], *got["a"][1]]
    for v in vals:
        assert type(v) is float
        assert v == float(f"{x:.4g}")
        if x != 0 and math.isfinite(v):
            assert abs(v - x) <= 5e-4 * abs(x) * (1 + 1e-12)
    assert json_ready(got) == got  # idempotent
    json.dumps(got)  # JSON-ready


def test_json_ready_keeps_ints_bools_and_strings():
    got = json_ready(
        {"n": np.int64(3), "ok": np.bool_(True), "s": "x", "b": Bound(1e-15, 1e-13)}
    )
    assert got == {"n": 3, "ok": True, "s": "x", "b": {"below": 1e-13}}
    assert type(got["n"]) is int and type(got["ok"]) is bool  # type: ignore[index]


def test_stated_reads_summary_values_back():
    assert stated(json_ready(Bound(1.8e-15, 1e-13))) == "< 1e-13"
    assert stated(json_ready(Bound(8.8e-7, 1e-5, 1e-7))) == "1e-7 to 1e-5"
    assert stated(json_ready(Bound(3e-5, 1e-5, 1e-7))).startswith("3.00e-05 (OUTSIDE")
    sp = Spread.of([0.0015, 0.0008, 0.0041], range(3), "data seeds")
    assert stated(json_ready(sp), ".2g") == sp.text(".2g") == "0.0015 (0.0008–0.0041)"
    assert stated(2.5948) == "2.59" and stated(120000) == "1.2e+05"
    with pytest.raises(ValueError, match="value: expected a number"):
        stated("x")


@given(
    st.lists(st.floats(1e-6, 1e3), min_size=1, max_size=7)
    | st.just([1.014, 1.017])  # median 1.0155: 1.02 directly, 1.01 from 1.015
)
def test_spread_text_is_what_summary_json_reads_back(values):
    """The report formats a spread from the numbers summary.json keeps (no
    double rounding between the two)."""
    sp = Spread.of(values, range(len(values)), "seeds")
    back = json.loads(json.dumps(json_ready(sp)))
    for fmt in (".2g", ".3g"):
        assert stated(back, fmt) == sp.text(fmt)
