"""How concurrent writers converge on one object: the lock label and the survivor rule. Pure.

Several runs (a scheduled Action, a manual dispatch, a person's CLI) can publish the
same review or sync the same goal at once. Each create happens under a short-lived
lock that GitHub makes atomic: the label `quarterdeck-lock:<scope>`, which only one
creator gets (every other is answered 422 `already_exists`). Its description says who
holds it and until when, so a lock whose holder died is taken over once it expired.

Duplicates made anyway (by an older version, or a run without the lock) are closed
as duplicates of the oldest one, which is the one every output names (`survivor`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

__all__ = [
    "LOCK_COLOR",
    "LOCK_PREFIX",
    "Hold",
    "lock_description",
    "lock_name",
    "read_hold",
    "survivor",
]

LOCK_PREFIX = "quarterdeck-lock:"
LOCK_COLOR = "cccccc"  # grey: a lock is plumbing, not a category of issue
MAX_LABEL_NAME = 50  # GitHub refuses longer label names (422)
MAX_LABEL_DESCRIPTION = 100  # and longer descriptions
_SAFE = re.compile(r"[^a-z0-9._:-]+")
_HOLD = re.compile(r"held by (?P<holder>[A-Za-z0-9._-]+) until (?P<until>\S+Z)")

T = TypeVar("T")


def lock_name(scope: str) -> str:
    """The lock label of `scope` (`review:2026-11:growth`, `goal:funnel-v2`).

    Only characters that need no escaping in a URL path are kept, so the label's API
    URL is the same however a client quotes it; a scope that had to be changed or cut
    to fit GitHub's 50 characters ends in a hash of the whole scope, so two scopes
    never share a lock by accident.
    """
    safe = _SAFE.sub("-", scope.lower())
    name = LOCK_PREFIX + safe
    if safe == scope and len(name) <= MAX_LABEL_NAME:
        return name
    digest = hashlib.sha256(scope.encode()).hexdigest()[:8]
    return name[: MAX_LABEL_NAME - len(digest) - 1] + "~" + digest


@dataclass(frozen=True)
class Hold:
    """Who holds a lock, and until when (UTC)."""

    holder: str
    until: datetime

    def expired(self, now: datetime) -> bool:
        """Whether the holder's time is up: the lock can be taken over."""
        return now >= self.until


def lock_description(holder: str, until: datetime) -> str:
    """The lock label's description: the holder, its expiry, and what a person may do."""
    stamp = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"Quarterdeck lock held by {holder} until {stamp}; safe to delete after that"
    return text[:MAX_LABEL_DESCRIPTION]


def read_hold(description: str | None) -> Hold | None:
    """The hold a lock label's description records; None if it records none (edited)."""
    found = _HOLD.search(description or "")
    if found is None:
        return None
    try:
        until = datetime.strptime(found["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return Hold(found["holder"], until)


def survivor(items: Sequence[T], number: Callable[[T], int]) -> tuple[T, list[T]]:
    """The one to keep (the oldest: the lowest number) and the duplicates to close.

    The oldest is the one earlier runs already reported (in outputs, in `issue: N`
    advice), so keeping it never contradicts what a person was told. `items` must
    not be empty.
    """
    ordered = sorted(items, key=number)
    return ordered[0], ordered[1:]
