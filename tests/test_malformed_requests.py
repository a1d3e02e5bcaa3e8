"""A corpus of malformed requests against the real `quarterdeck serve` (issue 21).

Each request goes over a raw socket to one server (two processes, a 2 s read
timeout, a 1 MB body cap). After each: no serving process ended or was replaced, the
answer (if any) is not a 5xx, and a signed delivery sent right after is answered 202
within a second. Before the front was uvicorn's, a 5,000-digit `Content-Length`
killed a gunicorn worker and a bad chunk size was a 500.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator

import pytest

from quarterdeck.webhook.intake import sign
from tests.servers import Served, served
from tests.test_security import WEBHOOK_SECRET, app_env
from tests.test_slow_clients import _delivery
from tests.webhooks import private_key_pem

READ_TIMEOUT = 2
CAP = 1024 * 1024
ANSWERED_WITHIN = 1.0  # the signed delivery after each case (GitHub waits 10 s)


def _signed(body: bytes, extra: str = "", content_type: str = "application/json") -> bytes:
    """A delivery signed with the App's secret: the body reaches the app's own checks."""
    return (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        "X-GitHub-Event: pull_request\r\n"
        "X-GitHub-Delivery: 5e1f0000-0000-4000-8000-000000000001\r\n"
        f"X-Hub-Signature-256: {sign(WEBHOOK_SECRET.encode(), body)}\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


HEAD = (
    "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "X-GitHub-Event: ping\r\n"
)


def _post(extra: str, body: bytes = b"{}") -> bytes:
    return (HEAD + extra + "\r\n").encode() + body


def _chunked(body: bytes) -> bytes:
    return _post("Transfer-Encoding: chunked\r\n", body)


def _many_chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"%x\r\n" % size + b"a" * size + b"\r\n"
    yield b"0\r\n\r\n"


MB30 = 30 * 1024 * 1024
DEEP = 100_000

# name -> (what is sent, the answers allowed). "4xx" is any client error; a number is
# that status; None is the connection closed without an answer (a client that gives up).
CORPUS: dict[str, tuple[bytes | Iterable[bytes], set[int | str | None]]] = {
    # -- Content-Length
    "length of 5,000 digits": (_post("Content-Length: " + "9" * 5000 + "\r\n"), {400}),
    "length past 64 bits": (_post("Content-Length: 99999999999999999999999\r\n"), {400, 413}),
    "negative length": (_post("Content-Length: -1\r\n"), {400}),
    "length not a number": (_post("Content-Length: lots\r\n"), {400}),
    "length with trailing letters": (_post("Content-Length: 2abc\r\n"), {400}),
    "length in hex": (_post("Content-Length: 0x2\r\n"), {400}),
    "length with a plus sign": (_post("Content-Length: +2\r\n"), {400}),
    "empty length": (_post("Content-Length: \r\n"), {400}),
    "two different lengths": (_post("Content-Length: 2\r\nContent-Length: 3\r\n"), {400}),
    "a length list": (_post("Content-Length: 2, 3\r\n"), {400}),
    "length over the cap": (_post("Content-Length: 1073741824\r\n"), {413}),
    "length longer than the body": (_post("Content-Length: 50\r\n"), {408}),
    "length shorter than the body": (_post("Content-Length: 1\r\n", b"{}GARBAGE\r\n\r\n"), {401}),
    # -- smuggling shapes
    "length and chunked": (
        _post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        {"4xx"},
    ),
    "chunked and length": (
        _post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", b"0\r\n\r\n"),
        {"4xx"},
    ),
    "chunked, identity": (_post("Transfer-Encoding: chunked, identity\r\n", b"0\r\n\r\n"), {400}),
    "gzip only": (_post("Transfer-Encoding: gzip\r\n", b"0\r\n\r\n"), {400}),
    "gzip, chunked": (_post("Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n"), {400}),
    "chunked twice": (
        _post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
        {400},
    ),
    "xchunked": (_post("Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n"), {400}),
    "space before the colon": (_post("Transfer-Encoding : chunked\r\n", b"0\r\n\r\n"), {400}),
    "folded transfer-encoding": (
        _post("Transfer-Encoding:\r\n chunked\r\n", b"0\r\n\r\n"),
        {400, 401},  # h11 unfolds it, as RFC 9112 allows: chunked, then the signature fails
    ),
    "chunked on HTTP/1.0": (
        b"POST /webhook HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        {"4xx"},
    ),
    "a second request smuggled in the body": (
        _post("Content-Length: 44\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 12),
        {401},
    ),
    # -- chunks
    "chunk size not hex": (_chunked(b"zz\r\n{}\r\n0\r\n\r\n"), {400}),
    "negative chunk size": (_chunked(b"-2\r\n{}\r\n0\r\n\r\n"), {400}),
    "chunk size of 40 hex digits": (_chunked(b"f" * 40 + b"\r\n{}\r\n0\r\n\r\n"), {400, 413}),
    "chunk size 0x-prefixed": (_chunked(b"0x2\r\n{}\r\n0\r\n\r\n"), {400}),
    "chunk size with spaces": (_chunked(b" 2 \r\n{}\r\n0\r\n\r\n"), {"4xx"}),
    "chunk extension of 100 KB": (
        _chunked(b"2;" + b"x" * 100_000 + b"\r\n{}\r\n0\r\n\r\n"),
        {400, 401},
    ),
    "chunk longer than declared": (_chunked(b"2\r\n{}}}\r\n0\r\n\r\n"), {400}),
    "missing final chunk": (_chunked(b"2\r\n{}\r\n"), {408}),
    # The cap counts bytes that arrived: a declared chunk that never comes is late, not big.
    "chunk past the cap": (_chunked(b"fffffff\r\n{}"), {408, 413}),
    "30 MB in chunks": (
        [_post("Transfer-Encoding: chunked\r\n", b""), *_many_chunks(MB30)],
        {413},
    ),
    "trailers of 100 KB": (_chunked(b"0\r\nX: " + b"y" * 100_000 + b"\r\n\r\n"), {400, 401}),
    "chunks with bare LF": (_chunked(b"2\n{}\n0\n\n"), {"4xx", None}),
    # -- headers
    "one header of 200 KB": (_post("X-Big: " + "a" * 200_000 + "\r\nContent-Length: 2\r\n"), {400}),
    "5,000 headers": (_post("".join(f"X-{i}: {i}\r\n" for i in range(5000))), {400, 401}),
    "20,000 headers": (_post("".join(f"X-{i}: {i}\r\n" for i in range(20_000))), {400}),
    "header without a colon": (_post("NoColonHere\r\nContent-Length: 2\r\n"), {400}),
    "space in a header name": (_post("Bad Name: x\r\nContent-Length: 2\r\n"), {400}),
    "NUL in a header value": (_post("X-Nul: a\x00b\r\nContent-Length: 2\r\n"), {400}),
    "empty header name": (_post(": nameless\r\nContent-Length: 2\r\n"), {400}),
    "CR alone in a header": (_post("X-Cr: a\rb\r\nContent-Length: 2\r\n"), {400}),
    "obs-fold continuation": (_post("X-Fold: a\r\n  b\r\nContent-Length: 2\r\n"), {400, 401}),
    "invalid UTF-8 in a header value": (
        (HEAD + "Content-Length: 2\r\n").encode() + b"X-Bad: \xff\xfe\xc3\x28\r\n\r\n{}",
        {401},
    ),
    "invalid UTF-8 in a header name": (
        (HEAD + "Content-Length: 2\r\n").encode() + b"X-\xff\xfe: x\r\n\r\n{}",
        {400},
    ),
    "invalid UTF-8 in the signature header": (
        (HEAD + "Content-Length: 2\r\n").encode() + b"X-Hub-Signature-256: \xff\r\n\r\n{}",
        {401},
    ),
    "no Host on HTTP/1.1": (
        b"POST /webhook HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        {400},
    ),
    "two Host headers": (_post("Host: y\r\nContent-Length: 2\r\n"), {400}),
    "headers that never end": (HEAD.encode(), {408}),
    # -- request lines
    "HTTP/0.9": (b"GET /healthz\r\n\r\n", {400}),
    "garbage request line": (b"GARBAGE\r\n\r\n", {400}),
    # h11 takes any HTTP/x.y as HTTP/1.1 framing: a plain GET, answered.
    "HTTP/2.0 on a plain request line": (
        b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n",
        {200, "4xx"},
    ),
    "lower-case protocol": (b"GET /healthz http/1.1\r\nHost: x\r\n\r\n", {400}),
    "method with a bad character": (b"G@T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "URL of 100 KB": (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404}),
    "URL of 1 MB": (b"GET /" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "space in the URL": (b"GET /heal thz HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "invalid UTF-8 in the path": (b"POST /web\xffhook HTTP/1.1\r\nHost: x\r\n\r\n", {400}),
    "absolute URL of another host": (
        b"POST http://evil.example/webhook HTTP/1.1\r\nHost: evil.example\r\n"
        b"Content-Length: 2\r\n\r\n{}",
        {"4xx"},
    ),
    "CONNECT": (b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", {"4xx"}),
    "a TLS ClientHello": (bytes.fromhex("16030100a5010000a10303") + b"\x00" * 160, {400}),
    "NUL bytes": (b"\x00" * 1000, {400}),
    "blank lines only": (b"\r\n" * 1000, {400, 408}),
    # -- bodies
    "invalid UTF-8 body, unsigned": (_post("Content-Length: 4\r\n", b"\xff\xfe\xc3\x28"), {401}),
    "invalid UTF-8 body, signed": (_signed(b'{"a": "\xff\xfe"}'), {400}),
    f"JSON {DEEP:,} arrays deep, signed": (_signed(b"[" * DEEP + b"]" * DEEP), {400}),
    "JSON 10,000 objects deep, signed": (
        _signed(b'{"a":' * 10_000 + b"1" + b"}" * 10_000),
        {400},
    ),
    "a number of 5,000 digits, signed": (_signed(b'{"a": ' + b"9" * 5000 + b"}"), {400}),
    "not an object, signed": (_signed(b"[1, 2, 3]"), {400}),
    "form post without payload, signed": (
        _signed(b"a=b", content_type="application/x-www-form-urlencoded"),
        {400},
    ),
    "30 MB body": ([_post(f"Content-Length: {MB30}\r\n", b""), b"a" * MB30], {413}),
    "Expect 100-continue over the cap": (
        _post("Content-Length: 2000000\r\nExpect: 100-continue\r\n", b""),
        {413},
    ),
    "a signed delivery missing its object": (
        _signed(json.dumps({"action": "closed"}).encode()),
        {400},
    ),
}


def _status(answer: bytes) -> int | None:
    """The status of the first answer that is not 100 Continue (None: no answer)."""
    while answer.startswith(b"HTTP/1.1 100"):
        answer = answer.split(b"\r\n\r\n", 1)[1]
    if not answer.startswith(b"HTTP/1."):
        return None
    return int(answer.split(b" ", 2)[1])


def _send(port: int, request: bytes | Iterable[bytes], timeout: float) -> bytes:
    """Send `request` from a thread; what the server answers until it closes or `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:

        def send() -> None:
            pieces = [request] if isinstance(request, bytes) else request
            try:
                for piece in pieces:
                    sock.sendall(piece)
            except OSError:
                pass  # the server answered and closed: it need not read the rest

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        answer = b""
        try:
            while b"\r\n\r\n" not in answer.removeprefix(b"HTTP/1.1 100 Continue\r\n\r\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass  # what arrived before the reset is the answer
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`quarterdeck serve --workers 2` with a 2 s read timeout and a 1 MB body cap."""
    home = tmp_path_factory.mktemp("corpus")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        **app_env(
            private_key_pem(),
            home,
            QUARTERDECK_READ_TIMEOUT=str(READ_TIMEOUT),
            QUARTERDECK_MAX_BODY_BYTES=str(CAP),
            GITHUB_API_URL="http://127.0.0.1:9",  # the work must not leave the machine
        ),
    }
    with served(env, home, "--workers", "2") as running:
        deadline = time.monotonic() + 20
        while len(running.workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)  # the second process is still starting
        yield running


def test_the_corpus_is_the_size_the_issue_asks_for() -> None:
    assert len(CORPUS) >= 60


@pytest.mark.parametrize("case", CORPUS)
def test_a_malformed_request_is_a_4xx_and_ends_no_process(server: Served, case: str) -> None:
    request, allowed = CORPUS[case]
    workers = server.workers()
    assert len(workers) == 2

    answer = _send(server.port, request, timeout=READ_TIMEOUT + 4)

    status = _status(answer)
    assert status in allowed or ("4xx" in allowed and status and 400 <= status < 500), answer[:300]
    assert status is None or status < 500
    assert server.process.poll() is None
    assert server.workers() == workers  # none died and none was replaced
    started = time.monotonic()
    after = _send(server.port, _delivery(), timeout=10)
    took = time.monotonic() - started
    assert _status(after) == 202, after[:300]
    assert took < ANSWERED_WITHIN
    assert server.count("Traceback") == 0
