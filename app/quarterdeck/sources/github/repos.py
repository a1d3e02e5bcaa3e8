"""The repositories a token can read, per owner: one listing of 100 a request.

An organisation's repositories come from `/orgs/{owner}/repos` (all types the token
or installation can see); an owner that is a user, not an organisation, from
`/users/{owner}/repos`. Archived and fork flags come with each, so choosing from
patterns (`core.review.repositories.select_repos`) needs no request per repository.
"""

from __future__ import annotations

from collections.abc import Sequence

from github import Github
from github.PaginatedList import PaginatedList
from github.Repository import Repository

from quarterdeck.core.review.repositories import RepoInfo, Selection, owners_to_list, select_repos
from quarterdeck.errors import GitHubNotFound
from quarterdeck.sources.github.client import translated

__all__ = ["readable_repos", "resolve_repos"]


def readable_repos(gh: Github, owner: str) -> list[RepoInfo]:
    """Every repository of `owner` the token can read; [] for an owner it cannot see."""
    for url in (f"/orgs/{owner}/repos", f"/users/{owner}/repos"):
        listing = PaginatedList(Repository, gh.requester, url, {"per_page": 100, "type": "all"})
        try:
            with translated(f"listing the repositories of {owner}"):
                return [RepoInfo(r.full_name, bool(r.archived), bool(r.fork)) for r in listing]
        except GitHubNotFound:
            continue  # not an organisation: try it as a user
    return []


def resolve_repos(gh: Github, home: str, patterns: Sequence[str]) -> Selection:
    """The home repository and every one `patterns` names (see `select_repos`)."""
    if not patterns:
        return Selection((home,))
    readable = [info for owner in owners_to_list(patterns) for info in readable_repos(gh, owner)]
    return select_repos(home, patterns, readable)
