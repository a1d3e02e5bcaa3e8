"""`quarterdeck plan`: one planning issue body per team for the next quarter.

Built from the quarter report of the quarter ending (read like `quarter-report`, from
the same reviews), the planned quarter's company objectives, and the goals file
`goals new` would write, so the stub in the issue is exactly what that command makes.
From GitHub the plan also holds the decisions of the ending quarter's reviews, read
back from their review issues (offline there are none to read).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.goals.next_quarter import previous_quarter
from quarterdeck.core.goals.planning_issue import TeamPlan
from quarterdeck.core.model import Config
from quarterdeck.core.review.quarter_decisions import MonthDecision, decisions_by_team
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.goals_new import GoalsStub, goals_stub, stub_from
from quarterdeck.services.quarter_report import quarter_report, report_months
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.templates import render_template
from quarterdeck.sources.repo_files import load_repo_config

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: offline, this command never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway, RepoGateway
    from quarterdeck.sources.github.writes import Writer

PLAN_TEMPLATE = "plan_issue.md.j2"


@dataclass(frozen=True)
class GitHubPlans:
    """The plans read from GitHub, with what publishing them needs to know."""

    repo: RepoGateway
    plans: tuple[TeamPlan, ...]
    # The planned quarter's goals file is already on the default branch (its path).
    landed: str | None
    templates: Mapping[str, str]
    writer: Writer


def ending_month(quarter: str, today: Month) -> Month:
    """The month of the quarter before `quarter` whose reviews the plan is built from:
    its last month, or the latest begun by `today`."""
    try:
        previous = previous_quarter(quarter)
    except ValueError as exc:
        raise QuarterdeckError(f"--quarter: {exc}") from None
    return report_months(previous, today)[-1]


def team_plans(
    reviews: Sequence[TeamReview],
    quarter: str,
    config: Config,
    stub: GoalsStub,
    decisions: Mapping[str, tuple[MonthDecision, ...]] | None = None,
) -> tuple[TeamPlan, ...]:
    """Every team's plan for `quarter` from the reviews of the ending quarter's last
    month, the config (the planned quarter's objectives), the goals file stub and,
    when read, the decisions of the ending quarter's reviews."""
    report = quarter_report(reviews)
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
            decisions=decisions.get(t.slug, ()) if decisions is not None else None,
            repo_url=by_slug[t.slug].repo_url,
            repos=by_slug[t.slug].repos,
        )
        for t in report.teams
    )


def plans_offline(repo: Path, quarter: str, today: Month) -> tuple[TeamPlan, ...]:
    """The plans from a local clone (the decisions live on GitHub, so none are read)."""
    month = ending_month(quarter, today)
    config, _ = load_repo_config(repo)
    return team_plans(build_reviews(repo, month), quarter, config, goals_stub(repo, quarter))


def plans_from_github(
    gh: GitHubGateway,
    full_name: str,
    quarter: str,
    today: Month,
    *,
    config_path: str = CONFIG_PATH,
    writer: Writer | None = None,
) -> GitHubPlans:
    """The plans from GitHub: the reviews as `review --github` builds them, the goals
    files from the default branch, and the decisions of the reviews held in the
    quarter ending, from their review issues (one listing). `writer`: the login
    Quarterdeck writes as (None: the token's user, `token_writer`)."""

    month = ending_month(quarter, today)
    writer = writer or gh.writer(in_actions=False)
    home = github_home_reviews(gh, full_name, month, config_path=config_path, writer=writer)
    repo, config, reviews = home.repo, home.config, home.reviews
    # The home's reader holds the goals folder already: the stub costs no request more.
    stub = stub_from(repo.reader(), config, quarter)
    held = repo.held_reviews(previous_quarter(quarter), writer)
    decisions = decisions_by_team(held, previous_quarter(quarter), [t.slug for t in config.teams])
    plans = team_plans(reviews, quarter, config, stub, decisions)
    templates = reviews[0].templates if reviews else {}
    return GitHubPlans(repo, plans, stub.existing, templates, writer)


def render_plan(
    plan: TeamPlan, templates: Mapping[str, str] | None = None, *, standalone: bool = True
) -> str:
    """One team's planning issue body, from `templates/plan_issue.md.j2` (overridable);
    `standalone` adds the title as a heading (printed, not published)."""
    return render_template(templates or {}, PLAN_TEMPLATE, plan=plan, standalone=standalone)
