"""The one fake GitHub (tests/fakegithub.py) served over real HTTP on 127.0.0.1.

`responses` only intercepts requests made inside the test process; a worker in
another process (RQ) reaches the same fake through this front instead. URLs in the
fake's answers are rewritten to the front's address, as GitHub Enterprise would
answer with its own host.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from tests.fakegithub import API, FakeGitHub


class HttpFront:
    """Serve `fake` at `self.url` until `close()`."""

    def __init__(self, fake: FakeGitHub) -> None:
        front = self

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

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the fake records every call itself

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
