"""The decisions of a quarter's monthly reviews, per team. Pure.

A quarter holds three reviews: each month's review is held early in the month after
the one it covers, so the reviews held in 2026-Q4 are those of September, October
and November (December's is held in January, after the planning meeting). Each
review issue carries the lead's decision in Quarterdeck's own section
(`core.review.decisions.read_record`); the planning issue and the quarter report
show them side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quarterdeck.core.calendar import Month, months_of_quarter
from quarterdeck.core.review.decisions import Record, read_record

__all__ = ["MonthDecision", "ReviewIssue", "decisions_by_team", "reviews_held_in"]


@dataclass(frozen=True)
class ReviewIssue:
    """One team's review issue of one month, as read from GitHub."""

    team: str
    month: Month
    number: int
    url: str
    body: str


@dataclass(frozen=True)
class MonthDecision:
    """What the review of `month` decided, if it was held and decided."""

    month: Month  # the month the review covered
    number: int | None = None  # the review issue; None: no review issue for that month
    url: str | None = None
    record: Record | None = None  # None: nobody decided (or no issue)

    @property
    def words(self) -> str:
        """`change course`, `continue as planned`, or why there is no decision."""
        if self.number is None:
            return "no review issue"
        if self.record is None or self.record.choice is None:
            return "no decision recorded"
        return self.record.words


def reviews_held_in(quarter: str) -> tuple[Month, Month, Month]:
    """The months whose reviews are held during `quarter` (each the month before one
    of its months): 2026-Q4 holds the reviews of 2026-09, 2026-10 and 2026-11."""
    first, second, third = months_of_quarter(quarter)
    return first.previous(), second.previous(), third.previous()


def decisions_by_team(
    issues: Iterable[ReviewIssue], quarter: str, teams: Iterable[str]
) -> dict[str, tuple[MonthDecision, ...]]:
    """Each team's decisions of the reviews held in `quarter`, a month each, oldest first.

    `issues` holds at most one issue per (team, month): the one Quarterdeck opened.
    """
    months = reviews_held_in(quarter)
    by_key = {(i.team, i.month): i for i in issues}
    found: dict[str, tuple[MonthDecision, ...]] = {}
    for team in teams:
        row = []
        for month in months:
            issue = by_key.get((team, month))
            if issue is None:
                row.append(MonthDecision(month))
            else:
                row.append(MonthDecision(month, issue.number, issue.url, read_record(issue.body)))
        found[team] = tuple(row)
    return found
