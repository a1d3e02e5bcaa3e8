"""`quarterdeck goals sync`: make GitHub's goal issues match the goals files.

Reads (repo, labels, goal issues) first, plans in `core.goals.sync_actions`, then writes in
a fixed order: labels, then issues. A failed write stops the run with a message
that lists what was already written, so nothing is half-done without being said;
a re-run picks up where it stopped, because finished steps plan as unchanged.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TypedDict, TypeVar

from quarterdeck.core.goals.back_to_files import goals_file
from quarterdeck.core.goals.goal_issues import IssueSnapshot, goal_marker, marker_goal_id
from quarterdeck.core.goals.sync_actions import (
    IssueAction,
    LabelSpec,
    SyncPlan,
    plan_sync,
    synced_marker,
)
from quarterdeck.core.model import Config, Goal
from quarterdeck.core.text.markdown import SafeMarkdown
from quarterdeck.core.vocabulary import is_bot_login
from quarterdeck.errors import GoalsSyncError, QuarterdeckError
from quarterdeck.services.templates import render_template
from quarterdeck.sources.github.gateway import GitHubGateway, IssueGateway, RepoGateway, doing
from quarterdeck.sources.github.writes import Writer, marked_by_us, written_by_us

__all__ = ["GoalsSyncError", "SyncResult", "render_goal_body", "sync_goals"]

log = logging.getLogger(__name__)
T = TypeVar("T")
TEMPLATE = "goal_issue.md.j2"


@dataclass
class SyncResult:
    """The plan, and (unless a dry run) what was written: one line per write."""

    repo: str
    quarters: tuple[str, ...]
    plan: SyncPlan
    dry_run: bool
    written: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # goal id -> new issue number


def render_goal_body(goal: Goal, config: Config, templates: Mapping[str, str]) -> str:
    """The issue body a new goal issue gets; later syncs take only its `goal` section.

    `templates`: the repo's own templates (name -> source), over the bundled ones.
    """
    return render_template(
        templates,
        TEMPLATE,
        goal=goal,
        goal_marker=SafeMarkdown(goal_marker(goal.id)),
        synced=SafeMarkdown(synced_marker(goal)),
        source=goals_file(goal, config),
    )


def sync_goals(
    gh: GitHubGateway,
    full_name: str,
    config: Config,
    quarters: Collection[str],
    *,
    dry_run: bool = False,
    templates: Mapping[str, str] | None = None,
    writer: Writer | None = None,
) -> SyncResult:
    """Plan, and unless `dry_run` apply, the sync of `config`'s goals in `quarters`.

    `writer` is the login Quarterdeck writes as (None: the token's user, `token_writer`):
    an issue another bot opened is never adopted, edited or closed by its marker.
    """
    templates = templates or {}
    goals = [g for g in config.goals if g.quarter in quarters]
    with doing(f"opening {full_name}"):
        repo = gh.repo(full_name)
    with doing(f"listing the labels of {full_name}"):
        labels = repo.labels()
    writer = writer or gh.writer(in_actions=False)
    found = [(i, _other_bot(i, s, writer)) for i, s in repo.goal_issues(config.goal_label)]
    if config.goal_label.lower() not in {name.lower() for name in labels}:
        # Renamed or deleted (or never made): its issues are still known by their
        # markers, so find them that way rather than open each goal's issue again.
        # Only issues we opened: a marker pasted into a person's issue is only text.
        seen = {snap.number for _, snap in found}
        found += [
            pair
            for pair in repo.marked_goal_issues()
            if pair[1].number not in seen and marked_by_us(pair[0], writer)
        ]
    objects: dict[int, IssueGateway] = {snap.number: issue for issue, snap in found}
    snapshots: list[IssueSnapshot] = [snap for _, snap in found]
    for goal in goals:
        if goal.issue is not None and goal.issue not in objects:
            extra = repo.goal_issue(goal.issue)
            if extra is not None:
                objects[goal.issue] = extra[0]
                snapshots.append(extra[1])
    bodies = {g.id: render_goal_body(g, config, templates) for g in goals}
    plan = plan_sync(goals, snapshots, labels, bodies, config, quarters)
    result = SyncResult(full_name, tuple(sorted(quarters)), plan, dry_run)
    if not dry_run:
        _apply(repo, plan, objects, result, _Finder(config.goal_label, writer))
    return result


def _other_bot(issue: IssueGateway, snap: IssueSnapshot, writer: Writer) -> IssueSnapshot:
    """`snap`, flagged when a bot other than Quarterdeck opened it (asks who we are only
    for issues a bot opened)."""
    user = issue.user
    bot = user.bot or is_bot_login(user.login)
    if bot and not written_by_us(user, writer):
        return dataclasses.replace(snap, other_bot=True)
    return snap


def _apply(
    repo: RepoGateway,
    plan: SyncPlan,
    objects: dict[int, IssueGateway],
    result: SyncResult,
    finder: _Finder,
) -> None:
    steps: list[tuple[str, Callable[[], None]]] = []
    for spec in plan.labels:
        steps.append((f"label {spec.name!r}", partial(_create_label, repo, spec, result)))
    for action in plan.issues:
        if action.kind == "create":
            what = f"the issue of goal {action.goal_id!r}"
            steps.append((what, partial(_create_issue, repo, action, result, finder)))
        elif action.kind == "update":
            what = f"issue #{action.number} (goal {action.goal_id!r})"
            assert action.number is not None, action  # plan_sync numbers what it edits
            target = objects[action.number]
            steps.append((what, partial(_update_issue, target, action, result)))
        elif action.kind == "duplicate":
            what = f"duplicate issue #{action.number} (goal {action.goal_id!r})"
            assert action.number is not None, action  # plan_sync numbers what it edits
            target = objects[action.number]
            steps.append((what, partial(_close_duplicate, target, action, result, finder.writer)))
    for index, (what, step) in enumerate(steps):
        try:
            with doing(f"writing {what}"):
                step()
        except QuarterdeckError as exc:
            pending = [name for name, _ in steps[index + 1 :]]
            cause = f"goals sync of {result.repo} stopped: {exc}"
            raise GoalsSyncError(cause, result.written, pending) from exc


def _create_label(repo: RepoGateway, spec: LabelSpec, result: SyncResult) -> None:
    # A label that exists by now (another writer, or our own create whose answer was
    # lost) is what the plan wanted: success either way, said only when it was ours.
    if repo.create_label(spec.name, spec.color, spec.description):
        _done(result, f"created label {spec.name}")
    else:
        log.info("%s: label %s already existed", result.repo, spec.name)


def _create_issue(
    repo: RepoGateway, action: IssueAction, result: SyncResult, finder: _Finder
) -> None:
    # Concurrent syncs take turns: the look and the create happen under one lock, so
    # the second sync finds the issue the first opened instead of opening another.
    with repo.lock(goal_lock_scope(action.goal_id)):
        issue = finder.opened_by_us(repo, action.goal_id)
        if issue is not None:
            _done(
                result,
                f"found the issue of goal {action.goal_id}: #{issue.number}, opened by "
                f"another run meanwhile (add `issue: {issue.number}` to the goal)",
            )
            return
        issue = repo.create_issue(
            action.title,
            action.body,
            labels=list(action.labels),
            assignees=list(action.assignees),
            find=lambda: finder.opened_by_us(repo, action.goal_id),
            what=f"the issue of goal {action.goal_id}",
        )
    result.created[action.goal_id] = issue.number
    # The offline review links `Goal: #N` only when the file knows N.
    _done(
        result,
        f"created the issue of goal {action.goal_id}: #{issue.number} "
        f"(add `issue: {issue.number}` to the goal)",
    )


def goal_lock_scope(goal_id: str) -> str:
    """The lock scope of one goal's issue (`core.converge.lock_name`)."""
    return f"goal:{goal_id}"


def _close_duplicate(
    target: IssueGateway, action: IssueAction, result: SyncResult, writer: Writer
) -> None:
    keep = action.duplicate_of
    assert keep is not None, action
    target.close_as_duplicate(keep, writer=writer)
    _done(result, f"closed #{action.number} as a duplicate of #{keep} (goal {action.goal_id})")


@dataclass(frozen=True)
class _Finder:
    """Finds a goal issue a lost create may have opened: by label and marker, ours only."""

    goal_label: str
    writer: Writer

    def opened_by_us(self, repo: RepoGateway, goal_id: str) -> IssueGateway | None:
        """The oldest issue of goal `goal_id` that Quarterdeck opened, if any.

        Listed by the goal label the create gave it, not searched: the search index
        lags behind a write made a moment ago.
        """
        return next(
            (
                issue
                for issue, snap in repo.goal_issues(self.goal_label)
                if marker_goal_id(snap.body) == goal_id and marked_by_us(issue, self.writer)
            ),
            None,
        )


def _update_issue(target: IssueGateway, action: IssueAction, result: SyncResult) -> None:
    target.edit(**_fields(action))
    _done(result, f"updated #{action.number} ({', '.join(action.changes)})")


class _IssueEdit(TypedDict, total=False):
    """The fields of an issue `IssueGateway.edit` sends, by its keyword names."""

    title: str
    body: str
    labels: list[str]
    assignees: list[str]


def _fields(action: IssueAction) -> _IssueEdit:
    # Only what changed, so a person's concurrent edit of another field isn't reverted.
    fields: _IssueEdit = {}
    if "title" in action.changes:
        fields["title"] = action.title
    if "body" in action.changes:
        fields["body"] = action.body
    if "labels" in action.changes:
        fields["labels"] = list(action.labels)
    if "assignees" in action.changes:
        fields["assignees"] = list(action.assignees)
    return fields


def _done(result: SyncResult, line: str) -> None:
    log.info("%s: %s", result.repo, line)
    result.written.append(line)
