"""Idempotent writes: find the bot's own comment by its hidden marker, then edit or create.

Re-runs, re-deliveries and retried POSTs must never leave a second comment, so every
write first looks for what an earlier attempt already wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from github.GithubException import GithubException
from github.IssueComment import IssueComment

from quarterdeck.core.vocabulary import is_bot_login

Outcome = Literal["created", "updated", "unchanged"]


Writer = str | Callable[[], str | None] | None


def written_by_us(user: object, writer: Writer = None) -> bool:
    """Whether a comment or issue by `user` can be Quarterdeck's own.

    Quarterdeck writes as a bot account (the App's `name[bot]`, the Action's
    `github-actions[bot]`) or, from the CLI with a personal token, as `writer`. A
    hidden marker in anything a person wrote is only text: it is never trusted, so a
    copied marker can't get a person's comment or issue edited, labelled or adopted.
    """
    login = str(getattr(user, "login", "") or "")
    if getattr(user, "type", None) == "Bot" or is_bot_login(login):
        return True
    # Asked only now: the CLI's login costs a request, and bots' writes never need it.
    mine = writer() if callable(writer) else writer
    return mine is not None and login.casefold() == mine.casefold()


def find_comment(issue: object, marker_text: str, writer: Writer = None) -> IssueComment | None:
    """The oldest comment on `issue` that carries `marker_text` and that we wrote."""
    for comment in issue.get_comments():  # type: ignore[attr-defined]
        if marker_text in (comment.body or "") and written_by_us(comment.user, writer):
            return comment
    return None


def upsert_comment(
    issue: object, marker_text: str, body: str, *, writer: Writer = None
) -> tuple[IssueComment, Outcome]:
    """Make sure `issue` has exactly one bot comment with `marker_text`, reading `body`.

    `body` must contain the marker; an unchanged body sends no write at all. `writer`
    is the login the CLI writes as with a personal token (see `written_by_us`).
    """
    return write_comment(issue, find_comment(issue, marker_text, writer), marker_text, body)


def write_comment(
    issue: object, existing: IssueComment | None, marker_text: str, body: str
) -> tuple[IssueComment, Outcome]:
    """`upsert_comment` for a caller that already looked (`find_comment`): one listing."""
    if marker_text not in body:
        raise ValueError("the comment body must carry its marker, or a re-run can't find it")
    if existing is None:
        return issue.create_comment(body), "created"  # type: ignore[attr-defined]
    if existing.body == body:
        return existing, "unchanged"
    existing.edit(body)
    return existing, "updated"


def create_label(repo: object, name: str, color: str, description: str) -> bool:
    """Create label `name`; False when GitHub answers 422 (someone created it meanwhile).

    Callers list the labels first; this only covers a race with another writer.
    """
    try:
        repo.create_label(name, color, description)  # type: ignore[attr-defined]
    except GithubException as exc:
        if exc.status != 422:
            raise
        return False
    return True
