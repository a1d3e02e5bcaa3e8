"""The review's period (core.review.period): its months computed once, passed down."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.review.period import TREND_MONTHS, WINDOW_MONTHS, ReviewPeriod


def test_a_period_holds_the_month_its_window_trend_and_quarter() -> None:
    period = ReviewPeriod.of(Month(2027, 1))

    # The window crosses the year: the review month and the six before it, oldest first.
    assert period.window == (
        Month(2026, 7), Month(2026, 8), Month(2026, 9), Month(2026, 10),
        Month(2026, 11), Month(2026, 12), Month(2027, 1),
    )  # fmt: skip
    assert len(period.window) == WINDOW_MONTHS
    assert period.trend == period.window[1:]
    assert len(period.trend) == TREND_MONTHS
    assert period.previous == Month(2026, 12)
    assert period.quarter == "2027-Q1"


def test_the_read_span_starts_at_the_first_trend_month_in_the_reviews_zone() -> None:
    zone = "America/Los_Angeles"
    since, until = ReviewPeriod.of(Month(2026, 11)).read_span(zone)

    # June (the trend's first month) starts before the quarter (October) does.
    assert since == datetime(2026, 6, 1, tzinfo=ZoneInfo(zone))
    assert until == datetime(2026, 12, 1, tzinfo=ZoneInfo(zone))
    assert ReviewPeriod.of(Month(2026, 11)).quarter_start(zone) == datetime(
        2026, 10, 1, tzinfo=ZoneInfo(zone)
    )
