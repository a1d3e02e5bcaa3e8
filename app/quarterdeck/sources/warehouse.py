"""A metric's monthly series from a SQL warehouse: one query on any SQLAlchemy database;
and the questions' small tables (`query_tables`: several queries over one connection,
each in its own read-only transaction).

The URL comes from the environment variable the config names
(`sources.warehouse.url_env`), never from a file, and never appears in a message:
it may carry a password. The window is bound as `:start` and `:end` (never
formatted into the SQL text); the query returns `(month, value)` rows for the
whole window. It runs read-only where the database can enforce it, with a
statement timeout, and is always rolled back:

* PostgreSQL: `SET TRANSACTION READ ONLY` and a `statement_timeout`;
* SQLite: `PRAGMA query_only`;
* DuckDB (`duckdb:///path`, duckdb-engine): the database file is opened read-only;
* others (BigQuery, Snowflake, … through their SQLAlchemy dialects): nothing is set;
  give the URL a role that may only read, and set its timeout there. The query is
  still rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from quarterdeck.core.business.series import series_from_rows
from quarterdeck.core.calendar import Month
from quarterdeck.errors import MetricSourceError
from quarterdeck.redact import register_url

__all__ = ["DEFAULT_TIMEOUT", "TableAnswer", "query_rows", "query_series", "query_tables"]

DEFAULT_TIMEOUT = 60  # seconds a metric's query may run


def query_series(
    url: str | None,
    sql: str,
    start: datetime,
    end: datetime,
    *,
    metric: str,
    url_env: str,
    timeout: int = DEFAULT_TIMEOUT,
) -> dict[Month, float]:
    """The `(month, value)` rows `sql` returns for [start, end), as a series.

    Raises MetricSourceError naming `metric` and `url_env` (never the URL) when the
    URL is missing or wrong, the database refuses the query, or the query writes.
    """
    rows = query_rows(url, sql, start, end, metric=metric, url_env=url_env, timeout=timeout)
    try:
        return series_from_rows(rows, f"metric {metric}")
    except ValueError as exc:
        raise MetricSourceError(f"{exc}; the query must return (month, value) rows") from None


def query_rows(
    url: str | None,
    sql: str,
    start: datetime,
    end: datetime,
    *,
    metric: str,
    url_env: str,
    timeout: int = DEFAULT_TIMEOUT,
) -> list[tuple[object, ...]]:
    """The rows `sql` returns with `:start` and `:end` bound, read-only and rolled back
    (a metric's series, a flagged metric's `(segment, month, value)` breakdown).

    Raises MetricSourceError as `query_series` does.
    """
    rows: list[tuple[object, ...]] = []

    def run(conn: Connection) -> None:
        rows.extend(tuple(row) for row in conn.execute(text(sql), {"start": start, "end": end}))

    failed = _run_each(url, [run], label=f"metric {metric}", url_env=url_env, timeout=timeout)[0]
    if failed is not None:
        raise MetricSourceError(failed)
    return rows


# A table's answer: its column names and its first rows (one more than asked, so the
# caller knows when there were more), or why the warehouse gave none.
TableAnswer = tuple[list[str], list[tuple[Any, ...]]] | str


def query_tables(
    url: str | None,
    sqls: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    limits: Sequence[int],
    labels: Sequence[str],
    url_env: str,
    timeout: int = DEFAULT_TIMEOUT,
) -> list[TableAnswer]:
    """Each of `sqls`' column names and first `limits[i] + 1` rows over [start, end),
    all over one connection (a batch: one connect, however many questions ask).

    A query that fails is that query's answer, in words naming `labels[i]` and never
    the URL; the others still run (each in its own read-only transaction).
    """
    answers: list[TableAnswer] = ["" for _ in sqls]

    def runner(i: int) -> Callable[[Connection], None]:
        def run(conn: Connection) -> None:
            result = conn.execute(text(sqls[i]), {"start": start, "end": end})
            names = [str(k) for k in result.keys()]  # noqa: SIM118 - a Result's columns
            answers[i] = (names, [tuple(r) for r in result.fetchmany(limits[i] + 1)])

        return run

    failed = _run_each(
        url, [runner(i) for i in range(len(sqls))], label=labels, url_env=url_env, timeout=timeout
    )
    return [why if why is not None else answers[i] for i, why in enumerate(failed)]


def _run_each(
    url: str | None,
    runs: Sequence[Callable[[Connection], None]],
    *,
    label: str | Sequence[str],
    url_env: str,
    timeout: int,
) -> list[str | None]:
    """Run each of `runs` on one connection to `url`, each in its own read-only
    transaction that is rolled back; per run, None or why it failed (naming its label)."""
    labels = [label] * len(runs) if isinstance(label, str) else list(label)
    register_url(url)  # a driver may quote the URL, password and all; no message will
    if not url:
        return [f"{name}: no warehouse URL; set {url_env}" for name in labels]
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=_connect_args(url))
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        why = (
            f"{url_env} is not a database URL SQLAlchemy can open "
            f"({type(exc).__name__}); install the database's driver if it is missing"
        )
        return [f"{name}: {why}" for name in labels]
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_read_only)
    failed: list[str | None] = [None] * len(runs)
    try:
        with engine.connect() as conn:
            for i, run in enumerate(runs):
                try:
                    _read_only(conn, timeout)
                    run(conn)
                except SQLAlchemyError as exc:
                    # Not chained: the URL may show up in the cause's traceback.
                    failed[i] = f"{labels[i]}: the warehouse refused the query: {_said(exc)}"
                finally:
                    conn.rollback()  # never commit: whatever the query did is undone
    except SQLAlchemyError as exc:  # no connection at all: every query fails alike
        why = f"the warehouse refused the query: {_said(exc)}"
        return [f"{name}: {why}" for name in labels]
    finally:
        engine.dispose()
    return failed


def _connect_args(url: str) -> dict[str, Any]:
    # DuckDB has no read-only transaction, but refuses every write to a file it opened
    # read-only; duckdb-engine hands this to duckdb.connect().
    return {"read_only": True} if make_url(url).get_backend_name() == "duckdb" else {}


def _read_only(conn: Connection, timeout: int) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET TRANSACTION READ ONLY"))
        conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout) * 1000}"))


def _sqlite_read_only(dbapi_connection: DBAPIConnection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _said(exc: SQLAlchemyError) -> str:
    """The database's own words, first line only: SQLAlchemy's text adds the SQL and
    its parameters, and the URL can show up in connection errors."""
    orig = getattr(exc, "orig", None)
    words = str(orig if orig is not None else exc).strip().splitlines()
    return (words[0] if words else type(exc).__name__)[:300]
