"""Reviews that read more than one repository: one history, PRs named by repository. Pure.

A team ships where its work lives: the app, SDKs, the docs site. A PR is
identified by (repository, number) everywhere, since every repository counts its
PRs from 1; a review of one repository shows `#12` as before, a review of several
shows a PR of any repository but the home one as `sdk#12`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from quarterdeck.core.model import PullRequest

__all__ = ["from_home", "merge_histories", "pr_label", "short_name"]


def merge_histories(histories: Iterable[Sequence[PullRequest]]) -> list[PullRequest]:
    """Several repositories' merged PRs as one history: oldest first, each PR once."""
    seen: dict[tuple[str, int], PullRequest] = {}
    for history in histories:
        for pr in history:
            seen.setdefault(pr.key, pr)
    return sorted(seen.values(), key=lambda pr: (pr.merged_at, pr.key))


def short_name(repo: str) -> str:
    """`acme/posthog-js` -> `posthog-js`: how a review names a repository in a PR line."""
    return repo.rsplit("/", 1)[-1]


def from_home(pr: PullRequest, home: str | None) -> bool:
    """Whether `pr` was merged in the home repository (or the review reads only one)."""
    return not home or not pr.repo or pr.repo.casefold() == home.casefold()


def pr_label(pr: PullRequest, repos: Sequence[str]) -> str:
    """`#12`, or `sdk#12` for a PR of another repository than the first of `repos`."""
    if len(repos) > 1 and not from_home(pr, repos[0]):
        return f"{short_name(pr.repo)}#{pr.number}"
    return f"#{pr.number}"
