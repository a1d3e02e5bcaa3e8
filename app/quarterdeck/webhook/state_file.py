"""The App's SQLite state file (no Redis): claims, the journal of deliveries, locks.

One file holds them all, so whatever agrees on claims agrees on locks.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


class StateFile:
    """One connection per thread and process to the App's SQLite file, tables made.

    A connection is never shared across a fork (a server may build the app, then fork
    its workers) or between threads; WAL lets readers and the one writer overlap.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened (and the tables made) on first use."""
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
