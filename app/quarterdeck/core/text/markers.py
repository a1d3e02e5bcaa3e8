"""Hidden markers that let the bot find its own issues, comments and sections again.

A marker is an HTML comment, invisible once GitHub renders the Markdown:

    <!-- quarterdeck:review team=growth month=2026-11 -->        identifies a body
    <!-- quarterdeck:section shipped --> … <!-- /quarterdeck:section shipped -->

The bot rewrites only what lies between a section's two markers; every byte a
person wrote outside them is kept exactly. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTR = re.compile(r"^[a-z][a-z0-9_-]*$")
_VALUE = re.compile(r"^[A-Za-z0-9._:/#-]+$")
# One opening or closing section marker; the name's class cannot reach the " -->",
# so each attempt is bounded by the marker's length.
_SECTION_MARKER = re.compile(r"<!-- (?P<close>/?)quarterdeck:section (?P<name>[a-z][a-z0-9-]*) -->")


@dataclass(frozen=True)
class _Span:
    """One section as found: the whole of it, and its content."""

    name: str
    start: int
    end: int
    body_start: int
    body_end: int


def marker(kind: str, **attrs: object) -> str:
    """`<!-- quarterdeck:kind a=1 b=x -->`; attrs are sorted so the text is stable."""
    parts = [f"quarterdeck:{kind}"]
    for key, value in sorted(attrs.items()):
        text = str(value)
        if not _ATTR.match(key) or not _VALUE.match(text):
            raise ValueError(f"marker attribute {key}={text!r} has characters a marker can't hold")
        parts.append(f"{key}={text}")
    return f"<!-- {' '.join(parts)} -->"


def has_marker(text: str | None, kind: str, **attrs: object) -> bool:
    """Whether `text` carries exactly this marker."""
    if not text:
        return False
    return marker(kind, **attrs) in text


def with_marker(body: str, kind: str, **attrs: str) -> str:
    """`body`, led by its `kind` marker unless it already holds one with `attrs`.

    A repo's own template may drop the marker; without it every run would open another
    issue instead of finding this one again.
    """
    found = read_marker(body, kind)
    if found and all(found.get(key) == value for key, value in attrs.items()):
        return body
    return marker(kind, **attrs) + "\n" + body


def section(name: str, content: str) -> str:
    """A bot-owned section: content between its opening and closing markers."""
    body = content if content.endswith("\n") else content + "\n"
    return f"<!-- quarterdeck:section {name} -->\n{body}<!-- /quarterdeck:section {name} -->"


def _spans(text: str) -> list[_Span]:
    """Every section, in order, in one pass over the markers.

    A section runs from an opening marker to the next marker of the same name, if that
    one closes it. A section's body never holds another opening marker of its own
    name: an opening marker a person typed (or quoted) above a real section is then
    just their text, instead of swallowing everything up to the real section's end.
    Linear: each marker's next marker of the same name comes from one backward pass,
    not from a scan of the rest of the text for every opening marker.
    """
    found = list(_SECTION_MARKER.finditer(text))
    following: list[re.Match[str] | None] = [None] * len(found)
    last: dict[str, re.Match[str]] = {}
    for i in range(len(found) - 1, -1, -1):
        following[i] = last.get(found[i]["name"])
        last[found[i]["name"]] = found[i]
    spans: list[_Span] = []
    at = 0
    for opening, after in zip(found, following, strict=True):
        if opening.start() < at or opening["close"] or after is None or not after["close"]:
            continue
        # The newline after the opening marker is the marker's, not the content's.
        body_start = opening.end() + text.startswith("\n", opening.end())
        spans.append(
            _Span(opening["name"], opening.start(), after.end(), body_start, after.start())
        )
        at = after.end()
    return spans


def sections(text: str) -> dict[str, str]:
    """Each section's content by name (the first, if a name repeats)."""
    found: dict[str, str] = {}
    for span in _spans(text):
        found.setdefault(span.name, text[span.body_start : span.body_end])
    return found


def merge(existing: str, rendered: str) -> str:
    """`existing` with each of its sections replaced by the same section of `rendered`.

    Text outside the markers is a person's and is kept byte for byte; so is a section
    a person removed (the bot does not bring it back). Sections that `rendered` has
    and `existing` never had are appended at the end.
    """
    fresh = sections(rendered)
    seen: set[str] = set()
    parts: list[str] = []
    at = 0
    for span in _spans(existing):
        if span.name in seen or span.name not in fresh:
            continue
        seen.add(span.name)
        parts += [existing[at : span.start], section(span.name, fresh[span.name])]
        at = span.end
    parts.append(existing[at:])
    merged = "".join(parts)
    missing = [n for n in fresh if n not in seen and n not in sections(existing)]
    for name in missing:
        merged = merged.rstrip("\n") + "\n\n" + section(name, fresh[name]) + "\n"
    return merged


def upsert_section(text: str | None, name: str, content: str) -> str:
    """`text` with section `name` set to `content`, appended if it isn't there yet."""
    return merge(text or "", section(name, content))


# A key holds no "=", so each ` key=value` splits one way only: with `[^ >]+=[^ >]+`
# a run of ` a=a=a` words could split every way, and a marker left unclosed took
# exponential time to give up on.
_ANY_MARKER = re.compile(
    r"<!-- quarterdeck:(?P<kind>[a-z][a-z0-9-]*)(?P<attrs>(?: [^ >=]+=[^ >]+)*) -->"
)


def read_marker(text: str | None, kind: str) -> dict[str, str] | None:
    """The attributes of the first `kind` marker in `text`, in any order; None if absent.

    Finding by attributes (not by the exact string) keeps a repo's own template, which
    may order them differently, findable.
    """
    for m in _ANY_MARKER.finditer(text or ""):
        if m.group("kind") == kind:
            pairs = (p.split("=", 1) for p in m.group("attrs").split())
            return {key: value for key, value in pairs}
    return None


def section_spans(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each bot-owned section's content, in order."""
    return [(span.name, span.body_start, span.body_end) for span in _spans(text)]
