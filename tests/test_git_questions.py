"""A review asks git each short question once, and the next run asks again.

Every git process the offline review starts is logged by a `git` on PATH that records
its arguments and runs the real git: within one run, a question already answered
(origin's URL, the default branch, a branch's commit, whether the clone is shallow) is
not asked again; a later run sees the repository as it is then.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_markdown import render_reviews
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.sources.git_history import read_merged_prs
from quarterdeck.sources.git_repo import history_span, toplevel
from quarterdeck.sources.git_run import check_repo
from tests.gitrepo import GitRepo

ALICE = ("Alice", "1+alice@users.noreply.github.com")
BOB = ("Bob", "bob@example.com")  # a plain email: the identities walk runs too
NOVEMBER = Month(2026, 11)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def shipped_repo(path: Path) -> GitRepo:
    """Squash and merge PRs on main, and a release branch merged back (`stable`)."""
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "hi"}, ALICE, at("2026-10-01T09:00Z"))
    repo.git("remote", "add", "origin", "https://github.com/acme/web.git")
    repo.squash_pr(1, "Fix crash", {"web/a.py": "1"}, BOB, at("2026-11-02T12:00Z"))
    repo.branch("stable")
    repo.squash_pr(2, "Backport", {"web/b.py": "1"}, ALICE, at("2026-11-03T12:00Z"), into="stable")
    repo.checkout("main")
    repo.branch("feature")
    repo.commit("Add search", {"web/search.py": "1"}, BOB, at("2026-11-04T12:00Z"))
    repo.merge_pr(3, "feature", "Search", date=at("2026-11-05T12:00Z"))
    repo.merge_branch("stable", date=at("2026-11-06T12:00Z"))
    repo.set_remote_default("main")
    return repo


@pytest.fixture
def logged_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `git` first on PATH that appends its arguments (one line a call) to the log."""
    real = shutil.which("git")
    assert real is not None
    log = tmp_path / "git-calls.log"
    folder = tmp_path / "bin"
    folder.mkdir()
    wrapper = folder / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def calls(log: Path) -> list[str]:
    """The logged commands, without the repository and config options every one has."""
    found = []
    for line in log.read_text().splitlines() if log.exists() else []:
        words = line.split(" ")
        while words and words[0] in ("-C", "-c"):
            words = words[2:]
        found.append(" ".join(words))
    return found


def test_a_review_asks_each_short_git_question_once(tmp_path: Path, logged_git: Path) -> None:
    repo = shipped_repo(tmp_path / "web")
    logged_git.unlink(missing_ok=True)  # only the review's own calls

    reviews = build_reviews(repo.path, NOVEMBER)

    asked = calls(logged_git)
    assert any(c.startswith("remote get-url origin") for c in asked)
    assert any(c.startswith("rev-parse --verify --quiet --end-of-options stable") for c in asked)
    # Commands reading their question from stdin (the tree diffs, shared over two
    # processes) differ by what they are sent.
    repeated = {c: n for c, n in Counter(asked).items() if n > 1 and "--stdin" not in c}
    assert repeated == {}, f"asked git more than once in one review: {repeated}"
    # Only work no team owns (no config): no goals to carry, so the goals file's past
    # is not looked up.
    assert [r.team for r in reviews] == [None]
    assert not [c for c in asked if c.startswith(("rev-list -1 --before", "show "))], asked
    shown = render_reviews(reviews)
    assert all(f"[#{n}](https://github.com/acme/web/pull/{n} " in shown for n in (1, 2, 3))

    # The next run sees the repository as it is now: main moved, a PR was merged.
    repo.squash_pr(4, "Late fix", {"web/c.py": "1"}, ALICE, at("2026-11-20T12:00Z"))
    repo.set_remote_default("main")
    logged_git.unlink()

    again = render_reviews(build_reviews(repo.path, NOVEMBER))

    assert ") Late fix · `alice`" in again
    assert Counter(calls(logged_git))["remote get-url origin"] == 1


def test_bulk_reads_let_git_buffer_its_output(
    tmp_path: Path, logged_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Into a pipe git writes each record as it is ready unless told otherwise: a
    # system call per commit on both sides. The reads ask for buffered output, whatever
    # the user's environment says.
    monkeypatch.setenv("GIT_FLUSH", "1")
    repo = shipped_repo(tmp_path / "web")
    logged_git.unlink(missing_ok=True)
    flushes = tmp_path / "flush.log"
    wrapper = logged_git.parent / "bin" / "git"
    text = wrapper.read_text()
    wrapper.write_text(text.replace("exec ", f'echo "$GIT_FLUSH $*" >> "{flushes}"\nexec ', 1))

    prs = read_merged_prs(repo.path, at("2026-11-01T00:00Z"), at("2026-12-01T00:00Z"))

    assert [pr.number for pr in prs] == [1, 2, 3]
    seen = flushes.read_text().splitlines()
    bulk = [line for line in seen if " log " in line or " diff-tree " in line]
    assert len(bulk) >= 4, seen  # the first-parent lines, GitHub's merges, tree diffs, ...
    assert all(line.startswith("0 ") for line in bulk), bulk


def young_repo(path: Path) -> GitRepo:
    """Three squash-merged PRs in a clone begun in October 2026 (no origin)."""
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "x"}, ALICE, at("2026-10-01T09:00Z"))
    for n in (1, 2, 3):
        repo.squash_pr(n, f"Change {n}", {f"f{n}.py": str(n)}, BOB, at(f"2026-11-0{n}T12:00Z"))
    return repo


def test_the_cli_review_of_a_young_clone_starts_few_git_processes(
    tmp_path: Path, logged_git: Path
) -> None:
    # Each git process costs a few milliseconds of the command's start-up (issue 23):
    # the top folder and shallowness are one question, the checked-out branch one
    # more, the span of a history begun after the window two walks, and three commits'
    # paths one tree diff.
    repo = young_repo(tmp_path / "web")
    logged_git.unlink(missing_ok=True)

    code = main(["review", "--repo", str(repo.path), "--month", "2026-11", "-o", os.devnull])

    asked = calls(logged_git)
    assert code == 0
    assert Counter(asked)["rev-parse --is-shallow-repository --show-cdup"] == 1, asked
    assert not [c for c in asked if c.startswith(("rev-parse --show-toplevel", "show-ref"))]
    assert len([c for c in asked if c.startswith("diff-tree")]) == 1, asked
    assert len(asked) <= 13, asked


def test_the_top_folder_is_found_from_a_subfolder_and_in_a_bare_clone(tmp_path: Path) -> None:
    repo = young_repo(tmp_path / "web")
    (repo.path / "docs" / "api").mkdir(parents=True)
    bare = tmp_path / "web.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(repo.path), str(bare)], check=True)

    assert toplevel(repo.path / "docs" / "api") == repo.path.resolve()
    assert toplevel(repo.path) == repo.path.resolve()
    assert toplevel(bare) == bare.resolve()
    assert toplevel(tmp_path) == tmp_path  # not a clone: as given
    assert check_repo(bare) is False


def test_the_span_of_a_history_whose_main_line_begins_late(tmp_path: Path) -> None:
    # The main line begins in October 2026; a side history merged into it begins in
    # January 2025. Whether the history reaches back before the window is told by
    # its oldest root, as by any of its commits before.
    repo = young_repo(tmp_path / "web")
    since = at("2026-05-01T00:00Z")
    young = history_span(repo.path, ["main"], since)
    assert young.first == at("2026-10-01T09:00Z")
    assert young.last == at("2026-11-03T12:00Z")

    repo.git("switch", "--quiet", "--orphan", "old")
    repo.commit("Old tool", {"tool.py": "1"}, BOB, at("2025-01-10T12:00Z"))
    repo.checkout("main")
    repo.git(
        "merge", "--quiet", "--no-ff", "--allow-unrelated-histories", "-m", "Merge the tool", "old",
        date=at("2026-11-10T12:00Z"),
    )  # fmt: skip

    merged = history_span(repo.path, ["main"], since)
    assert merged.first is None  # it reaches back before `since`
    assert merged.last == at("2026-11-10T12:00Z")
