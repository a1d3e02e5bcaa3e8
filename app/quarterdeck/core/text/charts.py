"""Mermaid line charts (`xychart-beta`) and Unicode sparklines of monthly series, for
the review. Pure.

A sparkline (`▁▃▅█`) puts a six-month trend in a table row; a month with no data is a
gap, never the lowest bar. A chart is small (CHART_HEIGHT pixels), and a line chart's
y-axis is fitted to its values plus a margin, so a change from $85,900 to $101,600
fills the plot instead of its top sixth; a target is its own (flat) line inside it.

GitHub renders a ```mermaid fence as a chart. A chart shows one unit (xychart has one
y-axis), one line per series, and only the months with data: Mermaid has no "no data"
point, and drawing a missing month as 0 would invent a fall. User text (titles) is
reduced to characters that cannot end a Mermaid string or the fence. Numbers are
written as plain decimals: xychart's grammar has no exponent (`1.2e+06` fails to parse).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "CHART_HEIGHT",
    "SPARK_GAP",
    "Chart",
    "Line",
    "fence",
    "fitted_range",
    "mermaid_text",
    "mermaid_xychart",
    "sparkline",
]

# Characters that could end a quoted Mermaid string, open markup or break the fence;
# without `{` no text can open a `%%{…}%%` directive either.
_UNSAFE = re.compile(r"[\"`<>{}\[\]\\#;]")
# Mermaid's default theme draws the first series in a near-white lavender, invisible on
# GitHub's light background; these read on light and dark. An `%%{init}%%` directive
# rather than frontmatter config: Mermaid before 10.5 knows only the directive, and 11
# (pinned for the tests) still reads it.
_PALETTE = "#2563eb, #dc2626, #16a34a, #9333ea, #ea580c, #0891b2"
# A small chart: about a third of Mermaid's default 500 pixels of height.
CHART_HEIGHT = 240
_CHART_WIDTH = 700
_THEME = (
    '%%{init: {"xyChart": {"width": '
    + str(_CHART_WIDTH)
    + ', "height": '
    + str(CHART_HEIGHT)
    + '}, "themeVariables": {"xyChart": {"plotColorPalette": "'
    + _PALETTE
    + '"}}}}%%'
)
# A line chart's margin above and below its values, as a share of their spread.
_MARGIN = 0.1
_SPARKS = "▁▂▃▄▅▆▇█"
# A month without data in a sparkline: a space as wide as a figure, which neither
# Markdown nor HTML collapses.
SPARK_GAP = "\N{FIGURE SPACE}"
# Decimals enough for this many significant digits (a ratio of 0.004123 stays one),
# and never fewer than two (cents).
_SIGNIFICANT = 4
_MAX_DECIMALS = 12


@dataclass(frozen=True)
class Line:
    """One series on a chart: a value per x label (None: no data that month)."""

    name: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Chart:
    """A line chart over labelled months, in one unit."""

    title: str
    labels: tuple[str, ...]  # e.g. ("Jun", "Jul", …), oldest first
    lines: tuple[Line, ...]
    y_label: str = ""
    # Fit the y-axis to the values (plus a margin); False: from 0, as bars must.
    fit: bool = True
    # Lines drawn across the whole chart at one value (a target), not a series: they
    # take part in the y-range but never hide a month.
    levels: tuple[float, ...] = ()
    # Indexes of months to mark (an anomaly): their x label gets a ⚠.
    marked: tuple[int, ...] = ()

    @property
    def shown(self) -> tuple[int, ...]:
        """The indexes of the months every line has data for: the ones the chart shows."""
        return tuple(
            i
            for i in range(len(self.labels))
            if self.lines
            and all(i < len(line.values) and line.values[i] is not None for line in self.lines)
        )

    @property
    def drawable(self) -> bool:
        """Whether there is a trend to draw: at least two months with data."""
        return len(self.shown) >= 2


def mermaid_text(value: str) -> str:
    """`value` fit for a double-quoted Mermaid string, on one line ("-" if nothing is left)."""
    return " ".join(_UNSAFE.sub("", value).split()) or "-"


def sparkline(values: Sequence[float | None]) -> str:
    """`values` as block characters from ▁ (the lowest) to █ (the highest), a gap for a
    month without data; a flat series sits in the middle. "" when nothing has data."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if not known:
        return ""
    low, high = min(known), max(known)
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(SPARK_GAP)
        elif high == low:
            out.append(_SPARKS[len(_SPARKS) // 2 - 1])
        else:
            out.append(_SPARKS[round((v - low) / (high - low) * (len(_SPARKS) - 1))])
    return "".join(out)


def fitted_range(values: Sequence[float]) -> tuple[float, float]:
    """The y-axis range of a line chart: its values' spread plus a margin each side
    (a flat series gets a margin of a tenth of its value, or 1 at 0)."""
    low, high = min(values), max(values)
    spread = high - low
    margin = spread * _MARGIN if spread else (abs(high) * _MARGIN or 1.0)
    bottom, top = low - margin, high + margin
    # A range that would only just cross 0 stops there: -3 % is not a place to read.
    if low >= 0 > bottom:
        bottom = 0.0
    if high <= 0 < top:
        top = 0.0
    return bottom, top


def _number(value: float) -> str:
    decimals = 2
    if value:
        digits = _SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
        decimals = min(_MAX_DECIMALS, max(2, digits))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def mermaid_xychart(chart: Chart) -> str:
    """The chart's Mermaid source, without the fence; ValueError if it is not drawable.

    Mermaid needs a number per label, so a month some line has no data for is left out
    of the whole chart (its label goes too, so no gap is hidden).
    """
    shown = chart.shown
    if len(shown) < 2:
        raise ValueError(f"chart {chart.title!r} has fewer than two months with data")
    values = [[line.values[i] for i in shown] for line in chart.lines]
    flat = [v for row in values for v in row if v is not None]
    if not all(math.isfinite(v) for v in (*flat, *chart.levels)):
        raise ValueError(f"chart {chart.title!r} has a value that is not a finite number")
    if chart.fit:
        bottom, top = fitted_range([*flat, *chart.levels])
    else:
        # From 0 up when every value is positive, up to 0 when every one is negative,
        # so a bar's length is its value; a flat series at 0 still needs a range.
        bottom, top = min(*flat, 0.0), max(*flat, 0.0)
        if top == bottom:
            top = bottom + 1
    labels = [chart.labels[i] + (" ⚠" if i in chart.marked else "") for i in shown]
    out = [
        _THEME,
        "xychart-beta",
        f'    title "{mermaid_text(chart.title)}"',
        "    x-axis [" + ", ".join(f'"{mermaid_text(label)}"' for label in labels) + "]",
        f'    y-axis "{mermaid_text(chart.y_label)}" {_number(bottom)} --> {_number(top)}'
        if chart.y_label
        else f"    y-axis {_number(bottom)} --> {_number(top)}",
    ]
    for row in values:
        out.append("    line [" + ", ".join(_number(v) for v in row if v is not None) + "]")
    for level in chart.levels:
        out.append("    line [" + ", ".join([_number(level)] * len(shown)) + "]")
    return "\n".join(out)


def fence(source: str) -> str:
    """`source` in a ```mermaid fence (the chart text never holds a backtick)."""
    return f"```mermaid\n{source}\n```"
