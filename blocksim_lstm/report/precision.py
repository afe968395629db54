"""How the report states a number: rounding-level bounds, spreads, and digits.

Three kinds of number appear in the report, each said at the precision its
physics gives it, so that ``report.md``, ``report.html`` and ``summary.json`` are
the same bytes on every machine:

- **Rounding-level numbers** (:class:`Bound`): a float64 wire error of 1e-15, the
  float32 output norm, an error floor, a round-trip error. Their digits depend
  on the order in which a CPU or BLAS kernel sums, so the report shows a bound
  fixed in advance (``< 1e-13``, or a window ``1e-7 to 1e-5``), never the digits.
  The raw values go to ``rounding.json`` (machine-dependent, like
  ``timings.json``).
- **Chaotic results** (:class:`Spread`): a final loss after thousands of
  epochs moves by 2x under a rounding-level change, so it is shown as the median
  and the range over several seeds.
- **Everything else** (gains, MSEs, chosen scl, slopes, first losses): printed
  with the digits the report chooses, and kept in ``summary.json`` to
  :data:`SUMMARY_DIGITS` significant digits, far above any rounding noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "BOUND_RULE",
    "SUMMARY_DIGITS",
    "Bound",
    "Spread",
    "json_ready",
    "stated",
]

SUMMARY_DIGITS = 4
"""Significant digits of every plain number in ``summary.json``."""

BOUND_RULE = (
    "Rounding-level numbers (a float64 wire error of 1e-15, the float32 output "
    "norm, an error floor, a round-trip error) depend on the order in which the "
    "CPU and its BLAS library add, so their digits differ between machines. The "
    "report gives each as a bound fixed in advance: `< 1e-13` means the value "
    "measured here is below 1e-13, `1e-7 to 1e-5` that it lies in that window. "
    "Each bound is at least a factor of 5 away from every value we measured "
    "under the OpenBLAS kernels Haswell, Prescott, Sandybridge and Zen (most are "
    "two decades away), so it reads the same on any machine; a value outside "
    "its bound is printed with its digits and flagged. The raw values are in "
    "`rounding.json`, which, like `timings.json`, depends on the machine."
)
"""The rule the report states for rounding-level numbers."""


def _pow10(x: float) -> str:
    """``1e-13`` for 1e-13 (a power of ten, short form)."""
    e = round(math.log10(x))
    if not math.isclose(x, 10.0**e, rel_tol=1e-12):
        return f"{x:g}"
    return f"1e{e}" if e < 0 or e > 3 else f"{10**e:d}"


@dataclass(frozen=True)
class Bound:
    """A rounding-level number, stated as a bound fixed in advance.

    Attributes
    ----------
    value : float
        What was measured (machine-dependent digits).
    upper : float
        The bound (a power of ten): the value is expected below it.
    lower : float
        For a window, its lower end (a power of ten); 0 for a one-sided bound.
    """

    value: float
    upper: float
    lower: float = 0.0

    def __post_init__(self) -> None:
        if not (self.upper > self.lower >= 0):
            raise ValueError(
                f"upper: expected upper > lower >= 0, got upper {self.upper}, "
                f"lower {self.lower}"
            )

    @property
    def holds(self) -> bool:
        """True if ``lower <= value < upper`` (False for NaN)."""
        return bool(self.lower <= self.value < self.upper)

    @property
    def bound_text(self) -> str:
        """The bound alone: ``< 1e-13`` or ``1e-7 to 1e-5``."""
        if self.lower > 0:
            return f"{_pow10(self.lower)} to {_pow10(self.upper)}"
        return f"< {_pow10(self.upper)}"

    @property
    def text(self) -> str:
        """What the report prints: the bound, or the digits flagged if outside."""
        if self.holds:
            return self.bound_text
        return f"{self.value:.2e} (OUTSIDE the expected {self.bound_text})"

    def to_json(self) -> dict[str, object]:
        """``{"below": upper}`` (and ``"from": lower`` for a window); the value
        itself only when it is outside the bound."""
        out: dict[str, object] = {}
        if self.lower > 0:
            out["from"] = self.lower
        out["below"] = self.upper
        if not self.holds:
            out["outside_bound_value"] = self.value
        return out

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Spread:
    """A chaotic result: its median and range over several seeds.

    Values (and the median) are kept to :data:`SUMMARY_DIGITS` significant
    digits, so the report's text and ``summary.json`` are formatted from the
    same numbers (no double rounding between them).

    Attributes
    ----------
    values : tuple of float
        One value per seed, in seed order.
    seeds : tuple of int
        The seeds.
    what : str
        What the seeds are (``"data seeds"``, ``"random starts"``).
    """

    values: tuple[float, ...]
    seeds: tuple[int, ...]
    what: str

    @classmethod
    def of(cls, values: Iterable[float], seeds: Iterable[int], what: str) -> Spread:
        """Build from any iterables (values must be finite numbers).

        Parameters
        ----------
        values
            One finite number per run.
        seeds
            The seed of each run, in the same order.
        what
            What the runs are (``"data seeds"``, ``"random starts"``).
        """
        vals = tuple(_round(float(v), SUMMARY_DIGITS) for v in values)
        sds = tuple(int(s) for s in seeds)
        if not vals or len(vals) != len(sds):
            raise ValueError(
                f"values: expected one value per seed, got {len(vals)} values for "
                f"{len(sds)} seeds"
            )
        return cls(vals, sds, what)

    @property
    def n(self) -> int:
        """Number of seeds."""
        return len(self.values)

    @property
    def median(self) -> float:
        return _round(float(np.median(self.values)), SUMMARY_DIGITS)

    @property
    def min(self) -> float:
        return float(np.min(self.values))

    @property
    def max(self) -> float:
        return float(np.max(self.values))

    def seeds_text(self) -> str:
        """``seeds 0–4`` for a run of seeds, else the list."""
        s = self.seeds
        if len(s) > 2 and s == tuple(range(s[0], s[-1] + 1)):
            return f"{self.what} {s[0]}–{s[-1]}"
        return f"{self.what} {', '.join(map(str, s))}"

    def text(self, fmt: str = ".2g") -> str:
        """``0.0015 (0.0008–0.0041)``: median, then min–max (``-0.01 to 0.01``
        when the range holds negative numbers).

        Parameters
        ----------
        fmt
            Format spec of each number.
        """
        return _spread_text(self.median, self.min, self.max, self.n, fmt)

    def to_json(self) -> dict[str, object]:
        """Median, min, max, n and the seeds (the values are in ``values``)."""
        return {
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "n": self.n,
            "seeds": list(self.seeds),
            "values": list(self.values),
        }


def _spread_text(median: float, lo: float, hi: float, n: int, fmt: str) -> str:
    if n == 1:
        return f"{median:{fmt}} (one run)"
    if lo == hi:
        return f"{median:{fmt}} (all {n} equal)"
    dash = " to " if lo < 0 else "–"  # "-0.01–0.01" would misread
    return f"{median:{fmt}} ({lo:{fmt}}{dash}{hi:{fmt}})"


def _round(x: float, digits: int) -> float:
    if not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{digits}g}")


def json_ready(obj: object, *, digits: int = SUMMARY_DIGITS) -> object:
    """``obj`` with floats to ``digits`` significant digits, bounds and spreads
    as their JSON forms, numpy scalars as Python numbers, tuples as lists.

    Parameters
    ----------
    obj
        Nested dicts / lists of numbers, strings, :class:`Bound`, :class:`Spread`.
    digits
        Significant digits kept of each float.
    """
    if isinstance(obj, Bound | Spread):
        return json_ready(obj.to_json(), digits=digits)
    if isinstance(obj, dict):
        return {str(k): json_ready(v, digits=digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_ready(v, digits=digits) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return _round(float(obj), digits)
    return obj


def stated(value: object, fmt: str = ".3g") -> str:
    """A ``summary.json`` value as the README and the report state it.

    A bound (``{"below": ...}``) gives its bound text, a spread (``{"median",
    "min", "max", ...}``) its median and range, a number its ``fmt`` form.

    Parameters
    ----------
    value
        One value read from ``summary.json``.
    fmt
        Format of a plain number and of a spread's numbers.
    """
    if isinstance(value, dict) and "below" in value:
        bound = Bound(
            float(value.get("outside_bound_value", 0.0)),
            float(value["below"]),
            float(value.get("from", 0.0)),
        )
        return bound.text if "outside_bound_value" in value else bound.bound_text
    if isinstance(value, dict) and {"median", "min", "max", "n"} <= set(value):
        return _spread_text(
            float(value["median"]),  # type: ignore[arg-type]
            float(value["min"]),  # type: ignore[arg-type]
            float(value["max"]),  # type: ignore[arg-type]
            int(value["n"]),  # type: ignore[call-overload]
            fmt,
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"value: expected a number, a bound or a spread, got {value!r}"
        )
    return f"{float(value):{fmt}}"
