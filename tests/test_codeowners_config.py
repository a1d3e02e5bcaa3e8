"""CODEOWNERS as a source of ownership: found where GitHub looks (offline and through the
contents API), checked by `validate`, and used by the offline review end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.errors import ConfigError
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.sources.github.config import load_github_config
from quarterdeck.sources.repo_files import load_repo_config
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo

CONFIG = """\
teams:
  web:
    members: [wanda]
    owns:
      paths: ["packages/browser/**"]
  replay:
    members: [rita]
    owns:
      codeowners: ["@acme/replay", "@acme/replay-infra"]
"""
CODEOWNERS = "/packages/browser/src/extensions/replay/ @acme/replay\n"
LOCATIONS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]


def write(repo: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    return repo


@pytest.mark.parametrize("where", LOCATIONS)
def test_offline_reads_codeowners_from_each_location(tmp_path: Path, where: str) -> None:
    write(tmp_path, {".github/quarterdeck.yml": CONFIG, where: CODEOWNERS})
    config, warnings = load_repo_config(tmp_path)
    assert config.codeowners is not None
    assert config.codeowners.source == where
    assert config.codeowners.owners_of("packages/browser/src/extensions/replay/a.ts") == (
        "@acme/replay",
    )
    # The second entry appears nowhere in the file: a warning at its own line.
    assert [str(w) for w in warnings] == [
        ".github/quarterdeck.yml:9: teams.replay.owns.codeowners[1]: '@acme/replay-infra' "
        f"appears nowhere in {where}, so it owns nothing; did you mean '@acme/replay'? "
        "write the owner as the file does (warning)"
    ]


def test_github_order_decides_between_several_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/quarterdeck.yml": CONFIG,
            "CODEOWNERS": "* @acme/replay @acme/replay-infra\n",
            "docs/CODEOWNERS": "* @acme/replay @acme/replay-infra\n",
            ".github/CODEOWNERS": CODEOWNERS,
        },
    )
    config, _ = load_repo_config(tmp_path)
    assert config.codeowners is not None
    assert config.codeowners.source == ".github/CODEOWNERS"
    (tmp_path / ".github/CODEOWNERS").unlink()
    config, warnings = load_repo_config(tmp_path)
    assert config.codeowners is not None
    assert config.codeowners.source == "CODEOWNERS"
    assert warnings == []


def test_missing_codeowners_file_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path, {".github/quarterdeck.yml": CONFIG})
    config, warnings = load_repo_config(tmp_path)
    assert config.codeowners is None
    assert [str(w) for w in warnings] == [
        ".github/quarterdeck.yml:9: teams.replay.owns.codeowners: no CODEOWNERS file "
        "(.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS), so these entries own nothing; "
        "add the file or list the team's paths in `owns.paths` (warning)"
    ]


def test_codeowners_is_not_read_when_no_team_names_entries(tmp_path: Path) -> None:
    plain = "teams:\n  web:\n    owns: {paths: [web/]}\n"
    write(tmp_path, {".github/quarterdeck.yml": plain, "CODEOWNERS": "[bad] @x\n"})
    config, warnings = load_repo_config(tmp_path)
    assert (config.codeowners, warnings) == (None, [])


def test_validate_reports_codeowners_problems_and_passes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    owners = CODEOWNERS + "!/vendor/ @acme/replay\n* acme/replay-infra\n"
    write(tmp_path, {".github/quarterdeck.yml": CONFIG, ".github/CODEOWNERS": owners})
    assert main(["validate", "--repo", str(tmp_path)]) == 0
    err = capsys.readouterr()
    text = err.out + err.err
    assert (
        ".github/CODEOWNERS:2: `!/vendor/`: negation with `!` does not work in CODEOWNERS; "
        "line skipped (warning)"
    ) in text
    assert ".github/CODEOWNERS:3: `acme/replay-infra` is not an owner" in text
    assert ".github/quarterdeck.yml:9: teams.replay.owns.codeowners[1]:" in text


def test_config_entry_must_be_written_as_codeowners_writes_it(tmp_path: Path) -> None:
    bad = CONFIG.replace('"@acme/replay-infra"', '"acme/replay-infra"')
    write(tmp_path, {".github/quarterdeck.yml": bad})
    with pytest.raises(ConfigError) as caught:
        load_repo_config(tmp_path)
    assert (
        ".github/quarterdeck.yml:9: teams.replay.owns.codeowners[1]: 'acme/replay-infra' is not"
        in str(caught.value)
    )


@pytest.mark.parametrize("where", LOCATIONS)
def test_github_reads_codeowners_through_the_contents_api(github: FakeGitHub, where: str) -> None:
    config_text = CONFIG.replace(', "@acme/replay-infra"', "")
    github.add_repo("acme/web", files={".github/quarterdeck.yml": config_text, where: CODEOWNERS})
    config, warnings = load_github_config(github.client().get_repo("acme/web"))
    assert warnings == []
    assert config.codeowners is not None
    assert config.codeowners.source == where
    assert [r.pattern for r in config.codeowners.rules] == [
        "/packages/browser/src/extensions/replay/"
    ]


def test_github_without_codeowners_warns_like_offline(github: FakeGitHub) -> None:
    github.add_repo("acme/web", files={".github/quarterdeck.yml": CONFIG})
    config, warnings = load_github_config(github.client().get_repo("acme/web"))
    assert config.codeowners is None
    assert [w.key for w in warnings] == ["teams.replay.owns.codeowners"]


# ---------------------------------------------------------------------------- end to end

GOALS = """\
- id: toolbar
  title: New toolbar
  team: web
  owners: [wanda]
  scopes: [toolbar]
  branches: [ui/]
- id: replay-v2
  title: Replay v2
  team: replay
  owners: [rita]
  keywords: [session replay]
  paths: ["packages/browser/src/extensions/replay/v2/**"]
"""
WANDA = ("Wanda", "wanda@example.com")
STRANGER = ("Sam", "sam@example.com")
REPLAY = "packages/browser/src/extensions/replay"


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, 0, tzinfo=UTC)


def test_offline_review_links_by_codeowners_and_goal_declarations(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "posthog-js")
    config = CONFIG.replace(', "@acme/replay-infra"', "")
    repo.commit(
        "Initial commit",
        {
            ".github/quarterdeck.yml": config,
            ".github/CODEOWNERS": CODEOWNERS,
            "goals/2026-Q4.yml": GOALS,
        },
        date=datetime(2026, 10, 1, tzinfo=UTC),
    )
    repo.squash_pr(1, "fix: replay crash", {f"{REPLAY}/a.ts": "1"}, STRANGER, at(2))
    repo.squash_pr(2, "feat(toolbar): dark mode", {"packages/browser/t.ts": "1"}, STRANGER, at(3))
    repo.branch("ui/icons")
    repo.commit("Icons", {"packages/browser/icons.ts": "1"}, WANDA, at(4))
    repo.merge_pr(3, "ui/icons", "Toolbar icons", date=at(5))
    repo.squash_pr(4, "Session replay: fewer frames", {"packages/browser/x.ts": "1"}, WANDA, at(6))
    repo.squash_pr(5, "v2 player", {f"{REPLAY}/v2/p.ts": "1", f"{REPLAY}/b.ts": "1"}, WANDA, at(7))
    repo.squash_pr(6, "Update docs", {"docs/a.md": "1"}, STRANGER, at(8))

    reviews = build_reviews(repo.path, Month(2026, 11))
    links = sorted(
        [lk for r in reviews for lk in r.summary.unplanned]
        + [lk for r in reviews for gm in r.summary.goals for lk in gm.prs],
        key=lambda lk: lk.pr.number,
    )
    assert [(lk.pr.number, lk.goal_id, lk.team, lk.rule, lk.reason) for lk in links] == [
        (
            1,
            None,
            "replay",
            "paths",
            f"1 of 1 changed path is under replay's `/{REPLAY}/` (.github/CODEOWNERS line 1, "
            "`@acme/replay`) (more specific than web's `packages/browser/**`)",
        ),
        (2, "toolbar", "web", "goal-scope", "title scope `toolbar` is declared by goal toolbar"),
        (
            3,
            "toolbar",
            "web",
            "goal-branch",
            "branch `ui/icons` starts with `ui/`, a branch prefix of goal toolbar",
        ),
        (
            4,
            "replay-v2",
            "replay",
            "goal-keyword",
            "the title has `session replay`, a keyword of goal replay-v2",
        ),
        (
            5,
            "replay-v2",
            "replay",
            "goal-paths",
            f"1 of 2 changed paths is under goal replay-v2's `{REPLAY}/v2/**`",
        ),
        (
            6,
            None,
            None,
            "none",
            "no goal claims it and no team owns its paths, labels or author; to assign work "
            # Sam's login is only a guess from his email, and the advice says so.
            "like it, add `docs/**` to a team's `owns.paths` or sam (guessed) to a team's "
            "`members`",
        ),
    ]


def test_validate_warns_when_two_goals_of_a_quarter_declare_the_same_label(
    tmp_path: Path,
) -> None:
    goals = GOALS.replace("  scopes: [toolbar]", "  scopes: [toolbar]\n  labels: [ui]")
    goals += "  labels: [replay, UI]\n"
    teams = "teams:\n  web: {members: [wanda]}\n  replay: {members: [rita]}\n"
    write(tmp_path, {".github/quarterdeck.yml": teams, "goals/2026-Q4.yml": goals})
    _, warnings = load_repo_config(tmp_path)
    assert [str(w) for w in warnings] == [
        "goals/2026-Q4.yml:14: replay-v2.labels[1]: goal 'toolbar' declares 'UI' too, so PRs "
        "with it tie between the two (the reason says which won); give each goal its own "
        "(warning)"
    ]
    # A goal of another quarter may declare it again.
    write(tmp_path, {"goals/2026-Q3.yml": GOALS.replace("scopes: [toolbar]", "labels: [ui]")})
    _, warnings = load_repo_config(tmp_path)
    assert len(warnings) == 1


OVERLAPPING_CONFIG = """\
teams:
  client-libraries:
    members: [cleo]
    owns:
      codeowners: ["@acme/client-libraries"]
  replay:
    members: [rita]
    owns:
      codeowners: ["@acme/replay"]
"""
OVERLAPPING_CODEOWNERS = """\
*          @acme/client-libraries
/replay/   @acme/client-libraries @acme/replay
"""
CLEO = ("Cleo", "7+cleo@users.noreply.github.com")


def test_link_gives_a_specialist_on_a_catch_all_line_its_pr_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "sdk")
    repo.commit(
        "Initial commit",
        {
            ".github/quarterdeck.yml": OVERLAPPING_CONFIG,
            ".github/CODEOWNERS": OVERLAPPING_CODEOWNERS,
        },
        date=datetime(2026, 10, 1, tzinfo=UTC),
    )
    # Cleo (on the catch-all team) fixes replay, with a changelog line: before, the
    # catch-all team owned all three paths and took it.
    files = {"replay/a.kt": "1", "replay/b.kt": "1", "CHANGELOG.md": "fix"}
    repo.squash_pr(12, "fix(replay): frames", files, CLEO, at(3))
    assert main(["link", "12", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "unplanned work of team replay" in out
    assert (
        "rule: paths — 2 of 3 changed paths are under replay's `/replay/` (.github/CODEOWNERS "
        "line 2, `@acme/replay`) (also listed: client-libraries, which owns everything)"
    ) in out
    # The monthly review counts it for the same team.
    reviews = build_reviews(repo.path, Month(2026, 11))
    teams = {lk.team for r in reviews for lk in r.summary.unplanned if lk.pr.number == 12}
    assert teams == {"replay"}
