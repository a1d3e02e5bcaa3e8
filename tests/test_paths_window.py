"""A review lists changed paths only where it uses them (`assemble.paths_from`).

A tree diff per PR is the dearest part of an offline read, and the months before the
review's feed only counts and medians. These tests hold the rule to its promise: over
a real history (pallets/click), a review that skips the earlier PRs' paths is the
same review, Markdown and JSON, as one that reads every PR's, whatever the config.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal, Team
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.services.review import offline
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_reviews
from quarterdeck.services.review.assemble import paths_from
from quarterdeck.sources.git_history import read_merged_prs
from tests.histories import CLICK_CONFIG
from tests.histories import clone as clone_history

JUNE = Month(2026, 6)  # Q2: the window reaches back to December, the quarter to April
JUNE_PERIOD = ReviewPeriod.of(JUNE)

# Teams by people and labels only, and a Q2 goal that claims PRs by title words: the
# goal's progress lists April's and May's PRs, so their paths are read. The quarter
# report's review (`whole_quarter`) keeps more reviews, never more PRs in one.
BY_PEOPLE = """\
teams:
  maintainers:
    lead: davidism
    members: [davidism, kdeldycke, Rowlando13]
    owns: {labels: [docs]}
"""
Q2_GOALS = """\
- id: typing
  title: Typed public API
  team: maintainers
  owners: [davidism]
  keywords: [type, typing, annotations]
"""


@pytest.fixture(scope="module")
def click(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_history(
        "pallets-click",
        tmp_path_factory.mktemp("paths") / "click",
        origin="https://github.com/pallets/click.git",
    )


def _with_config(repo: Path, config: str | None, goals: str | None) -> None:
    # The review reads the config and goals from the clone's working tree.
    path = repo / ".github" / "quarterdeck.yml"
    path.unlink(missing_ok=True)
    (repo / "goals" / "2026-Q2.yml").unlink(missing_ok=True)
    if config is not None:
        path.parent.mkdir(exist_ok=True)
        path.write_text(config)
    if goals is not None:
        (repo / "goals").mkdir(exist_ok=True)
        (repo / "goals" / "2026-Q2.yml").write_text(goals)


def test_the_rule_reads_every_pr_where_paths_link_work() -> None:
    tz = "UTC"
    assert paths_from(Config(), JUNE_PERIOD) == JUNE.start(tz)
    labels = Config(teams=(Team("web", labels=("web",)),))
    assert paths_from(labels, JUNE_PERIOD) == JUNE.start(tz)
    in_quarter = Config(goals=(Goal("a", "A", "web", "2026-Q2"),))
    assert paths_from(in_quarter, JUNE_PERIOD) == datetime(2026, 4, 1, tzinfo=UTC)
    other_quarter = Config(goals=(Goal("a", "A", "web", "2026-Q1"),))
    assert paths_from(other_quarter, JUNE_PERIOD) == JUNE.start(tz)
    for linking in (
        Config(teams=(Team("web", paths=("web/**",)),)),
        Config(teams=(Team("web", codeowners=("@acme/web",)),)),
        Config(goals=(Goal("a", "A", "web", "2025-Q1", paths=("web/**",)),)),
    ):
        assert paths_from(linking, JUNE_PERIOD) is None


def test_earlier_prs_carry_no_paths_and_nothing_else_changes(click: Path) -> None:
    since, until = datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    cut = datetime(2026, 6, 1, tzinfo=UTC)
    every = read_merged_prs(click, since, until)
    some = read_merged_prs(click, since, until, paths_from=cut)
    assert [pr.number for pr in some] == [pr.number for pr in every]
    listed = [pr for pr in every if pr.merged_at >= cut]
    assert listed
    assert any(pr.paths for pr in listed)
    assert any(pr.paths for pr in every if pr.merged_at < cut)
    for full, cut_short in zip(every, some, strict=True):
        if full.merged_at >= cut:
            assert cut_short == full
        else:
            assert cut_short == dataclasses.replace(full, paths=())


@pytest.mark.parametrize(
    ("config", "goals", "whole_quarter"),
    [
        (None, None, False),
        (BY_PEOPLE, Q2_GOALS, False),
        (BY_PEOPLE, None, True),
        (CLICK_CONFIG, None, False),
    ],
    ids=["no-config", "goals-by-keywords", "whole-quarter", "teams-by-paths"],
)
def test_a_review_is_the_same_as_one_reading_every_prs_paths(
    click: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str | None,
    goals: str | None,
    whole_quarter: bool,
) -> None:
    _with_config(click, config, goals)
    try:
        cut = offline.build_reviews(click, JUNE, whole_quarter=whole_quarter)
        monkeypatch.setattr(offline, "paths_from", lambda *_, **__: None)
        every = offline.build_reviews(click, JUNE, whole_quarter=whole_quarter)
    finally:
        _with_config(click, None, None)
    assert sum(r.summary.shipped for r in every) > 0
    assert render_reviews(cut) == render_reviews(every)
    assert json.dumps(reviews_to_json(cut, with_bodies=True)) == json.dumps(
        reviews_to_json(every, with_bodies=True)
    )
