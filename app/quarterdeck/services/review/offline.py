"""The offline builder: reviews from local clones, no token and no network."""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.model import Config, PullRequest
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.review.repositories import merge_histories
from quarterdeck.core.review.review_month import HistorySpan
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.review.assemble import (
    ReviewInputs,
    assemble_reviews,
    branches_label,
    check_team,
    paths_from,
    repos_problem,
    review_window,
    reviewed_branches,
)
from quarterdeck.services.review.carry import carry_offline
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.team_figures import FigureSources
from quarterdeck.sources.git_history import default_branch, read_merged_prs, web_url
from quarterdeck.sources.git_repo import history_span
from quarterdeck.sources.git_run import one_run
from quarterdeck.sources.repo_files import (
    LocalReader,
    load_repo_config,
    local_templates,
)


@one_run()  # each short git question of the run asked once (the clone does not change)
def build_reviews(
    repo: Path,
    month: Month,
    *,
    team: str | None = None,
    branch: str | None = None,
    progress: Callable[[int], None] | None = None,
    config_path: str = CONFIG_PATH,
    env: Mapping[str, str] | None = None,
    figure_sources: FigureSources | None = None,
    clones: Sequence[Path] = (),
    whole_quarter: bool = False,
) -> list[TeamReview]:
    """One review per team (or just `team`) for `month`, from a local clone.

    `repo` is the home clone: its config, goals, metrics files and templates make the
    review. `clones` are more clones the teams ship in; each is read in one pass like
    `repo`, and their PRs join the review named by repository (`sdk#42`).
    `env` is where the metric sources find their secrets and URLs (default: the
    process environment); the demo passes its own, so it sets nothing globally.
    `figure_sources`: the run's metric sources (pass one to count its queries after).
    `whole_quarter`: keep the review of work no team owns (and of teams only goals
    name) when it had PRs anywhere in the quarter so far, not only this month: the
    quarter report reads the quarter from the last month's reviews.
    """
    config, warnings = load_repo_config(repo, config_path=config_path)
    sources = (figure_sources or FigureSources(env=env)).bind(config, LocalReader(repo))
    check_team(config, team)
    period = ReviewPeriod.of(month)  # the review's months, computed once
    since, until = review_window(config, period)
    branches = reviewed_branches(config, branch)
    configured = [_configured_clone(repo, path, config_path) for path in config.review.clones]
    paths = _distinct_clones(repo, [*clones, *configured])
    paths_since = paths_from(config, period)
    read = [
        read_clone(path, since, until, config, branches, progress, paths_from=paths_since)
        for path in paths
    ]
    # The home clone's default branch, asked of git once (a few processes each time).
    home_branch = default_branch(repo)
    if config.repos and len(read) == 1:
        listed = ", ".join(config.repos)
        text = (
            f"the config names more repositories ({listed}); offline only this clone was "
            "read: pass each other clone with another --repo, or review with --github"
        )
        warnings = [*warnings, repos_problem(config_path, text)]
    # How far each history reaches is a few short git walks: they run while this thread
    # assembles the reviews (Python alone, on one core), in this run's context, so that
    # both share its answers to short git questions.
    with ThreadPoolExecutor(max_workers=1) as pool:
        spans = pool.submit(
            contextvars.copy_context().run,
            _history_spans,
            [(path, name) for path, (name, _) in zip(paths, read, strict=True)],
            branches,
            (repo, home_branch),
            since,
        )
        reviews = assemble_reviews(
            ReviewInputs(
                config,
                warnings,
                merge_histories(prs for _, prs in read),
                period,
                team=team,
                business=sources.metrics_month(month),
                previous_business=sources.metrics_month(period.previous),
                repo_name=repo.resolve().name,
                branch=branches_label(branches, home_branch),
                repo_url=web_url(repo),
                templates=local_templates(repo),
                figure_sources=sources,
                repos=tuple(name for name, _ in read),
                whole_quarter=whole_quarter,
            )
        )
        histories = spans.result()
    reviews = [dataclasses.replace(r, histories=histories) for r in reviews]
    return carry_offline(repo, config, month, reviews, home_branch)


def _history_spans(
    clones: Sequence[tuple[Path, str]],
    branches: Sequence[str],
    home: tuple[Path, str],
    since: datetime,
) -> tuple[HistorySpan, ...]:
    """How far each clone's history reaches: the fixed `branches`, else its default
    branch (the home clone's, `home`, is known already)."""
    return tuple(
        history_span(path, branches or [_default_of(path, *home)], since, name)
        for path, name in clones
    )


def _default_of(path: Path, home: Path, home_branch: str) -> str:
    """The default branch of clone `path`; the home's is known already."""
    return home_branch if path is home else default_branch(path)


def read_clone(
    path: Path,
    since: datetime,
    until: datetime,
    config: Config,
    branches: Sequence[str],
    progress: Callable[[int], None] | None = None,
    *,
    paths_from: datetime | None = None,
) -> tuple[str, list[PullRequest]]:
    """One clone's merged PRs, each named by its repository: (name, PRs).

    The name is the `owner/name` of the clone's `origin` on GitHub (what GitHub mode
    names it too), else the clone's folder name. PRs merged before `paths_from` carry
    no paths (see `assemble.paths_from`); None reads every PR's.
    """
    url = web_url(path)
    name = url.split("/", 3)[3] if url.count("/") >= 4 else path.resolve().name
    prs = read_merged_prs(
        path, since, until, branches=branches, identities=config.identities, progress=progress,
        repo_name=name, repo_url=url, paths_from=paths_from,
    )  # fmt: skip
    return name, prs


def _configured_clone(home: Path, written: str, config_path: str) -> Path:
    """A `review.clones` entry as a path, or a QuarterdeckError saying what to do."""
    path = (home / written).resolve()
    if not (path / ".git").exists():
        raise QuarterdeckError(
            f"{config_path}: review.clones: {written} ({path}) is not a git clone; clone the "
            "repository there, fix the path, or remove it and pass clones with --repo"
        )
    return path


def _distinct_clones(home: Path, clones: Sequence[Path]) -> list[Path]:
    # The home clone first; the same clone named twice is read once.
    seen: dict[Path, Path] = {}
    for path in (home, *clones):
        seen.setdefault(path.resolve(), path)
    return list(seen.values())
