"""Goals tracked as issues: read through the real PyGithub from the shared fake GitHub."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quarterdeck.core.goals.goal_issues import (
    IssueSnapshot,
    count_tasks,
    goal_id_of,
    goals_from_issues,
    merge_goals,
    slugify,
)
from quarterdeck.core.model import Config, Goal, Team
from quarterdeck.core.review.progress import goal_progress
from quarterdeck.errors import Problem
from quarterdeck.sources.github.goal_listing import read_goal_issues
from tests.fakegithub import FakeGitHub

CONFIG = Config(teams=(Team("growth", members=("alice",)), Team("analytics")))

SHIP_BODY = """\
Why: onboarding loses half the sign-ups.

## What we'll ship

- [x] New welcome screen
- [ ] Checklist
  - [X] nested item, done
* [ ] another bullet style

## Notes

- [ ] not part of the ship list
"""


def test_goal_issues_are_read_with_owners_labels_tasks_and_status(github: FakeGitHub) -> None:
    fake = github.add_repo("acme/web")
    github.add_issue(
        fake,
        "Onboarding checklist",
        body=SHIP_BODY,
        labels=["goal", "quarter:2026-Q4", "team:growth"],
        assignees=["alice", "bob"],
    )
    github.add_issue(fake, "Not a goal", labels=["bug"])
    closed = github.add_issue(
        fake,
        "Retire legacy export",
        body="id: legacy-export\n",
        labels=["goal", "quarter:2026-Q4", "team:analytics"],
    )
    closed.update(state="closed", state_reason="not_planned")
    repo = github.client().get_repo("acme/web")
    calls_before = len(github.calls)

    goals = read_goal_issues(repo, CONFIG)

    assert goals == [
        Goal(
            id="onboarding-checklist",
            title="Onboarding checklist",
            team="growth",
            quarter="2026-Q4",
            owners=("alice", "bob"),
            issue=1,
            status="in-progress",
            tasks_done=2,
            tasks_total=4,
        ),
        Goal(
            id="legacy-export",
            title="Retire legacy export",
            team="analytics",
            quarter="2026-Q4",
            issue=3,
            status="dropped",
        ),
    ]
    # One listing of the goal label, state=all; no request per issue.
    assert len(github.calls) - calls_before == 1
    listing = github.calls[-1]
    assert listing.path == "/repos/acme/web/issues"
    assert (listing.query["labels"], listing.query["state"]) == (["goal"], ["all"])
    assert github.writes == []


def test_issues_missing_quarter_or_team_labels_are_reported_not_dropped(
    github: FakeGitHub,
) -> None:
    fake = github.add_repo("acme/web")
    github.add_issue(fake, "No quarter", labels=["goal", "team:growth"])
    github.add_issue(fake, "No team", labels=["goal", "quarter:2026-Q4"])
    github.add_issue(fake, "Complete", labels=["goal", "quarter:2026-Q4", "team:growth"])
    github.add_issue(fake, "Unknown team", labels=["goal", "quarter:2026-Q4", "team:ghosts"])
    problems: list[Problem] = []

    goals = read_goal_issues(github.client().get_repo("acme/web"), CONFIG, problems=problems)

    assert [g.title for g in goals] == ["Complete", "Unknown team"]
    assert [(p.file, p.key, p.severity) for p in problems] == [
        ("issue #1", "quarter:YYYY-Qn", "error"),
        ("issue #2", "team:<slug>", "error"),
        ("issue #4", "team:<slug>", "warning"),
    ]
    assert "add one (e.g. `quarter:2026-Q4`)" in problems[0].message
    assert str(problems[1]).startswith(
        "issue #2: team:<slug>: goal issue 'No team' has no `team:<slug>` label"
    )


def test_problems_are_logged_when_the_caller_does_not_collect_them(
    github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github.add_repo("acme/web")
    github.add_issue(fake, "No quarter", labels=["goal", "team:growth"])

    assert read_goal_issues(github.client().get_repo("acme/web"), CONFIG) == []
    assert "issue #1: quarter:YYYY-Qn:" in caplog.text


def test_pull_requests_in_the_issue_listing_are_skipped(github: FakeGitHub) -> None:
    fake = github.add_repo("acme/web")
    pr = github.add_issue(fake, "A PR", labels=["goal", "quarter:2026-Q4", "team:growth"])
    pr["html_url"] = "https://github.com/acme/web/pull/1"

    assert read_goal_issues(github.client().get_repo("acme/web"), CONFIG) == []
    assert len(github.calls) == 2  # the repo, one listing: no hidden GET per item


def test_a_custom_goal_label_and_status_label() -> None:
    config = Config(teams=CONFIG.teams, goal_label="Objective")
    issue = IssueSnapshot(
        1,
        "Ship it",
        "",
        "open",
        labels=("objective", "quarter:2026-q4", "team:growth", "status:carried-over"),
    )

    goals, problems = goals_from_issues([issue], config)

    assert problems == []
    assert (goals[0].quarter, goals[0].status) == ("2026-Q4", "carried-over")


@pytest.mark.parametrize(
    ("body", "title", "expected"),
    [
        ("<!-- quarterdeck:goal id=funnel-v2 -->\nid: other", "X", ("funnel-v2", True)),
        ("Intro\n\nid: funnel-v2\n", "Rebuild funnels", ("funnel-v2", True)),
        ("```\nid: in-code\n```\n", "Rebuild funnels!", ("rebuild-funnels", False)),
        ("", "Ünïcode 🚀 & symbols — only", ("n-code-symbols-only", False)),
        ("", "🚀🚀", ("issue-7", False)),
    ],
)
def test_goal_id_rule(body: str, title: str, expected: tuple[str, bool]) -> None:
    assert goal_id_of(IssueSnapshot(7, title, body, "open")) == expected


def test_slug_is_cut_at_a_hyphen_within_forty_characters() -> None:
    slug = slugify("Make the onboarding checklist work for every single plan we sell", 1)
    assert slug == "make-the-onboarding-checklist-work-for"
    assert len(slug) <= 40


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (SHIP_BODY, (2, 4)),
        ("**What we’ll ship**\n- [x] a\n- [x] b\n", (2, 2)),
        ("### What we'll ship:\n\n1. [ ] a\n#### detail\n- [x] b\n## Next\n- [x] c", (1, 2)),
        ("- [x] a task list without the heading\n", None),
        ("## What we'll ship\n\nNothing yet.\n", None),
        ("## What we'll ship\n```\n- [x] in a code block\n```\n- [ ] real\n", (0, 1)),
    ],
)
def test_what_we_ll_ship_task_list(body: str, expected: tuple[int, int] | None) -> None:
    assert count_tasks(body) == expected


def test_closed_as_completed_is_shipped_and_duplicate_ids_are_kept_apart() -> None:
    labels = ("goal", "quarter:2026-Q4", "team:growth")
    issues = [
        IssueSnapshot(5, "Funnels", "", "closed", labels, state_reason="completed"),
        IssueSnapshot(9, "Funnels", "", "open", labels),
    ]

    goals, problems = goals_from_issues(issues, CONFIG)

    assert [(g.id, g.status) for g in goals] == [("funnels", "shipped"), ("funnels-9", "planned")]
    assert (problems[0].file, problems[0].severity) == ("issue #9", "warning")


# ---------------------------------------------------------------------------- merging

FILE_GOALS = (
    Goal("funnel-v2", "Rebuild funnels", "analytics", "2026-Q4", owners=("carol",), issue=12),
    Goal("onboarding", "Onboarding checklist", "growth", "2026-Q4"),
    Goal("pricing", "New pricing page", "growth", "2026-Q4", status="in-progress"),
)


def test_merge_precedence_file_wins_issue_fills_in() -> None:
    config = Config(teams=CONFIG.teams, goals=FILE_GOALS)
    issue_goals = [
        # issue #12 is funnel-v2 (file says `issue: 12`): file's id, title, owners win
        Goal("renamed", "Retitled", "growth", "2026-Q1", ("dan",), 12, "", "shipped", 3, 5),
        # matched by id (the marker goals sync writes): owners and number fill in
        Goal("onboarding", "Onboarding", "growth", "2026-Q4", ("alice",), 20, status="planned"),
        # status from the issue does not override a file's explicit status
        Goal("pricing", "Pricing", "growth", "2026-Q4", issue=21, status="shipped"),
        # only on GitHub: added, its id kept apart from the file's funnel-v2
        Goal("funnel-v2", "Another funnel", "analytics", "2026-Q4", issue=30),
    ]

    merged = merge_goals(config, issue_goals).goals

    assert merged == (
        Goal(
            "funnel-v2",
            "Rebuild funnels",
            "analytics",
            "2026-Q4",
            ("carol",),
            12,
            status="shipped",
            tasks_done=3,
            tasks_total=5,
        ),
        Goal("onboarding", "Onboarding checklist", "growth", "2026-Q4", ("alice",), 20),
        Goal("pricing", "New pricing page", "growth", "2026-Q4", issue=21, status="in-progress"),
        Goal("funnel-v2-30", "Another funnel", "analytics", "2026-Q4", issue=30),
    )
    assert len({g.id for g in merged}) == len(merged)


def test_an_issue_named_by_issue_n_is_not_taken_by_an_id_match() -> None:
    config = Config(
        goals=(
            Goal("a", "A", "growth", "2026-Q4"),  # same id as issue #4, but #4 is b's
            Goal("b", "B", "growth", "2026-Q4", issue=4),
        )
    )
    merged = merge_goals(config, [Goal("a", "Issue four", "growth", "2026-Q4", issue=4)]).goals

    assert [(g.id, g.issue) for g in merged] == [("a", None), ("b", 4)]


def test_goal_progress_carries_the_task_counts() -> None:
    goal = Goal("g", "G", "growth", "2026-Q4", tasks_done=1, tasks_total=3)
    start = datetime(2026, 10, 1, tzinfo=UTC)

    progress = goal_progress(goal, [], start, datetime(2026, 11, 1, tzinfo=UTC))

    assert (progress.tasks_done, progress.tasks_total) == (1, 3)
