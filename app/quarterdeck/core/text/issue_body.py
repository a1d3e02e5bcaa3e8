"""Keep an issue body under GitHub's size limit without losing what a person wrote.

GitHub refuses an issue body or comment longer than 65,536 characters. The review
template wraps long PR lists in `<details>` blocks; when the whole body is still too
long, `fit` moves those blocks, largest first, into overflow text meant for one
follow-up comment, and leaves a note where each was. Only blocks inside bot-owned
sections move: a person's text stays byte for byte. Pure functions, no I/O.
"""

from __future__ import annotations

import re

from quarterdeck.core.text.markers import section_spans

GITHUB_LIMIT = 65_536
# Room for what the publisher wraps around the text (marker, heading, notes).
BODY_BUDGET = GITHUB_LIMIT - 1_536
OVERFLOW_BUDGET = GITHUB_LIMIT - 2_048

_DETAILS = re.compile(
    r"<details>\n<summary>(?P<summary>[^\n]*?)</summary>\n(?P<content>.*?)</details>\n?",
    re.DOTALL,
)
_HEADING = re.compile(r"^#{1,6} +(?P<text>.+)$", re.MULTILINE)
_PR_ITEM = re.compile(r"^- \[?(#\d+)\b")
MOVED_NOTE = "_Too long for the issue: listed in the comment below._"
CUT_NOTE = "_… cut to fit GitHub's size limit; `quarterdeck review` prints all of it._"


def fit(
    body: str, budget: int = BODY_BUDGET, overflow_budget: int = OVERFLOW_BUDGET
) -> tuple[str, str]:
    """`body` within `budget` characters, and the overflow for one follow-up comment.

    The overflow is "" when everything fits; it is itself kept within
    `overflow_budget` (PR items compacted to their numbers, then cut with a note).
    """
    if len(body) <= budget:
        return body, ""
    moved: list[tuple[int, str]] = []  # (where it was in the body, its overflow text)
    while len(body) > budget:
        blocks = _movable_blocks(body)
        if not blocks:
            break
        start, end, heading, summary, content = max(blocks, key=lambda b: b[1] - b[0])
        placeholder = _placeholder(summary)
        body = body[:start] + placeholder + body[end:]
        shrink = end - start - len(placeholder)
        moved = [(at - shrink if at > start else at, text) for at, text in moved]
        moved.append((start, f"### {heading}: {summary}\n\n{content.strip()}\n"))
    if len(body) > budget:
        body = _cut_sections(body, budget)
    # The comment lists the moved blocks in the order the issue shows them.
    return body, _fit_overflow([text for _, text in sorted(moved)], overflow_budget)


def _placeholder(summary: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{MOVED_NOTE}\n\n</details>\n"


def _movable_blocks(body: str) -> list[tuple[int, int, str, str, str]]:
    """Details blocks in bot sections not moved yet: (start, end, heading, summary, content)."""
    blocks = []
    for _name, s_start, s_end in section_spans(body):
        for m in _DETAILS.finditer(body, s_start, s_end):
            if m.group("content").strip() == MOVED_NOTE:
                continue
            headings = list(_HEADING.finditer(body, s_start, m.start()))
            heading = headings[-1].group("text").strip() if headings else "Details"
            blocks.append((m.start(), m.end(), heading, m.group("summary"), m.group("content")))
    return blocks


def _cut_sections(body: str, budget: int) -> str:
    """Last resort: drop lines from the end of bot sections, longest first, until it fits.

    A person's text is never cut, so a body they made too long stays too long.
    """
    for name, _, _ in sorted(section_spans(body), key=lambda s: s[1] - s[2]):
        excess = len(body) - budget
        if excess <= 0:
            break
        start, end = next((a, b) for n, a, b in section_spans(body) if n == name)
        content = body[start:end]
        keep = len(content) - excess - len(CUT_NOTE) - 2
        kept = content[: content.rfind("\n", 0, keep) + 1] if keep > 0 else ""
        if len(kept) + len(CUT_NOTE) + 2 < len(content):
            body = body[:start] + kept + CUT_NOTE + "\n" + body[end:]
    return body


def _fit_overflow(moved: list[str], budget: int) -> str:
    if not moved:
        return ""
    text = "\n".join(moved)
    if len(text) > budget:
        text = "\n".join(_compact(block) for block in moved)
    if len(text) > budget:
        cut = text[: budget - len(CUT_NOTE) - 2]
        text = cut[: cut.rfind("\n") + 1] + "\n" + CUT_NOTE + "\n"
    return text


def _compact(block: str) -> str:
    """PR items (`- #123 …`) become a comma-separated run of numbers GitHub links."""
    lines = block.split("\n")
    numbers = [m.group(1) for line in lines if (m := _PR_ITEM.match(line))]
    if not numbers:
        return block
    rest = [line for line in lines if not _PR_ITEM.match(line)]
    heading, body = rest[0], "\n".join(rest[1:]).strip()
    listed = ", ".join(numbers)
    return f"{heading}\n\n{body + chr(10) + chr(10) if body else ''}{listed}\n"
