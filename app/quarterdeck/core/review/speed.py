"""Shipping speed of a set of merged PRs in a window, and which PRs count. Pure.

Every window is half-open, [start, end), and every datetime is compared and
subtracted in UTC: Python ignores UTC offsets between two datetimes that share a
tzinfo, which would shift any duration spanning a DST change by an hour.

Bots (`is_bot`, a `[bot]` login, or a login the config's `bots.count` names) are left
out of every duration metric. Their PRs count as shipped (count, throughput, goal
progress) when linked to a goal, or always for the bots `bots.count` names (bots whose
PRs are real work); any other bot's unplanned PR, such as a dependency bump, is listed
but not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from quarterdeck.core.calendar import weeks_between
from quarterdeck.core.model import Link, PullRequest
from quarterdeck.core.review.distribution import Metric, Unavailable, distribution
from quarterdeck.core.vocabulary import is_bot_login

NEEDS_GITHUB = "needs GitHub"
NO_PRS = "no merged PRs in the window"
ONLY_BOTS = "only bots' PRs in the window"
NO_FIRST_COMMITS = "no first-commit times in the history"


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
    if not bots:  # most configs name none; this runs for every PR of six months
        return False
    key = bot_key(login)
    return any(bot_key(bot) == key for bot in bots)


def in_window(link: Link, start: datetime, end: datetime) -> bool:
    """Whether the PR merged in [start, end)."""
    merged = link.pr.merged_at
    if merged.tzinfo is UTC and start.tzinfo is not None and end.tzinfo is not None:
        # A UTC time and aware bounds compare as instants, whatever the bounds' zones:
        # no conversion needed (this runs for every PR of six months, per team and goal).
        return start <= merged < end
    return utc(start) <= utc(merged) < utc(end)


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
    if utc(end) <= utc(start):
        raise ValueError(f"window end {end.isoformat()} is not after start {start.isoformat()}")
    merged = [link for link in links if in_window(link, start, end)]
    people = [link.pr for link in merged if not is_bot(link.pr, shipping_bots)]
    shipped = sum(1 for link in merged if counts_as_shipped(link, shipping_bots))
    weeks = weeks_between(utc(start), utc(end))
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


def utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC; sources should never produce them."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _hours(begin: datetime, finish: datetime) -> float:
    return max((utc(finish) - utc(begin)) / timedelta(hours=1), 0.0)
