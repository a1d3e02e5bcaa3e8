"""The review's Mermaid line charts and sparklines as text: the exact series, the fitted
y-axis, the target line, the anomaly mark, which figures are charted (`key:`,
`chart:`, targets, anomalies, at most three a team). (tests/test_review_charts.py
renders them in a real browser.)"""

from __future__ import annotations

import pytest

from quarterdeck.core.business.definitions import MetricDef
from quarterdeck.core.business.figure_charts import charted, figure_chart, section_charts
from quarterdeck.core.business.figures import MetricFigure
from quarterdeck.core.business.series import parse_target
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import WINDOW_MONTHS
from quarterdeck.core.text.charts import (
    SPARK_GAP,
    Chart,
    Line,
    fence,
    fitted_range,
    mermaid_xychart,
    sparkline,
)
from quarterdeck.core.text.render import figure_charts, mermaid_chart
from quarterdeck.errors import ConfigError

CFG = ".github/quarterdeck.yml"
THEME = (
    '%%{init: {"xyChart": {"width": 700, "height": 240}, "themeVariables": {"xyChart": '
    '{"plotColorPalette": "#2563eb, #dc2626, #16a34a, #9333ea, #ea580c, #0891b2"}}}}%%'
)
LABELS = ("Jun", "Jul", "Aug", "Sep", "Oct", "Nov")


def body(source: str) -> list[str]:
    """The chart's statements after the theme directive and the diagram type."""
    theme, kind, *rest = source.split("\n")
    assert (theme, kind) == (THEME, "xychart-beta")
    return [line.strip() for line in rest]


def one_line(
    values: tuple[float | None, ...], title: str = "T", unit: str = "USD", *, fit: bool = False
) -> Chart:
    """A one-line chart; from 0 (as a bar chart's axis) unless `fit`."""
    return Chart(title, LABELS[: len(values)], (Line("a", values),), unit, fit=fit)


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        pytest.param(
            one_line((1, 2, 3, 4, 5, 6)),
            [
                'title "T"',
                'x-axis ["Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]',
                'y-axis "USD" 0 --> 6',
                "line [1, 2, 3, 4, 5, 6]",
            ],
            id="six-months",
        ),
        pytest.param(
            one_line((None, 10, None, 12.5, None, 9)),
            [
                'title "T"',
                'x-axis ["Jul", "Sep", "Nov"]',
                'y-axis "USD" 0 --> 12.5',
                "line [10, 12.5, 9]",
            ],
            id="missing-months-dropped-with-their-labels",
        ),
        pytest.param(
            Chart(
                "Two",
                LABELS[:4],
                (Line("a", (1, 2, None, 4)), Line("b", (5, None, 7, 8))),
                fit=False,
            ),
            [
                'title "Two"',
                'x-axis ["Jun", "Sep"]',
                "y-axis 0 --> 8",
                "line [1, 4]",
                "line [5, 8]",
            ],
            id="a-month-any-line-lacks-leaves-every-line",
        ),
        pytest.param(
            one_line((-5, -2.5, 3), unit="%"),
            [
                'title "T"',
                'x-axis ["Jun", "Jul", "Aug"]',
                'y-axis "%" -5 --> 3',
                "line [-5, -2.5, 3]",
            ],
            id="negative-values",
        ),
        pytest.param(
            one_line((-5, -2)),
            ['title "T"', 'x-axis ["Jun", "Jul"]', 'y-axis "USD" -5 --> 0', "line [-5, -2]"],
            id="all-negative-axis-ends-at-zero",
        ),
        pytest.param(
            one_line((7, 7, 7)),
            [
                'title "T"',
                'x-axis ["Jun", "Jul", "Aug"]',
                'y-axis "USD" 0 --> 7',
                "line [7, 7, 7]",
            ],
            id="flat",
        ),
        pytest.param(
            one_line((0, 0)),
            ['title "T"', 'x-axis ["Jun", "Jul"]', 'y-axis "USD" 0 --> 1', "line [0, 0]"],
            id="flat-at-zero-still-has-a-range",
        ),
        pytest.param(
            one_line((1234567.891, 2_500_000_000_000_000.0)),
            [
                'title "T"',
                'x-axis ["Jun", "Jul"]',
                'y-axis "USD" 0 --> 2500000000000000',
                "line [1234567.89, 2500000000000000]",
            ],
            id="large-numbers-without-exponents",
        ),
        pytest.param(
            one_line((0.004123, 0.00000123456, -0.0)),
            [
                'title "T"',
                'x-axis ["Jun", "Jul", "Aug"]',
                'y-axis "USD" 0 --> 0.004123',
                "line [0.004123, 0.000001235, 0]",
            ],
            id="small-numbers-keep-four-digits",
        ),
        pytest.param(
            one_line((10.000000000000009, 2.4520183)),
            [
                'title "T"',
                'x-axis ["Jun", "Jul"]',
                'y-axis "USD" 0 --> 10',
                "line [10, 2.452]",
            ],
            id="float-noise-and-four-digits",
        ),
        pytest.param(
            one_line((1, 2), title='Cost "per" `seat` [EU] {x} <b>#1; 50%\\\nnext', unit=""),
            [
                'title "Cost per seat EU x b1 50% next"',
                'x-axis ["Jun", "Jul"]',
                "y-axis 0 --> 2",
                "line [1, 2]",
            ],
            id="title-quotes-backticks-brackets",
        ),
        pytest.param(
            Chart('"[]"', ('"J"un', "`Jul`"), (Line("a", (1, 2)),), "<%>", fit=False),
            ['title "-"', 'x-axis ["Jun", "Jul"]', 'y-axis "%" 0 --> 2', "line [1, 2]"],
            id="nothing-left-of-a-title-and-unsafe-labels",
        ),
    ],
)
def test_chart_source_holds_the_exact_series(chart: Chart, expected: list[str]) -> None:
    assert body(mermaid_xychart(chart)) == expected


@pytest.mark.parametrize(
    "chart",
    [
        one_line((5,)),
        one_line((None, 5, None)),
        one_line(()),
        Chart("No lines", LABELS, ()),
        Chart("Apart", LABELS[:2], (Line("a", (1, None)), Line("b", (None, 2)))),
    ],
)
def test_fewer_than_two_months_with_data_is_not_drawable(chart: Chart) -> None:
    assert not chart.drawable
    with pytest.raises(ValueError, match="fewer than two months with data"):
        mermaid_xychart(chart)
    assert mermaid_chart(chart) == ""


def test_a_value_that_is_not_finite_is_refused() -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        mermaid_xychart(one_line((1, float("nan"))))


def test_fence_and_the_filter() -> None:
    chart = Chart("T", LABELS[:2], (Line("MRR", (1, 2)), Line("ARR", (3, 4))))
    source = mermaid_xychart(chart)
    assert fence(source) == f"```mermaid\n{source}\n```"
    assert mermaid_chart(chart) == fence(source)
    assert "`" not in source  # so nothing in it can close the fence


WINDOW = tuple(Month(2026, m) for m in range(5, 12))  # May..Nov 2026: the review's window


def figure(
    values: tuple[float | None, ...] = (1, 2, 3, 4, 5, 6, 7),
    *,
    id: str = "m",
    unit: str = "usd",
    target: str | None = None,
    chart: bool | None = None,
    key: bool = False,
    unavailable: str | None = None,
) -> MetricFigure:
    metric = MetricDef(
        id=id,
        title=id.upper(),
        unit=unit,
        section="revenue",
        source="sql",
        query="q",
        target=parse_target(target, unit) if target else None,
        chart=chart,
        key=key,
        alert=True,
    )
    return MetricFigure(metric, WINDOW, values, unavailable)


def test_a_figures_chart_shows_the_six_months_of_its_table_in_its_unit() -> None:
    assert len(WINDOW) == WINDOW_MONTHS
    chart = figure_chart(figure((100, None, 120, 130, None, 150, 160), unit="percent"))
    assert chart is not None
    # May only feeds growth, as in the table; months without data are left out; the
    # axis is fitted: 120..160 and a tenth of that spread each side.
    assert body(mermaid_xychart(chart)) == [
        'title "M"',
        'x-axis ["Jul 2026", "Aug 2026", "Oct 2026", "Nov 2026"]',
        'y-axis "%" 116 --> 164',
        "line [120, 130, 150, 160]",
    ]


@pytest.mark.parametrize(
    ("unit", "label"),
    [
        ("usd", "$"),
        ("eur", "€"),
        ("gbp", "£"),
        ("percent", "%"),
        ("count", "count"),
        ("score", "score"),
        ("days", "days"),
    ],
)
def test_the_y_axis_names_the_unit(unit: str, label: str) -> None:
    chart = figure_chart(figure(unit=unit))
    assert chart is not None
    assert chart.y_label == label


@pytest.mark.parametrize(
    "fig",
    [
        figure(unavailable="PostHog is down"),
        figure((None,) * 7),
        figure((1, None, None, None, None, None, 2)),  # May is outside the six months
        figure((None, None, None, 4, None, None, None)),
    ],
    ids=["unavailable", "no-data", "one-month-in-the-table", "one-month"],
)
def test_no_chart_without_a_trend(fig: MetricFigure) -> None:
    assert figure_chart(fig) is None
    assert section_charts([fig]) == ()
    assert figure_charts([fig]) == []


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # Nothing marked, no target, no anomaly (a steady rise): no chart, the sparkline says it.
        ([figure(id="a"), figure(id="b"), figure(id="c")], []),
        ([figure(id="a"), figure(id="b", target=">= 9"), figure(id="c")], ["b"]),
        ([figure(id="a", key=True), figure(id="b"), figure(id="c", target="< 2")], ["a", "c"]),
        (
            [figure(id="a"), figure(id="b", chart=True), figure(id="c", target="> 1", chart=False)],
            ["b"],
        ),
        # An anomaly this month (a jump after five steady months) earns a chart.
        ([figure((5, 5, 5.1, 4.9, 5, 5, 40), id="a"), figure(id="b")], ["a"]),
        # At most three, key metrics first, then missed targets, anomalies, met targets.
        (
            [
                figure(id="met", target=">= 1"),
                figure((5, 5, 5.1, 4.9, 5, 5, 40), id="odd"),
                figure(id="missed", target=">= 100"),
                figure(id="k1", key=True),
                figure(id="k2", key=True),
            ],
            ["missed", "k1", "k2"],
        ),
        # `chart: true` is always drawn, and the default picks fill what is left of three.
        (
            [figure(id=f"f{i}", chart=True) for i in range(4)] + [figure(id="k", key=True)],
            ["f0", "f1", "f2", "f3"],
        ),
        ([figure(id="a", unavailable="down", key=True), figure(id="b", key=True)], ["b"]),
        ([], []),
    ],
)
def test_which_figures_are_charted(figures: list[MetricFigure], expected: list[str]) -> None:
    assert list(charted(figures)) == expected
    assert [c.title for c in section_charts(figures)] == [i.upper() for i in expected]
    assert figure_charts(figures) == [fence(mermaid_xychart(c)) for c in section_charts(figures)]
    # A section's charts are picked among the whole team's figures.
    for f in figures:
        assert [c.title for c in section_charts([f], figures)] == (
            [f.metric.id.upper()] if f.metric.id in expected else []
        )


def test_a_target_is_its_own_line_inside_a_fitted_axis_and_the_anomaly_is_marked() -> None:
    values = (5, 5, 5.1, 4.9, 5, 5.2, 2.0)
    chart = figure_chart(figure(values, unit="percent", target=">= 9"))
    assert chart is not None
    lines = body(mermaid_xychart(chart))
    assert lines[1] == (
        'x-axis ["Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026 ⚠"]'
    )
    low, high = fitted_range([*values[1:], 9])
    assert low < 2 < 9 < high
    assert high - 9 == pytest.approx((9 - 2) * 0.1)
    assert lines[2:] == [
        f'y-axis "%" {low:g} --> {high:g}',
        "line [5, 5.1, 4.9, 5, 5.2, 2]",
        "line [9, 9, 9, 9, 9, 9]",
    ]


def test_large_money_is_drawn_in_thousands_so_ticks_need_no_separator() -> None:
    chart = figure_chart(figure((85_000, 85_900, 88_100, 89_700, 93_400, 97_100, 101_600)))
    assert chart is not None
    assert chart.y_label == "$ thousands"
    assert body(mermaid_xychart(chart))[2:] == [
        'y-axis "$ thousands" 84.33 --> 103.17',
        "line [85.9, 88.1, 89.7, 93.4, 97.1, 101.6]",
    ]
    millions = figure_chart(figure((None, 2e6, 2.5e6, None, None, None, None), unit="count"))
    assert millions is not None
    assert millions.y_label == "count, millions"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((1, 2, 3, 4, 5, 6, 7, 8), "▁▂▃▄▅▆▇█"),
        ((10, None, 30, 20), f"▁{SPARK_GAP}█▅"),
        ((7, 7, 7), "▄▄▄"),
        ((None, 4.0, None), f"{SPARK_GAP}▄{SPARK_GAP}"),
        ((None, None), ""),
        ((), ""),
        ((-3, 0, 3), "▁▅█"),
    ],
)
def test_a_sparkline_shows_the_shape_with_gaps_for_no_data(
    values: tuple[float | None, ...], expected: str
) -> None:
    assert sparkline(values) == expected


def test_the_chart_key_reaches_the_metric() -> None:
    text = (
        "metrics:\n"
        "  - {id: mrr, sql: x, chart: false}\n"
        "  - {id: arr, sql: x, chart: true}\n"
        "  - {id: nps, sql: x}\n"
    )
    config, _ = build_config((CFG, text), [])
    assert [m.chart for m in config.metrics] == [False, True, None]
    keyed, _ = build_config((CFG, "metrics:\n  - {id: mrr, sql: x, key: true}\n"), [])
    assert [m.key for m in keyed.metrics] == [True]
    assert [m.key for m in config.metrics] == [False, False, False]


@pytest.mark.parametrize(
    ("value", "why"),
    [("yes_please", "got the text 'yes_please'"), ("1", "got the number 1")],
)
def test_a_chart_key_that_is_not_yes_or_no_is_an_error_with_its_line(value: str, why: str) -> None:
    text = (
        f"teams:\n  web:\n    metrics:\n      - id: mrr\n        sql: x\n        chart: {value}\n"
    )
    with pytest.raises(ConfigError) as caught:
        build_config((CFG, text), [])
    assert f"{CFG}:6: teams.web.metrics[0].chart: expected true or false, {why}" in str(
        caught.value
    )
