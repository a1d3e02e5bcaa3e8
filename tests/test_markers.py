"""Marker-preserving updates: the bot rewrites its sections and nothing a person wrote."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quarterdeck.core.text.markers import (
    has_marker,
    marker,
    merge,
    section,
    sections,
    upsert_section,
)


def test_marker_is_stable_and_refuses_odd_values() -> None:
    assert marker("review", team="growth", month="2026-11") == (
        "<!-- quarterdeck:review month=2026-11 team=growth -->"
    )
    assert has_marker("x\n<!-- quarterdeck:pr-comment pr=12 -->", "pr-comment", pr=12)
    with pytest.raises(ValueError, match="can't hold"):
        marker("review", team="a --> <b>")


def test_merge_rewrites_sections_and_keeps_human_text() -> None:
    existing = (
        "Hello from a person\n"
        + section("shipped", "old list")
        + "\n\n## Decision\n- [x] Continue — we agreed\n"
        + section("speed", "old speed")
        + "\ntrailing words"
    )
    rendered = section("shipped", "new list") + "\n" + section("speed", "new speed")

    merged = merge(existing, rendered)

    assert sections(merged) == {"shipped": "new list\n", "speed": "new speed\n"}
    assert merged.startswith("Hello from a person\n")
    assert "\n\n## Decision\n- [x] Continue — we agreed\n" in merged
    assert merged.endswith("\ntrailing words")


def test_a_removed_section_stays_removed_and_new_ones_append() -> None:
    existing = "mine\n" + section("speed", "old")
    rendered = section("shipped", "s") + section("speed", "new")
    merged = merge(existing, rendered)
    assert merged == "mine\n" + section("speed", "new") + "\n\n" + section("shipped", "s") + "\n"
    assert merge("only a person's text", section("x", "y")).startswith("only a person's text\n\n")


def test_upsert_section_on_empty_and_existing() -> None:
    once = upsert_section(None, "shipped", "- #1")
    assert upsert_section(once, "shipped", "- #1") == once
    assert sections(upsert_section(once, "shipped", "- #1\n- #2")) == {"shipped": "- #1\n- #2\n"}


_human = st.text(alphabet=st.characters(blacklist_characters="<"), max_size=200)


@settings(max_examples=200, deadline=None)
@given(before=_human, between=_human, after=_human, old=_human, new=_human)
def test_any_human_text_around_markers_survives(
    before: str, between: str, after: str, old: str, new: str
) -> None:
    existing = before + section("a", old) + between + section("b", old) + after
    merged = merge(existing, section("a", new) + section("b", new))
    expected = before + section("a", new) + between + section("b", new) + after
    assert merged == expected


# What people really type around the bot's sections: CRLF line ends (GitHub's web editor
# sends them), emoji (ZWJ sequences too), bidi marks, and text that looks like half a
# marker. Opening fragments before the sections, closing ones only after the last, so no
# example holds a complete fake section (a person copying a whole section is a section,
# by design).
_TRICKY = [
    "\r\n", "\r", "🎉", "👩\u200d💻", "\u202e", "<!--", "-->", "<!-- quarterdeck:",
    "<", "<details>",
    "<!-- quarterdeck:section a -->", "<!-- quarterdeck:section b -->\n",
    "<!-- quarterdeck:section zz -->", "<!-- quarterdeck:section",
]  # fmt: skip
_CLOSERS = ["<!-- /quarterdeck:section a -->", "<!-- /quarterdeck:section b -->", "<!-- /"]
_opening_text = st.lists(st.sampled_from(_TRICKY) | st.text(max_size=20), max_size=8).map("".join)
_closing_text = st.lists(
    st.sampled_from(_TRICKY + _CLOSERS) | st.text(max_size=20), max_size=8
).map("".join)
_content = st.lists(
    st.sampled_from(["\r\n", "🎉", "- #1 x\n", "| a | b |\n"]) | st.text(max_size=20), max_size=6
).map(lambda parts: "".join(parts).replace("<!--", "&lt;!--"))  # bot content is escaped


@settings(max_examples=300, deadline=None)
@given(
    before=_opening_text,
    # An opening `a` here plus a closing `a` after would be a complete fake section.
    between=_opening_text.map(lambda t: t.replace("<!-- quarterdeck:section a -->", "")),
    after=_closing_text,
    old=_content,
    new=_content,
)
@example(  # a person's half-open marker used to swallow their text up to the real section
    before="<!-- quarterdeck:section b -->\nmy notes\n", between="", after="", old="x", new="y"
)
@example(before="a\r\n", between="\r\n🎉\r\n", after="<!-- /quarterdeck:section a -->", old="o",
         new="n\r\n")  # fmt: skip
def test_crlf_emoji_and_half_markers_around_sections_survive(
    before: str, between: str, after: str, old: str, new: str
) -> None:
    existing = before + section("a", old) + between + section("b", old) + after
    merged = merge(existing, section("a", new) + section("b", new))
    assert merged == before + section("a", new) + between + section("b", new) + after
    assert merge(merged, section("a", new) + section("b", new)) == merged  # idempotent
