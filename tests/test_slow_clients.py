"""Slow clients against the real `quarterdeck serve` (issue 14, item 8).

gthread alone gave each connection a thread once its first byte arrived; eight
clients sending one byte of a declared body took the server offline. The served
front (webhook/front.py: uvicorn's event loop) reads each request whole, within
QUARTERDECK_READ_TIMEOUT, before a thread sees it. These tests hold 50 slow
connections open against one server and check that `/healthz` and a real delivery
are still answered at once, and that the server itself ends the slow ones.
"""

from __future__ import annotations

import contextlib
import json
import resource
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from quarterdeck.webhook.intake import sign
from quarterdeck.webhook.settings import DEFAULT_READ_TIMEOUT, SettingsError, load_settings
from tests.fakegithub import webhook_examples
from tests.test_security import WEBHOOK_SECRET, _exchange, _head, serving
from tests.webhooks import private_key_pem

READ_TIMEOUT = 2  # seconds; short, so the test sees the server end the slow clients
SWEEP = 1.0  # margin for a loaded machine: the deadline is a timer on the event loop
SLOW = 50
HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`quarterdeck serve` with the default 8 threads, one process and a 2 s read timeout."""
    home = tmp_path_factory.mktemp("slow")
    settings = {
        "QUARTERDECK_READ_TIMEOUT": str(READ_TIMEOUT),
        "QUARTERDECK_MAX_BODY_BYTES": str(1024 * 1024),
        "GITHUB_API_URL": "http://127.0.0.1:9",  # the work must not leave the machine
    }
    with serving(home, private_key_pem(), **settings) as (port, lines):
        assert "Listening at: http://127.0.0.1" in "".join(lines)
        yield port


def _timed(port: int, head: bytes, body: list[bytes] | tuple[()] = ()) -> tuple[float, bytes]:
    started = time.monotonic()
    answer = _exchange(port, head, body, timeout=5)
    return time.monotonic() - started, answer


def _delivery() -> bytes:
    """A signed `pull_request` delivery GitHub sends (closed, unmerged: queued, no writes)."""
    payload = next(p for p in webhook_examples("pull_request") if p["action"] == "closed")
    body = json.dumps(payload).encode()
    return (
        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "X-GitHub-Event: pull_request\r\n"
        f"X-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: {sign(WEBHOOK_SECRET.encode(), body)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _ended_by_server(sock: socket.socket) -> tuple[bytes, float]:
    """What the server sent before closing `sock`, and when it closed (monotonic)."""
    sock.settimeout(READ_TIMEOUT + SWEEP + 3)
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer, time.monotonic()


def _open(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]


def test_fifty_stalled_bodies_leave_healthz_and_deliveries_answered(server: int) -> None:
    slow = _open(server, SLOW)
    # Half of them first finish a request and stall on the next one of the same
    # kept-alive connection; the other half stall on their first request.
    for sock in slow[: SLOW // 2]:
        sock.sendall(HEALTHZ)
        answer = b""
        while not answer.endswith(b'{"status":"ok"}\n'):  # the whole answer, body included
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200"), answer
    for sock in slow:
        sock.sendall(_head("Content-Length: 1000\r\n") + b"{")  # 1 byte of 1,000, then silence
    stalled_at = time.monotonic()
    time.sleep(0.3)  # every slow request is now in the server, waiting for its body

    for _ in range(3):
        took, answer = _timed(server, HEALTHZ)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert took < 1.0
    took, answer = _timed(server, _delivery())
    assert answer.startswith(b"HTTP/1.1 202"), answer  # claimed and queued
    assert took < 1.0

    for sock in slow:
        answer, closed_at = _ended_by_server(sock)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout"), answer
        assert b"Connection: close" in answer
        assert READ_TIMEOUT - 0.5 <= closed_at - stalled_at <= READ_TIMEOUT + SWEEP + 1.5
        sock.close()
    took, answer = _timed(server, HEALTHZ)
    assert answer.startswith(b"HTTP/1.1 200")
    assert took < 1.0


def test_headers_that_never_end_are_cut_at_the_deadline_however_they_trickle(
    server: int,
) -> None:
    slow = _open(server, SLOW)
    for sock in slow:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    stop = threading.Event()

    def trickle() -> None:
        # A header line every 0.3 s: an idle timeout per read would never fire.
        n = 0
        while not stop.wait(0.3):
            n += 1
            for sock in slow:
                with contextlib.suppress(OSError):  # this one was already cut
                    sock.sendall(f"X-Pad-{n}: {n}\r\n".encode())

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    try:
        time.sleep(0.5)
        took, answer = _timed(server, HEALTHZ)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert took < 1.0
        ends = [_ended_by_server(sock) for sock in slow]
    finally:
        stop.set()
        sender.join()
    for answer, closed_at in ends:
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert READ_TIMEOUT - 0.5 <= closed_at - started <= READ_TIMEOUT + SWEEP + 1.5
    for sock in slow:
        sock.close()


def test_two_thousand_idle_connections_leave_deliveries_answered_and_are_closed(
    server: int,
) -> None:
    # Issue 21: about 1,000 idle connections per process made every delivery wait past
    # GitHub's 10 s. Now each is a buffer on the event loop, and closed at the deadline.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    idle = _open(server, 2000)
    opened_at = time.monotonic()
    try:
        for _ in range(3):
            took, answer = _timed(server, _delivery())
            assert answer.startswith(b"HTTP/1.1 202"), answer
            assert took < 1.0
        for sock in idle[:: len(idle) // 20]:  # a sample: they all share one deadline
            answer, closed_at = _ended_by_server(sock)
            assert answer == b""  # nothing was asked, so nothing is answered
            assert closed_at - opened_at <= READ_TIMEOUT + SWEEP + 1.5
    finally:
        for sock in idle:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_body_sent_slowly_within_the_deadline_is_answered(server: int) -> None:
    delivery = _delivery()
    pieces = [delivery[i : i + 200] for i in range(0, len(delivery), 200)]
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        started = time.monotonic()
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(1.0 / len(pieces))  # about a second in all, under the 2 s deadline
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 202"), answer
    assert time.monotonic() - started < READ_TIMEOUT


def test_pipelined_requests_are_all_answered(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
        sock.sendall(HEALTHZ * 3)
        answer = b""
        while answer.count(b"HTTP/1.1 200") < 3:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk


def test_clients_that_keep_a_closed_exchange_open_do_not_stall_the_server(server: int) -> None:
    # gunicorn's own graceful close waited up to 2 s per such client, on the thread
    # that accepted every connection; the event loop closes them without waiting.
    held = _open(server, 10)
    for sock in held:
        sock.sendall(HEALTHZ.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")  # then never closed by us
    took, answer = _timed(server, HEALTHZ)
    assert answer.startswith(b"HTTP/1.1 200")
    assert took < 1.0
    for sock in held:
        sock.close()


def test_the_read_timeout_is_a_setting() -> None:
    base = {"QUARTERDECK_WEBHOOK_SECRET": "3f9a1c77e0b24d5f8a6c1e9b7d3f2a4c"}
    assert load_settings(base, require_app=False).read_timeout == DEFAULT_READ_TIMEOUT == 10
    assert (
        load_settings({**base, "QUARTERDECK_READ_TIMEOUT": "3"}, require_app=False).read_timeout
        == 3
    )
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="QUARTERDECK_READ_TIMEOUT"):
            load_settings({**base, "QUARTERDECK_READ_TIMEOUT": bad}, require_app=False)
