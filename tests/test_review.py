"""The offline review, end to end: a real git repo in a temp dir → exact PRs, links, metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.gitrepo import GitRepo
from tests.reviewrepos import CONFIG, GOALS

ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "1+bob@users.noreply.github.com")
CAROL = ("Carol", "carol@example.com")
DAVE = ("Dave", "dave@example.com")
BOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """A quarter of history on a default branch renamed to `trunk`, every kind of commit."""
    repo = GitRepo.init(tmp_path_factory.mktemp("review") / "acme-web")
    repo.commit(
        "Initial commit",
        {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS},
        ALICE,
        at("2026-10-01T09:00Z"),
    )
    repo.rename_branch("main", "trunk")
    # October: a merge commit linked by its branch name.
    repo.branch("funnels/spike")
    repo.commit("Spike", {"web/insights/a.py": "1"}, ALICE, at("2026-10-18T10:00Z"))
    repo.merge_pr(1, "funnels/spike", "Funnel spike", date=at("2026-10-20T12:00Z"))
    # November.
    repo.squash_pr(
        2, "Add checklist", {"web/onboarding/c.py": "1"}, CAROL, at("2026-11-03T12:00Z"),
        body="goal:onboarding",
    )  # fmt: skip
    repo.branch("breakdowns")
    repo.commit("Breakdowns", {"web/insights/b.py": "1"}, BOB, at("2026-11-01T09:00Z"))
    repo.commit("Breakdown tests", {"web/insights/t.py": "1"}, BOB, at("2026-11-04T09:00Z"))
    repo.merge_pr(3, "breakdowns", "Funnel breakdowns", "Part of #12", at("2026-11-05T12:00Z"))
    repo.commit("Fix typo", {"README.md": "typo"}, DAVE, at("2026-11-10T12:00Z"))
    repo.branch("stable")
    repo.commit("Backport", {"VERSION": "1.1"}, DAVE, at("2026-11-11T12:00Z"))
    repo.merge_branch("stable", at("2026-11-12T12:00Z"))
    repo.squash_pr(
        4, "Tweak insights page", {"web/insights/c.py": "2"}, BOB, at("2026-11-15T12:00Z")
    )
    repo.squash_pr(5, "Bump jinja2", {"requirements.txt": "jinja2"}, BOT, at("2026-11-20T12:00Z"))
    repo.squash_pr(6, "Docs @everyone <b>", {"docs/x.md": "x"}, DAVE, at("2026-11-25T12:00Z"))
    # December: outside the month.
    repo.squash_pr(7, "Next month", {"docs/y.md": "y"}, DAVE, at("2026-12-01T00:00Z"))
    return repo


def test_review_finds_exact_prs_links_and_buckets(repo: GitRepo) -> None:
    reviews = build_reviews(repo.path, Month(2026, 11))

    assert [r.summary.team for r in reviews] == ["analytics", "growth", "unowned"]
    assert all(r.branch == "trunk" for r in reviews)
    analytics, growth, unowned = (r.summary for r in reviews)
    shipped = {
        gm.goal.id: [(lk.pr.number, lk.rule) for lk in gm.prs]
        for r in reviews
        for gm in r.summary.goals
        if gm.prs
    }
    assert shipped == {"funnels": [(3, "reference")], "onboarding": [(2, "label")]}
    assert [(lk.pr.number, lk.rule) for lk in analytics.unplanned] == [(4, "paths")]
    assert growth.unplanned == ()
    assert [(lk.pr.number, lk.rule) for lk in unowned.unplanned] == [(5, "none"), (6, "none")]
    # Every November PR lands in exactly one bucket; commits that are not PRs in none.
    numbers = sorted(
        [lk.pr.number for s in (analytics, growth, unowned) for lk in s.unplanned]
        + [lk.pr.number for r in reviews for gm in r.summary.goals for lk in gm.prs]
    )
    assert numbers == [2, 3, 4, 5, 6]


def test_review_metrics_for_the_month(repo: GitRepo) -> None:
    analytics, growth, unowned = (r.summary for r in build_reviews(repo.path, Month(2026, 11)))

    assert (analytics.shipped, analytics.planned, analytics.previous_speed.shipped) == (2, 1, 1)
    assert analytics.speed.throughput == pytest.approx(2 / (30 / 7))
    # Lead time only where history has the branch: PR 3, 1 Nov 09:00 → 5 Nov 12:00.
    lead = analytics.speed.lead_time
    assert (lead.n, lead.median, lead.p90) == (1, 99.0, 99.0)
    assert analytics.speed.cycle_time.reason == "needs GitHub"
    assert unowned.shipped == 1  # the bot's unplanned PR is listed, not counted
    progress = {p.goal.id: p for s in (analytics, growth) for p in s.progress}
    assert progress["funnels"].shipped == 2  # PR 1 in October and PR 3 in November
    assert progress["funnels"].first_ship == at("2026-10-20T12:00Z")
    assert progress["onboarding"].days_since_last_ship == 28  # 3 Nov → 1 Dec


def test_review_markdown_escapes_titles_and_pings_nobody(repo: GitRepo) -> None:
    reviews = build_reviews(repo.path, Month(2026, 11), team=None)
    text = render_review(reviews[-1])

    assert text.startswith("<!-- quarterdeck:review team=unowned month=2026-11 -->\n")
    # Dave's login is only a guess (from his email): shown as one, never a mention.
    assert "#6 Docs `@everyone` &lt;b&gt; · `dave` (guessed) · 2026-11-25 · in `docs`" in text
    assert "<b>" not in text


def test_review_of_one_team_and_json(repo: GitRepo) -> None:
    reviews = build_reviews(repo.path, Month(2026, 11), team="growth")
    data = reviews_to_json(reviews)["reviews"]

    assert [r["title"] for r in data] == ["Growth review: growth — November 2026"]
    assert data[0]["summary"]["goals"][0]["prs"][0]["pr"]["number"] == 2
    assert data[0]["month"] == "2026-11"


def test_unknown_team_is_a_clear_error(repo: GitRepo) -> None:
    with pytest.raises(QuarterdeckError, match=r"no team 'sales'.*analytics, growth"):
        build_reviews(repo.path, Month(2026, 11), team="sales")


def test_repo_without_config_reviews_everything_as_unowned(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "bare")
    repo.commit("Initial commit", {"README.md": "x"}, ALICE, at("2026-10-01T09:00Z"))
    repo.squash_pr(1, "First PR", {"a.py": "1"}, ALICE, at("2026-11-02T09:00Z"))

    [review] = build_reviews(repo.path, Month(2026, 11))

    assert review.title == "Growth review: work no team owns — November 2026"
    assert [lk.pr.number for lk in review.summary.unplanned] == [1]
