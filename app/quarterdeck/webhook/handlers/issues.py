"""`issues` with the goal label → check it names a quarter, a team and its owners.

When something is missing, one comment says what (updated on later events, never
repeated); once all is there, an existing comment is updated to say so. An edited
growth-review issue goes to `handlers.review_decision`, which records the lead's decision.
Routed here for the actions `routes.ROUTES` lists (opened, edited, (un)labeled, (un)assigned).
"""

from __future__ import annotations

from dataclasses import dataclass

from quarterdeck.core.goals.goal_issues import IssueSnapshot, goal_from_issue
from quarterdeck.core.model import Config
from quarterdeck.core.text.markers import marker
from quarterdeck.services.templates import render_template
from quarterdeck.webhook.handlers import review_decision
from quarterdeck.webhook.handlers.context import Context, PayloadError


@dataclass(frozen=True)
class GoalIssueCheck:
    """What a goal issue lacks, in the very words the review uses for it."""

    problems: tuple[str, ...]  # from core.goals.goal_issues: labels missing, repeated or wrong
    needs_owners: bool
    teams: tuple[str, ...]  # the config's teams, to suggest one

    @property
    def ok(self) -> bool:
        return not self.problems and not self.needs_owners


def check_goal_issue(issue: IssueSnapshot, config: Config) -> GoalIssueCheck:
    """Check a goal issue as the review reads it (pure): the same labels, the same rules."""
    _, problems = goal_from_issue(issue, config)
    return GoalIssueCheck(
        tuple(p.message for p in problems),
        not issue.assignees,
        tuple(sorted(t.slug for t in config.teams)),
    )


def handle(ctx: Context) -> str:
    """Upsert the checklist comment on a goal issue that lacks something."""
    delivery = ctx.delivery
    if delivery.sender_is_bot:
        return "ignored: sent by a bot"  # our own edits to goal issues come back as events
    data = delivery.payload.get("issue")
    if not isinstance(data, dict) or not isinstance(data.get("number"), int):
        raise PayloadError("an issues event without an issue number")
    review = review_decision.review_of(data, ctx.identity)
    if review is not None:
        return review_decision.handle(ctx, data, review)
    labels = [str(lb.get("name")) for lb in data.get("labels") or [] if isinstance(lb, dict)]
    config: Config = ctx.config()
    home = ctx.home()
    if home is None or home.casefold() != (delivery.repo or "").casefold():
        # An organisation's goal issues live in its home: this repository's aren't read.
        return f"ignored: goal issues are read in {home or 'another repository'}"
    if config.goal_label.lower() not in {name.lower() for name in labels}:
        return "ignored: not a goal issue"
    people = [str(u.get("login")) for u in data.get("assignees") or [] if isinstance(u, dict)]
    number = data["number"]
    snapshot = IssueSnapshot(
        number=number,
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        state=str(data.get("state") or "open"),
        labels=tuple(labels),
        assignees=tuple(people),
    )
    check = check_goal_issue(snapshot, config)
    mark = marker("goal-check", issue=number)
    issue = ctx.repository().issue(number)
    body = render_template(
        {},  # the App's comments use the bundled templates, no repo overrides
        "goal_check.md.j2",
        marker=mark,
        check=check,
        goal_label=config.goal_label,
    )
    with ctx.issue_lock(number):
        existing = issue.our_comment(mark, writer=ctx.ours, log_fields=delivery.log_fields())
        if check.ok and existing is None:
            return f"goal issue #{number} is complete"
        _, outcome = issue.write_comment(existing, mark, body, writer=ctx.ours)
    lacks = len(check.problems) + check.needs_owners
    return f"goal issue #{number}: {lacks} thing(s) to fix; comment {outcome}"
