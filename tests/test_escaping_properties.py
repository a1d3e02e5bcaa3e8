"""Property: no text a PR or a config brings can ping anyone or inject HTML, through the
REAL review and PR-comment templates, as GitHub would parse the result."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal, Link, PullRequest, Team
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.text.markdown import code_span, escape_inline
from quarterdeck.core.text.markers import sections
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.assemble import ReviewInputs, assemble_reviews
from quarterdeck.webhook.handlers.pull_request import comment_body
from tests.mdcheck import parse

_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PARSER = MarkdownIt("commonmark").enable("table")
# GitHub's mention rule (html-pipeline's MentionFilter): `@login` after the start or any
# non-word character, a backtick included, in any text node outside code and links.
_GITHUB_MENTION = re.compile(r"(?:^|(?<=[^\w]))@[A-Za-z0-9]")

NASTY = [
    "@everyone", "@alice", "`@alice", "\\`@alice", "@acme/team", "x@y", "_@a", "@", "`",
    "<script>alert(1)</script>", "<img src=x onerror=1>", "</details>", "<details>",
    "<!-- quarterdeck:section shipped -->", "-->", "{{ 7*7 }}", "{% raw %}", "{#", "|",
    "\n# heading\n", "\r\n- item", "[x](javascript:1)", "![i](y)", "**b**", "~~s~~",
    "\u202e", "\u2066", "\x00", "&#64;bob", "&lt;b&gt;", "\\", "*", "_", "\t", "\u00a0@c",
    "\u200b@d", "(@e)", "<@f>", "\"@g\"", "'@h'", ".@i", "💥@j", "@k`",
]  # fmt: skip
hostile = st.lists(st.sampled_from(NASTY) | st.text(max_size=12), min_size=1, max_size=6).map(
    "".join
)

MONTH = Month(2026, 11)
LOGINS = ("lead1", "owner2")
TEAM = Team(slug="growth", lead="lead1", members=("lead1", "owner2"), paths=("web/**",))


def _plain_text(markdown: str, parser: MarkdownIt = _PARSER) -> Iterator[str]:
    """The text nodes GitHub looks for mentions and autolinks in: not code, not links."""
    inside_link = 0
    for tok in parser.parse(markdown):
        for child in tok.children or []:
            if child.type == "link_open":
                inside_link += 1
            elif child.type == "link_close":
                inside_link -= 1
            elif child.type == "text" and not inside_link:
                yield child.content


def _mentions(markdown: str) -> list[str]:
    """Every @-mention GitHub would notify: in text nodes, not code spans or links."""
    return [m.group(0) for text in _plain_text(markdown) for m in _GITHUB_MENTION.finditer(text)]


def _review_body(titles: list[str], goal_title: str, mission: str, author: str) -> str:
    goal = Goal(
        id="funnels", title=goal_title, team="growth", quarter="2026-Q4", owners=("owner2",),
        issue=7,
    )  # fmt: skip
    config = Config(teams=(replace(TEAM, mission=mission),), goals=(goal,))
    start = datetime(2026, 11, 2, tzinfo=UTC)
    prs = [
        PullRequest(
            number=n + 1,
            title=title,
            author=author if n % 2 else "lead1",
            merged_at=start + timedelta(days=n),
            body="Goal: #7" if n % 2 else title,
            branch=title,
            paths=("web/a.py",),
        )
        for n, title in enumerate(titles)
    ]
    reviews = assemble_reviews(
        ReviewInputs(
            config, [], prs, ReviewPeriod.of(MONTH), team="growth",
            business=None, previous_business=None,
            repo_name="acme/web", branch="main", repo_url="https://github.com/acme/web",
            templates={},
        )
    )  # fmt: skip
    return render_review(reviews[0], standalone=True)


@settings(max_examples=60)
@given(
    titles=st.lists(hostile, min_size=1, max_size=4),
    goal_title=hostile,
    mission=hostile,
    # Authors are GitHub logins or git names; neither can hold `<` (git refuses it).
    author=hostile.map(lambda a: a.replace("<", "")),
)
@example(titles=["`@alice"], goal_title="x", mission="x", author="x")  # found by this test
@example(titles=["x"], goal_title="\\`@alice", mission="💥@j", author="`@k")
def test_no_review_text_can_mention_anyone_or_inject_html(
    titles: list[str], goal_title: str, mission: str, author: str
) -> None:
    body = _review_body(titles, goal_title, mission, author)
    plain = _review_body(["t"] * len(titles), "g", "m", "a")
    # The only mention is the lead's, deliberate, in the decision section.
    assert _mentions(body) == _mentions(plain) == ["@l"]
    # No text fakes a bot section marker: the next update would cut the section short.
    assert list(sections(body)) == list(sections(plain))
    doc, plain_doc = parse(body), parse(plain)
    assert doc.raw_html == []
    # Titles cannot add, remove or rename a heading (the goal's shows its own title).
    assert len(doc.headings) == len(plain_doc.headings)
    assert [h for h in doc.headings if h != doc.headings[3]] == [
        h for h in plain_doc.headings if h != plain_doc.headings[3]
    ]
    assert [len(t) for t in doc.tables] == [len(t) for t in plain_doc.tables]
    assert [[len(r) for r in t] for t in doc.tables] == [
        [len(r) for r in t] for t in plain_doc.tables
    ]
    # Template syntax in a title is shown as typed, never run.
    for title in titles:
        if "{{ 7*7 }}" in title:
            assert "{{ 7\\*7 }}" in body


def _comment(title: str, reason: str, goal_title: str, team: str | None, with_goal: bool) -> str:
    pr = PullRequest(number=5, title=title, author="x", merged_at=datetime(2026, 11, 3, tzinfo=UTC))
    goal = Goal(id="funnels", title=goal_title, team="growth", quarter="2026-Q4", issue=7)
    config = Config(teams=(TEAM,), goals=(goal, Goal(id="other", title=goal_title, team="growth",
                                                       quarter="2026-Q4")))  # fmt: skip
    rule = "reference" if with_goal else "paths"
    link = Link(
        pr=pr, goal_id="funnels" if with_goal else None, team=team, rule=rule, reason=reason
    )
    return comment_body(link, goal if with_goal else None, None, config, "2026-Q4")


@settings(max_examples=60)
@given(
    title=hostile,
    reason=hostile,
    goal_title=hostile,
    team=st.none() | st.from_regex(r"\A[a-z][a-z0-9-]{0,20}\Z"),  # a validated slug
    with_goal=st.booleans(),
)
@example(title="x", reason="body says `Goal: #7` `@alice", goal_title="`@bob", team=None,
         with_goal=True)  # fmt: skip
def test_no_pr_comment_text_can_mention_anyone_or_inject_html(
    title: str, reason: str, goal_title: str, team: str | None, with_goal: bool
) -> None:
    body = _comment(title, reason, goal_title, team, with_goal)
    assert _mentions(body) == []
    doc = parse(body)
    assert [h for h in doc.raw_html if h not in ("<details><summary>Link it differently</summary>",
                                                 "</details>")] == []  # fmt: skip
    assert body.startswith("<!-- quarterdeck:pr-link pr=5 -->\n")
    assert body.count("<!--") == 1


@settings(max_examples=200)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=3))
@example(["", "@alice"])  # an empty span was two literal backticks that paired with the next
def test_code_spans_show_exactly_the_text_and_pair_with_nothing_else(texts: list[str]) -> None:
    line = " · ".join(f"{code_span(t)} @x" for t in texts)
    codes = [
        c for tok in _PARSER.parse(line) for c in tok.children or [] if c.type == "code_inline"
    ]
    # Shown as typed, less controls and bidi overrides, whitespace runs as one space.
    expected = [" ".join(_INVISIBLE.sub("", t).split()) for t in texts]
    assert [c.content.strip() for c in codes] == [e.strip() for e in expected]
    assert _mentions(line) == ["@x"] * len(texts)


@settings(max_examples=300)
@given(st.text())
@example("`@alice")
@example("\\`@alice")
def test_escape_inline_leaves_no_mention_for_github(raw: str) -> None:
    """The same, for escape_inline alone, with GitHub's rule (a backtick does not shield)."""
    assert _mentions(escape_inline(raw, max_length=None)) == []


# What GitHub turns into a link or math by itself in a text node (its extended autolinks,
# cross-references, commit SHAs and `$` math), outside code spans and links.
_GITHUB_AUTOLINK = re.compile(
    r"(?i:https?://|ftp://|www\.|mailto:|xmpp:)|[\w.-]+/[\w.-]+#\d|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b"
)
_RAW_TOKENS = MarkdownIt("commonmark").enable("table").disable("text_join")
AUTOLINKY = [
    "https://evil.example/x", "HTTP://X.Y", "www.evil.example", "WWW.x.y", "mailto:a",
    "xmpp:b", "acme/web#12", "a/b#1", "$x$", "$$", "\\$", "deadbee1", "abc1234", "(www.z)",
    "*www.y*", "_https://q_", "~ftp://r~", "`", "\\", " ",
]  # fmt: skip
autolinky = st.lists(st.sampled_from(AUTOLINKY) | st.text(max_size=8), min_size=1, max_size=6).map(
    "".join
)


def _autolinks(markdown: str) -> list[str]:
    """Links and math GitHub would add: triggers in plain text nodes (escaped characters
    are separate tokens here, so an escaped `$` is not math)."""
    found: list[str] = []
    for text in _plain_text(markdown, _RAW_TOKENS):
        found += [m.group(0) for m in _GITHUB_AUTOLINK.finditer(text)]
        found += ["$"] * text.count("$")
    return found


@settings(max_examples=300)
@given(autolinky)
@example("see https://evil.example and www.x.y")
@example("fixes acme/web#12, costs $5 and $6")
def test_escape_inline_adds_no_link_or_math(raw: str) -> None:
    """URLs, `www.` hosts, `owner/repo#N`, SHAs and `$` math in user text stay inert."""
    assert _autolinks(escape_inline(raw, max_length=None)) == []
