"""A fake PostHog on 127.0.0.1 that keeps the query API's real contract.

`POST /api/projects/<id>/query/` with a Bearer personal API key:

* 401 `authentication_error` without a key or with an unknown one;
* 403 `permission_denied` for a key without the `query:read` scope;
* 400 `validation_error` with a `detail` for a query it can't run;
* 429 `throttled` with `Retry-After` while `throttle` is above zero;
* 200 `{"results": [...], "columns": [...]}` otherwise: a `HogQLQuery`'s rows from
  `answers` (its columns from `columns`, else `month, value`); a `FunnelsQuery`'s steps
  from `funnel_counts` (step event -> users), each step as PostHog's funnel results
  give it: `action_id`, `name`, `custom_name`, `order`, `count`, `type`, and more.

Every request is recorded (path, headers, body) for tests to check exactly.

The fake listens on 127.0.0.1, which Quarterdeck refuses by default: `allowing(fake)`
is the operator's environment that lets a run reach it (its origin in
`QUARTERDECK_POSTHOG_HOSTS`, and loopback addresses allowed).
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Answer = Callable[[str, dict[str, Any]], list[list[Any]]]


@dataclass
class FakePostHog:
    keys: dict[str, set[str]] = field(default_factory=dict)  # key -> scopes
    project: str = "12345"
    answers: dict[str, Answer] = field(default_factory=dict)  # query text -> rows
    throttle: int = 0
    retry_after: str = "1"
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    columns: dict[str, list[str]] = field(default_factory=dict)  # query text -> names
    # A funnel step's users by its event; a step whose event has none is a query error.
    funnel_counts: dict[str, int] = field(default_factory=dict)
    # A listener, not PostHog: every request answered with this (status, body, headers).
    fixed: tuple[int, dict[str, Any], dict[str, str]] | None = None

    def answer(self, query: str, rows: list[list[Any]] | Answer) -> None:
        self.answers[query] = rows if callable(rows) else (lambda _q, _v, r=rows: r)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        data = json.loads(body or b"{}")
        self.requests.append({"path": path, "headers": headers, "body": data})
        if self.fixed is not None:
            return self.fixed
        if path != f"/api/projects/{self.project}/query/":
            return 404, {"type": "invalid_request", "detail": "Not found."}, {}
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if key is None:
            detail = "Authentication credentials were not provided."
            return (
                401,
                {"type": "authentication_error", "code": "not_authenticated", "detail": detail},
                {},
            )
        if key not in self.keys:
            detail = "Personal API key found in request Authorization header is invalid."
            return (
                401,
                {"type": "authentication_error", "code": "authentication_failed", "detail": detail},
                {},
            )
        if "query:read" not in self.keys[key]:
            detail = "API key missing required scope 'query:read'"
            return (
                403,
                {"type": "authentication_error", "code": "permission_denied", "detail": detail},
                {},
            )
        if self.throttle > 0:
            self.throttle -= 1
            detail = "Request was throttled. Expected available in 1 second."
            return (
                429,
                {"type": "throttled_error", "detail": detail},
                {"Retry-After": self.retry_after},
            )
        query = data.get("query") or {}
        if query.get("kind") == "FunnelsQuery":
            return self._funnel(query)
        text = query.get("query", "")
        if query.get("kind") != "HogQLQuery" or text not in self.answers:
            detail = f"Unable to resolve field: {text[:40]}"
            return 400, {"type": "validation_error", "code": "query_error", "detail": detail}, {}
        rows = self.answers[text](text, query.get("values") or {})
        return 200, {"results": rows, "columns": self.columns.get(text, ["month", "value"])}, {}

    def _funnel(self, query: dict[str, Any]) -> tuple[int, dict, dict]:
        """A FunnelsQuery answered as PostHog does: one result per step, in order."""
        series = query.get("series")
        invalid = (
            not isinstance(series, list)
            or len(series) < 2
            or any(not isinstance(s, dict) or s.get("kind") != "EventsNode" for s in series)
            or not isinstance(query.get("dateRange", {}), dict)
        )
        if invalid:
            detail = "series: a funnel needs at least two EventsNode steps"
            return 400, {"type": "validation_error", "code": "invalid_input", "detail": detail}, {}
        missing = [s.get("event") for s in series if s.get("event") not in self.funnel_counts]
        if missing:
            detail = f"Unknown event: {str(missing[0])[:40]}"
            return 400, {"type": "validation_error", "code": "query_error", "detail": detail}, {}
        results = [
            {
                "action_id": step["event"],
                "name": step.get("name") or step["event"],
                "custom_name": step.get("custom_name"),
                "order": order,
                "count": self.funnel_counts[step["event"]],
                "type": "events",
                "people": [],
                "average_conversion_time": None if order == 0 else 3600.0,
                "median_conversion_time": None if order == 0 else 1800.0,
            }
            for order, step in enumerate(series)
        ]
        return 200, {"results": results, "is_cached": False, "hogql": "SELECT ..."}, {}


def allowing(fake: FakePostHog) -> dict[str, str]:
    """The operator's settings that allow `fake` (running) as a PostHog host."""
    return {"QUARTERDECK_POSTHOG_HOSTS": fake.url, "QUARTERDECK_POSTHOG_ALLOW_PRIVATE": "true"}


@contextmanager
def serve(fake: FakePostHog, tls: ssl.SSLContext | None = None) -> Iterator[FakePostHog]:
    """Run `fake` on 127.0.0.1 (a free port) for the `with` block; `fake.url` is set.
    With `tls` (a server context), it speaks HTTPS."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = fake.handle(self.path, headers, self.rfile.read(size))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            pass  # quiet: the test reads fake.requests instead

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    fake.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
