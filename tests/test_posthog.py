"""PostHog's query API as Quarterdeck uses it, against a fake PostHog on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.outbound_policy import PostHogAccess, policy_from_env
from quarterdeck.errors import MetricSourceError
from quarterdeck.sources.posthog import PostHogProject, query_series
from tests.fakeposthog import FakePostHog, allowing, serve

KEY = "phx_test_key_not_real_7Qz"
MRR = (
    "SELECT toStartOfMonth(timestamp) AS month, sum(toFloat(properties.amount)) FROM events "
    "WHERE event = 'invoice_paid' AND timestamp >= toDateTime({start}) "
    "AND timestamp < toDateTime({end}) GROUP BY month ORDER BY month"
)
START, END = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def posthog() -> Iterator[FakePostHog]:
    fake = FakePostHog(keys={KEY: {"query:read"}, "phx_no_scope": set()})
    with serve(fake):
        yield fake


def run(
    posthog: FakePostHog, query: str = MRR, key: str | None = KEY, waits: list[float] | None = None
) -> object:
    project = PostHogProject(posthog.url, posthog.project)
    access = PostHogAccess(key, policy=policy_from_env(allowing(posthog)))
    sleep = (waits if waits is not None else []).append
    return query_series(project, access, query, START, END, metric="mrr", sleep=sleep)


def test_one_request_for_the_whole_window_with_the_dates_as_placeholders(
    posthog: FakePostHog,
) -> None:
    posthog.answer(MRR, [["2026-10-01T00:00:00Z", 1200.5], ["2026-11-01T00:00:00Z", 1300]])

    series = run(posthog)

    assert series == {Month(2026, 10): 1200.5, Month(2026, 11): 1300.0}
    (request,) = posthog.requests
    assert request["path"] == "/api/projects/12345/query/"
    assert request["headers"]["authorization"] == f"Bearer {KEY}"
    assert request["body"] == {
        "query": {
            "kind": "HogQLQuery",
            "query": MRR,  # exactly as written: no date was formatted into it
            "values": {"start": "2026-05-01 00:00:00", "end": "2026-12-01 00:00:00"},
        }
    }


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (None, "no PostHog key; set POSTHOG_PERSONAL_API_KEY"),
        ("phx_wrong", "PostHog did not accept the key: set POSTHOG_PERSONAL_API_KEY"),
        ("phx_no_scope", "PostHog key may not run queries: give it the `query:read` scope"),
    ],
)
def test_a_missing_wrong_or_unscoped_key_says_what_to_do(
    posthog: FakePostHog, key: str | None, words: str
) -> None:
    with pytest.raises(MetricSourceError, match=r"^metric mrr: ") as failure:
        run(posthog, key=key)
    assert words in str(failure.value)
    assert len(posthog.requests) == (0 if key is None else 1)  # refusals are not retried


def test_a_400_shows_posthogs_error_code_not_its_words(posthog: FakePostHog) -> None:
    with pytest.raises(MetricSourceError) as failure:
        run(posthog, query="SELECT nonsense FROM nowhere")

    # PostHog's `detail` repeats the query's text: a review shows only the status.
    assert str(failure.value) == (
        "metric mrr: PostHog refused the query: query_error; "
        "run it in PostHog's SQL editor to see why"
    )


def test_429_waits_as_retry_after_says_then_succeeds(posthog: FakePostHog) -> None:
    posthog.answer(MRR, [["2026-11", 7]])
    posthog.throttle, posthog.retry_after = 2, "3"
    waits: list[float] = []

    assert run(posthog, waits=waits) == {Month(2026, 11): 7.0}
    assert waits == [3.0, 3.0]
    assert len(posthog.requests) == 3


def test_a_retry_after_too_far_off_is_reported_not_waited(posthog: FakePostHog) -> None:
    posthog.throttle, posthog.retry_after = 1, "3600"
    waits: list[float] = []

    with pytest.raises(MetricSourceError, match="rate limit is used up") as failure:
        run(posthog, waits=waits)
    assert waits == []
    assert "Request was throttled" not in str(failure.value)


def test_an_unreachable_posthog_is_retried_then_reported() -> None:
    project = PostHogProject("http://127.0.0.1:9", "1")  # discard port: nothing listens
    waits: list[float] = []
    policy = policy_from_env(
        {"QUARTERDECK_POSTHOG_HOSTS": project.host, "QUARTERDECK_POSTHOG_ALLOW_PRIVATE": "yes"}
    )

    access = PostHogAccess(KEY, policy=policy)
    with pytest.raises(MetricSourceError) as failure:
        query_series(project, access, MRR, START, END, metric="mrr", sleep=waits.append)

    assert "could not reach PostHog at http://127.0.0.1:9 (ConnectionError, after 4 attempts)" in (
        str(failure.value)
    )
    assert waits == [2.0, 4.0, 8.0]


def test_rows_that_are_not_month_value_pairs_say_so(posthog: FakePostHog) -> None:
    posthog.answer(MRR, [["last month", 5]])

    with pytest.raises(MetricSourceError, match="row 1: its month is not a date or YYYY-MM") as e:
        run(posthog)
    assert "last month" not in str(e.value)  # the answer's cells are not quoted


def test_the_key_appears_in_no_message_and_no_log(
    posthog: FakePostHog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    posthog.throttle = 1
    posthog.answer(MRR, [["2026-11", 1]])
    run(posthog)
    messages = []
    for key in (KEY, "phx_no_scope"):
        with pytest.raises(MetricSourceError) as failure:
            run(posthog, query="bad" if key == KEY else MRR, key=key)
        messages.append(str(failure.value))

    assert all(KEY not in text and "phx_no_scope" not in text for text in messages)
    assert KEY not in caplog.text
