"""What a repository's recent history says about who works where: the input of `init`.

`sources.repo_survey_reader` reads the commits and the CODEOWNERS file; the functions here
turn them, purely, into people (GitHub logins, and whether each is a guess), areas
(CODEOWNERS teams, a monorepo's components, commit scopes) and the people who shipped
most there, counted in merged PRs (`shipped_work`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from quarterdeck.core.model import Config, PullRequest, Team
from quarterdeck.core.review.codeowners import Codeowners
from quarterdeck.core.review.identities import IdentityBook, organisations
from quarterdeck.core.review.ownership import by_paths
from quarterdeck.core.review.pr_messages import conventional, read_pr_trace
from quarterdeck.core.vocabulary import is_bot_identity, is_bot_login

__all__ = [
    "Area",
    "Person",
    "RepoSurvey",
    "SurveyCommit",
    "busy_folders",
    "codeowners_areas",
    "commit_scope",
    "resolve_people",
    "scope_areas",
    "shipped_work",
    "support_folders",
    "whole_repository",
]

_TEAM_ENTRY = re.compile(r"^@[^/\s]+/[^/\s]+$")

# How deep containers and code roots are followed (`src/packages/x/…`).
MAX_DEPTH = 4
# Folders that hold a monorepo's components, always split into them.
CONTAINERS = frozenset(
    {"packages", "libs", "apps", "plugins", "modules", "services", "crates", "extensions"}
)
# A top-level code root is followed down to what it holds (`src/click`, `lib/rails`).
CODE_ROOTS = frozenset({"src", "lib", "source", "sources", "pkg", "internal"})
# Folders that support the components rather than being one: never a team.
SUPPORT = frozenset(
    {
        "doc", "docs", "documentation", "test", "tests", "testing", "spec", "specs",
        "__tests__", "e2e", "example", "examples", "benchmark", "benchmarks", "fixtures",
    }
)  # fmt: skip
# A component is a team's area when at least this share of the work touched it
# (and at least MIN_WORK items): a framework of a 12-framework monorepo qualifies.
COMPONENT_SHARE = 0.04
MIN_WORK = 2
_NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)  # a direct push's, unused by ownership


@dataclass(frozen=True)
class SurveyCommit:
    """One commit of the surveyed window, as git records it."""

    sha: str
    parents: tuple[str, ...]
    email: str
    name: str
    subject: str
    body: str = ""
    paths: tuple[str, ...] = ()

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def is_bot(self) -> bool:
        return is_bot_identity(self.name, self.email)


@dataclass(frozen=True)
class RepoSurvey:
    """A repository's recent commits (newest first), its CODEOWNERS and where it lives."""

    branch: str
    commits: tuple[SurveyCommit, ...] = ()
    codeowners: Codeowners | None = None
    owner: str = ""  # the repository's owner on GitHub, when the remote tells it
    since: str = ""  # ISO dates of the window read
    until: str = ""


@dataclass(frozen=True)
class Person:
    """A commit author as a GitHub login, with how that login was found."""

    login: str
    guessed: bool
    how: str  # e.g. "noreply email", "merge of alice/branch", "guessed from a@b.c"
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Area:
    """A part of the repository and the people who changed it most."""

    kind: str  # "codeowners", "folder", "repository" or "scope"
    key: str  # "@acme/replay", "packages/browser", "replay"
    shipped: int  # merged PRs (and direct pushes) counted for this area
    authors: tuple[tuple[str, int], ...]  # (login, PRs shipped here), most first
    scopes: tuple[tuple[str, int], ...] = ()  # commit scopes seen in the area
    patterns: tuple[str, ...] = field(default=())  # CODEOWNERS patterns of an entry


def commit_scope(subject: str) -> str | None:
    """The conventional-commit scope of a subject (`feat(replay): x` -> `replay`)."""
    prefix = conventional(subject)
    return prefix.scope.lower() if prefix and prefix.scope else None


def resolve_people(survey: RepoSurvey) -> dict[str, Person]:
    """Each person's author email (casefolded) -> the GitHub login history gives it.

    The rules are `core.review.identities`' as the review reads them; only a noreply
    email or a personal fork's merge is evidence (`guessed` False): a name seen beside a
    login, a login CODEOWNERS lists or an email's local part are guesses to check. An
    organisation's fork vouches for no one, and bots and assistants are nobody.
    """
    by_sha = {c.sha: c for c in survey.commits}
    owner = survey.owner.casefold()
    forks: list[tuple[str, tuple[str, str]]] = []
    mergers: list[tuple[str, str]] = []
    for commit in survey.commits:
        trace = read_pr_trace(commit.subject, len(commit.parents))
        if trace is not None and trace.style == "merge":
            mergers.append((commit.name, commit.email))
        tip = by_sha.get(commit.parents[1]) if commit.is_merge else None
        fork = trace.head_owner if trace else None
        if fork and fork.casefold() != owner and tip is not None and not tip.is_bot:
            forks.append((fork, (tip.name, tip.email)))
    orgs = organisations(forks, mergers)
    vouched = [(name, email, fork) for fork, (name, email) in forks if fork.casefold() not in orgs]
    book = IdentityBook.build({}, ((c.name, c.email) for c in survey.commits), vouched)
    listed = _listed_users(survey.codeowners)
    emails_of: dict[str, list[str]] = {}
    for commit in sorted(survey.commits, key=lambda c: (_key(c.email), c.sha)):
        emails = emails_of.setdefault(_key(commit.email), [])
        if commit.email.strip() not in emails:
            emails.append(commit.email.strip())
    people: dict[str, Person] = {}
    for commit in survey.commits:
        key = _key(commit.email)
        if key in people or commit.is_bot:
            continue
        found = book.identify(commit.name, commit.email)
        addresses = tuple(emails_of[key])
        evidence = found.source in ("noreply", "fork")
        if not evidence and found.login.casefold() in listed:
            # CODEOWNERS knows the login; that this email is theirs is still a guess.
            login = listed[found.login.casefold()]
            people[key] = Person(login, True, f"{found.how}, listed in CODEOWNERS", addresses)
        else:
            people[key] = Person(found.login, not evidence, found.how, addresses)
    return people


def shipped_work(
    survey: RepoSurvey, people: Mapping[str, Person], prs: Sequence[PullRequest] = ()
) -> list[PullRequest]:
    """What shipped in the window, one item per merged PR, the unit teams are formed from.

    `prs` are the merged PRs the review reads (`sources.git_history`), with the logins
    it gives their authors; a commit pushed straight to the branch (no PR) counts as one
    more item, by its author, and so does every commit of a history without PRs.
    Bots' work is left out: a bot is never a member. Counting PRs rather than commits
    keeps a person's twenty fixup commits from outweighing someone else's twenty
    shipped PRs.
    """
    work = [pr for pr in prs if pr.author and not is_bot_login(pr.author) and not pr.is_bot]
    # Without any PR, every commit is work pushed as it is (branches merged locally too).
    pushed = _direct_pushes(survey) if prs else [c for c in survey.commits if not c.is_merge]
    for commit in pushed:
        if commit.is_bot:
            continue
        login = people[_key(commit.email)].login
        work.append(
            PullRequest(0, commit.subject, login, _NO_DATE, paths=commit.paths, sha=commit.sha)
        )
    return work


def busy_folders(work: Sequence[PullRequest]) -> list[Area]:
    """The repository's components, where the work happens, busiest first.

    A monorepo's `packages/*`, `libs/*`, `apps/*` (see CONTAINERS), top-level folders
    (a framework's `activerecord/`, an SDK's `posthog-android/`), and what a top-level
    code root holds (`src/click/`), each kept when it has its own activity
    (COMPONENT_SHARE of the work). Never a dot-folder (`.github/`) nor one of docs,
    tests or examples (SUPPORT): they support the components and go to the team
    working there most (`support_folders`). Each item of work counts for the one
    component owning most of its paths, as the review will count it.
    """
    candidates = _split(work, "", depth=1)
    busy = [f for f in candidates if _count(work, f) >= _least(len(work))]
    return _assigned("folder", busy, work)


def support_folders(work: Sequence[PullRequest], owned: Iterable[str]) -> list[str]:
    """Folders with work that the components in `owned` leave out, dot-folders aside.

    The components too small to be teams (`packages/tiny`) and the top-level docs and
    tests folders: `init` gives each to the team that works there most, so their PRs
    are not left to no team.
    """
    covered = set(owned)
    small = {f for f in _split(work, "", depth=1) if f not in covered}
    tops = {p.split("/", 1)[0] for pr in work for p in pr.paths if "/" in p}
    helping = {t for t in tops if t.casefold() in SUPPORT and t not in covered}
    return sorted(small | helping)


def whole_repository(key: str, work: Sequence[PullRequest]) -> Area:
    """The whole repository as one area, named after its main component `key`.

    When the history shows one component only, its team owns everything around it
    too (docs, tests, release files, CI): nobody else works there.
    """
    return _area("repository", key, work)


def codeowners_areas(survey: RepoSurvey, work: Sequence[PullRequest]) -> list[Area]:
    """One area per CODEOWNERS team entry (`@org/team`), in file order of first mention.

    Each item of work counts for the entry that would own it in the review
    (`core.review.ownership.by_paths`): a specialist named beside a catch-all entry on
    one line gets that line's paths; the catch-all entry keeps the rest.
    """
    codeowners = survey.codeowners
    if codeowners is None:
        return []
    entries: dict[str, list[str]] = {}
    for rule in codeowners.rules:
        for owner in rule.owners:
            if _TEAM_ENTRY.match(owner):
                entries.setdefault(owner, []).append(rule.pattern)
    teams = tuple(Team(entry, codeowners=(entry,)) for entry in entries)
    config = Config(teams=teams, codeowners=codeowners)
    owned: dict[str, list[PullRequest]] = {e: [] for e in entries}
    for pr in work:
        found = by_paths(pr, config)
        if found is not None:
            owned[found[0].slug].append(pr)
    return [
        _area("codeowners", entry, owned[entry], patterns=tuple(entries[entry]))
        for entry in entries
    ]


def scope_areas(work: Sequence[PullRequest]) -> list[Area]:
    """One area per conventional-commit scope of the work's titles, busiest first."""
    scopes = sorted({s for pr in work if (s := commit_scope(pr.title))})
    areas = [_area("scope", s, [pr for pr in work if commit_scope(pr.title) == s]) for s in scopes]
    return sorted(areas, key=lambda a: (-a.shipped, a.key))


# ---------------------------------------------------------------------------


def _key(email: str) -> str:
    return email.strip().casefold()


def _listed_users(codeowners: Codeowners | None) -> dict[str, str]:
    if codeowners is None:
        return {}
    users = [o[1:] for o in codeowners.entries() if o.startswith("@") and "/" not in o]
    return {u.casefold(): u for u in sorted(users)}


def _direct_pushes(survey: RepoSurvey) -> list[SurveyCommit]:
    """Commits of the branch's first-parent line that record no PR: pushed straight to it."""
    by_sha = {c.sha: c for c in survey.commits}
    parents = {p for c in survey.commits for p in c.parents}
    tip = next((c for c in survey.commits if c.sha not in parents), None)
    found: list[SurveyCommit] = []
    seen: set[str] = set()
    while tip is not None and tip.sha not in seen:
        seen.add(tip.sha)
        if not tip.is_merge and read_pr_trace(tip.subject, 1) is None:
            found.append(tip)
        tip = by_sha.get(tip.parents[0]) if tip.parents else None
    return found


def _support(folder: str) -> bool:
    return any(part.startswith(".") or part.casefold() in SUPPORT for part in folder.split("/"))


def _least(total: int) -> float:
    return max(MIN_WORK, COMPONENT_SHARE * total)


def _count(work: Sequence[PullRequest], folder: str) -> int:
    return sum(1 for pr in work if _touches(pr.paths, folder))


def _assigned(kind: str, folders: Sequence[str], work: Sequence[PullRequest]) -> list[Area]:
    """Areas for `folders`, each item of work counted for the folder owning most of it."""
    teams = tuple(Team(f, paths=(f"{f}/**",)) for f in folders)
    config = Config(teams=teams)
    owned: dict[str, list[PullRequest]] = {f: [] for f in folders}
    for pr in work:
        found = by_paths(pr, config)
        if found is not None:
            owned[found[0].slug].append(pr)
    areas = [_area(kind, f, owned[f]) for f in folders if owned[f]]
    return sorted(areas, key=lambda a: (-a.shipped, a.key))


def _touches(paths: Iterable[str], folder: str) -> bool:
    return any(p.startswith(folder + "/") for p in paths)


def _children(work: Sequence[PullRequest], folder: str) -> Counter[str]:
    prefix = folder + "/" if folder else ""
    counts: Counter[str] = Counter()
    for pr in work:
        subs = {
            prefix + p[len(prefix) :].split("/", 1)[0]
            for p in pr.paths
            if p.startswith(prefix) and "/" in p[len(prefix) :]
        }
        counts.update(subs)
    return counts


def _split(work: Sequence[PullRequest], folder: str, depth: int) -> list[str]:
    """The components under `folder`: its subfolders, a container's or a code root's
    split into theirs (`packages/browser`, `src/click`), docs, tests and dot-folders
    left out."""
    found: list[str] = []
    for child in sorted(_children(work, folder)):
        if _support(child):
            continue
        name = child.rpartition("/")[2].casefold()
        root = name in CODE_ROOTS and depth == 1
        if depth < MAX_DEPTH and (name in CONTAINERS or root):
            inner = [pr for pr in work if _touches(pr.paths, child)]
            if any(not _support(g) for g in _children(inner, child)):
                found += _split(inner, child, depth + 1)
                continue
        found.append(child)
    return found


def _area(
    kind: str,
    key: str,
    work: Sequence[PullRequest],
    patterns: tuple[str, ...] = (),
) -> Area:
    authors = Counter(pr.author for pr in work if pr.author)
    scopes = Counter(scope for pr in work if (scope := commit_scope(pr.title)))
    return Area(
        kind=kind,
        key=key,
        shipped=len(work),
        authors=_ranked(authors),
        scopes=_ranked(scopes),
        patterns=patterns,
    )


def _ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0])))
