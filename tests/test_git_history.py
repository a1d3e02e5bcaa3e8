"""The offline history source, against real git repositories built in a temp dir."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.errors import HistoryError
from quarterdeck.sources import git_history, git_run
from quarterdeck.sources.git_history import default_branch, read_merged_prs
from tests.gitrepo import GitRepo

ALICE = ("Alice Liddell", "alice@example.com")
BOB = ("Bob Builder", "1234+bobb@users.noreply.github.com")
CAROL = ("Carol Danvers", "carol@users.noreply.github.com")
DAN = ("Dan D", "dan.personal@gmail.com")
ERIN = ("Erin", "erin@example.org")
MERGER = ("Merge Master", "mm@example.com")
DEPENDABOT = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
IDENTITIES = {"dan-gh": ("DAN.Personal@Gmail.com",), "erin-gh": ("erin",)}

NOV_START = datetime(2026, 11, 1, tzinfo=UTC)
DEC_START = datetime(2026, 12, 1, tzinfo=UTC)
ODD_TITLE = "Ünïcødé \u200ftitle 100% done"
ODD_BODY = "Body with %H %x00 \x1e and \x1f separators, \u202eRTL\n\n# not a comment"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utc(text: str) -> datetime:
    return at(text).astimezone(UTC)


@pytest.fixture(scope="module")
def november(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """A month of GitHub-style history with every kind of commit the reader must tell apart."""
    repo = GitRepo.init(tmp_path_factory.mktemp("november") / "repo")
    initial = repo.commit(
        "Initial commit", {"README.md": "# app\n"}, ALICE, at("2026-10-01T09:00Z")
    )

    repo.branch("shared")
    repo.commit("Add shared helpers", {"lib/shared.py": "x"}, DAN, at("2026-10-15T10:00+02:00"))
    repo.checkout("main")
    repo.branch("feature/login")
    repo.commit("Login form", {"web/login.py": "form"}, ALICE, at("2026-10-28T09:00-08:00"))
    repo.commit("Login tests", {"tests/test_login.py": "t"}, ALICE, at("2026-10-29T10:00-08:00"))

    repo.squash_pr(1, "Before the window", {"docs/a.md": "a"}, BOB, at("2026-10-30T23:00Z"))
    repo.squash_pr(9, "One second early", {"docs/b.md": "b"}, BOB, at("2026-10-31T23:59:59Z"))
    repo.squash_pr(10, "At the start", {"docs/c.md": "c"}, CAROL, at("2026-11-01T05:30+05:30"))
    repo.branch("feat-b")
    repo.commit("Start dashboard", {"web/dash.py": "1"}, CAROL, at("2026-11-02T12:00Z"))

    body = "Goal: #12\n\nAdds the login form."
    repo.merge_pr(2, "feature/login", "Add login", body, at("2026-11-03T10:00Z"), MERGER)
    repo.commit("Bump version", {"VERSION": "1.1"}, BOB, at("2026-11-04T08:00Z"))
    date = at("2026-11-05T14:00+05:30")
    repo.squash_pr(3, "Fix typo in docs", {"docs/a.md": "A"}, BOB, date, body="Part of #12")
    repo.branch("stable", from_=initial)
    repo.commit("Backport fix", {"lib/backport.py": "b"}, ALICE, at("2026-11-06T09:00Z"))
    repo.merge_branch("stable", at("2026-11-06T10:00Z"), MERGER)

    # feat-b takes in `shared` before both are merged: #4 must not claim shared's commit.
    repo.merge_branch("shared", at("2026-11-08T09:00Z"), CAROL, into="feat-b")
    repo.commit("Finish dashboard", {"web/dash.py": "2"}, CAROL, at("2026-11-09T08:00Z"))
    repo.merge_pr(5, "shared", "Shared helpers", date=at("2026-11-09T12:00Z"), merger=MERGER)
    repo.merge_pr(4, "feat-b", "Dashboard", date=at("2026-11-10T12:00Z"), merger=MERGER)

    files = {"requirements.txt": "jinja2==3.1.4"}
    title = "Bump jinja2 from 3.1.3 to 3.1.4"
    repo.squash_pr(6, title, files, DEPENDABOT, at("2026-11-12T03:00Z"))
    repo.commit('Revert "Fix typo in docs (#3)"', {"docs/a.md": "a"}, BOB, at("2026-11-13T09:00Z"))
    repo.branch("quick-fix")
    repo.commit("Quick fix", {"app.py": "fix"}, ALICE, at("2026-11-14T07:00Z"))
    repo.merge_pr(7, "quick-fix", "", date=at("2026-11-14T09:00Z"), merger=MERGER)
    repo.squash_pr(8, ODD_TITLE, {"docs/ü.md": "ü"}, ALICE, at("2026-11-15T10:00Z"), ODD_BODY)
    repo.branch("patch-1")
    repo.commit("Fix README", {"README.md": "# App\n"}, ERIN, at("2026-11-19T10:00Z"))
    date = at("2026-11-20T10:00Z")
    repo.merge_pr(13, "patch-1", "Fix README", date=date, merger=MERGER, owner="erin-fork")
    repo.squash_pr(
        11, "Just before the end", {"docs/d.md": "d"}, CAROL, at("2026-11-30T15:59:59-08:00")
    )
    repo.squash_pr(12, "At the end", {"docs/e.md": "e"}, CAROL, at("2026-12-01T00:00Z"))
    return repo


def summary(pr: git_history.PullRequest) -> tuple[object, ...]:
    return (
        pr.number, pr.title, pr.author, pr.branch, pr.paths,
        pr.merged_at, pr.first_commit_at, pr.is_bot,
    )  # fmt: skip


def test_reads_exactly_the_prs_merged_in_the_window(november: GitRepo) -> None:
    prs = read_merged_prs(november.path, NOV_START, DEC_START, identities=IDENTITIES)

    assert [summary(pr) for pr in prs] == [
        (10, "At the start", "carol", None, ("docs/c.md",), utc("2026-11-01T00:00Z"), None, False),
        (
            2, "Add login", "alice", "feature/login", ("tests/test_login.py", "web/login.py"),
            utc("2026-11-03T10:00Z"), utc("2026-10-28T17:00Z"), False,
        ),
        (
            3, "Fix typo in docs", "bobb", None, ("docs/a.md",),
            utc("2026-11-05T08:30Z"), None, False,
        ),
        (
            5, "Shared helpers", "dan-gh", "shared", ("lib/shared.py",),
            utc("2026-11-09T12:00Z"), utc("2026-10-15T08:00Z"), False,
        ),
        (
            4, "Dashboard", "carol", "feat-b", ("web/dash.py",),
            utc("2026-11-10T12:00Z"), utc("2026-11-02T12:00Z"), False,
        ),
        (
            6, "Bump jinja2 from 3.1.3 to 3.1.4", "dependabot[bot]", None, ("requirements.txt",),
            utc("2026-11-12T03:00Z"), None, True,
        ),
        (
            7, "quick-fix", "alice", "quick-fix", ("app.py",),
            utc("2026-11-14T09:00Z"), utc("2026-11-14T07:00Z"), False,
        ),
        (8, ODD_TITLE, "alice", None, ("docs/ü.md",), utc("2026-11-15T10:00Z"), None, False),
        (
            # A personal fork's owner beats the config's identities (erin-gh).
            13, "Fix README", "erin-fork", "patch-1", ("README.md",),
            utc("2026-11-20T10:00Z"), utc("2026-11-19T10:00Z"), False,
        ),
        (
            11, "Just before the end", "carol", None, ("docs/d.md",),
            utc("2026-11-30T23:59:59Z"), None, False,
        ),
    ]  # fmt: skip


def test_keeps_the_full_message_hash_and_utc_dates(november: GitRepo) -> None:
    prs = {pr.number: pr for pr in read_merged_prs(november.path, NOV_START, DEC_START)}

    assert prs[2].body == "Merge pull request #2 from acme/feature/login\n\nAdd login\n\n" + (
        "Goal: #12\n\nAdds the login form."
    )
    assert prs[3].body == "Fix typo in docs (#3)\n\nPart of #12"
    assert prs[8].body == f"{ODD_TITLE} (#8)\n\n{ODD_BODY}"
    assert prs[7].body == "Merge pull request #7 from acme/quick-fix"
    assert prs[4].sha == november.git("rev-parse", ":/^Merge pull request #4 from").strip()
    assert {pr.source for pr in prs.values()} == {"git"}
    assert all(pr.merged_at.tzinfo is UTC for pr in prs.values())
    assert all(
        pr.first_commit_at is None or pr.first_commit_at.tzinfo is UTC for pr in prs.values()
    )


def test_without_identities_a_guess_is_marked_and_a_fork_names_its_owner(
    november: GitRepo,
) -> None:
    prs = {pr.number: pr for pr in read_merged_prs(november.path, NOV_START, DEC_START)}

    # dan-personal is only a guess from the email; erin-fork is the fork `from` names.
    assert (prs[5].author, prs[5].author_guessed) == ("dan-personal", True)
    assert (prs[13].author, prs[13].author_guessed) == ("erin-fork", False)
    # Noreply emails name their login outright.
    assert (prs[3].author, prs[3].author_guessed) == ("bobb", False)


@pytest.mark.parametrize(
    ("since", "until", "numbers"),
    [
        ("2026-10-31T23:59:59Z", "2026-11-01T00:00:00Z", [9]),
        ("2026-11-01T00:00:00Z", "2026-11-01T00:00:01Z", [10]),
        ("2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z", [11]),
        ("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", [12]),
        ("2026-11-16T00:00:00Z", "2026-11-19T00:00:00Z", []),
        ("2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z", []),
        ("2026-11-05T08:00:00+00:00", "2026-11-05T14:00:00+05:30", []),
        ("2026-11-05T14:00:00+05:30", "2026-11-05T09:00:00+00:00", [3]),
    ],
)
def test_window_is_half_open(november: GitRepo, since: str, until: str, numbers: list[int]) -> None:
    prs = read_merged_prs(november.path, at(since), at(until))

    assert [pr.number for pr in prs] == numbers


def test_reads_a_whole_history_from_the_root(november: GitRepo) -> None:
    # Bounds outside the dates git can parse (1973..2099) must not drop anything.
    prs = read_merged_prs(november.path, at("1970-01-01T00:00Z"), at("2200-01-01T00:00Z"))

    assert [pr.number for pr in prs] == [1, 9, 10, 2, 3, 5, 4, 6, 7, 8, 13, 11, 12]


def test_a_root_commit_pr_changed_every_file_it_has(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    files = {"b.py": "b", "a/x.py": "x"}
    repo.squash_pr(1, "Initial import", files, ALICE, at("2026-11-02T09:00Z"))

    (pr,) = read_merged_prs(repo.path, NOV_START, DEC_START)

    assert (pr.number, pr.paths, pr.author) == (1, ("a/x.py", "b.py"), "alice")


def test_reads_another_branch_when_asked(november: GitRepo) -> None:
    prs = read_merged_prs(november.path, NOV_START, DEC_START, branch="main~3")

    assert [pr.number for pr in prs] == [10, 2, 3, 5, 4, 6, 7, 8]


def test_reports_progress_in_commits_read(
    november: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git_run, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(git_run, "CHUNK", 64)  # smaller than a record: one at a time
    calls: list[int] = []

    read_merged_prs(november.path, NOV_START, DEC_START, progress=calls.append)

    # 16 first-parent commits: main's from #9 (Oct 31, inside the day of slack) to #12,
    # and the backport on `stable` (merged by `Merge branch 'stable'`); then the 22
    # commits from the merges down to where those lines start (#1, the initial commit).
    assert calls == [5, 10, 15, 20, 25, 30, 35, 38]


def test_rejects_naive_datetimes(november: GitRepo) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        read_merged_prs(november.path, datetime(2026, 11, 1), DEC_START)


# --- default branch -----------------------------------------------------------------


def small_repo(path: Path, branch: str = "main") -> GitRepo:
    repo = GitRepo.init(path, branch)
    repo.commit("Initial commit", {"README.md": "hi"}, ALICE, at("2026-11-01T09:00Z"))
    repo.branch("topic")
    repo.commit("Topic work", {"topic.py": "x"}, CAROL, at("2026-11-02T09:00Z"))
    repo.merge_pr(1, "topic", "Topic", date=at("2026-11-03T09:00Z"), merger=MERGER)
    repo.squash_pr(2, "Squashed", {"s.py": "s"}, BOB, at("2026-11-04T09:00Z"))
    return repo


def test_renamed_default_branch_is_found_and_read(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    repo.rename_branch("main", "trunk")
    repo.commit("After the rename", {"late.py": "x"}, ALICE, at("2026-11-05T09:00Z"))
    repo.squash_pr(3, "On trunk", {"t.py": "t"}, BOB, at("2026-11-06T09:00Z"))

    assert default_branch(repo.path) == "trunk"
    prs = read_merged_prs(repo.path, NOV_START, DEC_START)
    assert [(pr.number, pr.title, pr.author) for pr in prs] == [
        (1, "Topic", "carol"),
        (2, "Squashed", "bobb"),
        (3, "On trunk", "bobb"),
    ]


def test_default_branch_follows_origin_head_not_the_checkout(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo", branch="trunk")
    repo.set_remote_default("trunk")
    repo.branch("wip")
    repo.commit("Unmerged work (#99)", {"wip.py": "w"}, ALICE, at("2026-11-07T09:00Z"))

    assert default_branch(repo.path) == "trunk"
    assert [pr.number for pr in read_merged_prs(repo.path, NOV_START, DEC_START)] == [1, 2]
    repo.git("branch", "--delete", "--force", "trunk")
    assert default_branch(repo.path) == "origin/trunk"
    assert [pr.number for pr in read_merged_prs(repo.path, NOV_START, DEC_START)] == [1, 2]


def test_default_branch_ignores_a_stale_origin_head(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo", branch="trunk")
    repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/master")

    assert default_branch(repo.path) == "trunk"


def test_default_branch_of_a_detached_head_is_head(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    repo.git("switch", "--quiet", "--detach", "HEAD~1")

    assert default_branch(repo.path) == "HEAD"
    assert [pr.number for pr in read_merged_prs(repo.path, NOV_START, DEC_START)] == [1]


def test_default_branch_override_wins(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")

    assert default_branch(repo.path, override="release") == "release"


# --- errors -------------------------------------------------------------------------


def test_a_directory_that_is_not_a_repo_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"is not a git repository; pass the path of a local"):
        read_merged_prs(tmp_path, NOV_START, DEC_START)
    with pytest.raises(HistoryError, match="not a git repository"):
        default_branch(tmp_path)


def test_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="does not exist"):
        read_merged_prs(tmp_path / "nowhere", NOV_START, DEC_START)


@pytest.mark.parametrize("branch", ["nope", "--output=/tmp/x", "main..topic"])
def test_an_unknown_branch_names_the_branches_there_are(tmp_path: Path, branch: str) -> None:
    repo = small_repo(tmp_path / "repo")

    with pytest.raises(HistoryError) as caught:
        read_merged_prs(repo.path, NOV_START, DEC_START, branch=branch)

    assert str(caught.value).startswith(f"branch {branch!r} does not exist in {repo.path}")
    assert "local branches: main, topic" in str(caught.value)


def test_an_empty_repository_says_it_has_no_commits(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")

    with pytest.raises(HistoryError, match=r"'main' does not exist.*no commits yet"):
        read_merged_prs(repo.path, NOV_START, DEC_START)


def test_missing_git_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = small_repo(tmp_path / "repo")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))

    with pytest.raises(HistoryError, match="git is not installed or not on PATH"):
        read_merged_prs(repo.path, NOV_START, DEC_START)


def test_a_shallow_clone_that_ends_inside_the_window_is_refused(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth=2", f"file://{repo.path}", str(clone)], check=True
    )

    with pytest.raises(HistoryError, match=r"shallow clone.*fetch-depth: 0"):
        read_merged_prs(clone, NOV_START, DEC_START)
    # A window the shallow history fully covers is fine.
    later = at("2026-11-04T00:00Z")
    assert [pr.number for pr in read_merged_prs(clone, later, DEC_START)] == [2]


def test_a_failing_git_command_names_the_step(
    november: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(git_run, "CONFIG", ("-c", "log.showSignature=maybe"))

    with pytest.raises(HistoryError, match="git failed while finding release branches"):
        read_merged_prs(november.path, NOV_START, DEC_START)


def test_merged_at_is_the_committer_date(tmp_path: Path) -> None:
    repo = small_repo(tmp_path / "repo")
    late = at("2026-11-20T09:00-08:00")
    # --date sets the author date; the builder's date becomes the committer date.
    repo.git("commit", "--quiet", "--amend", "--no-edit", "--date=@1793782800 +0000", date=late)

    prs = read_merged_prs(repo.path, NOV_START, DEC_START)

    assert repo.git("log", "-1", "--format=%aI %cI") == (
        "2026-11-04T09:00:00+00:00 2026-11-20T09:00:00-08:00\n"
    )
    assert [(pr.number, pr.merged_at) for pr in prs] == [
        (1, utc("2026-11-03T09:00Z")),
        (2, utc("2026-11-20T17:00Z")),
    ]
