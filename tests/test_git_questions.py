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
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_markdown import render_reviews
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.sources.git_history import read_merged_prs
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
