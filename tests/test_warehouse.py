"""A metric's series from SQL, on SQLite, DuckDB and a real PostgreSQL (scripts/test starts it)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import sqlalchemy

from quarterdeck.core.calendar import Month
from quarterdeck.errors import MetricSourceError
from quarterdeck.sources.warehouse import query_series

POSTGRES_URL = os.environ.get(
    "QUARTERDECK_TEST_POSTGRES_URL", "postgresql+psycopg://quarterdeck@127.0.0.1:6391/quarterdeck"
)
START, END = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
ENV = "QUARTERDECK_WAREHOUSE_URL"
INVOICES = [
    ("2026-04-20", 999.0),  # before the window
    ("2026-10-03", 100.0),
    ("2026-10-20", 150.0),
    ("2026-11-05", 300.0),
    ("2026-12-01", 999.0),  # the window's end is exclusive
]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "warehouse.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE invoices (paid_at TEXT, amount REAL)")
        db.executemany("INSERT INTO invoices VALUES (?, ?)", INVOICES)
    return f"sqlite:///{path}"


@pytest.fixture
def duckdb_url(tmp_path: Path) -> str:
    path = tmp_path / "warehouse.duckdb"
    db = duckdb.connect(str(path))
    db.execute("CREATE TABLE invoices (paid_at DATE, amount DOUBLE)")
    db.executemany("INSERT INTO invoices VALUES (?, ?)", INVOICES)
    db.close()
    return f"duckdb:///{path}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS invoices")
            conn.exec_driver_sql("CREATE TABLE invoices (paid_at timestamptz, amount numeric)")
            for day, amount in INVOICES:
                conn.exec_driver_sql(
                    "INSERT INTO invoices VALUES (%s::timestamptz, %s)",
                    (f"{day}T00:00:00Z", amount),
                )
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}). The "
            "warehouse tests need a real one: run scripts/test, which starts it, or set "
            "QUARTERDECK_TEST_POSTGRES_URL."
        )
    yield POSTGRES_URL
    engine.dispose()


SQLITE_MRR = (
    "SELECT substr(paid_at, 1, 7) AS month, sum(amount) FROM invoices "
    "WHERE paid_at >= date(:start) AND paid_at < date(:end) GROUP BY month ORDER BY month"
)
POSTGRES_MRR = (
    "SELECT date_trunc('month', paid_at AT TIME ZONE 'UTC') AS month, sum(amount) "
    "FROM invoices WHERE paid_at >= :start AND paid_at < :end GROUP BY 1 ORDER BY 1"
)


def test_sqlite_window_is_bound_not_formatted(sqlite_url: str) -> None:
    series = query_series(sqlite_url, SQLITE_MRR, START, END, metric="mrr", url_env=ENV)

    assert series == {Month(2026, 10): 250.0, Month(2026, 11): 300.0}


def test_duckdb_window_is_bound_and_months_are_dates(duckdb_url: str) -> None:
    sql = (
        "SELECT date_trunc('month', paid_at) AS month, sum(amount) FROM invoices "
        "WHERE paid_at >= CAST(:start AS DATE) AND paid_at < CAST(:end AS DATE) "
        "GROUP BY 1 ORDER BY 1"
    )
    series = query_series(duckdb_url, sql, START, END, metric="mrr", url_env=ENV)

    assert series == {Month(2026, 10): 250.0, Month(2026, 11): 300.0}


def test_postgres_month_truncation_and_numeric_values(postgres_url: str) -> None:
    series = query_series(postgres_url, POSTGRES_MRR, START, END, metric="mrr", url_env=ENV)

    assert series == {Month(2026, 10): 250.0, Month(2026, 11): 300.0}


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM invoices",
        "INSERT INTO invoices VALUES ('2026-11-01', 1)",
        "UPDATE invoices SET amount = 0",
        "DROP TABLE invoices",
    ],
)
def test_a_query_that_writes_is_refused_and_changes_nothing(
    sqlite_url: str, duckdb_url: str, postgres_url: str, sql: str
) -> None:
    for url in (sqlite_url, duckdb_url, postgres_url):
        with pytest.raises(MetricSourceError, match="the warehouse refused the query"):
            query_series(url, sql, START, END, metric="mrr", url_env=ENV)
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM invoices").scalar() == len(INVOICES)
        engine.dispose()


def test_a_statement_timeout_stops_a_slow_query(postgres_url: str) -> None:
    with pytest.raises(MetricSourceError, match="statement timeout"):
        query_series(
            postgres_url, "SELECT pg_sleep(5), 1", START, END, metric="mrr", url_env=ENV, timeout=1
        )


def test_a_missing_or_bad_url_names_the_variable_never_the_url(sqlite_url: str) -> None:
    with pytest.raises(MetricSourceError, match=f"no warehouse URL; set {ENV}"):
        query_series(None, SQLITE_MRR, START, END, metric="mrr", url_env=ENV)
    secret = "postgresql+psycopg://reader:s3cret-pass@127.0.0.1:1/db"
    with pytest.raises(MetricSourceError) as failure:
        query_series(secret, SQLITE_MRR, START, END, metric="mrr", url_env=ENV)
    assert "s3cret-pass" not in str(failure.value)
    with pytest.raises(MetricSourceError, match=f"{ENV} is not a database URL"):
        query_series("nonsense://x", SQLITE_MRR, START, END, metric="mrr", url_env=ENV)


def test_bad_sql_shows_the_databases_words(sqlite_url: str) -> None:
    with pytest.raises(MetricSourceError) as failure:
        query_series(sqlite_url, "SELECT month FROM nowhere", START, END, metric="mrr", url_env=ENV)

    assert str(failure.value) == (
        "metric mrr: the warehouse refused the query: no such table: nowhere"
    )
