"""`quarterdeck validate` on the sources' credentials: a metric whose configured source
needs a key or URL from the environment that is not set is a warning at its line
(`--strict`: an error), naming the metric and the variable to set. Run on real git
repositories through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.services.demo import build_demo_repo
from tests.gitrepo import GitRepo
from tests.reviewrepos import at

CFG = ".github/quarterdeck.yml"
CONFIG = """\
sources:
  posthog: {project: 12345}
  warehouse: {url_env: ACME_WAREHOUSE_URL}
metrics:
  - id: mrr
    sql: SELECT month, total FROM mrr
teams:
  growth:
    lead: alice
    members: [alice, bob]
    metrics:
      - id: activation
        posthog: SELECT 1
      - {id: nps, file: feedback.nps}
"""
CREDENTIALS = ("POSTHOG_PERSONAL_API_KEY", "ACME_WAREHOUSE_URL")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of `text` holding `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    clone = GitRepo.init(tmp_path / "web")
    clone.commit("Config", {CFG: CONFIG}, date=at("2026-10-01T09:00Z"))
    return clone.path


def _validate(repo: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, list[str]]:
    code = main(["validate", "--repo", str(repo), *flags])
    return code, capsys.readouterr().err.splitlines()


def test_missing_credentials_are_warnings_at_each_metrics_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _validate(repo, capsys)

    assert code == 0
    sql, posthog = line_of(CONFIG, "sql: SELECT"), line_of(CONFIG, "posthog: SELECT")
    assert err[:2] == [
        f"{CFG}:{sql}: metrics[0].sql: metric mrr is a SQL query, but ACME_WAREHOUSE_URL "
        "(the warehouse's `url_env`) is not set, so it would be unavailable; set "
        "ACME_WAREHOUSE_URL to the database URL (in a workflow, from a secret: "
        "`ACME_WAREHOUSE_URL: ${{ secrets.ACME_WAREHOUSE_URL }}` in the step's `env:`) "
        "(warning)",
        f"{CFG}:{posthog}: teams.growth.metrics[0].posthog: metric activation is a PostHog "
        "query, but POSTHOG_PERSONAL_API_KEY is not set, so it would be unavailable; set "
        "POSTHOG_PERSONAL_API_KEY to a personal API key with query:read (in a workflow, from "
        "a secret: `POSTHOG_PERSONAL_API_KEY: ${{ secrets.POSTHOG_PERSONAL_API_KEY }}` in "
        "the step's `env:`) (warning)",
    ]
    assert err[-1].endswith("2 warning(s)")


def test_strict_fails_on_them_and_passes_once_they_are_set(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _validate(repo, capsys, "--strict")
    assert code == 1
    assert [line.split(": ", 2)[1] for line in err[:2]] == [
        "metrics[0].sql",
        "teams.growth.metrics[0].posthog",
    ]
    assert not any("(warning)" in line for line in err[:2])
    assert err[-1] == ("quarterdeck: 2 error(s) found; fix them and re-run `quarterdeck validate`.")

    monkeypatch.setenv("ACME_WAREHOUSE_URL", "   ")  # blank is not set
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", "phx_not_a_real_key_0123456789")
    code, err = _validate(repo, capsys, "--strict")
    assert code == 1
    assert [line.split(": ", 2)[1] for line in err[:-1]] == ["metrics[0].sql"]

    monkeypatch.setenv("ACME_WAREHOUSE_URL", "sqlite:///warehouse.sqlite")
    code, err = _validate(repo, capsys, "--strict")
    assert (code, err) == (0, ["quarterdeck: config OK: 1 team(s), 0 goal(s)"])


def test_a_source_not_configured_is_reported_once_not_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POSTHOG_PERSONAL_API_KEY", raising=False)
    clone = GitRepo.init(tmp_path / "web")
    config = "metrics:\n  - {id: activation, posthog: SELECT 1}\n"
    clone.commit("Config", {CFG: config}, date=at("2026-10-01T09:00Z"))

    code, err = _validate(clone.path, capsys)

    assert code == 0
    [problem] = err[:-1]
    assert "no PostHog project is configured" in problem
    assert "POSTHOG_PERSONAL_API_KEY" not in problem


def test_the_demo_validates_with_the_url_it_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's warehouse is read from the environment too (the URL the demo prints):
    without it plain validate passes with a warning, with it `--strict` passes."""
    monkeypatch.delenv("QUARTERDECK_WAREHOUSE_URL", raising=False)
    demo = build_demo_repo(tmp_path / "sample")
    assert set(demo.env) == {"QUARTERDECK_WAREHOUSE_URL"}

    code, err = _validate(demo.path, capsys)
    assert code == 0
    assert any("QUARTERDECK_WAREHOUSE_URL" in line and "(warning)" in line for line in err)

    for name, value in demo.env.items():
        monkeypatch.setenv(name, value)
    code, err = _validate(demo.path, capsys, "--strict")
    assert code == 0, err
    assert not any("warning" in line for line in err)
