"""`issues.edited` on a growth-review issue → record the lead's decision.

A review issue is one whose body starts with the `review` marker and that Quarterdeck
opened (`marked_by_us`): a person's issue quoting the marker is not one. The edit's
`sender` is who ticked; bots' edits (Quarterdeck's own among them) never get here
(`issues.handle` ignores them first), so recording never triggers itself. The
record is taken from the body *before* the edit (`changes.body.from`): a person who
rewrote Quarterdeck's own decision line gets it put back.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

from quarterdeck.core.review.decisions import read_record
from quarterdeck.core.text.markers import read_marker
from quarterdeck.core.vocabulary import actor, parse_timestamp
from quarterdeck.services.record_decision import record_decision
from quarterdeck.services.slack_share import share_decision
from quarterdeck.sources.github.writes import Writer, marked_by_us
from quarterdeck.webhook.handlers.context import Context


def review_of(data: dict[str, Any], writer: Writer) -> tuple[str, str] | None:
    """(team, month) of a review issue in a payload, if it is one and ours (opened by
    `writer`, the App's login: another bot's issue quoting the marker is not one)."""
    attrs = read_marker(str(data.get("body") or ""), "review")
    if not attrs or "team" not in attrs or "month" not in attrs:
        return None
    user = data["user"] if isinstance(data.get("user"), dict) else {}
    found = SimpleNamespace(user=SimpleNamespace(**user), html_url=data.get("html_url"))
    return (attrs["team"], attrs["month"]) if marked_by_us(found, writer) else None


def handle(ctx: Context, data: dict[str, Any], review: tuple[str, str]) -> str:
    """Record the decision of an edited review issue; returns what happened, for the log."""
    delivery = ctx.delivery
    number = data["number"]
    if delivery.action != "edited":
        return f"review issue #{number}: ignored action {delivery.action}"
    changes = delivery.payload.get("changes")
    old = (changes or {}).get("body") if isinstance(changes, dict) else None
    if not isinstance(old, dict):
        return f"review issue #{number}: the body did not change"
    slug, month = review
    config = ctx.config()
    team = config.team(slug)
    if team is None:
        return f"review issue #{number}: no team {slug} in the config"
    editor, _ = actor(delivery.payload.get("sender"))
    at = parse_timestamp(data.get("updated_at"))
    if at is None:
        return f"review issue #{number}: the payload says no time of the edit"
    repo = ctx.repository()
    with ctx.issue_lock(number):
        issue = repo.issue(number)  # lazy: the body is read now, under the lock
        done = record_decision(
            repo,
            issue,
            team=slug,
            lead=team.lead,
            editor=editor,
            at=at,
            body=issue.body,
            saved=str(data.get("body") or ""),
            before=str(old.get("from") or ""),
            comments=lambda i, tag: i.our_comment(
                tag, writer=ctx.ours, log_fields=delivery.log_fields()
            ),
            writer=ctx.ours,
        )
    if team.slack_channel:
        # After the issue's lock: the Slack record has a lock of its own (its label).
        shared = share_decision(
            repo, issue, slug, read_record(done.body), ctx.slack(), body=done.body, writer=ctx.ours
        )
        done = dataclasses.replace(done, written=(*done.written, *shared))
    wrote = "; ".join(done.written) or "nothing to write"
    return f"review issue #{number} ({slug}, {month}): {done.verdict.summary}; {wrote}"
