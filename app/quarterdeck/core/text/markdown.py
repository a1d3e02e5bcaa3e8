"""Markdown escaping for user-controlled text (PR titles, branch names, logins).

One place for the rule: text from a PR or a config file must render as the same
characters a person typed, and must not format, link, embed HTML, or notify anyone.
"""

from __future__ import annotations

import re

# Characters that start Markdown syntax anywhere in a line. `(`/`)` are harmless once
# `[`/`]` are escaped; `#`, `+`, `-`, `.` only matter at the start of a line, and
# escaped text is never placed first on a line by our templates.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
# Anything that could become an @-mention, with the word characters stuck to it:
# `@team`, `@org/team`, `a@b.com`, `@0@0`. Entity-escaping `@` does not help (GitHub
# decodes entities before looking for mentions); a code span does, because GitHub
# never parses mentions inside code. The whole run goes in the span: wrapping only
# `@0` in `@0@0` would leave the second `@0` at the start of a text node, a mention.
_MENTION_RUN = re.compile(r"[\w@.+/-]*@[A-Za-z0-9][\w@.+/-]*")
# C0/C1 controls and Unicode bidi overrides/isolates (the "Trojan source" characters).
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")


class SafeMarkdown(str):
    """Text that is already valid, escaped Markdown; rendering passes it through."""

    __slots__ = ()


def escape_inline(value: object, max_length: int | None = 300) -> SafeMarkdown:
    """Escape text for a single line of Markdown: a list item or a table cell.

    Newlines collapse to spaces so a title cannot start a heading or end a table row.
    """
    text = _INVISIBLE.sub("", str(value))
    # Collapse, don't strip: a template's own ", " separators pass through here too.
    text = _WHITESPACE.sub(" ", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    parts: list[str] = []
    end = 0
    for run in _MENTION_RUN.finditer(text):
        parts += [_escape(text[end : run.start()]), f"`{run.group(0)}`"]
        end = run.end()
    parts.append(_escape(text[end:]))
    return SafeMarkdown("".join(parts))


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def code_span(value: object) -> SafeMarkdown:
    """Show text verbatim in a code span (branch names, paths); never a mention."""
    text = _WHITESPACE.sub(" ", _INVISIBLE.sub("", str(value))).strip()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # Empty text still needs a span: a bare "``" is two literal backticks that would pair
    # with the next double-backtick fence on the line and turn the text between into code.
    pad = " " if not text or text.startswith("`") or text.endswith("`") else ""
    return SafeMarkdown(f"{fence}{pad}{text}{pad}{fence}")


# A GitHub login: letters, digits and single inner hyphens, at most 39 characters.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def mention(login: object) -> SafeMarkdown:
    """A deliberate @-mention of one person; anything that isn't a login stays a code span.

    The only way a template can notify anyone: a team, an org or `everyone` is refused.
    """
    text = str(login).strip()
    if _LOGIN.match(text) and text.lower() not in {"everyone", "here", "channel"}:
        return SafeMarkdown(f"@{text}")
    return code_span(text)
