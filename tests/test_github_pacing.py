"""The shipped clients' pacing: reads go out at once, writes a second apart.

PyGithub's `Requester` sleeps before a request when its pacing says so; these tests
count those sleeps (PyGithub's own `time.sleep`, wrapped) while the clients the CLI,
the Action and the App build (`connect`, `connect_app`) talk to the fake GitHub over
real HTTP on 127.0.0.1. tests/fakegithub.py's own `client()` zeroes both pacings, so
it cannot show them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import github.Requester as requester_module
import pytest

from quarterdeck.sources.github.client import connect, connect_app
from quarterdeck.sources.github.prs import fetch_merged_prs
from tests.fakegithub import FakeGitHub
from tests.webhooks import private_key_pem

WRITE_SPACING = 1.0  # GitHub: content-creating requests at least a second apart
NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def _sleeps(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """Each PyGithub sleep as (requests the fake had received by then, seconds).

    The sleep is recorded, not slept: the seconds PyGithub asks for are the spacing.
    """
    slept: list[tuple[int, float]] = []
    monkeypatch.setattr(
        requester_module.time, "sleep", lambda s: slept.append((len(github.calls), s))
    )
    return slept


def _seed(github: FakeGitHub) -> None:
    repo = github.add_repo("acme/web", files={"README.md": "hello\n"})
    github.add_issue(repo, "Ship the funnels")
    for n in range(150):  # two pages of search
        github.add_pull("acme/web", 100 + n, f"PR {n}", f"2026-11-{n % 28 + 1:02d}T10:00:00Z")


def test_the_cli_client_reads_unpaced_and_spaces_its_writes(
    github: FakeGitHub, front: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(github)
    gh = connect("ghp_pacing_test_token", base_url=front)  # what `_github` in the CLI calls
    slept = _sleeps(github, monkeypatch)

    repo = gh.get_repo("acme/web")
    repo.get_contents("README.md")
    issue = repo.get_issue(1)
    prs = fetch_merged_prs(gh, "acme/web", NOV, DEC)  # GraphQL reads: POSTs, two pages
    reads = len(github.calls)
    issue.create_comment("first")
    issue.create_comment("second")
    after = issue.get_comments().totalCount  # a read right after a write

    assert len(prs) == 150
    assert after == 2
    assert reads == 5  # repo, file, issue, two search pages
    # No read waited; the one wait is PyGithub spacing the second write from the first.
    assert len(slept) == 1, slept
    (before, seconds) = slept[0]
    assert before == reads + 1  # asked after the first comment, before the second
    assert WRITE_SPACING - 0.5 < seconds <= WRITE_SPACING
    assert [c.method for c in github.calls[reads:]] == ["POST", "POST", "GET"]


def test_an_app_installation_client_reads_unpaced(
    github: FakeGitHub, front: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(github)
    github.add_installation(7, "acme", ["acme/web"])
    gh = connect_app(4242, private_key_pem(), 7, base_url=front)  # what the App builds
    slept = _sleeps(github, monkeypatch)

    repo = gh.get_repo("acme/web")  # mints the installation token (a POST) first
    issue = repo.get_issue(1)
    prs = fetch_merged_prs(gh, "acme/web", NOV, DEC)
    issue.create_comment("first")
    issue.create_comment("second")

    assert len(prs) == 150
    # No read waited; the one wait spaces the second comment from the first (the
    # token's POST went through the App's own client, paced on its own).
    comments = [i for i, c in enumerate(github.calls) if c.path.endswith("/comments")]
    assert len(comments) == 2, [(c.method, c.path) for c in github.calls]
    assert len(slept) == 1, slept
    assert slept[0][0] == comments[1]
    assert WRITE_SPACING - 0.5 < slept[0][1] <= WRITE_SPACING
