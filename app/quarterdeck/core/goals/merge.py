"""One list of goals from two sources: goals files and goal issues. Pure.

A file goal and an issue goal are the same goal when the file says `issue: N` and the
issue is #N, or, for a file goal without `issue:`, when both carry the same id (the
id `goals sync` writes into the issue's hidden marker). Then, field by field:

- id, title, team, quarter, motivation: the file's (the file is where goals are edited);
- paths, labels, branches, scopes, keywords (what the goal claims): the file's;
- owners: the file's, or the issue's assignees when the file names none;
- issue: the file's `issue:`, else the issue's number;
- status: the file's, unless it is the default `planned`, when the issue's state or
  `status:` label says more (a closed issue reads as shipped or dropped);
- tasks done/total: the issue's task list (files have none);
- objective: the file's, or the issue's `objective:` line when the file names none.

An issue goal no file goal claims is added after the file goals, in issue order. If
its id is already a file goal's, it becomes `<id>-<number>`, so no goal appears twice
and none hides another.

Objectives merge the same way (`merge_objectives`): an objective issue of the quarter
and id of a written one (objectives file or the config) is that objective, and adds
its issue number (and its assignee, when the file names no owner); any other is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from quarterdeck.core.model import Config, Goal, Objective

__all__ = ["merge_goal", "merge_goals", "merge_objectives"]


def merge_goal(file_goal: Goal, issue_goal: Goal) -> Goal:
    """The file goal with what only the issue knows filled in (see the module docstring)."""
    return replace(
        file_goal,
        owners=file_goal.owners or issue_goal.owners,
        issue=file_goal.issue or issue_goal.issue,
        status=issue_goal.status if file_goal.status == "planned" else file_goal.status,
        tasks_done=issue_goal.tasks_done,
        tasks_total=issue_goal.tasks_total,
        objective=file_goal.objective or issue_goal.objective,
    )


def merge_goals(config: Config, issue_goals: Sequence[Goal]) -> Config:
    """`config` with its file goals merged with `issue_goals` (each has `issue` set)."""
    by_number = {g.issue: g for g in issue_goals if g.issue is not None}
    claimed: set[int] = set()
    merged: list[Goal] = []
    # `issue: N` claims first, so an id match can never take an issue a file names.
    for goal in config.goals:
        if goal.issue is not None and goal.issue in by_number:
            claimed.add(goal.issue)
    for goal in config.goals:
        match = by_number.get(goal.issue) if goal.issue is not None else None
        if match is None and goal.issue is None:
            match = next(
                (
                    g
                    for g in issue_goals
                    if g.id == goal.id and g.issue is not None and g.issue not in claimed
                ),
                None,
            )
            if match is not None and match.issue is not None:
                claimed.add(match.issue)
        merged.append(merge_goal(goal, match) if match is not None else goal)

    taken = {g.id for g in merged}
    for goal in sorted(issue_goals, key=lambda g: g.issue or 0):
        if goal.issue in claimed:
            continue
        if goal.id in taken:
            goal = replace(goal, id=f"{goal.id}-{goal.issue}")
        taken.add(goal.id)
        merged.append(goal)
    return replace(config, goals=tuple(merged))


def merge_objectives(config: Config, issue_objectives: Sequence[Objective]) -> Config:
    """`config` with the objective issues merged into its written objectives."""
    by_key = {(o.quarter, o.id): o for o in issue_objectives}
    merged = [
        replace(o, issue=match.issue, owner=o.owner or match.owner)
        if (match := by_key.pop((o.quarter, o.id), None)) is not None
        else o
        for o in config.objectives
    ]
    return replace(config, objectives=(*merged, *by_key.values()))
