"""History shapes the review used to miss: a single-parent `Merge pull request #N from …`,
a `--branch` a fresh clone has only as `origin/<branch>`, and a clone without
`origin/HEAD` whose checked-out branch has no commits. Each says what it read."""

from __future__ import annotations

import json
import logging
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.review.pr_messages import read_pr_trace
from tests.gitrepo import GitRepo
from tests.histories import clone
from tests.reviewrepos import ALICE, BOB, CONFIG, GOALS, at


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def listed(out: str) -> dict[int, dict]:
    """{number: PR} of every PR a review JSON lists (toward goals and unplanned)."""
    prs = {}
    for review in json.loads(out)["reviews"]:
        links = [lk for g in review["summary"]["goals"] for lk in g["prs"]]
        for link in [*links, *review["summary"]["unplanned"]]:
            prs[link["pr"]["number"]] = link["pr"]
    return prs


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


# ------------------------------------------------- a single-parent GitHub merge subject


def test_a_single_parent_merge_pull_request_commit_is_that_pr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-10-01T09:00Z"))
    # A flattened history: GitHub's merge subject on an ordinary commit.
    message = "Merge pull request #7 from bob/insights-speed\n\nSpeed up insights"
    repo.commit(message, {"web/insights/a.py": "1"}, BOB, at("2026-11-05T12:00Z"))
    repo.commit("After", {"NEWS": "1"}, ALICE, at("2026-12-02T09:00Z"))

    code, out, _ = run(
        ["review", "--repo", str(repo.path), "--month", "2026-11", "--format", "json"], capsys
    )

    assert code == 0
    pr = listed(out)[7]
    assert pr["title"] == "Speed up insights"
    assert pr["author"] == "bob"  # the fork's owner, as for a merge of bob/…
    code, out, _ = run(["link", "7", "--repo", str(repo.path)], capsys)
    assert code == 0
    assert out.startswith("#7 Speed up insights (by bob")


# -------------------------------------------------- a branch only origin has


@pytest.fixture(scope="module")
def click(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh clone: `main` local, `stable` only as `origin/stable`."""
    return clone("pallets-click.bundle", tmp_path_factory.mktemp("fresh") / "click")


def _stable_prs(repo: Path, month: str) -> set[int]:
    """PRs on origin/stable's first-parent line merged in `month`, as git lists them."""
    out = _git(repo, "log", "--first-parent", "-z", "--format=%P%x1f%ct%x1f%B", "origin/stable")
    found = set()
    for record in filter(None, out.split("\x00")):
        parents, stamp, message = record.split("\x1f", 2)
        when = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m")
        trace = read_pr_trace(message, len(parents.split()))
        if when == month and trace is not None:
            found.add(trace.number)
    return found


def test_a_branch_a_fresh_clone_has_only_on_origin_is_read_from_there(
    click: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert _git(click, "branch", "--list", "stable").strip() == ""  # no local `stable`
    stamp = _git(click, "log", "-1", "--format=%ct", "origin/stable").strip()
    month = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m")
    expected = _stable_prs(click, month)
    assert expected

    argv = ["-v", "review", "--repo", str(click), "--month", month, "--branch", "stable"]
    with caplog.at_level(logging.INFO, "quarterdeck"):
        code, out, _ = run([*argv, "--format", "json"], capsys)

    assert code == 0
    assert set(listed(out)) == expected
    assert "branch stable is not a local branch" in caplog.text  # what -v shows
    assert "reading origin/stable" in caplog.text


def test_a_misspelt_branch_suggests_the_remote_one(
    click: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["review", "--repo", str(click), "--branch", "stabel"], capsys)

    assert code == 1
    assert out == ""
    assert "branch 'stabel' does not exist" in err
    assert "did you mean 'origin/stable'?" in err
    assert "remote-tracking: origin/main, origin/stable" in err


# -------------------------------------------------- no origin/HEAD, nothing checked out


def test_a_clone_without_origin_head_reads_origins_main_and_says_so(
    click: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # `git init` + `git fetch`: origin's branches, no origin/HEAD, an unborn `trunk`.
    repo = tmp_path / "fetched"
    _git(tmp_path, "init", "-q", "--initial-branch=trunk", str(repo))
    _git(repo, "remote", "add", "origin", str(click))
    _git(repo, "fetch", "-q", "origin")
    assert _git(repo, "for-each-ref", "--format=%(refname)", "refs/remotes/origin/HEAD") == ""
    stamp = _git(click, "log", "-1", "--format=%ct", "main").strip()
    month = datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m")

    argv = ["review", "--repo", str(repo), "--month", month, "--format", "json"]
    with caplog.at_level(logging.WARNING, "quarterdeck"):
        code, out, _ = run(argv, capsys)
    assert code == 0
    assert "branch trunk has no commits: reading origin/main" in caplog.text
    assert "git remote set-head origin --auto" in caplog.text
    # The same PRs as the clone the history came from.
    code, theirs, _ = run(
        ["review", "--repo", str(click), "--month", month, "--format", "json"], capsys
    )
    assert code == 0
    assert set(listed(out)) == set(listed(theirs)) != set()
