"""Build PyGithub clients: by token, or as a GitHub App installation.

Entry points read tokens and keys from their settings and call these; nothing here
reads the environment or runs at import time. Every client gets a Quarterdeck
User-Agent, pages of 100 and retries with backoff (see `retry_policy`).
"""

from __future__ import annotations

from typing import Any

from github import Auth, Github, GithubIntegration, GithubRetry

from quarterdeck import __version__
from quarterdeck.errors import QuarterdeckError

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = f"quarterdeck/{__version__} (+https://github.com/quarterdeck)"
PER_PAGE = 100


def retry_policy(max_rate_limit_wait: float = 900) -> GithubRetry:
    """Retries for 5xx and rate limits: exponential backoff, `Retry-After` obeyed.

    A POST is re-sent after a 5xx too, so every write must look for its marker first
    (a lost response must not become a duplicate comment).
    """
    return GithubRetry(
        total=5,
        backoff_factor=1.0,
        backoff_jitter=0.5,
        secondary_rate_wait=60,
        max_rate_limit_wait=max_rate_limit_wait,
    )


def connect(token: str | None, *, base_url: str | None = None, **options: Any) -> Github:
    """A client authenticated by a personal access or Actions token."""
    if not token:
        raise QuarterdeckError(
            "no GitHub token: set GITHUB_TOKEN (in Actions: `token: ${{ github.token }}`) "
            "or pass --token"
        )
    return Github(auth=Auth.Token(token), **_options(base_url, options))


def connect_app(
    app_id: int | str,
    private_key: str,
    installation_id: int,
    *,
    base_url: str | None = None,
    **options: Any,
) -> Github:
    """A client acting as one installation of a GitHub App (installation token)."""
    integration = GithubIntegration(
        auth=Auth.AppAuth(app_id, private_key), **_options(base_url, options)
    )
    return integration.get_github_for_installation(installation_id)


def _options(base_url: str | None, options: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "base_url": (base_url or DEFAULT_API_URL).rstrip("/"),
        "user_agent": USER_AGENT,
        "per_page": PER_PAGE,
        "retry": retry_policy(),
        "timeout": 30,
    }
    settings.update(options)
    return settings
