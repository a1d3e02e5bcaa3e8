"""Resilience of every client: retries, rate limits, errors; waits asserted, never slept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http.client import RemoteDisconnected

import pytest
from github import GithubException
from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError

from quarterdeck.errors import RateLimitError
from quarterdeck.sources.github.client import github_error, log_rate_limit, retry_policy
from tests.fakegithub import FakeGitHub, fixture

NOW = 1_800_000_000.0  # the injected clock: 2027-01-15 08:00 UTC
RATE_LIMITED = {
    "message": "API rate limit exceeded for user ID 1.",
    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
}


def client(github: FakeGitHub, waits: list[float], **options: float):  # type: ignore[no-untyped-def]
    github.add_repo("acme/web")
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW, **options)
    return github.client(retry=policy)


def test_a_502_is_retried_after_a_backoff(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits)
    github.fail("GET", r"/repos/acme/web$", 502)

    assert gh.get_repo("acme/web").full_name == "acme/web"
    assert github.count("GET", r"/repos/acme/web$") == 2
    assert len(waits) == 1
    assert 1.0 <= waits[0] <= 1.5  # backoff_factor 1 s plus up to 0.5 s of jitter


def test_backoff_grows_exponentially_then_gives_up_with_the_last_error(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits)
    github.fail("GET", r"/repos/acme/web$", 503, times=10)

    with pytest.raises(GithubException) as caught:
        gh.get_repo("acme/web")

    assert caught.value.status == 503
    assert github.count("GET", r"/repos/acme/web$") == 6  # the first try and 5 retries
    assert [int(w) for w in waits] == [1, 2, 4, 8, 16]


def test_secondary_rate_limit_waits_as_told(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits)
    body = {"message": "You have exceeded a secondary rate limit."}
    github.fail("GET", r"/repos/acme/web$", 403, headers={"Retry-After": "2"}, body=body)

    assert gh.get_repo("acme/web").name == "web"
    assert waits == [2]


def test_429_with_retry_after_waits_as_told(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits)
    github.fail("GET", r"/repos/acme/web$", 429, headers={"Retry-After": "7"})

    assert gh.get_repo("acme/web").name == "web"
    assert waits == [7]


def exhausted(reset_in: float) -> dict[str, str]:
    return {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + reset_in))}


def test_used_up_primary_limit_waits_for_the_reset_when_near(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits, max_reset_wait=120)
    github.fail("GET", r"/repos/acme/web$", 403, headers=exhausted(60), body=RATE_LIMITED)

    assert gh.get_repo("acme/web").name == "web"
    assert waits == [61]  # until the reset, plus the second it may land in


def test_used_up_primary_limit_stops_with_the_reset_time_when_far(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits, max_reset_wait=900)
    github.fail("GET", r"/repos/acme/web$", 403, headers=exhausted(3 * 3600), body=RATE_LIMITED)

    with pytest.raises(RateLimitError) as caught:
        gh.get_repo("acme/web")

    reset = datetime.fromtimestamp(NOW + 3 * 3600, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert reset in str(caught.value)
    assert "re-run after that time" in str(caught.value)
    assert waits == []
    assert github.count("GET", r"/repos/acme/web$") == 1


def test_a_timeout_is_retried_after_a_backoff() -> None:
    waits: list[float] = []
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)

    again = policy.increment(
        "POST", "/graphql", error=ReadTimeoutError(None, "/graphql", "timed out")
    )  # type: ignore[arg-type]

    assert again.total == 4
    assert len(waits) == 1
    assert 1.0 <= waits[0] <= 1.5


def test_a_403_that_is_no_rate_limit_is_not_retried(github: FakeGitHub) -> None:
    waits: list[float] = []
    gh = client(github, waits)
    github.fail(
        "GET", r"/repos/acme/web$", 403, body={"message": "Resource not accessible by integration"}
    )

    with pytest.raises(GithubException) as caught:
        gh.get_repo("acme/web")

    assert caught.value.status == 403
    assert waits == []


def test_the_recorded_422_becomes_a_sentence(github: FakeGitHub) -> None:
    recorded = fixture("errors")[0]
    exc = GithubException(recorded["status"], recorded["response"], {})

    message = str(github_error(exc, "creating label 'goal' in acme/web"))

    assert message == (
        "GitHub answered 422 while creating label 'goal' in acme/web: Validation Failed — "
        "Label.color is invalid; GitHub rejected the data; nothing more was written"
    )


def test_rate_limit_is_logged_without_the_token(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    gh = client(github, [])
    gh.get_repo("acme/web")
    caplog.set_level(logging.INFO)

    log_rate_limit(gh)

    assert "4999 of 5000 requests left" in caplog.text
    assert "test-token-not-real" not in caplog.text
    assert len(github.calls) == 1  # read from the last response, no request


# -- creates are never re-sent blindly --------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_on_a_create_is_handed_back_not_sent_again(github: FakeGitHub, status: int) -> None:
    waits: list[float] = []
    repo = client(github, waits).get_repo("acme/web")
    github.fail("POST", r"/issues$", status, after=True)  # applied, then the answer lost

    with pytest.raises(GithubException) as caught:
        repo.create_issue("Hello")

    assert caught.value.status == status
    assert github.count("POST", r"/issues$") == 1  # the caller looks before creating again
    assert len(github.repos["acme/web"].issues) == 1
    assert waits == []


def test_a_rate_limited_create_is_sent_again_after_the_wait_it_was_told(
    github: FakeGitHub,
) -> None:
    # GitHub answers a rate limit before doing anything, so sending again can't duplicate.
    waits: list[float] = []
    repo = client(github, waits).get_repo("acme/web")
    github.fail("POST", r"/labels$", 429, headers={"Retry-After": "7"})

    repo.create_label("goal", "0e8a16")

    assert waits == [7]
    assert github.count("POST", r"/labels$") == 2
    assert list(github.repos["acme/web"].labels) == ["goal"]


@pytest.mark.parametrize(
    "path", ["/graphql", "/app/installations/42/access_tokens", "/repos/acme/web/issues/1/labels"]
)
def test_posts_that_create_nothing_are_retried_like_reads(path: str) -> None:
    policy = retry_policy(sleep=[].append, clock=lambda: NOW)
    dropped = ProtocolError("Connection aborted.", RemoteDisconnected("closed"))

    again = policy.increment("POST", path, error=dropped)

    assert again.total == policy.total - 1  # type: ignore[operator]


@pytest.mark.parametrize(
    "error",
    [
        ProtocolError("Connection aborted.", RemoteDisconnected("closed")),
        ReadTimeoutError(None, "/repos/acme/web/issues", "timed out"),  # type: ignore[arg-type]
    ],
    ids=["dropped", "read-timeout"],
)
def test_a_create_whose_answer_was_lost_on_the_wire_is_not_sent_again(error: Exception) -> None:
    waits: list[float] = []
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)

    with pytest.raises(type(error)):
        policy.increment("POST", "/repos/acme/web/issues/2/comments", error=error)

    assert waits == []


def test_a_create_that_never_reached_github_is_sent_again() -> None:
    # No connection made: nothing can have been applied.
    waits: list[float] = []
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)
    refused = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]

    again = policy.increment("POST", "/repos/acme/web/issues", error=refused)

    assert again.total == policy.total - 1  # type: ignore[operator]
    assert len(waits) == 1


def test_pause_waits_the_backoff_of_the_retry_it_stands_for() -> None:
    waits: list[float] = []
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)

    for attempt in range(1, policy.total + 1):  # type: ignore[operator]
        policy.pause(attempt)

    expected = [policy.backoff_factor * 2 ** (n - 1) for n in range(1, policy.total + 1)]  # type: ignore[operator]
    assert len(waits) == len(expected)
    for wait, low in zip(waits, expected, strict=True):
        assert low <= wait <= low + policy.backoff_jitter
