"""When the App's monthly reviews and quarterly planning issues are due. Pure.

The rules: reviews of the last full month are due on the first working day (Monday to
Friday) of a month, judged in UTC. Public holidays are not known, so a month that
begins with one is reviewed on it; pass `--month` to run on another day. A quarter's
planning issues are due on every day of its planning window (the last two weeks of
the quarter before, `core.goals.planning_issue.planning_window`): the first run opens them,
later ones keep them current, as the planning workflow does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from quarterdeck.core.calendar import Month, is_quarter
from quarterdeck.core.goals.planning_issue import planning_window

__all__ = [
    "Installation",
    "due_month",
    "due_quarter",
    "first_working_day",
    "next_due",
    "review_job_id",
    "schedule_job_id",
]

SATURDAY = 5  # date.weekday(): Monday is 0


def first_working_day(month: Month) -> date:
    """The first Monday-to-Friday day of `month`."""
    day = date(month.year, month.month, 1)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def due_month(today: date) -> Month | None:
    """The month whose reviews are due on `today` (UTC): the last full month on the first
    working day of a month, None on every other day."""
    if today != first_working_day(Month(today.year, today.month)):
        return None
    return Month.last_full(today)


def next_due(today: date) -> date:
    """The next first working day of a month after `today`."""
    this = first_working_day(Month(today.year, today.month))
    return this if this > today else first_working_day(Month(today.year, today.month).next())


def due_quarter(today: date) -> str | None:
    """The quarter whose planning issues are due on `today` (UTC): the next quarter
    during the last two weeks of this one, None on every other day."""
    following = Month(today.year, today.month).next().quarter
    first, last = planning_window(following)
    return following if first <= today <= last else None


def schedule_job_id(installation_id: int, period: Month | str) -> str:
    """The RQ job id of one installation's reviews of a month (`review_job_id`) or
    planning issues of a quarter (`plan-<installation>-<YYYY-Qn>`)."""
    if isinstance(period, str) and is_quarter(period):
        return f"plan-{installation_id}-{period}"
    month = period if isinstance(period, Month) else Month.parse(period)
    return review_job_id(installation_id, month)


def review_job_id(installation_id: int, month: Month) -> str:
    """The RQ job id of one installation's reviews of one month: the same for every
    `schedule` run, so a second run finds the first one's job (RQ allows letters,
    digits, `_` and `-` only)."""
    return f"review-{installation_id}-{month}"


@dataclass(frozen=True)
class Installation:
    """One installation of the App, as GitHub lists it."""

    id: int
    account: str  # the organisation's or user's login
    suspended: bool = False
