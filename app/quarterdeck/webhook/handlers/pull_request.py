"""`pull_request` closed and merged → link it to a goal and say so in one bot comment.

Routed here for the actions `routes.ROUTES` lists (closed, edited, labeled, unlabeled).

Re-deliveries and later edits (body, labels) update that same comment, found by its
hidden marker; a PR closed without merging, or still a draft, is left alone.
"""

from __future__ import annotations

import logging

from quarterdeck.core.model import Config, Goal, Link, PullRequest
from quarterdeck.core.review.linking import link_pr, quarter_of
from quarterdeck.core.text.markers import marker, read_marker
from quarterdeck.core.vocabulary import is_full_name
from quarterdeck.errors import GitHubNotFound
from quarterdeck.services.templates import render_template
from quarterdeck.sources.github.gateway import CommentGateway, doing
from quarterdeck.webhook.handlers.context import Context, PayloadError
from quarterdeck.webhook.handlers.shipped import Progress, record_shipped, remove_shipped

log = logging.getLogger("quarterdeck.webhook")
# Our comment's note of the goal issue it listed the PR on, to take it off on a re-link.
LISTED_ON = "listed-on"


def handle(ctx: Context) -> str:
    """Link a merged PR and upsert its comment; returns what happened, for the log."""
    delivery = ctx.delivery
    data = delivery.payload.get("pull_request")
    if not isinstance(data, dict):
        raise PayloadError("a pull_request event without a pull_request object")
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
    home = ctx.home()
    if home is None:
        source = ctx.app_config().source
        log.info(
            "PR #%s: %s is not among the repositories %s's config names; no comment",
            number,
            delivery.repo,
            source,
            extra=delivery.log_fields(),
        )
        return f"ignored: {delivery.repo} is not selected by {source}'s config"
    tz = config.review.timezone
    # Read and written under the PR's lock, so concurrent deliveries of one merge (any
    # process) write one comment; a stray copy from before is cleaned up here. The PR
    # comes as the review reads it (closing issues, their parents, paths, co-authors,
    # none of which the payload carries), its comments with it: one GraphQL request.
    with ctx.issue_lock(number):
        pr, comments = ctx.gh.pr_and_comments(delivery.repo, number)
        quarter = quarter_of(pr.merged_at, tz)
        link = link_pr(pr, config, quarter=quarter, home=home)
        goal = link.goal
        issue = ctx.repository().issue(pr.number)  # lazy: no request
        ours = issue.our_comment(
            pr_marker(pr.number),
            writer=ctx.ours,
            comments=comments,
            log_fields=delivery.log_fields(),
        )
        listed_on = _listed_on(ours, delivery.repo)
        now_on = (home.casefold(), goal.issue) if goal and goal.issue else None
        if listed_on is not None and (listed_on[0].casefold(), listed_on[1]) != now_on:
            # Re-linked (a label or body edit): the old goal no longer counts it.
            _unlist(ctx, listed_on, pr)
        progress = _record(ctx, home, goal, pr, tz) if goal and goal.issue else None
        body = comment_body(link, goal, progress, config, quarter, _prefix(home, pr.repo))
        if progress is not None:
            elsewhere = {} if home.casefold() == pr.repo.casefold() else {"repo": home}
            body += f"\n{marker(LISTED_ON, issue=progress.issue, **elsewhere)}\n"
        _, outcome = issue.write_comment(ours, pr_marker(pr.number), body, writer=ctx.ours)
    where = f"goal {goal.id}" if goal else f"unplanned ({link.team or 'no team'})"
    return f"PR #{pr.number} linked to {where} by {link.rule}; comment {outcome}"


def _prefix(home: str, repo: str) -> str:
    """What comes before `#N` to name an issue of `home` from a PR of `repo`."""
    if home.casefold() == repo.casefold():
        return ""
    if not is_full_name(home):
        raise ValueError(f"{home!r} is not a repository name GitHub would give")
    return home


def _record(ctx: Context, home: str, goal: Goal, pr: PullRequest, tz: str) -> Progress | None:
    """The goal issue's Shipped list; None (and a log line) if the issue is gone."""
    try:
        with doing(f"listing PR #{pr.number} on goal issue {home}#{goal.issue}"):
            return record_shipped(ctx, home, goal, pr, tz)
    except GitHubNotFound as exc:
        # Deleted or transferred: the PR's comment still says which goal it moved.
        log.warning(
            "goal %s: issue %s#%s is gone (GitHub answered %s); no Shipped list written",
            goal.id,
            home,
            goal.issue,
            exc.status,
            extra=ctx.delivery.log_fields(),
        )
        return None


def _listed_on(comment: CommentGateway | None, repo: str) -> tuple[str, int] | None:
    """The goal issue (repository, number) whose Shipped list our comment says holds
    the PR, if any; without `repo=` it is the PR's own repository's."""
    attrs = read_marker(comment.body, LISTED_ON) if comment else None
    value = (attrs or {}).get("issue", "")
    where = (attrs or {}).get("repo") or repo
    return (where, int(value)) if value.isdigit() and is_full_name(where) else None


def _unlist(ctx: Context, listed_on: tuple[str, int], pr: PullRequest) -> None:
    repo, issue_number = listed_on
    try:
        with doing(f"taking PR #{pr.number} off goal issue {repo}#{issue_number}"):
            remove_shipped(ctx, repo, issue_number, pr)
    except GitHubNotFound as exc:
        log.warning(
            "issue %s#%s is gone (GitHub answered %s); PR #%s was listed there",
            repo,
            issue_number,
            exc.status,
            pr.number,
            extra=ctx.delivery.log_fields(),
        )


def pr_marker(number: int) -> str:
    """The hidden marker of the one comment Quarterdeck keeps on PR `number`."""
    return marker("pr-link", pr=number)


def comment_body(
    link: Link,
    goal: Goal | None,
    progress: Progress | None,
    config: Config,
    quarter: str,
    home: str = "",
) -> str:
    """The comment, rendered from templates/pr_comment.md.j2; `home` names the goal
    issues' repository when it is not the PR's own (`acme/.github`)."""
    team = goal.team if goal else link.team
    others = [g for g in config.goals if g.quarter == quarter and (team is None or g.team == team)]
    return render_template(
        {},  # the App's comments use the bundled templates, no repo overrides
        "pr_comment.md.j2",
        marker=pr_marker(link.pr.number),
        link=link,
        goal=goal,
        progress=progress,
        quarter=quarter,
        goals=others[:8],
        goals_dir=config.goals_dir,
        home=home,
    )
