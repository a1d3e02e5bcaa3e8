"""The gunicorn worker `quarterdeck serve` runs: gthread, with each request read whole
by the event loop before a thread sees it.

gunicorn's gthread worker gives a connection to a pool thread as soon as its first
byte arrives, and the thread then blocks reading the headers and the body: eight
clients that send one byte of a declared body and stall hold all eight threads, and
`/healthz` goes unanswered (issue 14, item 8). Here the worker's event loop, which
already watches idle keep-alive sockets, also gathers each request without blocking
until it is complete: the blank line after the headers, then `Content-Length` bytes
or the last chunk. Only then does a pool thread parse and answer it, from memory. A
slow client costs a buffer in the loop, not a thread, and the app's code is unchanged
(it still runs in threads, beside the in-process work thread).

- The whole request, headers and body, must arrive within the read timeout
  (QUARTERDECK_READ_TIMEOUT, counted from its first byte); otherwise it is answered
  408 and the connection is closed.
- A request that gunicorn or the app refuses without reading on (a declared body
  over the cap: 413; headers past gunicorn's limits or bad framing: 400) is handed to
  a thread as soon as that is known; the thread's reads still end at the deadline,
  and the connection closes after the answer. A chunked body past the cap is answered
  413 here, since its size is only known as it arrives.
- A connection closed after an answer lingers in the event loop to drain what the
  client still sends (so the answer is not cut by a reset): gunicorn's own graceful
  close blocks the event loop's thread for up to 2 s per such client.

Plain HTTP only, as `quarterdeck serve` binds it; TLS ends in front of it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import TConn, ThreadWorker

from quarterdeck.webhook.settings import load_settings

READ_SIZE = 256 * 1024  # one recv per readiness event keeps the loop fair between clients
LINGER = 2.0  # seconds a closed connection may keep sending before it is cut (gunicorn's figure)
LINGER_BYTES = 64 * 1024
CHUNK_LINE = 4096  # a chunk-size line longer than this is not a chunk-size line
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")

MORE, WHOLE, HAND_OVER, TOO_LARGE = "more", "whole", "hand over", "too large"


class Framing:
    """Where one HTTP/1.1 request ends, found from the bytes gathered so far.

    `scan` is called again with the same, grown buffer after each read and resumes
    where it stopped, so a body costs its length once, not once per read. It returns
    MORE (not complete yet), WHOLE (headers and body are all in the buffer),
    HAND_OVER (gunicorn's parser or the app will refuse it from what is already
    here) or TOO_LARGE (a chunked body past `max_body`).
    """

    def __init__(self, max_body: int, max_head: int) -> None:
        self.max_body = max_body
        self.max_head = max_head
        self.searched = 0  # how far the search for the blank line has looked
        self.body_at = -1  # where the body starts, once the headers are complete
        self.length = 0  # Content-Length, when not chunked
        self.chunked = False
        self.wants_continue = False
        self.at = 0  # chunked: the next byte not yet accounted for
        self.data_left = 0  # chunked: bytes of the current chunk still to come
        self.crlf = False  # chunked: the CRLF after a chunk's data is due
        self.trailers = False  # chunked: past the last chunk, reading trailer lines
        self.decoded = 0  # chunked: body bytes so far

    def scan(self, buf: bytearray) -> str:
        """The request's state; see the class docstring."""
        if self.body_at < 0:
            end = buf.find(b"\r\n\r\n", max(0, self.searched - 3))
            if end < 0:
                self.searched = len(buf)
                return MORE if len(buf) <= self.max_head else HAND_OVER
            self.body_at = end + 4
            verdict = self._head(bytes(buf[:end]))
            if verdict:
                return verdict
        if self.chunked:
            return self._chunks(buf)
        return WHOLE if len(buf) - self.body_at >= self.length else MORE

    def _head(self, head: bytes) -> str | None:
        lengths: list[bytes] = []
        codings: list[bytes] = []
        for line in head.split(b"\r\n")[1:]:
            name, colon, value = line.partition(b":")
            if not colon:
                continue  # not a header line; gunicorn's parser judges it
            name = name.lower()
            if name == b"content-length":
                lengths.append(value.strip())
            elif name == b"transfer-encoding":
                codings.extend(c.strip().lower() for c in value.split(b","))
            elif name == b"expect" and value.strip().lower() == b"100-continue":
                self.wants_continue = True
        if codings:
            if lengths or codings[-1] != b"chunked":
                return HAND_OVER  # ambiguous framing: gunicorn refuses it (400)
            self.chunked = True
            self.at = self.body_at
            return None
        if not lengths:
            return None  # no body
        if len(set(lengths)) != 1 or not lengths[0].isdigit():
            return HAND_OVER  # gunicorn refuses it (400)
        self.length = int(lengths[0])
        # The app answers 413 from the headers alone, without reading the body.
        return HAND_OVER if self.length > self.max_body else None

    def _chunks(self, buf: bytearray) -> str:
        while True:
            if self.data_left:
                take = min(self.data_left, len(buf) - self.at)
                self.at += take
                self.data_left -= take
                self.decoded += take
                if self.decoded > self.max_body:
                    return TOO_LARGE
                if self.data_left:
                    return MORE
                self.crlf = True
            if self.crlf:
                if len(buf) - self.at < 2:
                    return MORE
                if buf[self.at : self.at + 2] != b"\r\n":
                    return HAND_OVER
                self.at += 2
                self.crlf = False
            end = buf.find(b"\r\n", self.at)
            if end < 0:
                return MORE if len(buf) - self.at <= CHUNK_LINE else HAND_OVER
            line = bytes(buf[self.at : end])
            self.at = end + 2
            if self.trailers:
                if not line:
                    return WHOLE
                continue
            size = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size):
                return HAND_OVER
            self.data_left = int(size, 16)
            if self.data_left == 0:
                self.trailers = True
            elif self.decoded + self.data_left > self.max_body:
                return TOO_LARGE  # declared past the cap: no need to wait for it


class _Gathered:
    """The client socket as gunicorn's parser reads it: the gathered bytes first.

    Past them, reads go to the socket but end at the request's deadline; at the
    deadline a read answers b"", as if the client had left, which gunicorn and the
    app treat as a closed connection, never as a server error.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.raw = sock
        self.pending = bytearray()
        self.deadline = float("inf")

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.pending:
            data = bytes(self.pending[:size])
            del self.pending[:size]
            return data
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return b""
        before = self.raw.gettimeout()
        self.raw.settimeout(remaining if before is None else min(before, remaining))
        try:
            return self.raw.recv(size, flags)
        except TimeoutError:
            return b""
        finally:
            self.raw.settimeout(before)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _Conn(TConn):  # type: ignore[misc]
    """gunicorn's connection, reading through `_Gathered` and closing through the loop."""

    def __init__(self, worker: Worker, sock: socket.socket, client: Any, server: Any) -> None:
        super().__init__(worker.cfg, _Gathered(sock), client, server)
        self.worker = worker
        self.framing: Framing | None = None
        self.whole = False  # the request in hand was read whole before a thread took it

    def close(self, graceful: bool = False) -> None:
        if graceful:
            self.worker.linger(self)
        else:
            util.close(self.sock.raw)


class Worker(ThreadWorker):  # type: ignore[misc]
    """gthread whose event loop reads each request whole, within `read_timeout`.

    `quarterdeck serve` runs a subclass with the settings' figures (`worker_class`);
    `gunicorn -k quarterdeck.webhook.front.Worker` reads them from the environment.
    """

    read_timeout: float | None = None
    max_body: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.read_timeout is None or self.max_body is None:
            settings = load_settings(require_app=False)  # the app validates the rest
            self.read_seconds = float(settings.read_timeout)
            self.body_cap = settings.max_body_bytes
        else:
            self.read_seconds, self.body_cap = self.read_timeout, self.max_body
        self.gathering: dict[_Conn, float] = {}  # by deadline: one timeout for all
        self.lingering: dict[socket.socket, float] = {}
        cfg = self.cfg
        if min(cfg.limit_request_line, cfg.limit_request_fields, cfg.limit_request_field_size):
            # Past this, gunicorn's parser refuses the headers from what is here.
            fields = cfg.limit_request_fields * (cfg.limit_request_field_size + 2)
            self.max_head = cfg.limit_request_line + fields + 4 + 64 * 1024
        else:
            self.max_head = 1024 * 1024  # a limit turned off: gunicorn's own fallback

    def init_process(self) -> None:
        if self.cfg.is_ssl:
            raise RuntimeError(
                "quarterdeck's gunicorn worker serves plain HTTP; end TLS in a proxy in front"
            )
        super().init_process()

    # -- gathering, on the event loop's thread

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        self.gather(_Conn(self, sock, client, listener.getsockname()))

    def enqueue_req(self, conn: _Conn) -> None:
        # gunicorn calls this for a kept-alive connection that became readable, or
        # holds the next request's first bytes: gather that request first too.
        self.gather(conn)

    def gather(self, conn: _Conn) -> None:
        """Read `conn`'s next request in the loop; a thread gets it once it is whole."""
        if conn.parser is not None:
            # Bytes the parser read ahead belong to this request: gather them first.
            conn.sock.pending[:0] = conn.parser.unreader.take_buffered()
        conn.framing = Framing(self.body_cap, self.max_head)
        conn.sock.deadline = time.monotonic() + self.read_seconds
        self.gathering[conn] = conn.sock.deadline
        if self._settle(conn):
            return
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def _readable(self, conn: _Conn, _sock: Any) -> None:
        try:
            data = conn.sock.raw.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client left before its request was complete
            self._stop_gathering(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.sock.pending += data
        self._settle(conn)

    def _settle(self, conn: _Conn) -> bool:
        """Hand `conn` to a thread, or answer it, if its request allows; True if so."""
        assert conn.framing is not None
        verdict = conn.framing.scan(conn.sock.pending)
        if verdict == MORE:
            if conn.framing.wants_continue and conn.framing.body_at >= 0:
                conn.framing.wants_continue = False  # gunicorn's thread may send it again: allowed
                self._send(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
            return False
        self._stop_gathering(conn)
        if verdict == TOO_LARGE:
            self._refuse(conn, 413, f"the body is over the {self.body_cap}-byte limit")
            return True
        conn.whole = verdict == WHOLE
        conn.data_ready = True  # gunicorn's thread must not wait for the socket: it's here
        conn.sock.setblocking(True)
        ThreadWorker.enqueue_req(self, conn)
        return True

    def _stop_gathering(self, conn: _Conn) -> None:
        self.gathering.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError):  # settled before it was registered
            self.poller.unregister(conn.sock)

    def _refuse(self, conn: _Conn, status: int, message: str) -> None:
        """Answer `status` from the loop, then close: the app never sees the request."""
        reason = {408: "Request Timeout", 413: "Content Too Large"}[status]
        body = json.dumps({"error": message}).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self._send(conn, head + body)
        self.nr_conns -= 1
        self.linger(conn)

    @staticmethod
    def _send(conn: _Conn, data: bytes) -> None:
        # Small answers fit the socket's send buffer; a client that does not read
        # them loses them rather than stalling the loop.
        try:
            conn.sock.raw.setblocking(False)
            conn.sock.raw.send(data)
        except OSError:
            pass

    def murder_keepalived(self, force: bool = False) -> None:
        """gunicorn's sweep of idle keep-alive connections, then ours of late requests."""
        super().murder_keepalived(force)
        now = time.monotonic()
        while self.gathering:
            conn, deadline = next(iter(self.gathering.items()))
            if deadline > now and not force:
                break
            self._stop_gathering(conn)
            if conn.sock.pending or conn.parser is None:
                seconds = f"{self.read_seconds:g}"
                self._refuse(conn, 408, f"the request was not complete within {seconds} s")
            else:
                self.nr_conns -= 1
                conn.close()
        while self.lingering:
            sock, deadline = next(iter(self.lingering.items()))
            if deadline > now and not force:
                break
            self._unlinger(sock)

    # -- closing, on the event loop's thread

    def linger(self, conn: _Conn) -> None:
        """Half-close `conn` and drain it from the loop for up to LINGER seconds."""
        sock = conn.sock.raw
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
        except OSError:
            util.close(sock)
            return
        self.lingering[sock] = time.monotonic() + LINGER
        drained = [0]
        self.poller.register(sock, selectors.EVENT_READ, partial(self._drain, drained))

    def _drain(self, drained: list[int], sock: socket.socket) -> None:
        try:
            data = sock.recv(LINGER_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        drained[0] += len(data)
        if not data or drained[0] >= LINGER_BYTES:
            self._unlinger(sock)

    def _unlinger(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self.poller.unregister(sock)
        util.close(sock)

    # -- in a pool thread

    def handle(self, conn: _Conn) -> Any:
        result = super().handle(conn)
        if result is True and conn.sock.pending:
            # Pipelined bytes of the next request: give them to the parser's read-ahead,
            # where gunicorn looks before waiting on the socket, and `gather` takes them.
            reader = conn.parser.unreader
            reader.unread(reader.take_buffered() + bytes(conn.sock.pending))
            conn.sock.pending.clear()
        return result

    def _keepalive_after(self, conn: _Conn, keepalive: bool) -> bool:
        if not conn.whole:
            # Handed over early (its body was refused unread): draining the rest would
            # hold this thread, so the connection closes instead.
            return False
        return bool(super()._keepalive_after(conn, keepalive))


def worker_class(read_timeout: float, max_body: int) -> type[Worker]:
    """The worker with these figures, for gunicorn's `worker_class` (inherited by its forks)."""
    figures = {"read_timeout": read_timeout, "max_body": max_body}
    return type("QuarterdeckWorker", (Worker,), figures)
