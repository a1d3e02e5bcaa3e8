"""The claims of SECURITY.md that no other test file proves, one test (or case) each.

Secrets are recognisable canaries, so a leak anywhere (stdout, stderr, a log record
with its traceback, an HTTP answer, an exception message) is found by plain search.
The key is a real RSA key generated here, so the App really signs its JWT with it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from flask import Flask

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.text.render import make_environment, render
from quarterdeck.errors import TemplateError
from quarterdeck.resources import resource
from quarterdeck.services import templates
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.templates import Limits, render_template
from quarterdeck.sources.github import client as github_client
from quarterdeck.webhook.deliveries import owner_token
from quarterdeck.webhook.intake import sign
from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.runtime import build_runtime
from quarterdeck.webhook.server import create_app
from quarterdeck.webhook.settings import SettingsError, load_settings
from tests import test_action
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import CONFIG, GOALS, seed_github, small_repo
from tests.servers import served
from tests.webhooks import (
    FILES,
    REPO,
    encode,
    fixed_loader,
    headers,
    merged_pr,
    ours,
    private_key_pem,
    settings,
)

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "WHSEC-canary-3f9a1c77-5e0b2d94a8c6"
TOKEN = "ghp_CANARYtoken0123456789abcdefABCDEF01"
REDIS_PASSWORD = "REDISPW-canary-b7e2d4"


@pytest.fixture(scope="module")
def pem() -> str:
    """A real RSA private key, as GitHub's .pem download holds one."""
    return private_key_pem()


def leaks(text: str, pem: str) -> list[str]:
    """Every canary found in `text`: the secrets, the token, or any line of the key."""
    key_lines = [line for line in pem.splitlines() if "-----" not in line]
    found = [c for c in (WEBHOOK_SECRET, TOKEN, REDIS_PASSWORD) if c in text]
    return found + [f"key line {i}" for i, line in enumerate(key_lines) if line[:40] in text]


class Captured(logging.Handler):
    """Every log record, formatted with its traceback, with no redaction at all: what
    the code itself logs, before the safety net of RedactSecrets."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.__dict__))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def app_env(pem: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "QUARTERDECK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "QUARTERDECK_APP_ID": "4242",
        "QUARTERDECK_PRIVATE_KEY": pem,
        "QUARTERDECK_DELIVERIES_DB": str(tmp_path / "deliveries.sqlite3"),
        **extra,
    }


# --------------------------------------------------------------------------- secrets


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's real client factory, minus PyGithub's one-second pause between writes."""
    real = github_client.connect

    def connect(token: str | None, **options: Any) -> Any:
        return real(token, seconds_between_writes=0, seconds_between_requests=0, **options)

    monkeypatch.setattr(github_client, "connect", connect)


def _goals_checkout(tmp_path: Path) -> Path:
    """A checkout holding the config and goals files, as `goals sync` reads them."""
    root = tmp_path / "checkout"
    (root / ".github").mkdir(parents=True)
    (root / ".github" / "quarterdeck.yml").write_text(CONFIG, encoding="utf-8")
    (root / "goals").mkdir()
    goals = GOALS.replace("  issue: 12\n", "")  # an issue the fake has not got
    (root / "goals" / "2026-Q4.yml").write_text(goals, encoding="utf-8")
    return root


CLI_RUNS = {
    # name: (argv, fault (method, path regex, status) or None, expected exit code)
    "review --github, token rejected": (
        ["-v", "review", "--github", "acme/web", "--month", "2026-11"],
        ("POST", "/graphql", 401),
        1,
    ),
    "review --github --token, repo missing": (
        ["review", "--github", "acme/nope", "--month", "2026-11", "--token", TOKEN],
        None,
        1,
    ),
    "review --publish, write refused": (
        ["-v", "review", "--github", "acme/web", "--month", "2026-11", "--publish"],
        ("POST", r"/issues$", 403),
        1,
    ),
    "review --dry-run": (
        ["-v", "review", "--github", "acme/web", "--month", "2026-11", "--dry-run"],
        None,
        0,
    ),
    "goals sync, label refused": (
        ["-v", "goals", "sync", "--github", "acme/web", "--quarter", "2026-Q4"],
        ("POST", r"/labels$", 403),
        1,
    ),
    "goals sync --dry-run --token": (
        ["goals", "sync", "--github", "acme/web", "--dry-run", "--token", TOKEN],
        None,
        0,
    ),
}


@pytest.mark.usefixtures("unthrottled")
@pytest.mark.parametrize("run", CLI_RUNS)
def test_cli_never_shows_a_secret(
    run: str,
    github: FakeGitHub,
    tmp_path: Path,
    pem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    captured: Captured,
) -> None:
    argv, fault, code = CLI_RUNS[run]
    seed_github(github)
    for name, value in app_env(pem, tmp_path, GITHUB_TOKEN=TOKEN).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDIS_URL", f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    if fault:
        github.fail(*fault, body={"message": "Bad credentials" if fault[2] == 401 else "No"})
    if "goals" in argv:
        argv = [*argv, "--repo", str(_goals_checkout(tmp_path))]

    assert main(argv) == code
    out, err = capsys.readouterr()

    assert github.calls, "the run reached the fake GitHub"
    assert {c.headers.get("Authorization") for c in github.calls} == {f"token {TOKEN}"}
    assert leaks(out + err + captured.text, pem) == []
    if code:
        assert err.startswith("quarterdeck: ") or "\nquarterdeck: " in err
        assert "Traceback" not in err


def test_webhook_never_logs_or_answers_a_secret(
    github: FakeGitHub, tmp_path: Path, pem: str, captured: Captured
) -> None:
    # The App exactly as served: settings from the environment, the real App client
    # (JWT signed with the key, then an installation token), the real config loader.
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    github.fail("POST", r"/comments$", 403)  # the handler fails, logged with its traceback
    loaded = load_settings(app_env(pem, tmp_path))
    app = create_app(loaded)
    client = app.test_client()
    body = encode(merged_pr())
    good = headers("pull_request", body)
    good["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET.encode(), body)
    deep = b"[" * 100_000
    answers = [
        client.post("/webhook", data=body, headers=good),
        client.post("/webhook", data=body, headers=good),  # the same delivery again
        client.post("/webhook", data=body, headers={**good, "X-Hub-Signature-256": "sha256=0"}),
        client.post("/webhook", data=b"{", headers={**good, "X-Hub-Signature-256": "x"}),
        client.post(
            "/webhook",
            data=deep,
            headers={**good, "X-Hub-Signature-256": sign(WEBHOOK_SECRET.encode(), deep)},
        ),
    ]
    assert app.extensions["quarterdeck"].queue.wait_idle(10)
    # Redis named with a password but unreachable: claims fail, logged with a traceback.
    with_redis = app_env(pem, tmp_path, REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0")
    redis_app = create_app(load_settings(with_redis)).test_client()
    answers.append(redis_app.post("/webhook", data=body, headers=good))
    errors: list[str] = []
    for broken in ({"QUARTERDECK_APP_ID": TOKEN}, {"GITHUB_API_URL": "ftp://x"}):
        with pytest.raises(SettingsError) as info:
            load_settings({**with_redis, **broken})
        errors.append(str(info.value))

    assert [a.status_code for a in answers] == [202, 200, 401, 401, 400, 503]
    assert github.count("POST", r"^/app/installations/42/access_tokens$") == 1
    assert "delivery dropped" in captured.text
    shown = "\n".join(a.get_data(as_text=True) for a in answers) + "\n".join(errors)
    shown += repr(loaded) + str(loaded) + repr(app.extensions["quarterdeck"])
    assert leaks(shown + captured.text, pem) == []
    assert "ghs_fake_installation_token" not in captured.text  # nor the installation token


def test_server_and_worker_commands_never_show_a_secret(
    tmp_path: Path,
    pem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in app_env(pem, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDIS_URL", f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        worker = main(["worker", "--burst"])  # Redis is down: a message, not a traceback
        monkeypatch.setenv("QUARTERDECK_PRIVATE_KEY", "not a key " + TOKEN)
        serve = main(["serve", "--port", "1"])
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    out, err = capsys.readouterr()

    assert (worker, serve) == (1, 1)
    assert "cannot use Redis at redis://:***@127.0.0.1:1/0" in err
    assert "QUARTERDECK_PRIVATE_KEY does not hold a PEM private key" in err
    assert "Traceback" not in err
    assert leaks(out + err, pem) == []


def test_pygithub_logs_go_through_the_redaction_filter_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging([TOKEN])
        logging.getLogger("github").warning("retrying with %s", TOKEN)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert err.count("retrying with") == 1  # not again, raw, through PyGithub's handler
    assert '"message": "retrying with [redacted]"' in err
    assert TOKEN not in err


def test_the_action_step_never_shows_the_token(
    github: FakeGitHub, tmp_path: Path, pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_github(github)
    github.fail("POST", "/graphql", 401, body={"message": "Bad credentials"})
    runs: list[subprocess.CompletedProcess[str]] = []
    real_run = subprocess.run

    def recording(*args: Any, **kwargs: Any) -> Any:
        done = real_run(*args, **kwargs)
        runs.append(done)
        return done

    monkeypatch.setattr(test_action.subprocess, "run", recording)
    with test_action.served(github) as api_url:
        code, outputs, summary = test_action.run_action(
            tmp_path, api_url, {"token": TOKEN, "month": "2026-11"}
        )

    (done,) = runs
    assert code == 1
    assert "GitHub answered 401" in done.stderr
    assert {c.headers.get("Authorization") for c in github.calls} == {f"token {TOKEN}"}
    assert leaks(done.stdout + done.stderr + outputs + summary, pem) == []


def test_action_inputs_cannot_inject_shell(github: FakeGitHub, tmp_path: Path) -> None:
    seed_github(github)
    evil = "$(touch pwned1)`touch pwned2`; touch pwned3 #"
    with test_action.served(github) as api_url:
        code, _, stderr = test_action.run_action(
            tmp_path, api_url, {"month": evil, "team": evil, "config-path": evil}
        )

    # The inputs reached quarterdeck each as one argument, and the first was refused.
    assert code == 2
    assert f"Invalid value for '--config': {evil!r} is not a file inside" in stderr
    assert not list(tmp_path.glob("pwned*"))
    assert github.calls == []


# --------------------------------------------------------------------------- permissions, state


def test_app_manifest_asks_for_least_permissions() -> None:
    manifest = yaml.safe_load((ROOT / "app.yml").read_text(encoding="utf-8"))
    assert manifest["default_permissions"] == {
        "issues": "write",
        "pull_requests": "write",
        "contents": "read",
        "metadata": "read",
    }
    assert manifest["default_events"] == ["pull_request", "issues", "push"]
    assert manifest["public"] is False


def test_the_dedup_store_holds_only_delivery_ids_and_times(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path), queue=_NullQueue())
    body = encode({"action": "opened", "issue": {"number": 1, "title": "private words"}})
    sent = headers("issues", body, delivery="5e1f0000-aaaa-4bbb-8ccc-000000000001")
    assert app.test_client().post("/webhook", data=body, headers=sent).status_code == 202

    with sqlite3.connect(tmp_path / "deliveries.sqlite3") as db:
        tables = db.execute("SELECT name, sql FROM sqlite_master WHERE type='table'").fetchall()
        rows = db.execute("SELECT * FROM deliveries").fetchall()
    assert [t[0] for t in tables] == ["deliveries", "locks"]
    assert [r[0] for r in rows] == ["5e1f0000-aaaa-4bbb-8ccc-000000000001"]
    # id, claimed-at, owner (host:pid:start), done; the delivery itself is kept only by
    # a queue that does the work here, until it ends (tests/test_crash_recovery.py).
    assert len(rows[0]) == 6
    assert isinstance(rows[0][1], float)
    assert rows[0][2] == owner_token()
    assert rows[0][4:] == (None, None)
    assert b"private words" not in (tmp_path / "deliveries.sqlite3").read_bytes()
    # A lock held (as a worker holds one for a goal issue) is a hash, a holder, a time.
    held = app.extensions["quarterdeck"].processor.locks("acme/private-plans#7")
    with held, sqlite3.connect(tmp_path / "deliveries.sqlite3") as db:
        (lock,) = db.execute("SELECT * FROM locks").fetchall()
    assert "private-plans" not in repr(lock)
    assert re.fullmatch(r"[0-9a-f]{64}", lock[0])
    assert isinstance(lock[2], float)


def test_reprs_never_show_a_secret(tmp_path: Path, pem: str) -> None:
    env = app_env(pem, tmp_path, REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0")
    loaded = load_settings(env)
    runtime = build_runtime(loaded)
    shown = repr(loaded) + str(loaded) + repr(runtime) + str(loaded.redis_display)
    assert leaks(shown, pem) == []
    assert loaded.webhook_secret.get_secret_value() == WEBHOOK_SECRET  # the value is there, unseen


# --------------------------------------------------------------------------- forged and replayed


class _NullQueue:
    def __init__(self) -> None:
        self.deliveries: list[Any] = []

    def enqueue(self, delivery: Any) -> None:
        self.deliveries.append(delivery)


def test_a_valid_signature_over_a_different_body_is_refused(tmp_path: Path) -> None:
    queue = _NullQueue()
    client = create_app(settings(tmp_path), queue=queue).test_client()
    signed = encode({"action": "opened", "issue": {"number": 1}})
    for other in (
        encode({"action": "opened", "issue": {"number": 2}}),
        signed + b" ",  # one trailing byte
        signed.replace(b": ", b":"),  # the same JSON, other bytes
    ):
        sent = headers("issues", signed)  # signed over `signed`, sent with `other`
        assert client.post("/webhook", data=other, headers=sent).status_code == 401
    assert queue.deliveries == []


def test_a_replayed_delivery_does_no_work_twice(tmp_path: Path, github: FakeGitHub) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    app = create_app(
        settings(tmp_path),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    github.hold_pull(REPO, merged_pr())
    body = encode(merged_pr())
    sent = headers("pull_request", body, delivery="9a9a9a9a-0000-4000-8000-000000000001")
    client = app.test_client()
    assert client.post("/webhook", data=body, headers=sent).status_code == 202
    assert app.extensions["quarterdeck"].queue.wait_idle(10)
    calls = len(github.calls)

    replay = client.post("/webhook", data=body, headers=sent)
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    assert replay.status_code == 200
    assert replay.get_json()["status"] == "duplicate"
    assert len(github.calls) == calls  # not one request: no work at all
    assert len(fake.comments_on(2)) == 1


# --------------------------------------------------------------------------- hostile bodies

# Parses, and has the `issue` object an issues delivery needs, but nests 203 levels.
_DEEP_OK_BUT_TOO_DEEP = b'{"issue": {"number": 1, "x": ' + b"[" * 200 + b"]" * 200 + b"}}"
HOSTILE_BODIES = {
    "truncated JSON": (b'{"action": "opened", "issue": {"num', 400),
    "100,000 levels of [": (b"[" * 100_000, 400),
    '100,000 levels of {"a":': (b'{"a":' * 100_000, 400),
    "200 levels, well-formed": (_DEEP_OK_BUT_TOO_DEEP, 400),
    "invalid UTF-8": (b'{"action": "\xff\xfe"}', 400),
    "NaN and huge numbers": (b'{"action": "opened", "issue": {"number": NaN, "x": 1e999}}', 202),
}


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize("case", HOSTILE_BODIES)
def test_hostile_bodies_get_a_4xx_never_a_5xx(tmp_path: Path, case: str, form: bool) -> None:
    queue = _NullQueue()
    client = create_app(settings(tmp_path, max_body_bytes=2 * 1024 * 1024), queue=queue)
    raw, status = HOSTILE_BODIES[case]
    sent = headers("issues", raw)
    if form:
        raw = urlencode({"payload": raw.decode("utf-8", "replace")}).encode()
        sent = {**headers("issues", raw), "Content-Type": "application/x-www-form-urlencoded"}

    answer = client.test_client().post("/webhook", data=raw, headers=sent)

    if status == 202:  # odd but valid JSON: accepted like any other delivery
        assert answer.status_code == 202
    else:
        assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)
        assert queue.deliveries == []


@pytest.fixture(scope="module")
def served_app(tmp_path_factory: pytest.TempPathFactory, pem: str) -> Iterator[tuple[int, list]]:
    """`quarterdeck serve` (uvicorn) on 127.0.0.1 with a 1 MB body cap: (port, its log lines)."""
    cap = str(1024 * 1024)
    with serving(tmp_path_factory.mktemp("serve"), pem, QUARTERDECK_MAX_BODY_BYTES=cap) as app:
        yield app


@contextmanager
def serving(home: Path, pem: str, **extra: str) -> Iterator[tuple[int, list[str]]]:
    """Run `quarterdeck serve` on 127.0.0.1 with `extra` settings: (port, its log lines)."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(home),
        **app_env(pem, home, **extra),
    }
    with served(env, home) as running:
        yield running.port, running.lines


def _exchange(port: int, head: bytes, body: Any = (), timeout: float = 10) -> bytes:
    """Send `head` and the `body` chunks from a thread; return the first bytes answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:

        def send() -> None:
            try:
                sock.sendall(head)
                for chunk in body:
                    sock.sendall(chunk)
            except OSError:
                pass  # the server answered and closed: it need not read the rest

        threading.Thread(target=send, daemon=True).start()
        return sock.recv(64)


def _head(extra: str) -> bytes:
    sig = sign(WEBHOOK_SECRET.encode(), b'{"zen": "x"}')
    return (
        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "X-GitHub-Event: issues\r\nX-GitHub-Delivery: 1b2c3d4e-0000-4000-8000-000000000001\r\n"
        f"X-Hub-Signature-256: {sig}\r\n{extra}\r\n"
    ).encode()


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    for _ in range(total // size):
        yield b"%x\r\n" % size + b"a" * size + b"\r\n"
    yield b"0\r\n\r\n"


RAW_REQUESTS = {
    "Content-Length of 1 GB, small body": (
        _head("Content-Length: 1073741824\r\n"),
        [b'{"zen": "x"}'],
        413,
    ),
    "chunked 50 MB": (_head("Transfer-Encoding: chunked\r\n"), _chunks(50 * 1024 * 1024), 413),
    "chunked without end": (_head("Transfer-Encoding: chunked\r\n"), _chunks(10**12), 413),
    "negative Content-Length": (_head("Content-Length: -1\r\n"), [b"{}"], 400),
    "Content-Length not a number": (_head("Content-Length: lots\r\n"), [b"{}"], 400),
}


@pytest.mark.parametrize("case", RAW_REQUESTS)
def test_lying_or_huge_requests_to_the_real_server(served_app: tuple[int, list], case: str) -> None:
    port, _ = served_app
    head, body, status = RAW_REQUESTS[case]
    started = time.monotonic()

    answer = _exchange(port, head, body)

    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer
    assert time.monotonic() - started < 10


def test_a_content_length_lie_under_the_cap_holds_one_thread_not_the_server(
    served_app: tuple[int, list],
) -> None:
    port, lines = served_app
    with socket.create_connection(("127.0.0.1", port), timeout=10) as liar:
        liar.sendall(_head("Content-Length: 500000\r\n") + b'{"zen": "x"}')  # then silence
        answers = _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
        assert answers.startswith(b"HTTP/1.1 200")
    assert leaks("".join(lines), "") == []


# --------------------------------------------------------------------------- templates and titles

HOSTILE_TEMPLATES = {
    "attribute escape": "{{ ''.__class__.__mro__ }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "import os": "{% import os %}",
    "import 'os'": "{% import 'os' as os %}",
    "include a file outside": "{% include '../../../../../../etc/passwd' %}",
    "globals of a helper": "{{ cycler.__init__.__globals__ }}",
    "format string": "{{ '{0.__class__}'.format('') }}",
    "division by zero": "{{ 1 / 0 }}",
    "range past the sandbox limit": "{{ range(10**9) | list }}",
}


@pytest.mark.parametrize("case", HOSTILE_TEMPLATES)
def test_a_hostile_template_is_a_clean_template_error(tmp_path: Path, case: str) -> None:
    (tmp_path / "review.md.j2").write_text(HOSTILE_TEMPLATES[case], encoding="utf-8")
    with pytest.raises(TemplateError, match=r"review\.md\.j2") as info:
        render(make_environment([tmp_path]), "review.md.j2")
    assert "root:" not in str(info.value)  # /etc/passwd was never read


def test_a_hostile_repo_template_fails_the_cli_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo: GitRepo = small_repo(tmp_path / "repo")
    override = repo.path / ".github" / "quarterdeck" / "templates"
    override.mkdir(parents=True)
    (override / "review.md.j2").write_text("{{ ''.__class__.__mro__ }}\n", encoding="utf-8")

    code = main(["review", "--repo", str(repo.path), "--month", "2026-11"])

    err = capsys.readouterr().err
    assert code == 1
    assert "quarterdeck: review.md.j2: line 1: access to attribute '__class__' of 'str'" in err
    assert "Traceback" not in err


# Each of these hung `review --github` (the Action's path) for over 60 s, or filled
# memory, before repo templates rendered in a limited child process.
COSTLY_TEMPLATES = {
    "nested range": (
        "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
        "limit of 1 s of rendering",
    ),
    "lipsum(10**6)": ("{{ lipsum(10**6) }}", "limit of 1 s of rendering"),
    "'x' * 10**7": ("{{ 'x' * 10**7 }}", "limit of 100,000 characters"),
    "'x' * 10**8": ("{{ 'x' * 10**8 }}", "limit of 64 MB of memory"),
    "'x' * 10**10": ("{{ 'x' * 10**10 }}", "limit of 64 MB of memory"),
    "a huge range loop writing": (
        "{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}",
        "limit of 100,000 characters",
    ),
}
_TIGHT = Limits(seconds=1, output_chars=100_000, memory_bytes=64 * 2**20)


@pytest.mark.parametrize("case", COSTLY_TEMPLATES)
def test_a_costly_repo_template_is_stopped_at_a_limit(case: str) -> None:
    source, limit = COSTLY_TEMPLATES[case]
    # Only the time cases get the 1 s clock: on a busy machine, building 10 MB can take
    # over a second, and the case is about which limit stops it, not how fast it is.
    limits = _TIGHT if "limit of 1 s" in limit else replace(_TIGHT, seconds=60)
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        render_template({"review.md.j2": source}, "review.md.j2", limits)
    # The limit, then the kill; the rest is margin for a busy machine.
    assert time.monotonic() - started < 15 + (limits.seconds or 0)
    assert str(info.value).startswith("review.md.j2: ")
    assert limit in str(info.value)


def test_a_costly_repo_template_fails_review_github_and_publishes_nothing(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = seed_github(github)
    # Only the second team's review loops: the first must not be published either.
    costly = (
        "{% if review.team.slug == 'growth' %}{% for a in range(99999) %}"
        "{% for b in range(99999) %}{% endfor %}{% endfor %}{% endif %}fine\n"
    )
    remote.files[".github/quarterdeck/templates/review.md.j2"] = costly
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    monkeypatch.setattr(templates, "LIMITS", Limits(seconds=1))
    started = time.monotonic()

    code = main(["review", "--github", "acme/web", "--month", "2026-11", "--publish"])

    err = capsys.readouterr().err
    assert code == 1
    assert time.monotonic() - started < 30
    assert "quarterdeck: review.md.j2: the repo template ran past the limit of 1 s" in err
    assert "Traceback" not in err
    assert github.writes == []


def test_a_normal_repo_template_renders_as_it_does_in_process(github: FakeGitHub) -> None:
    seed_github(github)
    bundled = resource("templates")
    overrides = {p.name: p.read_text(encoding="utf-8") for p in bundled.glob("*.j2")}
    review = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews[0]
    in_process = render_review(review)
    assert review.templates == {}
    in_child = render_review(dataclasses.replace(review, templates=overrides))
    assert in_child == in_process
    assert "Growth review: analytics" in in_child


HOSTILE_TITLE = (
    "@everyone @acme/admins <script>alert(1)</script> <img src=x onerror=alert(1)> "
    "[x](javascript:alert(1)) ![i](https://evil.example/p.png) **b** _i_ ~~s~~ `c` | pipe \\ "
    "{{ 7*7 }} {% raw %} &#64;everyone &amp; \u202eevil\u202c \u2066iso\u2069 \x00\x1b[31m "
    "line\nbreak\r\n# heading\n- item <!-- c --> a@b.co @@twice <@U123> " + "x" * 100_000
)


def _assert_inert(text: str, *, leads: list[str]) -> None:
    doc = parse(text)
    assert doc.mentions == leads
    assert not [h for h in doc.raw_html if re.search(r"<(script|img|a |!--\s*c)", h)]
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069\x00\x1b]", text)
    assert "x" * 1000 not in text  # 100 KB of title was cut short
    assert "49" not in text.replace("2049", "")  # {{ 7*7 }} was never run
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # no link, only escaped text


def test_a_hostile_title_in_the_review(github: FakeGitHub) -> None:
    seed_github(github)
    github.add_pull(
        "acme/web", 9, HOSTILE_TITLE, "2026-11-20T12:00:00Z", author="bob",
        body="Part of #12 " + HOSTILE_TITLE, files=("web/insights/z.py",),
        branch=HOSTILE_TITLE[:200],
    )  # fmt: skip
    reviews = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews
    analytics = next(r for r in reviews if r.team and r.team.slug == "analytics")

    text = render_review(analytics)

    assert re.search(
        r'\[#9\]\(https://github\.com/acme/web/pull/9 "[^"\n]+"\) '
        r"`@everyone` `@acme/admins` &lt;script&gt;",
        text,
    )
    _assert_inert(text, leads=["@a"])  # the one mention: the lead, in the decision section


def test_a_hostile_title_in_the_pr_comment_and_the_goal_issue(
    tmp_path: Path, github: FakeGitHub
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    app: Flask = create_app(
        settings(tmp_path),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    payload = merged_pr(title=HOSTILE_TITLE, body="Goal: #1\n\n" + HOSTILE_TITLE)
    github.hold_pull(REPO, payload)
    payload["pull_request"]["head"]["ref"] = HOSTILE_TITLE[:300]
    body = encode(payload)
    assert app.test_client().post("/webhook", data=body, headers=headers("pull_request", body))
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    (comment,) = fake.comments_on(2)
    _assert_inert(comment["body"], leads=[])
    _assert_inert(fake.issues[1]["body"], leads=[])
    assert "#2 `@everyone`" in fake.issues[1]["body"]


def test_every_test_security_md_names_exists() -> None:
    # Each claim names the test that proves it; a renamed or deleted test must not leave
    # a claim standing on nothing.
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`", text)
    assert len(named) > 50  # the claims are there to check
    missing = []
    for file, name in named:
        path = ROOT / file
        source = path.read_text(encoding="utf-8") if path.exists() else ""
        if not re.search(rf"^def {name}\(", source, re.MULTILINE):
            missing.append(f"{file}::{name}")
    assert missing == []
