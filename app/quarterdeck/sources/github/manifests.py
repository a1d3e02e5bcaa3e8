"""The App manifest flow's one API call: exchange GitHub's code for the new App.

`POST /app-manifests/{code}/conversions` needs no authentication: the one-time code
(valid for an hour) is the credential. The answer carries the App's private key and
webhook secret, registered with the redactor before anything could quote them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from github import Github, GithubException

from quarterdeck.errors import GitHubError, GitHubNotFound, GitHubRefused
from quarterdeck.redact import register
from quarterdeck.sources.github.client import _options, route_library_logs, translated

DOING = "exchanging the App manifest's code for the App's settings"


def convert_manifest_code(code: str, *, base_url: str | None = None) -> dict[str, Any]:
    """GitHub's answer for `code`: the App's `id`, `slug`, `html_url`, `pem`,
    `webhook_secret`, … (https://docs.github.com/rest/apps/apps#create-a-github-app-from-a-manifest).

    A 404 or 422 (the code unknown, used or expired; the manifest refused) raises a
    `GitHubError` saying to run the registration again; other failures are translated
    as every GitHub call's are (`client.translated`).
    """
    route_library_logs()
    gh = Github(**_options(base_url, {}))
    path = f"/app-manifests/{quote(code, safe='')}/conversions"
    with translated(DOING):
        try:
            _, data = gh.requester.requestJsonAndCheck("POST", path)
        except GithubException as exc:
            if exc.status in (404, 410, 422):
                raise _code_refused(exc) from exc
            raise  # translated as every GitHub call's failure is
    if isinstance(data, dict):
        register(*(str(data.get(k) or "") for k in ("pem", "webhook_secret", "client_secret")))
        return data
    raise GitHubError(f"GitHub's answer while {DOING} is not a JSON object", None)


def _code_refused(exc: GithubException) -> GitHubError:
    """GitHub's 404 (the code unknown, used or expired) or 422 (the manifest refused),
    with GitHub's own words and what to do."""
    data = exc.data if isinstance(exc.data, dict) else {}
    said = str(data.get("message") or exc.message or "no message")
    # GitHub's 422 lists its reasons as strings ("validation-error-simple") or objects.
    details = [
        str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
        for e in data.get("errors") or []
    ]
    if details:
        said += " — " + "; ".join(details)
    if exc.status == 422:
        why = "GitHub refused the manifest or the code"
    else:
        why = (
            "the code GitHub sent back is unknown, already used or expired "
            "(it works once, for an hour)"
        )
    kind = GitHubRefused if exc.status == 422 else GitHubNotFound
    return kind(
        f"GitHub answered {exc.status} while {DOING}: {said}; {why}. Nothing was written. "
        "Run `quarterdeck app register` again; if GitHub created an App anyway, delete it "
        "first in Developer settings → GitHub Apps",
        exc.status,
    )
