"""A real HTTP server on 127.0.0.1: concurrent copies of one delivery do the work once.

`post` and `post_at_once` are shared with tests/test_app_locks.py; a real `quarterdeck
serve` process is tests/servers.py.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub
from tests.webhooks import REPO, encode, fixed_loader, headers, merged_pr, ours, settings


@pytest.fixture
def live(tmp_path: Path, github: FakeGitHub) -> Iterator[tuple[Flask, BaseWSGIServer]]:
    app = create_app(
        settings(tmp_path),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, server
    server.shutdown()
    thread.join(5)


def post(port: int, body: bytes, sent: dict[str, str]) -> int:
    # http.client, not requests: `responses` (the fake GitHub) patches requests only.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/webhook", body=body, headers=sent)
        return conn.getresponse().status
    finally:
        conn.close()


def post_at_once(
    port: int, body: bytes, headers_for: Callable[[], dict[str, str]], copies: int
) -> list[int]:
    """POST `copies` deliveries released together by a barrier; their status codes."""
    return post_all_at_once(port, [(body, headers_for()) for _ in range(copies)])


def post_all_at_once(port: int, requests: Sequence[tuple[bytes, dict[str, str]]]) -> list[int]:
    """POST each (body, headers) from its own thread, released together; the statuses."""
    start = threading.Barrier(len(requests))
    statuses: list[int] = []

    def send(body: bytes, sent: dict[str, str]) -> None:
        start.wait()
        statuses.append(post(port, body, sent))

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return statuses


def test_ten_concurrent_copies_leave_one_comment(
    live: tuple[Flask, BaseWSGIServer], github: FakeGitHub
) -> None:
    app, server = live
    fake = github.add_repo(REPO)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    github.hold_pull(REPO, merged_pr())
    body = encode(merged_pr())
    sent = headers("pull_request", body, delivery="f0f0f0f0-0000-4000-8000-000000000010")

    statuses = post_at_once(server.server_port, body, lambda: sent, 10)
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    assert sorted(statuses) == [200] * 9 + [202]
    assert len(fake.comments_on(2)) == 1
    assert github.count("POST", r"/issues/2/comments$") == 1


def test_distinct_deliveries_of_one_merge_still_leave_one_comment(
    live: tuple[Flask, BaseWSGIServer], github: FakeGitHub
) -> None:
    # GitHub can send a merge twice under different ids (e.g. a manual redelivery racing
    # the original): de-duplication can't help, the marker and the per-PR lock do.
    app, server = live
    fake = github.add_repo(REPO)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    github.hold_pull(REPO, merged_pr())
    body = encode(merged_pr())

    # Each copy gets its own delivery id.
    statuses = post_at_once(server.server_port, body, lambda: headers("pull_request", body), 5)
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    assert statuses == [202] * 5
    assert len(fake.comments_on(2)) == 1
