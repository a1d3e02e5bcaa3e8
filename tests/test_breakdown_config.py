"""`quarterdeck validate` on a metric's breakdown (issue 25): its shape from the schema,
its sources and credentials, each problem at its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.business.breakdown import BreakdownDef
from quarterdeck.core.config import build_config
from quarterdeck.errors import ConfigError
from tests.gitrepo import GitRepo
from tests.reviewrepos import at

CFG = ".github/quarterdeck.yml"
HEAD = """\
sources:
  warehouse: {url_env: ACME_WAREHOUSE_URL}
metrics:
  - id: mrr
    sql: SELECT month, total FROM mrr
  - id: mrr_growth
    target: ">= 9"
"""


def problems_of(text: str, *, strict: bool = False) -> list[str]:
    try:
        _, warnings = build_config((CFG, text), [], strict=strict)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings]


def test_a_breakdown_reaches_the_metric_definition() -> None:
    query = "SELECT plan, month, mrr FROM p"
    text = HEAD + f'    breakdown: {{by: plan, unit: usd, sql: "{query}"}}\n'
    config, warnings = build_config((CFG, text), [])
    assert warnings == []
    growth = next(m for m in config.metrics_of(None) if m.id == "mrr_growth")
    assert growth.breakdown == BreakdownDef("plan", "sql", query, "usd")
    # Without a unit, the metric's own.
    text = HEAD.replace('    target: ">= 9"\n', "") + (
        "  - {id: seats, title: Seats, unit: count, section: product, sql: x,\n"
        "     breakdown: {by: region, sql: y}}\n"
    )
    config, _ = build_config((CFG, text), [])
    seats = next(m for m in config.metrics_of(None) if m.id == "seats")
    assert seats.breakdown == BreakdownDef("region", "sql", "y", "count")


@pytest.mark.parametrize(
    ("breakdown", "said"),
    [
        pytest.param(
            "    breakdown: {by: plan}\n",
            f"{CFG}:8: metrics[1].breakdown: give a breakdown exactly one query, sql: or "
            "posthog:, returning (segment, month, value) rows",
            id="no-query",
        ),
        pytest.param(
            "    breakdown: {by: plan, sql: a, posthog: b}\n",
            f"{CFG}:8: metrics[1].breakdown: give a breakdown exactly one query, sql: or "
            "posthog:, returning (segment, month, value) rows, not both",
            id="two-queries",
        ),
        pytest.param(
            "    breakdown:\n      sql: a\n",
            f"{CFG}:8: metrics[1].breakdown.by: missing required key 'by'",
            id="no-dimension",
        ),
        pytest.param(
            "    breakdown:\n      by: plan\n      sql: a\n      dimenson: plan\n",
            f"{CFG}:11: metrics[1].breakdown.dimenson: unknown key 'dimenson'; expected one "
            "of: by, sql, posthog, unit",
            id="unknown-key",
        ),
        pytest.param(
            "    breakdown: {by: plan, sql: a, unit: dollars}\n",
            f"{CFG}:8: metrics[1].breakdown.unit:",
            id="bad-unit",
        ),
    ],
)
def test_a_wrong_breakdown_is_an_error_at_its_line(breakdown: str, said: str) -> None:
    problems = problems_of(HEAD + breakdown)
    assert len(problems) == 1, problems
    assert problems[0].startswith(said), problems


def test_a_breakdown_without_its_source_or_never_asked_is_a_warning() -> None:
    text = (
        HEAD
        + "    breakdown: {by: plan, posthog: SELECT 1}\n"
        + "  - {id: seats, title: Seats, unit: count, section: product, sql: x, alert: false,\n"
        + "     breakdown: {by: region, sql: y}}\n"
    )
    assert problems_of(text) == [
        f"{CFG}:8: metrics[1].breakdown.posthog: mrr_growth's breakdown is a PostHog query, "
        "but no PostHog project is configured, so it will be unavailable; add `sources: "
        "{posthog: {project: <id>}}` (the id is on the project's settings page) (warning)",
        f"{CFG}:10: metrics[2].breakdown: seats has a breakdown, but with no target and "
        "`alert: false` it is never flagged, so the breakdown is never asked; add a target, "
        "or remove the breakdown (warning)",
    ]


def test_validate_names_the_breakdowns_missing_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ACME_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY", raising=False)
    text = (
        "sources:\n  posthog: {project: 1}\n  warehouse: {url_env: ACME_WAREHOUSE_URL}\n"
        "metrics:\n  - {id: mrr, file: revenue.mrr}\n  - id: mrr_growth\n"
        '    target: ">= 9"\n    breakdown:\n      by: plan\n      posthog: SELECT 1\n'
    )
    clone = GitRepo.init(tmp_path / "web")
    clone.commit("Config", {CFG: text}, date=at("2026-10-01T09:00Z"))

    assert main(["validate", "--repo", str(clone.path)]) == 0
    err = capsys.readouterr().err
    assert (
        f"{CFG}:10: metrics[1].breakdown.posthog: metric mrr_growth's breakdown is a PostHog "
        "query, but POSTHOG_PERSONAL_API_KEY is not set" in err
    )
    assert main(["validate", "--repo", str(clone.path), "--strict"]) == 1
