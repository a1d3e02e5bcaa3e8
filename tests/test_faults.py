"""Faults, end to end: each ends retried, reported (exit 1, naming what was written) or
skipped with a note. The CLI runs against the one fake GitHub through the real client
and retry policy; every wait goes through an injected sleep, never a real one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.sources.github_client import retry_policy
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import seed_github
from tests.test_goals_sync import checkout, seed

NOW = 1_800_000_000.0  # the injected clock: 2027-01-15 08:00 UTC
ISSUES = r"^/repos/acme/web/issues$"
PUBLISH = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]
ANALYTICS = "Growth review: analytics — November 2026"
GROWTH = "Growth review: growth — November 2026"
RATE_LIMITED = {"message": "API rate limit exceeded for user ID 1."}
SECONDARY = {"message": "You have exceeded a secondary rate limit."}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com"}


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> FakeGitHub:
    """The CLI's client: the production retry policy, its sleeps recorded in `waits`."""
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)
    monkeypatch.setattr(cli, "_github", lambda args: github.client(retry=policy))
    return github


@pytest.fixture
def remote(client: FakeGitHub) -> FakeRepo:
    return seed_github(client)


def exhausted(reset_in: float) -> dict[str, str]:
    return {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + reset_in))}


def reviews_on(remote: FakeRepo) -> list[str]:
    return sorted(i["title"] for i in remote.issues.values() if "quarterdeck:review " in i["body"])


def publish(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(PUBLISH)
    return code, capsys.readouterr().err


def another_pr(github: FakeGitHub) -> None:
    """A PR merged since the last run, so the analytics review changes."""
    github.add_pull(
        "acme/web", 9, "Funnel export", "2026-11-20T12:00:00Z", author="bob",
        files=("web/insights/e.py",),
    )  # fmt: skip


# -- 5xx and timeouts ---------------------------------------------------------------


def test_a_5xx_on_a_create_is_retried_and_the_run_succeeds(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 502)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert client.count("POST", ISSUES) == 3
    assert len(waits) == 1
    assert 1.0 <= waits[0] <= 1.5


def test_a_5xx_on_an_update_is_retried_too(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    another_pr(client)
    client.fail("PATCH", r"/issues/1$", 503)

    code, err = publish(capsys)

    assert code == 0, err
    assert "Funnel export" in remote.issues[1]["body"]
    assert client.count("PATCH", r"/issues/1$") == 2
    assert len(waits) == 1


def test_5xx_forever_backs_off_then_exits_1_naming_what_was_written(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 503, times=100, skip=1)  # the second team's create never works

    code, err = publish(capsys)

    assert code == 1
    assert [int(w) for w in waits] == [1, 2, 4, 8, 16]
    assert "GitHub answered 503 while opening the review issue of growth" in err
    assert "Already written: created label growth-review; created label team:analytics;" in err
    assert f"created #1 ({ANALYTICS})." in err
    assert f"Not published: {GROWTH}." in err
    assert "Traceback" not in err
    assert reviews_on(remote) == [ANALYTICS]
    # GitHub is back: the re-run finishes the job and repeats nothing.
    client.faults.clear()
    assert publish(capsys)[0] == 0
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def test_timeouts_forever_exit_1_with_a_sentence(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    timeout = requests.ReadTimeout("Read timed out. (read timeout=30)")
    client.fail("POST", ISSUES, 0, error=timeout, times=100, skip=1)

    code, err = publish(capsys)

    assert code == 1
    assert "could not reach GitHub while publishing to acme/web (ReadTimeout" in err
    assert f"Not published: {GROWTH}." in err
    assert reviews_on(remote) == [ANALYTICS]


def test_a_timeout_after_github_did_the_work_creates_nothing_twice(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    timeout = requests.ReadTimeout("Read timed out. (read timeout=30)")
    client.fail("POST", ISSUES, 0, error=timeout, after=True)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2


def test_github_unreachable_while_reading_is_one_line_not_a_traceback(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    down = requests.ConnectionError("Max retries exceeded with url: /graphql")
    client.fail("POST", r"^/graphql$", 0, error=down, times=100)

    code = main(["review", "--github", "acme/web", "--month", "2026-11"])

    err = capsys.readouterr().err
    assert code == 1
    assert "could not reach GitHub (ConnectionError), even after retrying with backoff" in err
    assert "Traceback" not in err
    assert client.writes == []


# -- rate limits on writes ------------------------------------------------------------


def test_secondary_rate_limit_on_a_publish_write_waits_as_told(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers={"Retry-After": "30"}, body=SECONDARY)

    code, err = publish(capsys)

    assert code == 0, err
    assert waits == [30]
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def test_primary_limit_used_up_during_publish_stops_with_the_reset_time(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers=exhausted(3 * 3600), body=RATE_LIMITED, skip=1)

    code, err = publish(capsys)

    assert code == 1
    assert "rate limit for this token is used up until 2027-01-15 11:00:00 UTC" in err
    assert f"created #1 ({ANALYTICS})" in err
    assert f"Not published: {GROWTH}." in err
    assert waits == []


def test_primary_limit_near_its_reset_during_publish_is_waited_out(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers=exhausted(60), body=RATE_LIMITED)

    assert publish(capsys)[0] == 0
    assert waits == [61]
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def sync(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_rate_limits_during_goals_sync_are_waited_out(
    client: FakeGitHub,
    tmp_path: Path,
    waits: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(client)
    client.fail("POST", r"/labels$", 403, headers=exhausted(60), body=RATE_LIMITED)
    client.fail("POST", ISSUES, 403, headers={"Retry-After": "5"}, body=SECONDARY)
    client.fail("PATCH", r"/issues/1$", 429, headers={"Retry-After": "3"})

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert waits == [61, 5, 3]
    assert "created the issue of goal funnel-v2: #3" in out
    assert fake.issues[1]["title"] == "Onboarding checklist"


def test_primary_limit_far_during_goals_sync_names_done_and_not_done(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = seed(client)
    client.fail("POST", ISSUES, 403, headers=exhausted(2 * 3600), body=RATE_LIMITED)

    code, _, err = sync(checkout(tmp_path), capsys)

    assert code == 1
    assert "writing the issue of goal 'funnel-v2' failed: GitHub's API rate limit" in err
    assert "used up until 2027-01-15 10:00:00 UTC" in err
    assert "Already written before the failure: created label team:analytics." in err
    assert "Not written: issue #1 (goal 'onboarding')." in err
    assert set(fake.issues) == {1, 2}


# -- a token revoked mid-run ------------------------------------------------------------


def revoke(github: FakeGitHub, *, after_posts: int) -> None:
    """From the `after_posts`+1-th POST on, every request is refused with 401."""
    github.fail("POST", r".", 401, body=BAD_CREDENTIALS, times=1000, skip=after_posts)
    github.fail("GET", r".", 401, body=BAD_CREDENTIALS, times=1000, skip=1000)
    github.fail("PATCH", r".", 401, body=BAD_CREDENTIALS, times=1000)


def test_token_revoked_mid_publish_exits_1_naming_done_and_not_done(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # POSTs before the revocation: the GraphQL search, three labels, the first issue.
    revoke(client, after_posts=5)

    code, err = publish(capsys)

    assert code == 1
    assert "GitHub answered 401 while opening the review issue of growth: Bad credentials" in err
    assert "the token is missing, wrong or expired; check GITHUB_TOKEN or --token" in err
    assert f"created #1 ({ANALYTICS})" in err
    assert f"Not published: {GROWTH}." in err
    assert "test-token-not-real" not in err
    assert reviews_on(remote) == [ANALYTICS]


def test_token_revoked_mid_goals_sync_exits_1_naming_done_and_not_done(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(client)
    revoke(client, after_posts=1)  # the label is created, then the token goes

    code, _, err = sync(checkout(tmp_path), capsys)

    assert code == 1
    assert "GitHub answered 401 Bad credentials; the token is missing, wrong or expired" in err
    assert "Already written before the failure: created label team:analytics." in err
    assert "Not written: issue #1 (goal 'onboarding')." in err
    assert "test-token-not-real" not in err


# -- issues and labels changed between runs ----------------------------------------------


def test_a_deleted_review_issue_is_opened_again_on_the_next_run(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    client.delete_issue(remote, 1)

    code, err = publish(capsys)

    assert code == 0, err
    assert f"quarterdeck: created #3: {ANALYTICS}" in err
    assert f"quarterdeck: unchanged #2: {GROWTH}" in err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


@pytest.mark.parametrize("status", [404, 410])
def test_a_review_issue_gone_while_updating_is_replaced_with_a_note(
    client: FakeGitHub, remote: FakeRepo, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    another_pr(client)
    client.fail("PATCH", r"/issues/1$", status, body={"message": "This issue was deleted"})

    code, err = publish(capsys)

    assert code == 0, err
    assert f"quarterdeck: created #3: {ANALYTICS}" in err
    assert f"note: review issue #1 is gone (GitHub answered {status}" in err
    assert "Funnel export" in remote.issues[3]["body"]


def rename_label(remote: FakeRepo, old: str, new: str | None) -> None:
    """A person renames (or, with None, deletes) a label: every issue follows."""
    label = remote.labels.pop(old)
    if new is not None:
        label["name"] = new
        remote.labels[new] = label
    for issue in remote.issues.values():
        if new is None:
            issue["labels"] = [lb for lb in issue["labels"] if lb["name"] != old]


@pytest.mark.parametrize("new_name", ["monthly review", None])
def test_a_renamed_or_deleted_review_label_opens_no_second_issue(
    client: FakeGitHub, remote: FakeRepo, new_name: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    rename_label(remote, "growth-review", new_name)

    code, err = publish(capsys)

    assert code == 0, err
    assert client.count("POST", ISSUES) == 2  # both from the first run
    assert "note: #1 had lost its growth-review label (renamed or deleted)" in err
    assert [lb["name"] for lb in remote.issues[1]["labels"]][-1] == "growth-review"
    writes = len(client.writes)
    assert publish(capsys)[0] == 0
    assert len(client.writes) == writes  # back to normal: nothing to do


def test_a_renamed_team_label_changes_nothing(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    rename_label(remote, "team:analytics", "team/analytics")
    writes = len(client.writes)

    code, err = publish(capsys)

    # Found by label growth-review and marker; the person's label choice is kept.
    assert code == 0, err
    assert len(client.writes) == writes
    assert "team:analytics" not in remote.labels
