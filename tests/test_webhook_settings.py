"""App settings: loaded once, validated, secrets never shown or logged."""

from __future__ import annotations

import io
import logging
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
    "QUARTERDECK_WEBHOOK_SECRET": "s3cr3t-WEBHOOK-value",
    "QUARTERDECK_APP_ID": "12345",
    "QUARTERDECK_PRIVATE_KEY": KEY,
}


def test_complete_settings_load() -> None:
    env = {**BASE, "REDIS_URL": "redis://:hunter2-pass@127.0.0.1:6379/0"}
    loaded = load_settings(env)
    assert loaded.app_id == 12345
    assert loaded.private_key is not None
    assert loaded.private_key.reveal() == KEY
    assert loaded.redis_display == "redis://:***@127.0.0.1:6379/0"
    shown = repr(loaded) + str(loaded)
    for secret in ("s3cr3t-WEBHOOK-value", "secretKEYmaterial42", "hunter2-pass"):
        assert secret not in shown


def test_key_from_file_and_one_line_key(tmp_path: Path) -> None:
    path = tmp_path / "app.pem"
    path.write_text(KEY + "\n")
    env = {**BASE, "QUARTERDECK_PRIVATE_KEY": "", "QUARTERDECK_PRIVATE_KEY_FILE": str(path)}
    assert load_settings(env).private_key.reveal() == KEY  # type: ignore[union-attr]
    one_line = {**BASE, "QUARTERDECK_PRIVATE_KEY": KEY.replace("\n", "\\n")}
    assert load_settings(one_line).private_key.reveal() == KEY  # type: ignore[union-attr]


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
    secret = "WEBHOOK-SECRET-canary-8d1f"
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
        from quarterdeck.webhook.signature import sign

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
