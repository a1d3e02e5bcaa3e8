"""End of quarter: what became of each goal, for the planning meeting. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quarterdeck.core.review.progress import GoalProgress

SHIPPED, CARRIED_OVER, NOT_STARTED, DROPPED = "shipped", "carried over", "not started", "dropped"
OUTCOMES = (SHIPPED, CARRIED_OVER, NOT_STARTED, DROPPED)


@dataclass(frozen=True)
class GoalOutcome:
    """One goal at the end of its quarter."""

    progress: GoalProgress
    outcome: str  # one of OUTCOMES
    why: str  # the fact the outcome rests on, for a person to check


def outcome(progress: GoalProgress) -> GoalOutcome:
    """Shipped when the team says so (status, or every task ticked); dropped when they
    dropped it; not started when no PR moved it; otherwise work carries over."""
    goal = progress.goal
    tasks = progress.tasks_total or 0
    if goal.status == "shipped":
        return GoalOutcome(progress, SHIPPED, "status: shipped")
    if tasks and progress.tasks_done == tasks:
        return GoalOutcome(progress, SHIPPED, f"all {tasks} tasks done")
    if goal.status == "dropped":
        return GoalOutcome(progress, DROPPED, "status: dropped")
    if progress.shipped == 0:
        return GoalOutcome(progress, NOT_STARTED, "no PR linked this quarter")
    done = f", {progress.tasks_done} of {tasks} tasks done" if tasks else ""
    count = f"{progress.shipped} PR{'s' if progress.shipped != 1 else ''}"
    return GoalOutcome(progress, CARRIED_OVER, f"{count} shipped{done}, not marked shipped")


def outcomes(progress: Sequence[GoalProgress]) -> tuple[GoalOutcome, ...]:
    """Every goal's outcome, in the order given."""
    return tuple(outcome(p) for p in progress)
