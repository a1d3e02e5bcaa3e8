"""Mermaid line charts (`xychart-beta`) of monthly series, for the review. Pure.

GitHub renders a ```mermaid fence as a chart. A chart shows one unit (xychart has one
y-axis), one line per series, and only the months with data: Mermaid has no "no data"
point, and drawing a missing month as 0 would invent a fall. User text (titles) is
reduced to characters that cannot end a Mermaid string or the fence. Numbers are
written as plain decimals: xychart's grammar has no exponent (`1.2e+06` fails to parse).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Chart", "Line", "fence", "mermaid_text", "mermaid_xychart"]

# Characters that could end a quoted Mermaid string, open markup or break the fence;
# without `{` no text can open a `%%{…}%%` directive either.
_UNSAFE = re.compile(r"[\"`<>{}\[\]\\#;]")
# Mermaid's default theme draws the first series in a near-white lavender, invisible on
# GitHub's light background; these read on light and dark. An `%%{init}%%` directive
# rather than frontmatter config: Mermaid before 10.5 knows only the directive, and 11
# (pinned for the tests) still reads it.
_PALETTE = "#2563eb, #dc2626, #16a34a, #9333ea, #ea580c, #0891b2"
_THEME = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "' + _PALETTE + '"}}}}%%'
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
    if not all(math.isfinite(v) for v in flat):
        raise ValueError(f"chart {chart.title!r} has a value that is not a finite number")
    # The axis always takes in 0 (from 0 up when every value is positive, up to 0 when
    # every one is negative), so a small change does not look like a cliff; a flat
    # series at 0 still needs a range.
    bottom, top = min(*flat, 0.0), max(*flat, 0.0)
    if top == bottom:
        top = bottom + 1
    out = [
        _THEME,
        "xychart-beta",
        f'    title "{mermaid_text(chart.title)}"',
        "    x-axis [" + ", ".join(f'"{mermaid_text(chart.labels[i])}"' for i in shown) + "]",
        f'    y-axis "{mermaid_text(chart.y_label)}" {_number(bottom)} --> {_number(top)}'
        if chart.y_label
        else f"    y-axis {_number(bottom)} --> {_number(top)}",
    ]
    for row in values:
        out.append("    line [" + ", ".join(_number(v) for v in row if v is not None) + "]")
    return "\n".join(out)


def fence(source: str) -> str:
    """`source` in a ```mermaid fence (the chart text never holds a backtick)."""
    return f"```mermaid\n{source}\n```"
