"""Goals that claim a PR by what they declare: labels, branch prefixes, scopes, paths, keywords.

Pure functions used by `core.review.linking` after the explicit rules (a reference, a
`goal:<id>` label or token, a `<goal-id>/` branch) and before unplanned work. The
rules run in this order, and the first that any goal matches wins:

1. ``goal-label``   — a PR label the goal lists in `labels` (any case);
2. ``goal-branch``  — the branch starts with one of the goal's `branches`;
3. ``goal-scope``   — the title's conventional-commit scope (`feat(replay): …`) is one
   of the goal's `scopes` (any case; `fix(replay,web):` has two scopes);
4. ``goal-paths``   — changed paths under the goal's `paths` (config globs, anchored
   at the root as in `owns.paths`);
5. ``goal-keyword`` — a title word or phrase from the goal's `keywords`, whole words,
   any case.

The order runs from what a person sets on purpose for this PR (a label, the branch
name, the title's scope) to what merely happens to fit (the files touched, a word).

Only goals of the PR's merge quarter claim, and not dropped ones: a Q3 goal's
`paths` never pull in Q4 work (a quarter without goals leaves its PRs unplanned,
which is what they are). Without a quarter, the latest quarter's goals claim.

When two goals match the same rule, the stronger match wins: the longer branch
prefix; more changed paths, then the more specific pattern; more keywords, then the
longer one. Still tied: the goal whose owners include the author (or a co-author),
then the goal of the author's (or a co-author's) team, then the goal listed first;
the reason names the other goal either way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from quarterdeck.core.model import Config, Goal, PullRequest
from quarterdeck.core.review.globs import (
    Specificity,
    is_directory_pattern,
    path_matches,
    specificity,
)
from quarterdeck.core.review.identities import shown_person
from quarterdeck.core.review.ownership import is_on
from quarterdeck.core.review.pr_messages import conventional
from quarterdeck.core.review.repositories import in_scope

__all__ = ["GoalMatch", "claiming_goals", "declared_goal", "title_scopes"]

GoalMatch = tuple[Goal, str, str]  # the goal, the rule id, the reason in words


@dataclass(frozen=True)
class _Candidate:
    goal: Goal
    strength: tuple[int, ...]  # larger is a stronger match
    reason: str


def claiming_goals(goals: Sequence[Goal], quarter: str | None) -> list[Goal]:
    """The goals whose declarations may claim a PR merged in `quarter`, in file order."""
    live = [g for g in goals if g.status != "dropped" and _declares_anything(g)]
    if quarter is None:
        quarter = max((g.quarter for g in live), default=None)
    return [g for g in live if g.quarter == quarter]


def _declares_anything(goal: Goal) -> bool:
    return bool(goal.paths or goal.labels or goal.branches or goal.scopes or goal.keywords)


def declared_goal(
    pr: PullRequest, goals: Sequence[Goal], config: Config, home: str | None = None
) -> GoalMatch | None:
    """The goal claiming `pr` by its declarations (`goals` from `claiming_goals`), or None.

    `home` is the repository a goal's plain `paths` belong to (None: the PR's own)."""
    if not goals:
        return None
    for rule, find in _RULES:
        found = [c for goal in goals if (c := find(pr, goal, home)) is not None]
        if found:
            chosen, tail = _pick(found, pr, config, graded=rule in _GRADED)
            return chosen.goal, rule, chosen.reason + tail
    return None


def _by_label(pr: PullRequest, goal: Goal, _home: str | None) -> _Candidate | None:
    declared = {label.casefold() for label in goal.labels}
    for position, label in enumerate(pr.labels):
        if label.casefold() in declared:
            # The PR's first label decides between goals declaring different labels.
            reason = f"label `{label}` is declared by goal {goal.id}"
            return _Candidate(goal, (-position,), reason)
    return None


def _by_branch(pr: PullRequest, goal: Goal, _home: str | None) -> _Candidate | None:
    if not pr.branch:
        return None
    prefixes = [p for p in goal.branches if p and pr.branch.startswith(p)]
    if not prefixes:
        return None
    prefix = max(prefixes, key=len)
    reason = f"branch `{pr.branch}` starts with `{prefix}`, a branch prefix of goal {goal.id}"
    return _Candidate(goal, (len(prefix),), reason)


def title_scopes(title: str) -> tuple[str, ...]:
    """The conventional-commit scopes of a title: `fix(replay, web): x` → (replay, web)."""
    prefix = conventional(title)
    return prefix.scopes if prefix else ()


def _by_scope(pr: PullRequest, goal: Goal, _home: str | None) -> _Candidate | None:
    declared = {scope.casefold() for scope in goal.scopes}
    for position, scope in enumerate(title_scopes(pr.title)):
        if scope.casefold() in declared:
            reason = f"title scope `{scope}` is declared by goal {goal.id}"
            return _Candidate(goal, (-position,), reason)
    return None


def _by_paths(pr: PullRequest, goal: Goal, home: str | None) -> _Candidate | None:
    used: dict[str, None] = {}
    best = Specificity(-1, -1)
    count = 0
    globs = {p: g for p in goal.paths if (g := in_scope(p, pr, home)) is not None}
    for path in pr.paths:
        matching = [p for p, glob in globs.items() if path_matches(path, glob)]
        if matching:
            count += 1
            pattern = max(matching, key=lambda p: specificity(globs[p]))
            used.setdefault(pattern, None)
            best = max(best, specificity(globs[pattern]))
    if not count:
        return None
    total = len(pr.paths)
    every_folder = all(is_directory_pattern(p) for p in used)
    verb = (
        ("is under" if every_folder else "matches")
        if count == 1
        else ("are under" if every_folder else "match")
    )
    noun = "changed path" if total == 1 else "changed paths"
    patterns = " and ".join(f"`{p}`" for p in used)
    reason = f"{count} of {total} {noun} {verb} goal {goal.id}'s {patterns}"
    return _Candidate(goal, (count, *best), reason)


def _by_keyword(pr: PullRequest, goal: Goal, _home: str | None) -> _Candidate | None:
    found = [k for k in dict.fromkeys(goal.keywords) if k.strip() and _word(k).search(pr.title)]
    if not found:
        return None
    quoted = " and ".join(f"`{k}`" for k in found)
    if len(found) == 1:
        reason = f"the title has `{found[0]}`, a keyword of goal {goal.id}"
    else:
        reason = f"the title has {quoted}, keywords of goal {goal.id}"
    return _Candidate(goal, (len(found), max(len(k) for k in found)), reason)


@lru_cache(maxsize=1024)
def _word(keyword: str) -> re.Pattern[str]:
    # Whole words: `replay` is not in `replayed`; inner spaces match any whitespace.
    body = r"\s+".join(re.escape(part) for part in keyword.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


_RULES: tuple[tuple[str, Callable[[PullRequest, Goal, str | None], _Candidate | None]], ...] = (
    ("goal-label", _by_label),
    ("goal-branch", _by_branch),
    ("goal-scope", _by_scope),
    ("goal-paths", _by_paths),
    ("goal-keyword", _by_keyword),
)


# Rules whose strength is a degree of fit; a label or scope only has an order.
_GRADED = {"goal-branch", "goal-paths", "goal-keyword"}


def _pick(
    found: list[_Candidate], pr: PullRequest, config: Config, *, graded: bool
) -> tuple[_Candidate, str]:
    """The strongest candidate, and what the reason adds about the others."""
    strongest = max(c.strength for c in found)
    tied = [c for c in found if c.strength == strongest]
    if len(tied) == 1:
        chosen = tied[0]
        weaker = [c.goal.id for c in found if c is not chosen]
        tail = f" (a closer match than goal {' and '.join(weaker)})" if weaker and graded else ""
        return chosen, tail
    people = [(pr.author, "author"), *((c, "co-author") for c in pr.co_authors)]
    for person, role in people:
        owning = [c for c in tied if any(o.casefold() == person.casefold() for o in c.goal.owners)]
        if len(owning) == 1:
            chosen = owning[0]
            return chosen, (
                f"; goal {_others(tied, chosen)} matches as well, and {role} "
                f"{shown_person(pr, person)} owns {chosen.goal.id}"
            )
    for person, role in people:
        home = [c for c in tied if (t := config.team(c.goal.team)) and is_on(person, t, config)]
        if len(home) == 1:
            chosen = home[0]
            return chosen, (
                f"; goal {_others(tied, chosen)} matches as well, and {role} "
                f"{shown_person(pr, person)} is on {chosen.goal.team}"
            )
    chosen = tied[0]
    return chosen, (
        f"; goal {_others(tied, chosen)} matches as well, and {chosen.goal.id} is listed "
        "first: give each goal its own labels, scopes or paths to decide"
    )


def _others(tied: list[_Candidate], chosen: _Candidate) -> str:
    return " and ".join(c.goal.id for c in tied if c is not chosen)
