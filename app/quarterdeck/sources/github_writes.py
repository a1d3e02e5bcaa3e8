"""Idempotent writes: find the bot's own comment by its hidden marker, then edit or create.

Re-runs, re-deliveries and retried POSTs must never leave a second comment, so every
write first looks for what an earlier attempt already wrote.
"""

from __future__ import annotations

from typing import Literal

from github.GithubException import GithubException
from github.IssueComment import IssueComment

Outcome = Literal["created", "updated", "unchanged"]


def find_comment(issue: object, marker_text: str, author: str | None = None) -> IssueComment | None:
    """The oldest comment on `issue` that carries `marker_text` (by `author`, if given)."""
    for comment in issue.get_comments():  # type: ignore[attr-defined]
        if marker_text not in (comment.body or ""):
            continue
        if author is None or comment.user.login.lower() == author.lower():
            return comment
    return None


def upsert_comment(
    issue: object, marker_text: str, body: str, *, author: str | None = None
) -> tuple[IssueComment, Outcome]:
    """Make sure `issue` has exactly one bot comment with `marker_text`, reading `body`.

    `body` must contain the marker; an unchanged body sends no write at all.
    """
    if marker_text not in body:
        raise ValueError("the comment body must carry its marker, or a re-run can't find it")
    existing = find_comment(issue, marker_text, author)
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
