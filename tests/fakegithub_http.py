"""The one fake GitHub (tests/fakegithub.py) served over real HTTP on 127.0.0.1.

`responses` only intercepts requests made inside the test process; a worker in
another process (RQ) reaches the same fake through this front instead. URLs in the
fake's answers are rewritten to the front's address, as GitHub Enterprise would
answer with its own host.

A fault that hangs (`FakeGitHub.lose_answer(hang=True)`) is carried out, then the
connection is held open and silent until the client closes it (its read timeout
fired) or `hang_limit` seconds pass, as a stuck proxy or load balancer would.
"""

from __future__ import annotations

import select
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from tests.fakegithub import API, FakeGitHub, Hung


class HttpFront:
    """Serve `fake` at `self.url` until `close()`."""

    def __init__(self, fake: FakeGitHub, *, hang_limit: float = 60.0) -> None:
        front = self
        self.hang_limit = hang_limit
        self.closing = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = SimpleNamespace(
                    method=self.command,
                    url=API + self.path,
                    body=body or None,
                    headers=dict(self.headers),
                )
                try:
                    status, headers, text = fake._dispatch(request)
                except Hung:
                    self._hang()
                    self.close_connection = True
                    return
                except OSError:
                    # A fault's error (`lose_answer(drop=True)`, a timeout): close the
                    # connection without a word, as a proxy that lost it would.
                    self.close_connection = True
                    return
                data = text.replace(API, front.url).encode()
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value.replace(API, front.url))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _hang(self) -> None:
                """Say nothing until the client hangs up (or the front closes)."""
                deadline = time.monotonic() + front.hang_limit
                while time.monotonic() < deadline and not front.closing.is_set():
                    readable, _, _ = select.select([self.connection], [], [], 0.05)
                    if readable:
                        return  # the client closed its end: its read timeout fired

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the fake records every call itself

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll, so `close()` doesn't wait out the default half second.
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
