"""Months, quarters and review windows. Pure date arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse `YYYY-MM`; raises ValueError with a readable message."""
        m = _MONTH.match(text.strip())
        if not m:
            if re.fullmatch(r"\d{4}-\d{2}", text.strip()):
                raise ValueError(
                    f"month {text!r} does not exist: the month must be 01–12, e.g. 2026-11"
                )
            raise ValueError(f"month {text!r} is not in the form YYYY-MM, e.g. 2026-11")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def last_full(cls, today: date) -> Month:
        """The most recent month that has ended by `today`."""
        return cls(today.year, today.month).previous()

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def quarter(self) -> str:
        return f"{self.year}-Q{(self.month - 1) // 3 + 1}"

    @property
    def month_of_quarter(self) -> int:
        """1, 2 or 3: which of the quarter's three monthly reviews this is."""
        return (self.month - 1) % 3 + 1

    @property
    def label(self) -> str:
        """`November 2026`."""
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"

    @property
    def abbr(self) -> str:
        """`Nov 2026`, for table headings."""
        return f"{MONTH_NAMES[self.month - 1][:3]} {self.year}"

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def start(self, tz: str = "UTC") -> datetime:
        """Midnight at the start of the month in `tz`, timezone-aware."""
        return datetime(self.year, self.month, 1, tzinfo=ZoneInfo(tz))

    def end(self, tz: str = "UTC") -> datetime:
        """Midnight at the start of the next month in `tz` (exclusive end)."""
        return self.next().start(tz)


def months_ending(month: Month, count: int) -> tuple[Month, ...]:
    """The `count` months up to and including `month`, oldest first."""
    months = [month]
    for _ in range(count - 1):
        months.append(months[-1].previous())
    return tuple(reversed(months))


def quarter_start(quarter: str, tz: str = "UTC") -> datetime:
    """Start of a `YYYY-Qn` quarter in `tz`."""
    m = _QUARTER.match(quarter)
    if not m:
        raise ValueError(f"quarter {quarter!r} is not in the form YYYY-Qn, e.g. 2026-Q4")
    return Month(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1).start(tz)


def is_quarter(text: str) -> bool:
    return bool(_QUARTER.match(text))


def parse_quarter(text: str) -> str:
    """A `YYYY-Qn` quarter, checked; raises ValueError with a message for a person."""
    quarter = text.strip()
    if _QUARTER.match(quarter):
        return quarter
    if re.fullmatch(r"\d{4}-Q\d+", quarter):
        raise ValueError(
            f"quarter {text!r} does not exist: a year has quarters Q1 to Q4, e.g. 2026-Q4"
        )
    raise ValueError(f"quarter {text!r} is not in the form YYYY-Qn, e.g. 2026-Q4")


def months_of_quarter(quarter: str) -> tuple[Month, Month, Month]:
    """The three months of a `YYYY-Qn` quarter, in order."""
    first = Month.parse(quarter_start(quarter).strftime("%Y-%m"))
    return first, first.next(), first.next().next()


def weeks_between(start: datetime, end: datetime) -> float:
    """Length of a window in weeks (throughput denominators)."""
    return (end - start) / timedelta(weeks=1)


def weeks_of_quarter(month: Month) -> tuple[int, int]:
    """The first and last week of its quarter (1–13 or 14) that `month` covers."""
    first = quarter_start(month.quarter).date()
    start_day = (month.start().date() - first).days
    last_day = (month.end().date() - first).days - 1
    return start_day // 7 + 1, last_day // 7 + 1
