"""Who a git identity is on GitHub: a login, and whether it is only a guess. Pure.

Offline, git knows names and emails, not logins. In order, a login comes from:

1. the config's `identities` (login -> emails or names): the override;
2. a GitHub noreply email, `123+login@users.noreply.github.com`;
3. what the history itself says elsewhere: an email or a name seen beside a known
   login (a noreply email, or the fork owner of `Merge pull request #N from login/…`
   whose branch that identity wrote), when the votes for one login are a majority;
4. otherwise a guess: the email's local part, else the name (`guessed` is True).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["IdentityBook", "noreply_login"]

_NOREPLY = re.compile(r"^(?:\d+\+)?([^@\s]+)@users\.noreply\.github\.com$", re.IGNORECASE)


def noreply_login(email: str) -> str | None:
    """The login in a GitHub noreply email, else None."""
    m = _NOREPLY.match(email.strip())
    return m.group(1) if m else None


def _key(text: str) -> str:
    return text.strip().casefold()


@dataclass(frozen=True)
class IdentityBook:
    """Logins for git identities; build it with `IdentityBook.build`."""

    configured: Mapping[str, str] = field(default_factory=dict)  # email or name -> login
    learned: Mapping[str, str] = field(default_factory=dict)

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
        for name, email in seen:
            login = noreply_login(email)
            if login:
                # The noreply email names its login outright; its name is learned from it.
                votes[_key(name)][login] += 1
        for name, email, login in vouched:
            votes[_key(email)][login] += 1
            votes[_key(name)][login] += 1
        learned: dict[str, str] = {}
        for key, counter in votes.items():
            if not key:
                continue
            (best, count), *_ = counter.most_common(1)
            if count * 2 > sum(counter.values()):  # a majority, never a coin toss
                learned[key] = best
        return cls(config, learned)

    def login(self, name: str, email: str) -> tuple[str, bool]:
        """(login, guessed) for a git identity."""
        for key in (_key(email), _key(name)):
            if key in self.configured:
                return self.configured[key], False
        noreply = noreply_login(email)
        if noreply:
            return noreply, False
        for key in (_key(email), _key(name)):
            if key in self.learned:
                return self.learned[key], False
        local = email.strip().partition("@")[0]
        return (local or name.strip() or "unknown"), True
