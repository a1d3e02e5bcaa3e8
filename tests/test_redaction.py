"""Secrets redacted at the edge: the one redactor, and canary tests over every path
that can show GitHub's answer.

The fake GitHub echoes each request's `Authorization` header back in its error
answers (the message, a field, the `errors` list and a response header), as a proxy
or GitHub Enterprise may. The canaries are made fresh for each run: an *opaque* token
(40 hex digits, as classic tokens were, so only registration can hide it) and a
*shaped* one (`ghp_…`). Every CLI command that talks to GitHub is found from the
parser itself, so a new one is covered or fails `test_every_command_is_covered`.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import secrets
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest
import redis
import responses
from sqlalchemy.engine import make_url

from quarterdeck import redact as redact_module
from quarterdeck.cli import main, root
from quarterdeck.core.outbound_policy import PostHogAccess
from quarterdeck.errors import GitHubRefused, MetricSourceError, QuarterdeckError
from quarterdeck.redact import REDACTED, RedactFilter, Redactor, register
from quarterdeck.sources import posthog, warehouse
from quarterdeck.sources.github import client as github_client
from quarterdeck.webhook.intake import sign
from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.queues import BackgroundQueue
from quarterdeck.webhook.server import create_app
from quarterdeck.webhook.settings import load_settings
from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.redisdb import REDIS_URL
from tests.reviewrepos import CONFIG, GOALS, seed_github
from tests.webhooks import FILES, REPO, encode, headers, merged_pr, private_key_pem

ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


OPAQUE = secrets.token_hex(20)  # a classic 40-hex token: no shape betrays it
SHAPED = "ghp_" + _random(ALNUM, 36)
INSTALLATION = "v1." + secrets.token_hex(20)  # GHES hands out tokens of this shape too
WEBHOOK_SECRET = "whsec-" + secrets.token_hex(16)


@pytest.fixture(scope="module")
def pem() -> str:
    return private_key_pem()


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real clients with the real retry policy, minus its sleeps and PyGithub's pause
    between writes; the App's in-process retries come at once."""
    real = github_client._options

    def options(base_url: str | None, given: dict[str, Any]) -> dict[str, Any]:
        made = real(base_url, given)
        # Assigned, not defaulted: `_options` sets the shipped pacing itself.
        made["seconds_between_writes"] = 0
        made["seconds_between_requests"] = 0
        made["retry"] = github_client.retry_policy(sleep=lambda s: None)
        return made

    monkeypatch.setattr(github_client, "_options", options)
    monkeypatch.setitem(BackgroundQueue.__init__.__kwdefaults__, "delays", (0.0, 0.0, 0.0))


class Logs:
    """Every record at DEBUG through a handler of the root logger, as printed."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@pytest.fixture
def root_logs() -> Iterator[Logs]:
    logs = Logs()
    root, library = logging.getLogger(), logging.getLogger("github")
    saved = root.handlers[:], root.level, library.level
    root.handlers[:] = [logs.handler]
    root.setLevel(logging.DEBUG)
    library.setLevel(logging.DEBUG)  # PyGithub's own default is INFO
    try:
        yield logs
    finally:
        root.handlers[:], level, library_level = saved
        root.setLevel(level)
        library.setLevel(library_level)


# --------------------------------------------------------------------------- the redactor


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: token abc123def456", "abc123def456"),
        ('{"authorization": "Bearer abc.def.ghi"}', "abc.def.ghi"),
        (f"echoed {SHAPED} back", SHAPED),
        ("gho_" + "A" * 36, "gho_" + "A" * 36),
        ("ghs_" + "b1" * 18, "ghs_" + "b1" * 18),
        ("ghu_" + "c2" * 18, "ghu_" + "c2" * 18),
        ("github_pat_11ABCDEFG0" + "x" * 40, "github_pat_11ABCDEFG0" + "x" * 40),
        ("phc_" + "k" * 30 + " was refused", "phc_" + "k" * 30),
        ("Bearer " + "q1w2e3r4" * 4, "q1w2e3r4" * 4),
        ("sent token " + "0f" * 20 + " to GitHub", "0f" * 20),
        (
            "jwt eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiI0MiJ9.c2lnbmF0dXJlLXBhcnQ",
            "eyJpc3MiOiI0MiJ9",
        ),
        ('{"token": "v1.0123456789abcdef", "expires_at": "2030"}', "v1.0123456789abcdef"),
        ("redis://:pa55w0rd@cache:6379/0 down", "pa55w0rd"),
        ("postgresql+psycopg://app:s3cr%40t@db/warehouse", "s3cr%40t"),
        ("key -----BEGIN RSA PRIVATE KEY-----\nMIIEo\n-----END RSA PRIVATE KEY----- end", "MIIEo"),
        ("cut -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg", "MIIEvQIBADANBg"),
        ("Slack refused xoxb-1234567890-0987654321-AbCdEfGh", "xoxb-1234567890-0987654321"),
        ("user token xoxp-1234-5678-90ab-cdef0123 sent", "xoxp-1234-5678-90ab"),
        ("app token xapp-1-A0123-456-abcdef0123456789 sent", "xapp-1-A0123-456"),
        ("refresh xoxe.xoxp-1-Mi0yLTEyMzQ1Ng sent", "xoxe.xoxp-1-Mi0yLTEyMzQ1Ng"),
    ],
)
def test_secret_shapes_are_hidden_without_being_registered(text: str, hidden: str) -> None:
    clean = Redactor().clean(text)
    assert hidden not in clean
    assert REDACTED in clean


@pytest.mark.parametrize(
    "text",
    [
        "GitHub answered 401 while reading acme/web: Bad credentials; the token is missing, "
        "wrong or expired; check GITHUB_TOKEN or --token",
        "the token lacks permission for this; grant it access to the repository",
        "see https://docs.github.com/rest and https://api.github.com/repos/acme/web/issues/12",
        "redis://:***@127.0.0.1:1/0 is down",
        "a bearer of bad news, a token of thanks",
        "eyJ alone, or eyJhbGciOi without its dots",
        "the Slack app's Bot User OAuth Token (xoxb-…) goes in QUARTERDECK_SLACK_TOKEN",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().clean(text) == text


def test_registered_values_are_hidden_in_every_form_a_message_shows() -> None:
    pem = private_key_pem()
    redactor = Redactor()
    redactor.register(OPAQUE, pem)
    redactor.register_url("redis://user:p%40ss-word-9@host:6379/0")
    key_lines = [line for line in pem.splitlines() if "-----" not in line]
    text = (
        f"a {OPAQUE} b {key_lines[3]} c {pem.strip()!r} d p%40ss-word-9 e p@ss-word-9 "
        f"{OPAQUE.upper()}"
    )
    clean = redactor.clean(text)
    for value in (OPAQUE, key_lines[3], "p%40ss-word-9", "p@ss-word-9"):
        assert value not in clean
    assert OPAQUE.upper() in clean  # a value, not a pattern: other text stays
    assert Redactor().clean("short") == "short"  # too short to register: ignored
    redactor.register("short")
    assert redactor.clean("short") == "short"


def test_minted_values_are_kept_up_to_a_bound() -> None:
    redactor = Redactor()
    redactor.register(OPAQUE)
    minted = [f"minted-{i:06d}" for i in range(redact_module.MINTED_KEPT + 10)]
    for value in minted:
        redactor.register(value, minted=True)
    assert minted[0] in redactor.clean(minted[0])  # the oldest were forgotten
    assert redactor.clean(minted[-1]) == REDACTED
    assert redactor.clean(OPAQUE) == REDACTED  # configured secrets are never dropped


@pytest.mark.parametrize(
    "text",
    [
        "eyJ" * 60_000,
        "eyJa." * 40_000,
        "token " * 40_000,
        "ghp_" * 50_000,
        ":// :" * 40_000,
        "-----BEGIN RSA PRIVATE KEY-----" * 6_000,
        "Authorization:" * 15_000,
        "bearer 1" * 25_000,
        '"token":' * 25_000,
        "a" * 200_000,
    ],
    ids=lambda t: t[:12],
)
def test_redaction_is_linear_in_the_length_of_the_text(text: str) -> None:
    started = time.perf_counter()
    Redactor().clean(text)
    # About 200 KB each; a quadratic pattern takes minutes on these.
    assert time.perf_counter() - started < 1.0


def test_every_error_message_is_redacted_when_made() -> None:
    register(OPAQUE)
    error = GitHubRefused(f"GitHub answered 401: Bad credentials {OPAQUE}", 401)
    assert OPAQUE not in str(error)
    assert OPAQUE not in str(QuarterdeckError("x", OPAQUE))
    assert error.status == 401


def test_the_log_filter_redacts_messages_fields_and_tracebacks() -> None:
    register(OPAQUE)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError(f"echoed {OPAQUE}")
        except ValueError:
            logger.exception("failed with %s", OPAQUE, extra={"field": OPAQUE}, stack_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    text = stream.getvalue()
    assert "Traceback" in text
    assert "ValueError: echoed [redacted]" in text
    assert OPAQUE not in text


# --------------------------------------------------------------------------- the CLI


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    """Every leaf command of the CLI ("review", "goals sync", …) by its path."""
    found: dict[str, click.Command] = {}
    ctx = click.Context(group)
    # list/get, not `group.commands`: the root builds most of its commands on first use.
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def _talks_to_github(command: click.Command) -> bool:
    return any("--github" in param.opts for param in command.params)


# Commands that never make a request with a token, and why.
OFFLINE = {
    "schema": "prints a schema",
    "init": "reads the clone's history",
    "demo": "builds a local sample repo",
    "goals new": "writes a local goals file",
    "completion": "prints a shell script",
    "serve": "the App: test_the_app_never_logs_its_jwt_or_installation_token",
    "worker": "the App: test_the_rq_worker_never_logs_its_jwt_or_installation_token",
    "schedule": "the App: test_schedule.py::"
    "test_a_refused_installation_fails_alone_and_no_credential_shows",
    "app register": "no token: the one-time code is the credential; test_app_register.py::"
    "test_the_browser_registers_the_app_and_serve_starts_from_the_written_file",
}
MONTH, QUARTER = ["--month", "2026-11"], ["--quarter", "2026-Q4"]
PLAN = ["--quarter", "2027-Q1"]
# command: its variants, each (name, argv after the command, phase the faults hit)
GITHUB_RUNS: dict[str, list[tuple[str, list[str], str]]] = {
    "review": [
        ("review --github", ["--github", "acme/web", *MONTH], "reads"),
        ("review --dry-run", ["--github", "acme/web", *MONTH, "--dry-run"], "reads"),
        ("review --publish", ["--github", "acme/web", *MONTH, "--publish"], "reads"),
        ("review --publish, writing", ["--github", "acme/web", *MONTH, "--publish"], "writes"),
    ],
    "link": [("link --github", ["2", "--github", "acme/web"], "reads")],
    "quarter-report": [("quarter-report --github", ["--github", "acme/web", *QUARTER], "reads")],
    "goals sync": [
        ("goals sync", ["--github", "acme/web", *QUARTER], "reads"),
        ("goals sync --dry-run", ["--github", "acme/web", *QUARTER, "--dry-run"], "reads"),
        ("goals sync, writing", ["--github", "acme/web", *QUARTER], "writes"),
    ],
    "plan": [
        ("plan --github", ["--github", "acme/web", *PLAN], "reads"),
        ("plan --publish", ["--github", "acme/web", *PLAN, "--publish", "--force"], "reads"),
        (
            "plan --publish, writing",
            ["--github", "acme/web", *PLAN, "--publish", "--force"],
            "writes",
        ),
    ],
    # Offline otherwise; with --github it asks GitHub for the repositories `repos:` names.
    "validate": [("validate --github", ["--github", "acme/web"], "reads")],
}
FAR = str(int(time.time()) + 10 * 24 * 3600)
# fault: (status, body, headers, raw non-JSON body or None)
FAULTS: dict[str, tuple[int, dict[str, Any], dict[str, str], str | None]] = {
    "401": (401, {"message": "Bad credentials"}, {}, None),
    "403": (403, {"message": "Resource not accessible by integration"}, {}, None),
    "404": (404, {"message": "Not Found"}, {}, None),
    "502": (502, {"message": "Bad Gateway"}, {}, None),
    "rate-limit": (
        403,
        {"message": "API rate limit exceeded"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": FAR},
        None,
    ),
    "html-401": (401, {}, {"Content-Type": "text/html"}, "<html><h1>401 Unauthorized</h1>"),
    "html-503": (503, {}, {"Content-Type": "text/html"}, "<html><h1>Service Unavailable</h1>"),
}
CLI_CASES = [
    pytest.param(command, argv, phase, fault, token, id=f"{name} · {fault} · {kind}")
    for command, variants in GITHUB_RUNS.items()
    for name, argv, phase in variants
    for fault in FAULTS
    for kind, token in (("opaque", OPAQUE), ("shaped", SHAPED))
    if kind == "opaque" or fault == "401"
]


def test_every_command_is_covered() -> None:
    commands = _commands(root)
    online = {name for name, sub in commands.items() if _talks_to_github(sub)}
    assert set(GITHUB_RUNS) == online, "a command that talks to GitHub needs canary cases"
    assert set(commands) - online == set(OFFLINE), "say why a new command is offline"


def _checkout(tmp_path: Path, config: str = CONFIG) -> Path:
    """A checkout holding the config and goals files, as `goals sync` reads them."""
    root = tmp_path / "checkout"
    (root / ".github").mkdir(parents=True)
    (root / ".github" / "quarterdeck.yml").write_text(config, encoding="utf-8")
    (root / "goals").mkdir()
    (root / "goals" / "2026-Q4.yml").write_text(GOALS.replace("  issue: 12\n", ""), "utf-8")
    return root


def _inject(github: FakeGitHub, fault: str, phase: str) -> None:
    """Every request of the phase fails with the fault, every time, echoing the token."""
    status, body, extra, raw = FAULTS[fault]
    github.echo_auth = True
    if phase == "reads":
        targets = [(m, r".*") for m in ("GET", "POST", "PATCH", "PUT")]
    else:  # the reads succeed (GraphQL included), every write to the repo fails
        targets = [(m, r"^/repos/") for m in ("POST", "PATCH", "PUT")]
    for method, path in targets:
        github.fail(method, path, status, headers=extra, body=body, raw=raw, times=10_000)


def _run_cli(
    command: str,
    argv: list[str],
    token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """Run the command as the Action does; everything it showed, joined."""
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_TOKEN", token)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    if command == "goals sync":
        argv = [*argv, "--repo", str(_checkout(tmp_path))]
    if command == "validate":
        argv = [*argv, "--repo", str(_checkout(tmp_path, CONFIG + "repos: [acme/sdk-*]\n"))]
    code = main(["-v", *command.split(), *argv])
    out, err = capsys.readouterr()
    files = [p.read_text(encoding="utf-8") for p in (summary, outputs) if p.exists()]
    return code, "\n".join([out, err, *files])


@pytest.mark.parametrize(("command", "argv", "phase", "fault", "token"), CLI_CASES)
def test_no_cli_error_path_shows_an_echoed_token(
    command: str,
    argv: list[str],
    phase: str,
    fault: str,
    token: str,
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logs: Logs,
) -> None:
    seed_github(github)
    _inject(github, fault, phase)

    code, shown = _run_cli(command, argv, token, tmp_path, monkeypatch, capsys)

    assert {c.headers.get("Authorization") for c in github.calls} == {f"token {token}"}
    assert github.echoed > 0, "GitHub's answers carried the token back"
    assert code == 1, shown[-2000:]
    assert "\nquarterdeck: " in "\n" + shown
    assert "Traceback" not in shown
    if fault != "rate-limit":  # (our retry policy stops a used-up limit before PyGithub logs)
        assert re.search(r"^github\.\S+ DEBUG ", root_logs.text, re.M)  # PyGithub's, at DEBUG
    assert token not in shown
    assert token not in root_logs.text


def test_the_canary_cli_test_can_fail(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logs: Logs,
) -> None:
    # Without the redactor the same run shows the token: the test above can fail.
    monkeypatch.setattr(Redactor, "clean", lambda self, text: text)
    seed_github(github)
    _inject(github, "401", "reads")
    code, shown = _run_cli(
        "review", ["--github", "acme/web", *MONTH], OPAQUE, tmp_path, monkeypatch, capsys
    )
    assert code == 1
    assert OPAQUE in shown
    assert OPAQUE in root_logs.text


# The Action signed in as a GitHub App (GH_APP_ID, GH_APP_PRIVATE_KEY): each request of
# the sign-in, or the work after it, refused with the credential echoed back.
ACTION_APP_FAULTS = {
    "installation lookup refused": ("GET", r"/installation$", "401"),
    "token request refused": ("POST", r"/access_tokens$", "html-401"),
    "reads refused": ("GET", r"^/repos/acme/web/(?!installation$)", "403"),
    "writes refused": ("POST", r"^/repos/acme/web/issues$", "502"),
}


@pytest.mark.parametrize("case", ACTION_APP_FAULTS)
def test_the_action_signed_in_as_an_app_never_shows_its_key_jwt_or_token(
    case: str,
    github: FakeGitHub,
    tmp_path: Path,
    pem: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logs: Logs,
) -> None:
    seed_github(github)
    github.installation_token = INSTALLATION
    github.echo_auth = True
    method, path, fault = ACTION_APP_FAULTS[case]
    status, body, extra, raw = FAULTS[fault]
    github.fail(method, path, status, headers=extra, body=body, raw=raw, times=10_000)
    monkeypatch.setenv("GH_APP_ID", "4242")
    monkeypatch.setenv("GH_APP_PRIVATE_KEY", pem)

    argv = ["--github", "acme/web", *MONTH, "--publish"]
    code, shown = _run_cli("review", argv, OPAQUE, tmp_path, monkeypatch, capsys)

    minted = _minted(github)
    assert code == 1, shown[-2000:]
    assert github.echoed > 0, "GitHub's answers carried the credential back"
    assert any(m.startswith("eyJ") for m in minted), "the App signed a JWT with the key"
    assert OPAQUE not in {c.headers.get("Authorization") for c in github.calls}  # not the token
    mask = f"::add-mask::{INSTALLATION}\n"
    assert (mask in shown) == (INSTALLATION in minted)  # masked as soon as it was minted
    shown = shown.replace(mask, "")
    for secret in [*minted, INSTALLATION]:
        assert secret not in shown
        assert secret not in root_logs.text
    key_lines = [line for line in pem.splitlines() if "-----" not in line]
    assert not [line for line in key_lines if line in shown or line in root_logs.text]


# --------------------------------------------------------------------------- the App

APP_FAULTS = {
    # name: (method, path, fault) — the installation token request, or the work after it
    "jwt refused": ("POST", r"/access_tokens$", "401"),
    "jwt, html": ("POST", r"/access_tokens$", "html-401"),
    "comment refused": ("POST", r"/comments$", "403"),
    "comment 5xx": ("POST", r"/comments$", "502"),
    "rate limit": ("GET", r"/contents/", "rate-limit"),
    "config missing": ("GET", r"/contents/", "404"),
    "config html 503": ("GET", r"/contents/", "html-503"),
}


def _app_env(pem: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "QUARTERDECK_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "QUARTERDECK_APP_ID": "4242",
        "QUARTERDECK_PRIVATE_KEY": pem,
        "QUARTERDECK_DELIVERIES_DB": str(tmp_path / "deliveries.sqlite3"),
        **extra,
    }


def _app_repo(github: FakeGitHub, case: str, *, times: int = 10_000) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    github.hold_pull(REPO, merged_pr())
    github.installation_token = INSTALLATION
    github.echo_auth = True
    method, path, fault = APP_FAULTS[case]
    status, body, extra, raw = FAULTS[fault]
    github.fail(method, path, status, headers=extra, body=body, raw=raw, times=times)


def _minted(github: FakeGitHub) -> list[str]:
    """The JWTs and installation tokens the App really sent."""
    sent = {c.headers.get("Authorization", "") for c in github.calls}
    return sorted({value.split(" ", 1)[1] for value in sent if " " in value})


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("case", APP_FAULTS)
def test_the_app_never_logs_its_jwt_or_installation_token(
    case: str,
    github: FakeGitHub,
    tmp_path: Path,
    pem: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _app_repo(github, case)
    loaded = load_settings(_app_env(pem, tmp_path))
    root, library = logging.getLogger(), logging.getLogger("github")
    saved = root.handlers[:], root.level, library.level
    try:
        configure_logging(loaded.secrets(), level=logging.DEBUG)  # as `serve` does, at DEBUG
        app = create_app(loaded)
        body = encode(merged_pr())
        sent = headers("pull_request", body)
        sent["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET.encode(), body)
        answer = app.test_client().post("/webhook", data=body, headers=sent)
        assert app.extensions["quarterdeck"].queue.wait_idle(20)
    finally:
        root.handlers[:], level, library_level = saved
        root.setLevel(level)
        library.setLevel(library_level)
    err = capsys.readouterr().err

    minted = _minted(github)
    jwts = [m for m in minted if m.count(".") == 2 and m.startswith("eyJ")]
    assert answer.status_code == 202
    assert jwts, "the App signed a JWT with the key"
    assert (INSTALLATION in minted) == (not case.startswith("jwt"))
    assert github.echoed > 0
    lines = _json_lines(err)
    assert any(line["logger"].startswith("github") for line in lines)  # PyGithub at DEBUG
    assert any("delivery" in line["message"] for line in lines)
    for secret in [*minted, INSTALLATION, WEBHOOK_SECRET]:
        assert secret not in err
    assert not [line for line in pem.splitlines() if "-----" not in line and line in err]


# `quarterdeck worker --burst` exactly, but with the App's log level at DEBUG.
_WORKER_AT_DEBUG = """
import logging
from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.settings import load_settings
from quarterdeck.webhook.worker import work
configure_logging(load_settings().secrets(), level=logging.DEBUG)
work(burst=True)
"""


@pytest.mark.parametrize("case", ["jwt refused", "comment refused", "comment 5xx", "rate limit"])
def test_the_rq_worker_never_logs_its_jwt_or_installation_token(
    case: str, github: FakeGitHub, tmp_path: Path, pem: str
) -> None:
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    # The worker process waits out its real backoff: a 5xx is answered once, then the
    # write is looked for and made.
    _app_repo(github, case, times=1 if "5xx" in case else 10_000)
    env = _app_env(pem, tmp_path, REDIS_URL=REDIS_URL)
    app = create_app(load_settings(env))
    body = encode(merged_pr())
    sent = headers("pull_request", body)
    sent["X-Hub-Signature-256"] = sign(WEBHOOK_SECRET.encode(), body)
    assert app.test_client().post("/webhook", data=body, headers=sent).status_code == 202

    front = HttpFront(github)
    try:
        environment = {**os.environ, **env, "GITHUB_API_URL": front.url}
        environment.pop("QUARTERDECK_PRIVATE_KEY_FILE", None)
        done = subprocess.run(
            [sys.executable, "-c", _WORKER_AT_DEBUG],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        front.close()
        connection.flushdb()

    shown = done.stdout + done.stderr
    minted = _minted(github)
    assert done.returncode == 0, shown[-3000:]
    assert any(m.startswith("eyJ") for m in minted)
    assert github.echoed > 0
    assert re.search(r'"logger": "github[.\w]*", "message"', shown)  # PyGithub at DEBUG
    for secret in [*minted, INSTALLATION, WEBHOOK_SECRET]:
        assert secret not in shown


# --------------------------------------------------------------------------- metric sources

POSTGRES_URL = os.environ.get(
    "QUARTERDECK_TEST_POSTGRES_URL", "postgresql+psycopg://quarterdeck@127.0.0.1:6391/quarterdeck"
)
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def test_a_posthog_key_quoted_back_is_redacted() -> None:
    key = "key" + secrets.token_hex(16)  # not PostHog's shape: only registration hides it
    project = posthog.PostHogProject("https://eu.posthog.com", "1")
    with responses.RequestsMock() as mock:
        mock.post(project.url, status=401, json={"detail": f"Invalid API key {key}"})
        access = PostHogAccess(key)
        with pytest.raises(MetricSourceError) as info:
            posthog.query_series(project, access, "SELECT 1", START, END, metric="signups")
    assert "PostHog did not accept the key" in str(info.value)
    assert key not in str(info.value)
    assert "Invalid API key" not in str(info.value)  # PostHog's words are not quoted at all


def test_a_warehouse_password_quoted_back_is_redacted() -> None:
    password = "pw" + secrets.token_hex(10)
    url = make_url(POSTGRES_URL).set(password=password).render_as_string(hide_password=False)
    # The real Postgres quotes the unknown column, which is the password, back.
    with pytest.raises(MetricSourceError) as info:
        warehouse.query_series(
            url, f'SELECT "{password}"', START, END, metric="revenue", url_env="WAREHOUSE_URL"
        )
    assert "the warehouse refused the query" in str(info.value)
    assert password not in str(info.value)
    assert REDACTED in str(info.value)
