"""The App's installations and the repositories each may use, 100 a request.

`GET /app/installations` is asked with the App's JWT; `GET /installation/repositories`
with one installation's token (it lists exactly what that installation was granted).
"""

from __future__ import annotations

from github import Github
from github.PaginatedList import PaginatedList
from github.Repository import Repository

from quarterdeck.core.schedule import Installation
from quarterdeck.sources.github.client import connect_integration, translated

__all__ = ["app_installations", "installation_repos"]


def app_installations(
    app_id: int | str, private_key: str, *, base_url: str | None = None
) -> list[Installation]:
    """Every installation of the App, oldest first (GitHub's order)."""
    integration = connect_integration(app_id, private_key, base_url=base_url)
    with translated("listing the App's installations (GET /app/installations)"):
        return [
            Installation(i.id, i.account.login if i.account else "", i.suspended_at is not None)
            for i in integration.get_installations()
        ]


def installation_repos(gh: Github) -> list[Repository]:
    """The repositories the installation behind `gh` may use, by GitHub's order."""
    listing = PaginatedList(
        Repository, gh.requester, "/installation/repositories", None, list_item="repositories"
    )
    with translated("listing the installation's repositories (GET /installation/repositories)"):
        return list(listing)
