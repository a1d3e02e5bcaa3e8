"""The part both modes share: the window and branches read, and PRs -> team reviews."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import BusinessMetrics, MetricsMonth
from quarterdeck.core.model import Config, PullRequest
from quarterdeck.core.review.linking import link_all
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.review.review_month import month_warnings
from quarterdeck.core.review.summary import TeamSummary, summarise
from quarterdeck.errors import Problem, QuarterdeckError
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.team_figures import FigureSources, question_evidence, team_figures


def repos_problem(config_path: str, text: str) -> Problem:
    # Said in every team's review: any team may ship in the repository not read.
    return Problem(config_path, None, "repos", text, "warning")


def reviewed_branches(config: Config, override: str | None = None) -> tuple[str, ...]:
    """The fixed branches a review counts PRs of (`--branch`, else the config); empty: all
    that reach the default branch. Both modes read this, so they count the same PRs."""
    return (override,) if override else config.review.branches


def branches_label(branches: Sequence[str], default: str) -> str:
    # Without a fixed list, the default branch stands for itself and what reaches it.
    return ", ".join(branches) if branches else default


def review_window(config: Config, period: ReviewPeriod) -> tuple[datetime, datetime]:
    """[since, until) of the PRs a review of `period` needs, in the review's time zone
    (`ReviewPeriod.read_span`): both modes and `link` read exactly this."""
    return period.read_span(config.review.timezone)


def paths_from(config: Config, period: ReviewPeriod) -> datetime | None:
    """From when on a review needs each PR's changed paths; None: every PR's it reads.

    Listing what a PR changed costs a tree diff per PR, the most of an offline read.
    A PR's paths matter where they link it (a team's `owns.paths` or `owns.codeowners`,
    a goal's `paths`: then the whole window, whose months the trend counts by team) and
    where the review shows the PR itself (its folders, a triage hint, the JSON): the
    month's PRs, and the quarter's that its goals' progress lists. Earlier PRs feed
    only counts and medians, which never read paths.
    """
    tz = config.review.timezone
    by_paths = any(t.paths or t.codeowners for t in config.teams)
    if by_paths or any(g.paths for g in config.goals):
        return None
    in_quarter = any(g.quarter == period.quarter for g in config.goals)
    return period.quarter_start(tz) if in_quarter else period.month.start(tz)


def check_team(config: Config, team: str | None) -> None:
    problem = config.unknown_team(team) if team is not None else None
    if problem is not None:
        raise QuarterdeckError(problem)


@dataclass(frozen=True)
class ReviewInputs:
    """What a builder read, and `assemble_reviews` makes the reviews of.

    `team`: only that team's review (None: every team's). `business` and
    `previous_business`: the metrics files of the month and the one before.
    `figure_sources` answers the configured metrics' queries (each once per run); by
    default the sources the config names, with secrets from the environment.
    `repos`: every repository read ("owner/name"), the home one first.
    `whole_quarter`: as for `build_reviews`.
    """

    config: Config
    warnings: Sequence[Problem]
    prs: Sequence[PullRequest]
    period: ReviewPeriod
    team: str | None
    business: MetricsMonth | None
    previous_business: MetricsMonth | None
    repo_name: str
    branch: str
    repo_url: str
    templates: Mapping[str, str]
    source: str = "git"
    figure_sources: FigureSources | None = None
    repos: Sequence[str] = ()
    whole_quarter: bool = False


def assemble_reviews(inputs: ReviewInputs) -> list[TeamReview]:
    """The part both modes share: PRs → links → team summaries → one TeamReview each.

    Each team's review shows its own figures of the metrics files (`teams:` in them).
    """
    config, period, repos = inputs.config, inputs.period, inputs.repos
    month, previous = period.month, period.previous
    tz = config.review.timezone
    figure_sources = inputs.figure_sources or FigureSources(config)
    links = link_all(inputs.prs, config, tz=tz, home=repos[0] if repos else None)
    summaries = summarise(
        links,
        config,
        month.start(tz),
        month.end(tz),
        previous.start(tz),
        period.quarter_start(tz),
        history=period.trend,
        tz=tz,
        keep_from=period.quarter_start(tz) if inputs.whole_quarter else None,
    )
    # The questions are the config's, the same in every team's review: their queries are
    # asked once (and not at all when only work no team owns is reviewed).
    owned = any(not s.unowned and (inputs.team in (None, s.team)) for s in summaries)
    evidence = question_evidence(config, period, figure_sources) if owned else ()
    return [
        TeamReview(
            repo=inputs.repo_name,
            month=month,
            previous_month=previous,
            team=None if summary.unowned else config.team(summary.team),
            summary=summary,
            questions=config.review.questions,
            business=_figures_of(inputs.business, summary),
            previous_business=_figures_of(inputs.previous_business, summary),
            warnings=_team_warnings(inputs.warnings, summary.team),
            metrics_dir=config.review.metrics_dir.rstrip("/"),
            timezone=tz,
            branch=inputs.branch,
            source=inputs.source,
            repo_url=inputs.repo_url,
            figures=()
            if summary.unowned
            else team_figures(config, summary.team, period, figure_sources),
            templates=inputs.templates,
            repos=tuple(repos),
            objectives=config.objectives_of(period.quarter),
            evidence=() if summary.unowned else evidence,
        )
        for summary in summaries
        if inputs.team is None or summary.team == inputs.team
    ]


def _figures_of(found: MetricsMonth | None, summary: TeamSummary) -> BusinessMetrics | None:
    # A team's own figures in the metrics file win in its review; work no team owns
    # shows the company-wide ones.
    return found.of(None if summary.unowned else summary.team) if found else None


def _team_warnings(problems: Sequence[Problem], team: str) -> tuple[str, ...]:
    # A warning about this team (e.g. "split the team") belongs in its review; one
    # about the repositories read (`repos`) in every review.
    key = f"teams.{team}"
    return tuple(
        p.message for p in problems if p.key in (key, "repos") or p.key.startswith(key + ".")
    )


def with_period_warnings(
    reviews: Sequence[TeamReview], month: Month, today: date
) -> list[TeamReview]:
    """`reviews` with what their reader must know about the month: it is not over, or
    the history read does not cover it (`core.review.review_month`). Each becomes a
    warning in every review, and marks it incomplete with the reason."""
    if not reviews:
        return []
    tz = reviews[0].timezone
    found = tuple(month_warnings(month, today, reviews[0].histories, tz))
    return [
        dataclasses.replace(
            r,
            warnings=(*found, *r.warnings),
            complete=not found,
            incomplete_reasons=found,
        )
        for r in reviews
    ]
