"""A repository's CODEOWNERS file, read the way GitHub reads it.

GitHub's rules ("About code owners"):

- the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS` is the file;
- each line is a pattern and zero or more owners (`@user`, `@org/team` or an email);
  `#` starts a comment, also after a pattern;
- patterns are gitignore's, except that `!` negation, `[ ]` ranges and escaping a
  leading `#` with `\\` do not work; paths are case sensitive;
- the LAST matching line decides, and a line with no owners leaves the path unowned;
- a line with invalid syntax is skipped (the rest of the file still counts).

Matching uses `pathspec`'s `GitIgnoreBasicPattern`: gitignore as documented, which is
what GitHub follows, e.g. `docs/*` owns `docs/a.md` but not `docs/sub/b.md` (pathspec's
older `GitWildMatchPattern` mimics git's directory pruning and would match both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from quarterdeck.errors import Problem

if TYPE_CHECKING:
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

__all__ = [
    "CODEOWNERS_PATHS",
    "Codeowners",
    "Rule",
    "is_owner",
    "parse_codeowners",
    "specificity_of",
]

# Where GitHub looks, in its order: the first file that exists is the only one read.
CODEOWNERS_PATHS: tuple[str, ...] = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_WILDCARDS = frozenset("*?")
# `@login`, `@org/team` (logins: letters, digits, single hyphens; team slugs also
# take `_` and `.`), or an email address.
_OWNER = re.compile(
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:/[A-Za-z0-9._-]+)?"
    r"|[^@\s]+@[^@\s]+\.[^@\s]+"
)
# Owners and patterns are separated by whitespace; `\ ` keeps a space in a pattern.
_FIELDS = re.compile(r"(?:\\.|\S)+")


@dataclass(frozen=True)
class Rule:
    """One line of a CODEOWNERS file that owns (or, with no owners, disowns) paths."""

    line: int
    pattern: str
    owners: tuple[str, ...]

    @cached_property
    def _compiled(self) -> GitIgnoreBasicPattern:
        return _pattern(self.pattern)

    @property
    def anchored(self) -> bool:
        """Whether the pattern is tied to the repository root (see `specificity`)."""
        return _is_anchored(self.pattern)

    @property
    def specificity(self) -> tuple[int, int]:
        """How specific the pattern is, to compare with other ownership patterns.

        `(literal leading segments, literal characters)`: `/packages/browser/src/`
        beats `/packages/`, which beats `*.js`. A pattern that floats to any depth
        (`apps/`, `*.md`) has no leading segments: it says nothing about where.
        """
        return specificity_of(self.pattern.lstrip("/"), anchored=self.anchored)

    def matches(self, path: str) -> bool:
        """Whether this line's pattern covers the repo-relative `path`."""
        path = path.lstrip("/")
        return bool(path) and self._compiled.match_file(path) is not None


@dataclass(frozen=True)
class Codeowners:
    """A parsed CODEOWNERS file: its valid rules in file order and what was skipped."""

    source: str
    rules: tuple[Rule, ...] = ()
    problems: tuple[Problem, ...] = field(default=())

    def rule_for(self, path: str) -> Rule | None:
        """The line that decides `path`'s owners: the last one that matches."""
        return next((r for r in reversed(self.rules) if r.matches(path)), None)

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners of `path`; empty when no line matches or the deciding line has none."""
        rule = self.rule_for(path)
        return rule.owners if rule is not None else ()

    def entries(self) -> frozenset[str]:
        """Every owner named anywhere in the file (`@org/team`, `@user`, emails)."""
        return frozenset(owner for rule in self.rules for owner in rule.owners)


def parse_codeowners(text: str, source: str) -> Codeowners:
    """Parse CODEOWNERS `text`; `source` (e.g. `.github/CODEOWNERS`) locates problems.

    Lines GitHub would skip are left out of the rules and reported as warnings with
    `source:line`, since GitHub still uses the rest of the file.
    """
    rules: list[Rule] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = _fields(raw)
        if not fields:
            continue
        pattern, owners = fields[0], tuple(fields[1:])
        error = _pattern_error(pattern) or _owners_error(owners)
        if error:
            problems.append(Problem(source, number, "", error, severity="warning"))
            continue
        rules.append(Rule(number, pattern, owners))
    return Codeowners(source, tuple(rules), tuple(problems))


def specificity_of(pattern: str, *, anchored: bool = True) -> tuple[int, int]:
    """`(literal leading segments, literal characters)` of a root-relative glob.

    Shared with config path patterns (always anchored) so both kinds compare on one
    scale. Slashes do not count as characters; `*`, `?` and `**` never do.
    """
    segments = [s for s in pattern.split("/") if s]
    leading = 0
    if anchored:
        for segment in segments:
            if _WILDCARDS & set(segment):
                break
            leading += 1
    chars = sum(1 for s in segments for c in s if c not in _WILDCARDS)
    return leading, chars


def is_owner(text: str) -> bool:
    """Whether `text` is written as a CODEOWNERS owner: `@user`, `@org/team` or an email."""
    return _OWNER.fullmatch(text) is not None


def _fields(line: str) -> list[str]:
    fields: list[str] = []
    for found in _FIELDS.finditer(line):
        if found.group().startswith("#"):
            break  # a comment: the whole line, or the rest of it
        fields.append(found.group())
    return fields


def _pattern_error(pattern: str) -> str:
    if pattern.startswith("!"):
        return f"`{pattern}`: negation with `!` does not work in CODEOWNERS; line skipped"
    if "[" in pattern or "]" in pattern:
        return f"`{pattern}`: `[ ]` ranges do not work in CODEOWNERS; line skipped"
    if pattern.startswith("\\#"):
        return f"`{pattern}`: escaping `#` does not work in CODEOWNERS; line skipped"
    if "***" in pattern:
        return f"`{pattern}`: a pattern cannot hold `***`; line skipped"
    if pattern.strip("/") == "":
        return f"`{pattern}` matches nothing; line skipped"
    try:
        _pattern(pattern)
    except ValueError as exc:
        return f"`{pattern}` is not a valid pattern ({exc}); line skipped"
    return ""


def _owners_error(owners: tuple[str, ...]) -> str:
    bad = [owner for owner in owners if not _OWNER.fullmatch(owner)]
    if bad:
        return (
            f"{', '.join(f'`{b}`' for b in bad)} is not an owner "
            "(write @user, @org/team or an email address); line skipped"
        )
    return ""


def _is_anchored(pattern: str) -> bool:
    # gitignore: a slash at the start or in the middle ties the pattern to the root.
    return "/" in pattern.rstrip("/")


def _pattern(text: str) -> GitIgnoreBasicPattern:
    """`text` compiled by pathspec, imported here, on first use: a review whose config
    names no CODEOWNERS entry never loads it (start-up; benchmarks/startup.py)."""
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

    return GitIgnoreBasicPattern(text)
