"""Goals claiming PRs by what they declare: each rule, their order, ties and quarters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from quarterdeck.core.model import Config, Goal, Link, PullRequest, Team
from quarterdeck.core.review.goal_rules import title_scopes
from quarterdeck.core.review.linking import link_all, link_pr

MERGED = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)

REPLAY_TEAM = Team("replay", members=("rita", "ray"), paths=("packages/replay/**",))
WEB_TEAM = Team("web", members=("wanda",), paths=("packages/web/**",), labels=("web",))
REPLAY_V2 = Goal(
    "replay-v2",
    "Replay v2",
    "replay",
    "2026-Q4",
    owners=("rita",),
    issue=40,
    labels=("replay",),
    branches=("replay/",),
    scopes=("replay",),
    paths=("packages/replay/src/v2/**",),
    keywords=("session replay",),
)
TOOLBAR = Goal(
    "toolbar",
    "New toolbar",
    "web",
    "2026-Q4",
    owners=("wanda",),
    labels=("toolbar",),
    branches=("toolbar-",),
    scopes=("toolbar", "ui"),
    paths=("packages/web/toolbar/**",),
    keywords=("toolbar",),
)
CONFIG = Config(teams=(REPLAY_TEAM, WEB_TEAM), goals=(REPLAY_V2, TOOLBAR))


def pr(**fields: Any) -> PullRequest:
    fields.setdefault("title", "Tidy up")
    fields.setdefault("author", "zed")
    fields.setdefault("merged_at", MERGED)
    return PullRequest(7, source="github", **fields)


def link(pull: PullRequest, config: Config = CONFIG, quarter: str | None = "2026-Q4") -> Link:
    return link_pr(pull, config, quarter=quarter)


def summary(found: Link) -> tuple[str | None, str | None, str, str]:
    return found.goal_id, found.team, found.rule, found.reason


# ---------------------------------------------------------------------------- each rule


def test_goal_label() -> None:
    assert summary(link(pr(labels=("bug", "Replay")))) == (
        "replay-v2",
        "replay",
        "goal-label",
        "label `Replay` is declared by goal replay-v2",
    )


def test_goal_branch_prefix() -> None:
    assert summary(link(pr(branch="toolbar-dark-mode"))) == (
        "toolbar",
        "web",
        "goal-branch",
        "branch `toolbar-dark-mode` starts with `toolbar-`, a branch prefix of goal toolbar",
    )


@pytest.mark.parametrize(
    ("title", "scopes"),
    [
        ("feat(replay): faster seek", ("replay",)),
        ("fix(replay, ui)!: crash", ("replay", "ui")),
        ("chore(deps): bump", ("deps",)),
        ("Replay: faster seek", ()),
        ("feat: no scope", ()),
        ("see feat(replay): later", ()),
    ],
)
def test_title_scopes(title: str, scopes: tuple[str, ...]) -> None:
    assert title_scopes(title) == scopes


def test_goal_scope() -> None:
    assert summary(link(pr(title="fix(UI): toolbar overlaps the player"))) == (
        "toolbar",
        "web",
        "goal-scope",
        "title scope `UI` is declared by goal toolbar",
    )


def test_goal_paths() -> None:
    paths = ("packages/replay/src/v2/a.ts", "packages/replay/src/v2/b.ts", "packages/replay/x.ts")
    assert summary(link(pr(paths=paths))) == (
        "replay-v2",
        "replay",
        "goal-paths",
        "2 of 3 changed paths are under goal replay-v2's `packages/replay/src/v2/**`",
    )


def test_goal_paths_most_paths_win_and_the_reason_names_the_other_goal() -> None:
    paths = ("packages/web/toolbar/a.ts", "packages/web/toolbar/b.ts", "packages/replay/src/v2/c")
    assert summary(link(pr(paths=paths))) == (
        "toolbar",
        "web",
        "goal-paths",
        "2 of 3 changed paths are under goal toolbar's `packages/web/toolbar/**` "
        "(a closer match than goal replay-v2)",
    )


@pytest.mark.parametrize(
    ("title", "matches"),
    [
        ("Session replay: buffer fewer frames", True),
        ("Fix SESSION   REPLAY on Safari", True),
        ("Session replayer rewrite", False),  # whole words only
        ("Replay sessions", False),
    ],
)
def test_goal_keyword(title: str, matches: bool) -> None:
    found = link(pr(title=title))
    if matches:
        assert summary(found)[:3] == ("replay-v2", "replay", "goal-keyword")
        assert found.reason == "the title has `session replay`, a keyword of goal replay-v2"
    else:
        assert found.rule == "none"


# ---------------------------------------------------------------------------- order


RULES_TOP_DOWN = {
    "goal-label": {"labels": ("toolbar",)},
    "goal-branch": {"branch": "replay/seek"},
    "goal-scope": {"title": "feat(toolbar): session replay button"},
    "goal-paths": {"paths": ("packages/replay/src/v2/a.ts",)},
    "goal-keyword": {"title": "Session replay for toolbar"},
}


@pytest.mark.parametrize("top", list(RULES_TOP_DOWN))
def test_rule_order(top: str) -> None:
    """With the signals of `top` and of every rule below it (each pointing at the other
    goal in turn), `top` decides."""
    rules = list(RULES_TOP_DOWN)
    fields: dict[str, Any] = {}
    for rule in reversed(rules[rules.index(top) :]):
        fields.update(RULES_TOP_DOWN[rule])
    assert link(pr(**fields)).rule == top


def test_explicit_rules_come_first() -> None:
    # The label names toolbar's declared label, but the body references replay-v2's issue.
    found = link(pr(body="Part of #40", labels=("toolbar",)))
    assert (found.goal_id, found.rule) == ("replay-v2", "reference")
    found = link(pr(branch="replay-v2/x", labels=("toolbar",)))
    assert (found.goal_id, found.rule) == ("replay-v2", "branch")


def test_declared_rules_come_before_team_rules() -> None:
    found = link(pr(paths=("packages/replay/src/v2/a.ts",), labels=("web",), author="wanda"))
    assert (found.goal_id, found.team, found.rule) == ("replay-v2", "replay", "goal-paths")


# ---------------------------------------------------------------------------- ties

A = Goal("alpha", "A", "replay", "2026-Q4", owners=("ray",), labels=("shared",))
B = Goal("beta", "B", "web", "2026-Q4", owners=("wanda",), labels=("shared",))
TIED = Config(teams=(REPLAY_TEAM, WEB_TEAM), goals=(A, B))


def test_tie_goes_to_the_goal_the_author_owns() -> None:
    found = link(pr(labels=("shared",), author="wanda"), TIED)
    assert summary(found) == (
        "beta",
        "web",
        "goal-label",
        "label `shared` is declared by goal beta; goal alpha matches as well, and author "
        "wanda owns beta",
    )


def test_tie_goes_to_the_goal_of_a_co_authors_team() -> None:
    found = link(pr(labels=("shared",), author="zed", co_authors=("rita",)), TIED)
    assert found.goal_id == "alpha"
    assert found.reason.endswith("goal beta matches as well, and co-author rita is on replay")


def test_tie_with_nobody_involved_goes_to_the_goal_listed_first_and_says_so() -> None:
    flipped = Config(teams=TIED.teams, goals=(B, A))
    found = link(pr(labels=("shared",)), flipped)
    assert found.goal_id == "beta"
    assert found.reason == (
        "label `shared` is declared by goal beta; goal alpha matches as well, and beta is "
        "listed first: give each goal its own labels, scopes or paths to decide"
    )


def test_paths_tie_is_broken_by_the_more_specific_pattern() -> None:
    broad = Goal("broad", "Broad", "replay", "2026-Q4", paths=("packages/**",))
    narrow = Goal("narrow", "Narrow", "web", "2026-Q4", paths=("packages/web/**",))
    found = link(pr(paths=("packages/web/a.ts",)), Config(goals=(broad, narrow)))
    assert summary(found) == (
        "narrow",
        "web",
        "goal-paths",
        "1 of 1 changed path is under goal narrow's `packages/web/**` "
        "(a closer match than goal broad)",
    )


def test_longest_branch_prefix_wins() -> None:
    short = Goal("short", "S", "web", "2026-Q4", branches=("web/",))
    long = Goal("long", "L", "web", "2026-Q4", branches=("web/toolbar",))
    found = link(pr(branch="web/toolbar-fix"), Config(goals=(short, long)))
    assert found.goal_id == "long"


# ---------------------------------------------------------------------------- quarters


def test_only_goals_of_the_merge_quarter_claim() -> None:
    q3 = Goal("seek", "Seek", "replay", "2026-Q3", scopes=("seek",))
    config = Config(teams=(REPLAY_TEAM,), goals=(q3, TOOLBAR))
    assert link(pr(title="fix(seek): off by one"), config, "2026-Q3").goal_id == "seek"
    # In Q4 the Q3 goal no longer claims; the PR is unplanned.
    found = link(pr(title="fix(seek): off by one", author="rita"), config, "2026-Q4")
    assert (found.goal_id, found.rule) == (None, "author")
    # Explicit labels still reach an earlier quarter's goal by id.
    assert link(pr(labels=("goal:seek",)), config, "2026-Q4").goal_id == "seek"


def test_link_all_takes_each_prs_own_quarter() -> None:
    q3 = Goal("seek", "Seek", "replay", "2026-Q3", scopes=("seek",))
    q4 = Goal("seek-2", "Seek 2", "replay", "2026-Q4", scopes=("seek",))
    sep = pr(title="fix(seek): a", merged_at=datetime(2026, 9, 30, 12, tzinfo=UTC))
    oct_ = pr(title="fix(seek): b", merged_at=datetime(2026, 10, 1, 12, tzinfo=UTC))
    links = link_all([sep, oct_], Config(goals=(q3, q4)))
    assert [lk.goal_id for lk in links] == ["seek", "seek-2"]


def test_without_a_quarter_the_latest_quarter_claims() -> None:
    q3 = Goal("old", "Old", "replay", "2026-Q3", keywords=("seek",))
    q4 = Goal("new", "New", "replay", "2026-Q4", keywords=("seek",))
    assert link(pr(title="Seek faster"), Config(goals=(q4, q3)), None).goal_id == "new"


def test_dropped_goals_do_not_claim() -> None:
    dropped = Goal("gone", "Gone", "replay", "2026-Q4", status="dropped", keywords=("seek",))
    assert link(pr(title="Seek faster"), Config(goals=(dropped,))).rule == "none"


def test_more_keywords_win_and_the_reason_quotes_them() -> None:
    one = Goal("one", "One", "web", "2026-Q4", keywords=("toolbar",))
    two = Goal("two", "Two", "web", "2026-Q4", keywords=("toolbar", "dark mode"))
    found = link(pr(title="Toolbar: dark mode"), Config(goals=(one, two)))
    assert summary(found) == (
        "two",
        "web",
        "goal-keyword",
        "the title has `toolbar` and `dark mode`, keywords of goal two "
        "(a closer match than goal one)",
    )
