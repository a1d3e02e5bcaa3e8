"""Every Mermaid chart a review can emit, rendered in a real browser (headless Chromium
with the pinned mermaid package, see tests/browser.py).

The charts are found generically, as every ```mermaid fence of real reviews rendered to
Markdown, so a chart added to the templates later is checked without a new test. The
screenshots land in $QUARTERDECK_TEST_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_markdown import render_reviews
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.view import TeamReview
from tests.browser import Rendered, artifacts_dir, mermaid_fences, render_mermaid
from tests.fakeposthog import FakePostHog, allowing, serve
from tests.gitrepo import GitRepo

KEY = "phx_charts_test_key"
ACTIVATION = "SELECT month, rate FROM activation WHERE at >= {start} AND at < {end}"
NPS = "SELECT month, nps FROM surveys WHERE at >= {start} AND at < {end}"
WEIRD = 'Cost "per" `seat` [EU] {x} <b>#1; 50%'
# Every shape of chart the figures can take: money in millions (a key metric), percent
# with negative months and a missed target (a derived growth), a user title full of
# Mermaid's syntax (`chart: true`), and more candidates than a team's three charts:
# a met target with gaps, an anomaly, a flat series with a target, and metrics that
# must draw nothing (unavailable, one month, `chart: false`).
CONFIG = """\
teams:
  growth:
    lead: alice
    members: [alice]
    metrics:
      - {id: activation, posthog: "@ACTIVATION@", target: ">= 40"}
      - {id: nps, posthog: "@NPS@"}
      - {id: signups, title: Signups, unit: count, section: Acquisition,
          sql: "SELECT month, n FROM signups"}
      - id: cost
        title: '@WEIRD@'
        unit: eur
        section: Acquisition
        sql: SELECT month, v FROM cost
        chart: true
      - {id: wait, title: Days to first value, unit: days, section: Acquisition,
          sql: "SELECT month, 2 FROM signups", target: "<= 3"}
      - {id: hidden, title: Hidden, unit: count, section: Acquisition,
          sql: "SELECT month, n FROM signups", target: ">= 1", chart: false}
  web:
    lead: bob
    members: [bob]
metrics:
  - {id: mrr, sql: "SELECT month, mrr FROM revenue"}
  - {id: mrr_growth, target: ">= 9"}
  - {id: arr, sql: "SELECT month, mrr * 12000 FROM revenue", key: true}
  - {id: churned_revenue, posthog: "SELECT no_such_table", chart: true}
sources:
  posthog: {host: "@URL@", project: 12345}
  warehouse: {url_env: CHARTS_TEST_WAREHOUSE}
"""
MONTHS = [f"2026-{m:02d}" for m in range(5, 12)]  # the review window of November 2026
TREND = ["Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026"]
MRR = [1000, 1100, 1050, 1200, 1150, 1300, 1250]  # falls every other month
SIGNUPS = [40, 50, 52, 48, 51, 49, 90]
COST = [-3.5, -2, 0, 1.25, -4, 2.5, 3]
ACTIVATION_ROWS = [["2026-07-01", 38], ["2026-09-01", 41.5], ["2026-11-01", 44]]
GROWTH = [round((b - a) / a * 100, 4) for a, b in pairwise(MRR)]
# The charts the growth team's review shows, in order: (title, x labels, values, target).
# `chart: true` (Cost) is always drawn; then key metrics (ARR, in millions of dollars),
# then missed targets (growth, −3.8 % against 9 %): three, so Signups' anomaly, and
# Activation's and Days to first value's met targets, are sparklines only.
GROWTH_CHARTS = [
    ("MRR month-on-month growth", TREND, GROWTH, 9.0),
    ("ARR", TREND, [m * 12000 / 1e6 for m in MRR[1:]], None),
    ("Cost per seat EU x b1 50%", TREND, COST[1:], None),
]
MAX_CHARTS = 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[TeamReview]]:
    """The November 2026 reviews of `CONFIG`."""
    tmp = tmp_path_factory.mktemp("charts")
    db = tmp / "warehouse.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE revenue (month TEXT, mrr REAL)")
        conn.executemany("INSERT INTO revenue VALUES (?, ?)", zip(MONTHS, MRR, strict=True))
        conn.execute("CREATE TABLE signups (month TEXT, n REAL)")
        conn.executemany("INSERT INTO signups VALUES (?, ?)", zip(MONTHS, SIGNUPS, strict=True))
        conn.execute("CREATE TABLE cost (month TEXT, v REAL)")
        conn.executemany("INSERT INTO cost VALUES (?, ?)", zip(MONTHS, COST, strict=True))
    fake = FakePostHog(keys={KEY: {"query:read"}})
    fake.answer(ACTIVATION, ACTIVATION_ROWS)
    fake.answer(NPS, [["2026-11-01", 31]])  # one month: no trend, no chart
    with serve(fake), pytest.MonkeyPatch.context() as env:
        env.setenv("POSTHOG_PERSONAL_API_KEY", KEY)
        for name, value in allowing(fake).items():
            env.setenv(name, value)
        env.setenv("CHARTS_TEST_WAREHOUSE", f"sqlite:///{db}")
        repo = GitRepo.init(tmp / "web")
        config = (
            CONFIG.replace("@ACTIVATION@", ACTIVATION)
            .replace("@NPS@", NPS)
            .replace("@WEIRD@", WEIRD.replace("'", "''"))  # a single-quoted YAML string
            .replace("@URL@", fake.url)
        )
        when = datetime(2026, 10, 1, tzinfo=UTC)
        repo.commit("Initial commit", {".github/quarterdeck.yml": config}, date=when)
        alice = ("Alice", "1+alice@users.noreply.github.com")
        repo.squash_pr(1, "Faster signup", {"a.py": "1"}, alice, datetime(2026, 11, 3, tzinfo=UTC))
        yield list(build_reviews(repo.path, Month(2026, 11)))


@pytest.fixture(scope="module")
def review_markdown(built: list[TeamReview]) -> dict[str, str]:
    """Those reviews rendered to Markdown, per team."""
    return {r.summary.team: render_reviews([r]) for r in built}


@pytest.fixture(scope="module")
def review_charts(review_markdown: dict[str, str]) -> list[Rendered]:
    """Every chart of those reviews, rendered in one browser run (and a screenshot)."""
    sources = [s for text in review_markdown.values() for s in mermaid_fences(text)]
    return render_mermaid(sources, screenshot=artifacts_dir() / "review-charts.png")


def figure_charts(markdown: str, rendered: list[Rendered]) -> list[Rendered]:
    """The charts of a review's figure sections (revenue to the last custom one)."""
    start, end = (
        markdown.index("<!-- quarterdeck:section revenue -->"),
        markdown.index("\n## Discussion"),
    )
    by_source = {r.source: r for r in rendered}
    return [by_source[s] for s in mermaid_fences(markdown[start:end])]


def x_labels(source: str) -> list[str]:
    """The x-axis labels a chart's source names."""
    found = re.search(r"^\s*x-axis \[(.*)\]$", source, re.M)
    assert found is not None, source
    return re.findall(r'"([^"]*)"', found.group(1))


def series(source: str, kind: str) -> list[list[float]]:
    """The values of each `line` (or `bar`) a chart's source holds."""
    rows = re.findall(rf"^\s*{kind} \[(.*)\]$", source, re.M)
    return [[float(v) for v in row.split(", ")] for row in rows]


def test_every_chart_of_the_reviews_renders_in_a_browser(review_charts: list[Rendered]) -> None:
    assert review_charts, "the reviews emit charts"
    failed = [f"{r.error}\n{r.source}" for r in review_charts if not r.ok]
    assert failed == []
    for r in review_charts:
        assert r.kind == "xychart", r.source
        # What the browser drew is what the source says: each line, each bar, the labels.
        assert r.lines == len(series(r.source, "line")), r.source
        assert r.bars == sum(len(row) for row in series(r.source, "bar")), r.source
        assert list(r.labels) == x_labels(r.source), r.source


def test_the_charted_figures_show_their_exact_series(
    review_markdown: dict[str, str], review_charts: list[Rendered]
) -> None:
    figures = figure_charts(review_markdown["growth"], review_charts)
    assert [r.title for r in figures] == [title for title, _, _, _ in GROWTH_CHARTS]
    for r, (title, labels, values, target) in zip(figures, GROWTH_CHARTS, strict=True):
        assert (x_labels(r.source), list(r.labels)) == (labels, labels), title
        line, *levels = series(r.source, "line")
        assert line == pytest.approx(values, abs=0.01), title
        assert levels == ([[target] * len(labels)] if target is not None else []), title
    # Every metric still has its row, with a sparkline, chart or not.
    text = review_markdown["growth"]
    for row in ("| NPS |", "| Churned revenue |", "| Hidden |", "| Signups |", "| Activation |"):
        assert any(line.startswith(row) for line in text.splitlines()), row
    # The web team has the company-wide figures only: the key one and the missed target.
    web = figure_charts(review_markdown["web"], review_charts)
    assert [r.title for r in web] == ["MRR month-on-month growth", "ARR"]


def test_a_target_is_drawn_inside_the_plot(
    review_markdown: dict[str, str], review_charts: list[Rendered]
) -> None:
    with_target = [
        r
        for text in review_markdown.values()
        for r in figure_charts(text, review_charts)
        if len(series(r.source, "line")) == 2
    ]
    assert with_target, "a charted metric has a target"
    for r in with_target:
        assert_target_inside(r)


def assert_target_inside(r: Rendered) -> None:
    """The chart's second line, its target, is drawn flat and well inside the plot."""
    assert r.plot is not None, r.source
    top, bottom = r.plot
    assert len(r.line_spans) == 2, r.source
    (target_top, target_bottom) = r.line_spans[1]
    # A flat line, well inside the plot, not on its edge (where a 0-based axis that
    # stops at the data's top would leave it, or outside).
    assert target_bottom - target_top < 3, r.source
    assert top + 5 < target_top, (r.plot, r.line_spans)
    assert target_bottom < bottom - 5, (r.plot, r.line_spans)


def test_the_y_range_is_the_datas_plus_a_margin(
    review_markdown: dict[str, str], review_charts: list[Rendered]
) -> None:
    charts = [r for text in review_markdown.values() for r in figure_charts(text, review_charts)]
    assert charts
    for r in charts:
        assert_fitted(r)


def assert_fitted(r: Rendered) -> None:
    """The y-axis the browser drew spans the chart's values plus a margin, and the
    data fills most of the plot's height."""
    drawn = [v for row in series(r.source, "line") for v in row]
    low, high = min(drawn), max(drawn)
    margin = (high - low) * 0.1 + 1e-9
    assert r.y_ticks, r.source
    # Every tick the browser drew is within the values' range plus the margin: the
    # axis is not stretched to 0 (ARR runs 13.2–15.6 million, not 0–15.6).
    assert low - margin <= min(r.y_ticks), (r.y_ticks, r.source)
    assert max(r.y_ticks) <= high + margin, (r.y_ticks, r.source)
    # And the lines fill most of the plot's height instead of its top sixth: the data,
    # with its target when it has one (a target far from the data, 9 % above values of
    # 2-5 %, widens the axis to show the gap).
    assert r.plot is not None
    data_top = min(top for top, _ in r.line_spans)
    data_bottom = max(bottom for _, bottom in r.line_spans)
    assert data_bottom - data_top > 0.6 * (r.plot[1] - r.plot[0]), r.source


def test_no_more_than_three_charts_per_team_by_default(
    built: list[TeamReview], review_markdown: dict[str, str], review_charts: list[Rendered]
) -> None:
    (growth,) = [r for r in built if r.summary.team == "growth"]
    # More metrics than three qualify: a target, an anomaly, a key or `chart: true`.
    candidates = [
        f
        for f in growth.figures
        if f.metric.chart is not False
        and (f.metric.chart or f.metric.key or f.metric.target or f.anomaly)
    ]
    assert len(candidates) > MAX_CHARTS
    for team, text in review_markdown.items():
        assert len(figure_charts(text, review_charts)) <= MAX_CHARTS, team
    assert len(figure_charts(review_markdown["growth"], review_charts)) == MAX_CHARTS


def test_a_chart_that_does_not_parse_fails_the_check() -> None:
    good = 'xychart-beta\n    x-axis ["a", "b"]\n    line [1, 2]'
    broken = [
        "xychart-beta\n    line [1, 2e5]",  # exponents are not in xychart's grammar
        'xychart-beta\n    title "unclosed\n    line [1, 2]',
        'xychart-beta\n    x-axis ["a", "b"]\n    line [1, 2',
        "not-a-diagram\n    line [1, 2]",
    ]
    rendered = render_mermaid([good, *broken])
    assert rendered[0].ok
    assert rendered[0].error is None
    assert rendered[0].labels == ("a", "b")
    for r in rendered[1:]:
        assert not r.ok, r.source
        assert r.error, r.source
    assert "Parse error on line 2" in (rendered[1].error or "")


def test_a_screenshot_of_the_review_charts_is_written(review_charts: list[Rendered]) -> None:
    shot = artifacts_dir() / "review-charts.png"
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # charts, not a blank page


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[Rendered]]:
    """The demo's reviews (Markdown, one per team) and every chart of them as the
    browser drew it, with a screenshot."""
    out = tmp_path_factory.mktemp("demo") / "demo.md"
    assert main(["demo", "-o", str(out)]) == 0
    reviews = out.read_text(encoding="utf-8").split("\n---\n")
    sources = [source for review in reviews for source in mermaid_fences(review)]
    return reviews, render_mermaid(sources, screenshot=artifacts_dir() / "demo-charts.png")


def test_the_demos_charts_render_and_are_screenshotted(
    demo: tuple[list[str], list[Rendered]],
) -> None:
    _, rendered = demo
    # Every team review has a shipping-speed chart; the demo's figures add theirs.
    assert rendered, "the demo review shows charts"
    assert [f"{r.error}\n{r.source}" for r in rendered if not r.ok] == []
    assert (artifacts_dir() / "demo-charts.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_each_of_the_demos_charts_fits_its_data_and_draws_its_target(
    demo: tuple[list[str], list[Rendered]],
) -> None:
    # Issue 22's yardstick is the demo: each chart it draws, speed and figures alike,
    # is checked as drawn, not only those of the test repository above.
    reviews, rendered = demo
    for r in rendered:
        assert_fitted(r)
    targets = [r for r in rendered if len(series(r.source, "line")) == 2]
    assert targets, "the demo charts a metric with a target (MRR growth, >= 9 %)"
    for r in targets:
        assert_target_inside(r)
    teams = [review for review in reviews if "<!-- quarterdeck:section revenue -->" in review]
    assert len(teams) >= 2
    for review in teams:
        assert 0 < len(figure_charts(review, rendered)) <= MAX_CHARTS
