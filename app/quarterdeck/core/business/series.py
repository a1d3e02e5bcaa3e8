"""Monthly series and what a review says about them: change, targets, anomalies. Pure.

A `Series` maps a `Month` to a value; a month missing from it has no data (never 0).
The rules:

* month-on-month change: in percent for money and counts, in points for values that
  are themselves percentages or scores (a percent of a percent means nothing);
* derived metrics: `growth(m)` is m's month-on-month growth in percent, `ratio(a, b)`
  is a / b, `sum(a, b, ...)` adds months every input has;
* a target such as `>= 9` holds or is missed for a month with data;
* the default anomaly rule flags a month more than two standard deviations from the
  mean of the trailing six months with data (at least three of them).
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from quarterdeck.core.calendar import Month
from quarterdeck.core.text.units import show_value

__all__ = [
    "ANOMALY_SIGMAS",
    "Anomaly",
    "Series",
    "Target",
    "anomaly",
    "growth",
    "month_of",
    "parse_target",
    "ratio",
    "series_from_rows",
    "total",
]

Series = Mapping[Month, float]
ANOMALY_SIGMAS = 2.0
_MIN_HISTORY = 3  # fewer trailing months than this say nothing about what is normal
# A deviation this small next to the mean is float noise (10 % growth computed three
# ways), not variation: such a history is flat.
_FLAT = 1e-9
_TARGET = re.compile(r"^\s*(>=|<=|>|<|==)\s*(-?\d+(?:\.\d+)?)\s*$")


def month_of(value: object) -> Month:
    """The month a query row names: a date, a datetime, `YYYY-MM` or an ISO date string."""
    if isinstance(value, datetime | date):
        return Month(value.year, value.month)
    text = str(value).strip()
    if re.match(r"^\d{4}-\d{2}", text):
        return Month.parse(text[:7])
    raise ValueError(f"{text!r} names no month: return it as a date or as YYYY-MM")


def series_from_rows(
    rows: Sequence[Sequence[object]], where: str, *, quote: bool = True
) -> dict[Month, float]:
    """`(month, value)` rows as a Series; None values are no data. ValueError names `where`.

    `quote=False` leaves the offending cell out of the message (a source whose answer
    must not be shown, only located).
    """
    series: dict[Month, float] = {}
    for i, row in enumerate(rows, 1):
        if len(row) < 2:
            raise ValueError(f"{where}: row {i} has {len(row)} column(s); return (month, value)")
        month, value = row[0], row[1]
        if value is None:
            continue
        shown = f"{value!r} " if quote else "its value "
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{where}: row {i}: {shown}is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{where}: row {i}: {shown}is not a finite number")
        try:
            series[month_of(month)] = number
        except ValueError as exc:
            why = str(exc) if quote else "its month is not a date or YYYY-MM"
            raise ValueError(f"{where}: row {i}: {why}") from None
    return series


def growth(series: Series) -> dict[Month, float]:
    """Month-on-month growth in percent, for months whose previous month has a non-zero value."""
    out: dict[Month, float] = {}
    for month, value in series.items():
        before = series.get(month.previous())
        if before:  # None (no data) or 0 (growth from nothing is not a number)
            out[month] = (value - before) / abs(before) * 100
    return out


def ratio(numerator: Series, denominator: Series) -> dict[Month, float]:
    """a / b for the months both have, b non-zero."""
    return {m: v / denominator[m] for m, v in numerator.items() if denominator.get(m)}


def total(*parts: Series) -> dict[Month, float]:
    """The sum of the months every part has."""
    if not parts:
        return {}
    months = set(parts[0]).intersection(*parts[1:])
    return {m: sum(p[m] for p in parts) for m in months}


# How a target's comparison reads: the signs a person writes, not a programmer's.
_OPERATOR_SIGNS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


@dataclass(frozen=True)
class Target:
    """A goal a team set for a figure, e.g. `>= 9` on month-on-month growth (in percent).

    `unit` is the figure's (`percent`, `usd`, …), so the target reads as the figure
    does: `≥ 9 %`, `≥ $100,000`.
    """

    op: str
    value: float
    unit: str = ""

    def met(self, value: float) -> bool:
        """Whether `value` meets the target."""
        return {
            ">=": value >= self.value,
            "<=": value <= self.value,
            ">": value > self.value,
            "<": value < self.value,
            "==": value == self.value,
        }[self.op]

    def __str__(self) -> str:
        return f"{_OPERATOR_SIGNS[self.op]} {show_value(self.value, self.unit)}"


def parse_target(text: str, unit: str = "") -> Target:
    """`>= 9`, `< 2.5`, ... of a figure in `unit`; raises ValueError with an example otherwise."""
    m = _TARGET.match(text)
    if not m:
        raise ValueError(
            f"target {text!r} is not a comparison with a number: write e.g. '>= 9' or '< 2.5'"
        )
    return Target(m.group(1), float(m.group(2)), unit)


@dataclass(frozen=True)
class Anomaly:
    """A month far from what the trailing months make normal."""

    month: Month
    value: float
    mean: float
    stdev: float
    months: int  # how many trailing months had data

    @property
    def sigmas(self) -> float:
        """How many standard deviations away (inf when the trailing months never varied)."""
        if self.flat:
            return math.inf
        return abs(self.value - self.mean) / self.stdev

    @property
    def flat(self) -> bool:
        """Whether the trailing months never varied (any change is then an anomaly)."""
        return self.stdev <= _FLAT * max(1.0, abs(self.mean))

    @property
    def direction(self) -> str:
        return "above" if self.value > self.mean else "below"


def anomaly(
    series: Series, window: Sequence[Month], *, sigmas: float = ANOMALY_SIGMAS
) -> Anomaly | None:
    """The anomaly of the last month of `window` (oldest first), if its value is more
    than `sigmas` standard deviations from the mean of the window's months before it,
    the trailing months (sample deviation; at least three of them must have data). A
    flat history makes any change an anomaly. The window is the caller's, computed
    once per review (`core.review.period`), not derived again here."""
    *trailing, month = window
    if month not in series:
        return None
    history = [series[m] for m in trailing if m in series]
    if len(history) < _MIN_HISTORY:
        return None
    mean = statistics.fmean(history)
    stdev = statistics.stdev(history)
    value = series[month]
    found = Anomaly(month, value, mean, stdev, len(history))
    if found.flat:
        return found if not math.isclose(value, mean, rel_tol=_FLAT, abs_tol=_FLAT) else None
    return found if abs(value - mean) > sigmas * stdev else None
