"""A goal's shipping record this quarter, and whether it has stalled. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from quarterdeck.core.model import FINISHED_STATUSES, Goal, Link
from quarterdeck.core.review.speed import in_window, utc

# A goal with nothing shipped for this many days is flagged as stalled in the review.
STALLED_AFTER_DAYS = 21


@dataclass(frozen=True)
class GoalProgress:
    """A goal's shipping record this quarter, as of a moment.

    `quiet_days` is days since the last ship, or since the quarter began when nothing
    shipped; `stalled` is quiet_days ≥ STALLED_AFTER_DAYS for a goal still open (not
    shipped or dropped). Days are calendar days in `as_of`'s timezone.
    `tasks_done`/`tasks_total` come from the goal issue's task list (None without one).
    """

    goal: Goal
    prs: tuple[Link, ...]
    shipped: int
    first_ship: datetime | None
    last_ship: datetime | None
    days_since_last_ship: int | None
    quiet_days: int
    stalled: bool
    tasks_done: int | None = None
    tasks_total: int | None = None

    @property
    def status(self) -> str:
        """The goal's status as the review shows it: a goal still marked `planned` that
        shipped PRs this quarter is under way, so it reads "in-progress"."""
        if self.goal.status == "planned" and self.shipped:
            return "in-progress"
        return self.goal.status


def goal_progress(
    goal: Goal, links: Sequence[Link], quarter_start: datetime, as_of: datetime
) -> GoalProgress:
    """PRs shipped for `goal` in [quarter_start, as_of), and whether it has stalled."""
    prs = by_merge_time(
        link for link in links if link.goal_id == goal.id and in_window(link, quarter_start, as_of)
    )
    first = prs[0].pr.merged_at if prs else None
    last = prs[-1].pr.merged_at if prs else None
    since = _calendar_days(last, as_of) if last is not None else None
    quiet = since if since is not None else _calendar_days(quarter_start, as_of)
    return GoalProgress(
        goal=goal,
        prs=prs,
        shipped=len(prs),
        first_ship=first,
        last_ship=last,
        days_since_last_ship=since,
        quiet_days=quiet,
        stalled=goal.status not in FINISHED_STATUSES and quiet >= STALLED_AFTER_DAYS,
        tasks_done=goal.tasks_done,
        tasks_total=goal.tasks_total,
    )


def _calendar_days(earlier: datetime, later: datetime) -> int:
    zone = later.tzinfo or UTC
    return (utc(later).astimezone(zone).date() - utc(earlier).astimezone(zone).date()).days


def by_merge_time(links: Iterable[Link]) -> tuple[Link, ...]:
    """Links in the order their PRs merged (UTC), by PR number on a tie."""
    return tuple(sorted(links, key=lambda lk: (utc(lk.pr.merged_at), lk.pr.key)))
