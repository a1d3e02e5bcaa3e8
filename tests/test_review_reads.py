"""The rendered review never contradicts itself: counts, dates, statuses, warnings, reasons.

One real git repository (a team in Los Angeles, bots that ship and bots that don't, a
goal still marked `planned`, work nobody owns), reviewed offline, checked line by line.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.view import TeamReview
from tests.gitrepo import GitRepo

CONFIG = """\
teams:
  web:
    lead: alice
    members: [alice]
    owns: {paths: ["web/**"]}
review:
  timezone: America/Los_Angeles
bots:
  count: [PostHog-Bot]
"""
GOALS = """\
- id: search
  title: Search
  team: web
  owners: [alice]
- id: export
  title: Export
  team: web
  owners: [alice]
"""
ALICE = ("Alice", "1+alice@users.noreply.github.com")
DAVE = ("Dave", "4+dave@users.noreply.github.com")
RENOVATE = ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com")
POSTHOG_BOT = ("PostHog Bot", "7+posthog-bot@users.noreply.github.com")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TeamReview]:
    repo = GitRepo.init(tmp_path_factory.mktemp("reads") / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-10-01T09:00Z"))
    repo.git("remote", "add", "origin", "https://github.com/acme/web.git")
    repo.squash_pr(1, "October work", {"web/a.py": "1"}, ALICE, at("2026-10-10T12:00Z"))
    # 3 Nov 04:00 in Los Angeles.
    repo.squash_pr(
        10, "feat(search): add search", {"web/search.py": "1"}, ALICE, at("2026-11-03T12:00Z"),
        body="goal:search",
    )  # fmt: skip
    repo.squash_pr(11, "fix(web): crash", {"web/app.py": "1"}, ALICE, at("2026-11-05T12:00Z"))
    repo.squash_pr(
        12, "chore(deps): update x", {"web/package.json": "1"}, RENOVATE, at("2026-11-06T12:00Z")
    )
    repo.squash_pr(13, "Release 1.2", {"web/version.py": "1"}, POSTHOG_BOT, at("2026-11-07T12:00Z"))
    # 1 Dec 03:00 UTC is still 30 November in Los Angeles: this month's, and dated so.
    repo.squash_pr(14, "docs: late", {"web/README.md": "1"}, ALICE, at("2026-12-01T03:00Z"))
    docs = {"docs/intro.md": "1", "docs/b.md": "2"}
    repo.squash_pr(15, "Typo", docs, DAVE, at("2026-11-08T12:00Z"))
    return {r.summary.team: r for r in build_reviews(repo.path, Month(2026, 11))}


def lines_of(review: TeamReview) -> list[str]:
    return render_review(review).splitlines()


def line_with(review: TeamReview, text: str) -> str:
    return next(line for line in lines_of(review) if text in line)


def test_summary_compares_merged_with_merged(reviews: dict[str, TeamReview]) -> None:
    web = reviews["web"]
    # 10-14 merged in November (LA time), 1 in October; renovate's is not counted.
    assert (web.merged, web.summary.shipped, web.unplanned_bot_prs) == (5, 4, 1)
    assert line_with(web, "PRs merged in November 2026").endswith(
        "1 toward goals, 4 unplanned (1 by bots, not counted as shipped); +4 on October 2026."
    )


def test_bots_that_ship_count_and_stay_out_of_durations(reviews: dict[str, TeamReview]) -> None:
    speed = reviews["web"].summary.speed
    assert (speed.merged, speed.shipped, speed.bot_prs) == (5, 4, 2)


def test_pr_dates_are_in_the_review_time_zone(reviews: dict[str, TeamReview]) -> None:
    late = line_with(reviews["web"], "docs: late")
    assert "2026-11-30" in late
    assert "2026-12-01" not in late
    assert "2026-11-03" in line_with(reviews["web"], "add search")


def test_a_planned_goal_that_ships_shows_as_shipping(reviews: dict[str, TeamReview]) -> None:
    row = line_with(reviews["web"], "| Search |")
    assert "| in-progress |" in row
    assert "| planned |" in line_with(reviews["web"], "| Export |")


def test_quiet_warning_agrees_with_the_prs_shown(reviews: dict[str, TeamReview]) -> None:
    text = render_review(reviews["web"])
    assert (
        "- ⚠️ No PR for the goal “Search” since "
        "[#10](https://github.com/acme/web/pull/10) on 2026-11-03: "
        "quiet for 28 days at the end of November 2026." in text
    )
    assert "- ⚠️ No PR for the goal “Export” yet in 2026-Q4: quiet for 61 days." in text
    assert "has shipped nothing" not in text
    assert "2026-11-03" in line_with(reviews["web"], "add search")


def test_reasons_read_as_words(reviews: dict[str, TeamReview]) -> None:
    web = reviews["web"]
    assert "· via goal label" in line_with(web, "add search")
    crash = line_with(web, "crash")
    assert crash.endswith("· via team paths")
    # The full reason is the number's tooltip.
    assert crash.startswith(
        '- [#11](https://github.com/acme/web/pull/11 "1 of 1 changed path is under '
        "web's `web/**`\") "
    )
    assert not any(" via none" in line or " via paths" in line for line in lines_of(web))


def test_unplanned_work_is_grouped_by_type_and_area(reviews: dict[str, TeamReview]) -> None:
    text = render_review(reviews["web"])
    unplanned = text.split("## Unplanned work")[1].split("## Shipping speed")[0]
    headers = [line for line in unplanned.splitlines() if line.startswith("**")]
    assert headers == [
        "**Fixes** · 1 PR: `web` 1",
        "**Docs** · 1 PR: `web` 1",
        "**Dependencies** · 1 PR: `web` 1",
        "**Other** · 1 PR: `web` 1",
    ]
    assert unplanned.index("crash") < unplanned.index("docs: late") < unplanned.index("Release")


def test_work_no_team_owns_is_a_triage_list(reviews: dict[str, TeamReview]) -> None:
    text = render_review(reviews["unowned"])
    for section in ("## Shipping speed", "## Revenue", "## Discussion", "## Decision"):
        assert section not in text
    assert "- [#15](https://github.com/acme/web/pull/15" in text
    assert "Typo · `dave` · 2026-11-08 · in `docs`" in text
    for advice in ("owns.paths", "owns.codeowners", "owns.labels", "members"):
        assert advice in text
    assert 'owns: {paths: ["docs/**"]}' in text
