"""`quarterdeck plan`: one planning issue body per team for the next quarter.

Built from the quarter report of the quarter ending (read like `quarter-report`, from
the same reviews), the planned quarter's company objectives, and the goals file
`goals new` would write, so the stub in the issue is exactly what that command makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.goals.next_quarter import previous_quarter
from quarterdeck.core.goals.plan import TeamPlan
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.goals_new import goals_stub
from quarterdeck.services.quarter_report import quarter_report, report_months
from quarterdeck.services.review import TeamReview, build_reviews
from quarterdeck.services.templates import render_template
from quarterdeck.sources.repo_files import load_repo_config

PLAN_TEMPLATE = "plan_issue.md.j2"


def ending_month(quarter: str, today: Month) -> Month:
    """The month of the quarter before `quarter` whose reviews the plan is built from:
    its last month, or the latest begun by `today`."""
    try:
        previous = previous_quarter(quarter)
    except ValueError as exc:
        raise QuarterdeckError(f"--quarter: {exc}") from None
    return report_months(previous, today)[-1]


def team_plans(reviews: Sequence[TeamReview], quarter: str, repo: Path) -> tuple[TeamPlan, ...]:
    """Every team's plan for `quarter` from the reviews of the ending quarter's last month
    and the local clone `repo` (its config's objectives and goals files)."""
    report = quarter_report(reviews)
    config, _ = load_repo_config(repo)
    stub = goals_stub(repo, quarter)
    objectives = tuple(config.objectives_of(quarter))
    by_slug = {r.summary.team: r for r in reviews}
    return tuple(
        TeamPlan(
            quarter=quarter,
            previous=report.quarter,
            slug=t.slug,
            team=t.team,
            goals=t.goals,
            objectives=objectives,
            stub_path=stub.target,
            stub=stub.text,
            repo_url=by_slug[t.slug].repo_url,
            repos=by_slug[t.slug].repos,
        )
        for t in report.teams
    )


def plans_offline(repo: Path, quarter: str, today: Month) -> tuple[TeamPlan, ...]:
    """The plans from a local clone (the decisions live on GitHub, so none are read)."""
    month = ending_month(quarter, today)
    return team_plans(build_reviews(repo, month), quarter, repo)


def render_plan(plan: TeamPlan, templates: dict[str, str] | None = None) -> str:
    """One team's planning issue body, from `templates/plan_issue.md.j2` (overridable)."""
    return render_template(templates or {}, PLAN_TEMPLATE, plan=plan)
