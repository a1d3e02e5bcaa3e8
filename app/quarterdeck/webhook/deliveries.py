"""Claims shared by every process: SQLite on one host, Redis across hosts.

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

Locks live apart, in `work_locks.py`, in the same SQLite file or Redis.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import socket
import sqlite3
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from quarterdeck.webhook.state_file import StateFile

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
        self._file = StateFile(self.path)
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

    def keep(
        self, delivery_id: str, event: str, payload: dict[str, Any], source: bytes = b""
    ) -> None:
        """Keep the delivery beside its claim until `finish`, so a successor can redo it.

        `source`: the JSON text `payload` was read from, kept as it is (encoding the
        payload again cost more than the rest of the write); without it, the payload.
        """
        # Compressed: a pull_request delivery's 25 KB of JSON is 3 KB, so writing it and
        # then erasing it (`secure_delete`) touches one page instead of seven.
        packed = zlib.compress(source or json.dumps(payload).encode(), 1)
        self._connection().execute(
            "UPDATE deliveries SET event = ?, payload = ? WHERE id = ? AND owner = ?",
            (event, packed, delivery_id, owner_token()),
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
                won.append((str(delivery_id), str(event), _unpacked(payload)))
        return won

    def release(self, delivery_id: str) -> None:
        self._connection().execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


def _unpacked(payload: bytes | str) -> dict[str, Any]:
    """A kept delivery's payload: compressed JSON, or plain JSON from an older version."""
    text = zlib.decompress(payload) if isinstance(payload, bytes) else payload
    found: dict[str, Any] = json.loads(text)
    return found


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
