"""A SQLite warehouse from schema.sql and CSV files (what the demo's `sql:` metrics run on)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from quarterdeck.errors import QuarterdeckError
from quarterdeck.sources.csv_warehouse import build_sqlite
from quarterdeck.sources.warehouse import query_series

SCHEMA = """
CREATE TABLE revenue (month DATE NOT NULL, mrr_usd INTEGER NOT NULL CHECK (mrr_usd >= 0),
                      note TEXT);
"""


def folder(tmp_path: Path, csv_text: str, name: str = "revenue") -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    (data / f"{name}.csv").write_text(csv_text, encoding="utf-8")
    return data


def test_rows_are_typed_by_the_schema_and_empty_fields_are_null(tmp_path: Path) -> None:
    data = folder(tmp_path, "month,mrr_usd,note\n2026-10-01,120,\n2026-11-01,95,late\n")
    path = tmp_path / "w.sqlite"
    url = build_sqlite(data, path)
    assert url == f"sqlite:///{path.resolve()}"
    with sqlite3.connect(path) as db:
        got = db.execute("SELECT month, mrr_usd, typeof(mrr_usd), note FROM revenue").fetchall()
    assert got == [("2026-10-01", 120, "integer", None), ("2026-11-01", 95, "integer", "late")]


def test_the_url_serves_sql_metrics(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    data = folder(tmp_path, "month,mrr_usd,note\n2026-09-01,80,\n2026-10-01,120,\n")
    url = build_sqlite(data, tmp_path / "w.sqlite")
    sql = (
        "SELECT strftime('%Y-%m', month) AS month, sum(mrr_usd) FROM revenue "
        "WHERE month >= substr(:start, 1, 10) AND month < substr(:end, 1, 10) GROUP BY month"
    )
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    series = query_series(url, sql, start, end, metric="mrr", url_env="X")
    assert {str(m): v for m, v in series.items()} == {"2026-10": 120.0}


def test_a_second_build_replaces_the_first(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    build_sqlite(folder(tmp_path, "month,mrr_usd,note\n2026-10-01,1,\n"), path)
    build_sqlite(folder(tmp_path, "month,mrr_usd,note\n2026-10-01,2,\n"), path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT mrr_usd FROM revenue").fetchall() == [(2,)]


@pytest.mark.parametrize(
    ("csv_text", "name", "message"),
    [
        (
            "month,mrr_usd\n2026-10-01,1\n",
            "invoices",
            r"invoices\.csv: no table invoices in schema\.sql",
        ),
        (
            "month,mrr_usd,note\n2026-10-01,1\n",
            "revenue",
            r"revenue\.csv:2: 2 field\(s\), the header names 3",
        ),
        ("Month,MRR\n", "revenue", r"revenue\.csv:1: .*lower_snake_case, not 'Month', 'MRR'"),
        (
            "month,mrr_usd,note\n2026-10-01,-5,\n",
            "revenue",
            r"revenue\.csv:2: CHECK constraint failed",
        ),
        ("month,mrr_usd,note\n,1,\n", "revenue", r"revenue\.csv:2: NOT NULL constraint failed"),
    ],
)
def test_a_csv_that_does_not_fit_names_the_file_and_line(
    tmp_path: Path, csv_text: str, name: str, message: str
) -> None:
    path = tmp_path / "w.sqlite"
    with pytest.raises(QuarterdeckError, match=message):
        build_sqlite(folder(tmp_path, csv_text, name), path)
    assert not path.exists()  # nothing half-built is left to query
