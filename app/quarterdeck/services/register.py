"""Register the GitHub App from its manifest, as Probot does: the flow, without the
local web server and the browser (those are the entry point's, `cli/app_register.py`).

1. `start_registration`: the manifest from `app.yml` (redirect and webhook URLs set),
   a random `state`, and the GitHub form it is posted to.
2. The person confirms on GitHub, which redirects to the local callback with a
   one-time `code` and the same `state`.
3. `finish_registration`: `state` checked (constant time), the code exchanged for the
   App's ID, private key and webhook secret, all written to a file only the user can
   read; nothing secret is returned for printing.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quarterdeck.core.app_manifest import (
    ManifestProblem,
    RegisteredApp,
    app_settings_url,
    build_manifest,
    env_file_text,
    manifest_page,
    new_app_url,
    parse_conversion,
    web_url,
)
from quarterdeck.core.vocabulary import is_login
from quarterdeck.errors import QuarterdeckError
from quarterdeck.redact import register
from quarterdeck.sources.app_registration import (
    read_app_manifest,
    refuse_existing,
    write_private_file,
)

Convert = Callable[..., dict[str, Any]]


class StateMismatch(QuarterdeckError):
    """The callback's `state` is not the one this registration sent to GitHub."""


@dataclass(frozen=True)
class Registration:
    """One registration under way: what is posted to GitHub, and where it ends up."""

    manifest: dict[str, Any]
    post_url: str  # GitHub's "new App" form, with the state
    web: str  # GitHub's web address (github.com or the Enterprise Server's)
    api_url: str | None  # GITHUB_API_URL; None for github.com
    output: Path
    force: bool
    state: str = field(repr=False)
    org: str | None = None

    def page(self) -> str:
        """The local page whose form posts the manifest to GitHub."""
        return manifest_page(self.manifest, self.post_url, self.web)


@dataclass(frozen=True)
class Registered:
    """The App GitHub created and where its settings were written."""

    app: RegisteredApp
    output: Path
    secret_generated: bool  # GitHub sent no webhook secret: set this one on its page
    settings_url: str  # the App's settings page on GitHub


def start_registration(
    *,
    redirect_url: str,
    output: Path,
    org: str | None = None,
    webhook_url: str | None = None,
    api_url: str | None = None,
    force: bool = False,
) -> Registration:
    """Prepare a registration; refuses an existing `output` (without `force`), a bad
    organisation name, webhook URL or GITHUB_API_URL before anything reaches GitHub."""
    refuse_existing(output, force=force)
    if org is not None and not is_login(org):
        raise QuarterdeckError(
            f"--org takes an organisation's login such as acme, not {org!r}; leave it out "
            "to register the App on your own account"
        )
    try:
        web = web_url(api_url)
        manifest = build_manifest(
            read_app_manifest(), redirect_url=redirect_url, webhook_url=webhook_url
        )
    except ManifestProblem as exc:
        raise QuarterdeckError(str(exc)) from None
    state = secrets.token_urlsafe(32)
    return Registration(
        manifest=manifest,
        post_url=new_app_url(web, state, org),
        web=web,
        api_url=api_url.rstrip("/") if api_url else None,
        output=output,
        force=force,
        state=state,
        org=org,
    )


def finish_registration(
    registration: Registration, *, code: str, state: str, convert: Convert | None = None
) -> Registered:
    """Check `state`, exchange `code` for the App and write its settings file.

    `convert` is the gateway's `convert_manifest_code` (a parameter so the flow's
    order can be driven without GitHub). Raises StateMismatch before any request
    when `state` is not this registration's.
    """
    if not hmac.compare_digest(state.encode(), registration.state.encode()):
        raise StateMismatch(
            "the answer that reached the local callback carries another `state` than this "
            "registration sent to GitHub (an old browser tab, or a page that is not "
            "GitHub's); nothing was exchanged or written. Run `quarterdeck app register` again"
        )
    if not code:
        raise QuarterdeckError(
            "GitHub came back without a `code` (the App was not created, or the form was "
            "cancelled); run `quarterdeck app register` again"
        )
    if convert is None:
        from quarterdeck.sources.github.manifests import convert_manifest_code

        convert = convert_manifest_code
    try:
        app = parse_conversion(convert(code, base_url=registration.api_url))
    except ManifestProblem as exc:
        raise QuarterdeckError(str(exc)) from None
    secret = app.webhook_secret
    generated = secret is None
    if secret is None:
        # GitHub sent none: one is made here; the person sets it on the App's page.
        secret = secrets.token_hex(32)
    register(secret, app.pem)
    text = env_file_text(app, secret, registration.api_url)
    write_private_file(registration.output, text, force=registration.force)
    settings = app_settings_url(registration.web, app.slug, registration.org)
    return Registered(app, registration.output, generated, settings)
