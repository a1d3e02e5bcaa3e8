"""The front door `quarterdeck serve` runs: uvicorn's HTTP/1.1 in front of the Flask app.

Framing is not ours. uvicorn (Encode) reads connections on an asyncio event loop and
parses HTTP/1.1 with h11 (python-hyper): a malformed request line, header, length or
chunk is answered 400 by uvicorn and closes that connection; nothing a client sends
ends a process (issue 21). uvicorn's supervisor starts the processes and starts a
new one when one dies. An idle or slow connection costs a buffer on the event loop,
never a thread: thousands per process (benchmarks/RESULTS.md, "Idle connections").

What is ours is small and sits on uvicorn's public extension points:

- `Deadline`, the HTTP protocol class (uvicorn's `http=` setting, h11's protocol plus
  one timer): a request must arrive whole, headers and body, within
  QUARTERDECK_READ_TIMEOUT seconds of its first byte (of the connection's opening, for
  its first request); later it is answered 408 and the connection closed. A
  connection that sends nothing at all is closed at the same deadline; between
  requests, uvicorn's keep-alive timeout (5 s) applies.
- `Buffered`, an ASGI middleware: the WSGI app runs in a thread only once the whole
  body is in memory, within QUARTERDECK_MAX_BODY_BYTES (413, from the declared length
  when there is one); the app always sees a `Content-Length`. The WSGI bridge is
  a2wsgi's, with `--threads` threads per process.

Plain HTTP only; TLS ends in a proxy in front.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol

from quarterdeck.webhook.settings import load_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("quarterdeck.webhook")
THREADS_VARIABLE = "QUARTERDECK_SERVE_THREADS"  # serve --threads, for the processes it spawns
HEAD_LIMIT = 64 * 1024  # h11 answers 400 to a head still incomplete past this many bytes


def _answer(message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and JSON body of an answer the front gives itself (408, 413)."""
    body = json.dumps({"error": message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    return headers, body


class Buffered:
    """ASGI middleware: read the whole body (up to `max_body`), then call the WSGI app.

    A slow body waits here, on the event loop, not in one of the app's threads. The
    app gets the body as one message, with `Content-Length` set to its size (a chunked
    request reaches it as a plain one).
    """

    def __init__(self, wsgi: Any, *, max_body: int, threads: int) -> None:
        from a2wsgi import WSGIMiddleware

        self.max_body = max_body
        # a2wsgi types scopes and messages as its own TypedDicts; servers pass plain
        # dicts, and so does this middleware: the bridge is an ASGI app like any other.
        self.app = cast("App", WSGIMiddleware(wsgi, workers=threads))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        # h11 has already refused a length that is not digits (400).
        if declared is not None and int(declared) > self.max_body:
            await self._too_large(scope, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left, or the read deadline closed the connection
            body += message.get("body", b"")
            if len(body) > self.max_body:
                await self._too_large(scope, send)
                return
            if not message.get("more_body", False):
                break
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name not in (b"content-length", b"transfer-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        whole: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            # The body once; then what the connection says (a disconnect, for a2wsgi).
            return whole.pop() if whole else await receive()

        await self.app({**scope, "headers": headers}, replay, send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        from quarterdeck.webhook.metrics import record_delivery

        # Answered here, before the app, so counted here (the event label is bounded).
        event = _header(scope, b"x-github-event") or b""
        record_delivery(event.decode("latin-1"), "too_large")
        headers, body = _answer(f"the body is over the {self.max_body}-byte limit")
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


@functools.cache
def read_timeout() -> float:
    """QUARTERDECK_READ_TIMEOUT, read once per process (serve has validated it)."""
    return float(load_settings(require_app=False).read_timeout)


class Deadline(H11Protocol):
    """uvicorn's h11 protocol, with each request due whole within the read timeout.

    The timer runs while the connection owes a request: from the connection's opening
    (or the first byte after a response) until the request's body has fully arrived.
    At the deadline a request that began is answered 408; a connection that sent
    nothing is closed. Either way the app never sees it, and no thread waited.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._fresh = True  # no request seen yet on this connection
        self._seconds = read_timeout()

    # uvicorn's own H11Protocol narrows asyncio's BaseTransport to Transport; ours follows.
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """uvicorn's, then start the clock: a connection must send its request in time."""
        super().connection_made(transport)
        self._settle()

    def data_received(self, data: bytes) -> None:
        """uvicorn's; the first byte of a request starts its clock, its last stops it."""
        if self._timer is None and self._awaiting_head():
            self._arm()  # counted from this request's first byte
        super().data_received(data)
        if self.cycle is not None:
            self._fresh = False
        self._settle()

    def on_response_complete(self) -> None:
        """uvicorn's; a pipelined request already buffered starts its own clock."""
        super().on_response_complete()
        self._settle()

    def connection_lost(self, exc: Exception | None) -> None:
        """uvicorn's, and the clock stops."""
        self._disarm()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _owing(self) -> bool:
        """Whether part of a request is still due from the client."""
        if self._awaiting_head():
            return self._fresh or bool(self.conn.trailing_data[0])
        return bool(self.cycle.more_body) and not self.cycle.response_started

    def _settle(self) -> None:
        if self.transport is None or self.transport.is_closing() or not self._owing():
            self._disarm()
        elif self._timer is None:
            self._arm()

    def _arm(self) -> None:
        self._timer = self.loop.call_later(self._seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing() or not self._owing():
            return
        began = not self._awaiting_head() or bool(self.conn.trailing_data[0])
        if began:
            _, body = _answer(f"the request was not complete within {self._seconds:g} s")
            head = (
                "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            self.transport.write(head + body)
        # The app (if it was waiting for the body) sees a disconnect and answers nothing.
        self.transport.close()


def asgi_from_env() -> Buffered:
    """uvicorn's app factory in each serving process: the Flask app behind `Buffered`.

    Settings come from the environment (serve has validated them). A process that
    starts also takes over deliveries answered by a process that died before their
    work finished (`Runtime.resume`).
    """
    from quarterdeck.webhook.server import app_from_env

    flask_app = app_from_env()
    runtime = flask_app.extensions["quarterdeck"]
    runtime.resume()
    settings = runtime.settings
    return Buffered(flask_app, max_body=settings.max_body_bytes, threads=_threads())


def _threads() -> int:
    import os

    return int(os.environ.get(THREADS_VARIABLE, "8"))


def serve_forever(host: str, port: int, *, workers: int) -> int:
    """Bind `host:port`, then run `workers` serving processes until stopped.

    uvicorn's supervisor always runs, even for one process: a process that dies (the
    OOM killer, a bug) is replaced, and the new one resumes the work its predecessor
    had answered but not finished.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "quarterdeck.webhook.front:asgi_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        interface="asgi3",
        http="quarterdeck.webhook.front:Deadline",  # h11, plus the read deadline
        lifespan="off",
        proxy_headers=False,  # nothing here reads the client's address
        server_header=False,
        access_log=False,
        log_config=None,  # the App's JSON logging, set up in each process by the factory
        timeout_keep_alive=5,  # idle seconds between requests on one connection
        timeout_graceful_shutdown=20,
        backlog=2048,
        h11_max_incomplete_event_size=HEAD_LIMIT,
    )
    _raise_open_files()
    _can_listen(host, port)
    from quarterdeck.webhook.metrics import multiprocess_dir, remove_dir

    # Before the processes start: each writes its figures there, any one sums them.
    figures, ours = multiprocess_dir()
    try:
        sock = config.bind_socket()
        bound = sock.getsockname()[1]
        log.info("Listening at: http://%s:%d (%d processes)", host, bound, workers)
        Multiprocess(config, sockets=[sock]).run()
    finally:
        if ours:
            remove_dir(figures)
    return 0


def _raise_open_files() -> None:
    """The soft open-file limit up to the hard one (inherited by the serving processes).

    Each connection is a file descriptor; a soft limit of 1,024, common by default,
    would cap idle connections there, well under what the event loop holds cheaply.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            log.warning("could not raise the open-file limit from %d to %d", soft, wanted)


def _can_listen(host: str, port: int) -> None:
    """Refuse to start, with a message, when `host:port` can't be bound (uvicorn only logs)."""
    import os
    import socket

    from quarterdeck.webhook.settings import SettingsError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise SettingsError(
            f"quarterdeck serve cannot listen on {host}:{port} ({reason}); "
            "choose another --port or --host, or stop what is using it"
        ) from None
