"""GitHub's App manifest flow, the pure parts: the manifest, the URLs, the page, the file.

`quarterdeck app register` (cli/app_register.py → services/register.py) registers the
GitHub App from the shipped `app.yml`: a local page posts the manifest to GitHub's
"new App" form, GitHub redirects back with a one-time `code`, and the code is
exchanged at `POST /app-manifests/{code}/conversions` for the App's ID, private key and
webhook secret (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest).
Everything here is a function of its arguments: no I/O.
"""

from __future__ import annotations

import copy
import html
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from quarterdeck.core.settings_rules import http_url_problem, webhook_secret_problem

PUBLIC_API_URL = "https://api.github.com"
PUBLIC_WEB_URL = "https://github.com"
# app.yml's own hook URL: a placeholder that GitHub would deliver nowhere useful.
PLACEHOLDER_HOST = "quarterdeck.example.com"
LOOPBACK_NAMES = ("localhost",)


class ManifestProblem(ValueError):
    """The manifest, a URL or GitHub's answer cannot be used; the message says why."""


def web_url(api_url: str | None) -> str:
    """GitHub's web address for its REST API address (`GITHUB_API_URL`).

    github.com's API is `https://api.github.com`; GitHub Enterprise Server's is
    `https://HOST/api/v3` (web: `https://HOST`); GitHub Enterprise Cloud with data
    residency's is `https://api.SUBDOMAIN.ghe.com` (web: `https://SUBDOMAIN.ghe.com`).
    """
    if not api_url:
        return PUBLIC_WEB_URL
    problem = http_url_problem("GITHUB_API_URL", api_url, PUBLIC_API_URL)
    if problem:
        raise ManifestProblem(problem)
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if parts.path.rstrip("/") == "/api/v3":
        return f"{parts.scheme}://{host}"
    if not parts.path and host.startswith("api."):
        return f"{parts.scheme}://{host.removeprefix('api.')}"
    raise ManifestProblem(
        f"GITHUB_API_URL={api_url} is neither github.com's API (https://api.github.com), "
        "GitHub Enterprise Server's (https://HOST/api/v3) nor GHE.com's "
        "(https://api.SUBDOMAIN.ghe.com); set it to your GitHub's REST API address"
    )


def is_loopback(host: str | None) -> bool:
    """Whether `host` is this machine (127.0.0.0/8, ::1 or localhost)."""
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot be the App's webhook URL, or None.

    GitHub signs deliveries, but over plain http anyone on the way could read every
    payload (and the repositories' contents they quote): only https, except for a
    server on this machine (127.0.0.1 or localhost), which is only for trying it out.
    """
    problem = http_url_problem("--webhook-url", url, "https://quarterdeck.example.org/webhook")
    if problem:
        return problem
    parts = urlsplit(url)
    if parts.scheme != "https" and not is_loopback(parts.hostname):
        return (
            f"--webhook-url must use https (GitHub's deliveries carry your repositories' "
            f"data); http:// is allowed only for 127.0.0.1 or localhost, not {parts.hostname}. "
            "Put `quarterdeck serve` behind a proxy with TLS (README, Deploy) and give its "
            "https URL, e.g. https://quarterdeck.example.org/webhook"
        )
    if parts.hostname == PLACEHOLDER_HOST:
        return (
            f"the webhook URL is app.yml's placeholder ({url}); pass --webhook-url with the "
            "https URL where `quarterdeck serve` answers POST /webhook"
        )
    return None


def build_manifest(
    template: Mapping[str, Any], *, redirect_url: str, webhook_url: str | None
) -> dict[str, Any]:
    """The manifest to post: `app.yml`'s, with GitHub sending the browser back to
    `redirect_url` and deliveries to `webhook_url` (default: app.yml's own, refused
    while it is the placeholder)."""
    if not isinstance(template, Mapping) or not template.get("name"):
        raise ManifestProblem("app.yml is not an App manifest: it needs at least a `name`")
    manifest = copy.deepcopy(dict(template))
    hook = dict(manifest.get("hook_attributes") or {})
    url = webhook_url or str(hook.get("url") or "")
    if not url:
        raise ManifestProblem(
            "no webhook URL: pass --webhook-url with the https URL where `quarterdeck serve` "
            "answers POST /webhook"
        )
    problem = webhook_url_problem(url)
    if problem:
        raise ManifestProblem(problem)
    hook.update(url=url, active=True)
    manifest["hook_attributes"] = hook
    manifest["redirect_url"] = redirect_url
    return manifest


def new_app_url(web: str, state: str, org: str | None = None) -> str:
    """Where the manifest is posted: the user's "new App" form, or the organisation's."""
    where = f"/organizations/{quote(org, safe='')}" if org else ""
    return f"{web.rstrip('/')}{where}/settings/apps/new?{urlencode({'state': state})}"


def app_settings_url(web: str, slug: str, org: str | None = None) -> str:
    """The App's settings page (where its webhook secret and URL are edited)."""
    where = f"/organizations/{quote(org, safe='')}" if org else ""
    return f"{web.rstrip('/')}{where}/settings/apps/{quote(slug, safe='')}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
script-src 'sha256-{script_hash}'; style-src 'unsafe-inline'; form-action {form_action} 'self'">
<meta name="referrer" content="no-referrer">
<title>Register {name} on GitHub</title>
<style>body {{ font: 16px/1.5 sans-serif; max-width: 40em; margin: 3em auto; }}</style>
</head><body>
<h1>Register {name} on GitHub</h1>
<p>This sends the App's manifest (its name, permissions, events and webhook URL) to
{web}. GitHub shows it to you before anything is created; then it brings you back
here and <code>quarterdeck app register</code> saves the App's settings.</p>
<form id="manifest-form" method="post" action="{action}">
<input type="hidden" name="manifest" value="{manifest}">
<button type="submit">Create the GitHub App on {web}</button>
</form>
<script>{script}</script>
</body></html>
"""
_SCRIPT = 'document.getElementById("manifest-form").submit();'


def manifest_page(manifest: Mapping[str, Any], action: str, web: str) -> str:
    """The local page: a form posting `manifest` (JSON in the `manifest` field) to
    `action`, submitted on load (its button, when scripts are off). Every value from
    the manifest or a URL is HTML-escaped; the page's policy lets its one script run
    and its form go only to GitHub (and GitHub's redirect only back here)."""
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    parts = urlsplit(action)
    return _PAGE.format(
        script_hash=digest,
        form_action=html.escape(f"{parts.scheme}://{parts.netloc}", quote=True),
        name=html.escape(str(manifest.get("name", "the App"))),
        web=html.escape(web),
        action=html.escape(action, quote=True),
        manifest=html.escape(json.dumps(manifest, ensure_ascii=False), quote=True),
        script=_SCRIPT,
    )


@dataclass(frozen=True)
class RegisteredApp:
    """What GitHub's conversion answer says about the new App."""

    id: int
    slug: str
    name: str
    html_url: str
    pem: str
    webhook_secret: str | None  # None: GitHub sent none (or one too weak to use)
    owner: str | None = None

    def __repr__(self) -> str:  # never the key or the secret, wherever it is printed
        return f"RegisteredApp(id={self.id}, slug={self.slug!r}, html_url={self.html_url!r})"

    @property
    def install_url(self) -> str:
        """Where a person installs the App on their repositories."""
        return f"{self.html_url.rstrip('/')}/installations/new"


def parse_conversion(data: Any) -> RegisteredApp:
    """GitHub's answer to `POST /app-manifests/{code}/conversions`, checked."""
    if not isinstance(data, Mapping):
        raise ManifestProblem("GitHub's answer to the manifest conversion is not a JSON object")
    missing = [
        key
        for key in ("id", "slug", "html_url", "pem")
        if not data.get(key) or isinstance(data.get(key), bool)
    ]
    if missing:
        raise ManifestProblem(
            f"GitHub's answer to the manifest conversion lacks {', '.join(missing)}; the App "
            "may have been created anyway: look in GitHub's Developer settings → GitHub Apps"
        )
    if not str(data["id"]).isdigit():
        raise ManifestProblem(
            "GitHub's answer to the manifest conversion has an App id that is not a number"
        )
    secret = data.get("webhook_secret")
    if not isinstance(secret, str) or webhook_secret_problem("webhook_secret", secret):
        secret = None
    owner = data.get("owner")
    return RegisteredApp(
        id=int(data["id"]),
        slug=str(data["slug"]),
        name=str(data.get("name") or data["slug"]),
        html_url=str(data["html_url"]),
        pem=str(data["pem"]),
        webhook_secret=secret,
        owner=str(owner["login"]) if isinstance(owner, Mapping) and owner.get("login") else None,
    )


def env_file_text(app: RegisteredApp, webhook_secret: str, api_url: str | None) -> str:
    """The settings file `quarterdeck serve --env-file` reads (python-dotenv's format,
    which Docker Compose's `env_file` reads too): the App's ID, its private key on one
    line (`\\n` for each line break, as both readers undo in double quotes) and the
    webhook secret; `GITHUB_API_URL` off github.com."""
    key = app.pem.strip().replace("\r\n", "\n").replace("\n", "\\n")
    lines = [
        f"# The GitHub App {app.name} ({app.html_url}), registered by `quarterdeck app register`.",
        "# Secrets: keep this file readable by you alone (mode 0600); never commit it.",
        f"QUARTERDECK_APP_ID={app.id}",
        f'QUARTERDECK_PRIVATE_KEY="{key}"',
        f"QUARTERDECK_WEBHOOK_SECRET={webhook_secret}",
    ]
    if api_url and api_url.rstrip("/") != PUBLIC_API_URL:
        lines.append(f"GITHUB_API_URL={api_url.rstrip('/')}")
    return "\n".join(lines) + "\n"
