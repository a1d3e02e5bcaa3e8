"""The quarter's planning issue, per team: what it holds and how it is marked. Pure.

One issue per team for the NEXT quarter, made from the quarter report of the one
ending, the next quarter's company objectives and the goals file `goals new` writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from quarterdeck.core.calendar import Month, is_quarter, quarter_start
from quarterdeck.core.model import MAX_TEAM_SIZE, Objective, Team
from quarterdeck.core.review.quarter_decisions import MonthDecision
from quarterdeck.core.review.quarter_outcome import GoalOutcome
from quarterdeck.core.text.markers import marker

__all__ = [
    "MAX_TEAM_SIZE",
    "PLANNING_DAYS",
    "TeamPlan",
    "landed_goals_files",
    "landed_marker",
    "plan_title",
    "planning_window",
    "quarter_to_plan",
    "yaml_fence",
]

PLANNING_DAYS = 14  # planning issues open in the last two weeks of the quarter before


@dataclass(frozen=True)
class TeamPlan:
    """What one team's planning issue for `quarter` shows."""

    quarter: str  # the quarter being planned, e.g. 2027-Q1
    previous: str  # the quarter ending, whose outcomes are shown
    slug: str
    team: Team | None
    goals: tuple[GoalOutcome, ...]  # the previous quarter's goals with their outcomes
    objectives: tuple[Objective, ...]  # the planned quarter's company objectives
    stub_path: str  # where the goals file goes, e.g. goals/2027-Q1.yml
    stub: str  # the goals file `goals new` writes, ready to commit
    # The decisions of the reviews held in `previous`, a month each; None: not read
    # (offline: they live on GitHub's review issues)
    decisions: tuple[MonthDecision, ...] | None = None
    repo_url: str = ""
    repos: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        """The team's people (lead, PM and members, each once)."""
        return len(self.team.people) if self.team else 0

    @property
    def too_big(self) -> bool:
        """More people than a team works best with: time to split it."""
        return self.size > MAX_TEAM_SIZE

    @property
    def max_size(self) -> int:
        return MAX_TEAM_SIZE

    @property
    def stub_block(self) -> str:
        """The goals file in a fenced yaml block, ready to copy."""
        return yaml_fence(self.stub)


def landed_marker(team: str, quarter: str) -> str:
    """The hidden marker of the comment that closes a planning issue once the goals
    file has landed: found again, it is never written (or the issue closed) twice."""
    return marker("plan-landed", team=team, quarter=quarter)


def planning_window(quarter: str) -> tuple[date, date]:
    """The first and last day on which `quarter`'s planning issues are opened: the
    last PLANNING_DAYS days of the quarter before it (UTC)."""
    start = quarter_start(quarter).date()
    return start - timedelta(days=PLANNING_DAYS), start - timedelta(days=1)


def quarter_to_plan(today: Month) -> str:
    """The quarter `plan` works on by default: in a quarter's last month the next one;
    earlier, the current one, whose planning issues stay open until its goals file
    lands (a push of that file in the quarter's first weeks closes them)."""
    if today.month_of_quarter == 3:
        return today.next().quarter
    return today.quarter


def landed_goals_files(
    commits: Iterable[Mapping[str, Any]], goals_dir: str | None
) -> dict[str, str]:
    """The quarters whose goals file a push leaves on the branch, with its path: from
    the payload's commits, oldest first (a file added then removed has not landed).
    `goals_dir` None takes a quarter's file in any folder: a check that needs no config."""
    folder = goals_dir.strip("/") if goals_dir is not None else None
    present: dict[str, str] = {}
    for commit in commits:
        for kind in ("added", "modified", "removed"):
            for path in commit.get(kind) or ():
                quarter = _goals_file_quarter(str(path), folder)
                if quarter is None:
                    continue
                if kind == "removed":
                    present.pop(quarter, None)
                else:
                    present[quarter] = str(path)
    return present


def _goals_file_quarter(path: str, folder: str | None) -> str | None:
    parent, _, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    if folder is not None and parent != folder:
        return None
    return stem if dot and suffix in ("yml", "yaml") and is_quarter(stem) else None


def plan_title(team: str, quarter: str) -> str:
    """The planning issue's title."""
    return f"Planning {quarter}: {team}"


def yaml_fence(text: str) -> str:
    """`text` in a ```yaml fence longer than any backtick run in it, so a goal title
    holding backticks cannot close the block early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}yaml\n{text.rstrip(chr(10))}\n{ticks}"
