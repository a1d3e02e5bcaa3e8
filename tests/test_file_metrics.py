"""`file:` metrics: the repo's metrics/YYYY-MM.yml files over the window, per team.

Offline (a clone on disk) and GitHub (the contents API) read the same files through the
same FigureSources, each file once per run however many metrics and teams use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.team_figures import FigureSources, team_figures
from quarterdeck.sources.repo_files import LocalReader
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import CONFIG, GOALS, at, seed_github, small_repo

NOVEMBER = Month(2026, 11)
CFG = ".github/quarterdeck.yml"
# The small repo's two teams; growth also shows its NPS from the files.
FILE_CONFIG = (
    CONFIG.replace(
        "    members: [carol]\n",
        "    members: [carol]\n    metrics:\n      - {id: nps, file: feedback.nps}\n",
    )
    + "metrics:\n  - {id: mrr, file: revenue.mrr}\n  - {id: mrr_growth}\n"
)
# May..November 2026 is the window; June has no file, August no MRR, April is outside.
FILES = {
    "metrics/2026-04.yml": "revenue: {mrr: 1}\n",
    "metrics/2026-05.yml": "revenue: {mrr: 1000}\n",
    "metrics/2026-07.yml": "revenue: {mrr: 1100}\nteams:\n  growth:\n    revenue: {mrr: 200}\n",
    "metrics/2026-08.yml": "feedback: {nps: 30}\n",
    "metrics/2026-09.yml": (
        "revenue: {mrr: 1300}\nteams:\n  growth: {revenue: {mrr: 260}, feedback: {nps: 40}}\n"
    ),
    "metrics/2026-10.yml": "revenue: {mrr: 1400}\nteams: {growth: {revenue: {mrr: 280}}}\n",
    "metrics/2026-11.yml": (
        "revenue: {mrr: 1500, paying_customers: 90}\n"
        "teams:\n  growth:\n    revenue: {mrr: 300}\n    feedback: {nps: 45}\n"
    ),
}
WINDOW_FILES = sorted(set(FILES) - {"metrics/2026-04.yml"})
ANALYTICS_MRR = (1000, None, 1100, None, 1300, 1400, 1500)
GROWTH_MRR = (1000, None, 200, None, 260, 280, 300)  # its own, company-wide where it has none
GROWTH_NPS = (None, None, None, 30, 40, None, 45)


class CountingReader(LocalReader):
    """A clone's files, counting each read."""

    def __init__(self, repo: Path) -> None:
        super().__init__(repo)
        self.reads: list[str] = []
        self.listings = 0

    def read(self, path: str) -> bytes | None:
        self.reads.append(path)
        return super().read(path)

    def list_dir(self, path: str) -> list[str]:
        self.listings += 1
        return super().list_dir(path)


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def clone(tmp_path: Path) -> GitRepo:
    repo = small_repo(tmp_path / "web")
    repo.commit("Figures", {CFG: FILE_CONFIG, **FILES}, date=at("2026-11-20T12:00Z"))
    return repo


def test_each_team_reads_its_own_values_and_each_file_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, FILES)
    config, warnings = build_config((CFG, FILE_CONFIG), [(("goals/2026-Q4.yml"), GOALS)])
    reader = CountingReader(tmp_path)
    sources = FigureSources(config, {}, reader=reader)

    analytics = {
        f.metric.id: f
        for f in team_figures(config, "analytics", ReviewPeriod.of(NOVEMBER), sources)
    }
    growth = {
        f.metric.id: f for f in team_figures(config, "growth", ReviewPeriod.of(NOVEMBER), sources)
    }
    sources.metrics_month(NOVEMBER)  # the legacy rows read the same cached files
    sources.metrics_month(NOVEMBER.previous())

    assert warnings == []
    assert analytics["mrr"].values == ANALYTICS_MRR
    assert growth["mrr"].values == GROWTH_MRR
    assert growth["nps"].values == GROWTH_NPS
    assert "nps" not in analytics
    assert growth["mrr_growth"].current == pytest.approx((300 - 280) / 280 * 100)
    assert analytics["mrr_growth"].current == pytest.approx((1500 - 1400) / 1400 * 100)
    # Missing files and keys are no data, never 0; nothing was queried.
    assert all(f.unavailable is None for f in (*analytics.values(), *growth.values()))
    assert sorted(reader.reads) == WINDOW_FILES
    assert reader.listings == 1
    assert sources.files_read == len(WINDOW_FILES)
    assert sources.queries == 0


def test_a_broken_file_makes_file_metrics_unavailable_and_nothing_else(tmp_path: Path) -> None:
    write(tmp_path, {**FILES, "metrics/2026-08.yml": "feedback: {nps: high}\n"})
    config, _ = build_config((CFG, FILE_CONFIG), [])
    sources = FigureSources(config, {}, reader=LocalReader(tmp_path))

    figures = {
        f.metric.id: f for f in team_figures(config, "growth", ReviewPeriod.of(NOVEMBER), sources)
    }

    why = (
        "metrics/2026-08.yml:1: feedback.nps: expected a number, got the text 'high'; write "
        "the number without quotes or a % sign; `quarterdeck validate` lists them"
    )
    assert figures["mrr"].unavailable == why
    assert figures["nps"].unavailable == why
    assert (
        figures["mrr_growth"].unavailable == f"growth(mrr) needs mrr, which is unavailable ({why})"
    )
    assert sources.metrics_month(NOVEMBER) is not None  # this month's file is fine


def test_without_a_reader_file_metrics_say_so(tmp_path: Path) -> None:
    config, _ = build_config((CFG, FILE_CONFIG), [])

    (mrr, *_) = team_figures(
        config, "analytics", ReviewPeriod.of(NOVEMBER), FigureSources(config, {})
    )

    assert mrr.unavailable == "this run reads no metrics files"


def _legacy_revenue(text: str) -> list[list[str]]:
    # The metrics file's table: this month beside the last, with "Paying customers".
    header = ["Metric", "October 2026", "November 2026", "Change"]
    tables = parse(text).tables
    table = next(t for t in tables if t[0] == header and t[1][:1] == ["Paying customers"])
    return table[1:]


def test_the_review_shows_each_teams_own_figures_offline(clone: GitRepo) -> None:
    analytics, growth, *_ = build_reviews(clone.path, NOVEMBER)

    assert [f.values for f in growth.figures if f.metric.id == "mrr"] == [GROWTH_MRR]
    assert [f.values for f in analytics.figures if f.metric.id == "mrr"] == [ANALYTICS_MRR]
    # MRR is the config's `file: revenue.mrr` metric, in the trend table: the file's
    # own row beside it would print one figure twice. Paying customers are company-wide
    # (growth gave none of its own) and the config does not chart them: their row stays.
    for review, mrr in ((growth, "\\$300"), (analytics, "\\$1,500")):
        text = render_review(review)
        assert _legacy_revenue(text) == [["Paying customers", "—", "90", "—"]]
        (row,) = [r for t in parse(text).tables for r in t if r[0] == "MRR"]
        assert row[7] == mrr  # November, in the trend table (after its sparkline)


def test_github_mode_reads_the_same_files_once_each(clone: GitRepo, github: FakeGitHub) -> None:
    remote = seed_github(github)
    remote.files.update({CFG: FILE_CONFIG, **FILES})

    offline = build_reviews(clone.path, NOVEMBER)
    online = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    figures = [[(f.metric.id, f.values, f.unavailable) for f in r.figures] for r in offline]
    assert [[(f.metric.id, f.values, f.unavailable) for f in r.figures] for r in online] == figures
    assert [r.business for r in online] == [r.business for r in offline]
    # The metrics folder came once, its files' text with it, in the home's one query.
    home = [c for c in github.calls if c.path == "/graphql" and "owner" in c.body["variables"]]
    assert len(home) == 1
    assert "HEAD:metrics" in home[0].body["variables"].values()
    assert github.count("GET", "^/repos/acme/web/contents/") == 0


def test_strict_review_fails_on_a_broken_older_file(
    clone: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    write(clone.path, {"metrics/2026-08.yml": "feedback: {nps: high}\n"})
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "-o", "/dev/null"]

    assert main(argv) == 0  # the figures say why they are missing; the review renders
    capsys.readouterr()
    assert main([*argv, "--strict"]) == 1
    err = capsys.readouterr().err
    assert "analytics: mrr: metrics/2026-08.yml:1: feedback.nps: expected a number" in err
    assert "growth: nps: metrics/2026-08.yml:1: feedback.nps" in err


# ---------------------------------------------------------------------- validate


def test_validate_reports_bad_team_entries_with_file_line_and_key(
    clone: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        clone.path,
        {
            "metrics/2026-12.yml": (
                "revenue: {mrr: 10}\n"
                "teams:\n"
                "  growht:\n"
                "    revenue: {mrr: 1}\n"
                "  growth:\n"
                "    revenue:\n"
                "      mrr: lots\n"
                "    colour: red\n"
                "  Not A Slug: {}\n"
            )
        },
    )

    assert main(["validate", "--repo", str(clone.path)]) == 1

    err = capsys.readouterr().err.splitlines()
    assert (
        "metrics/2026-12.yml:3: teams.growht: no team 'growht' in the config, so these "
        "figures show in no review; did you mean 'growth'? (warning)" in err
    )
    assert (
        "metrics/2026-12.yml:7: teams.growth.revenue.mrr: expected a number, got the "
        "text 'lots'; write the number without quotes or a % sign" in err
    )
    assert (
        "metrics/2026-12.yml:8: teams.growth.colour: unknown key 'colour'; expected one "
        "of: revenue, product, feedback, notes" in err
    )
    assert any(line.startswith("metrics/2026-12.yml:9: teams.Not A Slug") for line in err), err


def test_validate_accepts_the_team_form(clone: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(clone.path)]) == 0, capsys.readouterr().err
