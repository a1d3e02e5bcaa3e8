"""Company objectives: objectives files and the config's `objectives:` list, goals'
`objective:` references, and `validate`'s messages, each exact to file, line and key."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from quarterdeck.core.config import build_config
from quarterdeck.core.goals.goal_issues import (
    IssueSnapshot,
    goals_from_issues,
    merge_goal,
    merge_objectives,
    objectives_from_issues,
)
from quarterdeck.core.model import Config, Goal, Objective
from quarterdeck.errors import ConfigError
from quarterdeck.sources.github.goal_listing import load_config_with_goal_issues
from quarterdeck.sources.repo_files import load_repo_config
from tests.fakegithub import FakeGitHub

CFG = ".github/quarterdeck.yml"
Q4 = "goals/2026-Q4.yml"
OQ3 = "objectives/2026-Q3.yml"
OQ4 = "objectives/2026-Q4.yml"

TEAM = """\
teams:
  analytics:
    lead: alice
    members: [alice, carol]
"""
# Lines: 1 id, 2 title, 3 owner, 4 description; 5 id, 6 title, 7 owner.
OBJECTIVES = """\
- id: top-of-funnel
  title: Grow the top of the funnel
  owner: ceo
  description: Twice the sign-ups by December.
- id: retention
  title: Keep the customers we have
  owner: cfo
"""
# Lines: 1 id, 2 title, 3 team, 4 owners, 5 objective.
GOAL = """\
- id: funnel-v2
  title: Faster funnels
  team: analytics
  owners: [carol]
  objective: {objective}
"""


def problems_of(
    config: str | None,
    objectives: dict[str, str],
    goals: dict[str, str] | None = None,
) -> list[str]:
    """Every problem build_config reports, rendered as `validate` prints it."""
    pair = (CFG, textwrap.dedent(config)) if config is not None else None
    files = [(name, text) for name, text in (goals or {}).items()]
    try:
        _, warnings = build_config(pair, files, objective_files=list(objectives.items()))
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings]


def test_objectives_files_and_the_config_list_become_objectives() -> None:
    config = TEAM + (
        "objectives:\n  - {id: hiring, title: Hire two engineers, owner: cto, quarter: 2026-Q4}\n"
    )
    goals = [(Q4, GOAL.format(objective="retention"))]
    cfg, warnings = build_config((CFG, config), goals, objective_files=[(OQ4, OBJECTIVES)])
    assert warnings == []
    assert cfg.objectives == (
        Objective(
            "top-of-funnel",
            "Grow the top of the funnel",
            "2026-Q4",
            "ceo",
            "Twice the sign-ups by December.",
            source=OQ4,
        ),
        Objective("retention", "Keep the customers we have", "2026-Q4", "cfo", source=OQ4),
        Objective("hiring", "Hire two engineers", "2026-Q4", "cto", source=CFG),
    )
    assert cfg.objectives_of("2026-Q3") == ()
    assert [o.id for o in cfg.objectives_of("2026-Q4")] == ["top-of-funnel", "retention", "hiring"]
    assert cfg.goals[0] == Goal(
        "funnel-v2", "Faster funnels", "analytics", "2026-Q4", ("carol",), objective="retention"
    )


PROBLEMS = [
    pytest.param(
        None,
        {OQ4: OBJECTIVES.replace("  owner: ceo", "  ownr: ceo")},
        None,
        [
            f"{OQ4}:1: top-of-funnel.owner: missing required key 'owner'",
            f"{OQ4}:3: top-of-funnel.ownr: unknown key 'ownr'; did you mean 'owner'?",
        ],
        id="unknown-key-and-missing-owner",
    ),
    pytest.param(
        None,
        {OQ4: OBJECTIVES.replace("owner: ceo", "owner: '@ceo'")},
        None,
        [
            f"{OQ4}:3: top-of-funnel.owner: '@ceo' is not a GitHub login: write the login "
            "alone, without '@', e.g. alice or alice-smith"
        ],
        id="owner-with-at-sign",
    ),
    pytest.param(
        None,
        {OQ4: OBJECTIVES.replace("owner: cfo", "owner: [cfo, ceo]")},
        None,
        [f"{OQ4}:7: retention.owner: expected text, got a list"],
        id="owner-is-one-login",
    ),
    pytest.param(
        None,
        {OQ4: OBJECTIVES.replace("id: retention", "id: Retention Now")},
        None,
        [
            f"{OQ4}:5: [1].id: 'Retention Now' is not a valid id: use lowercase letters, "
            "digits and hyphens, e.g. product-analytics"
        ],
        id="id-not-a-slug",
    ),
    pytest.param(
        None,
        {OQ4: OBJECTIVES.replace("id: retention", "id: top-of-funnel")},
        None,
        [
            f"{OQ4}:5: top-of-funnel.id: duplicate objective id 'top-of-funnel' in 2026-Q4 "
            f"(first at {OQ4}:1); give each objective its own id"
        ],
        id="duplicate-id-in-a-file",
    ),
    pytest.param(
        TEAM
        + "objectives:\n"
        + "  - id: retention\n"
        + "    title: Retention again\n"
        + "    owner: cto\n"
        + "    quarter: 2026-Q4\n",
        {OQ4: OBJECTIVES},
        None,
        [
            f"{CFG}:6: objectives[0].id: duplicate objective id 'retention' in 2026-Q4 "
            f"(first at {OQ4}:5); give each objective its own id"
        ],
        id="duplicate-id-across-file-and-config",
    ),
    pytest.param(
        None,
        {OQ3: OBJECTIVES, OQ4: OBJECTIVES},
        None,
        [],
        id="same-ids-in-two-quarters-are-fine",
    ),
    pytest.param(
        TEAM + "objectives:\n  - {id: hiring, title: Hire, owner: cto}\n",
        {},
        None,
        [f"{CFG}:6: objectives[0].quarter: missing required key 'quarter'"],
        id="config-objective-without-quarter",
    ),
    pytest.param(
        TEAM + "objectives:\n  - {id: hiring, title: Hire, owner: cto, quarter: 2026-Q5}\n",
        {},
        None,
        [
            f"{CFG}:6: objectives[0].quarter: '2026-Q5' is not a quarter: write YYYY-Qn, "
            "e.g. 2026-Q4"
        ],
        id="config-objective-bad-quarter",
    ),
    pytest.param(
        None,
        {"objectives/Q4.yml": OBJECTIVES},
        None,
        [
            "objectives/Q4.yml: objectives file name 'Q4.yml' does not name a quarter: "
            "rename it to YYYY-Qn.yml, e.g. 2026-Q4.yml"
        ],
        id="file-name-without-quarter",
    ),
    pytest.param(
        None,
        {OQ4: "objectives:\n" + textwrap.indent(OBJECTIVES, "  ")},
        None,
        [
            f"{OQ4}:1: expected a list of objectives, got a mapping; remove the "
            "`objectives:` line and start each objective with `- id:`"
        ],
        id="file-with-a-top-key",
    ),
    pytest.param(
        None,
        {OQ4: "- id: !!python/object/apply:os.system [echo]\n"},
        None,
        [
            f"{OQ4}:1: unreadable YAML value: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'"
        ],
        id="unsafe-tag",
    ),
    pytest.param(
        None,
        {
            OQ4: "- a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"  {n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
                for p, n in zip("abcdefg", "bcdefgh", strict=True)
            )
        },
        None,
        [
            f"{OQ4}: YAML aliases (*name) would expand this file by more than 10,000 values; "
            "write the values out instead of nesting aliases"
        ],
        id="alias-bomb",
    ),
    pytest.param(
        TEAM,
        {OQ4: OBJECTIVES},
        {Q4: GOAL.format(objective="top-of-funel")},
        [
            f"{Q4}:5: funnel-v2.objective: unknown objective 'top-of-funel' in 2026-Q4; "
            "did you mean 'top-of-funnel'?"
        ],
        id="goal-objective-typo",
    ),
    pytest.param(
        TEAM,
        {OQ4: OBJECTIVES},
        {Q4: GOAL.format(objective="world-peace")},
        [
            f"{Q4}:5: funnel-v2.objective: unknown objective 'world-peace' in 2026-Q4; "
            "2026-Q4's are: top-of-funnel, retention"
        ],
        id="goal-objective-unknown",
    ),
    pytest.param(
        TEAM,
        {OQ3: "- {id: old-aim, title: Last quarter's aim, owner: ceo}\n", OQ4: OBJECTIVES},
        {Q4: GOAL.format(objective="old-aim")},
        [
            f"{Q4}:5: funnel-v2.objective: objective 'old-aim' is one of 2026-Q3's, not of "
            "2026-Q4, the goal's quarter, so the goal serves no objective; name one of "
            f"2026-Q4's (top-of-funnel, retention) or add 'old-aim' to {OQ4} (warning)"
        ],
        id="goal-objective-of-another-quarter",
    ),
    pytest.param(
        TEAM,
        {},
        {Q4: GOAL.format(objective="top-of-funnel")},
        [
            f"{Q4}:5: funnel-v2.objective: 2026-Q4 has no objectives in {OQ4} or in "
            f"`objectives:` of {CFG}; fine if 'top-of-funnel' is an `objective` issue (read in "
            f"GitHub mode), else add it to {OQ4} (warning)"
        ],
        id="goal-objective-when-the-quarter-has-none",
    ),
    pytest.param(
        TEAM,
        {OQ4: OBJECTIVES},
        {Q4: GOAL.format(objective="Top Of Funnel")},
        [
            f"{Q4}:5: funnel-v2.objective: 'Top Of Funnel' is not a valid id: use lowercase "
            "letters, digits and hyphens, e.g. product-analytics"
        ],
        id="goal-objective-not-a-slug",
    ),
]


@pytest.mark.parametrize(("config", "objectives", "goals", "expected"), PROBLEMS)
def test_objective_problems_are_exact(
    config: str | None,
    objectives: dict[str, str],
    goals: dict[str, str] | None,
    expected: list[str],
) -> None:
    assert problems_of(config, objectives, goals) == expected


def test_the_objectives_folder_is_a_setting(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "quarterdeck.yml").write_text(
        TEAM + "goals:\n  objectives: company/aims\n", encoding="utf-8"
    )
    (tmp_path / "company" / "aims").mkdir(parents=True)
    (tmp_path / "company" / "aims" / "2026-Q4.yml").write_text(OBJECTIVES, encoding="utf-8")
    (tmp_path / "company" / "aims" / "notes.txt").write_text("not YAML", encoding="utf-8")
    # The default folder is not read once another is configured.
    (tmp_path / "objectives").mkdir()
    (tmp_path / "objectives" / "2026-Q4.yml").write_text("- {id: x}\n", encoding="utf-8")
    (tmp_path / "goals").mkdir()
    (tmp_path / "goals" / "2026-Q4.yml").write_text(
        GOAL.format(objective="retentoin"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_repo_config(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{Q4}:5: funnel-v2.objective: unknown objective 'retentoin' in 2026-Q4; "
        "did you mean 'retention'?"
    ]
    (tmp_path / "goals" / "2026-Q4.yml").write_text(
        GOAL.format(objective="retention"), encoding="utf-8"
    )
    config, warnings = load_repo_config(tmp_path)
    assert warnings == []
    assert config.objectives_dir == "company/aims"
    assert [(o.id, o.source) for o in config.objectives] == [
        ("top-of-funnel", "company/aims/2026-Q4.yml"),
        ("retention", "company/aims/2026-Q4.yml"),
    ]


# --------------------------------------------------------------------------- issues


def snap(
    number: int,
    title: str,
    labels: tuple[str, ...],
    *,
    body: str = "",
    assignees: tuple[str, ...] = (),
) -> IssueSnapshot:
    return IssueSnapshot(number, title, body, "open", labels, assignees)


Q4_LABELS = ("objective", "quarter:2026-Q4")
ISSUES = [
    pytest.param(
        snap(7, "Grow the top of the funnel", Q4_LABELS, assignees=("ceo",)),
        Objective(
            "grow-the-top-of-the-funnel",
            "Grow the top of the funnel",
            "2026-Q4",
            "ceo",
            issue=7,
            source="issue #7",
        ),
        [],
        id="title-as-id-assignee-as-owner",
    ),
    pytest.param(
        snap(
            8,
            "Keep customers",
            ("Objective", "quarter:2026-q4"),
            assignees=("cfo",),
            body="<!-- quarterdeck:objective id=retention -->\nid: ignored\n\n"
            "Net revenue retention above 100 %.\n",
        ),
        Objective(
            "retention",
            "Keep customers",
            "2026-Q4",
            "cfo",
            "Net revenue retention above 100 %.",
            issue=8,
            source="issue #8",
        ),
        [],
        id="marker-wins-body-is-the-description",
    ),
    pytest.param(
        snap(9, "Hire", Q4_LABELS, body="id: hiring\nTwo engineers.", assignees=("cto", "ceo")),
        Objective("hiring", "Hire", "2026-Q4", "cto", "Two engineers.", issue=9, source="issue #9"),
        [
            "issue #9: owner: objective issue has 2 assignees; an objective has one owner, so "
            "'cto' is read as it: unassign the others (warning)"
        ],
        id="id-line-and-two-assignees",
    ),
    pytest.param(
        snap(10, "Nobody's", Q4_LABELS),
        Objective("nobody-s", "Nobody's", "2026-Q4", None, issue=10, source="issue #10"),
        [
            'issue #10: owner: objective issue "Nobody\'s" has no assignee; assign the exec '
            "who owns it (warning)"
        ],
        id="no-assignee",
    ),
    pytest.param(
        snap(11, "Timeless", ("objective",), assignees=("ceo",)),
        None,
        [
            "issue #11: quarter:YYYY-Qn: objective issue 'Timeless' has no `quarter:YYYY-Qn` "
            "label; add one (e.g. `quarter:2026-Q4`), until then it is left out of the objectives"
        ],
        id="no-quarter-label",
    ),
    pytest.param(
        snap(12, "Twice", ("objective", "quarter:2026-Q4", "quarter:2027-Q1")),
        None,
        [
            "issue #12: quarter:YYYY-Qn: objective issue has 2 labels `quarter:2026-Q4`, "
            "`quarter:2027-Q1`; keep one"
        ],
        id="two-quarter-labels",
    ),
    pytest.param(
        snap(13, "Someday", ("objective", "quarter:soon")),
        None,
        [
            "issue #13: quarter:YYYY-Qn: label `quarter:soon` does not name a quarter; use "
            "YYYY-Qn, e.g. `quarter:2026-Q4`"
        ],
        id="quarter-label-not-a-quarter",
    ),
]


@pytest.mark.parametrize(("issue", "expected", "problems"), ISSUES)
def test_objective_issues_are_read_exactly(
    issue: IssueSnapshot, expected: Objective | None, problems: list[str]
) -> None:
    objectives, found = objectives_from_issues([issue], "objective")
    assert objectives == ([expected] if expected else [])
    assert [str(p) for p in found] == problems


def test_objective_issues_of_one_id_are_kept_apart_and_others_skipped() -> None:
    issues = [
        snap(5, "Retention", ("objective", "quarter:2026-Q4"), assignees=("cfo",)),
        snap(3, "Retention", ("objective", "quarter:2026-Q4"), assignees=("ceo",)),
        snap(4, "Retention", ("objective", "quarter:2027-Q1"), assignees=("ceo",)),
        snap(6, "A goal", ("goal", "quarter:2026-Q4", "team:growth")),
    ]
    objectives, found = objectives_from_issues(issues, "objective")
    assert [(o.issue, o.quarter, o.id) for o in objectives] == [
        (3, "2026-Q4", "retention"),
        (4, "2027-Q1", "retention"),
        (5, "2026-Q4", "retention-5"),
    ]
    assert [str(p) for p in found] == [
        "issue #5: id: objective id 'retention' is already used by another objective issue of "
        "2026-Q4; read as retention-5 (give it its own `id:` line) (warning)"
    ]


def test_written_objectives_win_and_issues_fill_in() -> None:
    written = Config(
        objectives=(
            Objective("retention", "Keep customers", "2026-Q4", "cfo", source=OQ4),
            Objective("growth", "Grow", "2026-Q4", "ceo", source=OQ4),
        )
    )
    from_issues = [
        Objective("retention", "Other title", "2026-Q4", "ceo", "text", issue=8, source="#8"),
        Objective("retention", "Next quarter's", "2027-Q1", "ceo", issue=9, source="#9"),
    ]
    assert merge_objectives(written, from_issues).objectives == (
        Objective("retention", "Keep customers", "2026-Q4", "cfo", issue=8, source=OQ4),
        Objective("growth", "Grow", "2026-Q4", "ceo", source=OQ4),
        Objective("retention", "Next quarter's", "2027-Q1", "ceo", issue=9, source="#9"),
    )


def test_goal_issues_name_their_objective_and_the_file_wins() -> None:
    issue = snap(
        20,
        "Checklist",
        ("goal", "quarter:2026-Q4", "team:growth"),
        body="Objective: `top-of-funnel`\n\n```\nobjective: not-this\n```\n",
    )
    goals, _ = goals_from_issues([issue], Config())
    assert goals[0].objective == "top-of-funnel"
    file_goal = Goal("checklist", "Checklist", "growth", "2026-Q4", issue=20)
    assert merge_goal(file_goal, goals[0]).objective == "top-of-funnel"
    named = replace(file_goal, objective="retention")
    assert merge_goal(named, goals[0]).objective == "retention"


def test_the_review_config_from_github_has_the_objective_issues(github: FakeGitHub) -> None:
    fake = github.add_repo(
        "acme/web",
        files={
            CFG: TEAM,
            OQ4: OBJECTIVES,
            Q4: GOAL.format(objective="retention"),
        },
    )
    github.add_issue(
        fake, "Keep the customers we have", labels=["objective", "quarter:2026-Q4"],
        body="id: retention\n", assignees=["cfo"],
    )  # fmt: skip
    github.add_issue(fake, "Hire well", labels=["objective", "quarter:2026-Q4"])
    github.add_issue(fake, "Not one", labels=["bug"])
    repo = github.client().get_repo("acme/web")

    config, warnings = load_config_with_goal_issues(repo)

    assert [(o.id, o.owner, o.issue, o.source) for o in config.objectives] == [
        ("top-of-funnel", "ceo", None, OQ4),
        ("retention", "cfo", 1, OQ4),
        ("hire-well", None, 2, "issue #2"),
    ]
    assert [str(p) for p in warnings] == [
        "issue #2: owner: objective issue 'Hire well' has no assignee; assign the exec who "
        "owns it (warning)"
    ]
    without, _ = load_config_with_goal_issues(repo, objectives=False)
    assert [o.id for o in without.objectives] == ["top-of-funnel", "retention"]


def test_an_objective_issues_description_is_cut_at_1000_characters() -> None:
    [objective], _ = objectives_from_issues(
        [snap(1, "Long", Q4_LABELS, body="x" * 5_000, assignees=("ceo",))], "objective"
    )
    assert objective.description == "x" * 999 + "…"
