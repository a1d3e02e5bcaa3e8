"""Serve the one fake GitHub over real HTTP on 127.0.0.1, for code in another process.

`responses` only intercepts requests made in the test's own process; the Action's
shell steps run `quarterdeck` as a child process, which reaches the same in-memory
fake through this thin transport (set GITHUB_API_URL to the yielded URL). Absolute
`https://api.github.com` URLs in answers are rewritten to point back here, as a
GitHub Enterprise server would name itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from tests.fakegithub import API, FakeGitHub


@contextmanager
def serve(fake: FakeGitHub) -> Iterator[str]:
    """Run an HTTP server for `fake`; yields its base URL, e.g. http://127.0.0.1:5123."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            request = SimpleNamespace(
                url=API + self.path, method=self.command, body=body, headers=dict(self.headers)
            )
            status, headers, text = fake._dispatch(request)
            payload = text.replace(API, base).encode()
            if "Link" in headers:
                headers["Link"] = headers["Link"].replace(API, base)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
