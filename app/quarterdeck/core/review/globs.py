"""Ownership globs of the config (`owns.paths`, a goal's `paths`) and how specific they are.

Config patterns are anchored at the repository root; see `path_matches`. CODEOWNERS
patterns have their own, gitignore-like syntax (`core.review.codeowners`) but are ranked by
the same `Specificity`, so the two kinds compete on equal terms.

Specificity: a pattern is more specific than another when it has more literal
leading segments (the path segments before the first one holding a `*`, `?` or
`[`), then when it has more literal characters (everything but `/` and glob
characters). `packages/browser/src/extensions/replay/**` (5 segments) beats
`packages/browser/**` (2); `frontend/*.ts` beats `frontend/**` on characters.
A pattern that matches at any depth (CODEOWNERS' `*.js`, `docs/`) has no literal
leading segments.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from quarterdeck.core.review.codeowners import specificity_of

__all__ = ["Specificity", "is_directory_pattern", "path_matches", "specificity"]

_CLASS = re.compile(r"\[[^\]]*\]")


class Specificity(NamedTuple):
    """How precisely a pattern names its files; a larger value is more specific."""

    segments: int  # literal leading path segments
    characters: int  # literal characters, separators excluded


def specificity(pattern: str) -> Specificity:
    """The `Specificity` of a config glob (always anchored at the root)."""
    # A character class (`[ab]`) stands for one unknown character, like `?`.
    return Specificity(*specificity_of(_CLASS.sub("?", pattern.strip().strip("/"))))


def path_matches(path: str, pattern: str) -> bool:
    """Whether a repo-relative path falls under an ownership glob.

    Patterns are anchored at the repo root. ``*`` and ``?`` stay within one path
    segment, ``**`` spans any number of segments (``a/**/b`` matches ``a/b``), and
    ``[...]`` is a character class as in fnmatch. A pattern ending in ``/`` or without
    any glob character names a directory (or file) and matches everything under it.
    A pattern without a slash is still anchored: write ``**/*.md`` for any depth.
    """
    return _compile(pattern).fullmatch(path.lstrip("/")) is not None


def is_directory_pattern(pattern: str) -> bool:
    """Whether a pattern names a folder (its reason reads "are under" rather than "match")."""
    return pattern.endswith(("/", "/**")) or not any(c in pattern for c in "*?[")


_DOUBLE_STAR = {
    (True, True): ".*",
    (True, False): "(?:.*/)?",
    (False, True): "(?:/.*)?",
    (False, False): "(?:/.*)?/",
}


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    elif not any(c in pattern for c in "*?["):
        pattern += "/**"  # a plain name owns itself and everything under it
    segments: list[str] = []
    for segment in pattern.split("/"):
        if not (segment == "**" and segments and segments[-1] == "**"):
            segments.append(segment)  # `**/**` means no more than `**`
    parts: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            # Zero or more whole segments, separators included, so `a/**/b` matches
            # `a/b` and `a/x/y/b` but not `ab`; a trailing one matches the bare `a` too.
            parts.append(_DOUBLE_STAR[(i == 0, last)])
            continue
        parts.append(_segment(segment))
        if not last and segments[i + 1] != "**":
            parts.append("/")
    return re.compile("".join(parts))


def _segment(segment: str) -> str:
    """One path segment of a glob as a regex; `*`/`?` never cross a `/`."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # `a**b` inside a segment is just `*`, as in gitignore
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            if not negate and body.startswith("^"):
                body = "\\" + body  # a literal caret, as fnmatch reads `[^a]`
            out.append("[" + ("^/" if negate else "") + body + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
