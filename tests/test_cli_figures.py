"""The CLI's account of the figures: the job summary, and --strict for review and publish."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from tests.fakegithub import FakeGitHub
from tests.fakeposthog import FakePostHog, allowing, serve
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import CONFIG, at, seed_github, small_repo

CFG = ".github/quarterdeck.yml"
# mrr comes from a real SQLite warehouse; activation from PostHog, without a key.
COMPANY = """\
metrics:
  - id: mrr
    sql: SELECT month, mrr FROM revenue
  - {id: mrr_growth}
sources:
  posthog: {project: 1}
  warehouse: {url_env: CLI_TEST_WAREHOUSE}
"""
GROWTH = """\
    members: [carol]
    metrics:
      - {id: activation, posthog: SELECT 1}
      - {id: nps, file: feedback.nps}
"""
FIGURES = CONFIG.replace("    members: [carol]\n", GROWTH) + COMPANY
NO_KEY = "no PostHog key; set POSTHOG_PERSONAL_API_KEY"
ROW = ["growth", "`activation`", NO_KEY.replace("_", "\\_")]  # as the Markdown source has it


@pytest.fixture(autouse=True)
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "w.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE revenue (month TEXT, mrr REAL)")
        conn.executemany("INSERT INTO revenue VALUES (?, ?)", [("2026-10", 10), ("2026-11", 11)])
    monkeypatch.setenv("CLI_TEST_WAREHOUSE", f"sqlite:///{db}")
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY", raising=False)


@pytest.fixture
def clone(tmp_path: Path) -> GitRepo:
    repo = small_repo(tmp_path / "web")
    files = {CFG: FIGURES, "metrics/2026-11.yml": "feedback: {nps: 40}\n"}
    repo.commit("Figures", files, date=at("2026-11-20T12:00Z"))
    return repo


def _failed_rows(summary: str) -> list[list[str]]:
    table = next(
        t for t in parse(summary).tables if t[0] == ["Team", "Metric", "Unavailable because"]
    )
    return table[1:]


def test_the_job_summary_lists_failed_figures_and_the_queries_sent(
    clone: GitRepo, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "-o", str(tmp_path / "r")]

    assert main([*argv, "--step-summary", str(summary)]) == 0

    text = summary.read_text()
    # mrr once for both teams, activation once; the metrics file is read, not queried
    assert "2 queries asked of metric sources, 1 metrics file(s) read." in text
    assert _failed_rows(text) == [ROW]
    assert "# Growth review: analytics — November 2026" in text  # the review follows
    assert text.index("## Figures") < text.index("# Growth review: analytics")


def test_a_summary_with_every_figure_read_says_so(
    clone: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "--team", "analytics"]

    assert main([*argv, "-o", str(tmp_path / "r"), "--step-summary", str(summary)]) == 0

    text = summary.read_text()
    assert (
        "1 query asked of metric sources, 1 metrics file(s) read.\n\nEvery figure was read." in text
    )


def test_strict_review_fails_listing_each_figure_and_prints_nothing(
    clone: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.md"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "-o", str(out)]

    assert main([*argv, "--strict"]) == 1

    err = capsys.readouterr().err
    assert (
        "--strict: 1 of the review's figures, breakdowns or question tables could not be read"
        in err
    )
    assert f"  growth: activation: {NO_KEY}\n" in err
    assert not out.exists()


def test_strict_publish_fails_before_writing_anything(
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote = seed_github(github)
    remote.files[CFG] = FIGURES
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    argv = ["review", "--github", "acme/web", "--month", "2026-11", "--publish", "--strict"]
    argv += ["--github-output", str(outputs), "--step-summary", str(summary)]

    assert main(argv) == 1

    assert github.writes == []
    assert not outputs.exists()
    assert f"  growth: activation: {NO_KEY}\n" in capsys.readouterr().err
    assert _failed_rows(summary.read_text()) == [ROW]
    # Without --strict the same run publishes, the figure marked unavailable.
    assert main(argv[:-5] + argv[-4:]) == 0
    assert len(remote.issues) == 2


def test_failure_reasons_cannot_break_the_summary_table(
    clone: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostHog's 400 repeats the query's text in its `detail`; the reason shows only the
    # status and PostHog's error code, so nothing of it reaches the summary.
    nasty = "@everyone | <img src=x> `tick` **bold**"
    fake = FakePostHog(keys={"phx_k": {"query:read"}})
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_k")
    summary = tmp_path / "summary.md"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "--team", "growth"]
    with serve(fake):
        for name, value in allowing(fake).items():
            monkeypatch.setenv(name, value)
        config = FIGURES.replace("posthog: SELECT 1", f"posthog: {json.dumps(nasty)}")
        config = config.replace("{project: 1}", f"{{host: '{fake.url}', project: 12345}}")
        (clone.path / CFG).write_text(config, encoding="utf-8")

        assert main([*argv, "-o", str(tmp_path / "r"), "--step-summary", str(summary)]) == 0

    figures = summary.read_text().split("# Growth review", 1)[0]
    (row,) = _failed_rows(figures)
    assert row[:2] == ["growth", "`activation`"]
    assert row[2].startswith(r"PostHog refused the query: query\_error; run it in PostHog's ")
    assert "Unable to resolve" not in figures
    assert "@everyone" not in figures
    parsed = parse(figures)
    assert parsed.mentions == []
    assert parsed.raw_html == []
    assert parsed.headings == ["Figures"]
