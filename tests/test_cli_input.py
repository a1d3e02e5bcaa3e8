"""Bad or stale input gets a clear word: validate, months, arguments, placeholders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from tests.cli_runs import run_cli as _run
from tests.gitrepo import GitRepo
from tests.reviewrepos import ALICE, BOB, CONFIG, GOALS, at, small_repo


@pytest.fixture
def web(tmp_path: Path) -> GitRepo:
    return small_repo(tmp_path / "web")


# ----------------------------------------------------------------------- validate


def test_validate_without_a_config_says_so_and_suggests_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "bare")
    repo.commit("Initial commit", {"README.md": "x"}, date=at("2026-10-01T09:00Z"))

    code, _, err = _run(["validate", "--repo", str(repo.path)], capsys)

    assert code == 1
    assert "no Quarterdeck config: .github/quarterdeck.yml does not exist in" in err
    assert "run `quarterdeck init`" in err
    assert "config OK" not in err


def test_validate_from_a_subfolder_finds_the_repository_top(
    web: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = web.path / "web" / "insights"
    sub.mkdir(parents=True, exist_ok=True)

    code, _, err = _run(["validate", "--repo", str(sub)], capsys)

    assert code == 0, err
    assert "quarterdeck: config OK: 2 team(s), 2 goal(s)" in err


def test_review_from_a_subfolder_reads_the_repositorys_config(
    web: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = web.path / "web"
    code, out, err = _run(["review", "--repo", str(sub), "--month", "2026-11"], capsys)
    assert code == 0, err
    assert "# Growth review: analytics — November 2026" in out


def test_validate_checks_every_metrics_file(
    web: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    web.commit(
        "Figures",
        {
            "metrics/2026-10.yml": "revenue:\n  mrr: 1200000\n",
            "metrics/2026-11.yml": 'revenue:\n  mrr: "1.25M"\nproduct:\n  actve_users: 3\n',
            "metrics/november.yml": "revenue:\n  mrr: 1\n",
        },
        date=at("2026-11-30T12:00Z"),
    )

    code, _, err = _run(["validate", "--repo", str(web.path)], capsys)

    assert code == 1
    assert "metrics/2026-11.yml:2: revenue.mrr: expected a number, got the text '1.25M'" in err
    assert "metrics/2026-11.yml:4: product.actve_users: unknown key 'actve_users'" in err
    assert "metrics/november.yml: is not named YYYY-MM.yml" in err
    assert "2026-10.yml" not in err
    assert "2 error(s) found" in err


def test_schema_errors_do_not_hide_the_other_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "web")
    config = CONFIG.replace("identities:", "review:\n  metrcs: figures/\nidentities:")
    config = config.replace("members: [alice, bob]", "members: [alice, bob, c1, c2, c3, c4, c5]")
    config = config.replace("    members: [carol]\n", "    members: [carol]\n    lead_: x\n")
    goals = GOALS + "- id: search\n  title: Search\n  team: analytcs\n  owners: [dan]\n"
    goals += "- id: billing\n  title: Billing\n  team: growth\n  owners: [erin]\n"
    files = {".github/quarterdeck.yml": config, "goals/2026-Q4.yml": goals}
    repo.commit("Initial commit", files, date=at("2026-10-01T09:00Z"))

    code, _, err = _run(["validate", "--repo", str(repo.path)], capsys)

    assert code == 1
    assert "review.metrcs: unknown key 'metrcs'; did you mean 'metrics'?" in err
    assert "teams.growth.lead_: unknown key 'lead_'" in err
    # ...and, beside them, the checks that need the rest of the config:
    assert "team 'analytics' has 8 people" in err
    assert "search.team: unknown team 'analytcs'; did you mean 'analytics'?" in err
    # the goals of a team whose own entry is broken are not called unknown
    assert "unknown team 'growth'" not in err
    assert "owner 'erin' is not on team" not in err


def test_untouched_starter_placeholders_are_warnings_in_validate_and_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "new")
    assert main(["init", "--repo", str(repo.path)]) == 0
    repo.git("add", "-A")
    repo.commit("Quarterdeck starter", date=at("2026-10-01T09:00Z"))
    capsys.readouterr()

    code, _, err = _run(["validate", "--repo", str(repo.path)], capsys)
    assert code == 0
    assert (
        "teams.my-team.lead: the team lead is still the starter's placeholder "
        "'your-github-login': put their GitHub login here (warning)"
    ) in err
    assert "teams.my-team.members[0]: a member is still the starter's placeholder" in err
    assert "teams.my-team.mission: the mission is still the starter's placeholder text" in err
    assert "first-goal.title: the title of goal 'first-goal' is still the starter's" in err
    assert "first-goal.owners[0]: an owner of goal 'first-goal' is still the starter's" in err
    assert "warning(s)" in err
    code, _, err = _run(["validate", "--repo", str(repo.path), "--strict"], capsys)
    assert code == 1

    code, out, _ = _run(["review", "--repo", str(repo.path), "--month", "2026-11"], capsys)
    assert code == 0
    assert "> the team lead is still the starter's placeholder 'your-github-login'" in out


# ------------------------------------------------------------------------- months


def _dated_repo(tmp_path: Path, last: datetime) -> GitRepo:
    repo = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-01-05T09:00Z"))
    repo.squash_pr(1, "Last one", {"web/insights/a.py": "1"}, BOB, last)
    return repo


def test_a_month_after_the_history_ends_says_fetch_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _dated_repo(tmp_path, datetime(2026, 9, 14, 12, tzinfo=UTC))

    code, out, err = _run(["review", "--repo", str(repo.path), "--month", "2026-11"], capsys)

    assert code == 0
    assert "quarterdeck: warning: the history ends on 2026-09-14: fetch first" in err
    assert "git fetch" in err
    assert "the history ends on 2026-09-14: fetch first" in out  # in the review too
    # A month the history covers says nothing of the kind.
    code, _, err = _run(["review", "--repo", str(repo.path), "--month", "2026-08"], capsys)
    assert "history ends" not in err


def test_a_future_month_is_an_error_and_the_current_one_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = date.today()
    repo = _dated_repo(tmp_path, datetime(today.year, today.month, 1, 0, 5, tzinfo=UTC))
    this = Month(today.year, today.month)

    argv = ["review", "--repo", str(repo.path), "--month"]
    code, out, err = _run([*argv, str(this.next())], capsys)
    assert code == 1
    assert f"{this.next().label} has not begun" in err
    assert out == ""

    code, out, err = _run([*argv, str(this)], capsys)
    assert code == 0
    assert f"{this.label} is not over: this review is partial" in err
    assert "history ends" not in err


# ---------------------------------------------------------------------- arguments


def test_link_accepts_a_hash_before_the_number(
    web: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["link", "#3", "--repo", str(web.path)], capsys)
    assert code == 0, err
    assert "#3" in out
    code, _, err = _run(["link", "#x3", "--repo", str(web.path)], capsys)
    assert code == 2
    assert "a PR number such as 4214 or #4214" in err


def test_verbose_works_after_the_subcommand(
    web: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["validate", "--repo", str(web.path), "-v"], capsys)
    assert code == 0, err
    code, _, err = _run(["-v", "validate", "--repo", str(web.path)], capsys)
    assert code == 0, err


def test_unknown_team_gets_a_did_you_mean(web: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["review", "--repo", str(web.path), "--month", "2026-11", "--team", "analytcs"]
    code, _, err = _run(argv, capsys)
    assert code == 1
    assert "no team 'analytcs' in the config; did you mean 'analytics'?" in err


def test_a_team_of_one_is_one_person(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = small_repo(tmp_path / "web")
    argv = ["review", "--repo", str(repo.path), "--month", "2026-11", "--team", "growth"]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    assert "· 2 people" in out  # carol, lead and member; quinn, PM
    repo.commit(
        "Smaller",
        {".github/quarterdeck.yml": CONFIG.replace("    pm: quinn\n", "")},
        date=at("2026-11-30T12:00Z"),
    )
    code, out, _ = _run([*argv, "--format", "md"], capsys)
    assert "· 1 person\n" in out
    assert "1 people" not in out
    code, out, _ = _run([*argv, "--format", "json"], capsys)
    assert json.loads(out)["reviews"][0]["team"]["members"] == ["carol"]
