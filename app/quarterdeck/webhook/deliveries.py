"""Claims and locks shared by every process: SQLite on one host, Redis across hosts.

Claims remember which deliveries were accepted, so each `X-GitHub-Delivery` does its
work once. A claim is atomic even across threads, server processes and hosts: SQLite's
`INSERT` on a primary key (one host) or Redis `SET NX EX` (many hosts). A claim
expires after a TTL; a delivery whose work finally failed, or that could not be
queued, is released so that a manual "Redeliver" from GitHub's settings page can try
again.

In SQLite (no Redis) a claim is first "in progress", owned by the process that
answered it, with the delivery itself kept beside it until its work ends
(`keep`, `finish`). Only a finished claim refuses a redelivery for the whole TTL. An
unfinished one whose owner died (the OOM killer, a bug: a process that answered 202
and was gone before the work ran) or whose lease (`LEASE`) ran out is taken over:
GitHub's redelivery is accepted, and a serving process that starts queues such
deliveries again itself (`take_over`), so an answered delivery is done or redone.

In Redis a claim starts short-lived (`pending_ttl`) and is confirmed for the full TTL
once its job is queued: if Redis goes away between the claim and the enqueue, the
release fails too, and the claim then lapses in seconds instead of refusing the
redelivery for days.

Locks (`SQLiteLocks`, `RedisLocks`) serialise the read-modify-write of one PR's
comment or one goal issue's body across threads, server processes and RQ workers.
They live where the claims do, so whatever agrees on claims agrees on locks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import random
import re
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PURGE_EVERY = 1000
log = logging.getLogger("quarterdeck.webhook")
PENDING_TTL = 60  # seconds a Redis claim lives until its job is queued (Retry-After too)
# Seconds an unfinished SQLite claim is trusted to a live owner: longer than every
# attempt and pause of one delivery's work (jobs.DEFAULT_DELAYS plus lock waits).
LEASE = 15 * 60


def valid_delivery_id(text: str | None) -> bool:
    """A delivery id as GitHub sends one (a GUID); anything else is refused."""
    if not text:
        return False
    return _DELIVERY_ID.match(text) is not None


class DeliveryStore(Protocol):
    """Where claims live."""

    def claim(self, delivery_id: str) -> bool:
        """True exactly once per delivery id within the TTL."""
        ...

    def confirm(self, delivery_id: str) -> None:
        """The delivery's work is queued: keep the claim for the full TTL."""
        ...

    def release(self, delivery_id: str) -> None:
        """Forget a claim, so the same delivery may be processed again."""
        ...


class _SQLiteFile:
    """One connection per thread and process to the App's SQLite file, tables made.

    A connection is never shared across a fork (a server may build the app, then fork
    its workers) or between threads; WAL lets readers and the one writer overlap.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # A finished delivery's payload is overwritten, not left in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, claimed REAL NOT NULL)"
            )
            _add_columns(conn)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS locks "
                "(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL)"
            )
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn


def _add_columns(conn: sqlite3.Connection) -> None:
    """The claim's owner, whether its work is done, and the delivery until it is.

    Added to a file an older version made: its claims count as done (done = 1), as
    they did then.
    """
    have = {row[1] for row in conn.execute("PRAGMA table_info(deliveries)")}
    for column, kind in (
        ("owner", "TEXT"),
        ("done", "INTEGER NOT NULL DEFAULT 1"),
        ("event", "TEXT"),
        ("payload", "TEXT"),
    ):
        if column not in have:
            try:
                conn.execute(f"ALTER TABLE deliveries ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):  # another process added it first
                    raise


def owner_token(pid: int | None = None) -> str:
    """This process as a claim's owner: host, pid and the pid's start time (no reuse)."""
    if pid is None:
        return _own_token(os.getpid())  # on every delivery: read /proc once per process
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


@functools.cache
def _own_token(pid: int) -> str:
    # Keyed by pid, so a forked worker computes its own.
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" where /proc is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # the name, in parentheses, may hold spaces
    return "" if fields[0] == "Z" else fields[19]  # a zombie has ended: no start time


def owner_alive(owner: str | None) -> bool:
    """Whether the process that owns a claim still runs (True when it can't be told)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True  # another host's process: only its lease can end its claim
    pid = int(pid_text)
    if started:
        return _started(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SQLiteDeliveries:
    """Claims in a SQLite file: shared by every process on one host.

    Besides `DeliveryStore`, the journal `BackgroundQueue` uses: `keep` (the delivery
    beside its claim, before the answer), `finish` (done: redeliveries are
    duplicates) and `take_over` (unfinished deliveries of dead owners).
    """

    def __init__(self, path: Path, ttl: float, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.ttl = ttl
        self._clock = clock
        self._file = _SQLiteFile(self.path)
        self._claims = 0
        self._connection()  # create the table now: a bad path fails at start-up

    def _connection(self) -> sqlite3.Connection:
        return self._file.connection()

    def claim(self, delivery_id: str) -> bool:
        """True if this process now owns the delivery's (unfinished) claim."""
        now = self._clock()
        conn = self._connection()
        me = owner_token()
        # One statement, so two writers can't both win: a fresh id inserts; an expired
        # claim is taken over; a live claim changes nothing (rowcount 0).
        cursor = conn.execute(
            "INSERT INTO deliveries (id, claimed, owner, done) VALUES (?, ?, ?, 0) "
            "ON CONFLICT(id) DO UPDATE SET claimed = excluded.claimed, owner = excluded.owner, "
            "done = 0, event = NULL, payload = NULL WHERE claimed < ?",
            (delivery_id, now, me, now - self.ttl),
        )
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            conn.execute("DELETE FROM deliveries WHERE claimed < ?", (now - self.ttl,))
        if cursor.rowcount == 1:
            return True
        row = conn.execute(
            "SELECT owner, done, claimed FROM deliveries WHERE id = ?", (delivery_id,)
        ).fetchone()
        if row is None or row[1] or not self._abandoned(row[0], row[2], now):
            return False  # finished (a duplicate), or still being worked on
        return self._take(conn, delivery_id, row[0], now, me)

    def _abandoned(self, owner: str | None, claimed: float, now: float) -> bool:
        return now - claimed >= LEASE or not owner_alive(owner)

    @staticmethod
    def _take(
        conn: sqlite3.Connection, delivery_id: str, owner: str | None, now: float, me: str
    ) -> bool:
        # Compare-and-set on the old owner: of two processes taking it over, one wins.
        cursor = conn.execute(
            "UPDATE deliveries SET claimed = ?, owner = ? WHERE id = ? AND done = 0 AND owner IS ?",
            (now, me, delivery_id, owner),
        )
        return cursor.rowcount == 1

    def confirm(self, delivery_id: str) -> None:
        pass  # a local file: the claim is full from the start, and a release can't be cut off

    def keep(self, delivery_id: str, event: str, payload: dict[str, Any]) -> None:
        """Keep the delivery beside its claim until `finish`, so a successor can redo it."""
        self._connection().execute(
            "UPDATE deliveries SET event = ?, payload = ? WHERE id = ? AND owner = ?",
            (event, json.dumps(payload), delivery_id, owner_token()),
        )

    def finish(self, delivery_id: str) -> None:
        """The work is done: the claim refuses redeliveries for the TTL, the payload goes."""
        self._connection().execute(
            "UPDATE deliveries SET done = 1, event = NULL, payload = NULL WHERE id = ?",
            (delivery_id,),
        )

    def take_over(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Unfinished deliveries whose owner died or whose lease ran out, now ours.

        Returns (id, event, payload) of each one this process won, oldest first.
        """
        now = self._clock()
        conn = self._connection()
        me = owner_token()
        rows = conn.execute(
            "SELECT id, owner, claimed, event, payload FROM deliveries "
            "WHERE done = 0 AND payload IS NOT NULL AND claimed >= ? ORDER BY claimed",
            (now - self.ttl,),
        ).fetchall()
        won = []
        for delivery_id, owner, claimed, event, payload in rows:
            if owner == me or not self._abandoned(owner, claimed, now):
                continue
            if self._take(conn, delivery_id, owner, now, me):
                won.append((str(delivery_id), str(event), json.loads(payload)))
        return won

    def release(self, delivery_id: str) -> None:
        self._connection().execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


class RedisDeliveries:
    """Claims in Redis (`SET key 1 NX EX ttl`): shared by every host using that Redis."""

    def __init__(
        self,
        client: Any,
        ttl: int,
        *,
        prefix: str = "quarterdeck:delivery:",
        pending_ttl: int = PENDING_TTL,
    ) -> None:
        self.client = client
        self.ttl = int(ttl)
        self.pending_ttl = min(int(pending_ttl), self.ttl)
        self.prefix = prefix

    def claim(self, delivery_id: str) -> bool:
        key = self.prefix + delivery_id
        return bool(self.client.set(key, b"1", nx=True, ex=self.pending_ttl))

    def confirm(self, delivery_id: str) -> None:
        # SET, not EXPIRE: a claim that lapsed while the enqueue was slow is made again.
        self.client.set(self.prefix + delivery_id, b"1", ex=self.ttl)

    def release(self, delivery_id: str) -> None:
        self.client.delete(self.prefix + delivery_id)


# -- locks ------------------------------------------------------------------------------

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
        self._file = _SQLiteFile(self.path)
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
