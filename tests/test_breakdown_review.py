"""A flagged figure's breakdown in the review (issue 25): folded beside its section,
linked from "What to discuss", its segment names escaped, in the JSON, and --strict
failing on one that could not be read."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.gitrepo import GitRepo
from tests.mdcheck import parse

# MRR grows 10 % a month, then 2.5 % in November against a 9 % target.
CONFIG = """\
teams:
  growth:
    lead: alice
    members: [alice]
metrics:
  - id: mrr
    sql: >-
      SELECT month, sum(mrr) FROM subs WHERE month < substr(:end, 1, 7)
      GROUP BY month ORDER BY month
  - id: mrr_growth
    target: ">= 9"
    breakdown:
      by: plan
      unit: usd
      sql: >-
        SELECT plan, month, sum(mrr) FROM subs WHERE month >= substr(:start, 1, 7)
        AND month < substr(:end, 1, 7) GROUP BY plan, month
sources:
  warehouse: {url_env: BREAKDOWN_TEST_WAREHOUSE}
"""
HOSTILE = "<img src=x> @alice | [x](https://evil.example)"
MRR = (1000, 1100, 1210, 1331, 1464.1, 1610.51)  # May to October: 10 % a month
STEADY = [(f"2026-{m:02d}", v) for m, v in zip(range(5, 11), MRR, strict=True)]
# November: team +100, enterprise -60.51; HOSTILE (new, at 0) and legacy (gone, from 0)
# do not move, so they are counted but not shown.
SUBS = [(m, "team", v / 2) for m, v in STEADY] + [(m, "enterprise", v / 2) for m, v in STEADY]
SUBS += [("2026-11", "team", 1610.51 / 2 + 100), ("2026-11", "enterprise", 1610.51 / 2 - 60.51)]
SUBS += [("2026-11", HOSTILE, 0.0), ("2026-10", "legacy", 0.0)]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    db = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE subs (month TEXT, plan TEXT, mrr REAL)")
        conn.executemany("INSERT INTO subs VALUES (?, ?, ?)", SUBS)
    monkeypatch.setenv("BREAKDOWN_TEST_WAREHOUSE", f"sqlite:///{db}")
    repo = GitRepo.init(tmp_path / "web")
    repo.commit("Initial commit", {".github/quarterdeck.yml": CONFIG}, date=_at(10, 1))
    alice = ("Alice", "1+alice@users.noreply.github.com")
    repo.squash_pr(1, "Faster signup", {"web/a.py": "1"}, alice, _at(11, 3))
    return repo


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_the_review_shows_why_and_what_to_discuss_links_to_it(repo: GitRepo) -> None:
    (review,) = build_reviews(repo.path, Month(2026, 11))
    text = render_review(review)
    lines = text.splitlines()

    growth = next(f for f in review.figures if f.metric.id == "mrr_growth")
    assert growth.breakdown is not None
    # Both items of "What to discuss" (missed target, anomaly) link to the breakdown.
    link = " · [By plan](#user-content-why-mrr-growth)"
    items = [line for line in lines if line.startswith(("- ❌ MRR", "- \u26a0\ufe0f MRR"))]
    assert len(items) == 2
    assert all(item.endswith(link) for item in items)
    # Its own fold, after the revenue section's, inside the section's markers; the anchor
    # sits just before it.
    revenue = text.split("<!-- quarterdeck:section revenue -->", 1)[1].split("<!-- /", 1)[0]
    fold = revenue.split('<a id="why-mrr-growth"></a>\n', 1)[1]
    assert revenue.index("</details>") < revenue.index('<a id="why-mrr-growth">')
    assert fold.startswith(
        "<details>\n<summary>Why MRR month-on-month growth moved, by plan: 4 segments</summary>\n\n"
    )
    table = next(t for t in parse(fold).tables if t[0][0] == "plan")
    assert table[0] == ["plan", "Oct 2026", "Nov 2026", "Change", "Share of the change"]
    # +100 and -60.51 of a total +39.49: shares of 253.2 % and -153.2 %.
    assert table[1:] == [
        ["team", "\\$805.3", "\\$905.3", "+\\$100", "+253.2 %"],
        ["enterprise", "\\$805.3", "\\$744.7", "−\\$60.5", "−153.2 %"],
    ]
    assert (
        "_The 2 of 4 segments that moved it most. In all: +\\$39.5; the other 2: no change._"
        in fold
    )
    # One fold never holds another.
    for block in re.findall(r"<details>\n(.*?)</details>", text, re.S):
        assert "<details>" not in block


def test_segment_names_are_escaped(repo: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:  # the hostile plan now moves the most
        conn.execute("UPDATE subs SET mrr = 500 WHERE plan = ?", (HOSTILE,))
    (review,) = build_reviews(repo.path, Month(2026, 11))
    text = render_review(review)

    fold = text.split('<a id="why-mrr-growth"></a>', 1)[1].split("</details>", 1)[0]
    row = next(line for line in fold.splitlines() if "img" in line)
    # HTML is shown as text, the mention and the link are inert code spans.
    assert row.startswith("| &lt;img src=x&gt; `@alice` \\| `[x](https://evil.example)` (new) |")
    assert row.count(" | ") == 4  # the name's `|` does not add a cell
    assert "(new)" in row


def test_the_json_carries_the_breakdown(repo: GitRepo) -> None:
    (review,) = build_reviews(repo.path, Month(2026, 11))
    data = reviews_to_json([review])
    growth = next(f for f in data["reviews"][0]["figures"] if f["metric"]["id"] == "mrr_growth")
    breakdown = growth["breakdown"]
    assert breakdown["by"] == "plan"
    assert breakdown["month"] == "2026-11"
    assert breakdown["previous_month"] == "2026-10"
    assert [s["segment"] for s in breakdown["segments"]] == ["team", "enterprise"]
    assert breakdown["segments"][0]["change"] == pytest.approx(100)
    assert breakdown["unavailable"] is None
    mrr = next(f for f in data["reviews"][0]["figures"] if f["metric"]["id"] == "mrr")
    assert mrr["breakdown"] is None
    json.dumps(data)  # plain data all through


def test_strict_fails_on_a_breakdown_that_could_not_be_read(
    repo: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = CONFIG.replace("GROUP BY plan, month", "GROUP BY plan, nomonth")
    repo.commit("Typo", {".github/quarterdeck.yml": broken}, date=_at(11, 5))
    out = tmp_path / "review.md"
    argv = ["review", "--repo", str(repo.path), "--month", "2026-11", "-o", str(out)]

    assert main([*argv, "--strict"]) == 1
    err = capsys.readouterr().err
    assert "growth: mrr_growth breakdown by plan: the warehouse refused the query" in err
    assert not out.exists()

    # Without --strict the review is written: the figure stands, the breakdown says why.
    assert main(argv) == 0
    text = out.read_text()
    assert "<summary>Why MRR month-on-month growth moved, by plan: unavailable</summary>" in text
    assert "_The breakdown by plan is unavailable this month: the warehouse refused" in text
    assert "| MRR month-on-month growth | " in text


def test_the_demo_explains_its_missed_target_by_plan(tmp_path: Path) -> None:
    out = tmp_path / "demo.md"
    assert main(["demo", "-o", str(out)]) == 0
    first = out.read_text(encoding="utf-8").split("\n---\n")[0]

    # The expectation comes from the demo's warehouse data itself.
    data = Path(__file__).parent.parent / "examples" / "warehouse" / "mrr_by_plan.csv"
    with data.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["product"] == "product_analytics"]
    oct_ = {r["plan"]: int(r["mrr_usd"]) for r in rows if r["month"] == "2026-10-01"}
    nov = {r["plan"]: int(r["mrr_usd"]) for r in rows if r["month"] == "2026-11-01"}
    change = {p: nov[p] - oct_[p] for p in nov}
    total = sum(change.values())
    top = sorted(change, key=lambda p: (-abs(change[p]), p))
    assert "[By plan](#user-content-why-mrr-growth)" in first
    fold = first.split('<a id="why-mrr-growth"></a>', 1)[1].split("</details>", 1)[0]
    table = next(t for t in parse(fold).tables if t[0][0] == "plan")
    assert [row[0].replace("\\_", "_") for row in table[1:]] == top
    shares = [float(row[4].replace("−", "-").removesuffix(" %")) for row in table[1:]]
    assert shares == [round(change[p] / total * 100, 1) for p in top]
    assert any(s < 0 for s in shares)  # one plan shrank while the total grew


def test_the_demo_explains_its_anomaly_by_signup_channel(tmp_path: Path) -> None:
    out = tmp_path / "demo.md"
    assert main(["demo", "-o", str(out)]) == 0
    review = next(
        r for r in out.read_text(encoding="utf-8").split("\n---\n") if "Activation stands" in r
    )

    # From the warehouse's files: organisations active within a day, by channel and month.
    folder = Path(__file__).parent.parent / "examples" / "warehouse"
    with (folder / "organisation_channels.csv").open(encoding="utf-8") as f:
        channel = {r["org_id"]: r["channel"] for r in csv.DictReader(f)}
    counts: dict[tuple[str, str], int] = {}
    with (folder / "organisations.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            created = datetime.fromisoformat(r["created_at"])
            first = r["first_event_at"]
            if first and (datetime.fromisoformat(first) - created).total_seconds() < 86400:
                key = (channel[r["org_id"]], f"{created:%Y-%m}")
                counts[key] = counts.get(key, 0) + 1
    channels = {c for c, _ in counts}
    change = {c: counts.get((c, "2026-11"), 0) - counts.get((c, "2026-10"), 0) for c in channels}
    total = sum(change.values())
    top = [c for c in sorted(change, key=lambda c: (-abs(change[c]), c)) if change[c]][:3]

    # The anomaly (not a missed target: Activation meets its target) links to its why.
    flagged = next(line for line in review.splitlines() if "Activation stands out" in line)
    assert "[By signup channel](#user-content-why-activation)" in flagged
    fold = review.split('<a id="why-activation"></a>', 1)[1].split("</details>", 1)[0]
    table = next(t for t in parse(fold).tables if t[0][0] == "signup channel")
    assert [row[0] for row in table[1:]] == top
    assert [int(row[1]) for row in table[1:]] == [counts[(c, "2026-10")] for c in top]
    assert [int(row[2]) for row in table[1:]] == [counts[(c, "2026-11")] for c in top]
    shares = [float(row[4].replace("−", "-").removesuffix(" %")) for row in table[1:]]
    assert shares == [round(change[c] / total * 100, 1) for c in top]
    assert shares[0] > 100  # one channel brought more than the whole rise
