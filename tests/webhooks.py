"""Helpers for the webhook tests: signed deliveries from GitHub's recorded payloads."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from quarterdeck.core.config import build_config
from quarterdeck.core.model import Config
from quarterdeck.webhook.intake import sign
from quarterdeck.webhook.settings import Settings
from tests.fakegithub import FIXTURES, webhook_examples

SECRET = "wh-Quarterdeck-7Hq2-test-9fK3mZ81xQvB"  # 32+ characters: settings refuse less
REPO = "Codertocat/Hello-World"  # the repository of GitHub's example payloads

CONFIG_YML = """\
teams:
  docs:
    members: [Codertocat, alice]
    owns: {paths: ["docs/**"], labels: ["team/docs"]}
  web:
    members: [bob]
    owns: {paths: ["web/**"]}
goals: {files: goals/, label: goal}
"""
GOALS_YML = """\
- id: readme
  title: A README people finish reading
  team: docs
  owners: [Codertocat]
  issue: 1
- id: onboarding
  title: Onboarding in ten minutes
  team: web
  owners: [bob]
"""
FILES = {".github/quarterdeck.yml": CONFIG_YML, "goals/2019-Q2.yml": GOALS_YML}


def ours() -> str:
    """Who the App is in tests (`create_app(identity=ours)`): the fake's App,
    `FakeGitHub.app_slug` as `quarterdeck[bot]`, as `GET /app` would say."""
    return "quarterdeck[bot]"


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings as a test runs them: the test secret, claims in `tmp_path`."""
    values: dict[str, Any] = {
        "webhook_secret": SecretStr(SECRET),
        "deliveries_db": tmp_path / "deliveries.sqlite3",
    }
    values.update(overrides)
    return Settings(**values)


def test_config() -> Config:
    """The config of FILES, parsed by the real loader's pure core."""
    config, _ = build_config(
        (".github/quarterdeck.yml", CONFIG_YML), [("goals/2019-Q2.yml", GOALS_YML)]
    )
    return config


def fixed_loader(repo: Any) -> tuple[Config, list[Any]]:
    """A config loader that ignores the repo: for tests that don't exercise config I/O."""
    return test_config(), []


def headers(event: str, body: bytes, delivery: str | None = None) -> dict[str, str]:
    """What GitHub sends with a delivery, signed with SECRET."""
    return {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET.encode(), body),
        "User-Agent": "GitHub-Hookshot/test",
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def all_examples() -> list[tuple[str, int, dict[str, Any]]]:
    """(event, index, payload) of every recorded webhook example."""
    found = []
    for path in sorted((FIXTURES / "github-webhooks").glob("*.json")):
        for i, payload in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            found.append((path.stem, i, payload))
    return found


def merged_pr(
    *,
    body: str | None = "Goal: #1",
    title: str | None = None,
    action: str = "closed",
    labels: list[str] | None = None,
    sender: dict[str, Any] | None = None,
    merged_at: str = "2019-05-15T16:00:00Z",
) -> dict[str, Any]:
    """A real `closed` pull_request example, copied and marked as merged (PR #2)."""
    example = next(p for p in webhook_examples("pull_request") if p["action"] == "closed")
    payload = copy.deepcopy(example)
    payload["action"] = action
    pr = payload["pull_request"]
    pr.update(merged=True, merged_at=merged_at, merge_commit_sha="c0ffee" * 6 + "beef")
    if body is not None:
        pr["body"] = body
    if title is not None:
        pr["title"] = title
    if labels is not None:
        pr["labels"] = [{"name": name} for name in labels]
    if sender is not None:
        payload["sender"] = sender
    payload["installation"] = {"id": 42}
    return payload


def private_key_pem() -> str:
    """A real, throwaway RSA private key, as GitHub's .pem download holds one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
