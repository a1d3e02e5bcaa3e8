"""`quarterdeck plan`: the next quarter's planning issue per team, and its goals file stub."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.goals.planning_issue import (
    landed_goals_files,
    planning_window,
    quarter_to_plan,
    yaml_fence,
)
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import GOALS, at, small_repo

# 2026-Q4 with every outcome: funnels carries over (PR 3, not marked shipped),
# onboarding shipped (PR 2), export dropped, and billing never started.
Q4 = (
    GOALS.replace("  owners: [carol]\n", "  owners: [carol]\n  status: shipped\n", 1)
    + "- id: export\n  title: Export to CSV\n  team: analytics\n  owners: [bob]\n"
    "  status: dropped\n"
    + "- id: billing\n  title: Billing alerts\n  team: growth\n  owners: [carol]\n"
)
OBJECTIVES = """\
- id: top-of-funnel
  title: Grow the top of the funnel
  owner: erin
  description: More sign-ups.
"""


@pytest.fixture
def quarter_repo(tmp_path: Path) -> GitRepo:
    repo = small_repo(tmp_path / "web")
    files = {"goals/2026-Q4.yml": Q4, "objectives/2027-Q1.yml": OBJECTIVES}
    repo.commit("Every outcome", files, date=at("2026-11-30T12:00Z"))
    return repo


def _plans(out: str) -> dict[str, str]:
    bodies = out.split("\n---\n\n")
    return {body.split("team=")[1].split(" ")[0]: body for body in bodies}


def test_plan_shows_each_goal_outcome_with_its_prs(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--quarter", "2027-Q1", "--repo", str(quarter_repo.path)]) == 0

    plans = _plans(capsys.readouterr().out)
    assert sorted(plans) == ["analytics", "growth"]
    analytics = parse(plans["analytics"])
    assert analytics.headings == [
        "Planning 2027-Q1: analytics",
        "How 2026-Q4 went",
        "The reviews' decisions",
        "Company objectives for 2027-Q1",
        "Team size",
        "The goals file",
        "Notes from the planning meeting",
    ]
    pull = "https://github.com/acme/web/pull"
    assert analytics.tables[0] == [
        ["Goal", "Owners", "Outcome", "PRs", "Why"],
        [
            "Funnels v2",
            "`alice`",
            "carried over",
            f"[#3]({pull}/3)",
            "1 PR shipped, not marked shipped",
        ],
        ["Export to CSV", "`bob`", "dropped", "—", "status: dropped"],
    ]
    growth = parse(plans["growth"])
    assert growth.tables[0][1:] == [
        ["Onboarding checklist", "`carol`", "shipped", f"[#2]({pull}/2)", "status: shipped"],
        ["Billing alerts", "`carol`", "not started", "—", "no PR linked this quarter"],
    ]
    text = plans["analytics"]
    assert plans["analytics"].startswith(
        "<!-- quarterdeck:plan team=analytics quarter=2027-Q1 -->\n"
    )
    assert "- Grow the top of the funnel (`top-of-funnel`, owned by `erin`)" in text
    # alice and bob (pat, the PM, too): three people, within six.
    assert "analytics has 3 people: within the 6 a team works best at (split at 7)." in text
    assert "recorded on their review issues on GitHub (labels `decision:continue` and" in text


def test_plan_flags_a_team_over_six(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (quarter_repo.path / ".github" / "quarterdeck.yml").read_text()
    members = "members: [carol, d1, d2, d3, d4, d5, d6]"
    quarter_repo.commit(
        "Big team",
        {".github/quarterdeck.yml": config.replace("members: [carol]", members)},
        date=at("2026-11-30T13:00Z"),
    )
    assert main(["plan", "--quarter", "2027-Q1", "--repo", str(quarter_repo.path)]) == 0

    growth = _plans(capsys.readouterr().out)["growth"]
    # carol and six more, with quinn the PM: eight people.
    assert "growth has 8 people, more than 6: split the team before planning 2027-Q1." in growth


def test_the_stub_carries_over_unfinished_goals_and_validates(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--quarter", "2027-Q1", "--repo", str(quarter_repo.path)]) == 0
    body = _plans(capsys.readouterr().out)["growth"]
    assert "Commit this as `goals/2027-Q1.yml`" in body
    stub = body.split("```yaml\n", 1)[1].split("\n```", 1)[0] + "\n"

    goals = yaml.safe_load(stub)
    # shipped and dropped goals stay behind; the in-progress and never-started ones move.
    assert [(g["id"], g["status"]) for g in goals] == [
        ("funnels", "carried-over"),
        ("billing", "carried-over"),
    ]
    assert "issue" not in goals[0]  # issue 12 stays with 2026-Q4
    quarter_repo.commit("Plan 2027-Q1", {"goals/2027-Q1.yml": stub}, date=at("2026-12-20T12:00Z"))
    assert main(["validate", "--repo", str(quarter_repo.path)]) == 0
    assert "error" not in capsys.readouterr().err


def test_plan_of_a_quarter_whose_previous_has_not_begun_fails_clearly(
    quarter_repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--quarter", "2031-Q1", "--repo", str(quarter_repo.path)]) == 1
    assert "2030-Q4 has not started yet" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "fence"),
    [("- id: a\n", "```"), ("- title: 'a ``` b'\n", "````"), ("x: '`````'\n", "``````")],
)
def test_the_stub_fence_outlasts_any_backtick_run(text: str, fence: str) -> None:
    block = yaml_fence(text)
    assert block.startswith(fence + "yaml\n")
    assert block.endswith("\n" + fence)
    assert block[len(fence) + 5 : -len(fence) - 1] == text.rstrip("\n")


@pytest.mark.parametrize(
    ("today", "quarter"),
    [(Month(2026, 12), "2027-Q1"), (Month(2027, 1), "2027-Q1"), (Month(2027, 2), "2027-Q1"),
     (Month(2027, 3), "2027-Q2"), (Month(2026, 9), "2026-Q4")],
)  # fmt: skip
def test_the_quarter_to_plan_is_the_next_in_a_quarters_last_month(
    today: Month, quarter: str
) -> None:
    assert quarter_to_plan(today) == quarter


@pytest.mark.parametrize(
    ("quarter", "window"),
    [("2027-Q1", ("2026-12-18", "2026-12-31")), ("2026-Q2", ("2026-03-18", "2026-03-31")),
     ("2026-Q3", ("2026-06-17", "2026-06-30")), ("2024-Q2", ("2024-03-18", "2024-03-31"))],
)  # fmt: skip
def test_the_planning_window_is_the_last_two_weeks_before_the_quarter(
    quarter: str, window: tuple[str, str]
) -> None:
    first, last = planning_window(quarter)
    assert (first.isoformat(), last.isoformat()) == window


@pytest.mark.parametrize(
    ("commits", "folder", "landed"),
    [
        ([{"added": ["goals/2027-Q1.yml"]}], "goals", {"2027-Q1": "goals/2027-Q1.yml"}),
        ([{"added": ["goals/2027-Q1.yml"]}, {"removed": ["goals/2027-Q1.yml"]}], "goals", {}),
        ([{"modified": ["plans/2027-Q1.yaml"]}], "goals", {}),
        ([{"modified": ["plans/2027-Q1.yaml"]}], None, {"2027-Q1": "plans/2027-Q1.yaml"}),
        ([{"added": ["goals/2027-Q1.md", "goals/notes.yml", "README.md"]}], None, {}),
    ],
)
def test_a_push_lands_a_quarters_goals_file_only_if_it_stays(
    commits: list[dict[str, list[str]]], folder: str | None, landed: dict[str, str]
) -> None:
    assert landed_goals_files(commits, folder) == landed
