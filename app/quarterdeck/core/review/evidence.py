"""Evidence under a discussion question: a query's answer as a small typed table. Pure.

A question may carry one query (SQL on the warehouse, HogQL or a funnel on PostHog);
its answer becomes an `EvidenceTable`: at most `rows` rows (a hard cap of `MAX_ROWS`)
and `MAX_COLUMNS` columns, each column typed (text, count, currency, percent, date)
so the review prints `$1,234`, `12.5 %` or `2026-11-03`. Values stay as the source
gave them (numbers as numbers) for the JSON output; `shown_rows` is what the Markdown
shows. A table that could not be read says why (`unavailable`), and one with no rows
says so (`no_rows`): neither is ever shown as an empty table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from quarterdeck.core.model import (
    COLUMN_TYPES,
    DEFAULT_ROWS,
    MAX_COLUMNS,
    MAX_ROWS,
    Column,
    ColumnType,
    EvidenceQuery,
    EvidenceSource,
)
from quarterdeck.core.text.units import show_value

__all__ = [
    "COLUMN_TYPES",
    "DEFAULT_ROWS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Cell",
    "Column",
    "ColumnType",
    "EvidenceQuery",
    "EvidenceSource",
    "EvidenceTable",
    "funnel_table",
    "make_table",
    "show_cell",
    "unavailable_table",
]

MAX_CELL = 120  # characters of one text cell; longer text is cut with "…"
Cell = str | float | None

# What the review says the table came from.
SOURCE_LABELS: Mapping[str, str] = {
    "sql": "the warehouse (SQL)",
    "hogql": "PostHog (HogQL)",
    "funnel": "PostHog (funnel)",
}
# The columns a funnel's table has: PostHog's steps, as its funnel insight shows them.
FUNNEL_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("Step", "text"),
    ("Users", "count"),
    ("Conversion", "percent"),
    ("Drop-off", "percent"),
)


@dataclass(frozen=True)
class EvidenceTable:
    """A question's evidence: a small typed table, where it came from and as of when.

    `as_of` is when the source answered (None when it did not); `period` is the
    review month the query was given (`:start`/`:end`). `more_rows` is true when the
    source had rows beyond the cap; `more_columns` counts the columns left out.
    `unavailable` says why there is no table (the source failed); an empty `rows`
    with no `unavailable` is "no rows", an answer of its own.
    """

    question: int
    source: str
    period: str
    columns: tuple[Column, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    as_of: datetime | None = None
    more_rows: bool = False
    more_columns: int = 0
    unavailable: str | None = None

    @property
    def no_rows(self) -> bool:
        """The source answered, with no rows."""
        return self.unavailable is None and not self.rows

    @property
    def source_label(self) -> str:
        """Where the table came from, in words."""
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def shown_rows(self) -> tuple[tuple[str, ...], ...]:
        """The rows as the review prints them, each cell by its column's type."""
        return tuple(
            tuple(show_cell(v, c.type) for v, c in zip(row, self.columns, strict=True))
            for row in self.rows
        )

    @property
    def alignments(self) -> str:
        """The Markdown table's alignment row: numbers right, text and dates left."""
        marks = ("---" if c.type in ("text", "date") else "---:" for c in self.columns)
        return "|" + "|".join(marks) + "|"


def unavailable_table(query: EvidenceQuery, period: str, why: str) -> EvidenceTable:
    """The table of a question whose source failed, saying why."""
    return EvidenceTable(query.question, query.source, period, unavailable=why)


def make_table(
    query: EvidenceQuery,
    period: str,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    as_of: datetime,
) -> EvidenceTable:
    """`rows` (with `names` for headers, as the source returned them) as `query`'s table.

    At most `query.rows` rows and MAX_COLUMNS columns are kept; a longer answer is
    marked (`more_rows`, `more_columns`). The config's `columns` name and type the
    columns in order; columns it does not name keep the source's name and a guessed
    type (numbers are counts, the rest text).
    """
    width = max([len(names), *(len(r) for r in rows)], default=0)
    kept = min(width, MAX_COLUMNS)
    limit = min(query.rows, MAX_ROWS)
    cells = tuple(tuple(_plain(v) for v in list(r)[:kept]) for r in rows[:limit])
    cells = tuple(row + (None,) * (kept - len(row)) for row in cells)  # a ragged row
    columns = tuple(
        query.columns[i]
        if i < len(query.columns)
        else Column(
            str(names[i]) if i < len(names) else f"column {i + 1}",
            _guess([row[i] for row in cells]),
        )
        for i in range(kept)
    )
    return EvidenceTable(
        question=query.question,
        source=query.source,
        period=period,
        columns=columns,
        rows=cells,
        as_of=as_of,
        more_rows=len(rows) > limit,
        more_columns=width - kept,
    )


def funnel_table(
    query: EvidenceQuery, period: str, steps: Sequence[Mapping[str, Any]], as_of: datetime
) -> EvidenceTable:
    """A PostHog funnel's steps (its `results`: `order`, `count`, `name`, `custom_name`)
    as a table: each step's users, conversion from the first step and drop-off from the
    one before, in percent. Raises ValueError when a step is not one (a breakdown's
    nested lists) or lacks a count."""
    if not all(isinstance(s, Mapping) for s in steps):
        raise ValueError("PostHog's funnel results are not steps (a breakdown is not shown)")
    ordered = sorted(steps, key=lambda s: s.get("order", 0))
    counts: list[float] = []
    for step in ordered:
        count = step.get("count")
        if isinstance(count, bool) or not isinstance(count, int | float):
            raise ValueError("a funnel step has no count")
        counts.append(float(count))
    rows: list[tuple[Cell, ...]] = []
    for i, step in enumerate(ordered):
        name = step.get("custom_name") or step.get("name") or f"step {i + 1}"
        first, before = counts[0], counts[i - 1] if i else counts[0]
        conversion = 100.0 * counts[i] / first if first else None
        drop = 100.0 * (before - counts[i]) / before if i and before else None
        users = int(counts[i]) if counts[i].is_integer() else counts[i]
        rows.append((str(name), users, conversion, drop))
    columns = tuple(Column(n, t) for n, t in FUNNEL_COLUMNS)
    if query.columns:  # the config may rename the four columns (their types stay)
        columns = tuple(
            Column(query.columns[i].name if i < len(query.columns) else c.name, c.type)
            for i, c in enumerate(columns)
        )
    limit = min(query.rows, MAX_ROWS)
    return EvidenceTable(
        question=query.question,
        source=query.source,
        period=period,
        columns=columns,
        rows=tuple(rows[:limit]),
        as_of=as_of,
        more_rows=len(rows) > limit,
    )


def show_cell(value: Cell, kind: ColumnType) -> str:
    """One cell as the review prints it: `$1,234`, `12.5 %`, `1,234`, a date, or text;
    `—` for none. A value that is not of its column's type is shown as text."""
    if value is None:
        return "—"
    if kind in ("count", "currency", "percent") and isinstance(value, int | float):
        return show_value(value, {"currency": "usd"}.get(kind, kind))
    text = str(value)
    if kind == "date":
        return text[:10] if len(text) >= 10 and text[4:5] == "-" else text
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1].rstrip() + "…"


def _plain(value: Any) -> Cell:
    """A source's value as a JSON value: numbers as numbers, dates as ISO text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = float(value)
        if not math.isfinite(number):
            return None
        return int(number) if isinstance(value, Decimal) and number.is_integer() else number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _guess(values: Sequence[Cell]) -> ColumnType:
    known = [v for v in values if v is not None]
    numbers = all(isinstance(v, int | float) for v in known)
    return "count" if known and numbers else "text"
