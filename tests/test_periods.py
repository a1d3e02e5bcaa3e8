"""Complete periods: the quarter report counts every PR its months' reviews count, and
both `review` and `quarter-report` say when the history read does not cover the period
(it ends before the period ends, or begins after it begins).

Built on the real pallets-click history (it ends on 2026-08-20, part-way through a
month and a quarter) and on small synthetic histories; expectations come from git.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month, months_of_quarter
from tests.gitrepo import GitRepo
from tests.histories import CLICK_CONFIG, clone
from tests.mdcheck import parse
from tests.reviewrepos import ALICE, BOB, CONFIG, GOALS, at


def git_time(repo: Path, *args: str) -> datetime:
    """The committer time git prints for `git log --format=%ct ARGS`, the oldest listed."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--format=%ct", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return datetime.fromtimestamp(min(int(s) for s in out), UTC)


@pytest.fixture(scope="module")
def click(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = clone("pallets-click.bundle", tmp_path_factory.mktemp("click") / "click")
    (repo / ".github").mkdir(exist_ok=True)
    (repo / ".github" / "quarterdeck.yml").write_text(CLICK_CONFIG)
    return repo


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def review_json(repo: Path, month: Month, capsys: pytest.CaptureFixture[str]) -> dict:
    argv = ["review", "--repo", str(repo), "--month", str(month), "--format", "json"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    return json.loads(out)


def merged_in(review: dict) -> int:
    """Every PR one review counts: toward goals and unplanned (what it lists)."""
    return review["summary"]["planned"] + len(review["summary"]["unplanned"])


# ----------------------------------------------------------- every PR of the quarter


def test_the_quarter_report_counts_every_pr_its_months_reviews_count(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quarter = "2026-Q2"
    argv = ["quarter-report", "--repo", str(click), "--quarter", quarter]
    code, out, _ = run([*argv, "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)

    by_month = {}
    for month in months_of_quarter(quarter):
        reviews = review_json(click, month, capsys)["reviews"]
        by_month[str(month)] = sum(merged_in(r) for r in reviews)
    assert report["merged_by_month"] == by_month
    assert report["merged"] == sum(by_month.values()) > 0
    # Work no team owns is part of it, as in the monthly reviews, beside the teams'.
    teams = sum(t["merged"] for t in report["teams"])
    assert report["unowned"]["merged"] == report["merged"] - teams > 0

    code, text, _ = run(argv, capsys)
    assert code == 0
    assert "Work no team owns" in parse(text).headings
    assert f"{report['merged']} PRs merged in {quarter}" in text


def test_work_no_team_owns_in_an_earlier_month_stays_in_the_quarter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The quarter's last month has no unowned PR, so its reviews have no review of work
    # no team owns; October's unowned PR still counts in the quarter.
    repo = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-09-01T09:00Z"))
    outsider = ("Zed", "zed@example.com")  # in no team: the PR is nobody's
    repo.squash_pr(1, "Tidy the build", {"build/x.sh": "1"}, outsider, at("2026-10-14T12:00Z"))
    repo.squash_pr(2, "Faster insights", {"web/insights/a.py": "1"}, BOB, at("2026-12-02T12:00Z"))
    repo.commit("After the quarter", {"NEWS": "1"}, ALICE, at("2027-01-05T09:00Z"))

    argv = ["quarter-report", "--repo", str(repo.path), "--quarter", "2026-Q4", "--format", "json"]
    code, out, _ = run(argv, capsys)

    assert code == 0
    report = json.loads(out)
    assert report["unowned"] == {
        "merged": 1,
        "merged_by_month": {"2026-10": 1, "2026-11": 0, "2026-12": 0},
    }
    assert report["merged"] == 2


# -------------------------------------------------------------- history cut short


def test_a_month_the_history_ends_in_is_flagged_incomplete(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = git_time(click, "-1", "main").date().isoformat()
    month = Month.parse(last[:7])
    argv = ["review", "--repo", str(click), "--month", str(month)]

    code, out, err = run(argv, capsys)

    assert code == 0
    said = f"the history ends on {last}, before {month.label} ends"
    assert f"quarterdeck: warning: {said}" in err
    assert said in out  # in the Markdown review
    assert "reads smaller than it was" in err
    _, out, _ = run([*argv, "--format", "json"], capsys)
    for review in json.loads(out)["reviews"]:
        assert review["complete"] is False
        assert any(said in reason for reason in review["incomplete_reasons"])
    # The month before, which the history covers whole, is complete and says nothing.
    _, out, err = run([*argv[:-1], str(month.previous()), "--format", "json"], capsys)
    assert "history" not in err
    assert all(r["complete"] and not r["incomplete_reasons"] for r in json.loads(out)["reviews"])


def test_a_quarter_the_history_ends_in_is_not_complete(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = git_time(click, "-1", "main").date().isoformat()
    quarter = Month.parse(last[:7]).quarter
    argv = ["quarter-report", "--repo", str(click), "--quarter", quarter]

    code, out, err = run([*argv, "--format", "json"], capsys)

    assert code == 0
    report = json.loads(out)
    said = f"the history ends on {last}, before {quarter} ends"
    assert report["complete"] is False
    assert any(said in reason for reason in report["incomplete_reasons"])
    assert f"quarterdeck: warning: {said}" in err
    assert list(report["merged_by_month"].values())[-1] == 0  # its last month: no history
    code, text, _ = run(argv, capsys)
    assert code == 0
    assert said in text
    assert "What each team set out to build" not in text  # the complete quarter's opening


# ------------------------------------------------------------ history begun later


def test_a_month_before_the_history_begins_says_when_it_begins(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git_time(click, "--max-parents=0", "main").date()
    begun = Month(first.year, first.month)
    argv = ["review", "--repo", str(click), "--month"]

    code, out, err = run([*argv, str(begun.previous())], capsys)
    assert code == 0
    said = f"the history begins on {first.isoformat()}, after {begun.previous().label}"
    assert f"quarterdeck: warning: {said}" in err
    assert said in out
    assert "nothing stands out" not in out  # what to discuss: the month is not covered
    assert f"This review does not cover all of {begun.previous().label}" in out

    code, out, err = run([*argv, str(begun), "--format", "json"], capsys)
    assert code == 0
    said = f"the history begins on {first.isoformat()}, after {begun.label} begins"
    assert f"quarterdeck: warning: {said}" in err
    review = json.loads(out)["reviews"][0]
    assert review["complete"] is False
    assert review["incomplete_reasons"] == [said + ": nothing before it is counted"]
    [history] = review["histories"]
    assert history["first"].startswith(first.isoformat())


def test_a_quarter_before_the_history_begins_says_when_it_begins(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git_time(click, "--max-parents=0", "main").date()
    quarter = Month(first.year, first.month).quarter
    argv = ["quarter-report", "--repo", str(click), "--quarter", quarter, "--format", "json"]

    code, out, err = run(argv, capsys)

    assert code == 0
    report = json.loads(out)
    said = f"the history begins on {first.isoformat()}, after {quarter} begins"
    assert report["complete"] is False
    assert any(said in reason for reason in report["incomplete_reasons"])
    assert f"quarterdeck: warning: {said}" in err


# ------------------------------------------------------------- the rule itself


def test_the_period_rule_names_each_clone_that_does_not_cover_the_period() -> None:
    from quarterdeck.core.review.review_month import HistorySpan, month_warnings

    november = Month(2026, 11)
    web = HistorySpan("acme/web", None, at("2026-12-03T10:00Z"))  # covers November
    sdk = HistorySpan("acme/sdk", at("2026-11-10T08:00Z"), at("2026-11-22T18:00Z"))
    found = month_warnings(november, date(2026, 12, 7), (web, sdk))

    assert found == [
        "acme/sdk's history ends on 2026-11-22, before November 2026 ends: PRs merged after "
        "it are missing, so November 2026 reads smaller than it was; fetch first (`git "
        "fetch`, then `git pull` if you review your local branch), unless nothing was "
        "merged since",
        "acme/sdk's history begins on 2026-11-10, after November 2026 begins: nothing "
        "before it is counted",
    ]
    # While the month is under way its history naturally ends in it: "not over" instead.
    partial = month_warnings(november, date(2026, 11, 25), (web, sdk))
    assert partial[0].startswith("November 2026 is not over")
    assert [w for w in partial if "ends on" in w] == []
    # Dates are the review's: 23:30 UTC on the 30th is December 1st in Berlin.
    late = HistorySpan("acme/web", None, at("2026-11-30T23:30Z"))
    assert month_warnings(november, date(2026, 12, 7), (late,), "Europe/Berlin") == []
    assert month_warnings(november, date(2026, 12, 7), (late,)) != []
