"""The PM's figures computed exactly: growth, ratios, sums, targets and anomalies."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

import pytest

from quarterdeck.core.business.series import (
    Target,
    anomaly,
    growth,
    month_of,
    parse_target,
    ratio,
    series_from_rows,
    total,
)
from quarterdeck.core.calendar import Month, months_ending
from quarterdeck.core.review.period import ReviewPeriod

M = Month


def window(month: Month) -> tuple[Month, ...]:
    """The window a review of `month` passes: `month` last, the six before it."""
    return ReviewPeriod.of(month).window


def s(**values: float) -> dict[Month, float]:
    """`s(m2026_05=1.0)` -> {Month(2026, 5): 1.0}."""
    return {Month(int(k[1:5]), int(k[6:])): v for k, v in values.items()}


def test_months_ending_counts_back_across_a_year() -> None:
    assert months_ending(M(2026, 2), 4) == (M(2025, 11), M(2025, 12), M(2026, 1), M(2026, 2))


@pytest.mark.parametrize(
    ("value", "month"),
    [
        (date(2026, 11, 1), M(2026, 11)),
        (datetime(2026, 3, 31, 23, 59), M(2026, 3)),
        ("2026-07", M(2026, 7)),
        ("2026-07-01T00:00:00Z", M(2026, 7)),
        (" 2025-12-01 ", M(2025, 12)),
    ],
)
def test_a_row_names_its_month_in_any_usual_shape(value: object, month: Month) -> None:
    assert month_of(value) == month


def test_rows_become_a_series_and_null_is_no_data() -> None:
    rows = [("2026-05-01", 100), ("2026-06-01", None), (date(2026, 7, 1), "125.5")]

    assert series_from_rows(rows, "mrr") == s(m2026_05=100.0, m2026_07=125.5)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("2026-05",)], "mrr: row 1 has 1 column(s); return (month, value)"),
        ([("2026-05", "1.25M")], "mrr: row 1: '1.25M' is not a number"),
        ([("May", 1)], "mrr: row 1: 'May' names no month"),
        ([("2026-05", float("nan"))], "mrr: row 1: nan is not a finite number"),
    ],
)
def test_bad_rows_say_which_row_and_why(rows: list[tuple[object, ...]], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        series_from_rows(rows, "mrr")


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        (s(m2026_05=100, m2026_06=110), s(m2026_06=10.0)),
        (s(m2026_05=100, m2026_06=90, m2026_07=99), s(m2026_06=-10.0, m2026_07=10.0)),
        (s(m2026_05=0, m2026_06=50), {}),  # growth from nothing is not a number
        (s(m2026_04=100, m2026_06=120), {}),  # May has no data: June has no growth
        (s(m2026_05=-50, m2026_06=-25), s(m2026_06=50.0)),  # a loss halved is +50 %
        (s(m2025_12=200, m2026_01=250), s(m2026_01=25.0)),
    ],
)
def test_growth_is_month_on_month_percent(
    series: dict[Month, float], expected: dict[Month, float]
) -> None:
    assert growth(series) == pytest.approx(expected)


def test_ratio_and_sum_use_the_months_every_input_has() -> None:
    revenue = s(m2026_05=1000, m2026_06=1200, m2026_07=900)
    customers = s(m2026_05=10, m2026_06=0, m2026_08=5)

    assert ratio(revenue, customers) == s(m2026_05=100.0)
    assert total(revenue, customers) == s(m2026_05=1010.0, m2026_06=1200.0)
    assert total() == {}


@pytest.mark.parametrize(
    ("text", "value", "met"),
    [
        (">= 9", 9.0, True),
        (">=9", 8.99, False),
        ("> 0", 0.0, False),
        ("< 2.5", 2.4, True),
        ("<= -1", -1.0, True),
        ("== 100", 100.0, True),
    ],
)
def test_targets(text: str, value: float, met: bool) -> None:
    assert parse_target(text).met(value) is met


@pytest.mark.parametrize("text", ["9", "at least 9", ">= nine", "=> 9", ""])
def test_a_target_that_is_not_a_comparison_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=re.escape("write e.g. '>= 9'")):
        parse_target(text)


def test_target_reads_with_its_unit() -> None:
    assert str(Target(">=", 9.0)) == "≥ 9"
    assert str(parse_target(">= 9", "percent")) == "≥ 9 %"
    assert str(parse_target("< 100000", "usd")) == "< $100,000"
    assert str(parse_target("<= 2.5", "days")) == "≤ 2.5 d"


def test_a_month_two_deviations_off_its_trailing_six_is_an_anomaly() -> None:
    history = s(m2026_01=100, m2026_02=102, m2026_03=98, m2026_04=101, m2026_05=99, m2026_06=100)
    # mean 100, sample stdev sqrt(10/5) = 1.414…: 103 is 2.12 sigmas away, 102 only 1.41.
    high = anomaly({**history, M(2026, 7): 103}, window(M(2026, 7)))
    assert high is not None
    assert (high.mean, high.months, high.direction) == (100.0, 6, "above")
    assert high.stdev == pytest.approx(math.sqrt(2))
    assert high.sigmas == pytest.approx(3 / math.sqrt(2))
    assert anomaly({**history, M(2026, 7): 102}, window(M(2026, 7))) is None
    low = anomaly({**history, M(2026, 7): 96}, window(M(2026, 7)))
    assert low is not None
    assert low.direction == "below"


def test_the_trailing_window_is_six_months_and_needs_three_with_data() -> None:
    # A wild January is outside the six months before August: it does not widen them.
    series = s(m2026_01=1000, m2026_02=10, m2026_03=10, m2026_04=12, m2026_05=8, m2026_06=10)
    series[M(2026, 7)] = 10
    series[M(2026, 8)] = 20
    assert anomaly(series, window(M(2026, 8))) is not None
    assert anomaly(s(m2026_05=10, m2026_06=10, m2026_07=50), window(M(2026, 7))) is None  # 2 months
    assert anomaly(s(m2026_05=10), window(M(2026, 6))) is None  # the month itself has no data


def test_a_flat_history_makes_any_change_an_anomaly_and_no_change_none() -> None:
    flat = s(m2026_03=5, m2026_04=5, m2026_05=5)

    changed = anomaly({**flat, M(2026, 6): 6}, window(M(2026, 6)))
    assert changed is not None
    assert changed.sigmas == math.inf
    assert anomaly({**flat, M(2026, 6): 5}, window(M(2026, 6))) is None
