"""Which of a section's figures the review charts, and the line chart of one. Pure.

The rule: a metric's `chart:` decides when it is set; otherwise the section's first
metric (usually its headline, e.g. MRR) and every metric with a target are charted.
A chart shows one metric (xychart has one y-axis, and units differ) over the six
months its trend table shows, with its unit on the y-axis. A metric that is
unavailable, or has fewer than two of those months with data, gets no chart: there
is no trend to draw.
"""

from __future__ import annotations

from collections.abc import Sequence

from quarterdeck.core.business.figures import TREND_MONTHS, MetricFigure
from quarterdeck.core.text.charts import Chart, Line

__all__ = ["UNIT_LABELS", "figure_chart", "headline", "section_charts"]

# A unit as the y-axis names it.
UNIT_LABELS = {
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "percent": "%",
    "count": "count",
    "score": "score",
    "days": "days",
}


def headline(figures: Sequence[MetricFigure]) -> tuple[MetricFigure, ...]:
    """The headline figures of one section (`figures` in review order): `chart: true`,
    or, with `chart:` unset, the section's first metric and metrics with a target."""
    return tuple(f for i, f in enumerate(figures) if _charted(f, first=i == 0))


def _charted(figure: MetricFigure, *, first: bool) -> bool:
    if figure.metric.chart is not None:
        return figure.metric.chart
    return first or figure.metric.target is not None


def figure_chart(figure: MetricFigure) -> Chart | None:
    """The line chart of one metric over its trend months; None when there is no trend
    to draw (unavailable, or fewer than two months with data)."""
    if figure.unavailable:
        return None
    months = figure.months[-TREND_MONTHS:]
    values = figure.values[-TREND_MONTHS:]
    title = figure.metric.title
    unit = figure.metric.unit
    chart = Chart(
        title=title,
        labels=tuple(m.abbr for m in months),
        lines=(Line(title, tuple(values)),),
        y_label=UNIT_LABELS.get(unit, unit),
    )
    return chart if chart.drawable else None


def section_charts(figures: Sequence[MetricFigure]) -> tuple[Chart, ...]:
    """The drawable charts of one section's headline figures, in order."""
    return tuple(c for f in headline(figures) if (c := figure_chart(f)) is not None)
