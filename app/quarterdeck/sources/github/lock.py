"""A short-lived lock across processes and machines that GitHub itself makes atomic.

The lock of a scope is the label `quarterdeck-lock:<scope>` (`core.converge.lock_name`).
Creating a label whose name exists is answered 422 `already_exists`, so of several
runs creating it at once exactly one gets it. The holder deletes it when done; its
description records the holder and an expiry (`core.converge.lock_description`), so
a lock whose holder died is taken over once it expired (deleted, then created again:
atomic again through the 422). Waiters poll with backoff for a bounded time, then
stop with `LockBusy`, which names the label and how to clear it.

What it does not guard: two waiters that read the same expired lock in the same
instant may both delete and one re-create it, and a holder that outlives its expiry
(a long rate-limit wait) may be taken over. Both leave at most a duplicate, which the
next run closes (`writes.close_as_duplicate`), so outputs still converge on one issue.
"""

from __future__ import annotations

import logging
import os
import random
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from github.GithubException import GithubException, UnknownObjectException
from github.Label import Label
from github.Repository import Repository

from quarterdeck.core.converge import LOCK_COLOR, lock_description, lock_name, read_hold
from quarterdeck.errors import GitHubNotFound, LockBusy, QuarterdeckError
from quarterdeck.sources.github.client import translated
from quarterdeck.sources.github.writes import already_exists, create_once

__all__ = ["DEFAULT_TTL", "DEFAULT_WAIT", "LockBusy", "github_lock", "holder_id"]

log = logging.getLogger(__name__)

# Long enough for the look and the create of one object, with a lost answer's
# backoff and a read timeout in between (about a minute at worst); short enough that
# a dead holder delays the next run by two minutes at most.
DEFAULT_TTL = 120.0
DEFAULT_WAIT = DEFAULT_TTL + 60.0  # a waiter outlasts a dead holder's lock
_FIRST_POLL, _MAX_POLL = 0.25, 5.0


def holder_id() -> str:
    """This process, as a lock's holder: host, process id and a random part."""
    host = re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:12] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"


@contextmanager
def github_lock(
    repo: Repository,
    scope: str,
    *,
    ttl: float = DEFAULT_TTL,
    wait: float = DEFAULT_WAIT,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    holder: str | None = None,
) -> Iterator[str]:
    """Hold the lock label of `scope` in `repo` for the block; yields the label's name.

    Raises `LockBusy` when another holder kept it for `wait` seconds, and the
    project's GitHub errors when GitHub refuses the label (a token that can't create
    labels). The lock is released even when the block fails; a failed release only
    logs, since the lock expires by itself after `ttl` seconds.
    """
    lock = _Lock(repo, lock_name(scope), holder or holder_id(), ttl, clock)
    lock.acquire(wait, sleep)
    try:
        yield lock.name
    finally:
        lock.release()


class _Lock:
    """One attempt to hold one lock label (see `github_lock`)."""

    def __init__(
        self, repo: Repository, name: str, holder: str, ttl: float, clock: Callable[[], float]
    ) -> None:
        self.repo, self.name, self.holder, self.ttl, self.clock = repo, name, holder, ttl, clock
        self.label: Label | None = None
        self.since = 0.0

    def acquire(self, wait: float, sleep: Callable[[float], None]) -> None:
        deadline = self.clock() + wait
        poll = _FIRST_POLL
        with translated(f"taking the lock {self.name} in {self.repo.full_name}"):
            while True:
                self.label = self._create()
                if self.label is not None:
                    self.since = self.clock()
                    log.info("%s: took the lock %s", self.repo.full_name, self.name)
                    return
                current = self._look()
                if current is not None and self._expired(current):
                    self._take_over(current)
                    continue  # at once: the next create decides who holds it now
                now = self.clock()
                if now >= deadline:
                    raise self._busy(current, wait)
                # Jittered, so waiters that started together don't poll in step.
                sleep(min(poll * random.uniform(0.5, 1.0), max(0.0, deadline - now)))  # noqa: S311
                poll = min(_MAX_POLL, poll * 2)

    def release(self) -> None:
        if self.label is None:
            return
        label, self.label = self.label, None
        try:
            with translated(f"releasing the lock {self.name} in {self.repo.full_name}"):
                if self.clock() - self.since > self.ttl * 0.8:
                    # Held this long, it may have been taken over: delete only our own.
                    current = self._look()
                    if current is None or not self._ours(current):
                        log.warning("%s: lock %s was taken over", self.repo.full_name, self.name)
                        return
                label.delete()
        except GitHubNotFound:
            log.info("%s: the lock %s was already gone", self.repo.full_name, self.name)
        except QuarterdeckError as exc:
            log.warning(
                "%s: could not release the lock %s (%s); it expires by itself within %.0f s",
                self.repo.full_name,
                self.name,
                exc,
                self.ttl,
            )

    def _create(self) -> Label | None:
        """Our label if the create made it (even with its answer lost), else None."""
        until = datetime.fromtimestamp(self.clock() + self.ttl, UTC)
        description = lock_description(self.holder, until)
        taken: list[Label] = []

        def create() -> Label | None:
            try:
                return self.repo.create_label(self.name, LOCK_COLOR, description)
            except GithubException as exc:
                if already_exists(exc):
                    return None
                raise

        def find() -> Label | None:
            current = self._look()
            if current is None:
                return None  # our create never arrived: create again
            if self._ours(current):
                return current
            taken.append(current)
            return current

        made = create_once(create, find, self.repo, f"the lock {self.name}")
        return None if made is None or taken else made

    def _look(self) -> Label | None:
        try:
            return self.repo.get_label(self.name)
        except UnknownObjectException:
            return None

    def _ours(self, label: Label) -> bool:
        hold = read_hold(label.description)
        return hold is not None and hold.holder == self.holder

    def _expired(self, label: Label) -> bool:
        hold = read_hold(label.description)
        # No readable hold: a person edited it, or made the label; nobody holds it.
        return hold is None or hold.expired(datetime.fromtimestamp(self.clock(), UTC))

    def _take_over(self, label: Label) -> None:
        log.warning(
            "%s: the lock %s expired (%s); its holder must have died: taking it over",
            self.repo.full_name,
            self.name,
            label.description or "no description",
        )
        # Gone already: another waiter took it over first; the next create decides.
        with suppress(UnknownObjectException):
            label.delete()

    def _busy(self, label: Label | None, wait: float) -> LockBusy:
        hold = read_hold(label.description) if label is not None else None
        who = (
            f"held by {hold.holder} until {hold.until:%Y-%m-%d %H:%M:%S} UTC"
            if hold is not None
            else "its holder unknown"
        )
        return LockBusy(
            f"another Quarterdeck run holds the lock {self.name} in {self.repo.full_name} "
            f"({who}) and did not release it within {wait:.0f} s; if no other run is going "
            f"on, delete the label (`gh label delete '{self.name}' --repo "
            f"{self.repo.full_name}`, or on the repository's Labels page) and run again"
        )
