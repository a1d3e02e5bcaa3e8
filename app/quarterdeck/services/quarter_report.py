"""The end-of-quarter report: per team, which goals shipped, carry over or never started.

Built from the reviews of the quarter's last month, whose goal progress already spans
the whole quarter, so it reads the same sources as the monthly review (a local clone
or GitHub).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Team
from quarterdeck.core.quarter import OUTCOMES, GoalOutcome, outcomes
from quarterdeck.core.render import make_environment, render
from quarterdeck.errors import QuarterdeckError
from quarterdeck.resources import resource
from quarterdeck.services.review import TeamReview

QUARTER_TEMPLATE = "quarter_report.md.j2"


@dataclass(frozen=True)
class TeamQuarter:
    """One team's goals of the quarter with their outcomes."""

    slug: str
    team: Team | None
    goals: tuple[GoalOutcome, ...]
    unplanned_last_month: int

    def with_outcome(self, name: str) -> tuple[GoalOutcome, ...]:
        """The goals with outcome `name` (see core.quarter.OUTCOMES)."""
        return tuple(g for g in self.goals if g.outcome == name)

    @property
    def counts(self) -> dict[str, int]:
        return {name: len(self.with_outcome(name)) for name in OUTCOMES}


@dataclass(frozen=True)
class QuarterReport:
    """Every team's quarter, as of the end of `month` (the quarter's last, normally)."""

    quarter: str
    month: Month
    teams: tuple[TeamQuarter, ...]
    repo_url: str = ""
    templates: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        return self.month.month_of_quarter == 3


def last_month_of(quarter: str) -> Month:
    """The third month of a `YYYY-Qn` quarter."""
    try:
        year, q = quarter.split("-Q")
        return Month(int(year), int(q) * 3)
    except ValueError:
        raise QuarterdeckError(
            f"quarter {quarter!r} is not in the form YYYY-Qn, e.g. 2026-Q4"
        ) from None


def quarter_report(reviews: Sequence[TeamReview]) -> QuarterReport:
    """The report from one month's reviews (all of the same month)."""
    if not reviews:
        raise QuarterdeckError("no teams to report on: add teams to `.github/quarterdeck.yml`")
    first = reviews[0]
    teams = tuple(
        TeamQuarter(r.summary.team, r.team, outcomes(r.summary.progress), len(r.summary.unplanned))
        for r in reviews
        if not r.summary.unowned
    )
    return QuarterReport(first.quarter, first.month, teams, first.repo_url, first.templates)


def render_quarter_report(report: QuarterReport) -> str:
    """The report as Markdown, from `templates/quarter_report.md.j2` (overridable)."""
    env = make_environment([resource("templates")], report.templates)
    return render(env, QUARTER_TEMPLATE, report=report)
