"""Each team's figures from PostHog and a warehouse: one query per metric, failures local."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.team_figures import FigureSources, team_figures
from tests.fakeposthog import FakePostHog, allowing, serve

KEY = "phx_service_test_key"
ACTIVATION = "SELECT month, rate FROM activation WHERE at >= {start} AND at < {end}"


CONFIG = """\
teams:
  growth:
    members: [alice]
    metrics:
      - {id: activation, posthog: "@ACTIVATION@", target: ">= 40"}
      - {id: mrr_growth, target: ">= 9"}
  web:
    members: [bob]
metrics:
  - id: mrr
    sql: >-
      SELECT month, mrr FROM revenue WHERE month >= substr(:start, 1, 7)
      AND month < substr(:end, 1, 7) ORDER BY month
sources:
  posthog: {host: "@URL@", project: 12345}
  warehouse: {url_env: TEST_WAREHOUSE_URL}
"""


def config_for(posthog_url: str) -> str:
    return CONFIG.replace("@ACTIVATION@", ACTIVATION).replace("@URL@", posthog_url)


def warehouse(tmp_path: Path) -> str:
    path = tmp_path / "w.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE revenue (month TEXT, mrr REAL)")
        db.executemany(
            "INSERT INTO revenue VALUES (?, ?)",
            [("2026-04", 1), ("2026-05", 100), ("2026-10", 121), ("2026-11", 133.1)],
        )
    return f"sqlite:///{path}"


def test_company_wide_metrics_are_asked_once_for_all_teams(tmp_path: Path) -> None:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    with serve(fake):
        fake.answer(ACTIVATION, [["2026-10-01", 38], ["2026-11-01", 42]])
        config, _ = build_config((".github/quarterdeck.yml", config_for(fake.url)), [])
        env = {"POSTHOG_PERSONAL_API_KEY": KEY, "TEST_WAREHOUSE_URL": warehouse(tmp_path)}
        env |= allowing(fake)
        sources = FigureSources(config, env)

        growth = team_figures(config, "growth", ReviewPeriod.of(Month(2026, 11)), sources)
        web = team_figures(config, "web", ReviewPeriod.of(Month(2026, 11)), sources)

    assert [f.metric.id for f in growth] == ["mrr", "activation", "mrr_growth"]
    assert [f.metric.id for f in web] == ["mrr"]
    mrr, activation, mrr_growth = growth
    assert mrr.values == (100, None, None, None, None, 121, 133.1)  # May..Nov; April is out
    assert activation.values[-2:] == (38, 42)
    assert activation.target_met is True
    assert mrr_growth.current is not None
    assert round(mrr_growth.current, 6) == 10.0
    assert mrr_growth.target_met is True
    assert sources.queries == 2  # mrr once for both teams, activation once
    (request,) = fake.requests
    assert request["body"]["query"]["values"] == {
        "start": "2026-05-01 00:00:00",
        "end": "2026-12-01 00:00:00",
    }


def test_a_failing_source_leaves_the_others_and_says_why(tmp_path: Path) -> None:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    with serve(fake):
        config, _ = build_config((".github/quarterdeck.yml", config_for(fake.url)), [])
        env = {"TEST_WAREHOUSE_URL": warehouse(tmp_path), **allowing(fake)}  # no PostHog key

        mrr, activation, _ = team_figures(
            config, "growth", ReviewPeriod.of(Month(2026, 11)), FigureSources(config, env)
        )

    assert mrr.unavailable is None
    assert activation.unavailable == "no PostHog key; set POSTHOG_PERSONAL_API_KEY"
    assert activation.values == (None,) * 7
