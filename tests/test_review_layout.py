"""The review's layout as GitHub shows it: the story on the first screen, the details
folded (issue 22).

Each demo review (`quarterdeck demo`) is rendered as GitHub renders an issue: its
1,012-pixel column, GitHub-flavoured Markdown, the pinned Mermaid, in headless Chromium
with every <details> closed (tests/browser.py). Screenshots land in
$QUARTERDECK_TEST_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import re

import pytest

from quarterdeck.cli import main
from quarterdeck.core.text.issue_body import fit
from quarterdeck.core.text.markers import merge, sections
from tests.browser import Page, artifacts_dir, render_github
from tests.mdcheck import parse

FIRST_SCREEN = 1000  # pixels: what a lead sees before scrolling
MAX_HEIGHT = 3000  # pixels, the whole review of the demo's first team, details closed
_SUMMARY = re.compile(r"<summary>(?P<line>[^<]*)</summary>")


@pytest.fixture(scope="module")
def demo_reviews(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The demo's Markdown, one review per team, in the demo's order."""
    out = tmp_path_factory.mktemp("demo") / "review.md"
    assert main(["demo", "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8").split("\n---\n")


@pytest.fixture(scope="module")
def pages(demo_reviews: list[str]) -> list[Page]:
    return [
        render_github(review, artifacts_dir() / f"review-layout-{i}.png")
        for i, review in enumerate(demo_reviews)
    ]


def _discuss_items(page: Page) -> list:
    """The <li> items of the "What to discuss" list: those between its label and "The month"."""
    start = page.find("p", "What to discuss").bottom
    end = page.find("p", "The month").top
    return [b for b in page.boxes if b.tag == "li" and start < b.top < end]


def test_each_team_fits_three_screens_with_the_story_on_the_first(pages: list[Page]) -> None:
    # The first team is the issue's yardstick; every team's review is held to it.
    teams = [page for page in pages if any(b.text == "What to discuss" for b in page.boxes)]
    assert len(teams) >= 2
    assert teams[0] is pages[0]
    for i, page in enumerate(teams):
        assert page.height <= MAX_HEIGHT, f"review {i} is {page.height:.0f} px tall"
        assert (artifacts_dir() / f"review-layout-{pages.index(page)}.png").stat().st_size > 0
        # The whole summary, from its heading to the link to the decision that ends it,
        # is on the first screen: "What to discuss", the month, speed and the targets.
        summary = page.find("h2", "Summary")
        to_decision = next(b for b in page.boxes if b.tag == "p" and b.text.startswith("➡️"))
        assert "#user-content-the-decision" in to_decision.links
        assert summary.shown
        assert to_decision.bottom <= FIRST_SCREEN, f"review {i}'s summary ends lower"
        for start in ("Goals: ", "Speed: ", "Targets: "):
            assert page.find("li", start).bottom <= FIRST_SCREEN, (i, start)
        items = _discuss_items(page)
        assert items, "each demo team has something to discuss (a missed target)"
        for item in items:
            assert item.shown, item.text
            assert item.bottom <= FIRST_SCREEN, item.text


def test_every_discussion_item_and_the_decision_link_reach_their_detail(
    pages: list[Page],
) -> None:
    for page in pages:
        if not any(b.tag == "p" and b.text == "What to discuss" for b in page.boxes):
            continue  # the review of work no team owns: a triage list, no discussion
        for item in _discuss_items(page):
            assert item.links, f"no link to its detail: {item.text}"
            for href in item.links:
                target = page.target(href)
                assert target.top > item.bottom, (item.text, href)
        # The review's anchors never repeat a heading's own (GitHub's slug of its text).
        anchors = [b.id for b in page.boxes if b.tag == "a" and b.id]
        headings = {b.id for b in page.boxes if b.tag in ("h1", "h2", "h3")}
        assert "user-content-summary" in headings
        assert len(anchors) == len(set(anchors)) >= 8
        assert headings.isdisjoint(anchors)
        decision = page.target("#user-content-the-decision")
        heading = next(b for b in page.boxes if b.tag == "h2" and b.text == "Decision")
        assert 0 <= heading.top - decision.top < 50  # the anchor sits at its heading


def test_long_parts_are_folded_with_their_headline_number(demo_reviews: list[str]) -> None:
    review = demo_reviews[0]
    lines = _SUMMARY.findall(review)
    shipped = re.findall(
        r"^- #\d+ ", review.split("## Shipped this month", 1)[1].split("<!-- /")[0], re.M
    )
    assert f"{len(shipped)} PRs shipped toward 3 goals" in lines
    unplanned = review.split("## Unplanned work", 1)[1].split("<!-- /")[0]
    assert any(
        line.startswith(f"Unplanned: {len(re.findall(r'^- #', unplanned, re.M))} PR")
        for line in lines
    )
    assert any(line.startswith("Six months: ") for line in lines)
    assert any(line.startswith("Revenue: ") for line in lines)
    # GitHub renders Markdown inside <details> only with a blank line after </summary>,
    # and no fold holds another (the publisher moves whole folds to its comment).
    for block in re.findall(r"<details>\n(.*?)</details>", review, re.S):
        assert re.match(r"<summary>[^\n]*</summary>\n\n", block), block[:200]
        assert "<details>" not in block


def test_a_rerun_keeps_a_persons_edits_and_the_folds(demo_reviews: list[str]) -> None:
    review = demo_reviews[0]
    edited = review.replace("## Discussion\n", "## Discussion\n\nPat: churn is up 🎉\n")
    edited = edited.replace("- [ ] Continue as planned", "- [x] Continue as planned")
    again = merge(edited, review)
    assert again == edited  # nothing of the bot's changed, nothing of the person's lost
    fresh = re.sub(
        r"<summary>(\d+) PRs shipped", lambda m: f"<summary>{int(m[1]) + 1} PRs shipped", review
    )
    assert fresh != review
    rerun = merge(edited, fresh)
    assert "Pat: churn is up 🎉" in rerun
    assert "- [x] Continue as planned" in rerun
    assert sections(rerun)["shipped"] == sections(fresh)["shipped"]
    assert fit(review) == (review, "")  # the demo fits GitHub's limit as it is


def test_opened_folds_render_their_markdown(demo_reviews: list[str], pages: list[Page]) -> None:
    # GitHub renders the Markdown inside <details> only when blank lines set it apart: a
    # fold whose table or list came out as plain text would lose nothing in the source
    # and everything on the page.
    review = demo_reviews[0]
    page = render_github(review, artifacts_dir() / "review-layout-0-open.png", open_details=True)
    folded = [b for b in page.boxes if b.folded]
    assert all(b.shown for b in folded)
    leaked = [b.text for b in folded if b.tag == "p" and re.match(r"\||- #|#{2,3} ", b.text)]
    assert leaked == []
    # Every table, chart and sub-heading of the Markdown is drawn; only this month's
    # speed table stays outside the folds.
    tables = len(re.findall(r"^\|---", review, re.M))
    assert len([b for b in page.boxes if b.tag == "table"]) == tables
    assert len([b for b in page.boxes if b.tag == "table" and b.folded]) == tables - 1
    charts = review.count("```mermaid")
    assert len([b for b in page.boxes if b.tag == "div" and b.folded]) == charts
    subheadings = len(re.findall(r"^### ", review, re.M))
    assert len([b for b in folded if b.tag == "h3"]) == subheadings
    assert page.height > pages[0].height


def test_the_summary_tells_goals_speed_and_targets_from_the_details(
    demo_reviews: list[str],
) -> None:
    for review in demo_reviews:
        if "## Shipping speed" not in review:
            continue  # the review of work no team owns
        doc = parse(review)
        summary = review.split("**The month**", 1)[1].split("<!-- /", 1)[0]
        # Speed against the team's own six months: the mean of the six-month table.
        six = next(t for t in doc.tables if t[0][:3] == ["Month", "PRs shipped", "PRs a week"])
        weekly = [float(row[2]) for row in six[1:]]
        assert len(weekly) == 6
        assert f"six-month average {sum(weekly) / 6:.1f})" in summary
        # Goals: those that shipped this month, of the quarter's goals in the progress table.
        shipped = review.split("## Shipped this month", 1)[1].split("<!-- /", 1)[0]
        moved = len(re.findall(r"^### ", shipped, re.M))
        quarter = sum(len(t) - 1 for t in doc.tables if t[0][0] == "Goal")
        assert f"Goals: {moved} of the quarter's {quarter} goals shipped PRs this month" in summary
        # Every figure with a target, with its verdict, as its six-month row shows it.
        for table in doc.tables:
            if table[0][-1] != "Target":
                continue
            for row in table[1:]:
                if row[-1]:
                    target, verdict = row[-1].rsplit(" ", 1)
                    current = row[-3].removesuffix(" ⚠️")
                    assert f"{row[0]} {current} ({target}) {verdict}" in summary
