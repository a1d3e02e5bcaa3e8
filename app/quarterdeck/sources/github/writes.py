"""Idempotent writes: find the bot's own comment by its hidden marker, then edit or create.

Re-runs, re-deliveries and lost answers must never leave a second issue, comment or
label, so every write first looks for what an earlier attempt already wrote, and
every create goes through `create_once`: the client never re-sends a create blindly
(`client.retry_policy`), this looks for the object before creating it again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol, TypeVar

import requests
from github.GithubException import GithubException, UnknownObjectException
from github.IssueComment import IssueComment
from github.Label import Label

from quarterdeck.core.text.markers import marker
from quarterdeck.core.vocabulary import LabelSpec
from quarterdeck.sources.github.client import QuarterdeckRetry, translated

log = logging.getLogger(__name__)

Outcome = Literal["created", "updated", "unchanged"]
T = TypeVar("T")


# The login Quarterdeck writes as in this run, or how to ask it (once, when first needed):
# the App's `<slug>[bot]`, the Action's `github-actions[bot]`, the CLI's token's user
# (`client.app_identity`, `client.token_writer`). Never "any bot".
Writer = str | Callable[[], str]


def written_by_us(user: object, writer: Writer) -> bool:
    """Whether a comment or issue by `user` is Quarterdeck's own: written by `writer`.

    Only Quarterdeck's own login counts. A hidden marker in anything anyone else wrote
    (a person, or another bot quoting a PR body) is only text: it is never trusted, so
    a copied marker can't get someone else's comment or issue edited, deleted, labelled,
    adopted or counted as a duplicate.
    """
    login = str(getattr(user, "login", "") or "")
    if not login:
        return False
    mine = writer() if callable(writer) else writer
    return login.casefold() == mine.casefold()


def marked_by_us(found: object, writer: Writer) -> bool:
    """Whether an issue or comment `found` by its hidden marker is Quarterdeck's own.

    Someone else's copy of a marker is ignored, and logged with where it is, so a
    maintainer can see why it was not adopted.
    """
    user = getattr(found, "user", None)
    if written_by_us(user, writer):
        return True
    log.warning(
        "ignored %s by %s: it carries Quarterdeck's hidden marker, but Quarterdeck did "
        "not write it",
        getattr(found, "html_url", None) or "an issue or comment",
        getattr(user, "login", None) or "someone",
    )
    return False


def create_once(
    create: Callable[[], T], find: Callable[[], T | None], client: object, what: str
) -> T:
    """`create()` at most once in effect, although GitHub's answer to it may be lost.

    After a lost answer (a 5xx, a timeout, a dropped connection, a body cut short:
    the write may have been applied) this waits the backoff of `client`'s retry
    policy, runs `find()` (the object by its marker or name, or None), and creates
    again only if it is still missing; so at most `total` more times. `client` is any
    PyGithub object of the client (a repository, an issue): its policy paces the
    looks through its sleep.
    Without a `QuarterdeckRetry` (retries off) it looks once and never re-creates.
    `what` names the object in the log ("the review issue of growth").

    Returns what was created or found; raises the last failure when the object never
    appears, and a failed look too, since creating without knowing could duplicate.
    Refusals (4xx) are raised at once: GitHub did nothing.
    """
    policy = _policy_of(client)
    rounds = policy.total if policy is not None and isinstance(policy.total, int) else 0
    attempt = 0
    while True:
        try:
            return create()
        except (GithubException, requests.RequestException, json.JSONDecodeError) as exc:
            # A 200 or 201 cut short (a proxy, a dropped stream) is a lost answer too:
            # GitHub may well have made the object.
            if isinstance(exc, GithubException) and (exc.status or 0) < 500:
                raise  # refused: GitHub did nothing
            lost = exc
        attempt += 1
        if policy is not None and attempt <= rounds:
            policy.pause(attempt)
        found = find()
        if found is not None:
            log.info("creating %s: the answer was lost, but GitHub had made it; kept it", what)
            return found
        if attempt > rounds:
            raise lost
        log.info("creating %s: the answer was lost and nothing was made; creating again", what)


def _policy_of(client: object) -> QuarterdeckRetry | None:
    requester = getattr(client, "requester", None)
    retry = requester.kwargs.get("retry") if requester is not None else None
    return retry if isinstance(retry, QuarterdeckRetry) else None


class Conversation(Protocol):
    """An issue's comments as these helpers use them (PyGithub's `Issue`)."""

    def get_comments(self) -> Iterable[IssueComment]:
        """Every comment, oldest first."""

    def create_comment(self, body: str) -> IssueComment:
        """Post a new comment."""


class Closable(Conversation, Protocol):
    """An issue `close_as_duplicate` comments on and closes."""

    def edit(self, *, state: str, state_reason: str) -> None:
        """Change the issue's state."""


class Labels(Protocol):
    """A repository's labels as these helpers use them (PyGithub's `Repository`)."""

    def get_labels(self) -> Iterable[Label]:
        """Every label of the repository."""

    def get_label(self, name: str) -> Label:
        """Label `name` (UnknownObjectException when there is none)."""

    def create_label(self, name: str, color: str, description: str) -> Label:
        """Create label `name`."""


def find_comment(issue: Conversation, marker_text: str, writer: Writer) -> IssueComment | None:
    """The oldest comment on `issue` that carries `marker_text` and that we wrote."""
    for comment in issue.get_comments():
        if marker_text in (comment.body or "") and marked_by_us(comment, writer):
            return comment
    return None


def upsert_comment(
    issue: Conversation, marker_text: str, body: str, *, writer: Writer
) -> tuple[IssueComment, Outcome]:
    """Make sure `issue` has exactly one comment of ours with `marker_text`, reading `body`.

    `body` must contain the marker; an unchanged body sends no write at all. `writer`
    is the login Quarterdeck writes as (see `written_by_us`).
    """
    existing = find_comment(issue, marker_text, writer)
    return write_comment(issue, existing, marker_text, body, writer=writer)


def write_comment(
    issue: Conversation,
    existing: IssueComment | None,
    marker_text: str,
    body: str,
    *,
    writer: Writer,
) -> tuple[IssueComment, Outcome]:
    """`upsert_comment` for a caller that already looked (`find_comment`): one listing.

    A new comment is created once (`create_once`): after a lost answer it is looked
    for by its marker, so the comment returned is the one that exists.
    """
    if marker_text not in body:
        raise ValueError("the comment body must carry its marker, or a re-run can't find it")
    if existing is None:
        created = create_once(
            lambda: issue.create_comment(body),
            lambda: find_comment(issue, marker_text, writer),
            issue,
            f"the comment {marker_text}",
        )
        return created, "created"
    if existing.body == body:
        return existing, "unchanged"
    existing.edit(body)
    return existing, "updated"


def create_label(repo: Labels, name: str, color: str, description: str) -> bool:
    """Create label `name` once; False when it already existed (someone made it meanwhile).

    Callers list the labels first; this covers a race with another writer and a lost
    answer (`create_once` looks for the label by name before creating it again). A 422
    `already_exists` is the label being there, so it is success: after a lost answer it
    counts as ours (True), on the first attempt as someone else's (False). Any other
    422 (an invalid colour, say) is raised.
    """
    tries: list[None] = []

    def create() -> bool:
        tries.append(None)
        try:
            repo.create_label(name, color, description)
        except GithubException as exc:
            if not already_exists(exc):
                raise
            return len(tries) > 1
        return True

    def find() -> bool | None:
        try:
            repo.get_label(name)
        except UnknownObjectException:
            return None
        return True

    return create_once(create, find, repo, f"label {name!r}")


def ensure_labels(
    repo: Labels,
    specs: Iterable[LabelSpec],
    have: set[str] | None = None,
    written: list[str] | None = None,
) -> None:
    """Create each label of `specs` that `have` (lower-cased names, listed from GitHub
    when None) lacks; `have` gains them, and `written` each one this call made."""
    if have is None:
        have = {label.name.lower() for label in repo.get_labels()}
    for spec in specs:
        if spec.name.lower() in have:
            continue
        made = create_label(repo, spec.name, spec.color, spec.description)
        have.add(spec.name.lower())
        if made and written is not None:
            written.append(f"created label {spec.name}")


def already_exists(exc: GithubException) -> bool:
    """Whether GitHub refused a create because the thing exists (422 `already_exists`)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors") or []
    return exc.status == 422 and any(
        isinstance(e, dict) and e.get("code") == "already_exists" for e in errors
    )


def close_duplicates(
    extra: Iterable[Any],
    keep: Any,
    *,
    dry_run: bool,
    written: list[str],
    writer: Writer,
    what: str,
) -> list[str]:
    """Close each open issue of `extra` as a duplicate of `keep` (`close_as_duplicate`);
    the notes a person should read. `what` names the issues in errors ("review issue")."""
    notes = []
    for issue in extra:
        if issue.state == "closed":
            continue  # closed by an earlier run: nothing happens, so nothing to say
        if dry_run:
            notes.append(f"#{issue.number} duplicates #{keep.number}; would close it")
            continue
        notes.append(f"#{issue.number} duplicates #{keep.number}; closed it")
        with translated(f"closing duplicate {what} #{issue.number}"):
            # A gateway's issue (`gateway.IssueGateway`) closes itself the same way.
            closer = getattr(issue, "close_as_duplicate", None)
            if closer is not None:
                closer(keep.number, writer=writer)
            else:
                close_as_duplicate(issue, keep.number, writer=writer)
        written.append(f"closed duplicate #{issue.number}")
    return notes


def close_as_duplicate(issue: Closable, keep: int, *, writer: Writer) -> None:
    """Close `issue` as a duplicate of #`keep`, with a "Duplicate of #keep" comment.

    The one way publish and `goals sync` close a duplicate (the one kept is chosen by
    `core.converge.survivor`). The comment is marked, so a lost answer or a run that
    stopped before the close can't leave it twice; GitHub closes it as `duplicate`,
    or as `not_planned` where it doesn't know that reason yet (GitHub Enterprise).
    """
    tag = marker("duplicate-of", issue=keep)
    note = f"{tag}\nDuplicate of #{keep}, closed by Quarterdeck."
    upsert_comment(issue, tag, note, writer=writer)
    try:
        issue.edit(state="closed", state_reason="duplicate")
    except GithubException as exc:
        if exc.status != 422:
            raise
        issue.edit(state="closed", state_reason="not_planned")
