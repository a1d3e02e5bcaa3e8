"""`quarterdeck app register`: GitHub's App manifest flow end to end, then `serve` from
the file it wrote (issue 23, "The App registered in one step").

The command runs as a user runs it (a process), headless Chromium plays the person's
browser on its local page, and a fake GitHub (tests/fakegithub_apps.py, laid out as
GitHub Enterprise Server) answers the form and the code's conversion.
"""

from __future__ import annotations

import html
import http.client
import io
import json
import logging
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from dotenv import dotenv_values

from quarterdeck.core.app_manifest import (
    ManifestProblem,
    app_settings_url,
    build_manifest,
    env_file_text,
    is_loopback,
    manifest_page,
    new_app_url,
    parse_conversion,
    web_url,
    webhook_url_problem,
)
from quarterdeck.core.settings_rules import webhook_secret_problem
from quarterdeck.errors import GitHubNotFound, QuarterdeckError
from quarterdeck.services.register import (
    Registration,
    StateMismatch,
    finish_registration,
    start_registration,
)
from quarterdeck.sources.app_registration import write_private_file
from quarterdeck.webhook.env_file import apply_env_file
from quarterdeck.webhook.intake import sign
from tests.browser import FLAGS, INSTALL_HINT, TIMEOUT_SECONDS
from tests.fakegithub_apps import NOT_FOUND, UNPROCESSABLE, FakeAppsGitHub
from tests.servers import served
from tests.test_webhook_live import post
from tests.webhooks import headers

ROOT = Path(__file__).resolve().parents[1]
HOOK = "http://127.0.0.1:8000/webhook"  # loopback: http allowed for a try on this machine
QUARTERDECK = (sys.executable, "-m", "quarterdeck")
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
    """A ping signed with `signature`: the answer's status."""
    return post(port, body, {**headers("ping", body), "X-Hub-Signature-256": signature})


def _started(tmp_path: Path, api_url: str | None, *args: str) -> tuple[subprocess.Popen, str]:
    """The command started with --no-browser, and the local page's URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "quarterdeck", "app", "register", "--no-browser", *args],
        env=_env(tmp_path, api_url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if found := _OPEN.search(line):
            return process, found.group(1)
    process.wait(30)
    pytest.fail(f"no local page was offered (exit {process.returncode})")


def _get(url: str, host: str | None = None) -> tuple[int, str]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(
            "GET",
            parts.path + ("?" + parts.query if parts.query else ""),
            headers=({"Host": host} if host else {}),
        )
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def test_a_callback_with_another_state_is_refused_and_nothing_is_exchanged(
    tmp_path: Path, fake: FakeAppsGitHub
) -> None:
    process, url = _started(tmp_path, fake.api_url, "--webhook-url", HOOK)
    try:
        # A page elsewhere reaching the callback through another host name is refused.
        assert _get(url, host="attacker.example")[0] == 421
        status, page = _get(url)
        assert status == 200
        action = re.search(r'<form id="manifest-form" method="post" action="([^"]+)"', page)
        assert action is not None
        assert action.group(1).startswith(f"{fake.url}/settings/apps/new?state=")
        state = html.unescape(action.group(1)).split("state=", 1)[1]
        forged = "A" * len(state)
        status, said = _get(f"{url}callback?code=stolen-code&state={forged}")
        assert status == 400
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert "carries another `state` than this registration sent to GitHub" in err
    assert "nothing was exchanged or written" in html.unescape(said)
    assert fake.conversions == []  # the code was never presented to GitHub
    assert not (tmp_path / ".env").exists()


@pytest.mark.parametrize(
    ("refusal", "words"),
    [
        ((404, NOT_FOUND), "GitHub answered 404 while exchanging the App manifest's code"),
        ((422, UNPROCESSABLE), "GitHub answered 422 while exchanging the App manifest's code"),
    ],
)
def test_a_refused_conversion_is_reported_and_nothing_is_written(
    tmp_path: Path, fake: FakeAppsGitHub, refusal: tuple[int, dict], words: str
) -> None:
    fake.refuse = refusal
    run = _register(tmp_path, fake.api_url, "--webhook-url", HOOK)

    assert run.returncode == 1
    assert words in run.stderr
    assert refusal[1]["message"] in run.stderr  # GitHub's own words
    if refusal[0] == 422:
        assert "Name has already been taken" in run.stderr
    assert "Run `quarterdeck app register` again" in run.stderr
    assert "Traceback" not in run.stderr
    assert "Not registered" in run.page  # the browser's tab says so too
    assert len(fake.conversions) == 1
    assert list(tmp_path.glob(".env*")) == []


def test_an_existing_file_is_not_overwritten_and_github_is_never_asked(
    tmp_path: Path, fake: FakeAppsGitHub
) -> None:
    existing = tmp_path / ".env"
    existing.write_text("QUARTERDECK_APP_ID=1\n", encoding="utf-8")
    run = _register(tmp_path, fake.api_url, "--webhook-url", HOOK)

    assert run.returncode == 1
    assert f"{Path('.env')} already exists" in run.stderr
    assert "--force" in run.stderr
    assert existing.read_text(encoding="utf-8") == "QUARTERDECK_APP_ID=1\n"
    assert fake.posted == []


def test_the_browser_is_opened_and_force_replaces_the_file_keeping_it_private(
    tmp_path: Path, fake: FakeAppsGitHub
) -> None:
    existing = tmp_path / "app.env"
    existing.write_text("QUARTERDECK_APP_ID=1\n", encoding="utf-8")
    existing.chmod(0o644)
    fake.webhook_secret = False  # and GitHub sends no webhook secret: one is made
    # The person's browser, as Python's `webbrowser` finds it: $BROWSER.
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail(INSTALL_HINT)
    browser = tmp_path / "browser.sh"
    command = [chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]
    page = shlex.quote(str(tmp_path / "page.html"))
    browser.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$1" > {page}\n', encoding="utf-8")
    browser.chmod(0o755)
    env = _env(tmp_path, fake.api_url)
    env["BROWSER"] = f"{browser} %s"
    done = subprocess.run(
        [*QUARTERDECK, "app", "register", "--webhook-url", HOOK, "-o", "app.env", "--force"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert re.search(r"opened http://127\.0\.0\.1:\d+/ in your browser", done.stderr)
    assert "GitHub App registered" in (tmp_path / "page.html").read_text(encoding="utf-8")
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    values = dotenv_values(existing)
    assert values["QUARTERDECK_APP_ID"] == str(fake.apps[0]["id"])
    settings = f"{fake.url}/settings/apps/{fake.apps[0]['slug']}"
    assert (
        f"GitHub sent no webhook secret: set the one in app.env (QUARTERDECK_WEBHOOK_SECRET) "
        f"as the webhook secret on {settings}"
    ) in done.stderr
    assert values["QUARTERDECK_WEBHOOK_SECRET"] not in done.stderr + done.stdout


def test_the_wheel_ships_the_manifest(tmp_path: Path) -> None:
    """`app register` reads app.yml from the installed package, not from a clone."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = tmp_path.glob("quarterdeck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("quarterdeck/app.yml").decode()
    assert yaml.safe_load(shipped) == _shipped_manifest()


@pytest.mark.parametrize(
    ("hook", "words"),
    [
        ("http://quarterdeck.acme.dev/webhook", "--webhook-url must use https"),
        ("ftp://127.0.0.1/webhook", "--webhook-url must be an http(s) URL"),
        (None, "the webhook URL is app.yml's placeholder"),
    ],
)
def test_a_webhook_url_github_should_not_deliver_to_is_refused_before_anything_starts(
    tmp_path: Path, fake: FakeAppsGitHub, hook: str | None, words: str
) -> None:
    args = ("--webhook-url", hook) if hook else ()
    run = _register(tmp_path, fake.api_url, *args, browse=False)

    assert run.returncode == 1
    assert words in run.stderr
    assert not _OPEN.search(run.stderr)  # no page was served
    assert fake.posted == []


# --- The flow's parts, without the browser ----------------------------------------------


def _through_the_form(registration: Registration) -> tuple[str, str]:
    """Post the manifest to the fake's form as the page's form does; GitHub's redirect's
    code and state."""
    answer = requests.post(
        registration.post_url,
        data={"manifest": json.dumps(registration.manifest)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    return query["code"][0], query["state"][0]


def test_without_a_webhook_secret_from_github_one_is_made_and_the_person_told_where_it_is(
    tmp_path: Path,
) -> None:
    fake = FakeAppsGitHub(webhook_secret=False)
    try:
        registration = start_registration(
            redirect_url="http://127.0.0.1:9/callback",
            output=tmp_path / "app.env",
            webhook_url=HOOK,
            api_url=fake.api_url,
        )
        code, state = _through_the_form(registration)
        registered = finish_registration(registration, code=code, state=state)
    finally:
        fake.close()
    assert registered.secret_generated
    assert registered.settings_url == f"{fake.url}/settings/apps/{fake.apps[0]['slug']}"
    secret = dotenv_values(tmp_path / "app.env")["QUARTERDECK_WEBHOOK_SECRET"]
    assert re.fullmatch(r"[0-9a-f]{64}", secret or "")
    assert webhook_secret_problem("QUARTERDECK_WEBHOOK_SECRET", secret or "") is None


def test_a_code_works_once(tmp_path: Path, fake: FakeAppsGitHub) -> None:
    registration = start_registration(
        redirect_url="http://127.0.0.1:9/callback",
        output=tmp_path / "app.env",
        webhook_url=HOOK,
        api_url=fake.api_url,
    )
    code, state = _through_the_form(registration)
    finish_registration(registration, code=code, state=state)
    again = replace(registration, output=tmp_path / "again.env")
    with pytest.raises(GitHubNotFound, match="unknown, already used or expired"):
        finish_registration(again, code=code, state=state)
    assert not (tmp_path / "again.env").exists()


@pytest.mark.parametrize(
    ("api_url", "web"),
    [
        (None, "https://github.com"),
        ("https://api.github.com", "https://github.com"),
        ("https://api.github.com/", "https://github.com"),
        ("https://ghe.acme.dev/api/v3", "https://ghe.acme.dev"),
        ("https://ghe.acme.dev/api/v3/", "https://ghe.acme.dev"),
        ("https://ghe.acme.dev:8443/api/v3", "https://ghe.acme.dev:8443"),
        ("https://api.acme.ghe.com", "https://acme.ghe.com"),
    ],
)
def test_github_s_web_address_follows_github_api_url(api_url: str | None, web: str) -> None:
    assert web_url(api_url) == web
    assert new_app_url(web, "s1") == f"{web}/settings/apps/new?state=s1"
    assert new_app_url(web, "s1", "acme") == f"{web}/organizations/acme/settings/apps/new?state=s1"
    assert app_settings_url(web, "qd") == f"{web}/settings/apps/qd"
    assert app_settings_url(web, "qd", "acme") == f"{web}/organizations/acme/settings/apps/qd"


@pytest.mark.parametrize(
    "api_url", ["https://ghe.acme.dev/api/graphql", "https://ghe.acme.dev", "ghe.acme.dev/api/v3"]
)
def test_an_api_url_that_is_no_github_api_is_refused_with_the_forms_it_takes(api_url: str) -> None:
    with pytest.raises(ManifestProblem, match="GITHUB_API_URL"):
        web_url(api_url)


def test_the_local_page_escapes_the_manifest_and_posts_it_whole() -> None:
    manifest = {
        "name": 'Quarterdeck "><script>alert(1)</script>',
        "description": "a & b </form>",
        "hook_attributes": {"url": HOOK},
    }
    page = manifest_page(
        manifest, "https://github.com/settings/apps/new?state=a&b", "https://github.com"
    )

    assert "<script>alert(1)" not in page
    assert '</form>"' not in page
    field = re.search(r'<input type="hidden" name="manifest" value="([^"]*)">', page)
    assert field is not None
    assert json.loads(html.unescape(field.group(1))) == manifest
    assert 'action="https://github.com/settings/apps/new?state=a&amp;b"' in page


def test_the_file_is_written_private_and_a_file_appearing_meanwhile_is_kept(
    tmp_path: Path,
) -> None:
    target = tmp_path / "app.env"
    old = os.umask(0)  # the widest umask: the file must still be 0600
    try:
        write_private_file(target, "QUARTERDECK_APP_ID=1\n", force=False)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        with pytest.raises(QuarterdeckError, match="appeared while the App was being registered"):
            write_private_file(target, "QUARTERDECK_APP_ID=2\n", force=False)
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8") == "QUARTERDECK_APP_ID=1\n"
    [kept] = [p for p in tmp_path.iterdir() if p != target]
    assert kept.read_text(encoding="utf-8") == "QUARTERDECK_APP_ID=2\n"  # not lost
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


# --- --env-file ----------------------------------------------------------------------------


def test_the_operator_s_variables_win_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text(
        'QUARTERDECK_APP_ID=7\nQUARTERDECK_PRIVATE_KEY="-----BEGIN KEY-----\\nabc\\n-----END '
        'KEY-----"\nREDIS_URL=redis://file:6379/0\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    environ = {"QUARTERDECK_APP_ID": "8", "REDIS_URL": ""}
    taken = apply_env_file(path, environ)

    assert environ["QUARTERDECK_APP_ID"] == "8"  # set by the operator: kept
    assert environ["REDIS_URL"] == "redis://file:6379/0"  # set empty: the file's
    assert environ["QUARTERDECK_PRIVATE_KEY"] == "-----BEGIN KEY-----\nabc\n-----END KEY-----"
    assert sorted(taken) == ["QUARTERDECK_PRIVATE_KEY", "REDIS_URL"]


def test_serve_from_a_file_lacking_settings_lists_every_one_at_once(tmp_path: Path) -> None:
    path = tmp_path / "app.env"
    path.write_text("QUARTERDECK_APP_ID=not-a-number\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", "serve", "--port", "0", "--env-file", str(path)],
        env=_env(tmp_path, None),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "3 settings are missing or invalid" in done.stderr
    assert "QUARTERDECK_WEBHOOK_SECRET is not set" in done.stderr
    assert "QUARTERDECK_APP_ID must be a number" in done.stderr
    assert "QUARTERDECK_PRIVATE_KEY or QUARTERDECK_PRIVATE_KEY_FILE must be set" in done.stderr


@pytest.mark.parametrize("command", ["serve", "worker", "schedule"])
def test_a_missing_env_file_is_named(tmp_path: Path, command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", command, "--env-file", "nowhere.env"],
        env=_env(tmp_path, None),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "--env-file nowhere.env: cannot read it (No such file or directory)" in done.stderr
    assert "Traceback" not in done.stderr


# --- The pure rules and the service's refusals ------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("example.org", False),
        (None, False),
    ],
)
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://qd.acme.dev/webhook", None),
        ("http://localhost:8000/webhook", None),
        ("http://[::1]:8000/webhook", None),
        ("http://10.0.0.5/webhook", "--webhook-url must use https"),
        ("https://quarterdeck.example.com/webhook", "app.yml's placeholder"),
        ("qd.acme.dev/webhook", "it has no scheme"),
    ],
)
def test_webhook_urls(url: str, words: str | None) -> None:
    problem = webhook_url_problem(url)
    assert (problem is None) if words is None else (words in (problem or ""))


def test_the_manifest_is_app_yml_s_with_both_urls_set_and_the_template_untouched() -> None:
    template = _shipped_manifest()
    before = json.dumps(template, sort_keys=True)
    manifest = build_manifest(
        template, redirect_url="http://127.0.0.1:1/callback", webhook_url=HOOK
    )

    assert json.dumps(template, sort_keys=True) == before
    assert manifest["redirect_url"] == "http://127.0.0.1:1/callback"
    assert manifest["hook_attributes"] == {"url": HOOK, "active": True}
    assert {k: v for k, v in manifest.items() if k not in ("redirect_url", "hook_attributes")} == {
        k: v for k, v in template.items() if k != "hook_attributes"
    }
    with pytest.raises(ManifestProblem, match="needs at least a `name`"):
        build_manifest({"url": "x"}, redirect_url="http://127.0.0.1:1/", webhook_url=HOOK)
    with pytest.raises(ManifestProblem, match="no webhook URL"):
        build_manifest({"name": "Q"}, redirect_url="http://127.0.0.1:1/", webhook_url=None)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ([], "not a JSON object"),
        ({"id": 1, "slug": "q", "html_url": "https://github.com/apps/q"}, "lacks pem"),
        ({"id": True, "slug": "q", "html_url": "h", "pem": "k"}, "lacks id"),
        ({"id": "x1", "slug": "q", "html_url": "h", "pem": "k"}, "not a number"),
    ],
)
def test_an_answer_github_would_not_give_is_refused(answer: object, words: str) -> None:
    with pytest.raises(ManifestProblem, match=words):
        parse_conversion(answer)


def test_a_weak_webhook_secret_from_github_is_unused_and_the_file_holds_what_serve_reads() -> None:
    key = "-----BEGIN RSA PRIVATE KEY-----\r\nAAAA\r\nBBBB\r\n-----END RSA PRIVATE KEY-----\r\n"
    app = parse_conversion(
        {
            "id": 7,
            "slug": "qd",
            "name": "QD",
            "html_url": "https://github.com/apps/qd",
            "pem": key,
            "webhook_secret": "short",
            "owner": {"login": "acme"},
        }
    )
    assert app.webhook_secret is None
    assert app.owner == "acme"
    assert app.install_url == "https://github.com/apps/qd/installations/new"
    assert key not in repr(app)
    for api_url in (None, "https://api.github.com/"):
        text = env_file_text(app, "f" * 8 + "0123456789abcdef" * 4, api_url)
        assert "GITHUB_API_URL" not in text  # github.com is the default
    values = dotenv_values(stream=io.StringIO(text))
    assert values["QUARTERDECK_PRIVATE_KEY"] == key.replace("\r\n", "\n").strip()
    assert values["QUARTERDECK_APP_ID"] == "7"


def test_the_service_refuses_before_github_is_asked(tmp_path: Path) -> None:
    start = {"redirect_url": "http://127.0.0.1:9/callback", "output": tmp_path / "app.env"}
    with pytest.raises(QuarterdeckError, match="--org takes an organisation's login"):
        start_registration(**start, org="acme/web", webhook_url=HOOK)
    with pytest.raises(QuarterdeckError, match="--webhook-url must use https"):
        start_registration(**start, webhook_url="http://qd.acme.dev/webhook")
    registration = start_registration(**start, org="acme", webhook_url=HOOK)
    assert registration.post_url.startswith(
        "https://github.com/organizations/acme/settings/apps/new?"
    )
    assert 'name="manifest"' in registration.page()

    asked: list[str] = []

    def convert(code: str, *, base_url: str | None) -> dict:
        asked.append(code)
        return {"id": 1}

    with pytest.raises(StateMismatch):
        finish_registration(
            registration, code="c", state=registration.state[:-1] + "!", convert=convert
        )
    with pytest.raises(QuarterdeckError, match="without a `code`"):
        finish_registration(registration, code="", state=registration.state, convert=convert)
    assert asked == []
    with pytest.raises(QuarterdeckError, match="lacks slug, html_url, pem"):
        finish_registration(registration, code="c", state=registration.state, convert=convert)
    assert not (tmp_path / "app.env").exists()


def test_an_env_file_others_can_read_is_used_and_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "app.env"
    path.write_text("QUARTERDECK_CONFIG_TTL=30\n", encoding="utf-8")
    path.chmod(0o644)
    environ: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="quarterdeck.webhook"):
        assert apply_env_file(path, environ) == ["QUARTERDECK_CONFIG_TTL"]
    assert environ == {"QUARTERDECK_CONFIG_TTL": "30"}
    assert f"{path} can be read by other users (mode 644)" in caplog.text
    assert apply_env_file(None, environ) == []
