"""Goal and objective issues from GitHub: one paginated listing by label each, read into
plain snapshots.

Issues are listed by label, never found by search (the search index lags behind
writes). Only fields the listing already holds are read, so no issue costs a request
of its own (PyGithub fetches an object again when a field it lacks is read). A review
that opened its home with one query (`home.open_home`) hands the issues it read there
to `hold_issues`; the one listing by each label takes them (`take_issues`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from github.Consts import DEFAULT_PER_PAGE
from github.GithubException import GithubException, UnknownObjectException
from github.Issue import Issue
from github.Repository import Repository

from quarterdeck.core.config import CONFIG_PATH, parse_config
from quarterdeck.core.goals.goal_issues import (
    IssueSnapshot,
    goals_from_issues,
    marker_goal_id,
    merge_goals,
    merge_objectives,
    objectives_from_issues,
)
from quarterdeck.core.model import Config, Goal, Objective
from quarterdeck.errors import Problem
from quarterdeck.sources.github.client import github_error, translated
from quarterdeck.sources.github.config import (
    Check,
    GitHubReader,
    load_github_config,
    locate_config,
)
from quarterdeck.sources.repo_files import load_config, read_text

__all__ = [
    "AppConfig",
    "get_issue",
    "has_own_config",
    "hold_issues",
    "is_pull_request",
    "list_goal_issues",
    "list_marked_issues",
    "load_app_config",
    "own_config",
    "read_goal_issues",
    "read_objective_issues",
    "snapshot",
    "take_issues",
]

log = logging.getLogger(__name__)


def snapshot(issue: Issue) -> IssueSnapshot:
    """The plain-data view of a PyGithub issue (no extra request)."""
    return IssueSnapshot(
        number=issue.number,
        title=issue.title or "",
        body=issue.body or "",
        state=issue.state,
        labels=tuple(label.name for label in issue.labels),
        assignees=tuple(user.login for user in issue.assignees),
        state_reason=issue.state_reason,
        url=issue.html_url or "",
    )


def hold_issues(repo: Repository, by_label: dict[str, list[Issue]]) -> None:
    """Keep issues read ahead with `repo` (`home.open_home`), by label, for the one
    listing by each label that takes them (`take_issues`)."""
    repo._quarterdeck_issues = by_label  # type: ignore[attr-defined]


def take_issues(repo: Repository, label: str) -> list[Issue] | None:
    """The issues labelled `label` read ahead with `repo` (once), else None."""
    held: dict[str, list[Issue]] | None = getattr(repo, "_quarterdeck_issues", None)
    return held.pop(label, None) if held else None


def is_pull_request(issue: Issue) -> bool:
    """Whether an issue from a listing is a pull request, without a request of its own."""
    # The issues listing includes PRs; their html_url says so without another request
    # (reading `issue.pull_request` on an issue would fetch it again).
    return "/pull/" in (issue.html_url or "")


def list_goal_issues(repo: Repository, label: str) -> list[tuple[Issue, IssueSnapshot]]:
    """Every issue (open or closed, PRs excluded) labelled `label`, oldest first."""
    return _goal_issue_listing(repo, label)[0]


def _goal_issue_listing(
    repo: Repository, label: str, full_name: str | None = None
) -> tuple[list[tuple[Issue, IssueSnapshot]], Check | None]:
    """`list_goal_issues`, with a `Check` of the listing when it fit in one page (None
    when it was read ahead with the repository: GraphQL has no ETags)."""
    ahead = take_issues(repo, label)  # read with the repository (`home.open_home`)
    if ahead is not None:
        return sorted(((i, snapshot(i)) for i in ahead), key=lambda pair: pair[1].number), None
    full_name = full_name or repo.full_name
    listed: list[Issue] = []
    try:
        listed = list(repo.get_issues(state="all", labels=[label]))
    except GithubException as exc:
        raise github_error(exc, f"listing the issues labelled {label!r} in {full_name}") from None
    found = [(issue, snapshot(issue)) for issue in listed if not is_pull_request(issue)]
    per_page = repo.requester.per_page
    check = None
    if len(listed) < per_page:
        # One page: its ETag (every issue carries its page's headers) says whether it
        # changed. The same parameters PyGithub sent, so GitHub compares like with like.
        params = {"state": "all", "labels": label}
        if per_page != DEFAULT_PER_PAGE:
            params["per_page"] = str(per_page)
        etag = listed[0].etag if listed else None
        check = Check(f"/repos/{full_name}/issues", tuple(sorted(params.items())), etag)
    return sorted(found, key=lambda pair: pair[1].number), check


def list_marked_issues(repo: Repository) -> list[tuple[Issue, IssueSnapshot]]:
    """Every issue whose body carries a goal marker, whatever its labels, oldest first.

    For when the goal label is missing from the repo (renamed or deleted, or a first
    sync): the issues a sync opened still carry their markers. Reads every issue once.
    """
    with translated(f"listing the issues of {repo.full_name}"):
        found = [
            (issue, snapshot(issue))
            for issue in repo.get_issues(state="all")
            if not is_pull_request(issue) and marker_goal_id(issue.body)
        ]
    return sorted(found, key=lambda pair: pair[1].number)


def get_issue(repo: Repository, number: int) -> tuple[Issue, IssueSnapshot] | None:
    """Issue #number, or None when it doesn't exist (404), was deleted (410) or is a PR."""
    try:
        issue = repo.get_issue(number)
    except UnknownObjectException:
        return None
    except GithubException as exc:
        if exc.status == 410:  # deleted by a person: reported like a missing one
            return None
        raise github_error(exc, f"reading issue #{number} of {repo.full_name}") from None
    return None if is_pull_request(issue) else (issue, snapshot(issue))


def read_goal_issues(
    repo: Repository, config: Config, *, problems: list[Problem] | None = None
) -> list[Goal]:
    """The goals tracked as issues labelled `config.goal_label`, in any state.

    Issues that can't be read as goals (no `quarter:` or `team:` label, ...) are left
    out and described in `problems` when given (so a caller can show them), else
    logged as warnings: never dropped silently. The rules are in
    `quarterdeck.core.goals.goal_issues`.
    """
    return _read_goal_issues(repo, config, problems)[0]


def _read_goal_issues(
    repo: Repository, config: Config, problems: list[Problem] | None, full_name: str | None = None
) -> tuple[list[Goal], Check | None]:
    listing, check = _goal_issue_listing(repo, config.goal_label, full_name)
    goals, found = goals_from_issues([snap for _, snap in listing], config)
    if problems is not None:
        problems.extend(found)
    else:
        for problem in found:
            log.warning("%s", problem)
    return goals, check


def read_objective_issues(
    repo: Repository, config: Config, problems: list[Problem]
) -> list[Objective]:
    """The company objectives tracked as issues labelled `config.objective_label`, in any
    state; issues that can't be read as objectives are described in `problems`."""
    listing, _ = _goal_issue_listing(repo, config.objective_label)
    snapshots = [snap for _, snap in listing]
    objectives, found = objectives_from_issues(snapshots, config.objective_label)
    problems.extend(found)
    return objectives


def load_config_with_goal_issues(
    repo: Repository, *, config_path: str = CONFIG_PATH, objectives: bool = True
) -> tuple[Config, list[Problem]]:
    """The repo's config from GitHub with its goal issues merged into the file goals, and
    (unless `objectives=False`) its objective issues into the written objectives.

    What the review and `link` link against; goal and objective issues that can't be
    read come back among the warnings. A caller that only links PRs may pass
    `objectives=False`: one listing fewer.
    """
    config, warnings = load_github_config(repo, config_path=config_path)
    problems: list[Problem] = []
    config = merge_goals(config, read_goal_issues(repo, config, problems=problems))
    if objectives:
        config = merge_objectives(config, read_objective_issues(repo, config, problems))
    return config, [*warnings, *problems]


@dataclass(frozen=True)
class AppConfig:
    """The config a delivery links against, where it came from, and how to revalidate it."""

    config: Config  # goal files' and goal issues' goals merged in
    # The repository whose `.github/quarterdeck.yml` applies: the delivery's own, or
    # its owner's `.github` one (also when neither has a file: defaults, own goals).
    source: str
    goals_repo: str  # where the goal files and goal issues were read
    warnings: tuple[Problem, ...] = ()
    # Every read behind it but the repository's own config file, to repeat with
    # `If-None-Match` (`config.still_current`); None: something can't be revalidated
    # (a listing of several pages, an `_extends` base): read it all again.
    checks: tuple[Check, ...] | None = ()


def own_config(repo: Repository, full_name: str) -> GitHubReader:
    """A reader of `full_name` that has read its own config file (one request).

    Whether it has one: `has_own_config`; the read is its first check.
    """
    reader = GitHubReader(repo, full_name=full_name)
    read_text(reader, CONFIG_PATH)
    return reader


def has_own_config(reader: GitHubReader) -> bool:
    """Whether the repository of `own_config`'s reader has a config file of its own."""
    return reader.checks[0].etag is not None


def load_app_config(reader: GitHubReader) -> AppConfig:
    """The config for PRs of `reader`'s repository, as the App reads it (`own_config` first).

    Its own file wins; else its owner's `.github` repository's. A `.github` config
    naming `repos:` or `org:` is organisation-wide: its goal files and goal issues are
    read in the `.github` repository (which of the repositories it speaks for is
    `core.review.repositories.home_of`'s rule). Any other keeps each repository's own.
    """
    problems: list[Problem] = []
    found, origin, base = locate_config(reader, problems)
    source = origin.full_name if found is not None else reader.full_name
    goals_reader = reader
    if found is not None and origin is not reader:
        parsed, _ = parse_config(found[1], found[0], base=base)
        if parsed is not None and parsed.org_wide:
            goals_reader = origin
    # The App links PRs: objectives are for reviews, so their folder is not read.
    config, warnings = load_config(
        goals_reader, config=found, base=base, problems=problems, objectives=False
    )
    goals_repo = goals_reader.full_name
    issues, listing = _read_goal_issues(goals_reader.repo, config, problems, goals_repo)
    config = merge_goals(config, issues)
    readers = dict.fromkeys([reader, origin, goals_reader])
    # Not the repository's own config file (`own_config`'s read): its caller checks that
    # per repository, while this config may serve many.
    checks = [c for r in readers for c in r.checks if c is not reader.checks[0]]
    # An `_extends` base is read by a reader of its own, not kept: read it all again.
    current = None if listing is None or base is not None else (*checks, listing)
    return AppConfig(config, source, goals_repo, tuple([*warnings, *problems]), current)
