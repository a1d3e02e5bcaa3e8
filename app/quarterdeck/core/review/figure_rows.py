"""The PM's business figures as review table rows, this month beside the last."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quarterdeck.core.config import BusinessMetrics
from quarterdeck.core.text.units import MINUS as _MINUS
from quarterdeck.core.text.units import show_value

if TYPE_CHECKING:
    from quarterdeck.core.business.definitions import MetricDef

__all__ = ["SECTIONS", "FigureRow", "change_text", "figure_rows", "show_value"]

# section -> (field, label, unit). A figure that is itself a percentage ("%") changes
# in percentage points ("+1.2 pp"), a score such as NPS ("score") in points ("+10 pts"):
# a percent of a percent, or of a score that crosses zero (−5 → 5 is "+200 %"), means
# nothing. Money and counts ("") change in percent.
SECTIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "revenue": (
        ("mrr", "MRR", ""),
        ("mrr_growth", "Month-on-month growth", "%"),
        ("revenue_churn", "Revenue churn", "%"),
        ("paying_customers", "Paying customers", ""),
    ),
    "product": (
        ("active_users", "Active users", ""),
        ("user_growth", "User growth", "%"),
        ("org_growth", "Organisation growth", "%"),
        ("retention", "User retention", "%"),
    ),
    "feedback": (
        ("nps", "NPS", "score"),
        ("interviews", "Customer interviews", ""),
        ("support_tickets", "Support tickets", ""),
    ),
}


@dataclass(frozen=True)
class FigureRow:
    label: str
    previous: str
    current: str
    change: str


def figure_rows(
    section: str,
    current: BusinessMetrics | None,
    previous: BusinessMetrics | None,
    configured: Collection[MetricDef] = (),
) -> tuple[FigureRow, ...]:
    """Rows for one section; empty when neither month supplied any of its figures.

    A figure the review's `configured` metrics already show (the same id, e.g. `mrr`,
    the same metrics-file key, e.g. `revenue.mrr`, or the same title) is left out: one
    name has one value, and a team's own MRR is not printed beside the company's.
    """
    shown_ids = {m.id for m in configured} | {m.query for m in configured if m.source == "file"}
    shown_titles = {m.title.casefold() for m in configured}
    rows = []
    for name, label, unit in SECTIONS[section]:
        if name in shown_ids or f"{section}.{name}" in shown_ids:
            continue
        if label.casefold() in shown_titles:
            continue
        now = getattr(current, name) if current else None
        before = getattr(previous, name) if previous else None
        if now is None and before is None:
            continue
        rows.append(
            FigureRow(
                label,
                show_value(before, unit),
                show_value(now, unit),
                change_text(now, before, unit),
            )
        )
    return tuple(rows)


def change_text(now: float | None, before: float | None, unit: str) -> str:
    """Month-on-month change: in points for percentages and scores, else in percent."""
    if now is None or before is None:
        return "—"
    delta = now - before
    if unit in _POINTS:
        return _sign(delta, _POINTS[unit], decimals=0 if float(round(delta, 1)).is_integer() else 1)
    if before == 0:
        return "new" if now else "no change"
    return _sign(delta / abs(before) * 100, " %")


_POINTS = {"%": " pp", "percent": " pp", "score": " pts"}


def _sign(value: float, unit: str, decimals: int = 1) -> str:
    if round(value, 1) == 0:
        return "no change"
    return f"{'+' if value > 0 else _MINUS}{abs(value):.{decimals}f}{unit}"
