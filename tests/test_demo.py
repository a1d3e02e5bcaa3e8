"""`quarterdeck demo`: its embedded warehouse, the figures it shows, and that it needs
no token and no network.

The expectations come from the example data itself (the CSV files under
examples/warehouse/), computed here in a few lines, never from the demo's output.
"""

from __future__ import annotations

import csv
import os
import socket
import statistics
import subprocess
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.demo import DEMO_MONTH, build_demo_repo

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "examples" / "warehouse"
# The review's window: the review month and the six before it. A trend table shows
# the last six; a month is judged against the six before it.
WINDOW = [DEMO_MONTH]
for _ in range(6):
    WINDOW.insert(0, WINDOW[0].previous())
SHOWN, TRAILING = WINDOW[1:], WINDOW[:-1]


def rows(table: str) -> list[dict[str, str]]:
    with (DATA / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def month_of(text: str) -> Month:
    return Month.parse(text[:7])


def shown(value: float, unit: str = "") -> str:
    """A figure as a reader sees it: one decimal at most, no trailing .0."""
    return f"{round(value, 1):g}{unit}"


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's Markdown, one review per team slug."""
    out = tmp_path_factory.mktemp("demo") / "review.md"
    assert main(["demo", "-o", str(out)]) == 0
    found = {}
    for review in out.read_text(encoding="utf-8").split("\n---\n"):
        title = next(line for line in review.splitlines() if line.startswith("# Growth review"))
        found[title.removeprefix("# Growth review: ").split(" — ")[0]] = review
    return found


def row_of(review: str, title: str) -> list[str]:
    """The cells after the title and its sparkline in the trend-table row (six months,
    change, target) of the metric titled `title`; the metrics file's two-month rows are
    not trend rows."""
    for line in review.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == title and len(cells) == 2 + len(SHOWN) + 2:
            return cells[2:]
    raise AssertionError(f"no trend row for {title}")


def summary_line(review: str, start: str) -> str:
    """The summary's list item that begins with `start` (a mark and a metric's title)."""
    summary = review.split("## Summary", 1)[1].split("\n## ", 1)[0]
    return next(line for line in summary.splitlines() if line.startswith(f"- {start}"))


def test_every_trend_table_shows_the_six_months_up_to_the_review(
    reviews: dict[str, str],
) -> None:
    header = "| Metric | Trend | " + " | ".join(m.abbr for m in SHOWN) + " | Change | Target |"
    for team in ("product-analytics", "growth"):
        # Revenue, product analytics and feedback each have their table.
        assert reviews[team].count(header) == 3, team
    assert "unavailable" not in "".join(reviews.values())


def test_mrr_growth_misses_its_target(reviews: dict[str, str]) -> None:
    # PostHog's benchmark for a mature product, the target the demo's config sets
    # (written there: no metric has a target by default).
    mrr: dict[str, dict[Month, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows("mrr_by_month"):
        mrr["growth"][month_of(row["month"])] += float(row["mrr_usd"])  # company-wide
        if row["product"] == "product_analytics":
            mrr["product-analytics"][month_of(row["month"])] += float(row["mrr_usd"])
    for team, series in mrr.items():
        growth = {m: (series[m] / series[m.previous()] - 1) * 100 for m in SHOWN}
        assert growth[DEMO_MONTH] < 9, "the example data must miss the target"
        cells = row_of(reviews[team], "MRR month-on-month growth")
        assert cells[:6] == [shown(growth[m], " %") for m in SHOWN]
        assert cells[-1] == "≥ 9 % ❌"
        said = summary_line(reviews[team], "❌ MRR month-on-month growth")
        assert f"{shown(growth[DEMO_MONTH], ' %')} in {DEMO_MONTH.label}" in said


def activation_by_month() -> dict[Month, float]:
    """% of the month's new organisations that sent an event within a day."""
    signed: dict[Month, int] = defaultdict(int)
    active: dict[Month, int] = defaultdict(int)
    for row in rows("organisations"):
        created = datetime.fromisoformat(row["created_at"])
        month = month_of(row["created_at"])
        signed[month] += 1
        first = row["first_event_at"]
        if first and datetime.fromisoformat(first) < created + timedelta(days=1):
            active[month] += 1
    return {m: 100 * active[m] / signed[m] for m in signed}


def test_activation_jumps_out_of_its_six_month_range(reviews: dict[str, str]) -> None:
    activation = activation_by_month()
    trailing = [activation[m] for m in TRAILING]
    mean, sd = statistics.fmean(trailing), statistics.stdev(trailing)
    now = activation[DEMO_MONTH]
    assert abs(now - mean) > 2 * sd, "the example data must hold an anomaly"
    cells = row_of(reviews["growth"], "Activation")
    assert cells[:5] == [shown(activation[m], " %") for m in SHOWN[:-1]]
    assert cells[5] == shown(now, " %") + " ⚠️"
    assert cells[-1] == ("≥ 40 % ✅" if now >= 40 else "≥ 40 % ❌")
    said = summary_line(reviews["growth"], "⚠️ Activation")
    for words in (shown(now, " %"), f"mean of {shown(mean, ' %')}", f"{(now - mean) / sd:.1f}"):
        assert words in said


def test_team_figures_are_the_teams_own_and_company_ones_are_everyones(
    reviews: dict[str, str],
) -> None:
    answers: dict[Month, list[int]] = defaultdict(list)
    for row in rows("nps_responses"):
        answers[month_of(row["responded_at"])].append(int(row["score"]))
    nps = {
        m: 100 * (sum(s >= 9 for s in a) - sum(s <= 6 for s in a)) / len(a)
        for m, a in answers.items()
    }
    for team in ("product-analytics", "growth"):  # company-wide: every team's review
        assert row_of(reviews[team], "NPS")[:6] == [shown(nps[m]) for m in SHOWN]
    assert "| Activation |" not in reviews["product-analytics"]
    assert "| Insights saved |" not in reviews["growth"]


def test_the_warehouse_holds_the_example_rows(tmp_path: Path) -> None:
    import sqlite3

    demo = build_demo_repo(tmp_path / "sample")
    assert list(demo.env) == ["QUARTERDECK_WAREHOUSE_URL"]
    path = Path(demo.env["QUARTERDECK_WAREHOUSE_URL"].removeprefix("sqlite:///"))
    assert path.is_file()
    with sqlite3.connect(path) as db:
        for csv_path in sorted(DATA.glob("*.csv")):
            table = csv_path.stem
            (count,) = db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            assert count == len(rows(table)), table
        # Typed by the schema: numbers are numbers, empty fields NULL.
        assert db.execute("SELECT typeof(mrr_usd) FROM mrr_by_month LIMIT 1").fetchone() == (
            "integer",
        )
        never = sum(1 for r in rows("organisations") if not r["first_event_at"])
        assert db.execute(
            "SELECT count(*) FROM organisations WHERE first_event_at IS NULL"
        ).fetchone() == (never,)
    # The built file is no change to the sample repo: its .gitignore leaves it out.
    status = subprocess.run(
        ["git", "-C", str(demo.path), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""


def test_the_demo_needs_no_token_and_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "POSTHOG_PERSONAL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # A warehouse URL of the person's own stays theirs: the demo neither uses nor changes it.
    # (A file that cannot open: were the demo to use it, its figures would be unavailable.)
    theirs = f"sqlite:///{tmp_path / 'no-such-folder' / 'theirs.sqlite'}"
    monkeypatch.setenv("QUARTERDECK_WAREHOUSE_URL", theirs)
    reached: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        reached.append(args)
        raise OSError("the demo must not use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    out = tmp_path / "review.md"
    assert main(["demo", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert reached == []
    assert "unavailable" not in text
    assert "| Activation |" in text
    assert os.environ["QUARTERDECK_WAREHOUSE_URL"] == theirs


def test_the_demo_groups_goal_progress_by_the_example_objectives(
    reviews: dict[str, str],
) -> None:
    examples = ROOT / "examples"
    quarter = DEMO_MONTH.quarter
    objectives = yaml.safe_load((examples / "objectives" / f"{quarter}.yml").read_text())
    goals = yaml.safe_load((examples / "goals" / f"{quarter}.yml").read_text())
    assert {g["team"] for g in goals} == set(reviews) - {"work no team owns"}
    seen: list[str] = []
    for team, review in reviews.items():
        own = [g for g in goals if g["team"] == team]
        if not own:
            continue
        named = {g.get("objective") for g in own}
        expected = [o["title"] for o in objectives if o["id"] in named]
        expected += ["No company objective"] if None in named else []
        section = review.split("<!-- quarterdeck:section goals -->", 1)[1].split("<!-- /", 1)[0]
        headings = [line[4:] for line in section.splitlines() if line.startswith("### ")]
        assert headings == expected, team
        seen += headings
    # The example goals show both: objectives with their goals, and goals serving none.
    assert "No company objective" in seen
    assert {o["title"] for o in objectives} <= set(seen)


def _question_tables(review: str) -> list[list[list[str]]]:
    """The tables under the review's discussion questions, in order."""
    from tests.mdcheck import parse

    discussion = review[review.index("## Discussion") : review.index("## Decision")]
    return parse(discussion).tables


def test_the_warehouse_answers_the_five_default_questions(reviews: dict[str, str]) -> None:
    from quarterdeck.core.model import DEFAULT_QUESTIONS

    review = reviews["growth"]
    discussion = review[review.index("## Discussion") : review.index("## Decision")]
    for number, question in enumerate(DEFAULT_QUESTIONS, 1):
        assert f"{number}. {question}" in discussion
    assert discussion.count("<details>") == 5
    assert "from the warehouse (SQL), November 2026, as of 2026-12-01" in discussion
    biggest, icp, churn, indicator, funnel = _question_tables(review)

    # The ten biggest customers of the month, by MRR, with their usage change.
    names = {r["customer_id"]: r for r in rows("customers")}
    usage = {(r["month"], r["customer_id"]): r for r in rows("customer_usage")}
    now = sorted(
        (r for (m, _), r in usage.items() if m == "2026-11-01"), key=lambda r: -int(r["mrr_usd"])
    )[:10]
    assert [r[0] for r in biggest[1:]] == [names[r["customer_id"]]["name"] for r in now]
    top, before = now[0], usage[("2026-10-01", now[0]["customer_id"])]
    change = 100 * (int(top["events"]) - int(before["events"])) / int(before["events"])
    assert biggest[1][2:] == [
        f"\\${int(top['mrr_usd']):,}",
        top["active_users"],
        f"{round(change, 1):g} %".replace("-", "−"),
    ]
    # Ideal-profile customers against the others, both present this month.
    assert [r[0] for r in icp[1:]] == ["Ideal profile", "Other customers"]
    in_icp = [r for r in now if names[r["customer_id"]]["icp"] == "1"]
    assert int(icp[1][1]) >= len(in_icp)
    # Last month's churned customers, each with the reason they gave.
    churned = [r for r in rows("churned_customers") if r["churned_on"].startswith("2026-11")]
    assert sorted(r[3] for r in churn[1:]) == sorted(r["reason"] for r in churned)
    # The leading indicator's split, and the funnel starting with the month's sign-ups.
    assert [r[0] for r in indicator[1:]] == ["Invited a teammate", "Did not invite a teammate"]
    signups = [r for r in rows("organisations") if r["created_at"].startswith("2026-11")]
    assert funnel[1][:3] == ["Signed up", str(len(signups)), "100 %"]
    assert [r[0] for r in funnel[1:]][1:] == [
        "Sent a first event", "Saved an insight", "Invited a teammate", "Active in week 2",
    ]  # fmt: skip
    sent = sum(1 for r in signups if r["first_event_at"])
    assert funnel[2][1] == str(sent)
    assert funnel[2][3] == f"{round(100 * (len(signups) - sent) / len(signups), 1):g} %"
