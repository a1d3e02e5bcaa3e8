"""A fake Slack Web API on 127.0.0.1 that keeps the real contract, for the real `slack_sdk`.

`POST /api/chat.postMessage` and `/api/chat.update` with `Authorization: Bearer <token>`
(JSON or form body, as slack_sdk sends them):

* HTTP 200 `{"ok": false, "error": "invalid_auth"}` for an unknown token;
* `channel_not_found` for a channel it does not have, `not_in_channel` for one the bot
  was not invited to, `message_not_found` for an update of a message it does not have;
* HTTP 429 with `Retry-After` and `{"ok": false, "error": "ratelimited"}` while
  `ratelimit` is above zero;
* `{"ok": true, "channel": "C…", "ts": "…", "message": {…}}` otherwise.

Channels are known by id and by name (`#` optional); messages are kept per channel
with their text, blocks and thread. Every request is recorded. `echo_token` makes error
answers quote the request's token back (as a logging proxy might), for canary tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class FakeSlack:
    tokens: set[str] = field(default_factory=set)
    channels: dict[str, str] = field(default_factory=dict)  # name -> id
    joined: set[str] = field(default_factory=set)  # ids the bot is a member of
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # ts -> message
    requests: list[dict[str, Any]] = field(default_factory=list)
    ratelimit: int = 0
    retry_after: str = "1"
    echo_token: bool = False
    down: bool = False  # every request answered 503 with an HTML page, as a proxy does
    url: str = ""
    _clock: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def channel(self, name: str, *, joined: bool = True) -> str:
        """Add a channel (`name` without `#`); its id."""
        cid = "C" + format(len(self.channels) + 1, "08d")
        self.channels[name] = cid
        if joined:
            self.joined.add(cid)
        return cid

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The recorded requests to one method (`chat.postMessage`)."""
        return [r for r in self.requests if r["method"] == method]

    def in_channel(self, cid: str, *, thread: str | None = None) -> list[dict[str, Any]]:
        """The messages of `cid`: top-level ones, or the replies in `thread`."""
        return [
            m
            for m in self.messages.values()
            if m["channel"] == cid and m.get("thread_ts") == thread
        ]

    def _resolve(self, channel: str) -> str | None:
        if channel in self.channels.values():
            return channel
        return self.channels.get(channel.removeprefix("#"))

    def handle(self, method: str, headers: dict[str, str], data: dict[str, Any]) -> tuple:
        with self._lock:
            self.requests.append({"method": method, "headers": headers, "body": data})
            if self.down:
                return 503, b"<html>503 Service Unavailable</html>", {"Content-Type": "text/html"}
            if self.ratelimit > 0:
                self.ratelimit -= 1
                body = {"ok": False, "error": "ratelimited"}
                return 429, body, {"Retry-After": self.retry_after}
            token = headers.get("authorization", "").removeprefix("Bearer ")
            if token not in self.tokens:
                return self._error("invalid_auth", token)
            cid = self._resolve(str(data.get("channel") or ""))
            if cid is None:
                return self._error("channel_not_found", token)
            if cid not in self.joined:
                return self._error("not_in_channel", token)
            if method == "chat.postMessage":
                return self._post(cid, data)
            if method == "chat.update":
                return self._update(cid, data, token)
            return self._error("unknown_method", token)

    def _error(self, code: str, token: str) -> tuple:
        body: dict[str, Any] = {"ok": False, "error": code}
        if self.echo_token:
            body["warning"] = f"request with token {token} refused"
        return 200, body, {}

    def _post(self, cid: str, data: dict[str, Any]) -> tuple:
        self._clock += 1
        ts = f"{int(time.time())}.{self._clock:06d}"
        message = {
            "channel": cid,
            "ts": ts,
            "text": data.get("text", ""),
            "blocks": _blocks(data.get("blocks")),
            "thread_ts": data.get("thread_ts") or None,
            "edits": 0,
        }
        self.messages[ts] = message
        return 200, {"ok": True, "channel": cid, "ts": ts, "message": message}, {}

    def _update(self, cid: str, data: dict[str, Any], token: str) -> tuple:
        message = self.messages.get(str(data.get("ts")))
        if message is None or message["channel"] != cid:
            return self._error("message_not_found", token)
        message.update(text=data.get("text", ""), blocks=_blocks(data.get("blocks")))
        message["edits"] += 1
        return 200, {"ok": True, "channel": cid, "ts": message["ts"], "text": message["text"]}, {}


def _blocks(value: Any) -> list[Any]:
    if isinstance(value, str):  # a form body carries them as JSON text
        return json.loads(value)
    return list(value or [])


@contextmanager
def serving(fake: FakeSlack) -> Iterator[FakeSlack]:
    """Serve `fake` on 127.0.0.1 (threaded) for the block; `fake.url` is its API root."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            kind = self.headers.get("Content-Type", "")
            data = json.loads(raw or "{}") if "json" in kind else dict(parse_qsl(raw))
            headers = {k.lower(): v for k, v in self.headers.items()}
            method = self.path.removeprefix("/api/").split("?")[0]
            status, body, extra = fake.handle(method, headers, data)
            payload = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", extra.pop("Content-Type", "application/json"))
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
