"""`issues` with the goal label → check it names a quarter, a team and its owners.

When something is missing, one comment says what (updated on later events, never
repeated); once all is there, an existing comment is updated to say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quarterdeck.core.markers import marker
from quarterdeck.core.model import Config
from quarterdeck.sources.github_writes import find_comment, upsert_comment
from quarterdeck.webhook.handlers.context import Context, PayloadError
from quarterdeck.webhook.handlers.templates import render_template

ACTIONS = frozenset({"opened", "edited", "labeled", "unlabeled", "assigned", "unassigned"})
_QUARTER = re.compile(r"^quarter:(?P<q>\d{4}-Q[1-4])$", re.IGNORECASE)
_TEAM = re.compile(r"^team:(?P<slug>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class GoalIssueCheck:
    """What a goal issue lacks; empty lists mean it is complete."""

    missing: tuple[str, ...]
    unknown_teams: tuple[str, ...]
    teams: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unknown_teams


def check_goal_issue(labels: list[str], assignees: list[str], config: Config) -> GoalIssueCheck:
    """Check a goal issue's labels and assignees against the config (pure)."""
    missing: list[str] = []
    if not any(_QUARTER.match(name) for name in labels):
        missing.append("quarter")
    slugs = [m["slug"] for name in labels if (m := _TEAM.match(name))]
    if not slugs:
        missing.append("team")
    if not assignees:
        missing.append("owners")
    known = {t.slug for t in config.teams}
    unknown = tuple(s for s in slugs if known and s not in known)
    return GoalIssueCheck(tuple(missing), unknown, tuple(sorted(known)))


def handle(ctx: Context) -> str:
    """Upsert the checklist comment on a goal issue that lacks something."""
    delivery = ctx.delivery
    if delivery.action not in ACTIONS:
        return f"ignored: action {delivery.action}"
    if delivery.sender_is_bot:
        return "ignored: sent by a bot"  # our own edits to goal issues come back as events
    data = delivery.payload.get("issue")
    if not isinstance(data, dict) or not isinstance(data.get("number"), int):
        raise PayloadError("an issues event without an issue number")
    labels = [str(lb.get("name")) for lb in data.get("labels") or [] if isinstance(lb, dict)]
    config: Config = ctx.config()
    if config.goal_label.lower() not in {name.lower() for name in labels}:
        return "ignored: not a goal issue"
    people = [str(u.get("login")) for u in data.get("assignees") or [] if isinstance(u, dict)]
    check = check_goal_issue(labels, people, config)
    number = data["number"]
    mark = marker("goal-check", issue=number)
    issue = ctx.repository().get_issue(number)
    body = render_template(
        "goal_check.md.j2", marker=mark, check=check, goal_label=config.goal_label
    )
    with ctx.lock(f"{delivery.repo}#{number}"):
        if check.ok:
            existing = find_comment(issue, mark)
            if existing is None:
                return f"goal issue #{number} is complete"
        _, outcome = upsert_comment(issue, mark, body)
    return f"goal issue #{number}: missing {', '.join(check.missing) or 'nothing'}; {outcome}"
