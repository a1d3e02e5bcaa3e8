"""Why a flagged figure moved: its segments' change against the previous month. Pure.

A metric may name a dimension to break it down by (plan, region, segment, customer)
and one query that returns `(segment, month, value)` rows. When the figure is flagged
(a missed target or an anomaly), the review asks that query once, for the review
month and the one before, and shows the few segments that moved it most: each one's
value in both months, its change, and its share of the total change of all segments.

The arithmetic, for segments s with values p(s) last month and c(s) this month:

* a segment with no row in a month had nothing then (a new segment's change is all of
  its value, a vanished one's is minus all of its last value): the segments' values are
  parts of a whole, and a part that is not there adds nothing to it;
* change(s) = c(s) - p(s); total = the sum of every segment's change;
* share(s) = change(s) / total: negative when the segment moved against the total, and
  none (not a number) when the changes cancel out to zero;
* the segments shown are the `TOP_SEGMENTS` with the largest absolute change (ties by
  name); a segment that did not change is never shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from quarterdeck.core.business.series import month_of
from quarterdeck.core.calendar import Month

__all__ = [
    "MAX_SEGMENT_ROWS",
    "TOP_SEGMENTS",
    "Breakdown",
    "BreakdownDef",
    "SegmentMove",
    "breakdown_from_rows",
    "unavailable_breakdown",
]

TOP_SEGMENTS = 3
# A breakdown is a few segments over two months; more rows than this is a query that
# groups by the wrong column (a customer id over years), not a breakdown to read.
MAX_SEGMENT_ROWS = 5000
_MAX_NAME = 80  # characters of a segment's name shown; the rest is cut with "…"


@dataclass(frozen=True)
class BreakdownDef:
    """How a metric is broken down: the dimension's name (`by`, as the review shows it),
    the source that answers (`sql` or `posthog`), the query returning
    `(segment, month, value)` rows, and the unit of its values (`usd`, `count`, …)."""

    by: str
    source: str
    query: str
    unit: str


@dataclass(frozen=True)
class SegmentMove:
    """One segment's value last month and this month (None: no row), and its change."""

    segment: str
    previous: float | None
    current: float | None
    change: float
    share: float | None  # of the total change, as a fraction; None when that is zero

    @property
    def new(self) -> bool:
        """Whether the segment had no row last month."""
        return self.previous is None

    @property
    def gone(self) -> bool:
        """Whether the segment has no row this month."""
        return self.current is None


@dataclass(frozen=True)
class Breakdown:
    """The segments that moved a flagged figure most, or why they could not be read."""

    by: str
    unit: str
    month: Month
    previous_month: Month
    segments: tuple[SegmentMove, ...] = ()  # the largest moves, largest first
    total_change: float = 0.0  # of every segment, shown or not
    segment_count: int = 0  # segments the query returned (in either month)
    unavailable: str | None = None

    @property
    def others(self) -> int:
        """How many segments are not shown."""
        return self.segment_count - len(self.segments)

    @property
    def others_change(self) -> float:
        """What the segments not shown changed, together."""
        return self.total_change - math.fsum(s.change for s in self.segments)


def unavailable_breakdown(
    definition: BreakdownDef, month: Month, previous: Month, why: str
) -> Breakdown:
    """A breakdown whose query failed: the figure stays, this says why."""
    return Breakdown(definition.by, definition.unit, month, previous, unavailable=why)


def breakdown_from_rows(
    definition: BreakdownDef,
    rows: Sequence[Sequence[object]],
    month: Month,
    previous: Month,
    where: str,
    *,
    top: int = TOP_SEGMENTS,
    quote: bool = True,
) -> Breakdown:
    """The breakdown of `month` against `previous` from `(segment, month, value)` rows.

    Rows of other months are ignored; a None value is no row; two rows of one segment
    and month add up. Raises ValueError naming `where` (and the offending cell unless
    `quote` is False, for a source whose answer must not be shown) when a row is not
    `(segment, month, value)` or there are more than MAX_SEGMENT_ROWS rows.
    """
    if len(rows) > MAX_SEGMENT_ROWS:
        raise ValueError(
            f"{where}: {len(rows)} rows, more than the {MAX_SEGMENT_ROWS} a breakdown reads; "
            "group by a dimension with fewer values"
        )
    values: dict[str, dict[Month, float]] = {}
    for i, row in enumerate(rows, 1):
        if len(row) < 3:
            raise ValueError(
                f"{where}: row {i} has {len(row)} column(s); return (segment, month, value)"
            )
        name, when, value = row[0], row[1], row[2]
        try:
            row_month = month_of(when)
        except ValueError as exc:
            why = str(exc) if quote else "its month is not a date or YYYY-MM"
            raise ValueError(f"{where}: row {i}: {why}") from None
        if value is None or row_month not in (month, previous):
            continue
        number = _number(value, f"{where}: row {i}: " + (f"{value!r} " if quote else "its value "))
        segment = _segment_name(name)
        by_month = values.setdefault(segment, {})
        by_month[row_month] = by_month.get(row_month, 0.0) + number
    moves = [_move(name, got.get(previous), got.get(month)) for name, got in values.items()]
    total = math.fsum(m.change for m in moves)
    moved = sorted((m for m in moves if m.change != 0), key=lambda m: (-abs(m.change), m.segment))
    shown = tuple(_with_share(m, total) for m in moved[:top])
    return Breakdown(
        definition.by,
        definition.unit,
        month,
        previous,
        segments=shown,
        total_change=total,
        segment_count=len(moves),
    )


def _number(value: object, said: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{said}is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{said}is not a finite number")
    return number


def _segment_name(value: object) -> str:
    # A NULL segment is the rows the dimension says nothing about; a name is untrusted
    # text (the template escapes it), and a long one would break the table.
    name = "(none)" if value is None else " ".join(str(value).split()) or "(empty)"
    return name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1] + "…"


def _move(segment: str, previous: float | None, current: float | None) -> SegmentMove:
    change = (current or 0.0) - (previous or 0.0)
    return SegmentMove(segment, previous, current, change, None)


def _with_share(move: SegmentMove, total: float) -> SegmentMove:
    share = move.change / total if total else None
    return SegmentMove(move.segment, move.previous, move.current, move.change, share)
