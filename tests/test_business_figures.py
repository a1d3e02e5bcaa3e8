"""A team's figures: derived metrics, targets, anomalies and failures, exactly."""

from __future__ import annotations

import pytest

from quarterdeck.core.business.definitions import (
    STANDARD,
    MetricDef,
    parse_derivation,
)
from quarterdeck.core.business.figures import build_figures
from quarterdeck.core.business.series import parse_target
from quarterdeck.core.calendar import Month
from quarterdeck.core.review.period import ReviewPeriod

NOV = Month(2026, 11)
WINDOW = ReviewPeriod.of(NOV).window
MRR = MetricDef("mrr", "MRR", "usd", "revenue", "sql", "select …")
GROWTH = MetricDef(
    "mrr_growth", "Growth", "percent", "revenue", "from", "growth(mrr)", parse_target(">= 9")
)
CUSTOMERS = MetricDef("paying_customers", "Paying customers", "count", "revenue", "posthog", "…")
ARPU = MetricDef("arpu", "ARPU", "usd", "revenue", "from", "ratio(mrr, paying_customers)")


def months(*values: float | None) -> dict[Month, float]:
    """Values for May..Nov 2026, oldest first; None is no data."""
    window = [Month(2026, m) for m in range(5, 12)]
    return {m: v for m, v in zip(window, values, strict=True) if v is not None}


def test_derived_growth_target_and_window() -> None:
    fetched = {"mrr": months(100, 110, 121, 133.1, 146.41, 161.051, 170)}

    mrr, growth = build_figures([MRR, GROWTH], fetched, WINDOW)

    assert [str(m) for m in mrr.months] == [f"2026-{m:02d}" for m in range(5, 12)]
    assert mrr.values == (100, 110, 121, 133.1, 146.41, 161.051, 170)
    assert (mrr.current, mrr.previous) == (170, 161.051)
    assert growth.values[0] is None  # May has no April to grow from
    assert growth.values[1:-1] == pytest.approx((10.0,) * 5)
    assert growth.current == pytest.approx((170 - 161.051) / 161.051 * 100)
    assert growth.target_met is False  # 5.6 % against ">= 9"
    assert mrr.target_met is None  # no target


def test_a_month_without_data_is_none_never_zero() -> None:
    (mrr,) = build_figures([MRR], {"mrr": months(100, None, 120, None, None, None, 130)}, WINDOW)

    assert mrr.values == (100, None, 120, None, None, None, 130)


def test_an_anomaly_against_the_trailing_six_months() -> None:
    steady = {"mrr": months(100, 102, 98, 101, 99, 100, 130)}
    quiet = {"mrr": months(100, 102, 98, 101, 99, 100, 101)}

    (spike,) = build_figures([MRR], steady, WINDOW)
    (calm,) = build_figures([MRR], quiet, WINDOW)

    assert spike.anomaly is not None
    assert (spike.anomaly.direction, spike.anomaly.months) == ("above", 6)
    assert calm.anomaly is None


def test_a_failed_source_makes_it_and_what_derives_from_it_unavailable() -> None:
    fetched = {"mrr": "PostHog did not accept the key", "paying_customers": months(*[10] * 7)}

    mrr, growth, customers, arpu = build_figures([MRR, GROWTH, CUSTOMERS, ARPU], fetched, WINDOW)

    assert mrr.unavailable == "PostHog did not accept the key"
    assert mrr.values == (None,) * 7
    assert growth.unavailable == (
        "growth(mrr) needs mrr, which is unavailable (PostHog did not accept the key)"
    )
    assert customers.unavailable is None
    assert arpu.unavailable is not None
    assert arpu.anomaly is None


def test_ratio_of_two_sources() -> None:
    fetched = {"mrr": months(*[1000] * 7), "paying_customers": months(*[10] * 6, 20)}

    (arpu,) = build_figures([ARPU], fetched, WINDOW)

    assert arpu.values == (100, 100, 100, 100, 100, 100, 50)


def test_a_formula_naming_an_undefined_metric_says_so() -> None:
    (growth,) = build_figures([GROWTH], {}, WINDOW)

    assert growth.unavailable == "growth(mrr) needs metric mrr, which the config doesn't define"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("growth(mrr, arr)", "growth() takes one metric, got 2"),
        ("ratio(mrr)", "ratio() takes two metrics, got 1"),
        ("sum(mrr)", "sum() takes two or more, got 1"),
        ("mrr * 12", "is not a formula Quarterdeck computes"),
    ],
)
def test_formulas_are_checked(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_derivation(text)


def test_the_standard_list_names_posthogs_review_metrics() -> None:
    assert {"mrr", "arr", "mrr_growth", "nrr", "paying_customers", "nps"} <= set(STANDARD)
    assert STANDARD["mrr_growth"].derived == "growth(mrr)"
    # No standard metric carries a target: only the targets people set judge a figure.
    assert not any(hasattr(s, "target") for s in STANDARD.values())
    assert all(parse_derivation(s.derived) for s in STANDARD.values() if s.derived)
