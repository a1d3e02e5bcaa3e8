"""`review --github … --publish/--dry-run`, the Actions output files, and quarter-report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import at, seed_github, small_repo


@pytest.fixture
def fake(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """acme/web seeded, and the CLI's client pointed at the fake (no pause between writes)."""
    seed_github(github)
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    return github


def test_publish_writes_issues_outputs_and_summary(
    fake: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    argv = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]
    argv += ["--github-output", str(outputs), "--step-summary", str(summary)]

    assert main(argv) == 0

    remote = fake.repos["acme/web"]
    assert sorted(i["title"] for i in remote.issues.values()) == [
        "Growth review: analytics — November 2026",
        "Growth review: growth — November 2026",
    ]
    lines = outputs.read_text().splitlines()
    assert lines[:2] == ["issue-number=1", "issue-url=https://github.com/acme/web/issues/1"]
    assert lines[2].startswith('issues=[{"team": "analytics", "action": "created", "number": 1')
    text = summary.read_text()
    assert "| Growth review: analytics — November 2026 | created | [#1](" in text
    assert parse(text).mentions == ["@a", "@c"]  # the two leads, in their decisions
    err = capsys.readouterr().err
    assert "quarterdeck: created #1: Growth review: analytics — November 2026" in err


def test_dry_run_prints_body_and_plan_and_writes_nothing(
    fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["review", "--github", "acme/web", "--month", "2026-11", "--dry-run"])

    out = capsys.readouterr().out
    assert code == 0
    assert fake.writes == []
    assert out.startswith("<!-- quarterdeck:review team=analytics month=2026-11 -->")
    assert "quarterdeck: would create: Growth review: growth — November 2026" in out
    assert "quarterdeck: dry run: nothing was written to GitHub" in out


def test_publish_without_a_target_repo_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = small_repo(tmp_path / "web")
    assert main(["review", "--repo", str(repo.path), "--publish"]) == 1
    assert "need --github OWNER/REPO" in capsys.readouterr().err


def test_summary_file_in_actions_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = small_repo(tmp_path / "web")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    assert main(["review", "--repo", str(repo.path), "--month", "2026-11", "-o", "/dev/null"]) == 0
    assert "# Growth review: analytics — November 2026" in summary.read_text()


@pytest.fixture
def quarter_repo(tmp_path: Path) -> GitRepo:
    repo = small_repo(tmp_path / "web")
    goals = (repo.path / "goals" / "2026-Q4.yml").read_text()
    goals += "- id: billing\n  title: Billing alerts\n  team: growth\n  owners: [carol]\n"
    goals = goals.replace("  owners: [carol]\n", "  owners: [carol]\n  status: shipped\n", 1)
    repo.commit("More goals", {"goals/2026-Q4.yml": goals}, date=at("2026-11-30T12:00Z"))
    return repo


def test_quarter_report_sorts_goals_for_planning(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["quarter-report", "--repo", str(quarter_repo.path), "--quarter", "2026-Q4"])

    out = capsys.readouterr().out
    assert code == 0
    doc = parse(out)
    assert doc.headings == ["Quarter report: 2026-Q4", "analytics", "growth"]
    assert doc.tables[0] == [
        ["Team", "Shipped", "Carried over", "Not started", "Dropped"],
        ["analytics", "0", "1", "0", "0"],
        ["growth", "1", "0", "1", "0"],
    ]
    growth = {row[0]: row[2] for row in doc.tables[2][1:]}
    assert growth == {"Onboarding checklist": "shipped", "Billing alerts": "not started"}
    assert "- Billing alerts never started: still worth doing next quarter?" in out


def test_quarter_report_of_an_unknown_quarter_form_fails_clearly(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # A usage error (exit 2, the command's usage), as every malformed argument is.
    with pytest.raises(SystemExit) as exit_:
        main(["quarter-report", "--repo", str(quarter_repo.path), "--quarter", "Q4"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: quarterdeck quarter-report ")
    assert "expected a quarter as YYYY-Qn" in err


def _with_unplanned_october(repo: GitRepo) -> GitRepo:
    repo.squash_pr(
        1, "Speed up insights", {"web/insights/z.py": "1"}, ("Bob", "bob@example.com"),
        at("2026-10-14T12:00Z"),
    )  # fmt: skip
    return repo


def test_quarter_report_counts_unplanned_work_over_the_whole_quarter(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _with_unplanned_october(quarter_repo)
    assert main(["quarter-report", "--repo", str(repo.path), "--quarter", "2026-Q4"]) == 0

    out = capsys.readouterr().out
    # PR 1 in October and PR 4 in November; the quarter's last month alone has none.
    assert "2 unplanned PRs in 2026-Q4 (October 2026: 1, November 2026: 1)." in out


def test_quarter_report_as_json(quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _with_unplanned_october(quarter_repo)
    argv = ["quarter-report", "--repo", str(repo.path), "--quarter", "2026-Q4", "--format", "json"]
    assert main(argv) == 0

    data = json.loads(capsys.readouterr().out)
    # The history ends on 2026-12-01: December is not in it (nor over, before 2027).
    assert (data["version"], data["quarter"], data["complete"]) == (1, "2026-Q4", False)
    assert data["incomplete_reasons"]
    assert data["objectives"] == []  # the repo writes none
    analytics, growth = data["teams"]
    assert analytics["team"] == "analytics"
    assert analytics["lead"] == "alice"
    assert analytics["counts"] == {"shipped": 0, "carried over": 1, "not started": 0, "dropped": 0}
    assert analytics["unplanned"] == 2
    assert analytics["unplanned_by_month"] == {"2026-10": 1, "2026-11": 1, "2026-12": 0}
    [funnels] = analytics["goals"]
    assert funnels == {
        "id": "funnels",
        "title": "Funnels v2",
        "owners": ["alice"],
        "objective": None,
        "status": "planned",
        "outcome": "carried over",
        "why": "1 PR shipped, not marked shipped",
        "shipped": 1,
        "first_shipped": "2026-11-05T12:00:00+00:00",
        "last_shipped": "2026-11-05T12:00:00+00:00",
    }
    assert [g["outcome"] for g in growth["goals"]] == ["shipped", "not started"]
    assert growth["unplanned"] == 0


@pytest.mark.parametrize("quarter", ["2026-Q5", "2026-Q0"])
def test_quarter_report_of_a_quarter_that_does_not_exist_is_a_usage_error(
    quarter_repo: GitRepo, quarter: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["quarter-report", "--repo", str(quarter_repo.path), "--quarter", quarter])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("Usage: quarterdeck quarter-report ")
    assert f"expected a quarter as YYYY-Qn, Q1 to Q4, e.g. 2026-Q4; got '{quarter}'" in err


def test_quarter_report_of_a_quarter_that_has_not_begun_fails(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["quarter-report", "--repo", str(quarter_repo.path), "--quarter", "2999-Q1"]) == 1
    err = capsys.readouterr().err
    assert "2999-Q1 has not started yet" in err
    assert "Traceback" not in err
    assert capsys.readouterr().out == ""


def test_quarter_report_reads_the_history_once(
    quarter_repo: GitRepo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from quarterdeck.services.review import offline as review

    repo = _with_unplanned_october(quarter_repo)
    reads: list[object] = []
    real = review.read_merged_prs

    def counting(*args: object, **kwargs: object) -> object:
        reads.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review, "read_merged_prs", counting)
    assert main(["quarter-report", "--repo", str(repo.path), "--quarter", "2026-Q4"]) == 0
    # One read covers the quarter: the last month's review carries the earlier months.
    assert len(reads) == 1
    assert "(October 2026: 1, November 2026: 1)" in capsys.readouterr().out
