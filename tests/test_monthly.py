"""The six-month history: speed and investment balance per month, cut from one read."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month, weeks_between
from quarterdeck.core.model import Link
from quarterdeck.core.review.monthly import (
    Balance,
    balance,
    balance_kinds,
    speed_charts,
    team_months,
    total_balance,
)
from quarterdeck.core.text.charts import mermaid_xychart
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.gitrepo import GitRepo
from tests.reviewrepos import ALICE, BOB, CONFIG, GOALS, at
from tests.test_metrics import make_link

MONTHS = tuple(Month(2026, m) for m in range(6, 12))  # Jun … Nov 2026


def _on(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("links", "expected"),
    [
        ([], Balance(0, ())),
        ([make_link(1, goal="g")], Balance(1, ())),
        # Labels first, then the conventional-commit prefix, else "other".
        (
            [
                make_link(1, goal="g"),
                make_link(2, labels=("bug",)),
                make_link(3, title="fix(api): x"),
                make_link(4, title="docs: y"),
                make_link(5, title="Tidy up"),
            ],
            Balance(1, (("fix", 2), ("docs", 1), ("other", 1))),
        ),
        # A dependency bot's unlinked bump is listed elsewhere but not shipped work...
        ([make_link(1, author="dependabot[bot]", title="Bump a from 1 to 2")], Balance(0, ())),
        # ...unless it moves a goal.
        ([make_link(1, author="dependabot[bot]", goal="g")], Balance(1, ())),
    ],
)
def test_balance_counts_shipped_prs_by_goal_or_type(links: list[Link], expected: Balance) -> None:
    assert balance(links) == expected


def test_a_bot_named_in_bots_count_is_shipped_work_by_type() -> None:
    bump = make_link(1, author="renovate[bot]", title="chore(deps): bump x")
    assert balance([bump], shipping_bots=("renovate",)) == Balance(0, (("deps", 1),))


@pytest.mark.parametrize(
    ("b", "kind", "share"),
    [
        (Balance(1, (("fix", 3),)), "goals", 25.0),
        (Balance(1, (("fix", 3),)), "fix", 75.0),
        (Balance(1, (("fix", 3),)), "docs", 0.0),
        (Balance(0, ()), "goals", None),  # nothing shipped: no share, not 0 %
    ],
)
def test_shares_are_of_shipped_prs(b: Balance, kind: str, share: float | None) -> None:
    assert b.share(kind) == share


def test_each_month_is_cut_from_the_same_links() -> None:
    links = [
        make_link(1, _on(6), goal="g"),
        make_link(2, _on(6, 20), title="fix: a"),
        make_link(3, _on(8), title="feat: b"),
        make_link(4, _on(11), goal="g"),
        make_link(5, _on(11, 30), goal="g"),
        make_link(6, _on(5), goal="g"),  # before the six months: in no row
    ]
    history = team_months(links, MONTHS, "UTC")

    assert [tm.month for tm in history] == list(MONTHS)
    assert [tm.speed.shipped for tm in history] == [2, 0, 1, 0, 0, 2]
    weeks = [weeks_between(m.start(), m.end()) for m in MONTHS]
    assert [tm.speed.throughput for tm in history] == [
        n / w for n, w in zip([2, 0, 1, 0, 0, 2], weeks, strict=True)
    ]
    assert [tm.balance.planned for tm in history] == [1, 0, 0, 0, 0, 2]
    six = total_balance(history)
    assert six == Balance(3, (("fix", 1), ("feat", 1)))
    assert balance_kinds(history) == (("goals", "Goals"), ("fix", "Fixes"), ("feat", "Features"))


def test_months_follow_the_review_time_zone() -> None:
    # 03:00 UTC on 1 July is still 30 June in Los Angeles.
    late = make_link(1, datetime(2026, 7, 1, 3, tzinfo=UTC), goal="g")
    utc = team_months([late], MONTHS[:2], "UTC")
    la = team_months([late], MONTHS[:2], "America/Los_Angeles")
    assert [tm.speed.shipped for tm in utc] == [0, 1]
    assert [tm.speed.shipped for tm in la] == [1, 0]


def _github(number: int, merged: datetime, hours: float, **fields: object) -> Link:
    return make_link(
        number, merged, source="github", created_at=merged - timedelta(hours=hours), **fields
    )


def test_speed_charts_hold_the_exact_series() -> None:
    links = [_github(1, _on(6), 10), _github(2, _on(7), 20), _github(3, _on(7, 20), 40)]
    history = team_months(links, MONTHS, "UTC")
    throughput, cycle = speed_charts(history)

    assert throughput.title == "PRs shipped a week"
    assert throughput.lines[0].values == tuple(round(tm.speed.throughput, 1) for tm in history)
    # Cycle time exists only in June (10 h) and July (median of 20 h and 40 h).
    assert cycle.title == "Median cycle time (hours)"
    assert cycle.lines[0].values == (10.0, 30.0, None, None, None, None)
    source = mermaid_xychart(cycle)
    assert 'x-axis ["Jun 2026", "Jul 2026"]' in source
    assert "line [10, 30]" in source


def test_offline_history_charts_lead_time_in_days_when_it_is_long() -> None:
    links = [
        make_link(n, _on(m), first_commit_at=_on(m) - timedelta(days=days))
        for n, (m, days) in enumerate([(9, 4), (10, 6), (11, 2)], 1)
    ]
    charts = speed_charts(team_months(links, MONTHS, "UTC"))
    assert [c.title for c in charts] == ["PRs shipped a week", "Median lead time (days)"]
    assert charts[1].lines[0].values == (None, None, None, 4.0, 6.0, 2.0)


def test_a_history_with_one_month_of_durations_draws_no_duration_chart() -> None:
    charts = speed_charts(team_months([_github(1, _on(11), 5)], MONTHS, "UTC"))
    assert [c.title for c in charts] == ["PRs shipped a week"]


def _git_counts(repo: Path, months: tuple[Month, ...]) -> list[int]:
    """Squash-merged PRs per month, from git itself: commits whose subject ends `(#N)`."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%cI %s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    per = Counter(
        line[:7] for line in out.splitlines() if line.rstrip().endswith(")") and "(#" in line
    )
    return [per[str(m)] for m in months]


def test_the_review_shows_six_months_read_from_one_clone(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-05-01T09:00Z"))
    plan = [(6, 2), (7, 0), (8, 3), (9, 1), (10, 2), (11, 4)]
    number = 1
    for month, count in plan:
        for i in range(count):
            number += 1
            when = at(f"2026-{month:02d}-{3 + 5 * i:02d}T12:00Z")
            title = "fix: tidy" if i % 2 else "feat: funnels"
            repo.squash_pr(number, title, {f"web/insights/f{number}.py": "1"}, BOB, when)

    [analytics, _growth] = build_reviews(repo.path, Month(2026, 11))

    expected = _git_counts(repo.path, MONTHS)
    assert expected == [count for _, count in plan]
    assert [tm.speed.shipped for tm in analytics.history] == expected
    text = render_review(analytics)
    for tm, count in zip(analytics.history, expected, strict=True):
        assert f"| {tm.month.abbr} | {count} | {tm.speed.throughput:.1f} |" in text
    six = sum(expected)
    fixes = sum(count // 2 for _, count in plan)
    assert "| Fixes | " in text
    assert f"{round(fixes / six * 100)} % ({fixes}) |" in text
