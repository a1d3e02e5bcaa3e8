"""One team's month for the review: its goals, unplanned work, speed and progress. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from quarterdeck.core.calendar import Month, weeks_between
from quarterdeck.core.model import Config, Goal, Link
from quarterdeck.core.review.comparison import Change, SpeedComparison, change, compare
from quarterdeck.core.review.linking import resolve_goal
from quarterdeck.core.review.monthly import TeamMonth, team_months
from quarterdeck.core.review.progress import GoalProgress, by_merge_time, goal_progress
from quarterdeck.core.review.speed import Speed, in_window, speed, utc

UNOWNED = "unowned"


@dataclass(frozen=True)
class GoalMonth:
    """What one goal shipped this month, against the previous month."""

    goal: Goal
    prs: tuple[Link, ...]  # sorted by merge time
    shipped: int
    throughput: float  # per week
    previous_shipped: int
    previous_throughput: float
    change: Change  # throughput against the previous month


@dataclass(frozen=True)
class TeamSummary:
    """One team's month, ready for the review template.

    `goals` lists the team's goals of the month's quarter in config order (shipped or
    not; filter on `prs` to show only those that shipped), then any goal of another
    quarter that got PRs this month. `unplanned` lists every unplanned PR, bots'
    included. `team` is the team's slug; the pseudo-entry for PRs no team owns has
    team "unowned", `unowned` True and no goals.
    """

    team: str
    unowned: bool
    goals: tuple[GoalMonth, ...]
    unplanned: tuple[Link, ...]
    shipped: int  # counted as in Speed: other bots' unplanned PRs are listed, not counted
    planned: int
    speed: Speed
    previous_speed: Speed
    comparison: SpeedComparison
    progress: tuple[GoalProgress, ...]
    # The last six months (the review month last), each cut from the same history.
    history: tuple[TeamMonth, ...] = ()


def summarise(
    links: Sequence[Link],
    config: Config,
    month_start: datetime,
    month_end: datetime,
    prev_start: datetime,
    quarter_start: datetime,
    *,
    history: Sequence[Month] = (),
    tz: str = "UTC",
    keep_from: datetime | None = None,
) -> list[TeamSummary]:
    """Per-team summaries of the month [month_start, month_end), in config order.

    The previous month is [prev_start, month_start); goal progress runs from
    quarter_start to month_end; `history` names the months (in `tz`) whose speed and
    investment balance each summary carries, so `links` must reach back to them.
    Teams that goals name but the config lacks come after the configured teams, and
    an "unowned" entry comes last, only if some PR this month belongs to no team, so
    every PR of the month appears once. With `keep_from` (e.g. the quarter's start),
    those two kinds of entries appear when they had a PR from then on, so a report
    over several months drops none of their work.
    """
    quarter = Month(quarter_start.year, quarter_start.month).quarter
    kept = [link for link in links if in_window(link, keep_from or month_start, month_end)]
    slugs = [team.slug for team in config.teams]
    # Goals may name a team the config lacks (validation reports it); keep their PRs.
    extra = [lk.team for lk in kept if lk.team is not None and lk.team not in slugs]
    window = _Window(month_start, month_end, prev_start, quarter_start, quarter, tuple(history), tz)
    summaries = [
        _team_summary(slug, slug, links, config, window) for slug in [*slugs, *dict.fromkeys(extra)]
    ]
    if any(link.team is None for link in kept):
        summaries.append(_team_summary(UNOWNED, None, links, config, window))
    return summaries


@dataclass(frozen=True)
class _Window:
    month_start: datetime
    month_end: datetime
    prev_start: datetime
    quarter_start: datetime
    quarter: str
    history: tuple[Month, ...]
    tz: str


def _team_summary(
    slug: str,
    owner: str | None,
    links: Sequence[Link],
    config: Config,
    window: _Window,
) -> TeamSummary:
    own = [link for link in links if link.team == owner]
    month = [lk for lk in own if in_window(lk, window.month_start, window.month_end)]
    bots = config.bots.count
    this = speed(own, window.month_start, window.month_end, shipping_bots=bots)
    before = speed(own, window.prev_start, window.month_start, shipping_bots=bots)
    quarter_goals = [g for g in config.goals if g.team == owner and g.quarter == window.quarter]
    progress = tuple(
        goal_progress(g, own, window.quarter_start, window.month_end) for g in quarter_goals
    )
    return TeamSummary(
        team=slug,
        unowned=owner is None,
        goals=_goal_months(own, month, quarter_goals, config, window),
        unplanned=by_merge_time(lk for lk in month if not lk.planned),
        shipped=this.shipped,
        planned=sum(1 for lk in month if lk.planned),
        speed=this,
        previous_speed=before,
        comparison=compare(this, before),
        progress=progress,
        history=team_months(own, window.history, window.tz, bots),
    )


def _goal_months(
    own: list[Link], month: list[Link], quarter_goals: list[Goal], config: Config, window: _Window
) -> tuple[GoalMonth, ...]:
    goals = [*quarter_goals, *_other_goals(month, quarter_goals, config, window.quarter)]
    return tuple(_goal_month(goal, own, window) for goal in goals)


def _other_goals(
    month: list[Link], quarter_goals: list[Goal], config: Config, quarter: str
) -> list[Goal]:
    """Goals of other quarters (or gone from the config) that still got PRs this month.

    They are shown after the quarter's goals, in config order, rather than dropped.
    """
    known = {g.id for g in quarter_goals}
    # The goal each link matched (ids repeat across quarters: never look one up again).
    matched: dict[str, Goal | None] = {}
    for lk in month:
        if lk.goal_id and lk.goal_id not in known:
            matched.setdefault(lk.goal_id, lk.goal or resolve_goal(config, lk.goal_id, quarter))
    position = {g.id: i for i, g in reversed(list(enumerate(config.goals)))}
    ordered = sorted(matched, key=lambda goal_id: position.get(goal_id, len(position)))
    teams = {lk.goal_id: lk.team for lk in month}
    return [
        matched[goal_id]
        or Goal(id=goal_id, title=goal_id, team=teams[goal_id] or UNOWNED, quarter="")
        for goal_id in ordered
    ]


def _goal_month(goal: Goal, own: list[Link], window: _Window) -> GoalMonth:
    prs = by_merge_time(
        lk
        for lk in own
        if lk.goal_id == goal.id and in_window(lk, window.month_start, window.month_end)
    )
    previous = sum(
        1
        for lk in own
        if lk.goal_id == goal.id and in_window(lk, window.prev_start, window.month_start)
    )
    rate = len(prs) / weeks_between(utc(window.month_start), utc(window.month_end))
    previous_rate = previous / weeks_between(utc(window.prev_start), utc(window.month_start))
    return GoalMonth(
        goal=goal,
        prs=prs,
        shipped=len(prs),
        throughput=rate,
        previous_shipped=previous,
        previous_throughput=previous_rate,
        change=change(rate, previous_rate),
    )
