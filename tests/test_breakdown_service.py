"""A flagged figure's breakdown from its source: SQLite, a real PostgreSQL and the fake
PostHog (issue 25). One more query per flagged metric, none for an unflagged one, a
failure local to the breakdown (the figure stays)."""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.team_figures import FigureSources, team_figures
from tests.fakeposthog import FakePostHog, allowing, serve

KEY = "phx_breakdown_test_key"
NOV = ReviewPeriod.of(Month(2026, 11))
POSTGRES_URL = os.environ.get(
    "QUARTERDECK_TEST_POSTGRES_URL", "postgresql+psycopg://quarterdeck@127.0.0.1:6391/quarterdeck"
)
# Paid subscriptions: (month, plan, mrr). MRR 1000 → 1050 in November is 5 % growth,
# short of the 9 % target; Team carries the growth, Enterprise shrinks, Startup is new,
# Hobby is gone.
SUBSCRIPTIONS = [
    ("2026-05", "team", 400.0),
    ("2026-05", "enterprise", 600.0),
    ("2026-06", "team", 400.0),
    ("2026-06", "enterprise", 600.0),
    ("2026-07", "team", 400.0),
    ("2026-07", "enterprise", 600.0),
    ("2026-08", "team", 400.0),
    ("2026-08", "enterprise", 600.0),
    ("2026-09", "team", 400.0),
    ("2026-09", "enterprise", 600.0),
    ("2026-10", "team", 300.0),
    ("2026-10", "enterprise", 600.0),
    ("2026-10", "hobby", 100.0),
    ("2026-11", "team", 450.0),
    ("2026-11", "enterprise", 550.0),
    ("2026-11", "startup", 50.0),
]
SQLITE_CONFIG = """\
teams:
  growth:
    members: [alice]
    metrics:
      - id: mrr
        sql: >-
          SELECT month, sum(mrr) FROM subs WHERE month >= substr(:start, 1, 7)
          AND month < substr(:end, 1, 7) GROUP BY month ORDER BY month
      - id: mrr_growth
        target: ">= 9"
        breakdown:
          by: plan
          unit: usd
          sql: >-
            SELECT plan, month, sum(mrr) FROM subs WHERE month >= substr(:start, 1, 7)
            AND month < substr(:end, 1, 7) GROUP BY plan, month
      - id: seats
        title: Seats
        unit: count
        section: product
        sql: SELECT month, 7 FROM subs WHERE month >= substr(:start, 1, 7) GROUP BY month
        breakdown: {by: plan, sql: SELECT * FROM no_such_table}
sources:
  warehouse: {url_env: TEST_WAREHOUSE_URL}
"""


def _sqlite(tmp_path: Path) -> str:
    path = tmp_path / "w.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE subs (month TEXT, plan TEXT, mrr REAL)")
        db.executemany("INSERT INTO subs VALUES (?, ?, ?)", SUBSCRIPTIONS)
    return f"sqlite:///{path}"


def _expected_moves() -> list[tuple[str, float | None, float | None, float, float]]:
    # From the data, not pasted: each plan's October and November, their change, and
    # its share of the whole change.
    oct_ = {p: v for m, p, v in SUBSCRIPTIONS if m == "2026-10"}
    nov = {p: v for m, p, v in SUBSCRIPTIONS if m == "2026-11"}
    plans = set(oct_) | set(nov)
    change = {p: nov.get(p, 0.0) - oct_.get(p, 0.0) for p in plans}
    total = sum(change.values())
    top = sorted(plans, key=lambda p: (-abs(change[p]), p))[:3]
    return [(p, oct_.get(p), nov.get(p), change[p], change[p] / total) for p in top]


def _moves(figure: Any) -> list[tuple[str, float | None, float | None, float, float | None]]:
    return [
        (s.segment, s.previous, s.current, s.change, s.share) for s in figure.breakdown.segments
    ]


def test_a_flagged_sql_metric_is_explained_by_one_more_query(tmp_path: Path) -> None:
    config, _ = build_config((".github/quarterdeck.yml", SQLITE_CONFIG), [])
    sources = FigureSources(config, {"TEST_WAREHOUSE_URL": _sqlite(tmp_path)})

    mrr, growth, seats = team_figures(config, "growth", NOV, sources)

    assert growth.target_met is False
    assert growth.flagged
    assert growth.breakdown is not None
    assert growth.breakdown.unavailable is None
    assert (growth.breakdown.by, growth.breakdown.unit) == ("plan", "usd")
    assert _moves(growth) == _expected_moves()
    assert growth.breakdown.total_change == mrr.values[-1] - mrr.values[-2]  # type: ignore[operator]
    assert growth.breakdown.segment_count == 4
    assert growth.breakdown.others == 1
    # Seats is flat and has no target: its breakdown (a query that would fail) is never
    # asked, and the run sent the two series and the one breakdown.
    assert not seats.flagged
    assert seats.breakdown is None
    assert seats.unavailable is None
    assert mrr.breakdown is None
    assert sources.queries == 3
    # A second team's review of the same month asks nothing again.
    team_figures(config, "growth", NOV, sources)
    assert sources.queries == 3


def test_a_failing_breakdown_is_local_and_says_why(tmp_path: Path) -> None:
    broken = SQLITE_CONFIG.replace("GROUP BY plan, month", "GROUP BY plan, month_typo")
    config, _ = build_config((".github/quarterdeck.yml", broken), [])
    sources = FigureSources(config, {"TEST_WAREHOUSE_URL": _sqlite(tmp_path)})

    mrr, growth, _ = team_figures(config, "growth", NOV, sources)

    assert growth.unavailable is None
    assert growth.target_met is False
    assert growth.breakdown is not None
    assert growth.breakdown.segments == ()
    assert "month_typo" in (growth.breakdown.unavailable or "")
    assert not growth.breakdown.unavailable.startswith("metric ")  # type: ignore[union-attr]
    assert mrr.unavailable is None


def test_rows_that_are_not_segment_month_value_make_it_unavailable(tmp_path: Path) -> None:
    wrong = SQLITE_CONFIG.replace("SELECT plan, month, sum(mrr)", "SELECT plan, sum(mrr)")
    config, _ = build_config((".github/quarterdeck.yml", wrong), [])
    sources = FigureSources(config, {"TEST_WAREHOUSE_URL": _sqlite(tmp_path)})

    _, growth, _ = team_figures(config, "growth", NOV, sources)

    assert growth.breakdown is not None
    assert growth.breakdown.unavailable is not None
    assert "the breakdown by plan: row 1 has 2 column(s)" in growth.breakdown.unavailable


@pytest.fixture
def postgres_url() -> Iterator[str]:
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS breakdown_subs")
            conn.exec_driver_sql(
                "CREATE TABLE breakdown_subs (at timestamptz, plan text, mrr numeric)"
            )
            for month, plan, mrr in SUBSCRIPTIONS:
                conn.exec_driver_sql(
                    "INSERT INTO breakdown_subs VALUES (%s::timestamptz, %s, %s)",
                    (f"{month}-15T00:00:00Z", plan, mrr),
                )
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}). The "
            "breakdown tests need a real one: run scripts/test, which starts it, or set "
            "QUARTERDECK_TEST_POSTGRES_URL."
        )
    yield POSTGRES_URL
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS breakdown_subs")
    engine.dispose()


def test_postgres_timestamps_and_numerics(postgres_url: str) -> None:
    config_text = """\
teams:
  growth:
    members: [alice]
    metrics:
      - id: mrr
        sql: >-
          SELECT date_trunc('month', at AT TIME ZONE 'UTC'), sum(mrr) FROM breakdown_subs
          WHERE at >= :start AND at < :end GROUP BY 1 ORDER BY 1
      - id: mrr_growth
        target: ">= 9"
        breakdown:
          by: plan
          unit: usd
          sql: >-
            SELECT plan, date_trunc('month', at AT TIME ZONE 'UTC'), sum(mrr)
            FROM breakdown_subs WHERE at >= :start AND at < :end GROUP BY 1, 2
sources:
  warehouse: {url_env: TEST_WAREHOUSE_URL}
"""
    config, _ = build_config((".github/quarterdeck.yml", config_text), [])
    sources = FigureSources(config, {"TEST_WAREHOUSE_URL": postgres_url})

    _, growth = team_figures(config, "growth", NOV, sources)

    assert growth.breakdown is not None
    assert growth.breakdown.unavailable is None
    assert _moves(growth) == _expected_moves()
    assert sources.queries == 2


# PostHog: signups by month, broken down by the person's plan with HogQL.
SIGNUPS = (
    "SELECT toStartOfMonth(timestamp), count() FROM events "
    "WHERE timestamp >= {start} AND timestamp < {end} GROUP BY 1"
)
BY_PLAN = (
    "SELECT properties.plan, toStartOfMonth(timestamp), count() FROM events "
    "WHERE timestamp >= {start} AND timestamp < {end} GROUP BY 1, 2"
)
# (month, plan, signups): steady near 100, then November drops to 40.
EVENTS = [(f"2026-{m:02d}", p, n) for m in range(5, 11) for p, n in (("free", 70), ("pro", 30))]
EVENTS += [("2026-11", "free", 15), ("2026-11", "pro", 25), ("2026-11", "<b>@org</b>", 0)]
VISITS = SIGNUPS.replace("count()", "100")
POSTHOG_CONFIG = f"""\
teams:
  growth:
    members: [alice]
    metrics:
      - id: signups
        title: Signups
        unit: count
        section: product
        posthog: "{SIGNUPS}"
        breakdown: {{by: plan, posthog: "{BY_PLAN}"}}
      - id: visits
        title: Visits
        unit: count
        section: product
        posthog: "{SIGNUPS.replace("count()", "100")}"
        breakdown: {{by: plan, posthog: "{BY_PLAN.replace("count()", "1")}"}}
sources:
  posthog: {{host: "@URL@", project: 12345}}
"""


def _within(values: dict[str, str]) -> list[tuple[str, str, int]]:
    start, end = values["start"][:7], values["end"][:7]
    return [(m, p, n) for m, p, n in EVENTS if start <= m < end]


def _series(_query: str, values: dict[str, str]) -> list[list[Any]]:
    totals: Counter[str] = Counter()
    for month, _, n in _within(values):
        totals[month] += n
    return [[f"{m}-01", n] for m, n in sorted(totals.items())]


def _flat(query: str, values: dict[str, str]) -> list[list[Any]]:
    return [[month, 100] for month, _ in _series(query, values)]


def _by_plan(_query: str, values: dict[str, str]) -> list[list[Any]]:
    return [[p, f"{m}-01", n] for m, p, n in _within(values) if n]


def _posthog_run(fake: FakePostHog) -> tuple[Any, ...]:
    config, _ = build_config(
        (".github/quarterdeck.yml", POSTHOG_CONFIG.replace("@URL@", fake.url)), []
    )
    env = {"POSTHOG_PERSONAL_API_KEY": KEY, **allowing(fake)}
    return team_figures(config, "growth", NOV, FigureSources(config, env))


def test_a_hogql_breakdown_is_asked_once_for_the_flagged_metric_only() -> None:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    with serve(fake):
        fake.answer(SIGNUPS, _series)
        fake.answer(VISITS, _flat)
        fake.answer(BY_PLAN, _by_plan)
        signups, flat = _posthog_run(fake)

    assert signups.anomaly is not None
    assert signups.anomaly.direction == "below"
    assert not flat.flagged
    assert flat.breakdown is None
    asked = Counter(r["body"]["query"]["query"] for r in fake.requests)
    assert asked == Counter({SIGNUPS: 1, VISITS: 1, BY_PLAN: 1})  # never the flat one's
    (request,) = [r for r in fake.requests if r["body"]["query"]["query"] == BY_PLAN]
    # Two months: October and November, as PostHog's HogQL placeholders.
    assert request["body"]["query"]["values"] == {
        "start": "2026-10-01 00:00:00",
        "end": "2026-12-01 00:00:00",
    }
    assert signups.breakdown is not None
    assert signups.breakdown.unavailable is None
    assert _moves(signups) == [("free", 70, 15, -55, 55 / 60), ("pro", 30, 25, -5, 5 / 60)]
    assert signups.breakdown.total_change == -60


def test_posthogs_refusal_leaves_the_figure_and_says_why() -> None:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    with serve(fake):
        fake.answer(SIGNUPS, _series)
        fake.answer(VISITS, _flat)
        # BY_PLAN is not answered: PostHog's 400 `validation_error` with its `detail`.
        signups, _ = _posthog_run(fake)

    assert signups.unavailable is None
    assert signups.anomaly is not None
    assert signups.values[-1] == 40
    assert signups.breakdown is not None
    assert signups.breakdown.segments == ()
    why = signups.breakdown.unavailable or ""
    assert (
        why == "PostHog refused the query: query_error; run it in PostHog's SQL editor to see why"
    )
    assert KEY not in why


def test_posthog_rows_of_the_wrong_shape_never_show_their_cells() -> None:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    with serve(fake):
        fake.answer(SIGNUPS, _series)
        fake.answer(VISITS, _flat)
        fake.answer(BY_PLAN, [["free", "2026-11-01", "private-cell"]])
        signups, _ = _posthog_run(fake)

    assert signups.breakdown is not None
    why = signups.breakdown.unavailable or ""
    assert "the breakdown by plan: row 1: its value is not a number" in why
    assert "private-cell" not in why
