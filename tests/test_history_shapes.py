"""Every way GitHub records a merged PR, and who wrote it, read back from real git repos.

Each test builds the shape in a temp dir and checks the exact PRs, authors, co-authors
and dates the offline reader returns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.model import PullRequest
from quarterdeck.sources.git_history import read_merged_prs
from tests.gitrepo import GITHUB, GitRepo

ALICE = ("Alice Liddell", "alice@example.com")
ALICE_NOREPLY = ("Alice Liddell", "101+alice-gh@users.noreply.github.com")
BOB = ("Bob Builder", "bob@example.com")
CAROL = ("Carol Danvers", "carol.d@corp.example")
DAN = ("Dan D", "dan@example.net")
MAINTAINER = ("Mae Tainer", "mae@example.com")
PRECOMMIT = ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com")
AUG, SEP = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 8, day, hour, tzinfo=UTC)


def base_repo(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "hi"}, MAINTAINER, datetime(2026, 7, 1, tzinfo=UTC))
    repo.git("remote", "add", "origin", "git@github.com:acme/web.git")
    return repo


def read(repo: GitRepo, **kwargs: object) -> dict[int, PullRequest]:
    return {pr.number: pr for pr in read_merged_prs(repo.path, AUG, SEP, **kwargs)}  # type: ignore[arg-type]


# --- message styles ------------------------------------------------------------------


def test_a_merge_commit_titled_like_the_pr_is_a_pr_by_the_branch_author(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("replay-fix")
    repo.commit("Fix replay", {"replay/a.py": "1"}, CAROL, at(2))
    repo.commit("Tests", {"replay/t.py": "1"}, CAROL, at(3))
    body = "Fixes the scrubber.\n\nGoal: #12"
    sha = repo.merge_pr(
        21, "replay-fix", "Fix replay scrubbing", body, at(4), MAINTAINER, titled=True
    )
    repo.merge_pr(
        22, "replay-fix", "Fix replay again", date=at(5), merger=MAINTAINER
    )  # nothing new

    prs = read(repo)

    assert sorted(prs) == [21]
    pr = prs[21]
    assert (pr.title, pr.author, pr.branch, pr.sha) == (
        "Fix replay scrubbing",
        "carol-d",
        None,
        sha,
    )
    assert pr.paths == ("replay/a.py", "replay/t.py")
    assert pr.first_commit_at == at(2)
    assert pr.body == f"Fix replay scrubbing (#21)\n\n{body}"
    assert pr.author_guessed  # carol-d: only the email's local part, shaped like a login


def test_all_three_styles_side_by_side(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("a")
    repo.commit("A", {"a.py": "1"}, BOB, at(2))
    repo.merge_pr(1, "a", "Classic merge", date=at(3), merger=MAINTAINER)
    repo.branch("b")
    repo.commit("B", {"b.py": "1"}, BOB, at(4))
    repo.merge_pr(2, "b", "Titled merge", date=at(5), merger=MAINTAINER, titled=True)
    repo.squash_pr(3, "Squash", {"c.py": "1"}, BOB, at(6))
    repo.commit("Direct push (no PR)", {"d.py": "1"}, MAINTAINER, at(7))
    repo.commit("Rebased in, no number", {"e.py": "1"}, BOB, at(8), committer=GITHUB)

    prs = read(repo)

    assert [(n, pr.title, pr.author) for n, pr in prs.items()] == [
        (1, "Classic merge", "bob"),
        (2, "Titled merge", "bob"),
        (3, "Squash", "bob"),
    ]


# --- release branches ----------------------------------------------------------------


def stable_history(path: Path, *, delete_stable: bool = False) -> GitRepo:
    """PRs merged into `stable`, brought to main by `Merge branch 'stable'`."""
    repo = base_repo(path)
    repo.branch("stable")
    repo.checkout("main")
    repo.squash_pr(1, "Feature on main", {"main.py": "1"}, BOB, at(2))
    repo.squash_pr(2, "Fix on stable", {"fix.py": "1"}, CAROL, at(3), into="stable")
    repo.branch("fix-2", from_="stable")
    repo.commit("Second fix", {"fix2.py": "1"}, DAN, at(4))
    repo.merge_pr(3, "fix-2", "Second fix", date=at(5), merger=MAINTAINER, into="stable")
    repo.merge_branch("stable", at(10), MAINTAINER)
    # After the last merge back: still on stable only.
    repo.squash_pr(4, "Late fix on stable", {"late.py": "1"}, CAROL, at(20), into="stable")
    repo.checkout("main")
    if delete_stable:
        repo.git("branch", "-D", "stable")
    return repo


def test_prs_merged_into_a_release_branch_count_at_their_own_merge_time(tmp_path: Path) -> None:
    repo = stable_history(tmp_path / "r")

    prs = read(repo)

    assert [(n, pr.merged_at, pr.author) for n, pr in prs.items()] == [
        (1, at(2), "bob"),
        (2, at(3), "carol-d"),
        (3, at(5), "dan"),
        (4, at(20), "carol-d"),  # not merged back yet: the branch reaches main
    ]
    assert prs[3].first_commit_at == at(4)
    assert prs[3].paths == ("fix2.py",)


def test_a_deleted_release_branch_still_counts_what_it_brought(tmp_path: Path) -> None:
    repo = stable_history(tmp_path / "r", delete_stable=True)

    assert sorted(read(repo)) == [1, 2, 3]  # #4 never reached main and its branch is gone


def test_a_remote_tracking_release_branch_merge(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("stable")
    repo.squash_pr(2, "Fix on stable", {"fix.py": "1"}, CAROL, at(3), into="stable")
    repo.git("update-ref", "refs/remotes/origin/stable", repo.sha("stable"))
    repo.checkout("main")
    repo.git("branch", "-D", "stable")
    message = "Merge remote-tracking branch 'origin/stable'"
    repo.git("merge", "--no-ff", "-m", message, "origin/stable", author=MAINTAINER, date=at(5))
    # Later work on origin/stable, not merged yet, is found through the remote ref.
    repo.git("switch", "--quiet", "-c", "stable", "origin/stable")
    repo.squash_pr(5, "Later", {"later.py": "1"}, CAROL, at(9), into="stable")
    repo.git("update-ref", "refs/remotes/origin/stable", repo.sha("stable"))
    repo.checkout("main")
    repo.git("branch", "-D", "stable")

    assert sorted(read(repo)) == [2, 5]


def test_a_release_branch_brought_in_by_a_pr_counts_githubs_own_merges(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("stable")
    repo.squash_pr(2, "Fix on stable", {"fix.py": "1"}, CAROL, at(3), into="stable")
    repo.commit("Bump version", {"VERSION": "2"}, MAINTAINER, at(4))  # a push, not a PR
    repo.branch("merge-stable", from_="stable")
    repo.merge_pr(9, "merge-stable", "Merge stable into main", date=at(6), merger=MAINTAINER,
                  titled=True)  # fmt: skip
    repo.git("branch", "-D", "stable", "merge-stable")

    prs = read(repo)

    assert sorted(prs) == [2, 9]
    assert prs[2].merged_at == at(3)


def test_a_pr_merged_into_a_feature_branch_that_never_landed_is_not_counted(
    tmp_path: Path,
) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("big-feature")
    repo.commit("Start", {"f.py": "1"}, BOB, at(2))
    repo.branch("part-1")
    repo.commit("Part 1", {"p1.py": "1"}, DAN, at(3))
    repo.merge_pr(7, "part-1", "Part 1", date=at(4), merger=BOB, into="big-feature")
    repo.checkout("main")
    repo.squash_pr(8, "Elsewhere", {"x.py": "1"}, BOB, at(5))

    assert sorted(read(repo)) == [8]
    # Once the feature branch lands, the stacked PR counts, at its own merge time.
    repo.merge_pr(10, "big-feature", "Big feature", date=at(9), merger=MAINTAINER)
    prs = read(repo)
    assert [(n, pr.merged_at, pr.author) for n, pr in prs.items()] == [
        (7, at(4), "dan"),
        (8, at(5), "bob"),
        (10, at(9), "bob"),
    ]
    assert prs[10].first_commit_at == at(2)
    assert prs[10].co_authors == ()  # Part 1 came in with #7, not with #10


def test_a_fixed_list_of_branches_reads_only_those(tmp_path: Path) -> None:
    repo = stable_history(tmp_path / "r")

    assert sorted(read(repo, branches=["main"])) == [1]
    assert sorted(read(repo, branches=["main", "stable"])) == [1, 2, 3, 4]
    assert sorted(read(repo, branch="stable")) == [2, 3, 4]


def test_a_backport_counts_once_at_its_first_merge(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("stable")
    repo.checkout("main")
    sha = repo.squash_pr(1, "Fix crash", {"crash.py": "1"}, BOB, at(2))
    repo.cherry_pick(sha, "stable", MAINTAINER, at(6))  # -x: "(cherry picked from …)"
    # A second copy without -x, as some backport tools write it.
    repo.squash_pr(1, "Fix crash", {"crash2.py": "1"}, BOB, at(7), into="stable")
    repo.merge_branch("stable", at(8), MAINTAINER)

    prs = read(repo)

    assert [(n, pr.merged_at, pr.paths) for n, pr in prs.items()] == [(1, at(2), ("crash.py",))]


# --- authors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "author"),
    [("acme", "carol-d"), ("carol-fork", "carol-fork"), ("ACME", "carol-d")],
)
def test_from_login_names_the_author_unless_the_branch_is_the_repositorys_own(
    tmp_path: Path, owner: str, author: str
) -> None:
    repo = base_repo(tmp_path / "r")
    repo.branch("patch-1")
    repo.commit("Fix", {"a.py": "1"}, CAROL, at(2))
    repo.merge_pr(5, "patch-1", "Fix", date=at(3), merger=MAINTAINER, owner=owner)

    pr = read(repo)[5]

    assert (pr.author, pr.branch) == (author, "patch-1")
    assert pr.author_guessed is (author == "carol-d")


def test_identities_are_learned_from_the_history_itself(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    # Alice commits once with her noreply email: her name is known as alice-gh from then on.
    repo.squash_pr(1, "With noreply", {"a.py": "1"}, ALICE_NOREPLY, at(2))
    repo.squash_pr(2, "With a work email", {"b.py": "1"}, ALICE, at(3))
    # Dan's fork merge vouches for his email; his later squash is his login too.
    repo.branch("dan-fix")
    repo.commit("Dan's fix", {"c.py": "1"}, DAN, at(4))
    repo.merge_pr(3, "dan-fix", "Dan's fix", date=at(5), merger=MAINTAINER, owner="dandy")
    repo.squash_pr(4, "Dan again", {"d.py": "1"}, DAN, at(6))

    prs = read(repo)

    # Only the PR's own commits (a noreply email) or its own fork are evidence: what the
    # history suggests elsewhere gives a better login, still shown as a guess.
    assert [(n, pr.author, pr.author_guessed) for n, pr in prs.items()] == [
        (1, "alice-gh", False),
        (2, "alice-gh", True),
        (3, "dandy", False),
        (4, "dandy", True),
    ]
    # The config's identities (a person's word) beat what the history suggests.
    overridden = read(repo, identities={"dan-real": ("dan@example.net",)})
    assert overridden[4].author == "dan-real"


def test_co_authors_from_trailers_and_other_authors_of_the_branch(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    trailer = "Co-authored-by: Bob Builder <bob@example.com>\nco-authored-by: X <x@example.com>"
    repo.squash_pr(1, "Pair work", {"a.py": "1"}, ALICE_NOREPLY, at(2), body=trailer)
    repo.branch("joint")
    repo.commit("Mine", {"b.py": "1"}, DAN, at(3))
    repo.commit("Yours", {"c.py": "1"}, CAROL, at(4))
    repo.commit("Mine again", {"b.py": "2"}, DAN, at(5))
    repo.commit("[pre-commit.ci] auto fixes", {"b.py": "3"}, PRECOMMIT, at(6))
    repo.merge_pr(2, "joint", "Joint", date=at(7), merger=MAINTAINER)

    prs = read(repo)

    assert (prs[1].author, prs[1].co_authors) == ("alice-gh", ("bob", "x"))
    # Dan wrote most of the branch; Carol is a co-author; the bot is neither.
    assert (prs[2].author, prs[2].co_authors) == ("dan", ("carol-d",))


def test_a_bot_pr_is_a_bot_whatever_the_merge_style(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
    repo.branch("dependabot/pip/jinja2")
    repo.commit("Bump jinja2", {"req.txt": "2"}, bot, at(2))
    repo.merge_pr(6, "dependabot/pip/jinja2", "Bump jinja2", date=at(3), merger=MAINTAINER)

    pr = read(repo)[6]

    assert (pr.author, pr.is_bot, pr.branch) == ("dependabot[bot]", True, "dependabot/pip/jinja2")


def test_a_name_seen_with_a_noreply_email_before_the_window_names_the_login(
    tmp_path: Path,
) -> None:
    repo = base_repo(tmp_path / "r")
    repo.commit("Old work", {"old.py": "1"}, ALICE_NOREPLY, datetime(2026, 3, 1, tzinfo=UTC))
    repo.squash_pr(1, "New work", {"a.py": "1"}, ALICE, at(2))

    pr = read(repo)[1]

    # A suggestion from elsewhere in the history, not evidence on the PR: a guess.
    assert (pr.author, pr.author_guessed) == ("alice-gh", True)
