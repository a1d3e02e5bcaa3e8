"""App settings: loaded once, validated, secrets never shown or logged."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.webhook.logs import JsonFormatter, RedactSecrets, configure_logging
from quarterdeck.webhook.server import create_app
from quarterdeck.webhook.settings import SettingsError, load_settings
from tests.fakegithub import FakeGitHub
from tests.webhooks import encode, fixed_loader, headers, merged_pr, ours, settings

KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretKEYmaterial42\n"
    "-----END RSA PRIVATE KEY-----"
)
BASE = {
    "QUARTERDECK_WEBHOOK_SECRET": "s3cr3t-WEBHOOK-value-9fK3mZ81xQvB7",
    "QUARTERDECK_APP_ID": "12345",
    "QUARTERDECK_PRIVATE_KEY": KEY,
}


def test_complete_settings_load() -> None:
    env = {**BASE, "REDIS_URL": "redis://:hunter2-pass@127.0.0.1:6379/0"}
    loaded = load_settings(env)
    assert loaded.app_id == 12345
    assert loaded.private_key is not None
    assert loaded.private_key.get_secret_value() == KEY
    assert loaded.redis_display == "redis://:***@127.0.0.1:6379/0"
    shown = repr(loaded) + str(loaded)
    for secret in ("s3cr3t-WEBHOOK-value", "secretKEYmaterial42", "hunter2-pass"):
        assert secret not in shown


def test_key_from_file_and_one_line_key(tmp_path: Path) -> None:
    path = tmp_path / "app.pem"
    path.write_text(KEY + "\n")
    env = {**BASE, "QUARTERDECK_PRIVATE_KEY": "", "QUARTERDECK_PRIVATE_KEY_FILE": str(path)}
    assert load_settings(env).private_key.get_secret_value() == KEY  # type: ignore[union-attr]
    one_line = {**BASE, "QUARTERDECK_PRIVATE_KEY": KEY.replace("\n", "\\n")}
    assert load_settings(one_line).private_key.get_secret_value() == KEY  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"QUARTERDECK_WEBHOOK_SECRET": ""}, "QUARTERDECK_WEBHOOK_SECRET is not set"),
        ({"QUARTERDECK_WEBHOOK_SECRET": "   "}, "QUARTERDECK_WEBHOOK_SECRET is not set"),
        ({"QUARTERDECK_APP_ID": ""}, "QUARTERDECK_APP_ID is not set"),
        ({"QUARTERDECK_APP_ID": "my-app"}, "QUARTERDECK_APP_ID must be a number"),
        (
            {"QUARTERDECK_PRIVATE_KEY": ""},
            "QUARTERDECK_PRIVATE_KEY or QUARTERDECK_PRIVATE_KEY_FILE",
        ),
        ({"QUARTERDECK_PRIVATE_KEY": "not a key"}, "QUARTERDECK_PRIVATE_KEY does not hold a PEM"),
        ({"QUARTERDECK_PRIVATE_KEY_FILE": "/nonexistent/app.pem"}, "both"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must look like redis://"),
        ({"GITHUB_API_URL": "api.github.com"}, "GITHUB_API_URL must be an http(s) URL"),
        ({"QUARTERDECK_DELIVERY_TTL": "-5"}, "QUARTERDECK_DELIVERY_TTL must be a positive"),
        ({"QUARTERDECK_CREATE_LABELS": "maybe"}, "QUARTERDECK_CREATE_LABELS must be true or false"),
    ],
)
def test_a_bad_variable_is_named(change: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, **change})
    assert named in str(info.value)
    assert "s3cr3t-WEBHOOK-value" not in str(info.value)
    assert "secretKEYmaterial42" not in str(info.value)


def test_missing_key_file_is_named() -> None:
    env = {**BASE, "QUARTERDECK_PRIVATE_KEY": "", "QUARTERDECK_PRIVATE_KEY_FILE": "/nope/app.pem"}
    with pytest.raises(SettingsError, match=r"QUARTERDECK_PRIVATE_KEY_FILE=/nope/app\.pem: cannot"):
        load_settings(env)


def test_server_refuses_to_start_without_a_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("QUARTERDECK_WEBHOOK_SECRET", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUARTERDECK_APP_ID", "1")
    monkeypatch.setenv("QUARTERDECK_PRIVATE_KEY", KEY)

    assert main(["serve", "--port", "1"]) == 1
    assert "QUARTERDECK_WEBHOOK_SECRET is not set" in capsys.readouterr().err
    assert main(["worker"]) == 1


def test_secrets_never_reach_the_logs(tmp_path: Path, github: FakeGitHub) -> None:
    secret = "WEBHOOK-canary-8d1f-5e0b2d94a8c6f1"
    redis_password = "REDIS-PASSWORD-canary-77aa"
    loaded = load_settings(
        {
            **BASE,
            "QUARTERDECK_WEBHOOK_SECRET": secret,
            "QUARTERDECK_PRIVATE_KEY": KEY.replace("secretKEY", "KEYcanary"),
        }
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets([*loaded.secrets(), redis_password]))
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)
    try:
        github.add_repo("Codertocat/Hello-World")
        github.add_issue(github.repos["codertocat/hello-world"], "goal")
        github.fail("POST", r"/comments$", 404)  # a failure logged with its traceback
        app = create_app(
            settings(tmp_path, webhook_secret=loaded.webhook_secret),
            identity=ours,
            github_factory=lambda _id: github.client(),
            config_loader=fixed_loader,
        )
        client = app.test_client()
        body = encode(merged_pr())
        sent = headers("pull_request", body)
        from quarterdeck.webhook.intake import sign

        sent["X-Hub-Signature-256"] = sign(secret.encode(), body)
        assert client.post("/webhook", data=body, headers=sent).status_code == 202
        client.post("/webhook", data=body, headers={**sent, "X-Hub-Signature-256": "sha256=0"})
        app.extensions["quarterdeck"].queue.wait_idle(10)
        # An accident: a message that quotes a secret is redacted, not printed.
        logging.getLogger("quarterdeck.webhook").error("oops %s %s", secret, redis_password)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    text = stream.getvalue()
    assert '"delivery": "' in text
    assert '"event": "pull_request"' in text
    assert "delivery dropped" in text
    for canary in (secret, redis_password, "KEYcanary", "test-token-not-real"):
        assert canary not in text
    assert "[redacted]" in text


def test_configure_logging_installs_the_filter() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(["abcd-secret"])
        (handler,) = root.handlers
        assert any(isinstance(f, RedactSecrets) for f in handler.filters)
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


# ------------------------------------------------------- settings that refuse the weak

STRONG = "3f9a1c77e0b24d5f8a6c1e9b7d3f2a4c5e6b7d8f9a0c1e2d"
CLOSED = "http://127.0.0.1:9"  # nothing listens: a request sent would fail after backoff


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m quarterdeck *args` with exactly `env` (plus PATH), as an operator runs it."""
    return subprocess.run(
        [sys.executable, "-m", "quarterdeck", *args],
        # A server that did start keeps its claims file in the test's state home.
        env={"PATH": os.environ.get("PATH", ""), "XDG_STATE_HOME": _state_home(), **env},
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _state_home() -> str:
    return os.environ.get("XDG_STATE_HOME") or tempfile.gettempdir()


def app_env(**changes: str) -> dict[str, str]:
    return {**BASE, "QUARTERDECK_WEBHOOK_SECRET": STRONG, **changes}


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("s", "is too short (1 character; at least 32)"),
        ("wh-secret-Quarterdeck-7Hq2", "is too short (26 characters; at least 32)"),
        ("x" * 64, "fewer than 8 distinct characters"),
        ("abcabcabc" * 5, "fewer than 8 distinct characters"),
        ("changeme-" + STRONG, "looks like a placeholder"),
        ("secret-" + STRONG, "looks like a placeholder"),
        ("Password-" + STRONG, "looks like a placeholder"),
    ],
)
def test_a_weak_webhook_secret_refuses_to_start_the_server(secret: str, reason: str) -> None:
    done = run_cli(app_env(QUARTERDECK_WEBHOOK_SECRET=secret), "serve", "--port", "0")

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()  # one line: the reason and how to make a good one
    assert line.startswith("quarterdeck: QUARTERDECK_WEBHOOK_SECRET ")
    assert reason in line
    assert "python -c 'import secrets; print(secrets.token_hex(32))'" in line
    assert len(secret) == 1 or secret not in done.stdout + done.stderr
    assert done.stdout == ""


def test_worker_and_schedule_refuse_a_weak_secret_too() -> None:
    env = app_env(QUARTERDECK_WEBHOOK_SECRET="changeme", REDIS_URL="redis://127.0.0.1:9/0")
    for command in (["worker", "--burst"], ["schedule", "--dry-run"]):
        done = run_cli(env, *command)
        assert done.returncode == 1, command
        (line,) = done.stderr.splitlines()
        assert line.startswith("quarterdeck: QUARTERDECK_WEBHOOK_SECRET is too short"), line
        assert "changeme" not in line


def test_every_missing_or_invalid_setting_is_listed_in_one_message() -> None:
    weak = "hunter2-hunter2"
    env = {
        "QUARTERDECK_WEBHOOK_SECRET": weak,
        "QUARTERDECK_APP_ID": "my-app",
        "REDIS_URL": "redis://:pw-9q@127.0.0.1:port/0",
        "GITHUB_API_URL": "https://api.github .com",
        "QUARTERDECK_READ_TIMEOUT": "soon",
    }
    named = [
        "QUARTERDECK_WEBHOOK_SECRET is too short",
        "QUARTERDECK_APP_ID must be a number",
        "QUARTERDECK_PRIVATE_KEY or QUARTERDECK_PRIVATE_KEY_FILE must be set",
        "REDIS_URL must look like redis://",
        "GITHUB_API_URL must be an http(s) URL",
        "QUARTERDECK_READ_TIMEOUT must be a positive whole number",
    ]
    for command in (["serve", "--port", "0"], ["worker"], ["schedule", "--dry-run"]):
        done = run_cli(env, *command)
        shown = done.stdout + done.stderr

        assert done.returncode == 1, command
        lines = done.stderr.splitlines()
        assert lines[0] == f"quarterdeck: {len(named)} settings are missing or invalid:"
        assert [n for n in named if n in shown] == named, shown
        assert len(lines) == 1 + len(named)  # one per setting, and nothing else
        assert "Traceback" not in shown
        assert weak not in shown
        assert "pw-9q" not in shown


def test_worker_and_schedule_count_a_missing_redis_url_with_the_others() -> None:
    # Without REDIS_URL, the App ID and the key: one restart must tell all three.
    env = {"QUARTERDECK_WEBHOOK_SECRET": STRONG, "QUARTERDECK_STATE_DIR": "relative"}
    commands = {
        "worker": "`quarterdeck worker` takes jobs from Redis",
        "schedule": "`quarterdeck schedule` enqueues for RQ workers",
    }
    for command, why in commands.items():
        done = run_cli(env, command)
        lines = done.stderr.splitlines()

        assert done.returncode == 1, command
        assert lines[0] == "quarterdeck: 4 settings are missing or invalid:", done.stderr
        assert f"  - REDIS_URL is not set: {why}; set it to the Redis" in done.stderr
        for named in ("QUARTERDECK_APP_ID", "QUARTERDECK_PRIVATE_KEY", "QUARTERDECK_STATE_DIR"):
            assert f"  - {named}" in done.stderr, command
        assert len(lines) == 5
    served = run_cli(env, "serve", "--port", "0")  # serve runs without Redis
    assert served.returncode == 1
    assert served.stderr.startswith("quarterdeck: 3 settings are missing or invalid:")
    assert "REDIS_URL" not in served.stderr


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({"GITHUB_TOKEN": "ghp_Canary0123456789abcdef\r\nX-Injected: 1"}, (), "GITHUB_TOKEN"),
        ({"GITHUB_TOKEN": "ghp_Canary0123456789abcdef\n"}, (), "GITHUB_TOKEN"),
        ({"GITHUB_TOKEN": "ghp_Canary0123456789abcdéf€"}, (), "GITHUB_TOKEN"),
        ({"GITHUB_TOKEN": "ghp_Canary0123 456789abcdef"}, (), "GITHUB_TOKEN"),
        ({}, ("--token", "ghp_Canary0123456789abcdef\nsecond"), "--token"),
        ({}, ("--token", "ghp_Canary0123456789abcdef“"), "--token"),
    ],
)
def test_a_token_that_cannot_be_sent_is_one_line_naming_where_it_came_from(
    env: dict[str, str], args: tuple[str, ...], named: str
) -> None:
    started = time.monotonic()
    done = run_cli({"GITHUB_API_URL": CLOSED, **env}, "link", "5", "--github", "acme/web", *args)
    took = time.monotonic() - started
    shown = done.stdout + done.stderr

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"quarterdeck: {named} holds "), line
    assert "could not reach GitHub" not in line  # refused before any request, not after backoff
    assert "Traceback" not in shown
    assert "Canary0123" not in shown
    assert took < 30  # no retries: the full backoff alone takes longer


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("api.github.com", "it has no scheme"),
        ("ftp://api.github.com", "not ftp://"),
        ("https://", "it names no host"),
        ("https://api.github.com/ api/v3", "it holds spaces"),
        ("https://[::1", "it is not a URL"),
        ("https://ghe.example.com:port/api/v3", "it is not a URL"),
    ],
)
def test_a_garbage_api_url_is_one_line_naming_it(url: str, why: str) -> None:
    done = run_cli(
        {"GITHUB_TOKEN": "ghp_Canary0123456789abcdef", "GITHUB_API_URL": url},
        "link",
        "5",
        "--github",
        "acme/web",
    )
    served = run_cli(app_env(GITHUB_API_URL=url), "serve", "--port", "0")

    for result in (done, served):
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("quarterdeck: GITHUB_API_URL must be an http(s) URL"), line
        assert why in line
        assert "Traceback" not in result.stderr
    assert "Canary0123" not in done.stdout + done.stderr
