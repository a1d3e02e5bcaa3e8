"""Reviews that read more than one repository: one history, PRs named by repository. Pure.

A team ships where its work lives: the app, SDKs, the docs site. A PR is
identified by (repository, number) everywhere, since every repository counts its
PRs from 1; a review of one repository shows `#12` as before, a review of several
shows a PR of any repository but the home one as `sdk#12`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from quarterdeck.core.model import PullRequest

__all__ = [
    "RepoInfo",
    "Selection",
    "from_home",
    "home_of",
    "in_scope",
    "merge_histories",
    "owners_to_list",
    "owns_repo",
    "pr_label",
    "select_repos",
    "short_name",
]


@dataclass(frozen=True)
class RepoInfo:
    """A repository the token can read, as GitHub lists it."""

    full_name: str
    archived: bool = False
    fork: bool = False


@dataclass(frozen=True)
class Selection:
    """The repositories a review reads (the home one first) and what could not be read."""

    repos: tuple[str, ...]
    # (pattern as written, a sentence naming it and what to do), one per pattern that
    # names a repository the token cannot read or matches none.
    problems: tuple[tuple[str, str], ...] = ()


def _wild(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def owners_to_list(patterns: Sequence[str]) -> tuple[str, ...]:
    """The owners whose repositories must be listed to answer `patterns`, each once."""
    owners = (p.lstrip("!").split("/", 1)[0] for p in patterns if p.strip())
    return tuple(dict.fromkeys(o.casefold() for o in owners))


def select_repos(home: str, patterns: Sequence[str], readable: Sequence[RepoInfo]) -> Selection:
    """The repositories `patterns` name, from those the token can read (`readable`).

    The home repository always comes first. A plain `owner/name` is read even when it is
    archived or a fork; a pattern (`acme/sdk-*`) matches neither; `!pattern` leaves out
    what it matches, whatever the order. A name the token cannot read, or a pattern
    that matches nothing, is a problem said out loud: a silently skipped repository
    would under-count its teams.
    """
    by_name = {r.full_name.casefold(): r for r in readable}
    chosen: dict[str, str] = {home.casefold(): home}
    problems: list[tuple[str, str]] = []
    excluded = [p[1:].casefold() for p in patterns if p.startswith("!")]
    for pattern in (p for p in patterns if not p.startswith("!")):
        wanted = pattern.casefold()
        if not _wild(pattern):
            found = by_name.get(wanted)
            if found is None:
                problems.append((
                    pattern,
                    f"cannot read {pattern}: it does not exist or the token (or the App's "
                    "installation) has no access; grant Contents: read and Pull requests: "
                    "read on it, or remove it from `repos:`",
                ))  # fmt: skip
            else:
                chosen.setdefault(wanted, found.full_name)
            continue
        matches = [
            r
            for r in readable
            if fnmatch.fnmatchcase(r.full_name.casefold(), wanted) and not (r.archived or r.fork)
        ]
        if not matches:
            problems.append((
                pattern,
                f"`{pattern}` matches no repository the token can read (archived repositories "
                "and forks count only when named)",
            ))  # fmt: skip
        for r in sorted(matches, key=lambda r: r.full_name.casefold()):
            chosen.setdefault(r.full_name.casefold(), r.full_name)
    kept = [
        name
        for key, name in chosen.items()
        if key == home.casefold() or not any(fnmatch.fnmatchcase(key, x) for x in excluded)
    ]
    return Selection(tuple(kept), tuple(problems))


def home_of(repo: RepoInfo, config_repo: str, patterns: Sequence[str]) -> str | None:
    """The home of `repo`'s PRs for the App (where goals live), or None: not selected.

    `config_repo` is where the config that applies was found: `repo` itself (its own
    file always wins, for its own PRs) or the owner's `.github` repository. A config
    without `patterns` (`repos:` / `org:`) is shared: each repository keeps its own
    goals, so it is its own home. One with patterns is organisation-wide: its home is
    where it lives, and it speaks only for the repositories it selects (by the same
    rules as the review: archived ones and forks only when named).
    """
    if config_repo.casefold() == repo.full_name.casefold() or not patterns:
        return repo.full_name
    chosen = select_repos(config_repo, patterns, [repo]).repos
    named = repo.full_name.casefold() in {name.casefold() for name in chosen}
    return config_repo if named else None


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


# `acme/web:frontend/**`: a path pattern within one repository.
_QUALIFIED = re.compile(r"^(?P<repo>[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9_.-]+):(?P<glob>.+)$")


def in_scope(pattern: str, pr: PullRequest, home: str | None) -> str | None:
    """The glob of a path pattern, if it applies to `pr`'s changed paths, else None.

    `owner/name:glob` applies in that repository only; a plain glob in the home
    repository only (so `src/**` meant for the app never claims the SDK's `src/`).
    """
    m = _QUALIFIED.match(pattern)
    if m is not None:
        return m["glob"] if pr.repo.casefold() == m["repo"].casefold() else None
    return pattern if from_home(pr, home) else None


def owns_repo(patterns: Sequence[str], pr: PullRequest) -> str | None:
    """The first of `patterns` (`owner/name`, `owner/sdk-*`) naming `pr`'s repository."""
    name = pr.repo.casefold()
    return next((p for p in patterns if name and fnmatch.fnmatchcase(name, p.casefold())), None)


def pr_label(pr: PullRequest, repos: Sequence[str]) -> str:
    """`#12`, or `sdk#12` for a PR of another repository than the first of `repos`."""
    if len(repos) > 1 and not from_home(pr, repos[0]):
        return f"{short_name(pr.repo)}#{pr.number}"
    return f"#{pr.number}"
