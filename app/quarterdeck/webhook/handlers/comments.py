"""The one comment of ours per marker, even after a lost lock or an older version's race.

The handlers look a comment up and create it under the issue's lock, so normally
there is one. A second copy can still exist: written by a version without
cross-process locks, or by a holder whose lock expired mid-work. The next delivery
keeps the oldest and deletes the later copies, but only ours (`marked_by_us`: written
by the App's own login): a person's or another bot's comment that quotes the marker is
never touched.
"""

from __future__ import annotations

import logging
from typing import Any

from quarterdeck.errors import GitHubNotFound
from quarterdeck.sources.github.gateway import CommentGateway, IssueGateway, doing
from quarterdeck.sources.github.writes import Writer, marked_by_us

log = logging.getLogger("quarterdeck.webhook")


def our_comment(
    issue: IssueGateway,
    marker_text: str,
    fields: dict[str, Any],
    comments: list[CommentGateway] | None = None,
    *,
    writer: Writer,
) -> CommentGateway | None:
    """The oldest comment of ours on `issue` carrying `marker_text`; later ones are deleted.

    Call it holding the issue's lock, and pass `comments` only if read under it (the PR's
    come with the PR: `fetch_pr_and_comments`); None lists them. `fields` are the
    delivery's log fields; `writer` the App's login (`Context.ours`).
    """
    listed = issue.comments() if comments is None else comments
    ours = [c for c in listed if marker_text in c.body and marked_by_us(c, writer)]
    if not ours:
        return None
    # Comment ids grow with creation time: the smallest is the oldest, the one people saw.
    keep, *extra = sorted(ours, key=lambda c: c.id)
    for comment in extra:
        try:
            with doing(f"deleting duplicate comment {comment.id} on #{issue.number}"):
                comment.delete()
        except GitHubNotFound:
            continue  # already gone: someone (or another copy of us) deleted it
        log.warning(
            "deleted duplicate comment %s on #%s (kept the oldest, %s)",
            comment.id,
            issue.number,
            keep.id,
            extra=fields,
        )
    return keep
