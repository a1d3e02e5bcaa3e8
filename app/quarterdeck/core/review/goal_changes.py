"""What changed in a team's goals between two versions of a goals file, and what last
month's review carries into this one. Pure.

Goals are compared by id within one quarter: a goal that disappeared (or whose
status became `dropped`) was dropped; a new id was added; a changed title or
`paths` is a re-scope; changed owners are new owners; a changed `team` is a goal
moved to another team (or taken over from one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Goal
from quarterdeck.core.review.decisions import CHANGE_COURSE, Record, Ticked

__all__ = ["CarriedForward", "GoalChange", "goal_changes", "goals_in_file"]

ChangeKind = Literal["added", "dropped", "re-scoped", "new owners", "moved out", "moved in"]


@dataclass(frozen=True)
class GoalChange:
    """One change to one of the team's goals since last month's review."""

    kind: ChangeKind
    goal_id: str
    title: str
    detail: str = ""  # in words: `"Old" → "New"`, `owners: +carol −bob`, `to team web`


@dataclass(frozen=True)
class CarriedForward:
    """Last month's decision and what changed in the team's goals since."""

    month: Month  # the month the last review covered
    since: datetime  # goals are compared as they stood then and as they stand now
    decision: Record | None = None  # as recorded on last month's issue
    ticked: Ticked = "none"  # what its boxes say (when nothing was recorded)
    issue: int | None = None  # last month's review issue, when found (GitHub mode)
    issue_url: str = ""
    changes: tuple[GoalChange, ...] = ()
    # Why the goals' history could not be read ("" when it was): said, never guessed.
    history_unavailable: str = ""
    new_quarter: bool = False  # the first review of a quarter: its goals are new
    read_issue: bool = False  # last month's review issue was found and read

    @property
    def changed_course_in_name_only(self) -> bool:
        """ "Change course" was decided, and no goal changed since: worth discussing."""
        return (
            self.decision is not None
            and self.decision.choice == CHANGE_COURSE
            and not self.changes
            and not self.history_unavailable
        )


def goals_in_file(file: str, text: str | None) -> list[Goal]:
    """The goals of one goals file's text (`goals/2026-Q4.yml`); [] when absent or unreadable.

    An old version is read as it was: no checks against today's config.
    """
    if text is None:
        return []
    # The goals file's validators (pydantic) load with the first file read: a
    # repository without goals files reviews without them.
    from quarterdeck.core.config.loading import parse_goals, quarter_of_goals_file
    from quarterdeck.core.config.to_domain import to_goal

    parsed, _ = parse_goals(text, file)
    if parsed is None:
        return []
    quarter = quarter_of_goals_file(file) or ""
    return [to_goal(spec, quarter) for _, spec in parsed[0]]


def goal_changes(
    before: Sequence[Goal], after: Sequence[Goal], team: str, quarter: str
) -> tuple[GoalChange, ...]:
    """The changes to `team`'s goals of `quarter` from `before` to `after`, in order:
    first what happened to the goals it had, in their order, then the new ones."""
    then = {g.id: g for g in before if g.quarter == quarter}
    now = {g.id: g for g in after if g.quarter == quarter}
    changes: list[GoalChange] = []
    for old in then.values():
        if old.team != team or old.status == "dropped":
            continue
        new = now.get(old.id)
        if new is None or new.status == "dropped":
            changes.append(GoalChange("dropped", old.id, old.title))
            continue
        if new.team != team:
            changes.append(GoalChange("moved out", old.id, new.title, f"to team {new.team}"))
            continue
        changes += _edits(old, new)
    for new in now.values():
        if new.team != team or new.status == "dropped":
            continue
        was = then.get(new.id)
        if was is None or (was.status == "dropped" and was.team == team):
            changes.append(GoalChange("added", new.id, new.title))
        elif was.team != team:
            changes.append(GoalChange("moved in", new.id, new.title, f"from team {was.team}"))
    return tuple(changes)


def _edits(old: Goal, new: Goal) -> list[GoalChange]:
    found: list[GoalChange] = []
    scope: list[str] = []
    if old.title != new.title:
        scope.append(f"“{old.title}” → “{new.title}”")
    if set(old.paths) != set(new.paths):
        scope.append(_diff("paths", old.paths, new.paths))
    if scope:
        found.append(GoalChange("re-scoped", new.id, new.title, "; ".join(scope)))
    if {o.casefold() for o in old.owners} != {o.casefold() for o in new.owners}:
        found.append(
            GoalChange("new owners", new.id, new.title, _diff("owners", old.owners, new.owners))
        )
    return found


def _diff(what: str, old: Sequence[str], new: Sequence[str]) -> str:
    gone = [x for x in old if x not in new]
    came = [x for x in new if x not in old]
    return f"{what}: " + " ".join([*(f"+{x}" for x in came), *(f"−{x}" for x in gone)])
