"""The PM's business figures as review table rows, this month beside the last."""

from __future__ import annotations

from dataclasses import dataclass

from quarterdeck.core.config import BusinessMetrics

# section -> (field, label, unit); unit "%" means the figure is itself a percentage,
# so its change is in percentage points, not a percent of a percent.
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
        ("nps", "NPS", ""),
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
    section: str, current: BusinessMetrics | None, previous: BusinessMetrics | None
) -> tuple[FigureRow, ...]:
    """Rows for one section; empty when neither month supplied any of its figures."""
    rows = []
    for name, label, unit in SECTIONS[section]:
        now = getattr(current, name) if current else None
        before = getattr(previous, name) if previous else None
        if now is None and before is None:
            continue
        rows.append(
            FigureRow(label, _show(before, unit), _show(now, unit), _change(now, before, unit))
        )
    return tuple(rows)


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = (
        f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:,.0f}"
    )
    return f"{text} %" if unit == "%" else text


def _change(now: float | None, before: float | None, unit: str) -> str:
    if now is None or before is None:
        return "—"
    delta = now - before
    if unit == "%":
        return _sign(delta, " pp")
    if before == 0:
        return "new" if now else "no change"
    return _sign(delta / abs(before) * 100, " %")


def _sign(value: float, unit: str) -> str:
    if round(value, 1) == 0:
        return "no change"
    return f"{'+' if value > 0 else '−'}{abs(value):.1f}{unit}"
