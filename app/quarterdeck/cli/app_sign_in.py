"""Sign in as a GitHub App instead of with a token: the Action's `app-id`,
`app-private-key` and `app-installation-id` inputs, which reach the CLI as
GH_APP_ID, GH_APP_PRIVATE_KEY and GH_APP_INSTALLATION_ID (the names issue-metrics and
other Actions use).

The entry point's part only: read the settings, mask the minted token in a GitHub
Actions log, and keep one client per run. The minting itself is
`sources.github.client.sign_in_as_app`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from quarterdeck.errors import QuarterdeckError

__all__ = ["APP_ID_ENV", "INSTALLATION_ENV", "KEY_ENV", "app_client"]

APP_ID_ENV = "GH_APP_ID"
KEY_ENV = "GH_APP_PRIVATE_KEY"
INSTALLATION_ENV = "GH_APP_INSTALLATION_ID"


def app_client(
    repo: str,
    env: Mapping[str, str],
    *,
    base_url: str | None = None,
    memo: dict[Any, Any] | None = None,
) -> Any | None:
    """A client acting as the GitHub App's installation on `repo`, when `env` holds
    GH_APP_ID; None when it does not (the caller uses its token).

    `memo` is the run's own (one per command run): `review --publish` asks for its
    client twice (to read, then to write) and gets the same one, one token minted.

    In GitHub Actions (GITHUB_ACTIONS=true) the minted token is masked (`::add-mask::`
    on stderr, which the runner reads and never shows) before anything else is printed.
    Raises QuarterdeckError naming the setting to fix when one is missing or wrong.
    """
    from quarterdeck.sources.github.client import AppInputs, sign_in_as_app

    app_id = env.get(APP_ID_ENV, "").strip()
    key = env.get(KEY_ENV, "")
    installation = env.get(INSTALLATION_ENV, "").strip()
    if not app_id:
        if key.strip() or installation:
            raise QuarterdeckError(
                f"{_named(KEY_ENV if key.strip() else INSTALLATION_ENV)} is set but "
                f"{_named(APP_ID_ENV)} is not: give the App ID from the GitHub App's settings "
                "page too, or neither to use the token"
            )
        return None
    if not key.strip():
        raise QuarterdeckError(
            f"{_named(APP_ID_ENV)} is set but {_named(KEY_ENV)} is empty: pass the App's "
            "private key from a secret (`app-private-key: ${{ secrets.QUARTERDECK_APP_KEY }}`), "
            "the whole .pem file generated on the App's settings page"
        )
    if installation and not installation.isdigit():
        raise QuarterdeckError(
            f"{_named(INSTALLATION_ENV)} must be a number (the end of the installation's "
            "settings address, github.com/settings/installations/<id>), or empty to find "
            f"it from {repo}"
        )
    signed_in = {} if memo is None else memo
    slot = (app_id, repo.lower(), installation, base_url)
    if slot not in signed_in:
        signed = sign_in_as_app(
            app_id,
            key,
            repo,
            installation_id=int(installation) if installation else None,
            base_url=base_url,
            names=AppInputs(
                app_id=_named(APP_ID_ENV),
                private_key=_named(KEY_ENV),
                installation_id=_named(INSTALLATION_ENV),
            ),
        )
        if env.get("GITHUB_ACTIONS") == "true":
            # Printed raw, never through the redactor: the runner must see the value.
            print(f"::add-mask::{signed.token}", file=sys.stderr, flush=True)
        signed_in[slot] = signed.gh
    return signed_in[slot]


_INPUTS = {
    APP_ID_ENV: "app-id",
    KEY_ENV: "app-private-key",
    INSTALLATION_ENV: "app-installation-id",
}


def _named(variable: str) -> str:
    """A setting as both its readers know it: the Action's input and the variable."""
    return f"`{_INPUTS[variable]}` ({variable})"
