"""Who a git identity is on GitHub: a login, and whether it is only a guess. Pure.

Offline, git knows names and emails, not logins. In order, a login comes from:

1. the config's `identities` (login -> emails or names): the override;
2. a GitHub noreply email, `123+login@users.noreply.github.com`;
3. what the history itself says elsewhere: an email or a name seen beside a known
   login (a noreply email, or the fork owner of `Merge pull request #N from login/…`
   whose branch that identity wrote), when the votes for one login are a majority;
4. otherwise a guess shaped like a login: the email's local part (`jane.doe` ->
   `jane-doe`), else the name; `guessed` is True.

`review`'s authors and `init`'s proposed teams both come from here.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from quarterdeck.core.config.fields import LOGIN

__all__ = ["Identified", "IdentityBook", "guess_login", "noreply_login"]

_NOREPLY = re.compile(r"^(?:\d+\+)?([^@\s]+)@users\.noreply\.github\.com$", re.IGNORECASE)


def noreply_login(email: str) -> str | None:
    """The login in a GitHub noreply email, else None."""
    m = _NOREPLY.match(email.strip())
    return m.group(1) if m else None


def guess_login(email: str, name: str) -> str:
    """A login-shaped guess from an email's local part, else from the name."""
    for raw in (email.strip().partition("@")[0], name.strip()):
        login = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-_")[:39].strip("-_")
        if login and LOGIN.fullmatch(login) and not login.isdigit():
            return login
    return "unknown-author"


def _key(text: str) -> str:
    return text.strip().casefold()


@dataclass(frozen=True)
class Identified:
    """A git identity's login, whether it is a guess, and how it was found."""

    login: str
    guessed: bool
    how: str  # "config identities", "noreply email", "merged from alice/…", "guessed from …"


@dataclass(frozen=True)
class IdentityBook:
    """Logins for git identities; build it with `IdentityBook.build`."""

    configured: Mapping[str, str] = field(default_factory=dict)  # email or name -> login
    learned: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # -> (login, how)

    @classmethod
    def build(
        cls,
        configured: Mapping[str, Iterable[str] | str],
        seen: Iterable[tuple[str, str]] = (),
        vouched: Iterable[tuple[str, str, str]] = (),
    ) -> IdentityBook:
        """A book from the config's identities, the (name, email) pairs the history
        shows, and (name, email, login) pairs it vouches for (fork merges)."""
        config: dict[str, str] = {}
        for login, aliases in configured.items():
            for alias in (aliases,) if isinstance(aliases, str) else aliases:
                if alias.strip():
                    config.setdefault(_key(alias), login)
        votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        how: dict[tuple[str, str], str] = {}
        for name, email in seen:
            login = noreply_login(email)
            if login:
                # The noreply email names its login outright; its name is learned from it.
                votes[_key(name)][login] += 1
                how.setdefault((_key(name), login), f"same name as {login}")
        for name, email, login in vouched:
            for key in (_key(email), _key(name)):
                votes[key][login] += 1
                how.setdefault((key, login), f"merged from {login}/…")
        learned: dict[str, tuple[str, str]] = {}
        for key, counter in votes.items():
            if not key:
                continue
            (best, count), *_ = counter.most_common(1)
            if count * 2 > sum(counter.values()):  # a majority, never a coin toss
                learned[key] = (best, how[(key, best)])
        return cls(config, learned)

    def identify(self, name: str, email: str) -> Identified:
        """The login of a git identity, with how it was found."""
        for key in (_key(email), _key(name)):
            if key in self.configured:
                return Identified(self.configured[key], False, "config identities")
        noreply = noreply_login(email)
        if noreply:
            return Identified(noreply, False, "noreply email")
        for key in (_key(email), _key(name)):
            if key in self.learned:
                login, how = self.learned[key]
                return Identified(login, False, how)
        return Identified(guess_login(email, name), True, f"guessed from {email.strip()}")

    def login(self, name: str, email: str) -> tuple[str, bool]:
        """(login, guessed) for a git identity."""
        found = self.identify(name, email)
        return found.login, found.guessed
