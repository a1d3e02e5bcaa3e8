"""Goals tracked as GitHub issues: what an issue's labels, assignees and body mean, and
how the issues join the goals files' goals into one list.

A goal issue carries the goal label (`goal` by default), one `quarter:YYYY-Qn` label
and one `team:<slug>` label. Its title is the goal, its assignees the owners.

The goal's id, first rule that matches:

1. the hidden marker `<!-- quarterdeck:goal id=<slug> -->` (written by `goals sync`);
2. a line `id: <slug>` in the body (outside code blocks), for issues people open;
3. else the title as a slug: lowercase ASCII letters and digits, every other run of
   characters one hyphen, at most 40 characters cut at a hyphen; `issue-<N>` if
   nothing is left. A retitled issue then gets a new id, so pin it with rule 2.

Status: a `status:<value>` label wins (planned, in-progress, shipped, dropped,
carried-over); else a closed issue is `dropped` when closed as not planned and
`shipped` otherwise; an open issue is `in-progress` once a task is ticked, else
`planned`.

Tasks: the items of the task list under a "What we'll ship" heading (any level, or a
line that is just that phrase in bold), up to the next heading of the same or a
higher level: `- [ ]` open, `- [x]` done, nested items included.

Objective: a line `objective: <id>` in the body (outside code blocks) names the
company objective the goal serves.

Company objectives can be issues too: the objective label (`objective` by default)
and one `quarter:YYYY-Qn` label. The title is the objective, the first assignee its
owner (the exec), the body (without hidden markers and the `id:` line) its
description; the id follows the goal rules above, with a `quarterdeck:objective`
marker. Open or closed, it stays the quarter's objective.

Merged with the goals files' goals (`merge_goals`), an issue fills in what only it
knows. A file goal and an issue goal are the same goal when the file says `issue: N`
and the issue is #N, or, for a file goal without `issue:`, when both carry the same id
(the id `goals sync` writes into the issue's hidden marker). Then, field by field:

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

Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.model import GOAL_STATUSES, Config, Goal, Objective
from quarterdeck.core.review.linking import strip_comments
from quarterdeck.core.text.markers import marker, read_marker
from quarterdeck.core.vocabulary import (
    QUARTER_PREFIX,
    STATUS_PREFIX,
    TEAM_PREFIX,
    label_values,
)
from quarterdeck.errors import Problem

GOAL_MARKER_KIND = "goal"
OBJECTIVE_MARKER_KIND = "objective"
MAX_ID_LENGTH = 40
MAX_DESCRIPTION = 1_000  # an objective issue's description, as the reports show it

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ID_LINE = re.compile(r"^[ \t]*id:[ \t]*`?([a-z0-9][a-z0-9-]*)`?[ \t]*$", re.MULTILINE)
_OBJECTIVE_LINE = re.compile(
    r"^[ \t]*objective:[ \t]*`?([a-z0-9][a-z0-9-]*)`?[ \t]*$", re.MULTILINE | re.IGNORECASE
)

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.MULTILINE | re.DOTALL)
# The closing `#`s and spaces are cut off in code (`rstrip`): a lazy `(.*?)` before
# `[ \t#]*$` retried the tail from every character, quadratic on a line of `# # #`.
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*)$")
_BOLD_LINE = re.compile(r"^[ \t]*(\*\*|__)(.+?)\1[ \t]*$")
_TASK = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[([ xX])\][ \t]")
_SHIP_TITLE = re.compile(r"^what we(?:'|’|&#39;)?ll ship:?$", re.IGNORECASE)


@dataclass(frozen=True)
class IssueSnapshot:
    """The parts of a GitHub issue Quarterdeck reads, as plain data."""

    number: int
    title: str
    body: str
    state: str  # open | closed
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    state_reason: str | None = None  # completed | not_planned | reopened | None
    url: str = ""
    # Opened by a bot that is not Quarterdeck: its hidden markers are only text, so it is
    # never taken as a goal's issue by marker, nor closed as a duplicate of one.
    other_bot: bool = False


def goal_marker(goal_id: str) -> str:
    """The hidden marker that ties an issue body to the goal with this id."""
    return marker(GOAL_MARKER_KIND, id=goal_id)


def marker_goal_id(body: str | None, kind: str = GOAL_MARKER_KIND) -> str | None:
    """The id in the body's `quarterdeck:goal` marker (or `kind`'s), if it has one."""
    goal_id = (read_marker(body, kind) or {}).get("id", "")
    return goal_id if _SLUG.match(goal_id) else None


def slugify(title: str, number: int) -> str:
    """Rule 3: the title as an id (see the module docstring)."""
    text = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(text) > MAX_ID_LENGTH:
        cut = text[: MAX_ID_LENGTH + 1]
        text = cut.rsplit("-", 1)[0] if "-" in cut else text[:MAX_ID_LENGTH]
    return text.strip("-") or f"issue-{number}"


def goal_id_of(issue: IssueSnapshot, kind: str = GOAL_MARKER_KIND) -> tuple[str, bool]:
    """(id, explicit): the issue's goal id (or objective id, by `kind`'s marker) and
    whether marker or `id:` line gave it."""
    from_marker = marker_goal_id(issue.body, kind)
    if from_marker:
        return from_marker, True
    found = _ID_LINE.search(_FENCE.sub("", issue.body or ""))
    if found and len(found.group(1)) <= 100:
        return found.group(1), True
    return slugify(issue.title, issue.number), False


def count_tasks(body: str | None) -> tuple[int, int] | None:
    """(done, total) of the "What we'll ship" task list; None without items."""
    lines = _FENCE.sub("", body or "").splitlines()
    level: int | None = None  # the heading's level once found; 7 for a bold line
    done = total = 0
    for line in lines:
        heading = _HEADING.match(line)
        if level is not None and heading and len(heading.group(1)) <= level:
            break
        if level is None:
            if heading and _SHIP_TITLE.match(heading.group(2).rstrip(" \t#").strip()):
                level = len(heading.group(1))
            else:
                bold = _BOLD_LINE.match(line)
                if bold and _SHIP_TITLE.match(bold.group(2).strip()):
                    level = 7
            continue
        task = _TASK.match(line)
        if task:
            total += 1
            done += task.group(1) != " "
    return (done, total) if total else None


def status_of(issue: IssueSnapshot, tasks: tuple[int, int] | None) -> str:
    """The goal's status from the issue's labels and state (see the module docstring)."""
    for label in issue.labels:
        value = label[len(STATUS_PREFIX) :].strip().lower()
        if label.lower().startswith(STATUS_PREFIX) and value in GOAL_STATUSES:
            return value
    if issue.state == "closed":
        return "dropped" if issue.state_reason == "not_planned" else "shipped"
    return "in-progress" if tasks and tasks[0] else "planned"


def is_goal_issue(issue: IssueSnapshot, goal_label: str) -> bool:
    return goal_label.lower() in (label.lower() for label in issue.labels)


def goal_from_issue(issue: IssueSnapshot, config: Config) -> tuple[Goal | None, list[Problem]]:
    """The goal an issue describes, or None and the problems that stop it being one.

    A missing or repeated `quarter:`/`team:` label is an error (the goal is left out,
    and said so); a team the config doesn't define is a warning (the goal is kept).
    """
    where = f"issue #{issue.number}"
    quarter, problems = _quarter_of(issue, "goal")
    teams = label_values(issue.labels, TEAM_PREFIX)
    team_key = f"{TEAM_PREFIX}<slug>"
    if not teams:
        problems.append(_missing_label(issue, "goal", team_key, "team:growth"))
    elif len(teams) > 1:
        problems.append(_repeated_labels(issue, "goal", team_key, TEAM_PREFIX, teams))
    if len(teams) == 1 and not _SLUG.match(teams[0]):
        problems.append(
            Problem(where, None, team_key, f"label `team:{teams[0]}` is not a team slug")
        )
    if problems or quarter is None:
        return None, problems
    team = teams[0]
    if config.teams and config.team(team) is None:
        problems.append(
            Problem(
                where,
                None,
                team_key,
                f"team {team!r} is not defined in .github/quarterdeck.yml; "
                "fix the label or add the team",
                severity="warning",
            )
        )
    tasks = count_tasks(issue.body)
    goal_id, _ = goal_id_of(issue)
    goal = Goal(
        id=goal_id,
        title=issue.title.strip(),
        team=team,
        quarter=quarter,
        owners=issue.assignees,
        issue=issue.number,
        status=status_of(issue, tasks),
        objective=objective_of(issue.body),
        tasks_done=tasks[0] if tasks else None,
        tasks_total=tasks[1] if tasks else None,
    )
    return goal, problems


def goals_from_issues(
    issues: list[IssueSnapshot], config: Config
) -> tuple[list[Goal], list[Problem]]:
    """The goals of every goal-labelled issue (PRs excluded by the caller), with problems.

    Two issues that come out with the same id keep it on the lower number; the other
    becomes `<id>-<number>` so no goal hides another.
    """
    goals: list[Goal] = []
    problems: list[Problem] = []
    taken: set[str] = set()
    for issue in sorted(issues, key=lambda i: i.number):
        if not is_goal_issue(issue, config.goal_label):
            continue
        goal, found = goal_from_issue(issue, config)
        problems += found
        if goal is None:
            continue
        if goal.id in taken:
            problems.append(
                Problem(
                    f"issue #{issue.number}",
                    None,
                    "id",
                    f"goal id {goal.id!r} is already used by another goal issue; "
                    f"read as {goal.id}-{issue.number} (give it its own `id:` line)",
                    severity="warning",
                )
            )
            goal = replace(goal, id=f"{goal.id}-{issue.number}")
        taken.add(goal.id)
        goals.append(goal)
    return goals, problems


def objective_of(body: str | None) -> str | None:
    """The id of a goal issue's `objective: <id>` line (outside code blocks), if any."""
    found = _OBJECTIVE_LINE.search(_FENCE.sub("", body or ""))
    return found.group(1) if found and len(found.group(1)) <= 100 else None


def _quarter_of(issue: IssueSnapshot, what: str) -> tuple[str | None, list[Problem]]:
    """The quarter of an issue's one `quarter:` label, or the problems that stop it."""
    where = f"issue #{issue.number}"
    quarters = label_values(issue.labels, QUARTER_PREFIX)
    key = f"{QUARTER_PREFIX}YYYY-Qn"
    if not quarters:
        return None, [_missing_label(issue, what, key, "quarter:2026-Q4")]
    if len(quarters) > 1:
        return None, [_repeated_labels(issue, what, key, QUARTER_PREFIX, quarters)]
    if not is_quarter(quarters[0].upper()):
        return None, [
            Problem(
                where,
                None,
                key,
                f"label `quarter:{quarters[0]}` does not name a quarter; use YYYY-Qn, "
                "e.g. `quarter:2026-Q4`",
            )
        ]
    return quarters[0].upper(), []


def _missing_label(issue: IssueSnapshot, what: str, key: str, example: str) -> Problem:
    return Problem(
        f"issue #{issue.number}",
        None,
        key,
        f"{what} issue {issue.title!r} has no `{key}` label; add one (e.g. `{example}`), "
        f"until then it is left out of the {what}s",
    )


def _repeated_labels(
    issue: IssueSnapshot, what: str, key: str, prefix: str, values: list[str]
) -> Problem:
    shown = ", ".join(f"`{prefix}{v}`" for v in values)
    message = f"{what} issue has {len(values)} labels {shown}; keep one"
    return Problem(f"issue #{issue.number}", None, key, message)


def objective_from_issue(issue: IssueSnapshot) -> tuple[Objective | None, list[Problem]]:
    """The company objective an issue describes, or None and the problems that stop it.

    A missing, repeated or malformed `quarter:` label is an error (left out, and said);
    no assignee, or several, is a warning (kept: without an owner, or the first's).
    """
    quarter, problems = _quarter_of(issue, "objective")
    if quarter is None:
        return None, problems
    where = f"issue #{issue.number}"
    if not issue.assignees:
        problems.append(
            Problem(
                where,
                None,
                "owner",
                f"objective issue {issue.title!r} has no assignee; assign the exec who owns it",
                "warning",
            )
        )
    elif len(issue.assignees) > 1:
        problems.append(
            Problem(
                where,
                None,
                "owner",
                f"objective issue has {len(issue.assignees)} assignees; an objective has one "
                f"owner, so {issue.assignees[0]!r} is read as it: unassign the others",
                "warning",
            )
        )
    objective_id, _ = goal_id_of(issue, OBJECTIVE_MARKER_KIND)
    # Markers and other hidden comments are not the description (scanned linearly).
    text = _ID_LINE.sub("", strip_comments(issue.body or "")).strip()
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rstrip() + "…"
    objective = Objective(
        id=objective_id,
        title=issue.title.strip(),
        quarter=quarter,
        owner=issue.assignees[0] if issue.assignees else None,
        description=text,
        issue=issue.number,
        source=where,
    )
    return objective, problems


def objectives_from_issues(
    issues: list[IssueSnapshot], label: str
) -> tuple[list[Objective], list[Problem]]:
    """The objectives of every issue labelled `label` (PRs excluded by the caller).

    Two issues of a quarter that come out with the same id keep it on the lower number;
    the other becomes `<id>-<number>`, so neither hides the other.
    """
    objectives: list[Objective] = []
    problems: list[Problem] = []
    taken: set[tuple[str, str]] = set()
    for issue in sorted(issues, key=lambda i: i.number):
        if not is_goal_issue(issue, label):
            continue
        objective, found = objective_from_issue(issue)
        problems += found
        if objective is None:
            continue
        if (objective.quarter, objective.id) in taken:
            problems.append(
                Problem(
                    f"issue #{issue.number}",
                    None,
                    "id",
                    f"objective id {objective.id!r} is already used by another objective issue "
                    f"of {objective.quarter}; read as {objective.id}-{issue.number} (give it "
                    "its own `id:` line)",
                    "warning",
                )
            )
            objective = replace(objective, id=f"{objective.id}-{issue.number}")
        taken.add((objective.quarter, objective.id))
        objectives.append(objective)
    return objectives, problems


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
