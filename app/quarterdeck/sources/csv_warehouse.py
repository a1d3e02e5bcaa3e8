"""A SQLite warehouse built from plain files: `schema.sql` and one `<table>.csv` per table.

`quarterdeck demo` uses it so its `sql:` metrics run on a real database with no
server, no token and no network. The CSV files are the data; the schema gives the
columns their types (SQLite stores a CSV's `42` as the number 42 in an INTEGER
column), and an empty CSV field is NULL.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

from quarterdeck.errors import QuarterdeckError

__all__ = ["SCHEMA_FILE", "build_sqlite"]

SCHEMA_FILE = "schema.sql"
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def build_sqlite(folder: Path, path: Path) -> str:
    """Create the SQLite database `path` from `folder`'s schema and CSV files, replacing
    any file there; returns its SQLAlchemy URL. Raises QuarterdeckError naming the file
    and row when a CSV does not fit its table."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        try:
            db.executescript((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
        except sqlite3.Error as exc:
            raise QuarterdeckError(f"{folder / SCHEMA_FILE}: {exc}") from None
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        for csv_path in sorted(folder.glob("*.csv")):
            _load(db, csv_path, tables)
        db.commit()
    except BaseException:
        db.close()
        path.unlink(missing_ok=True)  # half a warehouse would give wrong figures, not none
        raise
    db.close()
    return f"sqlite:///{path.resolve()}"


def _load(db: sqlite3.Connection, csv_path: Path, tables: set[str]) -> None:
    table = csv_path.stem
    if table not in tables:
        raise QuarterdeckError(
            f"{csv_path}: no table {table} in {SCHEMA_FILE}; add its CREATE TABLE or rename "
            "the file after its table"
        )
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        bad = [name for name in header if not _NAME.match(name)]
        if not header or bad:
            raise QuarterdeckError(
                f"{csv_path}:1: the first row must name the columns in lower_snake_case"
                + (f", not {', '.join(map(repr, bad))}" if bad else "")
            )
        columns = ", ".join(header)
        marks = ", ".join("?" * len(header))
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names checked above
        for line, row in enumerate(rows, 2):
            if len(row) != len(header):
                raise QuarterdeckError(
                    f"{csv_path}:{line}: {len(row)} field(s), the header names {len(header)}"
                )
            try:
                db.execute(insert, [value if value != "" else None for value in row])
            except sqlite3.Error as exc:
                raise QuarterdeckError(f"{csv_path}:{line}: {exc}") from None
