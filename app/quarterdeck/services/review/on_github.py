"""The GitHub builder: reviews from the API (config, metrics and merged PRs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.model import Config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.vocabulary import REVIEW_LABEL
from quarterdeck.services.review.assemble import (
    ReviewInputs,
    assemble_reviews,
    branches_label,
    check_team,
    repos_problem,
    review_window,
    reviewed_branches,
)
from quarterdeck.services.review.carry import carry_from_github, goals_file_of
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.team_figures import FigureSources
from quarterdeck.sources.repo_files import (
    USER_TEMPLATES,
)

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: an offline review never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway, RepoGateway
    from quarterdeck.sources.github.home import HomePlan
    from quarterdeck.sources.github.writes import Writer


@dataclass(frozen=True)
class HomeReviews:
    """The reviews from GitHub with the home they were read in: its repository (whose
    reader holds every file already read) and its config, for callers that read more."""

    repo: RepoGateway
    config: Config
    reviews: list[TeamReview]


def github_home_reviews(
    gh: GitHubGateway,
    full_name: str,
    month: Month,
    *,
    team: str | None = None,
    branch: str | None = None,
    config_path: str = CONFIG_PATH,
    figure_sources: FigureSources | None = None,
    writer: Writer | None = None,
    whole_quarter: bool = False,
) -> HomeReviews:
    """The reviews from GitHub, with the home repository and config they were read in:
    config and metrics files from the default branch, merged PRs (with review times)
    from the GraphQL search. Templates are the bundled ones overridden by the repo's
    own `.github/quarterdeck/templates/`. `writer` is the login Quarterdeck writes as,
    whose last-month issues carry a decision (None: the token's user, `token_writer`).
    `whole_quarter`: as for `build_reviews`.
    """
    # One query: the repository, the folders, labelled issues and goals history the
    # defaults name; what the config moves elsewhere is read when asked.
    repo = gh.open_home(full_name, home_plan(config_path, month))
    # Goals tracked as issues join the file goals; unreadable goal issues are reported.
    config, warnings = repo.config_with_goal_issues(config_path=config_path)
    check_team(config, team)
    period = ReviewPeriod.of(month)  # the review's months, computed once
    since, until = review_window(config, period)
    branches = reviewed_branches(config, branch)
    selection = gh.resolve_repos(repo.full_name, config.repos)
    warnings = [*warnings, *(repos_problem(config_path, text) for _, text in selection.problems)]
    prs = gh.merged_prs(selection.repos, since, until, bases=branches)
    sources = (figure_sources or FigureSources()).bind(config, repo.reader())
    business = sources.metrics_month(month)
    previous_business = sources.metrics_month(period.previous)
    gh.log_rate_limit()
    reviews = assemble_reviews(
        ReviewInputs(
            config,
            warnings,
            prs,
            period,
            team=team,
            business=business,
            previous_business=previous_business,
            repo_name=repo.name,
            branch=branches_label(branches, repo.default_branch),
            source="github",
            repo_url=repo.html_url,
            templates=repo.templates(),
            figure_sources=sources,
            repos=selection.repos,
            whole_quarter=whole_quarter,
        )
    )
    carried = carry_from_github(repo, config, month, reviews, writer or gh.writer(in_actions=False))
    return HomeReviews(repo, config, carried)


def home_plan(config_path: str, month: Month) -> HomePlan:
    """What a GitHub review reads in its home, where the defaults put it: the config
    file's folder, the goals, objectives, metrics and templates folders, the goal,
    objective and review issues, and the quarter's goals file's history (from the
    second month of a quarter, when goal changes are shown)."""
    from quarterdeck.sources.github.home import HomePlan

    defaults = Config()
    history = goals_file_of(defaults, month) if month.month_of_quarter != 1 else None
    folders = (
        config_path.rpartition("/")[0],
        defaults.goals_dir,
        defaults.objectives_dir,
        defaults.review.metrics_dir,
        USER_TEMPLATES,
    )
    labels = (defaults.goal_label, defaults.objective_label, REVIEW_LABEL)
    return HomePlan(folders, labels, history)
