"""Signing in as a GitHub App (the Action's `app-id` / `app-private-key` inputs):
real PyGithub and a real RSA key against GitHub's endpoints mocked with `responses`,
each JWT checked against the key's public half."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives import serialization

from quarterdeck.errors import GitHubNotFound, GitHubRefused, QuarterdeckError
from quarterdeck.redact import redact
from quarterdeck.sources.github.client import AppInputs, sign_in_as_app, token_writer
from tests.webhooks import private_key_pem


def url(path: str) -> re.Pattern[str]:
    """GitHub's API address of `path` (PyGithub writes the :443 in)."""
    return re.compile(r"^https://api\.github\.com(?::443)?" + re.escape(path) + "$")


TOKEN = "ghs_" + "T0k3n" * 7 + "x"  # what GitHub mints for the installation
NAMES = AppInputs("`app-id`", "`app-private-key`", "`app-installation-id`")


@pytest.fixture(scope="module")
def pem() -> str:
    return private_key_pem()


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def _claims(request: Any, pem: str) -> dict[str, Any]:
    """The JWT the request carries, verified with the App key's public half."""
    scheme, _, value = request.headers["Authorization"].partition(" ")
    assert scheme == "Bearer"
    public = serialization.load_pem_private_key(pem.encode(), None).public_key()
    return jwt.decode(value, public, algorithms=["RS256"])


def _github(mock: responses.RequestsMock, pem: str, *, installed: bool = True) -> list[Any]:
    """GitHub's App endpoints; returns the JWT claims each App request carried."""
    seen: list[Any] = []

    def installation(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(_claims(request, pem))
        if not installed:
            return 404, {}, json.dumps({"message": "Not Found"})
        return 200, {}, json.dumps({"id": 77, "account": {"login": "acme"}, "app_id": 4242})

    def access_token(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(_claims(request, pem))
        return 201, {}, json.dumps({"token": TOKEN, "expires_at": "2030-01-01T00:00:00Z"})

    def app(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(_claims(request, pem))
        return 200, {}, json.dumps({"id": 4242, "slug": "acme-reviews", "name": "Acme reviews"})

    def repo(request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers["Authorization"] == f"token {TOKEN}"
        return 200, {}, json.dumps({"id": 1, "full_name": "acme/web", "name": "web"})

    mock.add_callback("GET", url("/repos/acme/web/installation"), callback=installation)
    mock.add_callback("POST", url("/app/installations/77/access_tokens"), callback=access_token)
    mock.add_callback("GET", url("/app"), callback=app)
    mock.add_callback("GET", url("/repos/acme/web"), callback=repo)
    return seen


def test_the_installation_is_found_from_the_repository_and_its_token_minted(
    mock: responses.RequestsMock, pem: str
) -> None:
    seen = _github(mock, pem)

    signed = sign_in_as_app("4242", pem, "acme/web", retry=None)

    assert signed.token == TOKEN
    assert signed.installation_id == 77
    assert [c["iss"] for c in seen] == ["4242", "4242"]  # the App ID, stripped
    now = time.time()
    assert all(c["iat"] <= now < c["exp"] <= now + 600 for c in seen)
    assert [(c.request.method, c.request.path_url) for c in mock.calls] == [
        ("GET", "/repos/acme/web/installation"),
        ("POST", "/app/installations/77/access_tokens"),
    ]
    assert signed.gh.get_repo("acme/web").full_name == "acme/web"  # with the minted token
    # It writes as the App, not as github-actions[bot]: only what it wrote is edited.
    assert token_writer(signed.gh, in_actions=True)() == "acme-reviews[bot]"
    assert redact(f"echoed {TOKEN} and {pem}") == "echoed [redacted] and [redacted]"


def test_a_given_installation_id_is_used_without_asking_the_repository(
    mock: responses.RequestsMock, pem: str
) -> None:
    _github(mock, pem)
    # A key pasted into a one-line variable, its line breaks written as \n.
    signed = sign_in_as_app(" 4242 ", pem.replace("\n", "\\n"), "acme/web", installation_id=77)

    assert signed.token == TOKEN
    assert [c.request.path_url for c in mock.calls] == ["/app/installations/77/access_tokens"]


def test_an_app_not_installed_on_the_repository_says_so_and_names_the_inputs(
    mock: responses.RequestsMock, pem: str
) -> None:
    _github(mock, pem, installed=False)

    with pytest.raises(GitHubNotFound) as caught:
        sign_in_as_app("4242", pem, "acme/web", names=NAMES, retry=None)

    message = str(caught.value)
    assert "the GitHub App 4242 is not installed on acme/web" in message
    assert "GET /repos/acme/web/installation" in message
    assert "set `app-installation-id`" in message


def test_a_refused_jwt_names_the_app_id_and_key_inputs(
    mock: responses.RequestsMock, pem: str
) -> None:
    mock.add(
        "POST",
        url("/app/installations/77/access_tokens"),
        status=401,
        json={"message": "A JSON web token could not be decoded"},
    )

    with pytest.raises(GitHubRefused) as caught:
        sign_in_as_app("4242", pem, "acme/web", installation_id=77, names=NAMES, retry=None)

    message = str(caught.value)
    assert "GitHub refused the App's credentials" in message
    assert "A JSON web token could not be decoded" in message
    assert "check `app-id` (4242) and that `app-private-key` is that App's key" in message


@pytest.mark.parametrize(
    ("app_id", "key", "said"),
    [
        ("4242", "not a key at all", "`app-private-key` is not a usable RSA private key"),
        ("", "PEM", "`app-id` is empty"),
        ("42 42", "PEM", "`app-id` is not one word"),
    ],
)
def test_a_bad_key_or_app_id_fails_before_any_request(
    mock: responses.RequestsMock, pem: str, app_id: str, key: str, said: str
) -> None:
    key = pem if key == "PEM" else key
    with pytest.raises(QuarterdeckError, match=said) as caught:
        sign_in_as_app(app_id, key, "acme/web", names=NAMES)
    assert len(mock.calls) == 0
    assert "BEGIN RSA PRIVATE KEY-----\n" not in str(caught.value)


# --------------------------------------------------------------------------- the CLI's settings


def test_the_cli_signs_in_once_per_run_and_masks_the_token_in_actions(
    mock: responses.RequestsMock, pem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from quarterdeck.cli.app_sign_in import app_client

    _github(mock, pem)
    env = {"GH_APP_ID": "4242", "GH_APP_PRIVATE_KEY": pem, "GITHUB_ACTIONS": "true"}
    memo: dict[Any, Any] = {}

    first = app_client("acme/web", env, memo=memo)
    again = app_client("acme/web", env, memo=memo)

    assert first is again
    assert [c.request.path_url for c in mock.calls].count(
        "/app/installations/77/access_tokens"
    ) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"::add-mask::{TOKEN}\n")
    # Outside Actions nothing is printed; without GH_APP_ID the token is used.
    app_client("acme/web", {**env, "GITHUB_ACTIONS": ""})
    assert capsys.readouterr().err == ""
    assert app_client("acme/web", {"GITHUB_TOKEN": "x"}) is None


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"GH_APP_ID": "4242"},
            "`app-id` (GH_APP_ID) is set but `app-private-key` (GH_APP_PRIVATE_KEY) is empty",
        ),
        (
            {"GH_APP_PRIVATE_KEY": "PEM"},
            "`app-private-key` (GH_APP_PRIVATE_KEY) is set but `app-id` (GH_APP_ID) is not",
        ),
        (
            {"GH_APP_ID": "4242", "GH_APP_PRIVATE_KEY": "PEM", "GH_APP_INSTALLATION_ID": "x7"},
            "`app-installation-id` (GH_APP_INSTALLATION_ID) must be a number",
        ),
    ],
)
def test_the_cli_names_a_missing_or_malformed_app_setting(
    mock: responses.RequestsMock,
    pem: str,
    env: dict[str, str],
    said: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from quarterdeck.cli import main

    for name in ("GH_APP_ID", "GH_APP_PRIVATE_KEY", "GH_APP_INSTALLATION_ID", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, pem if value == "PEM" else value)
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")

    assert main(["link", "2", "--github", "acme/web"]) == 1

    err = capsys.readouterr().err
    assert said in err
    assert len(mock.calls) == 0
    assert not [line for line in pem.splitlines() if "-----" not in line and line in err]
