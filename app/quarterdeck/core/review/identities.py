"""Who a git identity is on GitHub, and who wrote a PR: evidence ranked by strength. Pure.

Offline, git knows names and emails, not logins. The one rule the review, `link`, the
App and `init` share, strongest evidence first:

1. GitHub's own answer (GitHub mode: the PR's author as the API gives it);
2. a GitHub noreply email on the PR's commits, `123+login@users.noreply.github.com`;
3. the owner of a personal fork the PR was merged from (`Merge pull request #N from
   login/…`): a fork owner whose merges carry the work of several different people
   is an organisation (`from Shopify/…`), never an author nor a vouch for anyone;
4. the config's `identities` (login -> emails or names): a person's word;
5. what the history suggests: an email or a name seen beside a noreply email, or as
   the author of a personal fork's branch, elsewhere (a majority of the votes);
6. a guess shaped like a login: a git author name that already is a login
   (`pgjones`), else the email's local part (`jane.doe` -> `jane-doe`).

Only 1–4 are evidence; 5 and 6 are guesses (`guessed` is True): they are shown as
guesses everywhere and never @-mentioned. Bots and AI assistants
(`core.vocabulary.is_bot_identity`) are never people: not authors, not co-authors,
and a PR a bot opened with a person as co-author is that person's work.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from quarterdeck.core.config.essentials import LOGIN
from quarterdeck.core.model import PullRequest
from quarterdeck.core.vocabulary import is_bot_identity, is_bot_login, is_login

__all__ = [
    "GUESSED",
    "ORGANISATION_PEOPLE",
    "Credit",
    "Identified",
    "IdentityBook",
    "author_words",
    "credit",
    "guess_login",
    "noreply_login",
    "organisations",
    "shown_author",
    "shown_person",
]

Identity = tuple[str, str]  # (name, email) as git gives them

_NOREPLY = re.compile(r"^(?:\d+\+)?([^@\s]+)@users\.noreply\.github\.com$", re.IGNORECASE)
# A fork owner whose merges carry this many different people's work is an organisation
# (or a shared fork): one person with a maintainer's fix-up on top is two, not several.
ORGANISATION_PEOPLE = 3
# How a guessed login is shown, wherever Quarterdeck writes one (JSON: author_guessed).
GUESSED = "(guessed)"


# Git names a machine fills in when no one set one: never a person's login.
_PLACEHOLDER_NAMES = frozenset(
    {"unknown", "root", "admin", "user", "ubuntu", "git", "runner", "yourname", "your-name"}
)


def noreply_login(email: str) -> str | None:
    """The login in a GitHub noreply email, else None."""
    m = _NOREPLY.match(email.strip())
    return m.group(1) if m else None


def guess_login(email: str, name: str) -> str:
    """A login-shaped guess: a git author name that already reads as a login
    (`pgjones`), else the email's local part shaped like one (`jane.doe` -> `jane-doe`),
    else the name."""
    plain = name.strip()
    if _handle_like(plain) and plain.casefold() not in _PLACEHOLDER_NAMES:
        return plain
    for raw in (email.strip().partition("@")[0], plain):
        login = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-_")[:39].strip("-_")
        if login and LOGIN.fullmatch(login) and not login.isdigit():
            return login
    return "unknown-author"


def _handle_like(name: str) -> bool:
    """A git name that reads as a login, not a first name: `pgjones`, `Rowlando13`,
    `MohitMandalia`, `jane-doe` (all lowercase, or with a digit, a hyphen or an inner
    capital); `Dave` is a first name, and its email says more."""
    if not is_login(name) or name.isdigit():
        return False
    return name.islower() or any(c.isdigit() or c == "-" or c.isupper() for c in name[1:])


def _key(text: str) -> str:
    return text.strip().casefold()


def organisations(
    forks: Iterable[tuple[str, Identity]], maintainers: Iterable[Identity] = ()
) -> frozenset[str]:
    """Fork owners (casefolded) whose merges carry the work of several different people.

    `forks` pairs a fork owner with the author of one PR's work merged from it. People
    are told apart by what git shows: identities that share an email, a name or a
    noreply login are one person. Bots and assistants are nobody, and so are the
    `maintainers` (who merged PRs): their fix-ups on a contributor's branch make no fork
    an organisation. GitHub mode needs none of this: the API says which owners are
    organisations.
    """
    merged_by = {_key(email) for _, email in maintainers} | {_key(name) for name, _ in maintainers}
    people: defaultdict[str, list[Identity]] = defaultdict(list)
    for owner, (name, email) in forks:
        if not owner or is_bot_identity(name, email):
            continue
        if _key(email) in merged_by or _key(name) in merged_by:
            continue
        people[_key(owner)].append((name, email))
    return frozenset(o for o, seen in people.items() if _distinct(seen) >= ORGANISATION_PEOPLE)


def _distinct(identities: Sequence[Identity]) -> int:
    """How many people `identities` are: those sharing an email, name or login are one."""
    parent = list(range(len(identities)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, (name, email) in enumerate(identities):
        login = noreply_login(email)
        keys = [f"e:{_key(email)}", f"n:{_key(name)}", *([f"l:{_key(login)}"] if login else [])]
        for key in keys:
            if key in ("e:", "n:"):
                continue
            j = first.setdefault(key, i)
            parent[root(i)] = root(j)
    return len({root(i) for i in range(len(identities))})


@dataclass(frozen=True)
class Identified:
    """A git identity's login, whether it is a guess, and how it was found."""

    login: str
    guessed: bool
    how: str  # "config identities", "noreply email", "same name as alice", "guessed from …"
    # What backs it: "noreply", "config", "fork" (a personal fork merged this identity's
    # work), "history" (a name seen beside a noreply email) or "guess".
    source: str = "guess"


@dataclass(frozen=True)
class IdentityBook:
    """Logins for git identities; build it with `IdentityBook.build`."""

    configured: Mapping[str, str] = field(default_factory=dict)  # email or name -> login
    # email or name -> (login, how, source): what the history suggests
    learned: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        configured: Mapping[str, Iterable[str] | str],
        seen: Iterable[Identity] = (),
        vouched: Iterable[tuple[str, str, str]] = (),
    ) -> IdentityBook:
        """A book from the config's identities, the (name, email) pairs the history
        shows, and (name, email, login) pairs personal forks vouch for (their merges'
        branch authors). Bots and assistants vote for nobody."""
        config: dict[str, str] = {}
        for login, aliases in configured.items():
            for alias in (aliases,) if isinstance(aliases, str) else aliases:
                if alias.strip():
                    config.setdefault(_key(alias), login)
        votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        how: dict[tuple[str, str], tuple[str, str]] = {}
        for name, email in seen:
            noreply = noreply_login(email)
            if noreply and not is_bot_identity(name, email):
                # The noreply email names its login outright; its name is learned from it.
                votes[_key(name)][noreply] += 1
                how.setdefault((_key(name), noreply), (f"same name as {noreply}", "history"))
        for name, email, login in vouched:
            if is_bot_identity(name, email):
                continue
            for key in (_key(email), _key(name)):
                votes[key][login] += 1
                how.setdefault((key, login), (f"merged from {login}/…", "fork"))
        learned: dict[str, tuple[str, str, str]] = {}
        for key, counter in votes.items():
            if not key:
                continue
            (best, count), *_ = counter.most_common(1)
            if count * 2 > sum(counter.values()):  # a majority, never a coin toss
                learned[key] = (best, *how[(key, best)])
        return cls(config, learned)

    def identify(self, name: str, email: str) -> Identified:
        """The login of a git identity, with how it was found (the ranking above)."""
        noreply = noreply_login(email)
        if noreply:
            return Identified(noreply, False, "noreply email", "noreply")
        for key in (_key(email), _key(name)):
            if key in self.configured:
                return Identified(self.configured[key], False, "config identities", "config")
        for key in (_key(email), _key(name)):
            if key in self.learned:
                # The history suggests it; nothing on the PR itself says so.
                login, how, source = self.learned[key]
                return Identified(login, True, how, source)
        return Identified(guess_login(email, name), True, f"guessed from {email.strip()}")

    def login(self, name: str, email: str) -> tuple[str, bool]:
        """(login, guessed) for a git identity."""
        found = self.identify(name, email)
        return found.login, found.guessed


@dataclass(frozen=True)
class Credit:
    """Who a PR is credited to: its author, whether a guess, the bot that opened it."""

    author: str
    guessed: bool
    co_authors: tuple[str, ...] = ()
    opened_by: str | None = None  # a bot or assistant that opened the PR for `author`
    co_authors_guessed: tuple[str, ...] = ()  # the co-authors whose login is a guess
    is_bot: bool = False  # no person wrote it: a bot's PR with no person beside


def credit(
    authors: Sequence[Identity],
    trailers: Sequence[Identity] = (),
    book: IdentityBook | None = None,
    fork: str | None = None,
    orgs: frozenset[str] = frozenset(),
) -> Credit:
    """Who wrote a PR from git, by the module's ranking.

    `authors` wrote its commits (main author first), `trailers` are its
    `Co-authored-by:` people, `fork` the owner of the fork it was merged from, if any.
    Bots and assistants are nobody; a PR whose commits only bots wrote, with a person in
    its trailers, is that person's, opened by the bot.
    """
    book = book or IdentityBook()
    humans = [who for who in authors if not is_bot_identity(*who)]
    helpers = [who for who in trailers if not is_bot_identity(*who)]
    bot = next((who for who in authors if is_bot_identity(*who)), None)
    opened_by = None
    if not humans and helpers and bot is not None:
        opened_by = noreply_login(bot[1]) or bot[0].strip() or None
    personal = fork if fork is not None and _key(fork) not in orgs else None
    if personal is not None and is_bot_login(personal):
        personal = None
    found = [book.identify(*who) for who in (*humans, *helpers)]
    if found and (found[0].source == "noreply" or personal is None):
        author, guessed = found[0].login, found[0].guessed
    elif personal is not None:
        author, guessed, opened_by = personal, False, None
    elif bot is not None:
        return Credit(
            noreply_login(bot[1]) or bot[0].strip() or "unknown-author", False, is_bot=True
        )
    else:
        author, guessed = "unknown-author", True
    others = [f for f in found if f.login.casefold() != author.casefold()]
    co_authors = tuple(dict.fromkeys(o.login for o in others if not is_bot_login(o.login)))
    # A co-author is a guess only if no evidence anywhere on the PR names that login.
    sure = {o.login for o in others if not o.guessed}
    guesses = tuple(c for c in co_authors if c not in sure)
    return Credit(author, guessed, co_authors, opened_by, guesses)


def shown_author(pr: PullRequest) -> str:
    """The PR's author as text: `jane-doe (guessed)` when only a guess."""
    return shown_person(pr, pr.author)


def shown_person(pr: PullRequest, login: str) -> str:
    """The PR's author or a co-author as text, `jane-doe (guessed)` when only a guess."""
    guessed = pr.author_guessed if login == pr.author else login in pr.co_authors_guessed
    return f"{login} {GUESSED}" if guessed else login


def author_words(pr: PullRequest) -> str:
    """Who the PR is by, in words: `by jane`, `opened by Copilot for jane-doe (guessed)`."""
    if pr.opened_by:
        return f"opened by {pr.opened_by} for {shown_author(pr)}"
    return f"by {shown_author(pr)}"
