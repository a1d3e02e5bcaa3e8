"""Which of a team's figures the review charts, and the line chart of one. Pure.

A chart earns its space when it shows a shape the table row's sparkline cannot: the
rule is a metric's `chart:` when set; otherwise the metrics the team marks `key:`,
and those with a target or an anomaly this month, at most DEFAULT_CHARTS a team (key
metrics first, then missed targets, anomalies, and met targets; review order within
each). A chart shows one metric over the six months its trend table shows, its
target as a flat line, its anomalous month marked, on a y-axis fitted to the values
with its unit (`$ thousands`, `%`). A metric that is unavailable, or has fewer than
two of those months with data, gets no chart: there is no trend to draw.
"""

from __future__ import annotations

from collections.abc import Sequence

from quarterdeck.core.business.figures import MetricFigure
from quarterdeck.core.review.period import TREND_MONTHS
from quarterdeck.core.text.charts import Chart, Line
from quarterdeck.core.text.units import unit_prefix

__all__ = ["DEFAULT_CHARTS", "UNIT_LABELS", "charted", "figure_chart", "section_charts"]

# At most this many figure charts a team, unless metrics ask with `chart: true`.
DEFAULT_CHARTS = 3

# A unit as the y-axis names it.
UNIT_LABELS = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "percent": "%",
    "count": "count",
    "score": "score",
    "days": "days",
}
# Large values are drawn in thousands or millions: Mermaid writes its ticks without a
# thousands separator (`100000`), so the axis says "$ thousands" and ticks read `100`.
_SCALES = ((1_000_000.0, "millions"), (1_000.0, "thousands"))


def charted(figures: Sequence[MetricFigure], limit: int = DEFAULT_CHARTS) -> tuple[str, ...]:
    """The ids of the metrics a team's review charts (`figures`: all of the review's)."""
    drawable = [f for f in figures if figure_chart(f) is not None]
    forced = [f.metric.id for f in drawable if f.metric.chart is True]
    ranked = sorted(
        (f for f in drawable if f.metric.chart is None and _rank(f) is not None),
        key=lambda f: _rank(f) or 0,
    )
    chosen = forced + [f.metric.id for f in ranked][: max(0, limit - len(forced))]
    return tuple(f.metric.id for f in figures if f.metric.id in chosen)


def _rank(figure: MetricFigure) -> int | None:
    if figure.metric.key:
        return 0
    if figure.target_met is False:
        return 1
    if figure.anomaly is not None:
        return 2
    if figure.metric.target is not None:
        return 3
    return None


def figure_chart(figure: MetricFigure) -> Chart | None:
    """The line chart of one metric over its trend months; None when there is no trend
    to draw (unavailable, or fewer than two months with data)."""
    if figure.unavailable:
        return None
    months = figure.months[-TREND_MONTHS:]
    values = figure.values[-TREND_MONTHS:]
    metric = figure.metric
    target = metric.target.value if metric.target is not None else None
    top = max((abs(v) for v in (*values, target) if v is not None), default=0.0)
    scale, scale_word = next(((s, w) for s, w in _SCALES if top >= s), (1.0, ""))
    unit = UNIT_LABELS.get(metric.unit, metric.unit)
    if scale_word:
        unit = f"{unit_prefix(metric.unit) or (unit + ',')} {scale_word}".strip()
    anomaly = figure.anomaly
    chart = Chart(
        title=metric.title,
        labels=tuple(m.abbr for m in months),
        lines=(Line(metric.title, tuple(None if v is None else v / scale for v in values)),),
        y_label=unit,
        levels=() if target is None else (target / scale,),
        marked=tuple(i for i, m in enumerate(months) if anomaly and m == anomaly.month),
    )
    return chart if chart.drawable else None


def section_charts(
    figures: Sequence[MetricFigure], team_figures: Sequence[MetricFigure] | None = None
) -> tuple[Chart, ...]:
    """The charts of one section's `figures`, in order: those `charted` picks among all
    of the team's figures (`team_figures`, by default the section's alone)."""
    chosen = set(charted(team_figures if team_figures is not None else figures))
    return tuple(c for f in figures if f.metric.id in chosen and (c := figure_chart(f)) is not None)
