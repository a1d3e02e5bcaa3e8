"""Evidence under the discussion questions (issue 25): a question's query, its small
typed table under the question, from a real SQLite or PostgreSQL warehouse and the fake
PostHog (HogQL and FunnelsQuery), each query asked once per run, a failing source
local to its question, and `--strict` refusing before anything is written.

Expectations come from the rows each test puts in its warehouse or fake, never from
the review's own output.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.review.evidence import (
    MAX_COLUMNS,
    MAX_ROWS,
    Column,
    EvidenceQuery,
    funnel_table,
    make_table,
)
from quarterdeck.errors import ConfigError
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.team_figures import FigureSources
from tests.fakegithub import FakeGitHub
from tests.fakeposthog import FakePostHog, allowing, serve
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import CONFIG, NASTY, at, seed_github, small_repo

CFG = ".github/quarterdeck.yml"
POSTGRES_URL = os.environ.get(
    "QUARTERDECK_TEST_POSTGRES_URL", "postgresql+psycopg://quarterdeck@127.0.0.1:6391/quarterdeck"
)
NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
# (month, customer, MRR, usage change in %): five in November, one in October.
CUSTOMERS = [
    ("2026-11", "Northwind", 1200, -12.5),
    ("2026-11", NASTY, 900, 4.0),
    ("2026-11", "Bluefin", 2500, 30.0),
    ("2026-11", "Cobalt", 400, None),
    ("2026-11", "Driftwood", 700, 0.5),
    ("2026-10", "Emberline", 9999, 1.0),
]
QUESTIONS = """\
sources:
  warehouse: {url_env: EVIDENCE_WAREHOUSE}
review:
  questions:
    - Is anyone reading these?
    - ask: Are our biggest customers happy?
      sql: |
        SELECT name, mrr, change FROM customers
        WHERE month = substr(:start, 1, 7) ORDER BY mrr DESC
      rows: 3
      columns: [{name: Customer}, {name: MRR, type: currency}, {name: Usage, type: percent}]
    - ask: Who churned?
      sql: SELECT name FROM churned WHERE month = substr(:start, 1, 7)
    - ask: What broke?
      sql: SELECT nope FROM nowhere
"""


def _sqlite(path: Path) -> str:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (month TEXT, name TEXT, mrr INTEGER, change REAL)")
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", CUSTOMERS)
        db.execute("CREATE TABLE churned (month TEXT, name TEXT)")
        db.execute("INSERT INTO churned VALUES ('2026-10', 'Gone in October')")
    return f"sqlite:///{path}"


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("EVIDENCE_WAREHOUSE", _sqlite(tmp_path / "w.sqlite3"))
    repo = small_repo(tmp_path / "web")
    repo.commit("Questions", {CFG: CONFIG + QUESTIONS}, date=at("2026-11-20T12:00Z"))
    return repo


def _discussion(markdown: str) -> str:
    return markdown[markdown.index("## Discussion") : markdown.index("## Decision")]


def _biggest(month: str, limit: int) -> list[tuple[str, int, float | None]]:
    rows = [(name, mrr, change) for m, name, mrr, change in CUSTOMERS if m == month]
    return sorted(rows, key=lambda r: -r[1])[:limit]


def test_each_question_shows_its_table_no_rows_or_why_it_is_unavailable(
    clone: GitRepo, tmp_path: Path
) -> None:
    out = tmp_path / "review.md"
    assert main(["review", "--repo", str(clone.path), "--month", "2026-11", "-o", str(out)]) == 0

    for review in out.read_text(encoding="utf-8").split("\n---\n"):
        if "## Discussion" not in review:
            continue  # the review of work no team owns has no questions
        text = _discussion(review)
        parsed = parse(text)
        # The plain question has no table; the first table is question 2's, capped at 3.
        assert "1. Is anyone reading these?\n2. Are our biggest" in text
        header, *rows = parsed.tables[0]
        assert header == ["Customer", "MRR", "Usage"]
        expected = _biggest("2026-11", 3)
        assert len(rows) == 3 < len([c for c in CUSTOMERS if c[0] == "2026-11"])
        assert [r[0] for r in rows] == [
            "Bluefin", "Northwind", "`@everyone` &lt;script&gt; {{ 7\\*7 }} | pipe",
        ]  # fmt: skip
        assert rows[0][1] == f"\\${expected[0][1]:,}"  # `$` escaped: GitHub's math
        assert rows[1][2] == "−12.5 %"
        assert "3 rows (the first; there are more) from the warehouse (SQL)" in text
        # A hostile cell neither mentions, nor adds HTML, nor splits its row.
        assert parsed.mentions == []
        assert parsed.raw_html == []
        assert parsed.details_opened == parsed.details_closed == 2
        # No rows is said as such, not shown as an empty table.
        assert "Evidence: no rows from the warehouse (SQL)" in text
        assert "The query returned no rows for November 2026." in text
        assert len(parsed.tables) == 1
        # The broken query is unavailable, with the database's reason; the rest came.
        assert (
            "Evidence unavailable this month (the warehouse (SQL)): the warehouse refused the "
            "query: no such table: nowhere." in text
        )


def test_the_json_carries_each_table_typed(clone: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "review.json"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "--format", "json"]
    assert main([*argv, "-o", str(out)]) == 0

    review = next(
        r for r in json.loads(out.read_text())["reviews"] if r["team"]["slug"] == "growth"
    )
    biggest, churned, broken = review["evidence"]
    assert biggest["question"] == 1
    assert biggest["period"] == "2026-11"
    assert biggest["columns"] == [
        {"name": "Customer", "type": "text"},
        {"name": "MRR", "type": "currency"},
        {"name": "Usage", "type": "percent"},
    ]
    assert biggest["rows"] == [list(r) for r in _biggest("2026-11", 3)]  # numbers stay numbers
    assert biggest["more_rows"] is True
    assert biggest["unavailable"] is None
    assert churned["rows"] == []
    assert churned["unavailable"] is None
    assert broken["rows"] == []
    assert "no such table: nowhere" in broken["unavailable"]


def test_one_query_per_question_per_run_whichever_teams_show_it(clone: GitRepo) -> None:
    sources = FigureSources()
    reviews = build_reviews(clone.path, Month(2026, 11), figure_sources=sources)

    owned = [r for r in reviews if not r.summary.unowned]
    assert len(owned) == 2
    assert sources.queries == 3  # three questions carry a query; two teams show them
    assert owned[0].evidence == owned[1].evidence


def test_strict_fails_naming_the_question_before_anything_is_written(
    clone: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "review.md"
    argv = ["review", "--repo", str(clone.path), "--month", "2026-11", "-o", str(out)]

    assert main([*argv, "--strict"]) == 1

    err = capsys.readouterr().err
    assert "question 4: the warehouse refused the query: no such table: nowhere" in err
    assert not out.exists()


def test_publish_shows_the_tables_in_the_issue_and_strict_writes_nothing(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVIDENCE_WAREHOUSE", _sqlite(tmp_path / "w.sqlite3"))
    remote = seed_github(github)
    remote.files[CFG] = CONFIG + QUESTIONS
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    argv = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]

    assert main([*argv, "--strict"]) == 1
    assert github.writes == []  # question 4's table failed: nothing is written

    assert main(argv) == 0
    bodies = [issue["body"] for issue in remote.issues.values()]
    growth = next(b for b in bodies if "team=growth" in b)
    table = parse(_discussion(growth)).tables[0]
    assert [r[0] for r in table[1:2]] == [r[0] for r in _biggest("2026-11", 1)]
    assert len(table) == 1 + 3  # the header and the three rows asked for
    assert "Evidence unavailable this month" in growth


# ------------------------------------------------------------------------- PostHog

POSTHOG = """\
sources:
  posthog: {project: 12345}
review:
  questions:
    - ask: Where do new users struggle?
      posthog:
        funnel:
          series:
            - {event: signed up}
            - {event: insight saved, custom_name: First insight}
            - {event: teammate invited}
          funnelsFilter: {funnelWindowInterval: 7}
    - ask: What do they search for?
      posthog: {hogql: "SELECT query, count() FROM events WHERE timestamp >= {start} GROUP BY 1"}
      columns: [{name: Search}, {name: Searches, type: count}]
    - ask: Which plans?
      posthog: {hogql: SELECT plan FROM nowhere}
"""
HOGQL = "SELECT query, count() FROM events WHERE timestamp >= {start} GROUP BY 1"
FUNNEL = {"signed up": 200, "insight saved": 120, "teammate invited": 30}


@pytest.fixture
def fake() -> Iterator[FakePostHog]:
    posthog = FakePostHog(keys={"phx_good": {"query:read"}, "phx_no_scope": set()})
    posthog.funnel_counts.update(FUNNEL)
    posthog.answer(HOGQL, [["retention", 12], ["@here pipes | and <b>", 3]])
    posthog.columns[HOGQL] = ["query", "count()"]
    with serve(posthog):
        yield posthog


def _posthog_reviews(repo: Path, fake: FakePostHog, key: str) -> tuple[list[Any], FigureSources]:
    sources = FigureSources(env={"POSTHOG_PERSONAL_API_KEY": key, **allowing(fake)})
    return build_reviews(repo, Month(2026, 11), figure_sources=sources), sources


@pytest.fixture
def posthog_clone(tmp_path: Path, fake: FakePostHog) -> GitRepo:
    config = CONFIG + POSTHOG.replace("{project: 12345}", f"{{project: 12345, host: {fake.url}}}")
    repo = small_repo(tmp_path / "web")
    repo.commit("Questions", {CFG: config}, date=at("2026-11-20T12:00Z"))
    return repo


def test_a_funnel_is_posthogs_funnelsquery_and_its_steps_become_the_table(
    posthog_clone: GitRepo, fake: FakePostHog
) -> None:
    reviews, sources = _posthog_reviews(posthog_clone.path, fake, "phx_good")

    # One request per question for the whole run (two teams show them).
    assert sources.queries == len(fake.requests) == 3
    funnel = next(r["body"] for r in fake.requests if r["body"]["query"]["kind"] == "FunnelsQuery")
    assert funnel == {
        "query": {
            "kind": "FunnelsQuery",
            "series": [
                {"kind": "EventsNode", "event": "signed up"},
                {"kind": "EventsNode", "event": "insight saved", "custom_name": "First insight"},
                {"kind": "EventsNode", "event": "teammate invited"},
            ],
            "funnelsFilter": {
                "funnelWindowInterval": 7,
                "funnelWindowIntervalUnit": "day",
                "funnelOrderType": "ordered",
            },
            "dateRange": {"date_from": "2026-11-01", "date_to": "2026-11-30"},
            "filterTestAccounts": False,
        }
    }
    table = next(r for r in reviews if r.summary.team == "growth").evidence_for(0)
    assert [c.name for c in table.columns] == ["Step", "Users", "Conversion", "Drop-off"]
    first, second, third = FUNNEL.values()
    assert table.rows == (
        ("signed up", first, 100.0, None),
        ("First insight", second, 100 * second / first, 100 * (first - second) / first),
        ("teammate invited", third, 100 * third / first, 100 * (second - third) / second),
    )
    assert table.source_label == "PostHog (funnel)"


def test_hogql_rows_carry_the_months_placeholders_and_escape_in_the_review(
    posthog_clone: GitRepo, fake: FakePostHog, tmp_path: Path
) -> None:
    reviews, _ = _posthog_reviews(posthog_clone.path, fake, "phx_good")

    hogql = next(
        r["body"]["query"] for r in fake.requests if r["body"]["query"].get("query") == HOGQL
    )
    assert hogql["kind"] == "HogQLQuery"
    assert hogql["values"] == {"start": "2026-11-01 00:00:00", "end": "2026-12-01 00:00:00"}
    growth = next(r for r in reviews if r.summary.team == "growth")
    searches = growth.evidence_for(1)
    assert searches.rows == (("retention", 12), ("@here pipes | and <b>", 3))
    # A query PostHog refuses is that question's alone, with PostHog's error code.
    assert growth.evidence_for(2).unavailable == (
        "PostHog refused the query: query_error; run it in PostHog's SQL editor to see why"
    )
    from quarterdeck.services.review.as_markdown import render_reviews

    text = _discussion(render_reviews([growth]))
    parsed = parse(text)
    assert parsed.tables[1][1:] == [["retention", "12"], ["`@here` pipes | and &lt;b&gt;", "3"]]
    assert parsed.mentions == []
    assert parsed.raw_html == []


def test_a_key_without_the_query_scope_makes_each_question_unavailable_not_the_review(
    posthog_clone: GitRepo, fake: FakePostHog
) -> None:
    reviews, _ = _posthog_reviews(posthog_clone.path, fake, "phx_no_scope")

    growth = next(r for r in reviews if r.summary.team == "growth")
    assert [t.unavailable for t in growth.evidence] == [
        "the PostHog key may not run queries: give it the `query:read` scope"
    ] * 3
    assert growth.summary.team == "growth"  # the review itself was built


def test_a_funnel_step_posthog_does_not_know_is_a_query_error_local_to_it(
    posthog_clone: GitRepo, fake: FakePostHog
) -> None:
    del fake.funnel_counts["teammate invited"]
    reviews, _ = _posthog_reviews(posthog_clone.path, fake, "phx_good")

    growth = next(r for r in reviews if r.summary.team == "growth")
    assert growth.evidence_for(0).unavailable.startswith("PostHog refused the query: query_error")
    assert growth.evidence_for(1).unavailable is None


# ----------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def postgres_table() -> Iterator[str]:
    # A name of its own: other tests (and other runs) share this database.
    name = f"qd_evidence_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE TABLE {name} (paid_at timestamptz, customer text, amount numeric)"
            )
            for day, customer, amount in [
                ("2026-10-31T23:00:00Z", "Before", 5),
                ("2026-11-02T10:00:00Z", "Northwind", 120.5),
                ("2026-11-03T10:00:00Z", "Bluefin", 300),
                ("2026-11-09T10:00:00Z", "Cobalt", 80),
                ("2026-12-01T00:00:00Z", "After", 7),
            ]:
                conn.exec_driver_sql(
                    f"INSERT INTO {name} VALUES (%s::timestamptz, %s, %s)",  # noqa: S608 - ours
                    (day, customer, Decimal(str(amount))),
                )
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({type(exc).__name__}): run "
            "scripts/test, which starts it, or set QUARTERDECK_TEST_POSTGRES_URL."
        )
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    engine.dispose()


PG_QUESTIONS = """\
sources:
  warehouse: {url_env: PG_URL}
review:
  questions:
    - ask: Who paid most?
      sql: SELECT customer, amount, paid_at::date FROM TABLE
           WHERE paid_at >= :start AND paid_at < :end ORDER BY amount DESC
      rows: 2
      columns: [{name: Customer}, {name: Paid, type: currency}, {name: Paid on, type: date}]
    - ask: A typo first
      sql: SELECT nope FROM TABLE
    - ask: Anyone after the month?
      sql: SELECT customer FROM TABLE WHERE paid_at >= :end + interval '1 day'
    - ask: What can a query write?
      sql: INSERT INTO TABLE VALUES (now(), 'Intruder', 1) RETURNING customer
"""


def test_postgres_tables_caps_no_rows_and_a_failure_local_to_its_question(
    postgres_table: str,
) -> None:
    t = postgres_table
    config, _ = build_config((CFG, PG_QUESTIONS.replace("TABLE", t)), [])
    sources = FigureSources(config, env={"PG_URL": POSTGRES_URL})

    paid, typo, later, write = sources.tables(config.review.evidence, *NOVEMBER)

    assert paid.rows == (("Bluefin", 300, "2026-11-03"), ("Northwind", 120.5, "2026-11-02"))
    assert paid.more_rows
    assert paid.shown_rows[1] == ("Northwind", "$120.5", "2026-11-02")
    # The typo's failed statement does not spoil the next question's transaction.
    assert typo.unavailable is not None
    assert 'column "nope" does not exist' in typo.unavailable
    assert later.no_rows
    assert write.unavailable is not None
    assert "read-only transaction" in write.unavailable
    assert sources.queries == 4
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.connect() as conn:
        intruders = conn.exec_driver_sql(
            f"SELECT count(*) FROM {t} WHERE customer = 'Intruder'"  # noqa: S608
        )
        assert intruders.scalar() == 0
    engine.dispose()


# ---------------------------------------------------------------------- the core


def test_a_wide_answer_keeps_the_first_columns_and_says_how_many_were_left_out() -> None:
    query = EvidenceQuery(0, "sql", "SELECT …", rows=MAX_ROWS + 10)
    names = [f"c{i}" for i in range(MAX_COLUMNS + 2)]
    rows = [list(range(len(names)))] * (MAX_ROWS + 5)

    table = make_table(query, "2026-11", names, rows, NOVEMBER[1])

    assert [c.name for c in table.columns] == names[:MAX_COLUMNS]
    assert table.more_columns == 2
    assert len(table.rows) == MAX_ROWS
    assert table.more_rows
    assert {c.type for c in table.columns} == {"count"}  # numbers, typed as counts


def test_a_funnel_renamed_by_the_config_keeps_its_types_and_needs_a_count_per_step() -> None:
    query = EvidenceQuery(0, "funnel", "{}", columns=(Column("Stage"),))
    steps = [{"order": 1, "count": 5, "name": "b"}, {"order": 0, "count": 10, "name": "a"}]

    table = funnel_table(query, "2026-11", steps, NOVEMBER[1])

    assert [(c.name, c.type) for c in table.columns] == [
        ("Stage", "text"), ("Users", "count"), ("Conversion", "percent"), ("Drop-off", "percent"),
    ]  # fmt: skip
    assert table.shown_rows == (("a", "10", "100 %", "—"), ("b", "5", "50 %", "50 %"))
    with pytest.raises(ValueError, match="not steps"):
        funnel_table(query, "2026-11", [[{"order": 0, "count": 1}]], NOVEMBER[1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no count"):
        funnel_table(query, "2026-11", [{"order": 0, "name": "a"}], NOVEMBER[1])


# ---------------------------------------------------------------------- validate


@pytest.mark.parametrize(
    ("question", "line", "expected"),
    [
        pytest.param(
            "    - ask: Why?\n      sqll: SELECT 1\n",
            4,
            "review.questions[0].sqll: unknown key 'sqll'; did you mean 'sql'?",
            id="typo",
        ),
        pytest.param(
            "    - ask: Why?\n      sql: SELECT 1\n      rows: 500\n",
            5,
            f"review.questions[0].rows: must be at most {MAX_ROWS}, got 500",
            id="rows-cap",
        ),
        pytest.param(
            "    - ask: Why?\n      sql: SELECT 1\n      columns: [{name: A, type: money}]\n",
            5,
            "review.questions[0].columns[0].type: expected one of 'text', 'count', "
            "'currency', 'percent' or 'date', got the text 'money'",
            id="column-type",
        ),
        pytest.param(
            "    - ask: Why?\n      posthog: {funnel: {series: [{event: a}]}}\n",
            4,
            "review.questions[0].posthog.funnel.series: needs at least 2 items, got 1",
            id="funnel-one-step",
        ),
        pytest.param(
            "    - ask: Why?\n      posthog: {hogql: SELECT 1, funnel: {series: []}}\n",
            4,
            "review.questions[0].posthog.funnel.series: needs at least 2 items, got 0",
            id="hogql-and-funnel",
        ),
        pytest.param(
            "    - ask: Why?\n      posthog: {}\n",
            4,
            "review.questions[0].posthog: give exactly one of hogql: (a query) or funnel: "
            "(its steps)",
            id="neither-hogql-nor-funnel",
        ),
        pytest.param(
            "    - ask: Why?\n      sql: SELECT 1\n      posthog: {hogql: SELECT 1}\n",
            3,
            "review.questions[0]: give a question one query: sql or posthog, not both",
            id="two-sources",
        ),
        pytest.param(
            "    - Why: this\n",
            3,
            "review.questions[0].ask: missing required key 'ask': a question written as a "
            "mapping needs `ask:` (its text) beside its query; put quotes around a question "
            "that holds ': '",
            id="unquoted-colon",
        ),
    ],
)
def test_validate_names_the_file_line_and_key_of_a_malformed_query(
    question: str, line: int, expected: str
) -> None:
    text = "review:\n  questions:\n" + question
    with pytest.raises(ConfigError) as caught:
        build_config((CFG, text), [])

    assert f"{CFG}:{line}: {expected}" in [str(p) for p in caught.value.problems]


def test_validate_warns_at_a_question_whose_source_is_not_configured() -> None:
    text = "review:\n  questions:\n    - ask: Who?\n      sql: SELECT 1\n"

    _, warnings = build_config((CFG, text), [])

    assert [str(w) for w in warnings] == [
        f"{CFG}:4: review.questions[0].sql: question 1 is a SQL query, but no warehouse is "
        "configured, so its table will be unavailable; add `sources: {warehouse: {url_env: "
        "QUARTERDECK_WAREHOUSE_URL}}` and set that variable to the database URL (warning)"
    ]


def test_validate_strict_fails_at_a_question_whose_key_the_environment_lacks() -> None:
    text = (
        "sources:\n  posthog: {project: 1}\n"
        "review:\n  questions:\n    - ask: Where?\n      posthog: {hogql: SELECT 1}\n"
    )

    with pytest.raises(ConfigError) as caught:
        build_config((CFG, text), [], strict=True, credentials=frozenset({"OTHER"}))

    assert [str(p) for p in caught.value.problems] == [
        f"{CFG}:6: review.questions[0].posthog: question 1 is a PostHog query, but "
        "POSTHOG_PERSONAL_API_KEY is not set, so its table would be unavailable; set "
        "POSTHOG_PERSONAL_API_KEY to a personal API key with query:read (in a workflow, "
        "from a secret in the step's `env:`)"
    ]
