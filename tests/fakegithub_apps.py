"""A fake GitHub for the App manifest flow, web and API on one 127.0.0.1 port, laid out
as GitHub Enterprise Server is (web at `url`, REST API at `url + "/api/v3"`).

- `POST /settings/apps/new?state=S` and `/organizations/ORG/settings/apps/new?state=S`:
  GitHub's "new App" form. It checks the posted `manifest` field (JSON, the fields
  GitHub requires), records it, and redirects the browser to the manifest's
  `redirect_url` with a one-time `code` and the same `state` (what GitHub does once
  the person clicks "Create GitHub App").
- `POST /api/v3/app-manifests/CODE/conversions`: GitHub's answer, shaped as the REST
  docs show it, with a freshly generated RSA key; a code works once. `refuse` makes it
  answer GitHub's error shapes instead.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.webhooks import private_key_pem

DOCS = "https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest"
NOT_FOUND = {"message": "Not Found", "documentation_url": DOCS, "status": "404"}
# GitHub's "validation-error-simple": the reasons are plain strings.
UNPROCESSABLE = {
    "message": "Validation Failed",
    "errors": ["Name has already been taken"],
    "documentation_url": DOCS,
    "status": "422",
}
_NEW_APP = re.compile(r"^(?:/organizations/(?P<org>[A-Za-z0-9-]+))?/settings/apps/new$")
_CONVERSION = re.compile(r"^/api/v3/app-manifests/(?P<code>[^/]+)/conversions$")


@dataclass
class Posted:
    """One manifest posted to the form, as GitHub received it."""

    org: str | None
    state: str | None
    manifest: dict[str, Any]


@dataclass
class FakeAppsGitHub:
    """Serve until `close()`; `posted`, `conversions` and `apps` record what happened."""

    webhook_secret: bool = True  # False: the answer's `webhook_secret` is null
    refuse: tuple[int, dict[str, Any]] | None = None  # the conversion's error answer
    posted: list[Posted] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)  # the codes presented
    apps: list[dict[str, Any]] = field(default_factory=list)  # the answers given
    problems: list[str] = field(default_factory=list)  # manifests the form refused
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                parts = urlsplit(self.path)
                if m := _NEW_APP.match(parts.path):
                    fake._form(self, m["org"], parse_qs(parts.query), body)
                elif m := _CONVERSION.match(parts.path):
                    status, answer = fake._convert(m["code"], self.headers)
                    self._json(status, answer)
                else:
                    self._json(404, NOT_FOUND)

            def _json(self, status: int, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.api_url = f"{self.url}/api/v3"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)

    def _form(
        self,
        handler: BaseHTTPRequestHandler,
        org: str | None,
        query: dict[str, list[str]],
        body: str,
    ) -> None:
        form = parse_qs(body)
        state = (query.get("state") or [None])[0]
        try:
            manifest = json.loads(form["manifest"][0])
        except (KeyError, ValueError) as exc:
            self.problems.append(f"no JSON manifest field: {exc!r}")
            handler.send_error(400, "no manifest")
            return
        problem = _manifest_problem(manifest)
        if problem:
            self.problems.append(problem)
            handler.send_error(422, problem)
            return
        self.posted.append(Posted(org, state, manifest))
        code = secrets.token_hex(10)
        self._codes[code] = manifest
        target = manifest["redirect_url"] + "?" + urlencode({"code": code, "state": state or ""})
        handler.send_response(302)
        handler.send_header("Location", target)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def _convert(self, code: str, headers: Any) -> tuple[int, dict[str, Any]]:
        self.conversions.append(code)
        if self.refuse is not None:
            return self.refuse
        manifest = self._codes.pop(code, None)  # a code works once
        if manifest is None or headers.get("Authorization"):
            # GitHub wants no credentials here; one sent would be a Quarterdeck bug.
            return 404, NOT_FOUND
        number = 900000 + len(self.apps) + 1
        slug = manifest["name"].lower().replace(" ", "-") + f"-{number}"
        answer = {
            "id": number,
            "slug": slug,
            "node_id": "MDM6QXBwNTk=",
            "client_id": f"Iv1.{secrets.token_hex(8)}",
            "owner": {"login": "octocat", "id": 1, "type": "User"},
            "name": manifest["name"],
            "description": manifest.get("description", ""),
            "external_url": manifest.get("url", ""),
            "html_url": f"{self.url}/apps/{slug}",
            "created_at": "2026-12-07T04:00:00Z",
            "updated_at": "2026-12-07T04:00:00Z",
            "permissions": manifest.get("default_permissions", {}),
            "events": manifest.get("default_events", []),
            "installations_count": 0,
            "client_secret": secrets.token_hex(20),
            "webhook_secret": secrets.token_hex(20) if self.webhook_secret else None,
            "pem": private_key_pem(),
        }
        self.apps.append(answer)
        return 201, answer


def _manifest_problem(manifest: Any) -> str | None:
    """What GitHub's form would refuse in `manifest`, or None."""
    if not isinstance(manifest, dict):
        return "the manifest is not a JSON object"
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or not str(hook.get("url", "")).startswith(
        ("http://", "https://")
    ):
        return "hook_attributes.url is required"
    for key in ("name", "url", "redirect_url"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            return f"{key} is required"
    return None
