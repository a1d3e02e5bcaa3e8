"""Numbers in the units a person would write: `$1,234`, `9.5 %`, `36 h`, `4.0 d`, and
counts with the noun that agrees with them: `1 PR`, `3 people`. Pure.

One place for how a value and its unit are shown, so a table, a chart's axis, a
target and the summary say the same thing. A column of durations uses one unit
chosen by magnitude (`duration_unit`), never `36.0 h` beside `4.0 d`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "MINUS",
    "duration_unit",
    "nobreak",
    "plural",
    "show_duration",
    "show_value",
    "signed_duration",
    "signed_value",
    "unit_prefix",
    "unit_suffix",
]

MINUS = "\N{MINUS SIGN}"
_PREFIX = {"usd": "$", "eur": "€", "gbp": "£"}
_SUFFIX = {"%": " %", "percent": " %", "days": " d"}
# Durations of two days or more read in days; under that, in hours.
_DAY_FROM_HOURS = 48.0


def unit_prefix(unit: str) -> str:
    """What is written before a value of `unit` (`$` for usd), or ""."""
    return _PREFIX.get(unit, "")


def unit_suffix(unit: str) -> str:
    """What is written after a value of `unit` (` %` for percent), or ""."""
    return _SUFFIX.get(unit, "")


def show_value(value: float | None, unit: str) -> str:
    """A figure as the review prints it: `$1,234`, `9.5 %`, `1,234`, `3.5 d`; `—` for no data.

    `unit` is a metric's (`usd`, `percent`, `count`, …) or the metrics file's (`%`, `score`, "").
    """
    if value is None:
        return "—"
    shown = round(float(value), 1)  # 10.000000000000009 % is 10 %
    text = f"{shown:,.0f}" if shown.is_integer() else f"{shown:,.1f}"
    if text.startswith("-"):
        text = MINUS + text[1:]
    return f"{unit_prefix(unit)}{text}{unit_suffix(unit)}"


def signed_value(delta: float | None, unit: str) -> str:
    """A change of a figure in its unit, with its sign: `+$1,200`, `−3.5 %`; "no change"
    when it rounds to nothing as `show_value` prints it; `—` for no data."""
    if delta is None:
        return "—"
    shown = show_value(abs(delta), unit)
    if round(float(delta), 1) == 0:
        return "no change"
    return ("+" if delta > 0 else MINUS) + shown


def duration_unit(hours: Iterable[float | None]) -> str:
    """The one unit a row or column of durations (in hours) is written in: "d" when its
    largest is two days or more, "h" when it is an hour or more, else "min"."""
    known = [h for h in hours if h is not None]
    top = max(known, default=0.0)
    if top >= _DAY_FROM_HOURS:
        return "d"
    if top >= 1 or not known:
        return "h"
    return "min"


def show_duration(hours: float | None, unit: str | None = None) -> str:
    """A duration given in hours, in `unit` ("min", "h" or "d"; by default the one
    `duration_unit` picks for it alone): `45 min`, `36.0 h`, `4.0 d`; `—` for none."""
    if hours is None:
        return "—"
    unit = unit or duration_unit([hours])
    if unit == "min":
        return f"{hours * 60:,.0f} min"
    if unit == "d":
        return f"{hours / 24:,.1f} d"
    return f"{hours:,.1f} h"


def signed_duration(delta: float | None, unit: str | None = None) -> str:
    """A change of duration in `unit`, with its sign: `+14.5 h`, `−0.6 d`; "no change"
    when it rounds to nothing in that unit."""
    if delta is None:
        return "—"
    shown = show_duration(abs(delta), unit or duration_unit([abs(delta)]))
    if float(shown.split()[0].replace(",", "")) == 0:
        return "no change"
    return ("+" if delta > 0 else MINUS) + shown


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun that agrees with it; `plural_form` defaults to singular + "s"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


def nobreak(text: str) -> str:
    """`text` with non-breaking hyphens and spaces, so a narrow table column never wraps
    a date (`2026-10-08`) over two lines."""
    return text.replace("-", "\N{NON-BREAKING HYPHEN}").replace(" ", "\N{NO-BREAK SPACE}")
