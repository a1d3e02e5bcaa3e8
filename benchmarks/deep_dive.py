"""Benchmark: the deep dive's queries, evidence under five questions for five teams.

    python -m benchmarks.deep_dive            # 5 teams x 5 questions
    python -m benchmarks.deep_dive --quick    # the same: it takes about a second

Every team's review shows the config's five discussion questions, each carrying a
query: two SQL queries on a real SQLite warehouse, two HogQL queries and a funnel
(PostHog's FunnelsQuery) sent to the fake PostHog of the tests (tests/fakeposthog.py)
on 127.0.0.1. Ours: the queries `services.team_figures` asks for every team's
review, and its wall time. The baseline is what asking per review would send: one
query per question, per team, per month of the six the review shows. Target: one
query per question per run. (The `breakdown` suite counts the flagged metrics'
queries in its own file.)

The last row is the whole command as users run it: `quarterdeck review` of a small git
clone (a child process, the installed defaults, the real PostHog client over HTTP to
the fake on 127.0.0.1) whose config gives five teams five questions (HogQL and a
funnel) and six metrics each, three of them missing their target (flagged) and every
one naming a breakdown. Counted at the fake: the questions' and breakdowns' requests,
against the naive count (each question and each metric's breakdown asked per team and
per month shown). Target: one query per question and per flagged metric.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.fakeposthog import FakePostHog, allowing, serve
from tests.gitrepo import GitRepo

from benchmarks import as_installed, suite_main
from quarterdeck.core.calendar import Month, months_ending
from quarterdeck.core.config import build_config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.team_figures import FigureSources, question_evidence

TEAMS, MONTHS_SHOWN = 5, 6
KEY = "phx_benchmark_key_not_real"
HOGQL = ("SELECT plan, count() FROM persons GROUP BY 1", "SELECT query, count() FROM searches")
FUNNEL = {"signed up": 500, "insight saved": 310, "teammate invited": 90}
SQL_QUESTIONS = """\
    - ask: Biggest customers?
      sql: SELECT name, mrr FROM customers WHERE month = substr(:start, 1, 7)
      columns: [{name: Customer}, {name: MRR, type: currency}]
    - ask: Churned?
      sql: SELECT name, reason FROM churned WHERE month = substr(:start, 1, 7)
"""


def _config(url: str) -> str:
    teams = "".join(f"  team{t}:\n    members: [dev{t}]\n" for t in range(TEAMS))
    hogql = "".join(
        f'    - ask: HogQL {i}?\n      posthog: {{hogql: "{q}"}}\n' for i, q in enumerate(HOGQL)
    )
    steps = "".join(f"            - {{event: {event}}}\n" for event in FUNNEL)
    funnel = f"    - ask: Funnel?\n      posthog:\n        funnel:\n          series:\n{steps}"
    questions = SQL_QUESTIONS + hogql + funnel
    return (
        f"teams:\n{teams}review:\n  questions:\n{questions}sources:\n"
        f'  posthog: {{host: "{url}", project: 12345}}\n'
        "  warehouse: {url_env: BENCH_WAREHOUSE}\n"
    )


def _warehouse(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (month TEXT, name TEXT, mrr INTEGER)")
        db.execute("CREATE TABLE churned (month TEXT, name TEXT, reason TEXT)")
        for m in range(5, 12):
            month = f"2026-{m:02d}"
            db.executemany(
                "INSERT INTO customers VALUES (?, ?, ?)",
                [(month, f"customer {c}", 1000 - c) for c in range(20)],
            )
            db.execute("INSERT INTO churned VALUES (?, 'gone', 'budget')", (month,))
    return f"sqlite:///{path}"


def _span(month: Month) -> tuple[datetime, datetime]:
    return month.start(), month.end()


def run(quick: bool) -> list[dict[str, object]]:
    """Our queries and wall time, beside asking per team and per month shown."""
    fake = FakePostHog(keys={KEY: {"query:read"}}, funnel_counts=dict(FUNNEL))
    for query in HOGQL:
        fake.answer(query, [["a", 3], ["b", 2]])
    month = Month(2026, 11)
    with tempfile.TemporaryDirectory() as tmp, serve(fake):
        env = {
            "POSTHOG_PERSONAL_API_KEY": KEY,
            "BENCH_WAREHOUSE": _warehouse(Path(tmp) / "w.sqlite3"),
            **allowing(fake),
        }
        config, _ = build_config((".github/quarterdeck.yml", _config(fake.url)), [])
        questions = len(config.review.evidence)
        # Warm up (imports, the first connections) on another month: neither way pays it.
        FigureSources(config, env).tables(config.review.evidence, *_span(month.previous()))
        began = time.perf_counter()
        sources = FigureSources(config, env)
        tables = [question_evidence(config, ReviewPeriod.of(month), sources) for _ in range(TEAMS)]
        seconds = time.perf_counter() - began
        ours = sources.queries
        began = time.perf_counter()
        naive = 0
        for _ in range(TEAMS):  # the naive way: every team, every question, every month
            for m in months_ending(month, MONTHS_SHOWN):
                per_review = FigureSources(config, env)
                per_review.tables(config.review.evidence, *_span(m))
                naive += per_review.queries
        naive_seconds = time.perf_counter() - began
    assert all(t.unavailable is None for team in tables for t in team), "a question failed"
    return [
        {
            "name": f"evidence of {TEAMS} teams x {questions} questions, queries vs per team "
            f"and month shown ({MONTHS_SHOWN})",
            "ours_s": ours,
            "baseline_s": naive,
            "ratio": ours / naive,
            "target": f"<= {questions} queries (one per question)",
            "met": ours <= questions,
            "unit": "requests",
        },
        {
            "name": f"evidence of {TEAMS} teams x {questions} questions, wall time vs per "
            "team and month shown",
            "ours_s": seconds,
            "baseline_s": naive_seconds,
            "ratio": seconds / naive_seconds,
            "target": "(for scale)",
            "met": True,
        },
        _whole_review(),
    ]


FLAGGED, STEADY = 3, 3
BY_PLAN = [[plan, f"2026-{m:02d}-01", 10 * m] for m in (10, 11) for plan in ("free", "pro")]


def _series_of(mid: str) -> str:
    return "SELECT month, value FROM " + mid  # noqa: S608 (the fake PostHog's key)


def _breakdown_of(mid: str) -> str:
    return "SELECT plan, month, value FROM " + mid  # noqa: S608 (the fake PostHog's key)


def _question(i: int) -> str:
    return f"SELECT {i}, count() " + "FROM e"


def _team_config(url: str) -> tuple[str, set[str]]:
    """Five teams, five questions for each review, six metrics a team each with a
    breakdown (three flagged); and the breakdowns' query texts."""
    breakdowns: set[str] = set()
    teams = ""
    for t in range(TEAMS):
        metrics = ""
        for m in range(FLAGGED + STEADY):
            mid, target = f"t{t}_m{m}", 'target: ">= 1000", ' if m < FLAGGED else ""
            by = _breakdown_of(mid)
            breakdowns.add(by)
            metrics += (
                f"      - {{id: {mid}, title: {mid}, unit: count, section: product, {target}"
                f'posthog: "{_series_of(mid)}", '
                f'breakdown: {{by: plan, posthog: "{by}"}}}}\n'
            )
        teams += f"  team{t}:\n    members: [dev{t}]\n    metrics:\n{metrics}"
    asks = "".join(
        f'    - ask: Question {i}?\n      posthog: {{hogql: "{_question(i)}"}}\n' for i in range(4)
    )
    steps = "".join(f"            - {{event: {event}}}\n" for event in FUNNEL)
    funnel = f"    - ask: Funnel?\n      posthog:\n        funnel:\n          series:\n{steps}"
    return (
        f"teams:\n{teams}review:\n  questions:\n{asks}{funnel}sources:\n"
        f'  posthog: {{host: "{url}", project: 12345}}\n'
    ), breakdowns


def _whole_review() -> dict[str, object]:
    """`quarterdeck review` as shipped: its questions' and breakdowns' requests."""
    fake = FakePostHog(keys={KEY: {"query:read"}}, funnel_counts=dict(FUNNEL))
    series = [[f"2026-{m:02d}-01", 100] for m in range(5, 12)]
    with tempfile.TemporaryDirectory() as tmp, serve(fake):
        config, breakdowns = _team_config(fake.url)
        repo = GitRepo.init(Path(tmp) / "repo")
        files = {".github/quarterdeck.yml": config}
        repo.commit("Quarterdeck config", files, date=datetime(2026, 10, 1, tzinfo=UTC))
        repo.squash_pr(1, "A change", {"a.py": "1"}, date=datetime(2026, 11, 3, tzinfo=UTC))
        for t in range(TEAMS):
            for m in range(FLAGGED + STEADY):
                fake.answer(_series_of(f"t{t}_m{m}"), series)
                fake.answer(_breakdown_of(f"t{t}_m{m}"), BY_PLAN)
        for i in range(4):
            fake.answer(_question(i), [["a", 3]])
        env = {**as_installed(), "POSTHOG_PERSONAL_API_KEY": KEY, **allowing(fake)}
        argv = [sys.executable, "-m", "quarterdeck", "review", "--repo", str(repo.path)]
        argv += ["--month", "2026-11", "--strict", "-o", str(Path(tmp) / "review.md")]
        subprocess.run(argv, check=True, capture_output=True, env=env)
        bodies = [r["body"]["query"] for r in fake.requests]
    questions = sum(b["kind"] == "FunnelsQuery" or b["query"].endswith("FROM e") for b in bodies)
    explained = sum(b.get("query") in breakdowns for b in bodies)
    ours, wanted = questions + explained, 5 + TEAMS * FLAGGED
    naive = TEAMS * MONTHS_SHOWN * (5 + FLAGGED + STEADY)  # each per team and month shown
    return {
        "name": f"quarterdeck review (CLI, as shipped): {TEAMS} teams x (5 questions + "
        f"{FLAGGED} flagged of {FLAGGED + STEADY} metrics), queries vs per team and month",
        "ours_s": ours,
        "baseline_s": naive,
        "ratio": ours / naive,
        "target": f"<= {wanted} queries (one per question, one per flagged metric)",
        "met": ours <= wanted and questions == 5 and explained == TEAMS * FLAGGED,
        "unit": "requests",
    }


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.deep_dive", __doc__, "the same, quickly", run))
