"""The PM's figures as table rows: scores and percentages change in points, money and
counts in percent."""

from __future__ import annotations

import pytest

from quarterdeck.core.config import BusinessMetrics
from quarterdeck.core.review.figure_rows import FigureRow, figure_rows


def _row(section: str, name: str, before: float, now: float) -> FigureRow:
    previous = BusinessMetrics("metrics/2026-10.yml", **{name: before})
    current = BusinessMetrics("metrics/2026-11.yml", **{name: now})
    [row] = figure_rows(section, current, previous)
    return row


@pytest.mark.parametrize(
    ("before", "now", "change"),
    [(-5, 5, "+10 pts"), (40, 32, "−8 pts"), (30, 30, "no change"), (0, 12, "+12 pts")],
)
def test_nps_changes_in_points(before: float, now: float, change: str) -> None:
    row = _row("feedback", "nps", before, now)
    assert row.change == change


def test_percentages_change_in_percentage_points() -> None:
    row = _row("product", "retention", 41.0, 42.2)
    assert (row.previous, row.current, row.change) == ("41 %", "42.2 %", "+1.2 pp")


@pytest.mark.parametrize(
    ("section", "name", "before", "now", "change"),
    [
        ("revenue", "mrr", 1000.0, 1250.0, "+25.0 %"),
        ("revenue", "paying_customers", 40, 30, "−25.0 %"),
        ("revenue", "mrr", 0.0, 10.0, "new"),
    ],
)
def test_money_and_counts_change_in_percent(
    section: str, name: str, before: float, now: float, change: str
) -> None:
    assert _row(section, name, before, now).change == change


def test_a_figure_missing_from_one_month_has_no_change() -> None:
    current = BusinessMetrics("metrics/2026-11.yml", nps=12)
    [row] = figure_rows("feedback", current, None)
    assert (row.previous, row.current, row.change) == ("—", "12", "—")
