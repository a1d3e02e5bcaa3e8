"""Goal issues from GitHub: one paginated listing by label, read into plain snapshots.

Issues are listed by label, never found by search (the search index lags behind
writes). Only fields the listing already holds are read, so no issue costs a request
of its own (PyGithub fetches an object again when a field it lacks is read).
"""

from __future__ import annotations

import logging

from github.GithubException import GithubException, UnknownObjectException
from github.Issue import Issue
from github.Repository import Repository

from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.goals.issues import IssueSnapshot, goals_from_issues, marker_goal_id
from quarterdeck.core.goals.merge import merge_goals
from quarterdeck.core.model import Config, Goal
from quarterdeck.errors import Problem
from quarterdeck.sources.github.client import github_error, translated
from quarterdeck.sources.github.config import load_github_config

__all__ = [
    "get_issue",
    "is_pull_request",
    "list_goal_issues",
    "list_marked_issues",
    "read_goal_issues",
    "snapshot",
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


def is_pull_request(issue: Issue) -> bool:
    """Whether an issue from a listing is a pull request, without a request of its own."""
    # The issues listing includes PRs; their html_url says so without another request
    # (reading `issue.pull_request` on an issue would fetch it again).
    return "/pull/" in (issue.html_url or "")


def list_goal_issues(repo: Repository, label: str) -> list[tuple[Issue, IssueSnapshot]]:
    """Every issue (open or closed, PRs excluded) labelled `label`, oldest first."""
    try:
        found = [
            (issue, snapshot(issue))
            for issue in repo.get_issues(state="all", labels=[label])
            if not is_pull_request(issue)
        ]
    except GithubException as exc:
        raise github_error(
            exc, f"listing the issues labelled {label!r} in {repo.full_name}"
        ) from None
    return sorted(found, key=lambda pair: pair[1].number)


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
    `quarterdeck.core.goals.issues`.
    """
    issues = [snap for _, snap in list_goal_issues(repo, config.goal_label)]
    goals, found = goals_from_issues(issues, config)
    if problems is not None:
        problems.extend(found)
    else:
        for problem in found:
            log.warning("%s", problem)
    return goals


def load_config_with_goal_issues(
    repo: Repository, *, config_path: str = CONFIG_PATH
) -> tuple[Config, list[Problem]]:
    """The repo's config from GitHub with its goal issues merged into the file goals.

    What the review and the App both link against; goal issues that can't be read as
    goals come back among the warnings.
    """
    config, warnings = load_github_config(repo, config_path=config_path)
    problems: list[Problem] = []
    config = merge_goals(config, read_goal_issues(repo, config, problems=problems))
    return config, [*warnings, *problems]
