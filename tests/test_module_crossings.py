"""scripts/module_crossings.py: how far a delivery and an offline review walk (issue 24)."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def crossings() -> ModuleType:
    """The script, loaded as a module (scripts/ is not a package)."""
    return load_script("module_crossings")


def recorded(run: str) -> dict[str, int]:
    """The figures of row `run` of README's table ("How far one run walks")."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"^\| {re.escape(run)} \| (\d+) \| (\d+) \| (\d+) \|$", text, re.M)
    assert found, f"README.md has no row `{run}` in its module-crossings table"
    return dict(zip(("modules", "boundaries", "calls"), map(int, found.groups()), strict=True))


def test_layers_are_named_as_the_design_names_them(crossings: ModuleType) -> None:
    assert crossings.layer("quarterdeck.cli") == "entry"
    assert crossings.layer("quarterdeck.webhook.handlers.context") == "entry"
    assert crossings.layer("quarterdeck.services.review.view") == "services"
    assert crossings.layer("quarterdeck.core.model") == "core"
    assert crossings.layer("quarterdeck.sources.github.prs") == "sources"
    assert crossings.layer("quarterdeck.errors") == "shared"


def test_the_offline_review_walks_no_further_than_recorded(
    crossings: ModuleType, tmp_path: Path
) -> None:
    found = crossings.measure_review(tmp_path).summary()
    recorded_now = recorded("offline review, now")
    assert found["modules"] <= recorded_now["modules"], found
    assert found["boundaries"] <= recorded_now["boundaries"], found
    # The counting sees the review's real path: the CLI, a service, git, the core.
    assert found["modules"] > 20


def test_a_delivery_never_calls_back_into_the_job_runner(crossings: ModuleType) -> None:
    found = crossings.measure_delivery()
    callers_of_jobs = {caller for caller, callee in found.links if callee.endswith(".jobs")}
    # Only the queue runs a job; the handler reads its config from the cache, not jobs.
    assert callers_of_jobs == {"quarterdeck.webhook.queues"}, callers_of_jobs
    assert {"quarterdeck.webhook.routes", "quarterdeck.webhook.config_cache"} <= found.modules
    assert found.entries["quarterdeck.webhook.config_cache"] == 1  # once per delivery
    assert found.summary()["modules"] <= recorded("merged-PR delivery, now")["modules"]
