"""The end-of-quarter report: per team, which goals shipped, carry over or never started.

Built from the reviews of the report's month, so it reads the same sources as the
monthly review (a local clone or GitHub), once: goal outcomes from their goal
progress, which spans the quarter, and the unplanned work of each month of the
quarter from their six-month history. With company objectives for the quarter, the
report also shows every objective with the goals of every team that serve it, and
the goals that serve none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from quarterdeck.core.calendar import Month, months_of_quarter, parse_quarter
from quarterdeck.core.goals.objectives import ObjectiveGroup, group_by_objective
from quarterdeck.core.model import Objective, Team
from quarterdeck.core.review.quarter_decisions import MonthDecision, ReviewIssue, decisions_by_team
from quarterdeck.core.review.quarter_outcome import OUTCOMES, GoalOutcome, outcomes
from quarterdeck.core.review.review_month import quarter_warnings
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.templates import render_template

QUARTER_TEMPLATE = "quarter_report.md.j2"


@dataclass(frozen=True)
class TeamQuarter:
    """One team's goals of the quarter with their outcomes."""

    slug: str
    team: Team | None
    goals: tuple[GoalOutcome, ...]
    # (month, unplanned PRs merged in it) for each month of the quarter reported on
    unplanned_by_month: tuple[tuple[Month, int], ...]
    # (month, every PR merged in it), as that month's review counts them
    merged_by_month: tuple[tuple[Month, int], ...] = ()

    @property
    def merged(self) -> int:
        """Every PR merged over the quarter so far, planned or not, bots' included."""
        return sum(count for _, count in self.merged_by_month)

    @property
    def unplanned(self) -> int:
        """Unplanned PRs over the quarter so far (bots' ones listed, as in the review)."""
        return sum(count for _, count in self.unplanned_by_month)

    def with_outcome(self, name: str) -> tuple[GoalOutcome, ...]:
        """The goals with outcome `name` (see core.review.quarter_outcome.OUTCOMES)."""
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
    objectives: tuple[Objective, ...] = ()  # the company objectives of the quarter
    # Each team's decisions of the reviews held in the quarter (read from GitHub);
    # None: not read (offline, the decisions live on the review issues)
    decisions: Mapping[str, tuple[MonthDecision, ...]] | None = None
    # The work no team owns over the quarter (None: there was none), so that the
    # report counts every PR its months' reviews count.
    unowned: TeamQuarter | None = None
    # Why the report does not cover the whole quarter: under way, or a history that
    # ends before the quarter does or begins after it (core.review.review_month).
    incomplete_reasons: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """The whole quarter is in: it is over, and the history read covers it."""
        return self.month.month_of_quarter == 3 and not self.incomplete_reasons

    @property
    def under_way(self) -> bool:
        """The report stops before the quarter's last month (the quarter is not over)."""
        return self.month.month_of_quarter != 3

    @property
    def merged(self) -> int:
        """Every PR merged in the quarter so far, as the sum of its months' reviews."""
        return sum(t.merged for t in self.teams) + (self.unowned.merged if self.unowned else 0)

    @property
    def merged_by_month(self) -> tuple[tuple[Month, int], ...]:
        """Every PR merged, month by month, over the teams and the work no team owns."""
        everyone = [*self.teams, *([self.unowned] if self.unowned else [])]
        months = [m for m, _ in everyone[0].merged_by_month] if everyone else []
        return tuple((m, sum(dict(t.merged_by_month).get(m, 0) for t in everyone)) for m in months)

    @property
    def objective_groups(self) -> tuple[ObjectiveGroup[tuple[str, GoalOutcome]], ...]:
        """Every objective of the quarter (also those no goal serves) with the (team slug,
        outcome) of the goals serving it, then the goals that serve none; empty when the
        quarter has no objectives."""
        if not self.objectives:
            return ()
        goals = [(t.slug, g) for t in self.teams for g in t.goals]
        return group_by_objective(
            goals, lambda item: item[1].progress.goal, self.objectives, every_objective=True
        )


def report_months(quarter: str, today: Month) -> tuple[Month, ...]:
    """The months of `quarter` to report on: all three, or those begun by `today`.

    A quarter that has not started is an error, never silently the current one.
    """
    try:
        months = months_of_quarter(parse_quarter(quarter))
    except ValueError as exc:
        raise QuarterdeckError(str(exc)) from None
    if months[0] > today:
        raise QuarterdeckError(
            f"{quarter} has not started yet (this is {today.label}); "
            f"pass --quarter {today.quarter} or an earlier one"
        )
    return tuple(m for m in months if m <= today)


def quarter_report(
    reviews: Sequence[TeamReview],
    held: Sequence[ReviewIssue] | None = None,
    today: date | None = None,
) -> QuarterReport:
    """The report from the reviews of its month (the quarter's last, or the latest begun)
    and, when read from GitHub, the review issues held in the quarter (their decisions).

    Build the reviews with `whole_quarter=True`, so that work no team owns in any of the
    quarter's months is in. With `today`, the report says whether it covers the whole
    quarter, by the reviews' rule (`core.review.review_month`).
    """
    if not reviews:
        raise QuarterdeckError("no teams to report on: add teams to `.github/quarterdeck.yml`")
    first = reviews[0]
    teams = tuple(_team_quarter(r) for r in reviews if not r.summary.unowned)
    unowned = next((_team_quarter(r) for r in reviews if r.summary.unowned), None)
    decisions = (
        decisions_by_team(held, first.quarter, [t.slug for t in teams])
        if held is not None
        else None
    )
    return QuarterReport(
        first.quarter,
        first.month,
        teams,
        first.repo_url,
        first.templates,
        first.objectives,
        decisions,
        unowned,
        tuple(quarter_warnings(first.month, today, first.histories, first.timezone))
        if today is not None
        else (),
    )


def _team_quarter(review: TeamReview) -> TeamQuarter:
    months = [tm for tm in review.history if tm.month.quarter == review.quarter]
    return TeamQuarter(
        review.summary.team,
        review.team,
        outcomes(review.summary.progress),
        tuple((tm.month, tm.unplanned) for tm in months),
        tuple((tm.month, tm.speed.merged) for tm in months),
    )


def quarter_report_to_json(report: QuarterReport) -> dict[str, Any]:
    """The report as data (`quarter-report --format json`); README documents the shape."""
    return {
        "version": 1,
        "quarter": report.quarter,
        "as_of": str(report.month),
        "complete": report.complete,
        "incomplete_reasons": list(report.incomplete_reasons),
        "merged": report.merged,
        "merged_by_month": {str(m): n for m, n in report.merged_by_month},
        "objectives": [
            {
                "id": o.id,
                "title": o.title,
                "owner": o.owner,
                "description": o.description,
                "issue": o.issue,
                "goals": [
                    {"team": slug, "id": g.progress.goal.id}
                    for group in report.objective_groups
                    if group.objective == o
                    for slug, g in group.items
                ],
            }
            for o in report.objectives
        ],
        "teams": [
            {
                "team": t.slug,
                "decisions": _decisions_json(report, t.slug),
                "lead": t.team.lead if t.team else None,
                "counts": t.counts,
                "merged": t.merged,
                "merged_by_month": {str(m): n for m, n in t.merged_by_month},
                "unplanned": t.unplanned,
                "unplanned_by_month": {str(m): n for m, n in t.unplanned_by_month},
                "goals": [_goal_json(g) for g in t.goals],
            }
            for t in report.teams
        ],
        "unowned": {
            "merged": report.unowned.merged,
            "merged_by_month": {str(m): n for m, n in report.unowned.merged_by_month},
        }
        if report.unowned
        else None,
    }


def _decisions_json(report: QuarterReport, slug: str) -> list[dict[str, Any]] | None:
    if report.decisions is None:
        return None
    return [
        {
            "review_of": str(d.month),
            "issue": d.number,
            "decision": d.record.choice if d.record else None,
            "by": d.record.by if d.record and d.record.choice else None,
            "at": d.record.at.isoformat() if d.record and d.record.choice else None,
            "notes": d.record.notes if d.record else "",
        }
        for d in report.decisions.get(slug, ())
    ]


def _goal_json(outcome: GoalOutcome) -> dict[str, Any]:
    p = outcome.progress
    return {
        "id": p.goal.id,
        "title": p.goal.title,
        "owners": list(p.goal.owners),
        "objective": p.goal.objective,
        "status": p.goal.status,
        "outcome": outcome.outcome,
        "why": outcome.why,
        "shipped": p.shipped,
        "first_shipped": p.first_ship.isoformat() if p.first_ship else None,
        "last_shipped": p.last_ship.isoformat() if p.last_ship else None,
    }


def render_quarter_report(report: QuarterReport) -> str:
    """The report as Markdown, from `templates/quarter_report.md.j2` (overridable)."""
    return render_template(report.templates, QUARTER_TEMPLATE, report=report)
