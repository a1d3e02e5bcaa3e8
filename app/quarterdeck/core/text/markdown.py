"""Markdown escaping for user-controlled text (PR titles, branch names, logins).

One place for the rule: text from a PR or a config file must render as the same
characters a person typed, and must not format, link, embed HTML, or notify anyone.
"""

from __future__ import annotations

import re

from quarterdeck.core.vocabulary import is_login

# Characters that start Markdown syntax anywhere in a line. `(`/`)` are harmless once
# `[`/`]` are escaped; `#`, `+`, `-`, `.` only matter at the start of a line, and
# escaped text is never placed first on a line by our templates. `$` opens GitHub's
# math (`$x$`), which a backslash turns back into a dollar sign.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~$])")
# A run of the characters mentions, emails and references are made of. Anything that
# could become a mention (`@team`, `@org/team`, `a@b.com`, `@0@0`) or a cross-reference
# (`owner/repo#12`) goes in a code span with the whole run: entity-escaping `@` does not
# help (GitHub decodes entities before looking for mentions), a code span does, because
# GitHub never parses mentions or references inside code. Wrapping only `@0` in `@0@0`
# would leave the second `@0` at the start of a text node, a mention.
_RUN = re.compile(r"[\w@.+/#-]+")
_AT_LOGIN = re.compile(r"@[A-Za-z0-9]")
_NUMBER_REF = re.compile(r"#\d")
_SHA = re.compile(r"[0-9a-f]{7,40}")
# Words GitHub turns into links by themselves (its extended autolinks): the whole
# space-free word goes in a code span, so no link is added.
_AUTOLINK = ("://", "www.", "mailto:", "xmpp:")
# C0/C1 controls and Unicode bidi overrides/isolates (the "Trojan source" characters).
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")
# Whatever `_escape_word` changes holds one of these: a special character, an
# autolink's start, or seven hex digits in a row (a SHA). Text without any is its own
# escape, so most titles and names skip the word-by-word pass.
_MAY_CHANGE = re.compile(r"[\\`*_\[\]|~$&<>@#]|://|www\.|mailto:|xmpp:|[0-9a-f]{7}", re.IGNORECASE)


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
    if _MAY_CHANGE.search(text) is None:
        return SafeMarkdown(text)
    # One pass over the words and the runs inside them: linear in the text's length
    # (a regex that scans back from every `@` was quadratic on a long run).
    return SafeMarkdown(" ".join(_escape_word(word) for word in text.split(" ")))


def _escape_word(word: str) -> str:
    folded = word.casefold()
    if any(trigger in folded for trigger in _AUTOLINK):
        return code_span(word)
    parts: list[str] = []
    end = 0
    for run in _RUN.finditer(word):
        found = run.group(0)
        if _inert_only_as_code(found):
            parts += [_escape(word[end : run.start()]), code_span(found)]
            end = run.end()
    parts.append(_escape(word[end:]))
    return "".join(parts)


def _inert_only_as_code(run: str) -> bool:
    """A mention or email, a cross-reference (`owner/repo#12`) or a commit SHA."""
    if _AT_LOGIN.search(run):
        return True
    if "/" in run and _NUMBER_REF.search(run):
        return True
    return _SHA.fullmatch(run) is not None and not run.isdigit() and not run.isalpha()


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


def mention(login: object) -> SafeMarkdown:
    """A deliberate @-mention of one person; anything that isn't a login stays a code span.

    The only way a template can notify anyone: a team, an org or `everyone` is refused.
    """
    text = str(login).strip()
    if is_login(text) and text.lower() not in {"everyone", "here", "channel"}:
        return SafeMarkdown(f"@{text}")
    return code_span(text)
