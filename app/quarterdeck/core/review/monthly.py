"""A team's last six months, month by month: shipping speed and investment balance. Pure.

The review reads its history once, far enough back for these months, and cuts it per
month here: six months of speed cost one read, not six.

The investment balance says where the shipped PRs went: to the team's goals, or to
unplanned work of each type (fix, feature, chore, docs, dependencies… from labels or
the conventional-commit prefix, as the unplanned list groups them). It counts what
counts as shipped (see `counts_as_shipped`), so a dependency bot's unlinked bumps,
listed but not counted elsewhere, are not counted here either.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Link
from quarterdeck.core.review.distribution import Distribution
from quarterdeck.core.review.speed import Speed, counts_as_shipped, speed, utc
from quarterdeck.core.review.work_types import TYPES, work_type
from quarterdeck.core.text.charts import Chart, Line

__all__ = [
    "GOALS",
    "Balance",
    "TeamMonth",
    "balance",
    "balance_kinds",
    "speed_charts",
    "team_months",
    "total_balance",
]

GOALS = "goals"


@dataclass(frozen=True)
class Balance:
    """Shipped PRs toward goals, and unplanned ones by type (type id -> count)."""

    planned: int
    unplanned: tuple[tuple[str, int], ...]  # in TYPES order, only types with PRs

    @property
    def shipped(self) -> int:
        return self.planned + sum(n for _, n in self.unplanned)

    @property
    def planned_share(self) -> float | None:
        """Percent of shipped PRs that moved a goal; None when nothing shipped."""
        return self.share(GOALS)

    def count(self, kind: str) -> int:
        """PRs of one kind: `goals`, or a type id of unplanned work."""
        return self.planned if kind == GOALS else dict(self.unplanned).get(kind, 0)

    def share(self, kind: str) -> float | None:
        """Percent of shipped PRs of one kind; None when nothing shipped."""
        return self.count(kind) / self.shipped * 100 if self.shipped else None


@dataclass(frozen=True)
class TeamMonth:
    """One month of a team's work: how fast it shipped and where the work went."""

    month: Month
    speed: Speed
    balance: Balance
    unplanned: int  # every unplanned PR merged, bots' included: what the review lists


def balance(links: Iterable[Link], shipping_bots: Collection[str] = ()) -> Balance:
    """The balance of these PRs (the caller picks the window)."""
    shipped = [lk for lk in links if counts_as_shipped(lk, shipping_bots)]
    kinds = Counter(work_type(lk.pr) for lk in shipped if not lk.planned)
    return Balance(
        planned=sum(1 for lk in shipped if lk.planned),
        unplanned=tuple((kind, kinds[kind]) for kind in TYPES if kinds[kind]),
    )


def total_balance(months: Iterable[TeamMonth]) -> Balance:
    """The balance over several months together."""
    planned, kinds = 0, Counter[str]()
    for tm in months:
        planned += tm.balance.planned
        kinds.update(dict(tm.balance.unplanned))
    return Balance(planned, tuple((kind, kinds[kind]) for kind in TYPES if kinds[kind]))


def team_months(
    links: Sequence[Link],
    months: Sequence[Month],
    tz: str,
    shipping_bots: Collection[str] = (),
) -> tuple[TeamMonth, ...]:
    """Speed and balance of `links` (one team's) in each of `months`, in their order."""
    spans = [(utc(month.start(tz)), utc(month.end(tz))) for month in months]
    # One pass sorts the links into their months (months never overlap), not one per month.
    order = sorted(range(len(months)), key=lambda i: spans[i][0])
    starts = [spans[i][0] for i in order]
    inside: list[list[Link]] = [[] for _ in months]
    for link in links:
        merged = utc(link.pr.merged_at)
        k = bisect_right(starts, merged) - 1
        if k >= 0 and merged < spans[order[k]][1]:
            inside[order[k]].append(link)
    return tuple(
        TeamMonth(
            month=month,
            speed=speed(found, month.start(tz), month.end(tz), shipping_bots=shipping_bots),
            balance=balance(found, shipping_bots),
            unplanned=sum(1 for lk in found if not lk.planned),
        )
        for month, found in zip(months, inside, strict=True)
    )


def _median(metric: object) -> float | None:
    return metric.median if isinstance(metric, Distribution) else None


def speed_charts(history: Sequence[TeamMonth]) -> tuple[Chart, ...]:
    """The review's speed charts over `history`: PRs shipped a week, and the median
    cycle time (opened → merged; from GitHub) or, where the history lacks it, the median
    lead time (first commit → merged). Only charts with two months of data."""
    labels = tuple(tm.month.abbr for tm in history)
    charts = [
        Chart(
            "PRs shipped a week",
            labels,
            (Line("PRs a week", tuple(round(tm.speed.throughput, 1) for tm in history)),),
            "PRs a week",
        )
    ]
    for name, title in (("cycle_time", "cycle time"), ("lead_time", "lead time")):
        hours = tuple(_median(getattr(tm.speed, name)) for tm in history)
        chart = _duration_chart(f"Median {title}", labels, hours)
        if chart.drawable:
            charts.append(chart)
            break
    return tuple(chart for chart in charts if chart.drawable)


def _duration_chart(title: str, labels: tuple[str, ...], hours: tuple[float | None, ...]) -> Chart:
    # Days read better than hundreds of hours; one unit for the whole chart.
    known = [h for h in hours if h is not None]
    in_days = bool(known) and max(known) >= 72
    unit, per = ("days", 24.0) if in_days else ("hours", 1.0)
    values = tuple(None if h is None else round(h / per, 1) for h in hours)
    return Chart(f"{title} ({unit})", labels, (Line(title, values),), unit)


def balance_kinds(history: Sequence[TeamMonth]) -> tuple[tuple[str, str], ...]:
    """The rows of the balance table: goals, then each type of unplanned work shipped in
    the months, as (kind, how the review names it)."""
    kinds = [kind for kind, _ in total_balance(history).unplanned]
    return ((GOALS, "Goals"), *((kind, TYPES[kind]) for kind in kinds))
