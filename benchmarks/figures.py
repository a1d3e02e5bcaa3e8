"""Benchmark: the PM's figures for 5 teams x 10 metrics, against a fake PostHog.

    python -m benchmarks.figures            # 5 teams x 10 metrics (and 3 company-wide)
    python -m benchmarks.figures --quick    # the same: it takes about a second

Every team shows the 3 company-wide metrics and 10 of its own, all HogQL queries
sent to the fake PostHog of the tests (tests/fakeposthog.py) on 127.0.0.1. Ours: the
queries `services.team_figures` sends and its wall time for every team's figures. The
baseline is what a source asked month by month, team by team, would send: one query
per metric shown, per month of the seven-month window. Target: one query per metric.
"""

from __future__ import annotations

import sys
import time

from tests.fakeposthog import FakePostHog, allowing, serve

from benchmarks import suite_main
from quarterdeck.core.calendar import Month, months_ending
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import WINDOW_MONTHS, ReviewPeriod
from quarterdeck.services.team_figures import FigureSources, team_figures

TEAMS, OWN, SHARED = 5, 10, 3
KEY = "phx_benchmark_key_not_real"


def _config(url: str) -> str:
    def metric(mid: str) -> str:
        return (
            f"      - {{id: {mid}, title: {mid}, unit: count, section: product, "  # noqa: S608
            f'posthog: "SELECT month, value FROM {mid}"}}\n'
        )

    teams = "".join(
        f"  team{t}:\n    members: [dev{t}]\n    metrics:\n"
        + "".join(metric(f"t{t}_m{m}") for m in range(OWN))
        for t in range(TEAMS)
    )
    shared = "".join(metric(f"shared_{m}").replace("      - ", "  - ", 1) for m in range(SHARED))
    return (
        f'teams:\n{teams}metrics:\n{shared}sources:\n  posthog: {{host: "{url}", project: 12345}}\n'
    )


def run(quick: bool) -> list[dict[str, object]]:
    """Our queries and wall time, beside asking month by month and team by team."""
    fake = FakePostHog(keys={KEY: {"query:read"}})
    rows = [[f"2026-{m:02d}-01", m] for m in range(5, 12)]
    month = Month(2026, 11)
    with serve(fake):
        config, _ = build_config((".github/quarterdeck.yml", _config(fake.url)), [])
        for metric in config.metrics:
            fake.answer(metric.query, rows)
        env = {"POSTHOG_PERSONAL_API_KEY": KEY, **allowing(fake)}
        began = time.perf_counter()
        sources = FigureSources(config, env)
        figures = [
            team_figures(config, f"team{t}", ReviewPeriod.of(month), sources) for t in range(TEAMS)
        ]
        seconds = time.perf_counter() - began
        ours = len(fake.requests)
        began = time.perf_counter()
        for t in range(TEAMS):  # the naive way: every team, every metric, every month
            naive_sources = FigureSources(config, env)
            for metric in config.metrics_of(f"team{t}"):
                for m in months_ending(month, WINDOW_MONTHS):
                    naive_sources.series(metric, m.start(), m.end())
        naive_seconds = time.perf_counter() - began
        naive = len(fake.requests) - ours
    assert all(x.unavailable is None for f in figures for x in f), "a metric failed"
    metrics = TEAMS * OWN + SHARED
    return [
        {
            "name": f"figures of {TEAMS} teams x {OWN} metrics (+{SHARED} shared), "
            "queries vs month by month",
            "ours_s": ours,
            "baseline_s": naive,
            "ratio": ours / naive,
            "target": f"<= {metrics} queries (one per metric)",
            "met": ours <= metrics,
            "unit": "requests",
        },
        {
            "name": f"figures of {TEAMS} teams x {OWN} metrics, wall time vs month by month",
            "ours_s": seconds,
            "baseline_s": naive_seconds,
            "ratio": seconds / naive_seconds,
            "target": "(for scale)",
            "met": True,
        },
    ]


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.figures", __doc__, "the same, quickly", run))
