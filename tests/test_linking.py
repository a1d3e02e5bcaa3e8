"""Linking merged PRs to goals and teams: each rule, its reason, precedence and properties."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quarterdeck.core.model import Config, Goal, PullRequest, Team
from quarterdeck.core.review.linking import (
    References,
    choose_goal,
    link_all,
    link_pr,
    parse_references,
    path_matches,
    quarter_of,
    resolve_goal,
)

MERGED = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def make_pr(number: int = 1, **fields: Any) -> PullRequest:
    """A merged PR with harmless defaults; GitHub source so reasons say "the body"."""
    fields.setdefault("title", f"PR {number}")
    fields.setdefault("author", "zed")
    fields.setdefault("merged_at", MERGED)
    fields.setdefault("source", "github")
    return PullRequest(number=number, **fields)


ANALYTICS = Team(
    "product-analytics",
    lead="alice",
    pm="bob",
    members=("alice", "carol"),
    paths=("frontend/insights/**",),
    labels=("team/analytics",),
)
GROWTH = Team(
    "growth",
    lead="dan",
    members=("dan", "erin"),
    paths=("frontend/signup/", "frontend/insights/funnels/**", "*.md"),
    labels=("team/growth",),
)
FUNNELS = Goal("funnels", "Funnels with breakdowns", "product-analytics", "2026-Q4", issue=12)
ONBOARDING = Goal("onboarding", "Faster onboarding", "growth", "2026-Q4", issue=20)
FUNNELS_Q3 = Goal("funnels", "Funnels, first cut", "growth", "2026-Q3", issue=5)
CONFIG = Config(
    teams=(ANALYTICS, GROWTH),
    goals=(FUNNELS_Q3, FUNNELS, ONBOARDING),
    identities=MappingProxyType({"carol": ("carol@example.com", "Carol King")}),
)


def link(pr: PullRequest, config: Config = CONFIG, quarter: str | None = "2026-Q4"):
    return link_pr(pr, config, quarter=quarter)


# ---------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("text", "issues", "goal_ids"),
    [
        ("Goal: #123", (123,), ()),
        ("goal:#7 and GOAL : #8", (7, 8), ()),
        ("Part of #4", (4,), ()),
        ("part of\n#4", (4,), ()),
        ("Fixes #1\ncloses #2\nResolved: #3\nFIX #4", (1, 2, 3, 4), ()),
        ("close #1 closed #2 fix #3 fixed #4 resolve #5 resolves #6", (1, 2, 3, 4, 5, 6), ()),
        ("Fixes: #9, fixes #9 again, Goal: #9", (9,), ()),
        ("hotfix #3, prefixes #4, Fixes #5abc, Fixes #0", (), ()),
        ("Fixes owner/repo#5 and see #6", (), ()),
        ("Fixes https://github.com/o/r/issues/12", (), ()),  # full URLs: out of scope
        ("goal:funnels then goal:onboarding and goal:funnels", (), ("funnels", "onboarding")),
        ("goal:Funnels goal:a_b subgoal:x goal:-x", (), ()),
        ("(goal:funnels).", (), ("funnels",)),
        ("Part of #3 for goal:funnels, Fixes #2", (3, 2), ("funnels",)),
    ],
)
def test_parse_references(text: str, issues: tuple[int, ...], goal_ids: tuple[str, ...]) -> None:
    assert parse_references(text) == References(issues=issues, goal_ids=goal_ids)


@pytest.mark.parametrize(
    "text",
    [
        "Run `Fixes #12` to see",
        "``code with ` inside Fixes #12``",
        "```\nFixes #12\n```",
        "```python\ngoal:funnels\n```",
        "~~~~\nFixes #12\n~~~\nstill inside\n~~~~",
        "```\nunclosed fence runs to the end\nFixes #12",
        "<!-- e.g. Fixes #12 -->",
        "  ```\n  Goal: #12\n  ```",
    ],
)
def test_code_and_comments_are_ignored(text: str) -> None:
    assert parse_references(text) == References()


def test_text_after_code_still_counts() -> None:
    text = "```\nFixes #1\n```\nFixes #2 and `x` Part of #3\n\nstray ` tick then Fixes #4"
    assert parse_references(text).issues == (2, 3, 4)


# ---------------------------------------------------------------------------- goal rules


def test_reference_to_goal_issue() -> None:
    found = link(make_pr(body="Adds breakdowns.\n\nGoal: #12"))
    assert (found.rule, found.goal_id, found.team) == ("reference", "funnels", "product-analytics")
    assert found.reason == "the body says `Goal: #12` (goal issue of funnels)"


def test_reference_offline_quotes_the_commit_message() -> None:
    found = link(make_pr(body="Merge pull request #3 from o/x\n\nPart of #20", source="git"))
    assert found.goal_id == "onboarding"
    assert found.reason == "the commit message says `Part of #20` (goal issue of onboarding)"


def test_reference_through_parent_issue() -> None:
    pr = make_pr(body="Fixes: #45", parent_issues=MappingProxyType({45: 12}))
    found = link(pr)
    assert (found.rule, found.goal_id) == ("reference", "funnels")
    assert (
        found.reason == "the body says `Fixes: #45`; #45 belongs to #12, the goal issue of funnels"
    )


def test_reference_through_github_closing_issues() -> None:
    found = link(make_pr(closing_issues=(20,)))
    assert (found.rule, found.goal_id, found.team) == ("reference", "onboarding", "growth")
    assert found.reason == "GitHub says it closes #20 (goal issue of onboarding)"


def test_body_reference_comes_before_closing_issues() -> None:
    found = link(make_pr(body="Part of #20", closing_issues=(12,)))
    assert found.goal_id == "onboarding"


def test_first_goal_reference_wins_and_non_goal_issues_are_skipped() -> None:
    found = link(make_pr(body="Fixes #99. Goal: #20. Goal: #12"))
    assert found.goal_id == "onboarding"


def test_reference_to_other_issue_falls_through() -> None:
    found = link(make_pr(body="Fixes #99", author="nobody"))
    assert (found.rule, found.goal_id, found.team) == ("none", None, None)


def test_reference_in_code_block_is_ignored() -> None:
    found = link(make_pr(body="Template:\n```\nGoal: #12\n```", author="dan"))
    assert (found.rule, found.team) == ("author", "growth")


def test_goal_label() -> None:
    found = link(make_pr(labels=("bug", "goal:onboarding")))
    assert (found.rule, found.goal_id, found.team) == ("label", "onboarding", "growth")
    assert found.reason == "label `goal:onboarding` names goal onboarding"


def test_goal_label_for_unknown_goal_falls_through() -> None:
    found = link(make_pr(labels=("goal:nope",), branch="onboarding/x"))
    assert (found.rule, found.goal_id) == ("branch", "onboarding")


def test_goal_token_in_message_counts_as_label() -> None:
    found = link(make_pr(body="Add breakdown (#3)\n\ngoal:nope goal:funnels", source="git"))
    assert (found.rule, found.goal_id) == ("label", "funnels")
    assert found.reason == "the commit message says `goal:funnels`"


def test_goal_branch() -> None:
    found = link(make_pr(branch="funnels/add-breakdown"))
    assert (found.rule, found.goal_id, found.team) == ("branch", "funnels", "product-analytics")
    assert found.reason == "branch `funnels/add-breakdown` starts with goal id `funnels/`"


@pytest.mark.parametrize("branch", ["funnels", "funnels-v2/x", "fix/funnels/x", "Funnels/x", ""])
def test_branch_must_start_with_goal_id_and_slash(branch: str) -> None:
    assert link(make_pr(branch=branch)).rule == "none"


# ---------------------------------------------------------------------------- team rules


def test_paths_majority() -> None:
    paths = ("frontend/insights/a/b.ts", "frontend/insights/x.ts", "frontend/insights/y.ts", "z.py")
    found = link(make_pr(paths=paths))
    assert (found.rule, found.goal_id, found.team) == ("paths", None, "product-analytics")
    assert (
        found.reason == "3 of 4 changed paths are under product-analytics's `frontend/insights/**`"
    )


def test_paths_most_matches_wins_over_config_order() -> None:
    paths = ("frontend/signup/a.ts", "frontend/signup/b.ts", "frontend/insights/c.ts")
    found = link(make_pr(paths=paths))
    assert found.team == "growth"
    assert found.reason == "2 of 3 changed paths are under growth's `frontend/signup/`"


def test_paths_most_specific_pattern_wins_whatever_the_config_order() -> None:
    # Both teams match; growth's funnels sub-tree is the more specific pattern. (This
    # used to go to the team listed first in the config.)
    pr = make_pr(paths=("frontend/insights/funnels/a.ts",))
    flipped = Config(teams=(GROWTH, ANALYTICS), goals=CONFIG.goals)
    for config in (CONFIG, flipped):
        found = link(pr, config)
        assert (found.rule, found.team) == ("paths", "growth")
        assert found.reason == (
            "1 of 1 changed path is under growth's `frontend/insights/funnels/**` "
            "(more specific than product-analytics's `frontend/insights/**`)"
        )


def test_paths_reason_lists_each_pattern_used() -> None:
    found = link(make_pr(paths=("README.md", "frontend/signup/a.ts", "frontend/signup/b.ts")))
    assert found.reason == "3 of 3 changed paths match growth's `frontend/signup/` and `*.md`"


def test_team_label() -> None:
    found = link(make_pr(labels=("bug", "team/growth")))
    assert (found.rule, found.team) == ("team-label", "growth")
    assert found.reason == "label `team/growth` belongs to growth"


def test_author() -> None:
    found = link(make_pr(author="Erin"))
    assert (found.rule, found.team) == ("author", "growth")
    assert found.reason == "author Erin is on growth"


def test_author_lead_and_pm_count_as_people() -> None:
    assert link(make_pr(author="bob")).team == "product-analytics"


def test_author_through_identities() -> None:
    found = link(make_pr(author="carol@example.com", source="git"))
    assert (found.rule, found.team) == ("author", "product-analytics")
    assert (
        found.reason
        == "author carol@example.com is carol (config identities), on product-analytics"
    )


def test_nothing_matches() -> None:
    found = link(make_pr(author="stranger", paths=("src/a.py",), labels=("bug",)))
    assert (found.rule, found.goal_id, found.team, found.planned) == ("none", None, None, False)
    assert found.reason == (
        "no goal claims it and no team owns its paths, labels or author; to assign work "
        "like it, add `src/**` to a team's `owns.paths`, a label to a team's `owns.labels` "
        "or stranger to a team's `members`"
    )


def test_nothing_matches_without_paths_or_labels_says_what_to_do() -> None:
    found = link(make_pr(author="stranger", paths=("a.py", "src/b.py")))
    assert found.reason == (
        "no goal claims it and no team owns its paths, labels or author; to assign work "
        "like it, add its paths to a team's `owns.paths` or stranger to a team's `members`"
    )
    assert link(make_pr(author="stranger")).reason.endswith(
        "to assign work like it, add stranger to a team's `members`"
    )


# ---------------------------------------------------------------------------- precedence

EVERYTHING = {
    "reference": {"body": "Goal: #12"},
    "label": {"labels": ("goal:onboarding",)},
    "branch": {"branch": "funnels/x"},
    "paths": {"paths": ("frontend/signup/a.ts",)},
    "team-label": {"labels": ("team/analytics",)},
    "author": {"author": "dan"},
}


@pytest.mark.parametrize("top", list(EVERYTHING))
def test_precedence(top: str) -> None:
    """With every signal present from `top` down, `top`'s rule wins."""
    rules = list(EVERYTHING)
    fields: dict[str, Any] = {"author": "stranger", "labels": ()}
    for rule in rules[rules.index(top) :]:
        for key, value in EVERYTHING[rule].items():
            fields[key] = fields["labels"] + value if key == "labels" else value
    assert link(make_pr(**fields)).rule == top


def test_reference_beats_label_and_branch_for_team_too() -> None:
    found = link(make_pr(body="Goal: #12", labels=("goal:onboarding",), branch="onboarding/x"))
    assert (found.goal_id, found.team) == ("funnels", "product-analytics")


# ---------------------------------------------------------------------------- quarters


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        ("2026-Q4", FUNNELS),
        ("2026-Q3", FUNNELS_Q3),
        ("2027-Q1", FUNNELS),  # latest quarter before the merge
        ("2026-Q1", FUNNELS),  # none before: the most recent
        (None, FUNNELS),
    ],
)
def test_goal_ids_across_quarters(quarter: str | None, expected: Goal) -> None:
    assert resolve_goal(CONFIG, "funnels", quarter) == expected
    found = link(make_pr(labels=("goal:funnels",)), quarter=quarter)
    assert (found.goal_id, found.team) == (expected.id, expected.team)


def test_choose_goal_prefers_earlier_over_later_quarter() -> None:
    q2 = Goal("x", "x", "t", "2026-Q2")
    q4 = Goal("x", "x", "t", "2026-Q4")
    assert choose_goal([q4, q2], "2026-Q3") == q2
    assert choose_goal([], "2026-Q3") is None


def test_carried_over_goal_sharing_an_issue() -> None:
    old = Goal("retention", "Retention", "growth", "2026-Q3", issue=30)
    new = Goal("retention", "Retention", "product-analytics", "2026-Q4", issue=30)
    config = Config(teams=(ANALYTICS, GROWTH), goals=(old, new))
    assert link(make_pr(body="Goal: #30"), config, "2026-Q3").team == "growth"
    assert link(make_pr(body="Goal: #30"), config, "2026-Q4").team == "product-analytics"


def test_link_all_uses_merge_quarter_in_timezone() -> None:
    late = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 October in London
    prs = [make_pr(1, merged_at=late, branch="funnels/x"), make_pr(2, branch="funnels/y")]
    in_utc = link_all(prs, CONFIG)
    in_london = link_all(prs, CONFIG, tz="Europe/London")
    assert [lk.team for lk in in_utc] == ["growth", "product-analytics"]
    assert [lk.team for lk in in_london] == ["product-analytics", "product-analytics"]
    assert [lk.pr for lk in in_london] == prs


def test_quarter_of() -> None:
    assert quarter_of(datetime(2026, 12, 31, 23, 0, tzinfo=UTC)) == "2026-Q4"
    assert quarter_of(datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "Asia/Tokyo") == "2027-Q1"
    assert quarter_of(datetime(2026, 4, 1, 2, 0), "America/New_York") == "2026-Q1"  # naive = UTC


# ---------------------------------------------------------------------------- bots


def test_bots_are_linked_like_people() -> None:
    bot = make_pr(author="dependabot[bot]", is_bot=True, labels=("goal:onboarding",))
    assert (link(bot).rule, link(bot).goal_id) == ("label", "onboarding")
    stray = make_pr(author="renovate[bot]", is_bot=True, paths=("frontend/insights/package.json",))
    assert (link(stray).rule, link(stray).team) == ("paths", "product-analytics")
    assert link(make_pr(author="github-actions[bot]", is_bot=True)).rule == "none"


# ---------------------------------------------------------------------------- globs


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("frontend/insights/a/b.ts", "frontend/insights/**", True),
        ("frontend/insights/x.ts", "frontend/insights/**", True),
        ("frontend/insights", "frontend/insights/**", True),
        ("frontend/insightsx/x.ts", "frontend/insights/**", False),
        ("frontend/insights/x.ts", "frontend/insights/*", True),
        ("frontend/insights/a/b.ts", "frontend/insights/*", False),
        ("frontend/insights/a/b.ts", "frontend/insights/", True),
        ("frontend/insights/a/b.ts", "frontend/insights", True),
        ("frontend/insights.ts", "frontend/insights", False),
        ("a/b", "a/**/b", True),
        ("a/x/y/b", "a/**/b", True),
        ("ab", "a/**/b", False),
        ("x.md", "**/*.md", True),
        ("docs/x.md", "**/*.md", True),
        ("docs/x.md", "*.md", False),  # anchored at the root
        ("a/x1.ts", "a/x?.ts", True),
        ("a/x/.ts", "a/x?.ts", False),
        ("a/b.ts", "a/[!c].ts", True),
        ("a/c.ts", "a/[!c].ts", False),
        ("a/c.ts", "/a/*.ts", True),
        ("a+b/c.ts", "a+b/*.ts", True),
    ],
)
def test_path_matches(path: str, pattern: str, expected: bool) -> None:
    assert path_matches(path, pattern) is expected


# ---------------------------------------------------------------------------- property

GOAL_RULES = {
    "reference",
    "label",
    "branch",
    "goal-label",
    "goal-branch",
    "goal-scope",
    "goal-paths",
    "goal-keyword",
}
TEAM_RULES = {"paths", "team-label", "author"}
IDS = ["a", "b", "c-d"]
SLUGS = ["t1", "t2", "t3"]
LOGINS = ["ann", "ben", "cy", "bot[bot]"]
PATTERNS = ["src/**", "src/a/", "docs", "*.md", "src/*/x.py", "**/test_*.py"]
PATHS = ["src/a/x.py", "src/b/x.py", "docs/i.md", "README.md", "tests/test_a.py", "x"]
LABELS = ["goal:a", "goal:b", "goal:zz", "team/1", "team/2", "bug"]
FRAGMENTS = [
    "Goal: #1",
    "Part of #2",
    "Fixes #3",
    "closes: #4",
    "goal:a",
    "goal:c-d",
    "`Goal: #1`",
    "```\nFixes #2\n```",
    "<!-- Fixes #3 -->",
    "See #5",
]

teams = st.lists(
    st.builds(
        Team,
        slug=st.sampled_from(SLUGS),
        members=st.lists(st.sampled_from(LOGINS), max_size=3).map(tuple),
        paths=st.lists(st.sampled_from(PATTERNS), max_size=3).map(tuple),
        labels=st.lists(st.sampled_from(LABELS[3:]), max_size=2).map(tuple),
    ),
    max_size=3,
    unique_by=lambda t: t.slug,
)
goals = st.lists(
    st.builds(
        Goal,
        id=st.sampled_from(IDS),
        title=st.just("g"),
        team=st.sampled_from([*SLUGS, "ghost"]),
        quarter=st.sampled_from(["2026-Q3", "2026-Q4", "2027-Q1"]),
        issue=st.none() | st.integers(1, 6),
        status=st.sampled_from(["planned", "dropped"]),
        paths=st.lists(st.sampled_from(PATTERNS), max_size=2).map(tuple),
        labels=st.lists(st.sampled_from(LABELS), max_size=2).map(tuple),
        branches=st.lists(st.sampled_from(["a/", "zz", "c-d/y"]), max_size=2).map(tuple),
        scopes=st.lists(st.sampled_from(["api", "web"]), max_size=2).map(tuple),
        keywords=st.lists(st.sampled_from(["login", "fast path"]), max_size=2).map(tuple),
    ),
    max_size=5,
)
prs = st.builds(
    PullRequest,
    number=st.integers(1, 10_000),
    title=st.sampled_from(["t", "feat(api): login", "fix(web,api)!: a fast  path", "Login"]),
    author=st.sampled_from(LOGINS),
    co_authors=st.lists(st.sampled_from(LOGINS), max_size=2).map(tuple),
    merged_at=st.datetimes(
        min_value=datetime(2026, 6, 1), max_value=datetime(2027, 3, 31), timezones=st.just(UTC)
    ),
    body=st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=15), max_size=4).map("\n".join),
    branch=st.none() | st.sampled_from(["a/x", "c-d/y", "zz/a", "a", "t1/x"]),
    labels=st.lists(st.sampled_from(LABELS), max_size=3).map(tuple),
    paths=st.lists(st.sampled_from(PATHS), max_size=4).map(tuple),
    is_bot=st.booleans(),
    source=st.sampled_from(["git", "github"]),
    closing_issues=st.lists(st.integers(1, 6), max_size=2).map(tuple),
    parent_issues=st.dictionaries(st.integers(1, 6), st.integers(1, 6), max_size=2).map(
        MappingProxyType
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    prs=st.lists(prs, max_size=8),
    teams=teams,
    goals=goals,
    tz=st.sampled_from(["UTC", "Europe/London", "America/New_York"]),
)
def test_every_pr_lands_in_exactly_one_bucket(
    prs: list[PullRequest], teams: list[Team], goals: list[Goal], tz: str
) -> None:
    config = Config(teams=tuple(teams), goals=tuple(goals))
    links = link_all(prs, config, tz=tz)
    assert [lk.pr for lk in links] == prs
    slugs = {t.slug for t in teams}
    for found in links:
        assert found.reason
        assert (found.goal_id is not None) == (found.rule in GOAL_RULES) == found.planned
        if found.goal_id is not None:
            assert any(g.id == found.goal_id and g.team == found.team for g in goals)
            if found.rule.startswith("goal-"):  # declared: only goals of the merge quarter
                quarter = quarter_of(found.pr.merged_at, tz)
                assert any(
                    g.id == found.goal_id and g.quarter == quarter and g.status != "dropped"
                    for g in goals
                )
            elif found.rule != "reference":  # a reference picks its goal by issue, not id
                chosen = resolve_goal(config, found.goal_id, quarter_of(found.pr.merged_at, tz))
                assert chosen is not None
                assert found.team == chosen.team
        elif found.rule in TEAM_RULES:
            assert found.team in slugs
        else:
            assert (found.rule, found.team) == ("none", None)


def test_references_to_another_repository_are_not_this_ones_issue_numbers() -> None:
    refs = parse_references("Fixes acme/web#12, part of #7; Goal: acme/sdk#3")
    assert refs.issues == (7,)
