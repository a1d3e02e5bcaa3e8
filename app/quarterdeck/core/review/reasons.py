"""A link's reason in a few words, for the one line a PR gets in a list.

`Link.rule` is an id (`paths`, `none`, …) and `Link.reason` a full sentence; a list
line needs something in between: "via team paths", "no team owns these paths". Rule
ids this table does not know yet (linking grows new rules) fall back to the reason,
shortened at a word. Pure functions, no I/O.
"""

from __future__ import annotations

from quarterdeck.core.model import Link

# rule id -> words; "via …" where a rule placed the PR, a statement where none did.
RULE_WORDS: dict[str, str] = {
    "reference": "via goal reference",
    "label": "via goal label",
    "branch": "via goal branch",
    "goal-paths": "via the goal's paths",
    "goal-label": "via the goal's labels",
    "goal-branch": "via the goal's branch prefix",
    "goal-scope": "via the goal's commit scope",
    "goal-keyword": "via the goal's keywords",
    "paths": "via team paths",
    "codeowners": "via CODEOWNERS",
    "team-label": "via team label",
    "repo": "via the team's repository",
    "author": "via the author's team",
    "co-author": "via a co-author's team",
    "none": "no team owns these paths",
}
SHORT_REASON = 60


def rule_words(link: Link) -> str:
    """A few words saying why the PR landed where it did."""
    words = RULE_WORDS.get(link.rule)
    return words if words is not None else shorten(link.reason)


def shorten(text: str, limit: int = SHORT_REASON) -> str:
    """`text` on one line, cut at a word to at most `limit` characters, with "…"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
