"""Escaping user text: it shows as typed, formats nothing and pings nobody."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quarterdeck.core.text.markdown import code_span, escape_inline

# GitHub's mention syntax, outside code spans.
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


def _outside_code(text: str) -> str:
    return re.sub(r"(`+)(?:(?!\1).)*?\1", "", text)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("@everyone <script> {{ 7*7 }} | pipe", "`@everyone` &lt;script&gt; {{ 7\\*7 }} \\| pipe"),
        ("**bold** _it_ ~~s~~", "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~"),
        # A word GitHub would autolink goes whole into a code span.
        ("[link](http://x) ![img](y)", "`[link](http://x)` !\\[img\\](y)"),
        ("ping @org/team and mail a@b.com", "ping `@org/team` and mail `a@b.com`"),
        ("line one\n# line two\r\n- three", "line one # line two - three"),
        ("rtl \u202eevil\u2066 and \x00nul", "rtl evil and nul"),
        ("a & b &amp; c", "a &amp; b &amp;amp; c"),
        ("back\\slash `code`", "back\\\\slash \\`code\\`"),
    ],
)
def test_escape_inline(raw: str, escaped: str) -> None:
    assert escape_inline(raw) == escaped


def test_escape_inline_truncates_long_text() -> None:
    text = escape_inline("x" * 100_000, max_length=300)
    assert len(text) == 300
    assert text.endswith("…")


@pytest.mark.parametrize(
    ("raw", "span"),
    [("main", "`main`"), ("a`b", "``a`b``"), ("`x`", "`` `x` ``"), ("a\nb", "`a b`")],
)
def test_code_span(raw: str, span: str) -> None:
    assert code_span(raw) == span


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("@0@0")  # found by this test: a mention right after a code span slipped through
def test_no_text_escapes_into_a_mention_tag_or_newline(raw: str) -> None:
    out = escape_inline(raw, max_length=None)
    assert "\n" not in out
    assert "\r" not in out
    assert "<" not in out
    assert ">" not in out
    assert not _MENTION.search(_outside_code(out))
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069]", out)


# The pieces escaping reacts to, their near misses, and letters whose case folding
# brings in Latin letters (`ẘ` folds to `w` and a ring, `ﬅ` to `st`).
_PIECES = [
    "@", "#", "/", ":", ".", "`", "*", "_", "[", "]", "|", "~", "$", "&", "<", ">", "\\",
    "www", "WWW", "mailto", "MAILTO", "xmpp", "://", "http", "deadbee", "DEADBEE", "c0ffee1",
    "abc12", "1234567", "ẘ", "ẗ", "ﬅ", "İ", "a", "Z", " ", "  ", "\n", "é", "1",
]  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=4), max_size=12).map("".join))
@example("WWW.example")
@example("MailTo:x")
@example("fix cafe123 in a title")
def test_text_that_escaping_would_not_change_is_passed_through(text: str) -> None:
    """The shortcut for text with nothing to escape agrees with the word-by-word pass."""
    from quarterdeck.core.text import markdown

    collapsed = markdown._WHITESPACE.sub(" ", markdown._INVISIBLE.sub("", text))
    by_word = " ".join(markdown._escape_word(word) for word in collapsed.split(" "))
    assert escape_inline(text, max_length=None) == by_word
