"""Is a period worth reviewing yet, and does the history cover it? Future months, partial
periods, stale clones, histories that begin late. Pure.

One rule for every period Quarterdeck reports on (a review's month, a quarter): the
period is not over yet, the clone's history ends before the period ends (a stale
clone, or one cut part-way), or it begins after the period begins. Each is a warning
a reader must see, and makes the period incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month, quarter_start

__all__ = ["HistorySpan", "month_error", "month_warnings", "period_warnings", "quarter_warnings"]

_FETCH = "fetch first (`git fetch`, then `git pull` if you review your local branch)"


@dataclass(frozen=True)
class HistorySpan:
    """What one clone's history covers, by committer time.

    `first` is when its oldest commit was made, known only when that is after the
    moment the reader asked about (None: the history reaches back before it); `last`
    is its newest commit. `repo` names the clone when a review reads several.
    """

    repo: str
    first: datetime | None
    last: datetime | None


def month_error(month: Month, today: date) -> str | None:
    """Why `month` cannot be reviewed on `today` (it has not begun), or None."""
    this = Month(today.year, today.month)
    if month > this:
        return (
            f"{month.label} has not begun (today is {today.isoformat()}); "
            f"pass --month {this} or an earlier month"
        )
    return None


def month_warnings(
    month: Month, today: date, spans: Sequence[HistorySpan] = (), tz: str = "UTC"
) -> list[str]:
    """What a reader of `month`'s review must know: the month is not over, or the local
    history (`spans`, one per clone read) does not cover it."""
    warnings = []
    if month == Month(today.year, today.month):
        warnings.append(
            f"{month.label} is not over: this review is partial, up to "
            f"{today.isoformat()}; review the last full month ({month.previous()}) with "
            "no --month"
        )
    over = month.end(tz).date() <= today
    return warnings + period_warnings(month.label, month.start(tz), month.end(tz), over, spans, tz)


def quarter_warnings(
    as_of: Month, today: date, spans: Sequence[HistorySpan] = (), tz: str = "UTC"
) -> list[str]:
    """What a reader of the report of `as_of`'s quarter up to the end of `as_of` must
    know: the quarter is not over, or the history (`spans`) does not cover it."""
    start, end = quarter_start(as_of.quarter, tz), as_of.end(tz)
    over = as_of.month_of_quarter == 3 and end.date() <= today
    warnings = []
    if not over:
        warnings.append(
            f"{as_of.quarter} is not over: this report is partial, up to "
            f"{min(today, end.date()).isoformat()}"
        )
    return warnings + period_warnings(as_of.quarter, start, end, over, spans, tz)


def period_warnings(
    label: str,
    start: datetime,
    end: datetime,
    over: bool,
    spans: Sequence[HistorySpan],
    tz: str = "UTC",
) -> list[str]:
    """Where the histories read leave the period [start, end) named `label` uncovered.

    `over`: the period has ended, so a history that ends inside it is cut short (while
    a period is under way, its history naturally ends in it).
    """
    zone = ZoneInfo(tz)
    several = len(spans) > 1
    warnings = []
    for span in spans:
        whose = f"{span.repo}'s history" if several else "the history"
        if span.last is not None:
            last = span.last.astimezone(zone).date().isoformat()
            if span.last < start:
                warnings.append(f"{whose} ends on {last}: {_FETCH}, or {label} shows nothing")
            elif over and span.last < end:
                warnings.append(
                    f"{whose} ends on {last}, before {label} ends: PRs merged after it are "
                    f"missing, so {label} reads smaller than it was; {_FETCH}, unless nothing "
                    "was merged since"
                )
        if span.first is not None and span.first > start:
            first = span.first.astimezone(zone).date().isoformat()
            if span.first >= end:
                warnings.append(
                    f"{whose} begins on {first}, after {label}: there is nothing to review; "
                    "pick a later period"
                )
            else:
                warnings.append(
                    f"{whose} begins on {first}, after {label} begins: nothing before it is counted"
                )
    return warnings
