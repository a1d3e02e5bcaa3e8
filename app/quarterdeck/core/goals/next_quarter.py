"""The next quarter's goals file, carrying over what the last quarter left unfinished. Pure.

A goal whose status is not shipped or dropped moves on with everything that says
what it is and what belongs to it (id, title, team, owners, motivation, objective,
paths, labels, scopes, keywords …), with status `carried-over`. Its `issue` stays
behind: that issue is labelled with the old quarter, and `goals sync` opens one for
the new quarter.

Objectives are set per quarter, so a goal keeps its `objective:` only when the new
quarter has an objective of that id. Otherwise the key is left out (a dangling id
would fail `validate`) and a comment above the goal names the old objective, for
the team to pick the new quarter's one it serves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import yaml

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.model import FINISHED_STATUSES

__all__ = ["CARRIED_STATUS", "carried_over", "next_goals_file", "previous_quarter"]

CARRIED_STATUS = "carried-over"
_LEFT_BEHIND = ("issue",)


def previous_quarter(quarter: str) -> str:
    """`2026-Q4` for `2027-Q1`. Raises ValueError for anything but YYYY-Qn, n in 1..4."""
    if not is_quarter(quarter):
        raise ValueError(f"expected a quarter as YYYY-Qn (n from 1 to 4), got {quarter!r}")
    year, q = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"


def carried_over(
    goals: Sequence[Mapping[str, Any]], objectives: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """The unfinished goals of a goals file's data, as they move to the next quarter.

    With `objectives` (the ids of the new quarter's objectives), an `objective:` naming
    none of them is left behind; None keeps every `objective:` as it is.
    """
    moved: list[dict[str, Any]] = []
    for goal in goals:
        if goal.get("status", "planned") in FINISHED_STATUSES:
            continue
        kept = {k: v for k, v in goal.items() if k not in _LEFT_BEHIND}
        if objectives is not None and "objective" in kept and kept["objective"] not in objectives:
            del kept["objective"]
        kept["status"] = CARRIED_STATUS
        moved.append(kept)
    return moved


def next_goals_file(
    quarter: str,
    previous: str,
    goals: Sequence[Mapping[str, Any]] | None,
    *,
    example_team: str = "my-team",
    example_owner: str = "your-github-login",
    objectives: Sequence[str] = (),
) -> str:
    """The commented YAML of `quarter`'s goals file.

    `goals` is the data of `previous`'s goals file (None when there is none); its
    unfinished goals are carried over. `example_team` and `example_owner` fill the
    commented example of a new goal. `objectives` are the ids of `quarter`'s company
    objectives: a carried goal keeps its `objective:` only if it is one of them.
    """
    lines = [
        f"# Goals for {quarter}. The quarter comes from this file's name (YYYY-Qn.yml).",
        "# A goal is a thing your team will build, not a metric: id, title, team and",
        "# owners (GitHub logins) are required; see `quarterdeck init`'s first goals file",
        "# for every key. Run `quarterdeck validate` after editing.",
        "#",
    ]
    moved = carried_over(goals or [], objectives)
    if goals is None:
        lines.append(f"# There is no goals file for {previous}, so nothing was carried over.")
    elif not moved:
        lines.append(f"# Every goal of {previous} was shipped or dropped: nothing carried over.")
    else:
        lines += [
            f"# The {len(moved)} goal(s) of {previous} not shipped or dropped are carried over",
            f"# with status `{CARRIED_STATUS}` (same id, title, team, owners and motivation).",
            "# Keep, reword or drop each one in the planning meeting; set `status: planned`",
            "# for one the team starts afresh. Their issues stay with the old quarter:",
            "# `quarterdeck goals sync` opens new ones.",
        ]
    lines.append("")
    originals = [g for g in goals or [] if g.get("status", "planned") not in FINISHED_STATUSES]
    for original, goal in zip(originals, moved, strict=True):
        lines.append(_origin(previous, original))
        if "objective" in original and "objective" not in goal:
            lines.append(_objective_left(quarter, original["objective"], objectives))
        lines.append(_dump(goal))
    if not moved:
        lines.append("[]")
        lines.append("")
    lines += [
        "# A new goal:",
        "# - id: new-goal",
        "#   title: What your team will build",
        f"#   team: {example_team}",
        f"#   owners: [{example_owner}]",
        "#   motivation: Why it matters to your users this quarter.",
        *(["#   objective: " + objectives[0]] if objectives else []),
        "#   status: planned",
    ]
    return "\n".join(lines) + "\n"


def _origin(previous: str, goal: Mapping[str, Any]) -> str:
    was = goal.get("status", "planned")
    note = f"# From {previous}, where it was {was}"
    if goal.get("issue") is not None:
        note += f"; its issue #{goal['issue']} stays there"
    return note + "."


def _objective_left(quarter: str, objective: object, objectives: Sequence[str]) -> str:
    known = f"its objectives are {', '.join(objectives)}" if objectives else "it has none yet"
    return (
        f"# Its objective {str(objective)!r} is not one of {quarter}'s ({known}), so it was\n"
        "# left out: add `objective: <id>` with the one it serves now."
    )


def _dump(goal: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        [dict(goal)], sort_keys=False, allow_unicode=True, default_flow_style=None, width=88
    )
