"""Named locks for one PR's comment or one goal issue's body, shared by every process.

`SQLiteLocks` (one host: the App's state file) and `RedisLocks` (many hosts) serialise
a read-modify-write across threads, server processes and RQ workers. They live where
the claims do (`deliveries.py`), so whatever agrees on claims agrees on locks, but
they are a separate concern: a claim says whether a delivery is new, a lock who may
edit a comment now.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from quarterdeck.webhook.state_file import StateFile

log = logging.getLogger("quarterdeck.webhook")


Locks = Callable[[str], AbstractContextManager[None]]
LOCK_TIMEOUT = 120.0  # seconds a lock lives: a holder that died frees it after this
LOCK_WAIT = 60.0  # seconds a waiter polls before giving up (the delivery is retried)


class SQLiteLocks:
    """Named locks in the claims' SQLite file: every process on one host agrees.

    A lock is a row (name, holder, expires). It is taken with one `INSERT … ON
    CONFLICT` statement, atomic across processes like a claim: a free name inserts, an
    expired lock (its holder died or overran) is taken over, a live one changes
    nothing. Waiters poll with a growing, jittered pause up to `wait` seconds, then
    raise `TimeoutError` (retried). Only the holder's release deletes the row; a
    holder whose lock expired and was taken meanwhile logs that instead. Not
    re-entrant: each `with` is a new holder. A row is keyed by a hash of the lock's
    name, so the file holds no repository name (SECURITY.md, "Where state lives").
    """

    def __init__(
        self,
        path: Path,
        *,
        timeout: float = LOCK_TIMEOUT,
        wait: float = LOCK_WAIT,
        poll: float = 0.02,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.wait = wait
        self.poll = poll
        self._clock = clock
        self._file = StateFile(self.path)
        self._file.connection()  # a bad path fails at start-up, not on the first lock

    def __call__(self, name: str) -> AbstractContextManager[None]:
        return self._held(name)

    @contextmanager
    def _held(self, name: str) -> Iterator[None]:
        holder = self.acquire(name)
        try:
            yield
        finally:
            self.release(name, holder)

    def try_acquire(self, name: str, holder: str) -> bool:
        """One attempt: True if `holder` now holds `name`."""
        now = self._clock()
        try:
            cursor = self._file.connection().execute(
                "INSERT INTO locks (name, holder, expires) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, "
                "expires = excluded.expires WHERE locks.expires <= ?",
                (_key(name), holder, now + self.timeout, now),
            )
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False  # another writer held the file past the busy timeout: poll on
            raise
        return cursor.rowcount == 1

    def acquire(self, name: str) -> str:
        """Wait for `name` and return the holder id that releases it."""
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        deadline = time.monotonic() + self.wait
        pause = self.poll
        while not self.try_acquire(name, holder):
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"waited {self.wait:.0f} s for the lock {name!r} in {self.path}, held by "
                    f"{self.holder(name) or 'nobody now'}; the delivery will be retried"
                )
            # Jittered, so waiters don't poll in step; capped, so a freed lock is seen soon.
            time.sleep(pause * (0.5 + random.random()))  # noqa: S311 (timing, not secrets)
            pause = min(pause * 2, 0.25)
        return holder

    def release(self, name: str, holder: str) -> bool:
        """Free `name` if `holder` still holds it; False (and a warning) if it was lost."""
        cursor = self._file.connection().execute(
            "DELETE FROM locks WHERE name = ? AND holder = ?", (_key(name), holder)
        )
        if cursor.rowcount == 1:
            return True
        _lost(name, self.timeout)
        return False

    def holder(self, name: str) -> str | None:
        """Who holds `name` now, if anyone (for messages and tests)."""
        row = (
            self._file.connection()
            .execute(
                "SELECT holder FROM locks WHERE name = ? AND expires > ?",
                (_key(name), self._clock()),
            )
            .fetchone()
        )
        return str(row[0]) if row else None


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


class RedisLocks:
    """Named locks shared by every RQ worker and host (redis-py's `Lock`).

    `SET key token NX PX timeout` takes it; a Lua script deletes it only while it
    still holds this holder's token, so a lock that expired during long work and was
    taken by another worker is left alone (logged, not raised: the work is done).
    """

    def __init__(
        self,
        client: Any,
        *,
        timeout: float = LOCK_TIMEOUT,
        wait: float = LOCK_WAIT,
        prefix: str = "quarterdeck:lock:",
    ) -> None:
        self.client = client
        self.timeout = timeout
        self.wait = wait
        self.prefix = prefix

    def __call__(self, name: str) -> AbstractContextManager[None]:
        return self._held(name)

    @contextmanager
    def _held(self, name: str) -> Iterator[None]:
        from redis.exceptions import LockError, RedisError

        lock = self.client.lock(
            self.prefix + name, timeout=self.timeout, blocking_timeout=self.wait, thread_local=True
        )
        try:
            acquired = lock.acquire()
        except RedisError as exc:
            # As a ConnectionError, so the delivery is retried rather than dropped.
            raise ConnectionError(f"could not take the lock {name!r} in Redis: {exc}") from exc
        if not acquired:
            raise TimeoutError(
                f"waited {self.wait:.0f} s for the lock {name!r} held by another worker; "
                "the delivery will be retried"
            )
        try:
            yield
        finally:
            try:
                lock.release()
            except LockError:
                _lost(name, self.timeout)
            except RedisError as exc:
                # It expires by itself; failing finished work over it would redo the work.
                log.warning("could not release the lock %r in Redis (%s); it expires", name, exc)


def _lost(name: str, timeout: float) -> None:
    log.warning(
        "the lock %r expired while held (the work took over %.0f s) and may have been taken "
        "by another worker meanwhile; duplicates are cleaned up by the next delivery",
        name,
        timeout,
    )
