"""This period's shipping speed against the previous period's, ready to print. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from quarterdeck.core.review.distribution import Metric, Unavailable, format_hours
from quarterdeck.core.review.speed import Speed

_MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True)
class Change:
    """This period against the previous one, with a ready-to-print `text`.

    `percent` is None when the previous value was 0 (`text` then says "new" or
    "no change"). Durations compare medians, and their text is in hours ("−3.1 h").
    """

    current: float
    previous: float
    delta: float
    percent: float | None
    text: str


@dataclass(frozen=True)
class SpeedComparison:
    """Each speed metric, this period against the previous; durations by median.

    `merged` compares every merged PR, `shipped` only those counted as shipped: a
    sentence that states one count compares that same count.
    """

    merged: Change
    shipped: Change
    throughput: Change
    cycle_time: Change | Unavailable
    time_to_first_review: Change | Unavailable
    review_time: Change | Unavailable
    lead_time: Change | Unavailable


def compare(this: Speed, previous: Speed) -> SpeedComparison:
    """How `this` period's speed changed from the `previous` period's."""
    return SpeedComparison(
        merged=_count_change(this.merged, previous.merged),
        shipped=_count_change(this.shipped, previous.shipped),
        throughput=change(this.throughput, previous.throughput),
        cycle_time=_median_change(this.cycle_time, previous.cycle_time),
        time_to_first_review=_median_change(
            this.time_to_first_review, previous.time_to_first_review
        ),
        review_time=_median_change(this.review_time, previous.review_time),
        lead_time=_median_change(this.lead_time, previous.lead_time),
    )


def change(current: float, previous: float) -> Change:
    """A relative change ("+25 %"); "new" when it grew from 0, never a division by 0."""
    delta = current - previous
    if previous == 0:
        return Change(current, previous, delta, None, "new" if current > 0 else "no change")
    percent = delta / previous * 100
    text = "no change" if round(percent) == 0 else _signed(f"{percent:+.0f}") + " %"
    return Change(current, previous, delta, percent, text)


def _count_change(current: int, previous: int) -> Change:
    base = change(current, previous)
    text = "no change" if current == previous else _signed(f"{current - previous:+d}")
    return Change(base.current, base.previous, base.delta, base.percent, text)


def _median_change(this: Metric, previous: Metric) -> Change | Unavailable:
    if isinstance(this, Unavailable):
        return this
    if isinstance(previous, Unavailable):
        return Unavailable(f"{previous.reason} (previous period)")
    base = change(this.median, previous.median)
    delta = this.median - previous.median
    if round(delta, 1) == 0:
        text = "no change"
    else:
        text = ("+" if delta > 0 else _MINUS) + format_hours(abs(delta))
    return Change(base.current, base.previous, delta, base.percent, text)


def _signed(text: str) -> str:
    return text.replace("-", _MINUS)
