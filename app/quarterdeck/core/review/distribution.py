"""Durations as distributions: n, median, p75 and p90 in hours, never a mean.

A metric the data cannot support is `Unavailable` with a reason a reader can act on
("needs GitHub"), never 0 and never a silent None.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from quarterdeck.core.text.units import show_duration


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in [0, 100]) by linear interpolation between closest ranks.

    The same as numpy's default (`method="linear"`). Raises ValueError on an empty
    sequence or a q outside [0, 100].
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    low, high = ordered[lo], ordered[hi]
    share = rank - lo
    gap = high - low
    # Between huge values of opposite sign the gap overflows to inf (and 0 * inf is nan);
    # the weighted sum stays finite.
    value = low + share * gap if math.isfinite(gap) else (1 - share) * low + share * high
    # Rounding can step a hair outside the two ranks; clamping keeps p50 ≤ p75 ≤ p90.
    return min(max(value, low), high)


@dataclass(frozen=True)
class Distribution:
    """A duration metric over n PRs, in hours."""

    available: ClassVar[bool] = True
    n: int
    median: float
    p75: float
    p90: float


@dataclass(frozen=True)
class Unavailable:
    """A metric the data cannot support, and why ("needs GitHub", NO_PRS, ...)."""

    available: ClassVar[bool] = False
    reason: str

    def __str__(self) -> str:
        return self.reason


Metric = Distribution | Unavailable


def distribution(values: Sequence[float]) -> Distribution | None:
    """n, median, p75 and p90 of some durations in hours; None when there are none."""
    if not values:
        return None
    return Distribution(
        n=len(values),
        median=percentile(values, 50),
        p75=percentile(values, 75),
        p90=percentile(values, 90),
    )


def format_hours(value: float) -> str:
    """A duration given in hours, in the unit a person reads fastest: min, h or d
    (a column of them picks one unit for all: see core.text.units.duration_unit)."""
    return show_duration(value)
