"""Benchmark: flagged metrics' breakdowns for 5 teams x 3 flagged metrics (+3 that are
not), against a fake PostHog.

    python -m benchmarks.breakdowns            # 5 teams x 6 metrics, each with a breakdown
    python -m benchmarks.breakdowns --quick    # the same: it takes about a second

Every team has six HogQL metrics that each name a breakdown by plan: three miss their
target this month (flagged), three are flat with no target (not flagged). All queries
go to the fake PostHog of the tests (tests/fakeposthog.py) on 127.0.0.1. Ours: the
breakdown queries `services.team_figures` sends for every team's review. The baseline
is the naive count: a breakdown per metric per month the review shows (six), asked
whether the metric is flagged or not. Target: one breakdown query per flagged metric.
"""

from __future__ import annotations

import sys
import time

from tests.fakeposthog import FakePostHog, allowing, serve

from benchmarks import suite_main
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.team_figures import FigureSources, team_figures

TEAMS, FLAGGED, STEADY = 5, 3, 3
KEY = "phx_benchmark_key_not_real"
SERIES = [[f"2026-{m:02d}-01", 100] for m in range(5, 12)]  # flat: never an anomaly
BY_PLAN = [
    [plan, f"2026-{m:02d}-01", value]
    for m in (10, 11)
    for plan, value in (("free", 60 + m), ("pro", 30 - m), ("team", 10))
]


def _config(url: str) -> str:
    def metric(mid: str, target: str) -> str:
        return (
            f"      - {{id: {mid}, title: {mid}, unit: count, section: product, {target}"  # noqa: S608
            f'posthog: "SELECT month, value FROM {mid}", '
            f'breakdown: {{by: plan, posthog: "SELECT plan, month, value FROM {mid}"}}}}\n'
        )

    teams = "".join(
        f"  team{t}:\n    members: [dev{t}]\n    metrics:\n"
        + "".join(metric(f"t{t}_missed{m}", 'target: ">= 1000", ') for m in range(FLAGGED))
        + "".join(metric(f"t{t}_steady{m}", "") for m in range(STEADY))
        for t in range(TEAMS)
    )
    return f'teams:\n{teams}sources:\n  posthog: {{host: "{url}", project: 12345}}\n'


def run(quick: bool) -> list[dict[str, object]]:
    """Our breakdown queries and wall time, beside a breakdown per metric per month."""
    fake = FakePostHog(keys={KEY: {"query:read"}})
    month = Month(2026, 11)
    period = ReviewPeriod.of(month)
    with serve(fake):
        config, _ = build_config((".github/quarterdeck.yml", _config(fake.url)), [])
        breakdowns = set()
        for metric in config.metrics_of(None) + tuple(
            m for t in range(TEAMS) for m in config.metrics_of(f"team{t}")
        ):
            fake.answer(metric.query, SERIES)
            if metric.breakdown is not None:
                fake.answer(metric.breakdown.query, BY_PLAN)
                breakdowns.add(metric.breakdown.query)
        env = {"POSTHOG_PERSONAL_API_KEY": KEY, **allowing(fake)}

        def sent() -> int:
            return sum(r["body"]["query"]["query"] in breakdowns for r in fake.requests)

        began = time.perf_counter()
        sources = FigureSources(config, env)
        figures = [team_figures(config, f"team{t}", period, sources) for t in range(TEAMS)]
        seconds = time.perf_counter() - began
        ours = sent()
        began = time.perf_counter()
        for t in range(TEAMS):  # naive: every metric's breakdown, every month shown
            naive_sources = FigureSources(config, env)
            for metric in config.metrics_of(f"team{t}"):
                for shown in period.trend:
                    naive_sources.breakdown(metric, shown, config.review.timezone)
        naive_seconds = time.perf_counter() - began
        naive = sent() - ours
    explained = [x for f in figures for x in f if x.breakdown is not None]
    assert len(explained) == TEAMS * FLAGGED, "a flagged metric was not explained"
    assert all(x.breakdown and x.breakdown.segments for x in explained), "a breakdown failed"
    flagged = TEAMS * FLAGGED
    return [
        {
            "name": f"breakdowns of {TEAMS} teams x {FLAGGED} flagged metrics (+{STEADY} "
            "not flagged), queries vs one per metric per month",
            "ours_s": ours,
            "baseline_s": naive,
            "ratio": ours / naive,
            "target": f"<= {flagged} queries (one per flagged metric)",
            "met": ours <= flagged,
            "unit": "requests",
        },
        {
            "name": f"figures and breakdowns of {TEAMS} teams, wall time vs the naive "
            "breakdowns alone",
            "ours_s": seconds,
            "baseline_s": naive_seconds,
            "ratio": seconds / naive_seconds,
            "target": "(for scale)",
            "met": True,
        },
    ]


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.breakdowns", __doc__, "the same, quickly", run))
