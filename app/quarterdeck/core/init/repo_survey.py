"""What a repository's recent history says about who works where: the input of `init`.

`sources.repo_survey` reads the commits and the CODEOWNERS file; the functions here
turn them, purely, into people (GitHub logins, and whether each is a guess), areas
(busy folders, CODEOWNERS teams, commit scopes) and their most active authors.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from quarterdeck.core.review.codeowners import Codeowners
from quarterdeck.core.review.identities import IdentityBook, organisations
from quarterdeck.core.review.pr_messages import conventional, read_pr_trace
from quarterdeck.core.vocabulary import is_bot_identity

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
]

_TEAM_ENTRY = re.compile(r"^@[^/\s]+/[^/\s]+$")

# A folder is split into its subfolders when it holds at least this share of all
# folder activity and at least two subfolders each hold MIN_SHARE of it (a monorepo's
# `packages/`); a folder with a single busy subfolder (`src/` -> `src/flask/`) is
# followed down as well.
SPLIT_SHARE = 0.5
MIN_SHARE = 0.1
MAX_DEPTH = 4


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

    kind: str  # "codeowners", "folder" or "scope"
    key: str  # "@acme/replay", "packages/browser", "replay"
    commits: int
    authors: tuple[tuple[str, int], ...]  # (login, commits), most active first
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
        emails = tuple(emails_of[key])
        evidence = found.source in ("noreply", "fork")
        if not evidence and found.login.casefold() in listed:
            # CODEOWNERS knows the login; that this email is theirs is still a guess.
            login = listed[found.login.casefold()]
            people[key] = Person(login, True, f"{found.how}, listed in CODEOWNERS", emails)
        else:
            people[key] = Person(found.login, not evidence, found.how, emails)
    return people


def busy_folders(survey: RepoSurvey, people: Mapping[str, Person]) -> list[Area]:
    """The folders where the work happens, busiest first.

    Top-level folders, except that a folder holding most of the activity is split into
    its subfolders (see SPLIT_SHARE). Each area's authors are ranked by commits.
    """
    work = _work(survey, people)
    total = len([c for c in work if any("/" in p for p in c[1])])
    if total == 0:
        return []
    folders = _split(work, "", total, depth=1)
    areas = [_area("folder", f, [c for c in work if _touches(c[1], f)]) for f in folders]
    areas = [a for a in areas if a.commits >= MIN_SHARE * total]
    return sorted(areas, key=lambda a: (-a.commits, a.key))


def codeowners_areas(survey: RepoSurvey, people: Mapping[str, Person]) -> list[Area]:
    """One area per CODEOWNERS team entry (`@org/team`), in file order of first mention."""
    codeowners = survey.codeowners
    if codeowners is None:
        return []
    entries: dict[str, list[str]] = {}
    for rule in codeowners.rules:
        for owner in rule.owners:
            if _TEAM_ENTRY.match(owner):
                entries.setdefault(owner, []).append(rule.pattern)
    work = _work(survey, people)
    owned: dict[str, list[tuple[str, tuple[str, ...], str | None]]] = {e: [] for e in entries}
    for item in work:
        owners = {o for path in item[1] for o in codeowners.owners_of(path)}
        for entry in owners & set(entries):
            owned[entry].append(item)
    return [
        _area("codeowners", entry, owned[entry], patterns=tuple(entries[entry]))
        for entry in entries
    ]


def scope_areas(survey: RepoSurvey, people: Mapping[str, Person]) -> list[Area]:
    """One area per conventional-commit scope, busiest first."""
    work = _work(survey, people)
    scopes = sorted({s for _, _, s in work if s})
    areas = [_area("scope", s, [c for c in work if c[2] == s]) for s in scopes]
    return sorted(areas, key=lambda a: (-a.commits, a.key))


# ---------------------------------------------------------------------------


def _key(email: str) -> str:
    return email.strip().casefold()


def _listed_users(codeowners: Codeowners | None) -> dict[str, str]:
    if codeowners is None:
        return {}
    users = [o[1:] for o in codeowners.entries() if o.startswith("@") and "/" not in o]
    return {u.casefold(): u for u in sorted(users)}


def _work(
    survey: RepoSurvey, people: Mapping[str, Person]
) -> list[tuple[str, tuple[str, ...], str | None]]:
    """(login, paths, scope) of each non-merge, non-bot commit: the work done."""
    scopes = _pr_scopes(survey)
    work = []
    for commit in survey.commits:
        if commit.is_merge or commit.is_bot:
            continue
        login = people[_key(commit.email)].login
        scope = commit_scope(commit.subject) or scopes.get(commit.sha)
        work.append((login, commit.paths, scope))
    return work


def _pr_scopes(survey: RepoSurvey) -> dict[str, str]:
    # A merge commit's PR title scopes the branch tip's work.
    found: dict[str, str] = {}
    for commit in survey.commits:
        if not commit.is_merge:
            continue
        trace = read_pr_trace(f"{commit.subject}\n{commit.body}", len(commit.parents))
        scope = commit_scope(trace.title) if trace else None
        if scope:
            found.setdefault(commit.parents[1], scope)
    return found


def _touches(paths: Iterable[str], folder: str) -> bool:
    return any(p.startswith(folder + "/") for p in paths)


def _children(work: list[tuple[str, tuple[str, ...], str | None]], folder: str) -> Counter[str]:
    prefix = folder + "/" if folder else ""
    counts: Counter[str] = Counter()
    for _, paths, _ in work:
        subs = {
            prefix + p[len(prefix) :].split("/", 1)[0]
            for p in paths
            if p.startswith(prefix) and "/" in p[len(prefix) :]
        }
        counts.update(subs)
    return counts


def _split(
    work: list[tuple[str, tuple[str, ...], str | None]], folder: str, total: int, depth: int
) -> list[str]:
    found: list[str] = []
    for child, count in sorted(_children(work, folder).items()):
        if depth < MAX_DEPTH and count >= SPLIT_SHARE * total:
            inner = [c for c in work if _touches(c[1], child)]
            grand = _children(inner, child)
            busy = [g for g, n in grand.items() if n >= MIN_SHARE * count]
            single = len(busy) == 1 and grand[busy[0]] == count
            if len(busy) >= 2 or single:
                found += _split(inner, child, total, depth + 1)
                continue
        found.append(child)
    return found


def _area(
    kind: str,
    key: str,
    work: list[tuple[str, tuple[str, ...], str | None]],
    patterns: tuple[str, ...] = (),
) -> Area:
    authors = Counter(login for login, _, _ in work)
    scopes = Counter(scope for _, _, scope in work if scope)
    return Area(
        kind=kind,
        key=key,
        commits=len(work),
        authors=_ranked(authors),
        scopes=_ranked(scopes),
        patterns=patterns,
    )


def _ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0])))
