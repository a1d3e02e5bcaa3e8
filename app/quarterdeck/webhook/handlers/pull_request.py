"""`pull_request` closed and merged → link it to a goal and say so in one bot comment.

Re-deliveries and later edits (body, labels) update that same comment, found by its
hidden marker; a PR closed without merging, or still a draft, is left alone.
"""

from __future__ import annotations

import logging

from quarterdeck.core.model import Config, Goal, Link, PullRequest
from quarterdeck.core.review.linking import link_pr, quarter_of
from quarterdeck.core.text.markers import marker, read_marker
from quarterdeck.errors import GitHubNotFound
from quarterdeck.sources.github import translated
from quarterdeck.sources.github.prs import fetch_pr
from quarterdeck.sources.github.writes import write_comment
from quarterdeck.webhook.handlers.comments import our_comment
from quarterdeck.webhook.handlers.context import Context, PayloadError
from quarterdeck.webhook.handlers.shipped import Progress, record_shipped, remove_shipped
from quarterdeck.webhook.handlers.templates import render_template

log = logging.getLogger("quarterdeck.webhook")
ACTIONS = frozenset({"closed", "edited", "labeled", "unlabeled"})
# Our comment's note of the goal issue it listed the PR on, to take it off on a re-link.
LISTED_ON = "listed-on"


def handle(ctx: Context) -> str:
    """Link a merged PR and upsert its comment; returns what happened, for the log."""
    delivery = ctx.delivery
    data = delivery.payload.get("pull_request")
    if not isinstance(data, dict):
        raise PayloadError("a pull_request event without a pull_request object")
    if delivery.action not in ACTIONS:
        return f"ignored: action {delivery.action}"
    if not data.get("merged") or data.get("draft"):
        return "ignored: not merged"
    # A merge by a bot (a merge queue) still counts; a bot *editing* a merged PR could
    # be ourselves reacting to ourselves, so edits by bots are ignored.
    if delivery.action != "closed" and delivery.sender_is_bot:
        return "ignored: sent by a bot"
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or delivery.repo is None:
        raise PayloadError("a merged pull_request without a number or a repository")
    config: Config = ctx.config()
    # The PR as the review reads it (one GraphQL request): closing issues, their
    # parents, paths and co-authors, none of which the payload carries.
    pr = fetch_pr(ctx.gh, delivery.repo, number)
    tz = config.review.timezone
    quarter = quarter_of(pr.merged_at, tz)
    link = link_pr(pr, config, quarter=quarter)
    goal = link.goal
    # Looked up and created under the PR's lock, so concurrent deliveries of one merge
    # (any process) write one comment; a stray copy from before is cleaned up here.
    with ctx.issue_lock(pr.number):
        issue = ctx.repository().get_issue(pr.number)
        ours = our_comment(issue, pr_marker(pr.number), delivery.log_fields())
        listed_on = _listed_on(ours)
        now_on = goal.issue if goal else None
        if listed_on is not None and listed_on != now_on:
            # Re-linked (a label or body edit): the old goal no longer counts it.
            _unlist(ctx, listed_on, pr)
        progress = _record(ctx, goal, pr, tz) if goal and goal.issue else None
        body = comment_body(link, goal, progress, config, quarter)
        if progress is not None:
            body += f"\n{marker(LISTED_ON, issue=progress.issue)}\n"
        _, outcome = write_comment(issue, ours, pr_marker(pr.number), body)
    where = f"goal {goal.id}" if goal else f"unplanned ({link.team or 'no team'})"
    return f"PR #{pr.number} linked to {where} by {link.rule}; comment {outcome}"


def _record(ctx: Context, goal: Goal, pr: PullRequest, tz: str) -> Progress | None:
    """The goal issue's Shipped list; None (and a log line) if the issue is gone."""
    try:
        with translated(f"listing PR #{pr.number} on goal issue #{goal.issue}"):
            return record_shipped(ctx, goal, pr, tz)
    except GitHubNotFound as exc:
        # Deleted or transferred: the PR's comment still says which goal it moved.
        log.warning(
            "goal %s: issue #%s is gone (GitHub answered %s); no Shipped list written",
            goal.id,
            goal.issue,
            exc.status,
            extra=ctx.delivery.log_fields(),
        )
        return None


def _listed_on(comment: object | None) -> int | None:
    """The goal issue whose Shipped list our comment says holds the PR, if any."""
    attrs = read_marker(getattr(comment, "body", None), LISTED_ON) if comment else None
    value = (attrs or {}).get("issue", "")
    return int(value) if value.isdigit() else None


def _unlist(ctx: Context, issue_number: int, pr: PullRequest) -> None:
    try:
        with translated(f"taking PR #{pr.number} off goal issue #{issue_number}"):
            remove_shipped(ctx, issue_number, pr)
    except GitHubNotFound as exc:
        log.warning(
            "issue #%s is gone (GitHub answered %s); PR #%s was listed there",
            issue_number,
            exc.status,
            pr.number,
            extra=ctx.delivery.log_fields(),
        )


def pr_marker(number: int) -> str:
    """The hidden marker of the one comment Quarterdeck keeps on PR `number`."""
    return marker("pr-link", pr=number)


def comment_body(
    link: Link, goal: Goal | None, progress: Progress | None, config: Config, quarter: str
) -> str:
    """The comment, rendered from templates/pr_comment.md.j2."""
    team = goal.team if goal else link.team
    others = [g for g in config.goals if g.quarter == quarter and (team is None or g.team == team)]
    return render_template(
        "pr_comment.md.j2",
        marker=pr_marker(link.pr.number),
        link=link,
        goal=goal,
        progress=progress,
        quarter=quarter,
        goals=others[:8],
        goals_dir=config.goals_dir,
    )
