"""Goals grouped under the company objectives they serve, for reviews and reports. Pure.

Groups come in the order the objectives were written; then one group per id that
goals name but the quarter has no objective of (a typo `validate` reports, shown
rather than hidden); then the goals that serve no objective.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from quarterdeck.core.model import Goal, Objective

__all__ = ["NO_OBJECTIVE", "ObjectiveGroup", "group_by_objective"]

NO_OBJECTIVE = "No company objective"

T = TypeVar("T")


@dataclass(frozen=True)
class ObjectiveGroup(Generic[T]):
    """The items (goal progress, outcomes …) whose goals serve one objective."""

    objective: Objective | None  # None: an unknown id (`named`), or no objective at all
    named: str | None  # the id the goals name; None for the goals that name none
    items: tuple[T, ...]

    @property
    def serves_none(self) -> bool:
        """The group of goals that name no objective."""
        return self.objective is None and self.named is None


def group_by_objective(
    items: Sequence[T],
    goal_of: Callable[[T], Goal],
    objectives: Sequence[Objective],
    *,
    every_objective: bool = False,
) -> tuple[ObjectiveGroup[T], ...]:
    """`items` grouped by the objective their goal names, among `objectives` (one
    quarter's); `every_objective` keeps objectives no item serves, as empty groups.
    Within a group, items keep their order."""
    known = {o.id: o for o in objectives}
    by_id: dict[str | None, list[T]] = {}
    for item in items:
        by_id.setdefault(goal_of(item).objective, []).append(item)
    groups = [
        ObjectiveGroup(o, o.id, tuple(by_id.get(o.id, ())))
        for o in objectives
        if every_objective or o.id in by_id
    ]
    groups += [
        ObjectiveGroup(None, named, tuple(found))
        for named, found in by_id.items()
        if named is not None and named not in known
    ]
    if None in by_id:
        groups.append(ObjectiveGroup(None, None, tuple(by_id[None])))
    return tuple(groups)
