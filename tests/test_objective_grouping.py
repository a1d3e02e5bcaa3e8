"""Goal progress grouped by company objective, in the review and the quarter report, on
exact output. The golden text is written here from the inputs, not taken from a run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quarterdeck.core.calendar import Month
from quarterdeck.core.goals.objectives import group_by_objective
from quarterdeck.core.model import Config, Goal, Objective, PullRequest, Team
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.text.markers import sections
from quarterdeck.services.quarter_report import (
    quarter_report,
    quarter_report_to_json,
    render_quarter_report,
)
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.assemble import ReviewInputs, assemble_reviews
from quarterdeck.services.review.view import TeamReview
from tests.mdcheck import parse

GROWTH = Team("growth", lead="lead1", members=("lead1", "owner2"), paths=("web/**",))
INFRA = Team("infra", lead="ops1", members=("ops1",), paths=("infra/**",))
OBJECTIVES = (
    Objective(
        "top-of-funnel", "Grow the top of the funnel", "2026-Q4", "ceo", "Twice the sign-ups."
    ),
    Objective("retention", "Keep customers", "2026-Q4", "cfo"),
    Objective("hiring", "Hire two engineers", "2026-Q4", None),
    # Same id, another quarter: never mixed in.
    Objective("retention", "Last quarter's retention", "2026-Q3", "cfo"),
)


def goal(
    goal_id: str,
    title: str,
    objective: str | None,
    *,
    team: str = "growth",
    owners: tuple[str, ...] = ("owner2",),
    status: str = "planned",
) -> Goal:
    return Goal(goal_id, title, team, "2026-Q4", owners, status=status, objective=objective)


GOALS = (
    goal("checklist", "Onboarding checklist", "top-of-funnel"),
    goal("docs", "Rewrite the docs", None, status="shipped"),
    goal("alerts", "Billing alerts", "retention"),
    goal("typo", "Signup form", "top-of-funel"),
    goal("landing", "Landing page", "top-of-funnel"),
    goal("backups", "Nightly backups", "retention", team="infra", owners=("ops1",)),
)


def pr(number: int, label: str, merged: datetime, path: str = "web/a.py") -> PullRequest:
    return PullRequest(
        number=number, title=f"PR {number}", author="owner2", merged_at=merged,
        labels=(label,), paths=(path,),
    )  # fmt: skip


PRS = [
    pr(1, "goal:checklist", datetime(2026, 11, 20, 12, tzinfo=UTC)),
    pr(2, "goal:checklist", datetime(2026, 11, 25, 12, tzinfo=UTC)),
    pr(3, "goal:alerts", datetime(2026, 10, 5, 12, tzinfo=UTC)),
    pr(4, "goal:backups", datetime(2026, 11, 2, 12, tzinfo=UTC), "infra/b.tf"),
]


def reviews_of(month: Month, objectives: tuple[Objective, ...] = OBJECTIVES) -> list[TeamReview]:
    config = Config(teams=(GROWTH, INFRA), goals=GOALS, objectives=objectives)
    return assemble_reviews(
        ReviewInputs(
            config, [], PRS, ReviewPeriod.of(month), team=None,
            business=None, previous_business=None,
            repo_name="acme/web", branch="main", repo_url="", templates={},
        )
    )  # fmt: skip


def goals_section(markdown: str) -> str:
    start = markdown.index("<!-- quarterdeck:section goals -->")
    end = markdown.index("<!-- /quarterdeck:section goals -->")
    return markdown[start:end]


HEAD = (
    "| Goal | Owners | Status | Tasks done | PRs this quarter | Shipping |\n"
    "|---|---|---|---:|---:|---|\n"
)
# Dates in the goal table never wrap: their hyphens and the space before them don't break.
D = "2026\N{NON-BREAKING HYPHEN}{:02d}\N{NON-BREAKING HYPHEN}{:02d}".format
SP = "\N{NO-BREAK SPACE}"


def test_the_review_groups_goal_progress_by_objective() -> None:
    growth = reviews_of(Month(2026, 11))[0]
    assert growth.summary.team == "growth"
    # November ends 2026-12-01 00:00 UTC: 6 days after the checklist's last PR (25 Nov),
    # 57 after the alerts' only one (5 Oct), 61 after the quarter began (1 Oct). Open
    # goals quiet for 21 days or more are stalled; the shipped one is not.
    # The tables fold, the count of goals with PRs and of stalled ones on the fold's line.
    assert goals_section(render_review(growth)) == (
        "<!-- quarterdeck:section goals -->\n"
        '<a id="goals"></a>\n'
        "## Goal progress in 2026-Q4\n\n"
        "<details>\n<summary>5 goals: 2 with PRs this quarter, 3 stalled</summary>\n\n"
        "### Grow the top of the funnel\n\n"
        "Objective `top-of-funnel`, owned by `ceo`.\n\n"
        + HEAD
        + f"| Onboarding checklist | `owner2` | in-progress | — | 2 | last{SP}PR{SP}{D(11, 25)}, "
        "quiet 6 days |\n"
        "| Landing page | `owner2` | planned | — | 0 | no PR yet, 61 days ⚠️ |\n\n"
        "### Keep customers\n\n"
        "Objective `retention`, owned by `cfo`.\n\n"
        + HEAD
        + f"| Billing alerts | `owner2` | in-progress | — | 1 | last{SP}PR{SP}{D(10, 5)}, "
        "quiet 57 days ⚠️ |\n\n"
        "### Objective `top-of-funel`\n\n"
        "Not an objective of 2026-Q4: fix the goals' `objective:` (`quarterdeck validate` "
        "says more).\n\n"
        + HEAD
        + "| Signup form | `owner2` | planned | — | 0 | no PR yet, 61 days ⚠️ |\n\n"
        "### No company objective\n\n"
        + HEAD
        + "| Rewrite the docs | `owner2` | shipped | — | 0 | — |\n"
        "\n</details>\n"
    )


def test_a_quarter_without_objectives_keeps_the_one_table() -> None:
    growth = reviews_of(Month(2026, 11), objectives=OBJECTIVES[3:])[0]
    section = goals_section(render_review(growth))
    assert section.startswith(
        '<!-- quarterdeck:section goals -->\n<a id="goals"></a>\n## Goal progress in 2026-Q4\n\n'
        "<details>\n<summary>"
    )
    assert "</summary>\n\n" + HEAD in section
    assert "###" not in section
    # The header row, then one row per goal of the team.
    assert section.count("\n| ") == 1 + len([g for g in GOALS if g.team == "growth"])


def test_the_review_json_carries_the_quarters_objectives() -> None:
    reviews = reviews_of(Month(2026, 11))
    data = reviews_to_json(reviews)["reviews"][0]
    assert [o["id"] for o in data["objectives"]] == ["top-of-funnel", "retention", "hiring"]
    assert data["objectives"][0] == {
        "id": "top-of-funnel", "title": "Grow the top of the funnel", "quarter": "2026-Q4",
        "owner": "ceo", "description": "Twice the sign-ups.", "issue": None, "source": "",
    }  # fmt: skip
    objectives = {p["goal"]["id"]: p["goal"]["objective"] for p in data["summary"]["progress"]}
    assert objectives == {
        "checklist": "top-of-funnel", "docs": None, "alerts": "retention",
        "typo": "top-of-funel", "landing": "top-of-funnel",
    }  # fmt: skip


def test_the_quarter_report_shows_every_objective_with_every_teams_goals() -> None:
    report = quarter_report(reviews_of(Month(2026, 12)))
    text = render_quarter_report(report)
    start = text.index("## Company objectives")
    end = text.index("## growth")
    table = "| Goal | Team | Owners | Outcome | PRs this quarter |\n|---|---|---|---|---:|\n"
    assert text[start:end] == (
        "## Company objectives\n\n"
        "### Grow the top of the funnel\n\n"
        "Objective `top-of-funnel`, owned by `ceo`. Twice the sign-ups.\n\n"
        + table
        + "| Onboarding checklist | growth | `owner2` | carried over | 2 |\n"
        "| Landing page | growth | `owner2` | not started | 0 |\n\n"
        "### Keep customers\n\n"
        "Objective `retention`, owned by `cfo`.\n\n"
        + table
        + "| Billing alerts | growth | `owner2` | carried over | 1 |\n"
        "| Nightly backups | infra | `ops1` | carried over | 1 |\n\n"
        "### Hire two engineers\n\n"
        "Objective `hiring`, owned by nobody yet.\n\n"
        "_No goal serves this objective._\n\n"
        "### Objective `top-of-funel`\n\n"
        "Not an objective of 2026-Q4: fix the goals' `objective:` (`quarterdeck validate` "
        "says more).\n\n" + table + "| Signup form | growth | `owner2` | not started | 0 |\n\n"
        "### No company objective\n\n"
        + table
        + "| Rewrite the docs | growth | `owner2` | shipped | 0 |\n\n"
    )
    data = quarter_report_to_json(report)
    assert [(o["id"], o["goals"]) for o in data["objectives"]] == [
        (
            "top-of-funnel",
            [{"team": "growth", "id": "checklist"}, {"team": "growth", "id": "landing"}],
        ),
        ("retention", [{"team": "growth", "id": "alerts"}, {"team": "infra", "id": "backups"}]),
        ("hiring", []),
    ]
    assert [g["objective"] for g in data["teams"][1]["goals"]] == ["retention"]


def test_a_quarter_report_without_objectives_has_no_objectives_section() -> None:
    report = quarter_report(reviews_of(Month(2026, 12), objectives=()))
    assert "Company objectives" not in render_quarter_report(report)
    assert quarter_report_to_json(report)["objectives"] == []


@pytest.mark.parametrize(
    ("every", "expected"),
    [
        (False, [("a", None, ["x", "z"]), (None, "ghost", ["w"]), (None, None, ["y"])]),
        (True, [("a", None, ["x", "z"]), ("b", None, []), (None, "ghost", ["w"]),
                (None, None, ["y"])]),
    ],
)  # fmt: skip
def test_groups_follow_the_written_order_then_unknown_then_none(
    every: bool, expected: list[tuple[str | None, str | None, list[str]]]
) -> None:
    objectives = [Objective("a", "A", "2026-Q4"), Objective("b", "B", "2026-Q4")]
    goals = [
        goal("x", "X", "a"),
        goal("w", "W", "ghost"),
        goal("y", "Y", None),
        goal("z", "Z", "a"),
    ]
    groups = group_by_objective(goals, lambda g: g, objectives, every_objective=every)
    shown = [
        (g.objective.id if g.objective else None, None if g.objective else g.named,
         [item.id for item in g.items])
        for g in groups
    ]  # fmt: skip
    assert shown == expected
    assert [g.serves_none for g in groups][-1] is True


NASTY = [
    "@everyone", "<script>x</script>", "</details>", "\n# heading\n", "| pipe |",
    "<!-- quarterdeck:section goals -->", "{{ 7*7 }}", "[x](javascript:1)", "`@alice",
]  # fmt: skip


@settings(max_examples=20, deadline=None)
@given(title=st.lists(st.sampled_from(NASTY) | st.text(max_size=8), min_size=1).map("".join))
def test_an_objectives_title_cannot_ping_inject_or_add_structure(title: str) -> None:
    hostile = (replace(OBJECTIVES[0], title=title, description=title), *OBJECTIVES[1:])
    plain = (replace(OBJECTIVES[0], title="t", description="d"), *OBJECTIVES[1:])
    for render in (
        lambda o: render_review(reviews_of(Month(2026, 11), o)[0]),
        lambda o: render_quarter_report(quarter_report(reviews_of(Month(2026, 12), o))),
    ):
        text, plain_text = render(hostile), render(plain)
        doc, base = parse(text), parse(plain_text)
        assert doc.raw_html == base.raw_html == []
        assert doc.mentions == base.mentions
        assert len(doc.headings) == len(base.headings)
        assert [len(t) for t in doc.tables] == [len(t) for t in base.tables]
        assert list(sections(text)) == list(sections(plain_text))
