"""Is a month worth reviewing yet? Future months, partial months, stale clones. Pure."""

from __future__ import annotations

from datetime import date

from quarterdeck.core.calendar import Month

__all__ = ["month_error", "month_warnings"]


def month_error(month: Month, today: date) -> str | None:
    """Why `month` cannot be reviewed on `today` (it has not begun), or None."""
    this = Month(today.year, today.month)
    if month > this:
        return (
            f"{month.label} has not begun (today is {today.isoformat()}); "
            f"pass --month {this} or an earlier month"
        )
    return None


def month_warnings(month: Month, today: date, history_end: date | None = None) -> list[str]:
    """What a reader of `month`'s review must know: the month is not over, or the local
    history ends before the month begins (the clone was not fetched)."""
    warnings = []
    if month == Month(today.year, today.month):
        warnings.append(
            f"{month.label} is not over: this review is partial, up to "
            f"{today.isoformat()}; review the last full month ({month.previous()}) with "
            "no --month"
        )
    if history_end is not None and history_end < month.start().date():
        warnings.append(
            f"the history ends on {history_end.isoformat()}: fetch first (`git fetch`, "
            f"then `git pull` if you review your local branch), or {month.label} shows "
            "nothing"
        )
    return warnings
