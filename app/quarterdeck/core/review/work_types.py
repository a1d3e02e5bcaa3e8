"""What kind of work a PR is, and where in the code: how unplanned work is grouped.

The type comes from the PR's labels (`bug`, `enhancement`, `documentation`,
`dependencies`, also as `type/bug` or `kind: bug`), else from the title's
conventional-commit prefix (`fix:`, `feat(replay):`, `chore(deps):`), else from the
titles dependency bots write (`Bump x from 1 to 2`, `Update dependency x`); anything
else is "other". The area is the conventional-commit scope, else the top folder the
PR changed most files in (two levels under container folders such as `packages/`).
Deterministic and pure: no I/O, no guessing beyond these rules.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from quarterdeck.core.model import Link, PullRequest
from quarterdeck.core.review.pr_messages import conventional

# type id -> how the review names its group, in the order groups of equal size show.
TYPES: dict[str, str] = {
    "fix": "Fixes",
    "feat": "Features",
    "perf": "Performance",
    "refactor": "Refactoring",
    "docs": "Docs",
    "test": "Tests",
    "deps": "Dependencies",
    "build": "Build",
    "ci": "CI",
    "chore": "Chores",
    "style": "Style",
    "revert": "Reverts",
    "other": "Other",
}
# Words in labels and commit prefixes -> type id.
_WORDS: dict[str, str] = {
    "bug": "fix",
    "bugfix": "fix",
    "fix": "fix",
    "hotfix": "fix",
    "regression": "fix",
    "enhancement": "feat",
    "feature": "feat",
    "feat": "feat",
    "performance": "perf",
    "perf": "perf",
    "refactor": "refactor",
    "refactoring": "refactor",
    "documentation": "docs",
    "docs": "docs",
    "doc": "docs",
    "test": "test",
    "tests": "test",
    "testing": "test",
    "dependencies": "deps",
    "dependency": "deps",
    "deps": "deps",
    "dep": "deps",
    "build": "build",
    "ci": "ci",
    "chore": "chore",
    "maintenance": "chore",
    "style": "style",
    "revert": "revert",
}
_BOT_DEPS = re.compile(r"^\s*(?:bump \S+ from \S+ to \S+|update dependency \S+)", re.IGNORECASE)
_REVERT = re.compile(r'^\s*revert "', re.IGNORECASE)
_DEPS_SCOPES = {"deps", "dep", "dependencies", "deps-dev"}
# Folders that hold one project per subfolder: the area is the subfolder.
CONTAINERS = {"packages", "apps", "libs", "services", "plugins", "modules", "crates", "projects"}
TOP_LEVEL = "top level"
NO_FILES = "no files"
NOT_FOLDERS = (TOP_LEVEL, NO_FILES)  # areas that name no folder


def work_type(pr: PullRequest) -> str:
    """The PR's type id (a key of TYPES): labels first, then the title."""
    for label in pr.labels:
        word = re.split(r"[/:]", label.casefold())[-1].strip()
        if word in _WORDS:
            return _WORDS[word]
    prefix = conventional(pr.title)
    if prefix:
        if (prefix.scope or "").casefold() in _DEPS_SCOPES:
            return "deps"
        return _WORDS.get(prefix.type.casefold(), "other")
    if _BOT_DEPS.match(pr.title):
        return "deps"
    if _REVERT.match(pr.title):
        return "revert"
    return "other"


def folder_areas(pr: PullRequest) -> tuple[str, ...]:
    """The top folders the PR changed, most files first (ties by name)."""
    counts = Counter(_folder(path) for path in pr.paths)
    return tuple(sorted(counts, key=lambda area: (-counts[area], area)))


def area(pr: PullRequest) -> str:
    """Where the work is: the conventional-commit scope, else the main top folder."""
    prefix = conventional(pr.title)
    scope = (prefix.scope or "") if prefix else ""
    if scope and scope.casefold() not in _DEPS_SCOPES:
        return scope
    folders = folder_areas(pr)
    return folders[0] if folders else NO_FILES


def _folder(path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) == 1:
        return TOP_LEVEL
    if parts[0] in CONTAINERS and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


@dataclass(frozen=True)
class AreaGroup:
    """PRs of one area, in the order given (the review's: by merge time)."""

    area: str
    links: tuple[Link, ...]

    @property
    def authors(self) -> tuple[str, ...]:
        """Each author once, most PRs first (ties by first appearance)."""
        counts = Counter(link.pr.author for link in self.links)
        return tuple(sorted(counts, key=lambda a: -counts[a]))

    @property
    def guessed(self) -> frozenset[str]:
        """Authors known here only by a guessed login: shown as guesses."""
        sure = {link.pr.author for link in self.links if not link.pr.author_guessed}
        return frozenset(link.pr.author for link in self.links if link.pr.author not in sure)


@dataclass(frozen=True)
class TypeGroup:
    """PRs of one type, split by area, largest area first."""

    type: str  # a key of TYPES
    areas: tuple[AreaGroup, ...]

    @property
    def label(self) -> str:
        return TYPES[self.type]

    @property
    def count(self) -> int:
        return sum(len(group.links) for group in self.areas)


def group_by_type(links: Iterable[Link]) -> tuple[TypeGroup, ...]:
    """Links by type, then by area: largest groups first, ties in TYPES order and by name.

    Every link lands in exactly one (type, area) group, in its input order.
    """
    by_type: dict[str, list[Link]] = {}
    for link in links:
        by_type.setdefault(work_type(link.pr), []).append(link)
    order = list(TYPES)
    groups = [TypeGroup(kind, group_by_area(found)) for kind, found in by_type.items()]
    return tuple(sorted(groups, key=lambda g: (-g.count, order.index(g.type))))


def group_by_area(
    links: Iterable[Link], where: Callable[[PullRequest], str] = area
) -> tuple[AreaGroup, ...]:
    """Links by area (`area`, or `main_folder` to ignore scopes), largest first."""
    by_area: dict[str, list[Link]] = {}
    for link in links:
        by_area.setdefault(where(link.pr), []).append(link)
    groups = [AreaGroup(name, tuple(found)) for name, found in by_area.items()]
    return tuple(sorted(groups, key=lambda g: (-len(g.links), g.area)))


def main_folder(pr: PullRequest) -> str:
    """The top folder the PR changed most files in, ignoring its title's scope."""
    folders = folder_areas(pr)
    return folders[0] if folders else NO_FILES
