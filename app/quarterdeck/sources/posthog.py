"""A metric's monthly series from PostHog: one HogQL query through the query API; and a
discussion question's rows (`query_node`: a HogQL query, or a `FunnelsQuery` whose
results are the funnel's steps), through the same API, under the same rules.

`POST {host}/api/projects/{project}/query/` with a `HogQLQuery` whose `values` carry
the window: the query names them as HogQL placeholders (`{start}`, `{end}`), so no
date is ever formatted into the SQL text. The query returns `(month, value)` rows
for the whole window at once: one request per metric, not one per month.

The personal API key (scope `query:read`) comes from the caller (the CLI and the
Action read `POSTHOG_PERSONAL_API_KEY`; the App, the key its operator mapped to the
installation); it is sent as a Bearer token and never appears in a message or a log
line. It is sent only where the operator's `OutboundPolicy` allows: the host is
checked before anything is sent, the name resolved once, every address checked, and
the connection made to the checked one (`sources.outbound`); redirects are not
followed. 429 answers are waited out as `Retry-After` says (the HogQL API allows on
the order of 120 queries an hour), 5xx and network failures are retried with backoff;
then the failure is a `MetricSourceError` saying why, in a short status: PostHog's
own words (or a listener's) are never quoted into a review.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from quarterdeck.core.business.series import series_from_rows
from quarterdeck.core.calendar import Month
from quarterdeck.core.outbound_policy import POSTHOG_KEY_ENV, PostHogAccess, host_refusal
from quarterdeck.errors import MetricSourceError
from quarterdeck.redact import register

# requests (through sources.outbound) is imported when a query is sent, not with this
# module: the review imports it for its constants, and most reviews ask PostHog nothing
# (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    import requests

    from quarterdeck.sources.outbound import Resolver

__all__ = [
    "DEFAULT_HOST",
    "KEY_ENV",
    "PostHogProject",
    "query_node",
    "query_rows",
    "query_series",
    "when",
]

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://us.posthog.com"
KEY_ENV = POSTHOG_KEY_ENV
_ATTEMPTS = 4
_BACKOFF = 2.0  # seconds, doubled each retry
_MAX_WAIT = 120.0  # a Retry-After further off than this is a failure to report
_TIMEOUT = 60.0
# PostHog's error codes are short snake_case words ("query_error", "permission_denied");
# anything else in that field is not shown.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class PostHogProject:
    """Where the queries go: `host` (US or EU cloud, or self-hosted) and project id."""

    host: str
    project: str

    @property
    def url(self) -> str:
        return f"{self.host.rstrip('/')}/api/projects/{self.project}/query/"


def query_series(
    project: PostHogProject,
    access: PostHogAccess,
    hogql: str,
    start: datetime,
    end: datetime,
    *,
    metric: str,
    resolver: Resolver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[Month, float]:
    """The `(month, value)` rows `hogql` returns for [start, end), as a series.

    Raises MetricSourceError as `query_rows` does, and when the rows are not
    `(month, value)`.
    """
    rows = query_rows(
        project, access, hogql, start, end, metric=metric, resolver=resolver, sleep=sleep
    )
    try:
        return series_from_rows(rows, f"metric {metric}", quote=False)
    except ValueError as exc:
        raise MetricSourceError(f"{exc}; the query must return (month, value) rows") from None


def query_rows(
    project: PostHogProject,
    access: PostHogAccess,
    hogql: str,
    start: datetime,
    end: datetime,
    *,
    metric: str,
    resolver: Resolver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[list[Any]]:
    """The rows `hogql` returns for [start, end) (a metric's `(month, value)` series, a
    flagged metric's `(segment, month, value)` breakdown): one request to the query API.

    `access` is the key, where it came from and what to say without one, and the
    operator's rule on where it may go (default: PostHog's clouds only); `resolver`, the
    system's DNS by default, is where the host is looked up. Raises MetricSourceError
    (naming `metric`, never the key) when the host is not allowed, there is no key,
    PostHog refuses the query, or it cannot be reached after retries.
    """
    body = {
        "query": {
            "kind": "HogQLQuery",
            "query": hogql,
            "values": {"start": _when(start), "end": _when(end)},
        }
    }
    answer = _post(project, access, body, label=f"metric {metric}", resolver=resolver, sleep=sleep)
    return _rows(answer, metric)


def query_node(
    project: PostHogProject,
    access: PostHogAccess,
    query: dict[str, Any],
    *,
    label: str,
    resolver: Resolver | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Any], list[Any]]:
    """`query` (a query node: a `HogQLQuery` or a `FunnelsQuery`) answered by the query
    API: its `results` and its `columns` (empty when the answer has none, as a funnel's).

    A funnel's results are its steps (`order`, `count`, `name`, `custom_name`); a HogQL
    query's are rows. Raises MetricSourceError as `query_rows` does, naming `label`.
    """
    answer = _post(project, access, {"query": query}, label=label, resolver=resolver, sleep=sleep)
    try:
        data = answer.json()
        results, columns = data["results"], data.get("columns") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MetricSourceError(f"{label}: PostHog's answer had no `results`") from None
    if not isinstance(results, list) or not isinstance(columns, list):
        raise MetricSourceError(f"{label}: PostHog's `results` are not a list") from None
    return results, columns


def when(moment: datetime) -> str:
    """A moment as the HogQL placeholders `{start}` and `{end}` carry it."""
    return _when(moment)


def _post(
    project: PostHogProject,
    access: PostHogAccess,
    body: dict[str, Any],
    *,
    label: str,
    resolver: Resolver | None,
    sleep: Callable[[float], None],
) -> requests.Response:
    """POST `body` to the project's query API: PostHog's 200 answer, after waiting out
    429s and retrying 5xx and network failures. Raises MetricSourceError naming `label`
    (never the key) otherwise."""
    import requests

    from quarterdeck.sources.outbound import OutboundRefused, guarded_session, resolve

    key = access.key
    register(key)  # PostHog may quote it back; no message will
    refused = host_refusal(project.host, access.policy)
    if refused:
        raise MetricSourceError(f"{label}: {refused}; the key was not sent")
    if not key:
        raise MetricSourceError(f"{label}: {access.no_key}")
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with guarded_session(access.policy, resolver or resolve) as http:
        for attempt in range(1, _ATTEMPTS + 1):
            last = attempt == _ATTEMPTS
            try:
                answer = http.post(
                    project.url, json=body, headers=headers, timeout=_TIMEOUT, allow_redirects=False
                )
            except OutboundRefused as exc:
                raise MetricSourceError(
                    f"{label}: PostHog host {exc}; the key was not sent"
                ) from None
            except requests.RequestException as exc:
                if last:
                    raise MetricSourceError(
                        f"{label}: could not reach PostHog at {project.host} "
                        f"({type(exc).__name__}, after {_ATTEMPTS} attempts)"
                    ) from None
                sleep(_BACKOFF * 2 ** (attempt - 1))
                continue
            if answer.status_code == 200:
                return answer
            wait = _retry_wait(answer, attempt)
            if wait is None or last:
                raise MetricSourceError(
                    _refusal(answer, label, project, access.key_source)
                ) from None
            log.info(
                "PostHog answered %s for %s; retrying in %.0f s", answer.status_code, label, wait
            )
            sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises


def _when(moment: datetime) -> str:
    # ClickHouse's toDateTime() reads this form; the query decides the time zone.
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _rows(answer: requests.Response, metric: str) -> list[list[Any]]:
    try:
        rows = answer.json()["results"]
    except (ValueError, KeyError, TypeError):
        raise MetricSourceError(f"metric {metric}: PostHog's answer had no `results`") from None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise MetricSourceError(f"metric {metric}: PostHog's `results` are not rows") from None
    return rows


def _retry_wait(answer: requests.Response, attempt: int) -> float | None:
    """Seconds to wait before trying again, or None when retrying can't help."""
    if answer.status_code == 429:
        told = _retry_after(answer.headers.get("Retry-After"))
        wait = told if told is not None else _BACKOFF * 2 ** (attempt - 1)
        return wait if wait <= _MAX_WAIT else None
    if answer.status_code >= 500:
        return _BACKOFF * 2 ** (attempt - 1)
    return None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(moment.tzinfo)).total_seconds())


def _refusal(
    answer: requests.Response, label: str, project: PostHogProject, key_source: str
) -> str:
    """A short status for a refusal: the status code, and PostHog's error code when it
    is one; never the answer's text, which a review would then show."""
    status = answer.status_code
    code = _code(answer)
    if status == 400:
        what = "PostHog refused the query" + (f": {code}" if code else "")
        what += "; run it in PostHog's SQL editor to see why"
    elif 300 <= status < 400:
        what = (
            f"PostHog answered {status} (a redirect, not followed): set "
            "`sources.posthog.host` to the address PostHog's API answers on"
        )
    else:
        what = {
            401: f"PostHog did not accept the key: set {key_source} to a personal API key",
            403: "the PostHog key may not run queries: give it the `query:read` scope",
            404: f"PostHog has no project {project.project} at {project.host}: check "
            "`sources.posthog.project` and `host`",
            429: "PostHog's query rate limit is used up for longer than a review waits",
        }.get(status, f"PostHog answered {status}")
    return f"{label}: {what}"


def _code(answer: requests.Response) -> str:
    try:
        data: Any = answer.json()
    except ValueError:
        return ""
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) and _CODE.fullmatch(code) else ""
