"""`goals sync` planning: goals files and GitHub's goal issues in, a list of actions out.

Pure: the service reads GitHub, renders the bodies and applies the plan. The rules:

- A file goal's issue is `issue: N` if the file says so, else the issue whose body
  carries the goal's hidden marker (`<!-- quarterdeck:goal id=<id> -->`); never a
  search. Several with the marker: the oldest is the goal's, the others are closed as
  its duplicates (`core.converge.survivor`, the rule publish follows too). Another
  bot's issue (`IssueSnapshot.other_bot`) is never matched by its marker. No issue:
  one is created, unless the goal is already `shipped` or `dropped`.
- Labels: the goal label, `quarter:<q>` and `team:<slug>` are created when missing.
  An issue gets those three; other `quarter:`/`team:` labels on it are replaced,
  labels of any other kind are kept.
- Title and owners follow the file, except where a person changed them on GitHub:
  the bot-owned section records what the file said at the last sync
  (`<!-- quarterdeck:synced title=<hash> owners=<hash> -->`). When the issue's value
  differs from both the file and that record, a person changed it; it is kept and
  reported with the YAML that would adopt it.
- Body: only the bot-owned section is rewritten (`core.text.markers.merge`); every byte a
  person wrote outside it stays.
- A closed issue is never written to (nor reopened); a file goal whose issue was
  closed is reported with a suggested `status:`. Nothing is deleted, and nothing but
  a duplicate is closed.
- Goal issues no file goal claims, in the quarters being synced, are reported with
  the YAML entry that would add them to the goals file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from quarterdeck.core.converge import survivor
from quarterdeck.core.goals.back_to_files import BackNote, goals_file, unclaimed_issues, yaml_fields
from quarterdeck.core.goals.goal_issues import IssueSnapshot, marker_goal_id
from quarterdeck.core.model import FINISHED_STATUSES, Config, Goal
from quarterdeck.core.text.markers import marker, merge, read_marker
from quarterdeck.core.vocabulary import (
    QUARTER_PREFIX,
    TEAM_PREFIX,
    LabelSpec,
    goal_label_spec,
    quarter_label_spec,
    team_label_spec,
)
from quarterdeck.errors import Problem

_SYNCED_KIND = "synced"


@dataclass(frozen=True)
class IssueAction:
    """What happens to one file goal's issue.

    kind: `create` | `update` | `unchanged` | `skip` | `duplicate`. For `update`, only
    the fields in `changes` are sent; the others hold the issue's current values. A
    `duplicate` (issue `number`, another issue with the goal's marker) is closed as a
    duplicate of `duplicate_of`, the oldest (`core.converge.survivor`).
    """

    kind: str
    goal_id: str
    number: int | None = None
    title: str = ""
    body: str = ""
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()  # "title", "body", "labels", "assignees"
    reason: str = ""
    duplicate_of: int | None = None


@dataclass(frozen=True)
class SyncPlan:
    labels: tuple[LabelSpec, ...] = ()
    issues: tuple[IssueAction, ...] = ()
    back: tuple[BackNote, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    @property
    def write_count(self) -> int:
        """How many write requests applying the plan sends."""
        return len(self.labels) + sum(
            a.kind in ("create", "update", "duplicate") for a in self.issues
        )


def fingerprint(text: str) -> str:
    """A short, stable hash a marker can carry (titles hold characters markers can't)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _owners_key(owners: Collection[str]) -> str:
    return ",".join(sorted({o.lower() for o in owners}))


def synced_marker(goal: Goal) -> str:
    """The record, inside the bot-owned section, of what the file said at this sync."""
    return marker(
        _SYNCED_KIND, owners=fingerprint(_owners_key(goal.owners)), title=fingerprint(goal.title)
    )


def _synced(body: str) -> dict[str, str]:
    return read_marker(body, _SYNCED_KIND) or {}


def required_labels(goal: Goal, config: Config) -> list[LabelSpec]:
    """The three labels a goal's issue carries, with colour and description."""
    return [
        goal_label_spec(config.goal_label),
        quarter_label_spec(goal.quarter),
        team_label_spec(goal.team),
    ]


def plan_sync(
    goals: Sequence[Goal],
    issues: Sequence[IssueSnapshot],
    existing_labels: Collection[str],
    bodies: Mapping[str, str],
    config: Config,
    quarters: Collection[str],
) -> SyncPlan:
    """The actions that make GitHub's goal issues match `goals` (see the module docstring).

    `issues`: every goal-labelled issue plus any issue a goal names with `issue: N`;
    `bodies`: each goal's freshly rendered issue body, by goal id.
    """
    by_number = {i.number: i for i in issues}
    by_marker: dict[str, list[IssueSnapshot]] = {}
    for snapshot in sorted(issues, key=lambda i: i.number):
        goal_id = marker_goal_id(snapshot.body)
        if goal_id and not snapshot.other_bot:
            by_marker.setdefault(goal_id, []).append(snapshot)
    named = {g.issue for g in goals if g.issue is not None}

    actions: list[IssueAction] = []
    back: list[BackNote] = []
    problems: list[Problem] = []
    claimed: set[int] = set()
    wanted: dict[str, LabelSpec] = {}
    for goal in goals:
        issue: IssueSnapshot | None = None
        if goal.issue is not None:
            issue = by_number.get(goal.issue)
            if issue is None:
                problems.append(
                    Problem(
                        goals_file(goal, config),
                        None,
                        f"{goal.id}.issue",
                        f"goal {goal.id!r} names issue #{goal.issue}, which does not exist "
                        "or is a pull request; fix `issue:` or remove it to have one created",
                    )
                )
                actions.append(IssueAction("skip", goal.id, goal.issue, reason="no such issue"))
                continue
        else:
            candidates = [i for i in by_marker.get(goal.id, []) if i.number not in named]
            if candidates:
                issue, extras = survivor(candidates, lambda i: i.number)
                for extra in extras:
                    claimed.add(extra.number)
                    if extra.state != "closed":  # closed: an earlier run (or a person) did it
                        actions.append(_duplicate(goal, extra, issue))
        if issue is None and goal.status in FINISHED_STATUSES:
            actions.append(
                IssueAction("skip", goal.id, reason=f"{goal.status}: no issue for a finished goal")
            )
            continue
        for spec in required_labels(goal, config):
            wanted.setdefault(spec.name.lower(), spec)
        if issue is None:
            actions.append(_create(goal, bodies[goal.id], config))
            continue
        claimed.add(issue.number)
        action, notes = _update(goal, issue, bodies[goal.id], config)
        actions.append(action)
        back += notes

    back += unclaimed_issues(issues, claimed, config, quarters)
    have = {name.lower() for name in existing_labels}
    labels = tuple(spec for key, spec in wanted.items() if key not in have)
    return SyncPlan(labels, tuple(actions), tuple(back), tuple(problems))


def _duplicate(goal: Goal, extra: IssueSnapshot, keep: IssueSnapshot) -> IssueAction:
    return IssueAction(
        "duplicate",
        goal.id,
        extra.number,
        duplicate_of=keep.number,
        reason=f"duplicate of #{keep.number}: close it, pointing at #{keep.number}",
    )


def _create(goal: Goal, body: str, config: Config) -> IssueAction:
    return IssueAction(
        "create",
        goal.id,
        title=goal.title,
        body=body,
        labels=tuple(s.name for s in required_labels(goal, config)),
        assignees=goal.owners,
        changes=("title", "body", "labels", "assignees"),
    )


def _update(
    goal: Goal, issue: IssueSnapshot, rendered: str, config: Config
) -> tuple[IssueAction, list[BackNote]]:
    notes: list[BackNote] = []
    where = f"goal {goal.id!r} (issue #{issue.number})"
    if issue.state == "closed":
        if goal.status not in FINISHED_STATUSES:
            status = "dropped" if issue.state_reason == "not_planned" else "shipped"
            notes.append(
                BackNote(
                    f"{where} was closed on GitHub but the file says {goal.status!r}; "
                    "Quarterdeck never reopens issues",
                    yaml_fields(goal.id, status=status),
                )
            )
        return IssueAction("unchanged", goal.id, issue.number, reason="closed"), notes

    record = _synced(issue.body)
    changes: list[str] = []
    title = issue.title
    if issue.title.strip() != goal.title:
        if record.get("title") in (None, fingerprint(issue.title.strip())):
            title, changes = goal.title, [*changes, "title"]
        else:
            notes.append(
                BackNote(
                    f"{where} was retitled on GitHub to {issue.title.strip()!r}; kept",
                    yaml_fields(goal.id, title=issue.title.strip()),
                )
            )
    assignees = issue.assignees
    if goal.owners and _owners_key(issue.assignees) != _owners_key(goal.owners):
        if record.get("owners") in (None, fingerprint(_owners_key(issue.assignees))):
            assignees, changes = goal.owners, [*changes, "assignees"]
        else:
            shown = ", ".join(issue.assignees) or "nobody"
            notes.append(
                BackNote(
                    f"{where} is assigned to {shown} on GitHub, not to the file's owners "
                    f"({', '.join(goal.owners)}); kept (if GitHub dropped the file's owners, "
                    "they need access to the repository)",
                    yaml_fields(goal.id, owners=list(issue.assignees)),
                )
            )
    labels = _labels(issue.labels, [s.name for s in required_labels(goal, config)])
    if {x.lower() for x in labels} != {x.lower() for x in issue.labels}:
        changes.append("labels")
    body = merge(issue.body, rendered)
    if body != issue.body:
        changes.append("body")
    kind = "update" if changes else "unchanged"
    action = IssueAction(
        kind, goal.id, issue.number, title, body, tuple(labels), tuple(assignees), tuple(changes)
    )
    return action, notes


def _labels(current: Sequence[str], required: Sequence[str]) -> list[str]:
    """Keep every label except other quarters and teams; add the required ones."""
    need = {r.lower() for r in required}
    kept = [
        label
        for label in current
        if label.lower() in need or not label.lower().startswith((QUARTER_PREFIX, TEAM_PREFIX))
    ]
    have = {label.lower() for label in kept}
    return kept + [r for r in required if r.lower() not in have]


def quarters_to_sync(config: Config, current: str, chosen: str | None = None) -> tuple[str, ...]:
    """`chosen`, else the current quarter and every later one the goals files plan for."""
    if chosen:
        return (chosen,)
    return tuple(sorted({current, *(g.quarter for g in config.goals if g.quarter >= current)}))
