"""Resilience of every client: retries, rate limits, errors; waits asserted, never slept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from github import GithubException
from urllib3.exceptions import ReadTimeoutError

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
