"""The sealed GitHub gateway: what services, handlers and the CLI hold instead of PyGithub.

`GitHubGateway` (one client: a token's or an installation's), `RepoGateway` (one
repository), `IssueGateway` and `CommentGateway` (one issue, one comment) take plain
values (names, numbers, strings) and answer with plain values, the core's dataclasses
or further gateways; the PyGithub object each wraps stays private to this package.
GitHub's (`GithubException`) and the network's (`requests`) failures are translated
here, once, into `quarterdeck.errors`; a caller names the work in progress with
`doing("opening the review issue of growth")`, and an error says "while <that>".

Every request is the one the wrapped PyGithub call sends (the benchmarks count them):
reads go out at once, writes keep the client's spacing (`client.PACING`), creates go
through `writes.create_once`, locks through `lock.github_lock`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from github import Github
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Repository import Repository

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.goals.goal_issues import IssueSnapshot
from quarterdeck.core.model import Config, PullRequest
from quarterdeck.core.review.quarter_decisions import ReviewIssue
from quarterdeck.core.review.repositories import Selection
from quarterdeck.core.vocabulary import REVIEW_LABEL, LabelSpec
from quarterdeck.errors import GitHubNotFound, Problem
from quarterdeck.sources.github import reviews, writes
from quarterdeck.sources.github.client import (
    current_doing,
    doing,
    log_rate_limit,
    token_writer,
    translated,
)
from quarterdeck.sources.github.config import (
    Check,
    GitHubReader,
    load_github_templates,
    repo_reader,
    still_current,
)
from quarterdeck.sources.github.edits import last_person_edit
from quarterdeck.sources.github.goal_listing import (
    get_issue,
    list_goal_issues,
    list_marked_issues,
    load_config_with_goal_issues,
    own_config,
)
from quarterdeck.sources.github.goals_history import GoalsThenAndNow, goals_file_then_and_now
from quarterdeck.sources.github.home import HomePlan, open_home
from quarterdeck.sources.github.installations import installation_repos
from quarterdeck.sources.github.lock import github_lock
from quarterdeck.sources.github.prs import fetch_merged_prs, fetch_pr, fetch_pr_and_comments
from quarterdeck.sources.github.repos import resolve_repos
from quarterdeck.sources.github.writes import Outcome, Writer

__all__ = [
    "Author",
    "CommentGateway",
    "GitHubGateway",
    "IssueGateway",
    "RepoGateway",
    "doing",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def _call(default: str, call: Callable[[], _T]) -> _T:
    """`call()`, a PyGithub call, with its failures translated once (`client.translated`),
    named by the innermost `doing` around it, else by `default`."""
    with translated(current_doing(default)):
        return call()


@dataclass(frozen=True)
class Author:
    """Who wrote an issue or a comment: a login (`writes.written_by_us` reads it)."""

    login: str
    bot: bool = False  # GitHub says the account is a bot (`type: Bot`)


def _author(user: object) -> Author:
    """PyGithub's `NamedUser` (or None: a deleted account) as an `Author`."""
    login = str(getattr(user, "login", "") or "")
    return Author(login, getattr(user, "type", None) == "Bot")


class GitHubGateway:
    """One GitHub client (a token's or an App installation's), behind plain values."""

    def __init__(self, client: Github) -> None:
        self._client = client

    def lazy(self) -> GitHubGateway:
        """This client, with objects made without a request until a field is read."""
        return GitHubGateway(self._client.withLazy(True))

    def repo(self, full_name: str) -> RepoGateway:
        """Repository `full_name` (`owner/name`): no request on a lazy client."""
        return RepoGateway(
            _call(f"opening repository {full_name}", lambda: self._client.get_repo(full_name))
        )

    def pr(self, full_name: str, number: int) -> PullRequest:
        """Merged PR `number` of `full_name`, as the review reads it (one GraphQL request)."""
        return fetch_pr(self._client, full_name, number)

    def pr_and_comments(
        self, full_name: str, number: int
    ) -> tuple[PullRequest, list[CommentGateway] | None]:
        """`pr`, with the PR's comments in the same request (None: too many, list them)."""
        pr, comments = fetch_pr_and_comments(self._client, full_name, number)
        return pr, None if comments is None else [CommentGateway(c) for c in comments]

    def open_home(self, full_name: str, plan: HomePlan) -> RepoGateway:
        """The review's home, with what `plan` names read in one query (`home.open_home`)."""
        return RepoGateway(open_home(self._client, full_name, plan))

    def resolve_repos(self, home: str, patterns: Sequence[str]) -> Selection:
        """The home and every repository `patterns` names (`repos.resolve_repos`)."""
        return resolve_repos(self._client, home, patterns)

    def merged_prs(
        self,
        repos: str | Sequence[str],
        since: datetime,
        until: datetime,
        *,
        bases: Sequence[str] = (),
    ) -> list[PullRequest]:
        """Every PR of `repos` merged in [since, until) (`prs.fetch_merged_prs`)."""
        return fetch_merged_prs(self._client, repos, since, until, bases=bases)

    def installation_repos(self) -> list[RepoGateway]:
        """The repositories an App installation's client may use (one listing)."""
        return [RepoGateway(r) for r in installation_repos(self._client)]

    def writer(self, *, in_actions: bool) -> Callable[[], str]:
        """The login this client writes as, asked once when first needed
        (`client.token_writer`; an App's client: the App's `<slug>[bot]`)."""
        return token_writer(self._client, in_actions=in_actions)

    def log_rate_limit(self) -> None:
        """Log the budget left, as of the last answer (no request)."""
        log_rate_limit(self._client)

    def remaining_rate(self) -> int | None:
        """Requests left in the rate budget as of the last answer; None before any."""
        remaining = self._client.requester.rate_limiting[0]
        return remaining if remaining >= 0 else None


class RepoGateway:
    """One repository: its facts, its issues, its labels and its locks."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo

    def _fact(self, name: str) -> Any:
        return _call(f"reading {name} of a repository", lambda: getattr(self._repo, name))

    @property
    def full_name(self) -> str:
        return str(self._fact("full_name"))

    @property
    def name(self) -> str:
        return str(self._fact("name"))

    @property
    def html_url(self) -> str:
        return str(self._fact("html_url"))

    @property
    def default_branch(self) -> str:
        return str(self._fact("default_branch"))

    @property
    def archived(self) -> bool:
        return bool(self._fact("archived"))

    @property
    def fork(self) -> bool:
        return bool(self._fact("fork"))

    def issue(self, number: int) -> IssueGateway:
        """Issue (or PR) `number`: no request on a lazy client, its fields read when asked."""
        return IssueGateway(
            _call(
                f"opening issue #{number} of {self.full_name}",
                lambda: self._repo.get_issue(number),
            )
        )

    def labels(self) -> list[str]:
        """Every label's name as GitHub spells it (one listing)."""
        return _call(
            f"listing the labels of {self.full_name}",
            lambda: [str(label.name) for label in self._repo.get_labels()],
        )

    def label_names(self) -> set[str]:
        """Every label's name, lower-cased (one listing)."""
        return {name.lower() for name in self.labels()}

    def goal_issues(self, label: str) -> list[tuple[IssueGateway, IssueSnapshot]]:
        """Every issue labelled `label`, with its snapshot (`goal_listing.list_goal_issues`)."""
        return [(IssueGateway(i), s) for i, s in list_goal_issues(self._repo, label)]

    def marked_goal_issues(self) -> list[tuple[IssueGateway, IssueSnapshot]]:
        """Issues whose body carries a goal marker, whatever their labels
        (`goal_listing.list_marked_issues`)."""
        return [(IssueGateway(i), s) for i, s in list_marked_issues(self._repo)]

    def goal_issue(self, number: int) -> tuple[IssueGateway, IssueSnapshot] | None:
        """Issue `number` with its snapshot; None when it is gone or a PR
        (`goal_listing.get_issue`)."""
        found = get_issue(self._repo, number)
        return None if found is None else (IssueGateway(found[0]), found[1])

    def create_label(self, name: str, color: str, description: str) -> bool:
        """Create label `name` once; False when someone made it meanwhile
        (`writes.create_label`)."""
        return _call(
            f"creating label {name!r} in {self.full_name}",
            lambda: writes.create_label(self._repo, name, color, description),
        )

    def ensure_labels(
        self,
        specs: Iterable[LabelSpec],
        have: set[str] | None = None,
        written: list[str] | None = None,
    ) -> None:
        """Create each label of `specs` missing from `have` (`writes.ensure_labels`)."""
        _call(
            f"creating labels in {self.full_name}",
            lambda: writes.ensure_labels(self._repo, specs, have, written),
        )

    def can_assign(self, login: str) -> bool:
        """Whether `login` may be assigned issues here (one request)."""
        return _call(
            f"checking whether {login} can be assigned",
            lambda: bool(self._repo.has_in_assignees(login)),
        )

    def create_issue(
        self,
        title: str,
        body: str,
        *,
        labels: list[str],
        assignees: list[str] | None = None,
        find: Callable[[], IssueGateway | None],
        what: str,
    ) -> IssueGateway:
        """Open an issue at most once in effect (`writes.create_once`): after a lost
        answer `find()` looks for it before another is opened. `what` names it in logs."""
        extra: dict[str, Any] = {} if assignees is None else {"assignees": assignees}

        def create() -> IssueGateway:
            return IssueGateway(self._repo.create_issue(title, body, labels=labels, **extra))

        return _call(
            f"opening an issue in {self.full_name}",
            lambda: writes.create_once(create, find, self._repo, what),
        )

    def review_issues(
        self,
        label: str | None = REVIEW_LABEL,
        since: datetime | None = None,
        writer: Writer | None = None,
    ) -> dict[tuple[str, str], list[IssueGateway]]:
        """Growth-review issues by (team, month), oldest first (`reviews.review_issues`)."""
        return self.marked_issues("review", ("team", "month"), label, since, writer)

    def marked_issues(
        self,
        kind: str,
        keys: tuple[str, str],
        label: str | None,
        since: datetime | None = None,
        writer: Writer | None = None,
    ) -> dict[tuple[str, str], list[IssueGateway]]:
        """Issues whose `kind` marker holds both `keys`, by their values, oldest first
        (`reviews.marked_issues`: one listing)."""
        found = _call(
            f"listing the {label or kind} issues of {self.full_name}",
            lambda: reviews.marked_issues(self._repo, kind, keys, label, since, writer),
        )
        return {key: [IssueGateway(i) for i in issues] for key, issues in found.items()}

    def held_reviews(self, quarter: str, writer: Writer) -> list[ReviewIssue]:
        """The review issues Quarterdeck opened for the reviews held in `quarter`."""
        return _call(
            f"listing the review issues of {self.full_name}",
            lambda: reviews.held_reviews(self._repo, quarter, writer),
        )

    def config_with_goal_issues(
        self, *, config_path: str = CONFIG_PATH, objectives: bool = True
    ) -> tuple[Config, list[Problem]]:
        """The config with its goal (and objective) issues merged in
        (`goal_listing.load_config_with_goal_issues`)."""
        return load_config_with_goal_issues(
            self._repo, config_path=config_path, objectives=objectives
        )

    def reader(self) -> GitHubReader:
        """The one reader of this repository's files (`config.repo_reader`)."""
        return repo_reader(self._repo)

    def templates(self) -> dict[str, str]:
        """The repository's own templates (`config.load_github_templates`)."""
        return load_github_templates(self._repo)

    def previous_review_issues(self, month: Month, writer: Writer) -> dict[str, IssueGateway]:
        """Each team's review issue of the month before `month` that Quarterdeck opened."""
        found = self.review_issues()
        return reviews.previous_of(found, month, writer)

    def goals_file_then_and_now(self, path: str, when: datetime) -> GoalsThenAndNow:
        """`path` on the default branch as of `when` and now
        (`goals_history.goals_file_then_and_now`)."""
        return goals_file_then_and_now(self._repo, path, when)

    def own_config(self) -> GitHubReader:
        """A reader of this repository that has read its own config file (one request;
        `goal_listing.own_config`)."""
        return own_config(self._repo, self.full_name)

    def still_current(self, checks: Iterable[Check]) -> bool:
        """Whether files read before are unchanged: conditional requests, a 304 free of
        rate limit (`config.still_current`)."""
        return still_current(self._repo.requester, checks)

    def lock(self, scope: str) -> AbstractContextManager[str]:
        """The lock label of `scope` held for a block (`lock.github_lock`)."""
        return github_lock(self._repo, scope)

    def last_person_edit(self, number: int) -> tuple[str, datetime] | None:
        """(login, when) of the newest edit of issue `number`'s body by a person
        (`edits.last_person_edit`: one GraphQL request)."""
        return _call(
            f"reading the edit history of #{number} of {self.full_name}",
            lambda: last_person_edit(self._repo, self.full_name, number),
        )


class IssueGateway:
    """One issue (or a PR as an issue): its facts, its body, labels and comments."""

    def __init__(self, issue: Issue) -> None:
        self._issue = issue

    def _fact(self, name: str) -> Any:
        number = self._issue.number
        return _call(f"reading issue #{number}", lambda: getattr(self._issue, name))

    @property
    def number(self) -> int:
        return int(self._issue.number)

    @property
    def body(self) -> str:
        """The body ("" for none): read now on a lazy issue not read yet."""
        return str(self._fact("body") or "")

    @property
    def title(self) -> str:
        return str(self._fact("title") or "")

    @property
    def state(self) -> str:
        return str(self._fact("state") or "open")

    @property
    def html_url(self) -> str:
        return str(self._fact("html_url") or "")

    @property
    def updated_at(self) -> datetime:
        value: datetime = self._fact("updated_at")
        return value

    @property
    def user(self) -> Author:
        return _author(self._fact("user"))

    @property
    def label_names(self) -> tuple[str, ...]:
        """The issue's labels, as GitHub spells them."""
        return tuple(str(label.name) for label in self._fact("labels"))

    def edit(self, **fields: Any) -> None:
        """Set whole fields (`body=`, `title=`, `state=`, `labels=`, `assignees=`...)."""
        _call(f"editing issue #{self.number}", lambda: self._issue.edit(**fields))

    def close(self, reason: str) -> None:
        """Close the issue as `completed`, `not_planned` or `duplicate`."""
        self.edit(state="closed", state_reason=reason)

    def add_label(self, name: str) -> None:
        _call(f"labelling issue #{self.number}", lambda: self._issue.add_to_labels(name))

    def remove_label(self, name: str) -> None:
        _call(f"unlabelling issue #{self.number}", lambda: self._issue.remove_from_labels(name))

    def comments(self) -> list[CommentGateway]:
        """Every comment, oldest first (one listing per 100)."""
        return _call(
            f"listing the comments of #{self.number}",
            lambda: [CommentGateway(c) for c in self._issue.get_comments()],
        )

    def find_comment(self, marker_text: str, writer: Writer) -> CommentGateway | None:
        """The oldest comment of ours carrying `marker_text` (`writes.find_comment`)."""
        found = _call(
            f"listing the comments of #{self.number}",
            lambda: writes.find_comment(self._issue, marker_text, writer),
        )
        return None if found is None else CommentGateway(found)

    def our_comment(
        self,
        marker_text: str,
        *,
        writer: Writer,
        comments: list[CommentGateway] | None = None,
        log_fields: dict[str, Any] | None = None,
    ) -> CommentGateway | None:
        """The oldest comment of ours carrying `marker_text`; later copies of ours are deleted.

        Call it holding the issue's lock (`lock`), and pass `comments` only if read under
        it (a PR's come with the PR: `GitHubGateway.pr_and_comments`); None lists them.
        A second copy can exist though writes look first: left by a version without
        cross-process locks, or by a holder whose lock expired mid-work. Only ours go
        (`writes.marked_by_us`): a person's or another bot's comment quoting the marker
        is never touched. `log_fields` go with the warning of each deletion.
        """
        listed = self.comments() if comments is None else comments
        ours = [c for c in listed if marker_text in c.body and writes.marked_by_us(c, writer)]
        if not ours:
            return None
        # Comment ids grow with creation time: the smallest is the oldest, the one people saw.
        keep, *extra = sorted(ours, key=lambda c: c.id)
        for comment in extra:
            try:
                comment.delete()
            except GitHubNotFound:
                continue  # already gone: someone (or another copy of us) deleted it
            log.warning(
                "deleted duplicate comment %s on #%s (kept the oldest, %s)",
                comment.id,
                self.number,
                keep.id,
                extra=log_fields or {},
            )
        return keep

    def upsert_comment(
        self, marker_text: str, body: str, *, writer: Writer
    ) -> tuple[CommentGateway, Outcome]:
        """Exactly one comment of ours with `marker_text`, reading `body`."""
        return self.write_comment(self.find_comment(marker_text, writer), marker_text, body,
                                  writer=writer)  # fmt: skip

    def write_comment(
        self,
        existing: CommentGateway | None,
        marker_text: str,
        body: str,
        *,
        writer: Writer,
    ) -> tuple[CommentGateway, Outcome]:
        """`upsert_comment` for a caller that already looked (`writes.write_comment`)."""
        raw = None if existing is None else existing._comment  # this module's own
        comment, outcome = _call(
            f"writing a comment on #{self.number}",
            lambda: writes.write_comment(self._issue, raw, marker_text, body, writer=writer),
        )
        return CommentGateway(comment), outcome

    def close_as_duplicate(self, keep: int, *, writer: Writer) -> None:
        """Close as a duplicate of #`keep`, saying so (`writes.close_as_duplicate`)."""
        _call(
            f"closing duplicate #{self.number}",
            lambda: writes.close_as_duplicate(self._issue, keep, writer=writer),
        )


class CommentGateway:
    """One issue comment: its id, author and body; edited or deleted in place."""

    def __init__(self, comment: IssueComment) -> None:
        self._comment = comment

    @property
    def id(self) -> int:
        return int(self._comment.id)

    @property
    def body(self) -> str:
        return str(_call(f"reading comment {self.id}", lambda: self._comment.body) or "")

    @property
    def user(self) -> Author:
        return _author(_call(f"reading comment {self.id}", lambda: self._comment.user))

    @property
    def html_url(self) -> str:
        return str(_call(f"reading comment {self.id}", lambda: self._comment.html_url) or "")

    def delete(self) -> None:
        _call(f"deleting comment {self.id}", self._comment.delete)
