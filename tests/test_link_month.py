"""`link` offline reads what the review of the PR's month reads, no more, and so names
the same author, team and goal as that review, on the two shared real histories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.link import explain_from_repo
from quarterdeck.services.review import offline as review_service
from quarterdeck.sources import git_history
from tests.gitrepo import GitRepo
from tests.histories import CLICK_CONFIG, clone
from tests.reviewrepos import ALICE, at

CLICK = (
    "pallets-click.bundle",
    "2026-05",
    CLICK_CONFIG,
    {"goals/2026-Q2.yml": "- id: help\n  title: Better help and docs\n  team: docs\n"
     "  owners: [davidism]\n  keywords: [documentation, help]\n"},
)  # fmt: skip
ANDROID = (
    "posthog-android.bundle",
    "2026-01",
    """\
teams:
  replay:
    lead: marandaneto
    members: [marandaneto]
    owns: {paths: ["posthog-android/src/main/java/com/posthog/android/replay/**"]}
  clients:
    lead: marandaneto
    members: [marandaneto]
    owns: {codeowners: ["@PostHog/team-client-libraries"]}
""",
    {"goals/2026-Q1.yml": "- id: flags\n  title: Flag results\n  team: clients\n"
     "  owners: [marandaneto]\n  scopes: [flags]\n"},
)  # fmt: skip


@pytest.fixture(scope="module", params=[CLICK, ANDROID], ids=["pallets-click", "posthog-android"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str]:
    bundle, month, config, files = request.param
    repo = clone(bundle, tmp_path_factory.mktemp("link") / bundle.split(".")[0])
    for path, text in {".github/quarterdeck.yml": config, **files}.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    return repo, month


def _review(repo: Path, month: str, capsys: pytest.CaptureFixture[str]) -> dict[int, tuple]:
    """{PR number: (author, team, goal)} of every PR that month's review JSON lists."""
    assert main(["review", "--repo", str(repo), "--month", month, "--format", "json"]) == 0
    found: dict[int, tuple] = {}
    for review in json.loads(capsys.readouterr().out)["reviews"]:
        team = review["team"]["slug"] if review["team"] else None
        for goal in review["summary"]["goals"]:
            for link in goal["prs"]:
                found[link["pr"]["number"]] = (link["pr"]["author"], team, goal["goal"]["id"])
        for link in review["summary"]["unplanned"]:
            found[link["pr"]["number"]] = (link["pr"]["author"], team, None)
    return found


def test_link_names_the_same_author_team_and_goal_as_the_months_review(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, month = history
    expected = _review(repo, month, capsys)
    assert len(expected) >= 10  # a real month, with goals, teams and work no team owns
    assert {goal for _, _, goal in expected.values()} - {None}
    assert {team for _, team, _ in expected.values()} - {None}
    config, _ = review_service.load_repo_config(repo)
    window = review_service.review_window(config, ReviewPeriod.of(Month.parse(month)))
    reads = _recorded_reads(monkeypatch)

    linked = {}
    for number in expected:
        link = explain_from_repo(repo, number).link
        linked[number] = (link.pr.author, link.team, link.goal_id)
    assert linked == expected
    # Each by one read of the history, the very window the month's review reads.
    assert reads == [window] * len(expected)

    # As the CLI runs it, for one of them.
    number, (author, team, goal) = next(iter(expected.items()))
    assert main(["link", str(number), "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"#{number} ")
    assert author in out
    assert (f"goal: {goal} " in out) if goal else ("unplanned work of" in out)
    assert (f"team {team}" in out) if team else ("no team" in out)


def _recorded_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The (since, until) of every history read the review service makes from now on."""
    reads: list[tuple] = []
    real = review_service.read_merged_prs

    def recording(*args: object, **kwargs: object) -> object:
        reads.append(args[1:3])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(review_service, "read_merged_prs", recording)
    return reads


def test_link_reads_one_review_window_not_the_whole_history(
    history: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, month = history
    reads = _recorded_reads(monkeypatch)
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--first-parent", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    config, _ = review_service.load_repo_config(repo)
    explanation = explain_from_repo(repo, _first_pr_of(repo, month))
    since, until = review_service.review_window(config, ReviewPeriod.of(Month.parse(month)))
    # One read, exactly the window the review of the PR's month reads.
    assert reads == [(since, until)]
    assert explanation.link.pr.merged_at.strftime("%Y-%m") == month
    assert len(log) > 500  # the history holds far more than that window


def _first_pr_of(repo: Path, month: str) -> int:
    """The number of a PR merged in `month` on main, as git shows it."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--first-parent", "--reverse", "--format=%H %P%x1f%B%x00",
         f"--since={month}-03", f"--until={month}-25", "main"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    from quarterdeck.core.review.pr_messages import read_pr_trace

    for record in out.split("\x00"):
        ids, _, message = record.strip().partition("\x1f")
        trace = read_pr_trace(message, len(ids.split()) - 1) if ids else None
        if trace is not None:
            return trace.number
    raise AssertionError(f"no PR merged in {month}")


def test_a_pr_no_line_records_is_a_clear_error(
    history: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = history
    assert git_history.pr_merge_times(repo, 999_999) == []
    assert main(["link", "999999", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "no merged PR #999999 on main or a branch merged into it" in err
    assert "git fetch origin" in err


def test_link_names_the_reviews_author_when_the_only_evidence_is_older_than_its_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The noreply email that names Robert's login is two years older than the review's
    # read: the review guesses, and link, reading the same, must say the same (reading
    # the whole history it named a login the review never shows).
    repo = GitRepo.init(tmp_path / "web")
    config = (
        "teams:\n  web:\n    lead: alice\n    members: [alice]\n    owns: {paths: ['web/**']}\n"
    )
    repo.commit("Initial", {".github/quarterdeck.yml": config}, ALICE, at("2024-01-02T09:00Z"))
    old = ("Robert Paulson", "4242+bobpaulson@users.noreply.github.com")
    repo.squash_pr(1, "Old work", {"web/a.py": "1"}, old, at("2024-03-01T09:00Z"))
    new = ("Robert Paulson", "robert@corp.example")
    repo.squash_pr(2, "New work", {"web/b.py": "1"}, new, at("2026-11-05T09:00Z"))
    repo.commit("After", {"NEWS": "1"}, ALICE, at("2026-12-02T09:00Z"))

    [(author, team, goal)] = _review(repo.path, "2026-11", capsys).values()
    link = explain_from_repo(repo.path, 2).link

    assert (link.pr.author, link.team, link.goal_id) == (author, team, goal)
    assert link.pr.author_guessed
