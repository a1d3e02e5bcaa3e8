"""What GitHub knows that the goals files don't, said as YAML a person can paste. Pure.

`goals sync` never edits YAML: a person's change on GitHub (a retitled, reassigned or
closed issue, a goal issue the files lack) becomes a `BackNote` with the entry or
keys that would adopt it. Values are written as JSON strings and lists, which YAML
reads as the same values whatever characters a title holds.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from quarterdeck.core.goals.goal_issues import IssueSnapshot, goal_from_issue
from quarterdeck.core.model import Config, Goal


@dataclass(frozen=True)
class BackNote:
    """Something GitHub knows that the goals file doesn't: a person's change to adopt."""

    message: str
    yaml: str = ""  # suggested YAML, ready to paste


def goals_file(goal: Goal, config: Config) -> str:
    """The goals file a goal is edited in, e.g. `goals/2026-Q4.yml`."""
    return f"{config.goals_dir.rstrip('/')}/{goal.quarter}.yml"


def unclaimed_issues(
    issues: Sequence[IssueSnapshot], claimed: set[int], config: Config, quarters: Collection[str]
) -> list[BackNote]:
    """Goal issues in `quarters` that no file goal claimed, each with its YAML entry."""
    notes = []
    label = config.goal_label.lower()
    for issue in sorted(issues, key=lambda i: i.number):
        if issue.number in claimed or label not in {x.lower() for x in issue.labels}:
            continue
        goal, problems = goal_from_issue(issue, config)
        if goal is None:
            reasons = "; ".join(p.message for p in problems)
            notes.append(BackNote(f"goal issue #{issue.number} can't be read as a goal: {reasons}"))
            continue
        if goal.quarter not in quarters:
            continue
        entry = {
            "id": goal.id,
            "title": goal.title,
            "team": goal.team,
            "owners": list(goal.owners),
            "issue": goal.issue,
        }
        if goal.status != "planned":
            entry["status"] = goal.status
        notes.append(
            BackNote(
                f"goal issue #{issue.number} {goal.title!r} has no entry in "
                f"{goals_file(goal, config)}",
                _yaml_entry(entry),
            )
        )
    return notes


def _yaml_scalar(value: object) -> str:
    # JSON strings and lists are valid YAML flow scalars: safe to paste, whatever the text.
    return json.dumps(value, ensure_ascii=False)


def _yaml_entry(entry: Mapping[str, object]) -> str:
    lines = [
        f"{'- ' if i == 0 else '  '}{key}: {_yaml_scalar(value)}"
        for i, (key, value) in enumerate(entry.items())
    ]
    return "\n".join(lines)


def yaml_fields(goal_id: str, **fields: object) -> str:
    """The changed keys of one goal entry, e.g. `- id: x` then `  status: "shipped"`."""
    return _yaml_entry({"id": goal_id, **fields})
