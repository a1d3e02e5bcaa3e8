"""The review body: under GitHub's size limit, well-formed Markdown, hostile titles inert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.text.issue_body import GITHUB_LIMIT, MOVED_NOTE, fit
from quarterdeck.core.text.markdown import mention
from quarterdeck.core.text.markers import section
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.mdcheck import parse
from tests.reviewrepos import big_repo, small_repo

NOVEMBER = Month(2026, 11)
SECTIONS = [
    "Summary", "Last month's decision", "Shipped this month", "Funnels v2",
    "Goal progress in 2026-Q4", "Unplanned work", "Shipping speed", "The last six months",
    "Where the work went", "Revenue",
    "Product analytics", "User feedback", "Discussion", "Decision",
]  # fmt: skip


def _details(summary: str, lines: int, width: int = 50) -> str:
    items = "".join(f"- #{n} {'x' * width}\n" for n in range(1, lines + 1))
    return f"<details>\n<summary>{summary}</summary>\n\n{items}\n</details>\n"


def test_a_body_that_fits_is_returned_unchanged() -> None:
    body = "hello\n" + section("shipped", _details("3 PRs", 3))
    assert fit(body) == (body, "")


def test_largest_details_block_moves_first_and_person_text_stays() -> None:
    person = "A person's notes " * 10 + "\n"
    small, large = _details("5 PRs", 5), _details("400 PRs", 400)
    body = (
        person
        + section("shipped", "## Shipped\n\n### Goal A\n\n" + small + "\n### Goal B\n\n" + large)
        + "\n"
        + person
    )

    fitted, overflow = fit(body, budget=len(body) - 1000)

    assert fitted.startswith(person)
    assert fitted.endswith(person)
    assert "<summary>5 PRs</summary>\n\n- #1 " in fitted  # the small one stays
    assert f"<summary>400 PRs</summary>\n\n{MOVED_NOTE}" in fitted
    assert overflow.startswith("### Goal B: 400 PRs\n\n- #1 ")
    assert "- #400 " in overflow


def test_details_outside_bot_sections_are_never_moved() -> None:
    body = _details("mine", 300) + section("shipped", "short")
    fitted, overflow = fit(body, budget=100)
    assert fitted.startswith(_details("mine", 300))  # a person's block: untouched
    assert overflow == ""


def test_overflow_too_long_for_a_comment_is_compacted_to_numbers() -> None:
    body = section("unplanned", "## Unplanned\n\n" + _details("3000 PRs", 3000, width=200))
    fitted, overflow = fit(body)
    assert len(fitted) < GITHUB_LIMIT
    assert len(overflow) < GITHUB_LIMIT
    assert "#1, #2, #3" in overflow
    assert "#3000" in overflow


def test_sections_without_details_are_cut_as_a_last_resort() -> None:
    body = "top\n" + section("speed", "row\n" * 30_000) + "\nbottom\n"
    fitted, _ = fit(body)
    assert len(fitted) <= GITHUB_LIMIT
    assert fitted.startswith("top\n")
    assert fitted.endswith("\nbottom\n")
    assert "<!-- /quarterdeck:section speed -->" in fitted
    assert "cut to fit" in fitted


def test_mention_filter_only_mentions_logins() -> None:
    assert mention("alice") == "@alice"
    assert mention("everyone") == "`everyone`"
    assert mention("acme/team") == "`acme/team`"
    assert mention("dependabot[bot]") == "`dependabot[bot]`"
    assert mention("-bad") == "`-bad`"


def test_review_markdown_is_well_formed_and_hostile_title_inert(tmp_path: Path) -> None:
    small_repo(tmp_path / "web")
    analytics = build_reviews(tmp_path / "web", NOVEMBER, team="analytics")[0]
    body = render_review(analytics, standalone=False)
    doc = parse(body)

    assert doc.headings == SECTIONS
    speed = next(t for t in doc.tables if t[0][0] == "Metric")
    assert all(len(row) == 4 for row in speed)
    # The hostile title renders as typed: no HTML, no template code run, no ping.
    line = next(x for x in body.splitlines() if "pipe" in x)
    assert line.startswith('- [#4](https://github.com/acme/web/pull/4 "1 of 1 changed path is ')
    assert "`@everyone` &lt;script&gt; {{ 7\\*7 }} \\| pipe" in line
    assert "49" not in line
    assert "<script>" not in body
    assert doc.raw_html == []
    # Exactly one mention: the lead, in the decision section.
    assert doc.mentions == ["@a"]
    assert "@alice, after the discussion" in body.split("## Decision")[1]


@pytest.fixture(scope="module")
def huge_review_body(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    repo = big_repo(tmp_path_factory.mktemp("big") / "web")
    analytics = build_reviews(repo, NOVEMBER, team="analytics")[0]
    rendered = render_review(analytics, standalone=False)
    return rendered, *fit(rendered)


def test_five_thousand_prs_fit_with_overflow(huge_review_body: tuple[str, str, str]) -> None:
    rendered, body, overflow = huge_review_body
    assert len(rendered) > GITHUB_LIMIT * 4  # the raw render really is too long
    assert len(body) < GITHUB_LIMIT
    assert len(overflow) < GITHUB_LIMIT
    doc = parse(body)
    # The shipped fold moved whole, with its goal's heading; the other folds stay.
    assert doc.headings == [h for h in SECTIONS if h != "Funnels v2"]
    assert doc.details_opened == doc.details_closed
    assert body.count(MOVED_NOTE) == 2  # the shipped list and the unplanned list
    assert all(len(row) == 4 for t in doc.tables if t[0][0] == "Metric" for row in t)
    # Every PR is accounted for: by number in the overflow.
    for number in (1, 2, 2500, 4999, 5000):
        assert re.search(rf"#{number}\b", overflow)
    over = parse(overflow)
    assert over.headings == [
        "Shipped this month: 2500 PRs shipped toward 1 goal",
        "Funnels v2",
        "Unplanned work: Unplanned: 2500 PRs (other 2500)",
    ]
    assert over.mentions == []
    assert over.raw_html == []
