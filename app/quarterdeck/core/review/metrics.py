"""Shipping speed per team and per goal, and goal progress. Pure functions over Links.

Durations are reported as distributions (n, median, p75, p90, in hours), never as a
mean. A metric the data cannot support is `Unavailable` with a reason a reader can
act on ("needs GitHub"), never 0 and never a silent None. Every window is half-open,
[start, end), and every datetime is compared and subtracted in UTC: Python ignores
UTC offsets between two datetimes that share a tzinfo, which would shift any
duration spanning a DST change by an hour.

Bots (`is_bot`, a `[bot]` login, or a login the config's `bots.count` names) are left
out of every duration metric. Their PRs count as shipped (count, throughput, goal
progress) when linked to a goal, or always for the bots `bots.count` names (bots whose
PRs are real work); any other bot's unplanned PR, such as a dependency bump, is listed
but not counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from quarterdeck.core.calendar import Month, weeks_between
from quarterdeck.core.model import FINISHED_STATUSES, Config, Goal, Link, PullRequest
from quarterdeck.core.review.linking import resolve_goal
from quarterdeck.core.vocabulary import is_bot_login

# A goal with nothing shipped for this many days is flagged as stalled in the review.
STALLED_AFTER_DAYS = 21
NEEDS_GITHUB = "needs GitHub"
NO_PRS = "no merged PRs in the window"
ONLY_BOTS = "only bots' PRs in the window"
NO_FIRST_COMMITS = "no first-commit times in the history"
UNOWNED = "unowned"
_MINUS = "\N{MINUS SIGN}"


# ---------------------------------------------------------------------------- percentiles


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


# ---------------------------------------------------------------------------- speed


@dataclass(frozen=True)
class Speed:
    """How fast one set of PRs shipped in the window [start, end).

    `merged` counts every PR merged in the window; `shipped` those that count as
    shipped (see `counts_as_shipped`); `throughput` is shipped per week. `bot_prs` says
    how many bot PRs were left out of the duration metrics, so a reader can see
    nothing vanished silently.
    """

    start: datetime
    end: datetime
    weeks: float
    merged: int
    shipped: int
    bot_prs: int
    throughput: float
    cycle_time: Metric
    time_to_first_review: Metric
    review_time: Metric
    lead_time: Metric


def bot_key(login: str) -> str:
    """A login as bots are matched: case-insensitive, `renovate[bot]` same as `renovate`."""
    return login.strip().casefold().removesuffix("[bot]")


def is_bot(pr: PullRequest, shipping_bots: Collection[str] = ()) -> bool:
    """A bot's PR: flagged by the source, a GitHub App login ending `[bot]`, or one of
    the `shipping_bots` (a bot that ships may be a plain user account, like posthog-bot).
    """
    flagged = pr.is_bot or is_bot_login(pr.author)
    return flagged or _named(pr.author, shipping_bots)


def counts_as_shipped(link: Link, shipping_bots: Collection[str] = ()) -> bool:
    """People's PRs always count; a bot's PR when it moves a goal, or when the bot is one
    of the `shipping_bots` (config `bots.count`)."""
    return link.planned or not is_bot(link.pr) or _named(link.pr.author, shipping_bots)


def _named(login: str, bots: Collection[str]) -> bool:
    key = bot_key(login)
    return any(bot_key(bot) == key for bot in bots)


def in_window(link: Link, start: datetime, end: datetime) -> bool:
    """Whether the PR merged in [start, end)."""
    return _utc(start) <= _utc(link.pr.merged_at) < _utc(end)


def speed(
    links: Sequence[Link],
    start: datetime,
    end: datetime,
    *,
    shipping_bots: Collection[str] = (),
) -> Speed:
    """Shipping speed of the PRs merged in [start, end).

    - cycle time: opened (or ready for review, if it began as a draft) → merged;
    - time to first review: ready for review (else opened) → first review;
    - review time: first review → merged;
    - lead time: first commit authored → merged, over whichever PRs have it (`n`);
    - throughput: shipped PRs per week of the window.

    Durations leave bots out. Throughput and `shipped` count bots' goal-linked PRs,
    because the design counts them as shipped work, and every PR of the
    `shipping_bots`; other bots' unlinked PRs are not counted.
    An empty window gives `Unavailable(NO_PRS)` (or `ONLY_BOTS`) for each duration,
    and throughput 0.
    A negative duration (clock skew in commit dates) counts as 0 h.
    """
    if _utc(end) <= _utc(start):
        raise ValueError(f"window end {end.isoformat()} is not after start {start.isoformat()}")
    merged = [link for link in links if in_window(link, start, end)]
    people = [link.pr for link in merged if not is_bot(link.pr, shipping_bots)]
    shipped = sum(1 for link in merged if counts_as_shipped(link, shipping_bots))
    weeks = weeks_between(_utc(start), _utc(end))
    empty = ONLY_BOTS if merged else NO_PRS
    return Speed(
        start=start,
        end=end,
        weeks=weeks,
        merged=len(merged),
        shipped=shipped,
        bot_prs=len(merged) - len(people),
        throughput=shipped / weeks,
        cycle_time=_metric(people, _opened, _merged, NEEDS_GITHUB, empty),
        time_to_first_review=_metric(people, _opened, _reviewed, NEEDS_GITHUB, empty),
        review_time=_metric(people, _reviewed, _merged, NEEDS_GITHUB, empty),
        lead_time=_metric(people, _first_commit, _merged, NO_FIRST_COMMITS, empty),
    )


_Moment = Callable[[PullRequest], datetime | None]


def _opened(pr: PullRequest) -> datetime | None:
    return pr.ready_at or pr.created_at


def _merged(pr: PullRequest) -> datetime | None:
    return pr.merged_at


def _reviewed(pr: PullRequest) -> datetime | None:
    return pr.first_review_at


def _first_commit(pr: PullRequest) -> datetime | None:
    return pr.first_commit_at


def _metric(
    prs: list[PullRequest], begin: _Moment, finish: _Moment, missing: str, empty: str
) -> Metric:
    if not prs:
        return Unavailable(empty)
    hours = [
        _hours(b, f) for pr in prs if (b := begin(pr)) is not None and (f := finish(pr)) is not None
    ]
    found = distribution(hours)
    if found is not None:
        return found
    # GitHub PRs always carry their timestamps; if they lack a review, none happened.
    if missing == NEEDS_GITHUB and any(pr.source == "github" for pr in prs):
        return Unavailable("no reviewed PRs in the window")
    return Unavailable(missing)


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; sources should never produce them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _hours(begin: datetime, finish: datetime) -> float:
    return max((_utc(finish) - _utc(begin)) / timedelta(hours=1), 0.0)


# ---------------------------------------------------------------------------- comparison


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


def format_hours(value: float) -> str:
    """A duration given in hours, in the unit a person reads fastest: min, h or d."""
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} d"


def _signed(text: str) -> str:
    return text.replace("-", _MINUS)


# ---------------------------------------------------------------------------- goals


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

    @property
    def last_pr(self) -> int | None:
        """Number of the goal's last PR shipped this quarter, if any."""
        return self.prs[-1].pr.number if self.prs else None


def goal_progress(
    goal: Goal, links: Sequence[Link], quarter_start: datetime, as_of: datetime
) -> GoalProgress:
    """PRs shipped for `goal` in [quarter_start, as_of), and whether it has stalled."""
    prs = _sorted(
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
    return (_utc(later).astimezone(zone).date() - _utc(earlier).astimezone(zone).date()).days


def _sorted(links: Iterable[Link]) -> tuple[Link, ...]:
    return tuple(sorted(links, key=lambda lk: (_utc(lk.pr.merged_at), lk.pr.number)))


# ---------------------------------------------------------------------------- team summary


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


def summarise(
    links: Sequence[Link],
    config: Config,
    month_start: datetime,
    month_end: datetime,
    prev_start: datetime,
    quarter_start: datetime,
) -> list[TeamSummary]:
    """Per-team summaries of the month [month_start, month_end), in config order.

    The previous month is [prev_start, month_start); goal progress runs from
    quarter_start to month_end. Teams that goals name but the config lacks come
    after the configured teams, and an "unowned" entry comes last, only if some PR
    this month belongs to no team, so every PR of the month appears once.
    """
    quarter = Month(quarter_start.year, quarter_start.month).quarter
    month = [link for link in links if in_window(link, month_start, month_end)]
    slugs = [team.slug for team in config.teams]
    # Goals may name a team the config lacks (validation reports it); keep their PRs.
    extra = [lk.team for lk in month if lk.team is not None and lk.team not in slugs]
    window = _Window(month_start, month_end, prev_start, quarter_start, quarter)
    summaries = [
        _team_summary(slug, slug, links, config, window) for slug in [*slugs, *dict.fromkeys(extra)]
    ]
    if any(link.team is None for link in month):
        summaries.append(_team_summary(UNOWNED, None, links, config, window))
    return summaries


@dataclass(frozen=True)
class _Window:
    month_start: datetime
    month_end: datetime
    prev_start: datetime
    quarter_start: datetime
    quarter: str


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
        unplanned=_sorted(lk for lk in month if not lk.planned),
        shipped=this.shipped,
        planned=sum(1 for lk in month if lk.planned),
        speed=this,
        previous_speed=before,
        comparison=compare(this, before),
        progress=progress,
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
    prs = _sorted(
        lk
        for lk in own
        if lk.goal_id == goal.id and in_window(lk, window.month_start, window.month_end)
    )
    previous = sum(
        1
        for lk in own
        if lk.goal_id == goal.id and in_window(lk, window.prev_start, window.month_start)
    )
    rate = len(prs) / weeks_between(_utc(window.month_start), _utc(window.month_end))
    previous_rate = previous / weeks_between(_utc(window.prev_start), _utc(window.month_start))
    return GoalMonth(
        goal=goal,
        prs=prs,
        shipped=len(prs),
        throughput=rate,
        previous_shipped=previous,
        previous_throughput=previous_rate,
        change=change(rate, previous_rate),
    )
