"""Build the monthly growth review: config → history → links → metrics → Markdown.

Offline mode: everything comes from a local clone, so no token and no network.
GitHub mode: config, metrics and merged PRs (with review times) from the API. Both
feed the same `assemble_reviews`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quarterdeck.core.business.definitions import SECTIONS, MetricDef
from quarterdeck.core.business.figures import TREND_MONTHS, MetricFigure
from quarterdeck.core.business.series import months_ending
from quarterdeck.core.calendar import Month, quarter_start, weeks_of_quarter
from quarterdeck.core.config import CONFIG_PATH, BusinessMetrics, MetricsMonth
from quarterdeck.core.goals.objectives import ObjectiveGroup, group_by_objective
from quarterdeck.core.model import Config, Objective, PullRequest, Team
from quarterdeck.core.review.decisions import read_boxes, read_record
from quarterdeck.core.review.figure_rows import FigureRow, figure_rows
from quarterdeck.core.review.goal_changes import CarriedForward, goal_changes, goals_in_file
from quarterdeck.core.review.linking import link_all
from quarterdeck.core.review.monthly import (
    Balance,
    TeamMonth,
    balance_kinds,
    speed_charts,
    total_balance,
)
from quarterdeck.core.review.progress import GoalProgress
from quarterdeck.core.review.repositories import merge_histories
from quarterdeck.core.review.review_month import HistorySpan, month_warnings
from quarterdeck.core.review.summary import TeamSummary, summarise
from quarterdeck.core.review.work_types import (
    NOT_FOLDERS,
    AreaGroup,
    TypeGroup,
    group_by_area,
    group_by_type,
    main_folder,
)
from quarterdeck.core.text.charts import Chart
from quarterdeck.core.text.plain import Omit, schema_of, to_plain
from quarterdeck.core.text.units import duration_unit
from quarterdeck.core.vocabulary import REVIEW_LABEL
from quarterdeck.errors import Problem, QuarterdeckError
from quarterdeck.services.team_figures import FigureSources, team_figures
from quarterdeck.services.templates import render_template
from quarterdeck.sources.git_history import default_branch, read_merged_prs, web_url
from quarterdeck.sources.git_repo import history_span
from quarterdeck.sources.repo_files import (
    USER_TEMPLATES,
    LocalReader,
    load_repo_config,
    local_templates,
    read_text,
)

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: an offline review never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.core.review.goal_changes import GoalChange
    from quarterdeck.sources.github import Github, Repository
    from quarterdeck.sources.github.home import HomePlan
    from quarterdeck.sources.github.writes import Writer

# Which of the quarter's three monthly reviews this is, and what it is for.
REVIEW_FOCUS = {
    1: "First review of the quarter: is the research done, and has work started on every goal?",
    2: "Mid-quarter review: what have we learned so far, and does the plan still hold?",
    3: "Last review before planning: what impact did this quarter's work have?",
}
REVIEW_TEMPLATE = "review.md.j2"


@dataclass(frozen=True)
class TeamReview:
    """Everything one team's growth review shows; the template renders this directly."""

    repo: str
    month: Month
    previous_month: Month
    team: Team | None  # None: work no team owns
    summary: TeamSummary
    questions: tuple[str, ...]
    business: BusinessMetrics | None = None
    previous_business: BusinessMetrics | None = None
    warnings: tuple[str, ...] = ()
    branch: str = ""
    source: str = "git"
    repo_url: str = ""  # https://github.com/owner/name when known: PR numbers become links
    metrics_dir: str = "metrics"
    timezone: str = "UTC"  # review.timezone: months and the dates shown are in it
    # The configured metrics over the review month and the six before it.
    figures: tuple[MetricFigure, ...] = ()
    # The repo's own templates (name -> source), overriding the bundled ones.
    templates: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Every repository the review read ("owner/name"), the home one first.
    repos: tuple[str, ...] = ()
    # Last month's decision and what changed in the team's goals since (None: not read).
    carried: CarriedForward | None = None
    # The company objectives of the review's quarter (every team's review has them all).
    objectives: tuple[Objective, ...] = ()
    # What each clone's history covers (offline; GitHub mode knows every PR: none).
    histories: tuple[HistorySpan, ...] = ()
    # False when the month is not over or the history does not cover it; the reasons
    # are among `warnings` too (see `with_period_warnings`).
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = ()

    @property
    def figure_months(self) -> tuple[Month, ...]:
        """The six months the trend tables show (the window's first month only feeds growth)."""
        return self.figures[0].months[1:] if self.figures else ()

    def figures_in(self, section: str) -> tuple[MetricFigure, ...]:
        """The configured metrics of one section, in config order."""
        return tuple(f for f in self.figures if f.metric.section == section)

    @property
    def custom_sections(self) -> tuple[str, ...]:
        """Sections teams named beyond revenue, product and feedback, in order."""
        named = (f.metric.section for f in self.figures if f.metric.section not in SECTIONS)
        return tuple(dict.fromkeys(named))

    @property
    def missed_targets(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.target_met is False)

    @property
    def anomalies(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.anomaly is not None)

    @property
    def unavailable_figures(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.unavailable)

    @property
    def quarter(self) -> str:
        return self.month.quarter

    @property
    def review_number(self) -> int:
        return self.month.month_of_quarter

    @property
    def quarter_weeks(self) -> tuple[int, int]:
        """First and last week of the quarter that the reviewed month covers."""
        return weeks_of_quarter(self.month)

    @property
    def focus(self) -> str:
        return REVIEW_FOCUS[self.review_number]

    @property
    def merged(self) -> int:
        """Every PR merged this month, bots' unplanned ones included."""
        return self.summary.planned + len(self.summary.unplanned)

    @property
    def unplanned_bot_prs(self) -> int:
        """Unplanned PRs of bots not in `bots.count`: listed, not counted as shipped."""
        return self.merged - self.summary.shipped

    @property
    def unplanned_groups(self) -> tuple[TypeGroup, ...]:
        """Unplanned PRs by type, then area: what the review lists them under."""
        return group_by_type(self.summary.unplanned)

    @property
    def unowned_areas(self) -> tuple[AreaGroup, ...]:
        """Unplanned PRs by the top folder they changed most: the triage of work no
        team owns (scopes are ignored, as `owns.paths` takes folders)."""
        return group_by_area(self.summary.unplanned, main_folder)

    @property
    def unowned_example_folder(self) -> str | None:
        """The folder with the most unowned PRs, for the `owns.paths` example."""
        return next((a.area for a in self.unowned_areas if a.area not in NOT_FOLDERS), None)

    @property
    def history(self) -> tuple[TeamMonth, ...]:
        """The team's last six months, the review month last."""
        return self.summary.history

    @property
    def speed_charts(self) -> tuple[Chart, ...]:
        return speed_charts(self.summary.history)

    @property
    def balance_kinds(self) -> tuple[tuple[str, str], ...]:
        return balance_kinds(self.summary.history)

    @property
    def history_balance(self) -> Balance:
        """Where the six months' shipped PRs went, together."""
        return total_balance(self.summary.history)

    @property
    def changed_course_in_name_only(self) -> bool:
        """Last month's lead decided to change course, and no goal changed since."""
        return self.carried is not None and self.carried.changed_course_in_name_only

    @property
    def objective_groups(self) -> tuple[ObjectiveGroup[GoalProgress], ...]:
        """The team's goal progress under the objectives its goals serve, then the goals
        that serve none; empty when the quarter has no objectives (one table then)."""
        if not self.objectives:
            return ()
        return group_by_objective(self.summary.progress, lambda p: p.goal, self.objectives)

    @property
    def stalled_goals(self) -> tuple[GoalProgress, ...]:
        return tuple(p for p in self.summary.progress if p.stalled)

    @property
    def metrics_file(self) -> str:
        return self.business.source if self.business else f"{self.metrics_dir}/{self.month}.yml"

    def history_unit(self, metric: str) -> str:
        """The one unit ("min", "h" or "d") the six-month table writes the median of
        duration `metric` (`lead_time`, `cycle_time`) in, for every month alike."""
        medians = [getattr(tm.speed, metric) for tm in self.history]
        return duration_unit(m.median for m in medians if m.available)

    @property
    def _configured(self) -> tuple[MetricDef, ...]:
        """The configured metrics this review shows (their figures drop the file's twins)."""
        return tuple(f.metric for f in self.figures)

    @property
    def revenue_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("revenue", self.business, self.previous_business, self._configured)

    @property
    def product_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("product", self.business, self.previous_business, self._configured)

    @property
    def feedback_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("feedback", self.business, self.previous_business, self._configured)

    @property
    def title(self) -> str:
        name = "work no team owns" if self.summary.unowned else self.summary.team
        return f"Growth review: {name} — {self.month.label}"


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
    _check_team(config, team)
    since, until = review_window(config, month)
    branches = reviewed_branches(config, branch)
    configured = [_configured_clone(repo, path, config_path) for path in config.review.clones]
    paths = _distinct_clones(repo, [*clones, *configured])
    read = [read_clone(path, since, until, config, branches, progress) for path in paths]
    # The home clone's default branch, asked of git once (a few processes each time).
    home_branch = default_branch(repo)
    histories = tuple(
        history_span(path, branches or [_default_of(path, repo, home_branch)], since, name)
        for path, (name, _) in zip(paths, read, strict=True)
    )
    if config.repos and len(read) == 1:
        listed = ", ".join(config.repos)
        text = (
            f"the config names more repositories ({listed}); offline only this clone was "
            "read: pass each other clone with another --repo, or review with --github"
        )
        warnings = [*warnings, _repos_problem(config_path, text)]
    reviews = assemble_reviews(
        config,
        warnings,
        merge_histories(prs for _, prs in read),
        month,
        team=team,
        business=sources.metrics_month(month),
        previous_business=sources.metrics_month(month.previous()),
        repo_name=repo.resolve().name,
        branch=_branches_label(branches, home_branch),
        repo_url=web_url(repo),
        templates=local_templates(repo),
        figure_sources=sources,
        repos=tuple(name for name, _ in read),
        whole_quarter=whole_quarter,
    )
    reviews = [dataclasses.replace(r, histories=histories) for r in reviews]
    return _carry_offline(repo, config, month, reviews, home_branch)


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
) -> tuple[str, list[PullRequest]]:
    """One clone's merged PRs, each named by its repository: (name, PRs).

    The name is the `owner/name` of the clone's `origin` on GitHub (what GitHub mode
    names it too), else the clone's folder name.
    """
    url = web_url(path)
    name = url.split("/", 3)[3] if url.count("/") >= 4 else path.resolve().name
    prs = read_merged_prs(
        path, since, until, branches=branches, identities=config.identities, progress=progress,
        repo_name=name, repo_url=url,
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


def build_reviews_from_github(
    gh: Github,
    full_name: str,
    month: Month,
    *,
    team: str | None = None,
    branch: str | None = None,
    config_path: str = CONFIG_PATH,
    figure_sources: FigureSources | None = None,
    writer: Writer | None = None,
) -> list[TeamReview]:
    """The same reviews from GitHub: config and metrics files from the default branch,
    merged PRs (with review times) from the GraphQL search. Templates are the bundled
    ones overridden by the repo's own `.github/quarterdeck/templates/`. `writer` is the
    login Quarterdeck writes as, whose last-month issues carry a decision (None: the
    token's user, `token_writer`).
    """
    return github_home_reviews(
        gh,
        full_name,
        month,
        team=team,
        branch=branch,
        config_path=config_path,
        figure_sources=figure_sources,
        writer=writer,
    ).reviews


@dataclass(frozen=True)
class HomeReviews:
    """The reviews from GitHub with the home they were read in: its repository (whose
    reader holds every file already read) and its config, for callers that read more."""

    repo: Repository
    config: Config
    reviews: list[TeamReview]


def github_home_reviews(
    gh: Github,
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
    """`build_reviews_from_github`, with the home repository and config it read
    (`whole_quarter`: as for `build_reviews`)."""
    from quarterdeck.sources.github.client import log_rate_limit, token_writer
    from quarterdeck.sources.github.config import load_github_templates, repo_reader
    from quarterdeck.sources.github.goal_listing import load_config_with_goal_issues
    from quarterdeck.sources.github.home import open_home
    from quarterdeck.sources.github.prs import fetch_merged_prs
    from quarterdeck.sources.github.repos import resolve_repos

    # One query: the repository, the folders, labelled issues and goals history the
    # defaults name; what the config moves elsewhere is read when asked.
    repo = open_home(gh, full_name, home_plan(config_path, month))
    # Goals tracked as issues join the file goals; unreadable goal issues are reported.
    config, warnings = load_config_with_goal_issues(repo, config_path=config_path)
    _check_team(config, team)
    since, until = review_window(config, month)
    branches = reviewed_branches(config, branch)
    selection = resolve_repos(gh, repo.full_name, config.repos)
    warnings = [*warnings, *(_repos_problem(config_path, text) for _, text in selection.problems)]
    prs = fetch_merged_prs(gh, selection.repos, since, until, bases=branches)
    sources = (figure_sources or FigureSources()).bind(config, repo_reader(repo))
    business = sources.metrics_month(month)
    previous_business = sources.metrics_month(month.previous())
    log_rate_limit(gh)
    reviews = assemble_reviews(
        config,
        warnings,
        prs,
        month,
        team=team,
        business=business,
        previous_business=previous_business,
        repo_name=repo.name,
        branch=_branches_label(branches, repo.default_branch),
        source="github",
        repo_url=repo.html_url,
        templates=load_github_templates(repo),
        figure_sources=sources,
        repos=selection.repos,
        whole_quarter=whole_quarter,
    )
    carried = carry_from_github(
        repo, config, month, reviews, writer or token_writer(gh, in_actions=False)
    )
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


def goals_file_of(config: Config, month: Month) -> str:
    """The goals file of `month`'s quarter (`goals/2026-Q4.yml`)."""
    folder = config.goals_dir.strip("/")
    name = f"{month.quarter}.yml"
    return f"{folder}/{name}" if folder else name


def carried_since(config: Config, month: Month) -> datetime:
    """When last month's review was made, as both modes count it: the start of the
    reviewed month (the end of the month that review covered), in the review's zone.
    The same moment offline and on GitHub, so both modes show the same changes."""
    return month.start(config.review.timezone)


def _carry_offline(
    repo: Path, config: Config, month: Month, reviews: list[TeamReview], branch: str
) -> list[TeamReview]:
    """Offline: goal changes from the clone's history (its default `branch`); last
    month's decision lives on its review issue, which only GitHub mode reads."""
    from quarterdeck.sources.git_goals_history import goals_file_at

    if month.month_of_quarter == 1:
        return [_carry(r, month, config, None, None, "") for r in reviews]
    path = goals_file_of(config, month)
    since = carried_since(config, month)
    then = goals_file_at(repo, branch, path, since)
    now, _ = read_text(LocalReader(repo), path)
    return [_carry(r, month, config, then.text, now, then.unavailable) for r in reviews]


def _carry(
    review: TeamReview,
    month: Month,
    config: Config,
    then: str | None,
    now: str | None,
    unavailable: str,
    previous: Any = None,
) -> TeamReview:
    """`review` with what last month carries into it: the goal changes between the
    goals file `then` and `now`, and last month's review issue `previous` if read."""
    if review.team is None:
        return review
    path = goals_file_of(config, month)
    changes: tuple[GoalChange, ...] = ()
    if month.month_of_quarter != 1 and not unavailable:
        changes = goal_changes(
            goals_in_file(path, then), goals_in_file(path, now), review.team.slug, month.quarter
        )
    carried = CarriedForward(
        month=month.previous(),
        since=carried_since(config, month),
        changes=changes,
        history_unavailable=unavailable,
        new_quarter=month.month_of_quarter == 1,
    )
    if previous is not None:
        carried = with_previous_issue(carried, previous.number, previous.html_url, previous.body)
    return dataclasses.replace(review, carried=carried)


def with_previous_issue(
    carried: CarriedForward, number: int, url: str, body: str | None
) -> CarriedForward:
    """`carried` with the decision last month's review issue holds (recorded or ticked)."""
    return dataclasses.replace(
        carried,
        issue=number,
        issue_url=url,
        decision=read_record(body),
        ticked=read_boxes(body).ticked,
        read_issue=True,
    )


def carry_from_github(
    repo: Any, config: Config, month: Month, reviews: list[TeamReview], writer: Writer
) -> list[TeamReview]:
    """GitHub mode: last month's review issues (one listing) and the goals file's
    history (`goals_file_then_and_now`: one request when it did not change)."""
    from quarterdeck.sources.github import translated
    from quarterdeck.sources.github.goals_history import goals_file_then_and_now
    from quarterdeck.sources.github.reviews import previous_review_issues

    owned = [r for r in reviews if r.team is not None]
    if not owned:
        return reviews
    previous = previous_review_issues(repo, month, writer)
    then = now = None
    unavailable = ""
    if month.month_of_quarter != 1:
        path = goals_file_of(config, month)
        with translated(f"reading the history of {path}"):
            found = goals_file_then_and_now(repo, path, carried_since(config, month))
        then, now, unavailable = found.then, found.now, found.unavailable
        if not found.changed:
            then = now = ""  # the same text: no change, nothing to read
    return [
        _carry(r, month, config, then, now, unavailable, previous.get(r.summary.team))
        for r in reviews
    ]


def _repos_problem(config_path: str, text: str) -> Problem:
    # Said in every team's review: any team may ship in the repository not read.
    return Problem(config_path, None, "repos", text, "warning")


def reviewed_branches(config: Config, override: str | None = None) -> tuple[str, ...]:
    """The fixed branches a review counts PRs of (`--branch`, else the config); empty: all
    that reach the default branch. Both modes read this, so they count the same PRs."""
    return (override,) if override else config.review.branches


def _branches_label(branches: Sequence[str], default: str) -> str:
    # Without a fixed list, the default branch stands for itself and what reaches it.
    return ", ".join(branches) if branches else default


def review_window(config: Config, month: Month) -> tuple[datetime, datetime]:
    """[since, until) of the PRs a review needs: the quarter so far, the month before and
    the six months the trends show, in one read."""
    tz = config.review.timezone
    first = months_ending(month, TREND_MONTHS)[0]
    return min(quarter_start(month.quarter, tz), first.start(tz)), month.end(tz)


def _check_team(config: Config, team: str | None) -> None:
    problem = config.unknown_team(team) if team is not None else None
    if problem is not None:
        raise QuarterdeckError(problem)


def assemble_reviews(
    config: Config,
    warnings: Sequence[Problem],
    prs: Sequence[PullRequest],
    month: Month,
    *,
    team: str | None,
    business: MetricsMonth | None,
    previous_business: MetricsMonth | None,
    repo_name: str,
    branch: str,
    repo_url: str,
    templates: Mapping[str, str],
    source: str = "git",
    figure_sources: FigureSources | None = None,
    repos: Sequence[str] = (),
    whole_quarter: bool = False,
) -> list[TeamReview]:
    """The part both modes share: PRs → links → team summaries → one TeamReview each.

    `figure_sources` answers the configured metrics' queries (each once per run); by
    default the sources the config names, with secrets from the environment. Each
    team's review shows its own figures of the metrics files (`teams:` in them).
    """
    tz = config.review.timezone
    figure_sources = figure_sources or FigureSources(config)
    previous = month.previous()
    links = link_all(prs, config, tz=tz, home=repos[0] if repos else None)
    summaries = summarise(
        links,
        config,
        month.start(tz),
        month.end(tz),
        previous.start(tz),
        quarter_start(month.quarter, tz),
        history=months_ending(month, TREND_MONTHS),
        tz=tz,
        keep_from=quarter_start(month.quarter, tz) if whole_quarter else None,
    )
    return [
        TeamReview(
            repo=repo_name,
            month=month,
            previous_month=previous,
            team=None if summary.unowned else config.team(summary.team),
            summary=summary,
            questions=config.review.questions,
            business=_figures_of(business, summary),
            previous_business=_figures_of(previous_business, summary),
            warnings=_team_warnings(warnings, summary.team),
            metrics_dir=config.review.metrics_dir.rstrip("/"),
            timezone=tz,
            branch=branch,
            source=source,
            repo_url=repo_url,
            figures=()
            if summary.unowned
            else team_figures(config, summary.team, month, figure_sources),
            templates=templates,
            repos=tuple(repos),
            objectives=config.objectives_of(month.quarter),
        )
        for summary in summaries
        if team is None or summary.team == team
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


def render_review(review: TeamReview, *, standalone: bool = True) -> str:
    """The review's Markdown; `standalone` adds the title as a heading (not for issues)."""
    # A repo's own templates render in a limited child process (services.templates).
    return render_template(review.templates, REVIEW_TEMPLATE, review=review, standalone=standalone)


def render_reviews(reviews: Sequence[TeamReview]) -> str:
    """Several reviews in one Markdown document, separated by rules."""
    if not reviews:
        return "_No teams to review: add teams to `.github/quarterdeck.yml`._\n"
    return "\n---\n\n".join(render_review(r) for r in reviews)


# The review JSON's shape; bump on a change that breaks a reader (a field renamed or
# removed), not on a field added. schema/review-output.schema.json describes it.
REVIEW_JSON_VERSION = 1
# The computed properties of TeamReview that the JSON carries beside its fields.
_REVIEW_EXTRAS: dict[str, Any] = {
    "title": {"type": "string"},
    "quarter": {"type": "string"},
    "review_number": {"type": "integer", "minimum": 1, "maximum": 3},
}
_OMIT: Omit = {TeamReview: frozenset({"templates"})}
_NO_BODIES: Omit = {**_OMIT, PullRequest: frozenset({"body"})}


def reviews_to_json(reviews: Sequence[TeamReview], *, with_bodies: bool = False) -> dict[str, Any]:
    """`{"version": 1, "reviews": [...]}`: the same facts the Markdown shows, as data.

    PR bodies (offline: whole commit messages) are long and rarely wanted by a
    machine; they are left out unless `with_bodies`.
    """
    omit = _OMIT if with_bodies else _NO_BODIES
    return {
        "version": REVIEW_JSON_VERSION,
        "reviews": [
            {"title": r.title, "quarter": r.quarter, "review_number": r.review_number}
            | to_plain(r, omit)
            for r in reviews
        ],
    }


def review_json_schema() -> dict[str, Any]:
    """The JSON Schema of `reviews_to_json`'s output, generated from the dataclasses."""
    defs: dict[str, Any] = {}
    schema_of(TeamReview, omit=_OMIT, optional={PullRequest: frozenset({"body"})}, defs=defs)
    review = defs["TeamReview"]
    review["properties"] = _REVIEW_EXTRAS | review["properties"]
    review["required"] = [*_REVIEW_EXTRAS, *review["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/quarterdeck/quarterdeck/schema/review-output.schema.json",
        "title": "Quarterdeck review output (`quarterdeck review --format json`)",
        "description": (
            "Every team's growth review of one month. `body` of a PR is present only "
            "with --with-bodies. Regenerate with "
            "`quarterdeck schema --review-output > schema/review-output.schema.json`."
        ),
        "type": "object",
        "properties": {
            "version": {"const": REVIEW_JSON_VERSION},
            "reviews": {"type": "array", "items": {"$ref": "#/$defs/TeamReview"}},
        },
        "required": ["version", "reviews"],
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }
