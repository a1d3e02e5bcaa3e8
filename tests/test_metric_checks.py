"""`quarterdeck validate` on metric definitions: formulas, cycles, unconfigured sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.config import build_config
from quarterdeck.errors import ConfigError
from tests.gitrepo import GitRepo
from tests.reviewrepos import at

CFG = ".github/quarterdeck.yml"
SOURCES = "sources:\n  posthog: {project: 1}\n  warehouse: {}\n"


def shape(name: str) -> str:
    """The shape a non-standard metric needs; a title of its own, as two metrics with one
    title would print as one figure (validate reports that too)."""
    return f"title: Metric {name}, unit: count, section: product"


def problems_of(text: str, *, strict: bool = False) -> list[str]:
    try:
        _, warnings = build_config((CFG, text), [], strict=strict)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings]


CASES = [
    pytest.param(
        "metrics:\n  - {id: a, "
        + shape("a")
        + ', from: "ratio(mrr, b)"}\n  - {id: b, '
        + shape("b")
        + ", sql: x}\n"
        + SOURCES,
        [
            f"{CFG}:2: metrics[0].from: ratio(mrr, b) needs metric mrr, which is not defined "
            "company-wide; define a metric with id mrr"
        ],
        id="undefined-input",
    ),
    pytest.param(
        "teams:\n  web:\n    metrics:\n      - {id: customer_growth}\n"
        "      - {id: paying_customerz, " + shape("paying_customerz") + ", sql: x}\n" + SOURCES,
        [
            f"{CFG}:4: teams.web.metrics[0].id: growth(paying_customers) (the standard formula "
            "of customer_growth) needs metric paying_customers, which is not defined "
            "company-wide or by team 'web'; did you mean 'paying_customerz'?"
        ],
        id="standard-formula-input-missing",
    ),
    pytest.param(
        "teams:\n  web:\n    metrics:\n      - {id: mrr_growth}\n"
        "metrics:\n  - {id: mrr, sql: x}\n" + SOURCES,
        [],
        id="team-formula-over-company-metric",
    ),
    pytest.param(
        "metrics:\n"
        "  - {id: a, " + shape("a") + ', from: "sum(b, c)"}\n'
        "  - {id: b, " + shape("b") + ', from: "growth(a)"}\n'
        "  - {id: c, " + shape("c") + ", sql: x}\n" + SOURCES,
        [
            f"{CFG}:2: metrics[0].from: a is computed from itself (a → b → a); compute it "
            "from queried metrics",
            f"{CFG}:3: metrics[1].from: b is computed from itself (b → a → b); compute it "
            "from queried metrics",
        ],
        id="cycle",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, from: growth(mrr)}\n",
        [
            f"{CFG}:2: metrics[0].from: mrr is computed from itself (mrr → mrr); compute it "
            "from queried metrics"
        ],
        id="self-reference",
    ),
    pytest.param(
        # Company-wide a is fine; web's own b closes a loop through it only in web's review.
        "metrics:\n"
        "  - {id: a, " + shape("a") + ', from: "growth(b)"}\n'
        "  - {id: b, " + shape("b") + ", sql: x}\n"
        "teams:\n  web:\n    metrics:\n"
        "      - {id: b, " + shape("b") + ', from: "growth(a)"}\n' + SOURCES,
        [
            f"{CFG}:2: metrics[0].from: a is computed from itself in team 'web's review "
            "(a → b → a); compute it from queried metrics",
            f"{CFG}:7: teams.web.metrics[0].from: b is computed from itself in team 'web's "
            "review (b → a → b); compute it from queried metrics",
        ],
        id="cycle-through-a-team-override",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr_growth}\n"
        "teams:\n  web:\n    metrics:\n      - {id: mrr, sql: x}\n  app: {}\n" + SOURCES,
        [
            f"{CFG}:2: metrics[0].id: growth(mrr) (the standard formula of mrr_growth) needs "
            "mrr, which only team 'web' defines, so the reviews of team 'app' show mrr_growth "
            "as unavailable; define mrr under `metrics:`, or move mrr_growth to the teams "
            "that have it (warning)"
        ],
        id="company-formula-over-some-teams",
    ),
    pytest.param(
        "metrics:\n  - {id: nps, posthog: SELECT 1}\n  - id: mrr\n    sql: SELECT 1\n",
        [
            f"{CFG}:2: metrics[0].posthog: nps is a PostHog query, but no PostHog project is "
            "configured, so it will be unavailable; add `sources: {posthog: {project: <id>}}` "
            "(the id is on the project's settings page) (warning)",
            f"{CFG}:4: metrics[1].sql: mrr is a SQL query, but no warehouse is configured, so "
            "it will be unavailable; add `sources: {warehouse: {url_env: "
            "QUARTERDECK_WAREHOUSE_URL}}` and set that variable to the database URL (warning)",
        ],
        id="unconfigured-sources",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, sql: x}\n  - {id: mrr, file: revenue.mrr}\n" + SOURCES,
        [f"{CFG}:3: metrics[1].id: metric mrr is listed twice (first at line 2); keep one"],
        id="duplicate-id",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, file: revenue.mrr}\n  - {id: mrr_growth}\n",
        [],
        id="file-metrics-need-no-source-settings",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, sql: x}\n"
        "teams:\n  web:\n    metrics:\n      - {id: web_mrr, title: mrr, unit: usd, "
        "section: revenue, sql: x}\n" + SOURCES,
        [
            f"{CFG}:6: teams.web.metrics[0].title: metric web_mrr prints as 'mrr', the title "
            "of metric mrr (line 2) in team web's review: one name would show two values; "
            "give one of them a title of its own (e.g. 'mrr, web') (warning)"
        ],
        id="team-and-company-figure-under-one-title",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, sql: x}\n  - {id: arr, title: MRR, sql: x}\n"
        "teams:\n  web:\n    metrics:\n      - {id: mrr, title: 'MRR, web', sql: x}\n" + SOURCES,
        [
            f"{CFG}:3: metrics[1].title: metric arr prints as 'MRR', the title of metric mrr "
            "(line 2) in the company-wide review: one name would show two values; give one "
            "of them a title of its own (e.g. 'MRR, company') (warning)"
        ],
        id="two-company-figures-under-one-title",
    ),
]


@pytest.mark.parametrize(("config", "expected"), CASES)
def test_metric_definitions(config: str, expected: list[str]) -> None:
    assert problems_of(config) == expected


def test_strict_makes_the_unconfigured_sources_errors() -> None:
    config = "metrics:\n  - {id: nps, posthog: SELECT 1}\n"
    with pytest.raises(ConfigError) as caught:
        build_config((CFG, config), [], strict=True)
    assert [p.severity for p in caught.value.problems] == ["error"]


def test_validate_prints_them_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo.init(tmp_path / "web")
    config = "metrics:\n  - {id: a, " + shape("a") + ', from: "growth(a)"}\n  - {id: nps, sql: x}\n'
    repo.commit("Config", {CFG: config}, date=at("2026-10-01T09:00Z"))

    assert main(["validate", "--repo", str(repo.path)]) == 1

    err = capsys.readouterr().err
    assert f"{CFG}:2: metrics[0].from: a is computed from itself (a → a)" in err
    assert f"{CFG}:3: metrics[1].sql: nps is a SQL query, but no warehouse" in err
    assert "1 error(s) found, 1 warning(s)" in err
