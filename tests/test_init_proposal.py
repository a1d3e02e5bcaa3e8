"""`quarterdeck init` proposes teams from a real repository's history and CODEOWNERS."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from quarterdeck.cli import main
from quarterdeck.core.config import build_config
from quarterdeck.services.starter import write_starter
from tests.gitrepo import GitRepo, Identity

TODAY = date(2026, 5, 4)
ALICE: Identity = ("Alice Archer", "101+alice@users.noreply.github.com")
BOB: Identity = ("Bob Baker", "bob@acme.example")
CAROL: Identity = ("Carol Cole", "carol.cole@acme.example")
DAN: Identity = ("Dan Dunn", "104+dan-d@users.noreply.github.com")
ERIN: Identity = ("Erin Eve", "erin@acme.example")
BOT: Identity = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")

CODEOWNERS = """\
# Default owners
*                    @acme/core
/packages/replay/    @acme/replay
/packages/browser/   @acme/browser @carol-admin
/docs/               @acme/docs
"""


def at(day: int) -> datetime:
    return datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=day)


def config_of(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / ".github" / "quarterdeck.yml").read_text(encoding="utf-8"))


def config_text(repo: Path) -> str:
    return (repo / ".github" / "quarterdeck.yml").read_text(encoding="utf-8")


def codeowners_repo(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.git("remote", "add", "origin", "https://github.com/acme/web.git")
    repo.commit(
        "Initial commit",
        {"README.md": "hi", ".github/CODEOWNERS": CODEOWNERS},
        author=ALICE,
        date=at(0),
    )
    for i in range(3):
        files = {f"packages/replay/rec{i}.ts": "x"}
        repo.commit(f"feat(replay): recorder step {i}", files, author=ALICE, date=at(1 + i))
    # Bob's plain email becomes `bob` through the fork merge that names him.
    repo.branch("fix-seek")
    repo.commit("Fix seeking", {"packages/replay/seek.ts": "x"}, author=BOB, date=at(5))
    repo.commit("Fix seeking again", {"packages/replay/seek2.ts": "x"}, author=BOB, date=at(6))
    repo.merge_pr(5, "fix-seek", "fix(player): seeking", date=at(7), owner="bob")
    # A same-repository branch (`acme/…`) names the organisation, not Carol.
    repo.branch("toolbar")
    repo.commit("feat(toolbar): a", {"packages/browser/a.ts": "x"}, author=CAROL, date=at(8))
    repo.commit("feat(toolbar): b", {"packages/browser/b.ts": "x"}, author=CAROL, date=at(9))
    repo.merge_pr(6, "toolbar", "Toolbar", date=at(10), owner="acme")
    repo.squash_pr(7, "chore: bump", {"packages/browser/c.ts": "x"}, author=DAN, date=at(11))
    repo.squash_pr(8, "Bump rrweb", {"packages/replay/deps.ts": "y"}, author=BOT, date=at(12))
    repo.commit("docs: readme", {"README.md": "hello"}, author=ALICE, date=at(13))
    return repo


def test_codeowners_teams_with_their_most_active_authors(tmp_path: Path) -> None:
    repo = codeowners_repo(tmp_path / "web")
    written = write_starter(repo.path, today=TODAY)
    assert written.paths == (
        repo.path / ".github" / "quarterdeck.yml",
        repo.path / "goals" / "2026-Q2.yml",
    )
    assert written.proposal is not None
    assert written.proposal.basis == "codeowners"
    cfg = config_of(repo.path)
    assert cfg["teams"] == {
        "replay": {
            "mission": "Own the code CODEOWNERS gives @acme/replay",
            "lead": "alice",
            "members": ["alice", "bob"],
            "owns": {"codeowners": ["@acme/replay"], "paths": [], "labels": []},
        },
        "browser": {
            "mission": "Own the code CODEOWNERS gives @acme/browser",
            "lead": "carol-cole",
            "members": ["carol-cole", "dan-d"],
            "owns": {"codeowners": ["@acme/browser"], "paths": [], "labels": []},
        },
        # Alice committed most under replay; core borrows her as its only person.
        "core": {
            "mission": "Own the code CODEOWNERS gives @acme/core",
            "lead": "alice",
            "members": ["alice"],
            "owns": {"codeowners": ["@acme/core"], "paths": [], "labels": []},
        },
    }
    # Only logins the history proves (Bob's own fork) are identities; guesses are to check.
    assert cfg["identities"] == {"bob": ["bob@acme.example"]}
    text = config_text(repo.path)
    assert (
        "#   carol-cole: [carol.cole@acme.example] # guessed from carol.cole@acme.example\n" in text
    )
    assert "lead: alice                 # check: shipped most here (3 of 4 PRs)" in text
    assert (
        "- carol-cole              # 1 PR; check: login guessed from carol.cole@acme.example"
        in text
    )
    assert "- bob                     # 1 PR\n" in text
    assert "# Commit scopes here: replay (3), player (1); a goal can claim" in text
    assert 'codeowners: ["@acme/replay"] # CODEOWNERS: /packages/replay/' in text
    assert (
        "lead: alice                 # check: shipped most here (2 of 2 PRs); also on replay"
        in text
    )
    assert "No PRs in that window under CODEOWNERS @acme/docs" in text
    assert "(3 merged PRs and 5 direct pushes)" in text
    assert "from the history of main from 2025-09-12 to 2026-03-14" in text
    assert "dependabot" not in text
    goals = yaml.safe_load((repo.path / "goals" / "2026-Q2.yml").read_text(encoding="utf-8"))
    assert [(g["team"], g["owners"]) for g in goals] == [("replay", ["alice"])]
    assert main(["validate", "--repo", str(repo.path)]) == 0


def monorepo(path: Path) -> GitRepo:
    """A JavaScript SDK monorepo: packages/*, a top-level framework, CI and docs."""
    repo = GitRepo.init(path)
    repo.git("remote", "add", "origin", "https://github.com/acme/sdks.git")
    repo.commit("Initial commit", {"README.md": "hi"}, author=ERIN, date=at(0))
    day = iter(range(1, 200))
    number = iter(range(100, 300))
    # Alice ships three PRs in packages/browser; Carol one PR of six small commits.
    for i in range(3):
        files = {f"packages/browser/b{i}.ts": "x"}
        repo.squash_pr(next(number), f"feat(browser): b{i}", files, ALICE, at(next(day)))
    repo.branch("carol/tidy")
    for i in range(6):
        repo.commit(f"tidy {i}", {f"packages/browser/t{i}.ts": "x"}, CAROL, at(next(day)))
    repo.merge_pr(next(number), "carol/tidy", "Tidy the browser", date=at(next(day)), owner="carol")
    for i in range(2):
        files = {f"packages/react/r{i}.tsx": "x"}
        repo.squash_pr(next(number), f"fix(react): r{i}", files, BOB, at(next(day)))
    repo.squash_pr(next(number), "fix(react): hooks", {"packages/react/h.tsx": "x"}, ALICE, at(50))
    # A top-level framework folder with its own people.
    for i in range(3):
        files = {f"posthog-server/src/s{i}.kt": "x"}
        repo.squash_pr(next(number), f"feat(server): s{i}", files, ERIN, at(next(day)))
    # CI is busy, and docs: neither is ever a team. Docs go to whoever writes them most.
    for i in range(4):
        files = {f".github/workflows/w{i}.yml": "x"}
        repo.squash_pr(next(number), f"ci: w{i}", files, DAN, at(next(day)))
    for i in range(3):
        repo.squash_pr(next(number), f"docs: d{i}", {f"docs/d{i}.md": "x"}, ALICE, at(next(day)))
    repo.squash_pr(next(number), "Bump rrweb", {"packages/browser/deps.ts": "y"}, BOT, at(90))
    return repo


def test_monorepo_components_become_teams_led_by_who_shipped_most(tmp_path: Path) -> None:
    repo = monorepo(tmp_path / "sdks")
    written = write_starter(repo.path, today=TODAY)
    assert written.proposal is not None
    assert written.proposal.basis == "folders"
    assert config_of(repo.path)["teams"] == {
        # Alice shipped 3 PRs here, Carol 1 (of six commits): Alice leads. The docs
        # Alice writes are her team's.
        "browser": {
            "mission": "Own packages/browser/",
            "lead": "alice",
            "members": ["alice", "carol"],
            "owns": {"paths": ["packages/browser/**", "docs/**"], "labels": []},
        },
        "posthog-server": {
            "mission": "Own posthog-server/",
            "lead": "erin",
            "members": ["erin"],
            "owns": {"paths": ["posthog-server/**"], "labels": []},
        },
        "react": {
            "mission": "Own packages/react/",
            "lead": "bob",
            "members": ["bob"],
            "owns": {"paths": ["packages/react/**"], "labels": []},
        },
    }
    text = config_text(repo.path)
    assert "lead: alice                 # check: shipped most here (3 of 4 PRs)" in text
    assert "(17 merged PRs and 1 direct push)" in text
    assert "github" not in config_of(repo.path)["teams"]
    assert "dependabot" not in text
    assert main(["validate", "--repo", str(repo.path)]) == 0


def test_a_component_without_people_of_its_own_joins_its_top_shippers_team(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "libs")
    day = iter(range(1, 100))
    for i in range(4):
        repo.commit(f"core {i}", {f"libs/core/c{i}.py": "x"}, author=ALICE, date=at(next(day)))
    for i in range(2):
        repo.commit(f"cli {i}", {f"libs/cli/c{i}.py": "x"}, author=ALICE, date=at(next(day)))
    for i in range(3):
        repo.commit(f"web {i}", {f"apps/web/w{i}.ts": "x"}, author=ERIN, date=at(next(day)))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    assert {slug: (t["lead"], t["owns"]["paths"]) for slug, t in teams.items()} == {
        "core": ("alice", ["libs/core/**", "libs/cli/**"]),
        "web": ("erin", ["apps/web/**"]),
    }


def test_a_team_keeps_its_six_most_active_people(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "big")
    # Eight people in one folder: i commits for person i. `null` must stay a string.
    names = ["null", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]
    day = iter(range(1, 200))
    for i, name in enumerate(names, start=1):
        for j in range(i):
            who = (name.upper(), f"{name}@acme.example")
            repo.commit(f"work {j}", {f"api/{name}{j}.py": "x"}, author=who, date=at(next(day)))
    write_starter(repo.path, today=TODAY)
    team = config_of(repo.path)["teams"]["api"]
    # A git name that already is a login (`P8`) is the better guess.
    assert team["lead"] == "P8"
    assert team["members"] == ["P8", "P7", "P6", "P5", "P4", "P3"]
    text = config_text(repo.path)
    assert "# Also active here, left out to keep the team at six: P2 (2), NULL (1)" in text
    # Only the people on teams are listed to check.
    assert "NULL:" not in text
    assert '"NULL"' not in text
    assert main(["validate", "--repo", str(repo.path)]) == 0


def test_scope_teams_when_everything_sits_at_the_root(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "flat")
    day = iter(range(1, 50))
    for i in range(3):
        repo.commit(f"feat(cli): c{i}", {f"cli{i}.py": "x"}, author=ALICE, date=at(next(day)))
    repo.commit("fix(cli)!: breaking", {"cli.py": "y"}, author=DAN, date=at(next(day)))
    for i in range(2):
        repo.commit(f"feat(Parser): p{i}", {f"parse{i}.py": "x"}, author=ERIN, date=at(next(day)))
    repo.commit("feat(docs): one", {"README.md": "x"}, author=BOB, date=at(next(day)))
    repo.commit("no scope", {"x.py": "x"}, author=BOB, date=at(next(day)))
    written = write_starter(repo.path, today=TODAY)
    assert written.proposal is not None
    assert written.proposal.basis == "scopes"
    teams = config_of(repo.path)["teams"]
    # docs has 1 of 7 scoped commits, above a tenth: its own team.
    assert {slug: (t["lead"], t["members"], t["owns"]["paths"]) for slug, t in teams.items()} == {
        "cli": ("alice", ["alice", "dan-d"], []),
        "parser": ("erin", ["erin"], []),
        "docs": ("bob", ["bob"], []),
    }
    assert teams["cli"]["mission"] == "Own the work scoped `cli`"
    assert main(["validate", "--repo", str(repo.path)]) == 0


def test_a_name_seen_beside_a_login_gives_that_login(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "names")
    repo.commit("One", {"app/a.py": "x"}, author=ALICE, date=at(1))
    repo.commit("Two", {"app/b.py": "x"}, author=("Alice Archer", "alice@work.example"), date=at(2))
    repo.commit(
        "Three", {"app/c.py": "x"}, author=("Alice Archer", "alice@work.example"), date=at(3)
    )
    write_starter(repo.path, today=TODAY)
    cfg = config_of(repo.path)
    assert cfg["teams"]["app"]["members"] == ["alice"]
    # Her work email is only suggested by her name: to check, not an identity.
    assert "identities" not in cfg
    assert "#   alice: [alice@work.example] # same name as alice\n" in config_text(repo.path)


def test_the_same_history_gives_the_same_file(tmp_path: Path) -> None:
    first = codeowners_repo(tmp_path / "one")
    second = codeowners_repo(tmp_path / "two")
    write_starter(first.path, today=TODAY)
    write_starter(second.path, today=TODAY)
    assert config_text(first.path) == config_text(second.path)
    before = config_text(first.path)
    write_starter(first.path, today=TODAY, force=True)
    assert config_text(first.path) == before


def test_git_processes_do_not_grow_with_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(args: list[str], *rest: Any, **kwargs: Any) -> Any:
        calls.append(list(args))
        return real_run(args, *rest, **kwargs)

    small = GitRepo.init(tmp_path / "small")
    small.commit("One", {"app/a.py": "x"}, author=ALICE, date=at(1))
    big = codeowners_repo(tmp_path / "big")
    for i in range(30):
        big.commit(f"More {i}", {f"lib/m{i}.py": "x"}, author=ERIN, date=at(20 + i))
    counts = []
    for repo in (small, big):
        calls.clear()
        monkeypatch.setattr(subprocess, "run", counting)
        write_starter(repo.path, today=TODAY)
        monkeypatch.setattr(subprocess, "run", real_run)
        counts.append(len(calls))
    assert counts[0] == counts[1]
    # The survey's few, and the review's reading of the window's merged PRs (each finds
    # the default branch and the origin on its own): a handful, whatever the history.
    assert counts[0] <= 16


@pytest.mark.parametrize("kind", ["not-git", "no-commits"])
def test_without_history_init_writes_the_placeholder_starter(tmp_path: Path, kind: str) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    if kind == "no-commits":
        GitRepo.init(repo)
    written = write_starter(repo, today=TODAY)
    assert written.proposal is None
    cfg = config_of(repo)
    assert cfg["teams"]["my-team"]["lead"] == "your-github-login"
    assert main(["validate", "--repo", str(repo)]) == 0


def test_init_cli_names_the_proposed_teams_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = codeowners_repo(tmp_path / "web")
    assert main(["init", "--repo", str(repo.path)]) == 0
    err = capsys.readouterr().err
    assert "proposed 3 team(s) from the history of main: replay, browser, core" in err
    (repo.path / ".github" / "quarterdeck.yml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--repo", str(repo.path)]) == 1
    assert "already exist" in capsys.readouterr().err
    assert config_text(repo.path) == "# mine\n"
    assert main(["init", "--repo", str(repo.path), "--force"]) == 0
    assert config_of(repo.path)["teams"]["replay"]["lead"] == "alice"


def test_numeric_logins_and_slugs_are_written_as_text_and_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A numeric GitHub login (from a noreply email) leads the busiest folder, named
    # after a year: YAML reads 55728 and 2025 as numbers unless they are quoted.
    numeric: Identity = ("55728", "3300112+55728@users.noreply.github.com")
    yes: Identity = ("Yes Person", "4400+yes@users.noreply.github.com")
    repo = GitRepo.init(tmp_path / "talks")
    day = iter(range(1, 100))
    for i in range(4):
        repo.commit(f"Talk {i}", {f"2025/t{i}.md": "x"}, author=numeric, date=at(next(day)))
    for i in range(2):
        repo.commit(f"Old talk {i}", {f"0123/t{i}.md": "x"}, author=yes, date=at(next(day)))
    written = write_starter(repo.path, today=TODAY)
    assert written.proposal is not None
    teams = config_of(repo.path)["teams"]
    assert teams["2025"]["lead"] == "55728"
    assert teams["2025"]["members"] == ["55728"]
    assert teams["0123"]["lead"] == "yes"
    goals = yaml.safe_load((repo.path / "goals" / "2026-Q2.yml").read_text(encoding="utf-8"))
    assert [(g["team"], g["owners"]) for g in goals] == [("2025", ["55728"])]
    capsys.readouterr()
    assert main(["validate", "--repo", str(repo.path)]) == 0, capsys.readouterr().err
    argv = ["review", "--repo", str(repo.path), "--month", "2026-03"]
    assert main(argv) == 0, capsys.readouterr().err


OVERLAPPING = """\
*            @acme/sdk-all
/replay/     @acme/sdk-all @acme/replay
/android/    @acme/sdk-all @acme/mobile
"""
RITA: Identity = ("Rita", "201+rita@users.noreply.github.com")
MO: Identity = ("Mo", "202+mo-m@users.noreply.github.com")
CLEO: Identity = ("Cleo", "203+cleo@users.noreply.github.com")


def test_specialists_named_beside_a_catch_all_get_their_people_and_prs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "sdk")
    repo.git("remote", "add", "origin", "https://github.com/acme/sdk.git")
    repo.commit("Initial commit", {".github/CODEOWNERS": OVERLAPPING}, author=CLEO, date=at(0))
    number = iter(range(10, 100))
    for i in range(3):
        files = {f"replay/r{i}.kt": "x", "CHANGELOG.md": f"r{i}"}
        repo.squash_pr(next(number), f"fix(replay): r{i}", files, RITA, at(1 + i))
        files = {f"android/a{i}.kt": "x"}
        repo.squash_pr(next(number), f"feat(android): a{i}", files, MO, at(5 + i))
    for i in range(2):
        files = {"build.gradle": f"v{i}", "README.md": f"v{i}"}
        repo.squash_pr(next(number), f"chore: release {i}", files, CLEO, at(10 + i))
    repo.squash_pr(next(number), "fix(replay): masks", {"replay/m.kt": "x"}, CLEO, at(12))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    # Before, the catch-all entry counted every PR and took every person.
    assert {slug: (t["lead"], t["members"]) for slug, t in teams.items()} == {
        "replay": ("rita", ["rita"]),
        "mobile": ("mo-m", ["mo-m"]),
        "sdk-all": ("cleo", ["cleo"]),
    }
    assert teams["replay"]["owns"]["codeowners"] == ["@acme/replay"]
    capsys.readouterr()
    assert main(["validate", "--repo", str(repo.path)]) == 0
    out = tmp_path / "review.json"
    argv = ["review", "--repo", str(repo.path), "--month", "2026-03", "--format", "json"]
    assert main([*argv, "-o", str(out)]) == 0, capsys.readouterr().err
    reviews = json.loads(out.read_text(encoding="utf-8"))["reviews"]
    teams_of = {
        lk["pr"]["title"]: review["team"]["slug"]
        for review in reviews
        for lk in review["summary"]["unplanned"]
    }
    # Every PR has a team, and Cleo's replay fix is replay's though she is on sdk-all.
    assert teams_of == {
        **{f"fix(replay): r{i}": "replay" for i in range(3)},
        **{f"feat(android): a{i}": "mobile" for i in range(3)},
        "chore: release 0": "sdk-all",
        "chore: release 1": "sdk-all",
        "fix(replay): masks": "replay",
    }


def test_a_top_level_component_is_not_split_into_its_code_folders(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "sdk")
    day = iter(range(1, 100))
    for i in range(3):
        repo.commit(f"core {i}", {f"core/src/c{i}.kt": "x"}, author=ALICE, date=at(next(day)))
    for i in range(2):
        repo.commit(f"api {i}", {f"core/api/core{i}.api": "x"}, author=ALICE, date=at(next(day)))
    # Alice ships most in android too; Dan, once, is only passing by: no team of his own.
    for i in range(4):
        repo.commit(f"and {i}", {f"android/a{i}.kt": "x"}, author=ALICE, date=at(next(day)))
    repo.commit("and fix", {"android/fix.kt": "x"}, author=DAN, date=at(next(day)))
    for i in range(3):
        repo.commit(f"web {i}", {f"web/w{i}.ts": "x"}, author=ERIN, date=at(next(day)))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    assert {slug: (t["lead"], t["members"], t["owns"]["paths"]) for slug, t in teams.items()} == {
        "core": ("alice", ["alice", "dan-d"], ["core/**", "android/**"]),
        "web": ("erin", ["erin"], ["web/**"]),
    }


def test_without_prs_every_commit_counts_branches_merged_locally_too(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "local")
    repo.commit("Initial commit", {"README.md": "hi"}, author=ERIN, date=at(0))
    repo.branch("engine-work")
    for i in range(3):
        repo.commit(f"engine {i}", {f"engine/e{i}.c": "x"}, author=BOB, date=at(1 + i))
    repo.merge_branch("engine-work", date=at(5))
    for i in range(2):
        repo.commit(f"ui {i}", {f"ui/u{i}.c": "x"}, author=ERIN, date=at(6 + i))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    assert {slug: (t["lead"], t["owns"]["paths"]) for slug, t in teams.items()} == {
        "engine": ("bob", ["engine/**"]),
        "ui": ("erin", ["ui/**"]),
    }
    assert "(6 commits): one team per component" in config_text(repo.path)


def test_small_components_and_tests_go_to_the_team_working_there_most(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "js")
    day = iter(range(1, 200))
    for i in range(30):
        who = ALICE if i % 2 else BOB
        repo.commit(f"b{i}", {f"packages/browser/b{i}.ts": "x"}, author=who, date=at(next(day)))
    for i in range(30):
        repo.commit(f"n{i}", {f"packages/node/n{i}.ts": "x"}, author=ERIN, date=at(next(day)))
    # A package too small to be a team, and tests, both written by browser people.
    repo.commit("tiny", {"packages/tiny/t.ts": "x"}, author=ALICE, date=at(next(day)))
    repo.commit("tests", {"tests/browser.spec.ts": "x"}, author=BOB, date=at(next(day)))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    assert {slug: t["owns"]["paths"] for slug, t in teams.items()} == {
        "browser": ["packages/browser/**", "packages/tiny/**", "tests/**"],
        "node": ["packages/node/**"],
    }


def test_a_shallow_clone_is_proposed_from_its_commits_and_says_so(tmp_path: Path) -> None:
    # The review refuses to read PRs from a history cut inside the window (it would
    # under-count); init proposes from the commits it has and names them commits.
    full = monorepo(tmp_path / "full")
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "10", f"file://{full.path}", str(shallow)], check=True
    )
    written = write_starter(shallow, today=TODAY)
    assert written.proposal is not None
    text = config_text(shallow)
    # Ten commits, the bot's left out.
    assert "(9 commits): one team per component" in text
    assert "PRs" not in text.split("teams:", 1)[1].split("# ---", 1)[0]
    assert main(["validate", "--repo", str(shallow)]) == 0


def test_a_codeowners_team_of_passers_by_borrows_its_top_shipper_as_lead(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "sdk")
    repo.commit("Initial commit", {".github/CODEOWNERS": OVERLAPPING}, author=CLEO, date=at(0))
    number = iter(range(10, 100))
    for i in range(5):
        repo.squash_pr(next(number), f"core {i}", {f"core/c{i}.kt": "x"}, CLEO, at(1 + i))
    for i in range(3):
        repo.squash_pr(next(number), f"replay {i}", {f"replay/r{i}.kt": "x"}, CLEO, at(7 + i))
    repo.squash_pr(next(number), "replay typo", {"replay/typo.kt": "x"}, DAN, at(11))
    write_starter(repo.path, today=TODAY)
    teams = config_of(repo.path)["teams"]
    assert {slug: (t["lead"], t["members"]) for slug, t in teams.items()} == {
        "sdk-all": ("cleo", ["cleo"]),
        "replay": ("cleo", ["cleo", "dan-d"]),
    }
    assert "shipped most here (3 of 4 PRs); also on sdk-all" in config_text(repo.path)
    assert main(["validate", "--repo", str(repo.path)]) == 0


def test_the_starter_suggests_growth_targets_but_sets_none(tmp_path: Path) -> None:
    # PostHog's growth benchmarks are offered, commented out; nothing applies them.
    repo = codeowners_repo(tmp_path / "web")
    write_starter(repo.path, today=TODAY)
    text = (repo.path / ".github" / "quarterdeck.yml").read_text(encoding="utf-8")
    suggestion = [line for line in text.splitlines() if "target:" in line]
    assert suggestion == [
        '#     target: ">= 9"           # a mature product; ">= 15" for a newer one'
    ]
    assert "above 9 % month-on-month for a mature product, 15-20 % for a newer one" in text
    # Uncommented, the suggestion is a valid metric list; as written, there is none.
    assert "metrics" not in config_of(repo.path)
    lines = text.splitlines()
    start = lines.index("# metrics:")
    block = [lines[start][2:]]
    for line in lines[start + 1 :]:
        if not line.startswith("#   "):
            break
        block.append(line[2:])
    metrics = yaml.safe_load("\n".join(block))["metrics"]
    assert [(m["id"], m.get("target")) for m in metrics] == [("mrr", None), ("mrr_growth", ">= 9")]
    config, warnings = build_config((".github/quarterdeck.yml", "\n".join(block) + "\n"), [])
    assert warnings == []
    assert [(m.id, m.key, str(m.target)) for m in config.metrics] == [
        ("mrr", True, "None"),
        ("mrr_growth", False, "≥ 9 %"),
    ]
