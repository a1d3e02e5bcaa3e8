"""The months a review covers: its month, the window its figures and trends show, its
quarter. Pure.

A review run computes its `ReviewPeriod` once (`ReviewPeriod.of`) and passes it down,
so the summary, the figures, their anomalies and the history read all see the same
months, derived in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from quarterdeck.core.calendar import Month, months_ending, quarter_start

__all__ = ["TRAILING_MONTHS", "TREND_MONTHS", "WINDOW_MONTHS", "ReviewPeriod"]

# The months before the review month its figures are compared against (a metric's
# anomaly is judged against their mean).
TRAILING_MONTHS = 6
WINDOW_MONTHS = TRAILING_MONTHS + 1  # the review month and the six before it
# The months a review's trends show (tables, charts, the speed history), the review
# month last: the window's first month only feeds the growth of the second.
TREND_MONTHS = WINDOW_MONTHS - 1


@dataclass(frozen=True)
class ReviewPeriod:
    """One review's months. `window`: the review month and the six before it, oldest
    first (the figures' window: its first month only feeds the growth of the second)."""

    month: Month
    window: tuple[Month, ...]

    @classmethod
    def of(cls, month: Month) -> ReviewPeriod:
        """The period of the review of `month`."""
        return cls(month, months_ending(month, WINDOW_MONTHS))

    @property
    def previous(self) -> Month:
        """The month before: last month's review, the metrics file compared against."""
        return self.window[-2]

    @property
    def trend(self) -> tuple[Month, ...]:
        """The six months the trends show (tables, charts, the speed history), the review
        month last."""
        return self.window[-TREND_MONTHS:]

    @property
    def quarter(self) -> str:
        """The review month's quarter (`2026-Q4`)."""
        return self.month.quarter

    def quarter_start(self, tz: str) -> datetime:
        """When the review month's quarter began, in `tz`."""
        return quarter_start(self.quarter, tz)

    def read_span(self, tz: str) -> tuple[datetime, datetime]:
        """[since, until) of the PRs a review needs, in `tz`: the quarter so far, the
        month before and the months the trends show, in one read."""
        return min(self.quarter_start(tz), self.trend[0].start(tz)), self.month.end(tz)
