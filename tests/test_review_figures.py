"""The PM's figures in the review itself: six-month trends, targets and anomalies."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.gitrepo import GitRepo

CONFIG = """\
teams:
  growth:
    lead: alice
    members: [alice]
    metrics:
      - id: signups
        title: Signups
        unit: count
        section: Acquisition
        sql: SELECT month, n FROM signups ORDER BY month
metrics:
  - id: mrr
    sql: SELECT month, mrr FROM revenue WHERE month < substr(:end, 1, 7) ORDER BY month
  - {id: mrr_growth, target: ">= 9"}
  - {id: nps, sql: SELECT month, nps FROM nps}
sources:
  warehouse: {url_env: REVIEW_TEST_WAREHOUSE}
"""
REVENUE = [("2026-05", 1000), ("2026-06", 1100), ("2026-07", 1210), ("2026-08", 1331),
           ("2026-09", 1464.1), ("2026-10", 1610.51), ("2026-11", 1650)]  # fmt: skip
SIGNUPS = [("2026-06", 50), ("2026-07", 52), ("2026-08", 48), ("2026-09", 51),
           ("2026-10", 49), ("2026-11", 90)]  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    db = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE revenue (month TEXT, mrr REAL)")
        conn.executemany("INSERT INTO revenue VALUES (?, ?)", REVENUE)
        conn.execute("CREATE TABLE signups (month TEXT, n INTEGER)")
        conn.executemany("INSERT INTO signups VALUES (?, ?)", SIGNUPS)
    monkeypatch.setenv("REVIEW_TEST_WAREHOUSE", f"sqlite:///{db}")
    repo = GitRepo.init(tmp_path / "web")
    when = datetime(2026, 10, 1, tzinfo=UTC)
    repo.commit("Initial commit", {".github/quarterdeck.yml": CONFIG}, date=when)
    alice = ("Alice", "1+alice@users.noreply.github.com")
    repo.squash_pr(1, "Faster signup", {"web/a.py": "1"}, alice, datetime(2026, 11, 3, tzinfo=UTC))
    return repo


def test_trends_targets_anomalies_and_a_missing_table_in_the_review(repo: GitRepo) -> None:
    (review,) = build_reviews(repo.path, Month(2026, 11))
    text = render_review(review)
    lines = text.splitlines()

    assert [str(m) for m in review.figure_months] == [f"2026-{m:02d}" for m in range(6, 12)]
    assert (
        "| Metric | Trend | Jun 2026 | Jul 2026 | Aug 2026 | Sep 2026 | Oct 2026 | Nov 2026 "
        "| Change " in (text)
    )
    # Dollars are escaped (`\$`, shown as `$`): two on a line would open GitHub's math.
    # Each row starts with its sparkline, lowest month ▁ to highest █.
    assert (
        "| MRR | ▁▂▄▆▇█ | \\$1,100 | \\$1,210 | \\$1,331 | \\$1,464.1 | \\$1,610.5 | \\$1,650 "
        "| +2.5 % |  |" in lines
    )
    # Growth is computed from MRR: five steady months of 10 %, then 2.5 %, against ">= 9".
    assert (
        "| MRR month-on-month growth | █████▁ | 10 % | 10 % | 10 % | 10 % | 10 % | 2.5 % ⚠️ "
        "| −7.5 pp | ≥ 9 % ❌ |" in lines
    )
    assert (
        "- ❌ MRR month-on-month growth missed its target (≥ 9 %): 2.5 % in November 2026."
        " [Six months](#user-content-figures-revenue)" in lines
    )
    # Each item links to its figures' fold (GitHub serves `<a id>` as user-content-<id>).
    assert (
        "- ⚠️ MRR month-on-month growth stands out: 2.5 %, below its 5-month mean of 10 %."
        " [Six months](#user-content-figures-revenue)" in lines
    )
    # Signups jump to 90 against a steady ~50, in a section the team named itself.
    assert "## Acquisition" in lines
    assert "| Signups | ▁▂▁▁▁█ | 50 | 52 | 48 | 51 | 49 | 90 ⚠️ | +83.7 % |  |" in lines
    assert (
        "- ⚠️ Signups stands out: 90, above its 5-month mean of 50 by 25.3 standard deviations."
        " [Six months](#user-content-figures-more-1)" in lines
    )
    # NPS's query fails: unavailable, with the database's words, and the review renders.
    why = "the warehouse refused the query: no such column: month"
    assert f"- NPS is unavailable this month: {why}. [Figures](#user-content-figures-feedback)" in (
        lines
    )
    assert f"| NPS |  | _unavailable: {why}_ | — | — | — | — | — | — |  |" in lines


def test_a_target_nobody_set_judges_nothing(repo: GitRepo) -> None:
    # The same growth (2.5 % after five months of 10 %), with no target in the config:
    # no built-in target makes a ❌, and the row's target cell stays empty.
    config = CONFIG.replace('{id: mrr_growth, target: ">= 9"}', "{id: mrr_growth}")
    repo.commit(
        "No target", {".github/quarterdeck.yml": config}, date=datetime(2026, 11, 5, tzinfo=UTC)
    )
    (review,) = build_reviews(repo.path, Month(2026, 11))
    text = render_review(review)

    growth = next(f for f in review.figures if f.metric.id == "mrr_growth")
    assert growth.metric.target is None
    assert growth.target_met is None
    assert review.missed_targets == ()
    assert "missed its target" not in text
    assert "❌" not in text
    row = next(line for line in text.splitlines() if line.startswith("| MRR month-on-month"))
    assert row.endswith("| −7.5 pp |  |")


def test_one_name_one_value_where_the_metrics_file_and_the_config_both_give_a_figure(
    repo: GitRepo,
) -> None:
    # The metrics file gives the company's MRR and growth; the config's mrr and
    # mrr_growth give them too (from the warehouse, other values): one row each.
    metrics = (
        "revenue:\n  mrr: 182400\n  mrr_growth: 4.2\n  revenue_churn: 1.5\n"
        "  paying_customers: 1311\n"
    )
    repo.commit(
        "November figures", {"metrics/2026-11.yml": metrics}, date=datetime(2026, 11, 5, tzinfo=UTC)
    )
    (review,) = build_reviews(repo.path, Month(2026, 11))
    text = render_review(review)
    rows = [line.split(" | ")[0] for line in text.splitlines() if line.startswith("| ")]

    assert [r.label for r in review.revenue_rows] == ["Revenue churn", "Paying customers"]
    assert rows.count("| MRR") == 1
    assert "| Month-on-month growth" not in rows
    assert "182,400" not in text
    assert "| Revenue churn | — | 1.5 % | — |" in text.splitlines()
