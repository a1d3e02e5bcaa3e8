"""Remember which deliveries were accepted, so each `X-GitHub-Delivery` does its work once.

A claim is atomic even across threads, gunicorn workers and hosts: SQLite's
`INSERT` on a primary key (one host) or Redis `SET NX EX` (many hosts). A claim
expires after a TTL; a delivery whose work finally failed, or that could not be
queued, is released so that a manual "Redeliver" from GitHub's settings page can try
again.

In Redis a claim starts short-lived (`pending_ttl`) and is confirmed for the full TTL
once its job is queued: if Redis goes away between the claim and the enqueue, the
release fails too, and the claim then lapses in seconds instead of refusing the
redelivery for days.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_PURGE_EVERY = 1000
PENDING_TTL = 60  # seconds a Redis claim lives until its job is queued (Retry-After too)


def valid_delivery_id(text: str | None) -> bool:
    """A delivery id as GitHub sends one (a GUID); anything else is refused."""
    return bool(text) and _DELIVERY_ID.match(text) is not None  # type: ignore[arg-type]


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


class SQLiteDeliveries:
    """Claims in a SQLite file: shared by every process on one host."""

    def __init__(self, path: Path, ttl: float, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.ttl = ttl
        self._clock = clock
        self._local = threading.local()
        self._claims = 0
        self._connection()  # create the table now: a bad path fails at start-up

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, claimed REAL NOT NULL)"
            )
            self._local.conn = conn
        return conn

    def claim(self, delivery_id: str) -> bool:
        now = self._clock()
        conn = self._connection()
        # One statement, so two writers can't both win: a fresh id inserts; an expired
        # claim is taken over; a live claim changes nothing (rowcount 0).
        cursor = conn.execute(
            "INSERT INTO deliveries (id, claimed) VALUES (?, ?) "
            "ON CONFLICT(id) DO UPDATE SET claimed = excluded.claimed WHERE claimed < ?",
            (delivery_id, now, now - self.ttl),
        )
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            conn.execute("DELETE FROM deliveries WHERE claimed < ?", (now - self.ttl,))
        return cursor.rowcount == 1

    def confirm(self, delivery_id: str) -> None:
        pass  # a local file: the claim is full from the start, and a release can't be cut off

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
