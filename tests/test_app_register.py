"""`quarterdeck app register`: GitHub's App manifest flow end to end, then `serve` from
the file it wrote (issue 23, "The App registered in one step").

The command runs as a user runs it (a process), headless Chromium plays the person's
browser on its local page, and a fake GitHub (tests/fakegithub_apps.py, laid out as
GitHub Enterprise Server) answers the form and the code's conversion.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from dotenv import dotenv_values

from quarterdeck.webhook.signature import sign
from tests.browser import FLAGS, INSTALL_HINT, TIMEOUT_SECONDS
from tests.fakegithub_apps import FakeAppsGitHub
from tests.servers import served

ROOT = Path(__file__).resolve().parents[1]
HOOK = "http://127.0.0.1:8000/webhook"  # loopback: http allowed for a try on this machine
_OPEN = re.compile(r"open (http://127\.0\.0\.1:\d+/) in a browser")


@pytest.fixture
def fake() -> Iterator[FakeAppsGitHub]:
    github = FakeAppsGitHub()
    yield github
    github.close()


@dataclass
class Run:
    """A finished `quarterdeck app register`: exit code, output, the browser's last page."""

    returncode: int
    stdout: str
    stderr: str
    page: str


def _env(tmp_path: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTERDECK_", "GITHUB_"))}
    env["HOME"] = str(tmp_path)
    if api_url:
        env["GITHUB_API_URL"] = api_url
    return env


def _register(tmp_path: Path, api_url: str | None, *args: str, browse: bool = True) -> Run:
    """Run the command with --no-browser; Chromium opens the page it prints."""
    command = [sys.executable, "-m", "quarterdeck", "app", "register", "--no-browser", *args]
    process = subprocess.Popen(
        command,
        env=_env(tmp_path, api_url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert process.stdout is not None
    lines = []
    page = ""
    for line in process.stderr:
        lines.append(line)
        if (found := _OPEN.search(line)) and browse:
            page = _browse(found.group(1), tmp_path)
            break
    try:
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    return Run(process.returncode, out, "".join(lines) + err, page)


def _browse(url: str, tmp_path: Path) -> str:
    """Load `url` in headless Chromium as a person would, following the form's post and
    GitHub's redirect; the DOM of the page it ends on."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="qd-register-", dir=tmp_path) as profile:
        done = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _shipped_manifest() -> dict:
    return yaml.safe_load((ROOT / "app.yml").read_text(encoding="utf-8"))


def test_the_browser_registers_the_app_and_serve_starts_from_the_written_file(
    tmp_path: Path, fake: FakeAppsGitHub
) -> None:
    run = _register(tmp_path, fake.api_url, "--org", "acme", "--webhook-url", HOOK)

    assert run.returncode == 0, run.stderr
    assert "GitHub App registered" in run.page
    # GitHub got app.yml's manifest, sent to the organisation's form, pointed back here.
    [posted] = fake.posted
    assert posted.org == "acme"
    assert len(posted.state or "") >= 32
    shipped = _shipped_manifest()
    assert posted.manifest["name"] == shipped["name"]
    assert posted.manifest["default_permissions"] == shipped["default_permissions"]
    assert posted.manifest["default_events"] == shipped["default_events"]
    assert posted.manifest["hook_attributes"] == {"url": HOOK, "active": True}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/callback", posted.manifest["redirect_url"])
    [app] = fake.apps
    assert len(fake.conversions) == 1

    written = tmp_path / ".env"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    values = dotenv_values(written)
    assert values["QUARTERDECK_APP_ID"] == str(app["id"])
    assert values["QUARTERDECK_PRIVATE_KEY"].strip() == app["pem"].strip()
    assert values["QUARTERDECK_WEBHOOK_SECRET"] == app["webhook_secret"]
    assert values["GITHUB_API_URL"] == fake.api_url  # Enterprise Server: the API's address
    assert app["client_secret"] not in written.read_text()  # Quarterdeck uses no OAuth
    [leftover] = list(tmp_path.glob(".env*"))  # no temporary file left beside it
    assert leftover == written

    # The secrets never reach the terminal (nor the browser's page); the next steps do.
    shown = run.stdout + run.stderr + run.page
    assert app["webhook_secret"] not in shown
    for line in app["pem"].splitlines()[1:-1]:
        assert line not in shown
    assert f"next: quarterdeck serve --env-file {Path('.env')}" in run.stderr
    assert f"{app['html_url']}/installations/new" in run.stderr

    # `serve --env-file` starts from it alone; a delivery signed with its secret is taken.
    env = _env(tmp_path, None)
    env["QUARTERDECK_DELIVERIES_DB"] = str(tmp_path / "deliveries.sqlite3")
    with served(env, tmp_path, "--env-file", str(written)) as server:
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        secret = values["QUARTERDECK_WEBHOOK_SECRET"]
        assert _deliver(server.port, body, sign(secret.encode(), body)) == 200
        assert _deliver(server.port, body, sign(b"x" * 40, body)) == 401
        log = "".join(server.lines)
    assert secret not in log


def _deliver(port: int, body: bytes, signature: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            "/webhook",
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Event": "ping",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": signature,
            },
        )
        return conn.getresponse().status
    finally:
        conn.close()
