"""The config loader: valid files, every kind of invalid one with its exact message,
the committed JSON Schema, and a property test that nothing escapes as a traceback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quarterdeck.core.config import (
    BusinessMetrics,
    build_config,
    json_schema,
    parse_config,
    parse_metrics,
)
from quarterdeck.core.model import DEFAULT_QUESTIONS, Config, Goal, Team
from quarterdeck.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
CFG = ".github/quarterdeck.yml"
Q4 = "goals/2026-Q4.yml"

TEAM = """\
teams:
  analytics:
    lead: alice
    pm: bob
    members: [alice, carol]
"""
GOAL = """\
- id: funnel-v2
  title: Faster funnels
  team: analytics
  owners: [carol]
"""


def problems_of(
    config: str | None, goals: dict[str, str] | None = None, *, strict: bool = False
) -> list[str]:
    """Every problem build_config reports, rendered as the user sees it."""
    pair = (CFG, textwrap.dedent(config)) if config is not None else None
    files = [(name, textwrap.dedent(text)) for name, text in (goals or {}).items()]
    try:
        _, warnings = build_config(pair, files, strict=strict)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings]


# --------------------------------------------------------------------------- valid files


def test_no_config_file_means_defaults() -> None:
    config, warnings = build_config(None, [])
    assert config == Config()
    assert config.review.questions == DEFAULT_QUESTIONS
    assert warnings == []
    # What `sources.repo_files.load_config` returns, without validating, for a
    # repository with no Quarterdeck file at all, whoever asks (validate's checks too).
    for strict in (False, True):
        for credentials in (None, ["POSTHOG_PERSONAL_API_KEY"]):
            found = build_config(None, [], strict=strict, objective_files=[],
                                 credentials=credentials)  # fmt: skip
            assert found == (Config(), [])


@pytest.mark.parametrize(
    "text",
    ["", "{}\n", "# only a comment\n", "---\n", "teams:\n", "teams: {}\ngoals:\nreview: {}\n"],
    ids=["empty", "empty-mapping", "comment", "bare-document", "null-teams", "null-sections"],
)
def test_empty_configs_are_valid(text: str) -> None:
    config, warnings = build_config((CFG, text), [])
    assert config == Config()
    assert warnings == []


def test_minimal_config_and_goal() -> None:
    config, warnings = build_config((CFG, TEAM), [(Q4, GOAL)])
    assert warnings == []
    assert config.teams == (Team("analytics", lead="alice", pm="bob", members=("alice", "carol")),)
    assert config.goals == (
        Goal("funnel-v2", "Faster funnels", "analytics", "2026-Q4", owners=("carol",)),
    )


def test_full_config_maps_every_key() -> None:
    text = textwrap.dedent(
        """\
        teams:
          analytics:
            mission: "  Analytics engineers love  "
            lead: alice
            pm: bob
            members: [alice, carol]
            owns: {paths: ["frontend/insights/**"], labels: [team/analytics]}
        goals: {files: planning/goals/, label: roadmap}
        review:
          metrics: data/metrics
          questions: ["Are customers happy?"]
          timezone: Europe/Berlin
          branch: trunk
        identities:
          alice: [alice@example.com, Alice A]
        _extends: .github
        """
    )
    goals = textwrap.dedent(
        """\
        - id: funnel-v2
          title: Faster funnels
          team: analytics
          owners: [carol, alice]
          issue: 12
          motivation: >
            Big customers time out.
          status: carried-over
        """
    )
    config, warnings = build_config((CFG, text), [("planning/goals/2026-Q1.yaml", goals)])
    team = config.teams[0]
    assert (team.mission, team.paths, team.labels) == (
        "Analytics engineers love",
        ("frontend/insights/**",),
        ("team/analytics",),
    )
    assert (config.goals_dir, config.goal_label) == ("planning/goals", "roadmap")
    assert config.review.metrics_dir == "data/metrics"
    assert config.review.questions == ("Are customers happy?",)
    assert (config.review.timezone, config.review.branches) == ("Europe/Berlin", ("trunk",))
    assert dict(config.identities) == {"alice": ("alice@example.com", "Alice A")}
    goal = config.goals[0]
    assert (goal.quarter, goal.issue, goal.status, goal.motivation) == (
        "2026-Q1",
        12,
        "carried-over",
        "Big customers time out.",
    )
    # `_extends` is kept by parse_config for a later GitHub loader; offline it warns.
    assert parse_config(text, CFG)[0].extends == ".github"  # type: ignore[union-attr]
    assert [str(w) for w in warnings] == [
        f"{CFG}:16: _extends: '.github' is not read offline; only this file's settings "
        "are used (warning)"
    ]


def test_aliases_within_limits_are_fine() -> None:
    text = "teams:\n  a: &t {members: [x, y]}\n  b: *t\n"
    config, _ = build_config((CFG, text), [])
    assert [t.members for t in config.teams] == [("x", "y"), ("x", "y")]


# --------------------------------------------------------------------------- invalid files

INVALID = [
    pytest.param(
        TEAM + "    membrs: [dan]\n",
        None,
        [f"{CFG}:6: teams.analytics.membrs: unknown key 'membrs'; did you mean 'members'?"],
        id="unknown-key-in-team",
    ),
    pytest.param(
        "temas: {}\n",
        None,
        [f"{CFG}:1: temas: unknown key 'temas'; did you mean 'teams'?"],
        id="unknown-key-top-level",
    ),
    pytest.param(
        TEAM + "    owns:\n      paths: []\n      lables: [x]\n",
        None,
        [f"{CFG}:8: teams.analytics.owns.lables: unknown key 'lables'; did you mean 'labels'?"],
        id="unknown-key-depth-4",
    ),
    pytest.param(
        "review:\n  colour: blue\n",
        None,
        [
            f"{CFG}:2: review.colour: unknown key 'colour'; expected one of: metrics, "
            "questions, timezone, branch, branches, clones"
        ],
        id="unknown-key-no-close-match",
    ),
    pytest.param(
        "extends: .github\n",
        None,
        [f"{CFG}:1: extends: unknown key 'extends'; did you mean '_extends'?"],
        id="extends-without-underscore",
    ),
    pytest.param(
        None,
        {Q4: GOAL + "  owner: [dan]\n"},
        [f"{Q4}:5: funnel-v2.owner: unknown key 'owner'; did you mean 'owners'?"],
        id="unknown-key-in-goal",
    ),
    pytest.param(
        "teams:\n  analytics:\n    members: alice\n",
        None,
        [f"{CFG}:3: teams.analytics.members: expected a list, e.g. [a, b], got the text 'alice'"],
        id="wrong-type-list",
    ),
    pytest.param(
        "teams:\n  analytics:\n    members: [alice, 42]\n",
        None,
        [
            f"{CFG}:3: teams.analytics.members[1]: expected text, got the number 42; "
            "put it in quotes if it is meant as text"
        ],
        id="wrong-type-text",
    ),
    pytest.param(
        "teams: [analytics]\n",
        None,
        [f"{CFG}:1: teams: expected a mapping of keys to values, got a list"],
        id="wrong-type-mapping",
    ),
    pytest.param(
        "teams:\n  analytics:\n    mission: yes\n",
        None,
        [
            f"{CFG}:3: teams.analytics.mission: expected text, got true (a yes/no value); "
            "put it in quotes if it is meant as text"
        ],
        id="wrong-type-yes-is-bool",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL + '  issue: "#12"\n'},
        [
            f"{Q4}:5: funnel-v2.issue: expected a whole number, got the text '#12'; "
            "write the number without quotes"
        ],
        id="wrong-type-number",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL + "  status: done\n"},
        [
            f"{Q4}:5: funnel-v2.status: expected one of 'planned', 'in-progress', 'shipped', "
            "'dropped' or 'carried-over', got the text 'done'"
        ],
        id="bad-status",
    ),
    pytest.param(
        "teams:\n  Product Analytics: {}\n",
        None,
        [
            f"{CFG}:2: teams.Product Analytics: 'Product Analytics' is not a valid id: use "
            "lowercase letters, digits and hyphens, e.g. product-analytics"
        ],
        id="bad-team-slug",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL.replace("funnel-v2", "Funnel_V2")},
        [
            f"{Q4}:1: [0].id: 'Funnel_V2' is not a valid id: use lowercase letters, digits "
            "and hyphens, e.g. product-analytics"
        ],
        id="bad-goal-slug",
    ),
    pytest.param(
        "teams:\n  analytics:\n    lead: '@alice'\n",
        None,
        [
            f"{CFG}:3: teams.analytics.lead: '@alice' is not a GitHub login: write the login "
            "alone, without '@', e.g. alice or alice-smith"
        ],
        id="bad-login",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL + GOAL},
        [
            f"{Q4}:5: funnel-v2.id: duplicate goal id 'funnel-v2' in 2026-Q4 (first at "
            f"{Q4}:1); give each goal its own id"
        ],
        id="duplicate-goal-id",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL, "goals/2026-Q4.yaml": GOAL},
        [
            "goals/2026-Q4.yaml:1: funnel-v2.id: duplicate goal id 'funnel-v2' in 2026-Q4 "
            f"(first at {Q4}:1); give each goal its own id"
        ],
        id="duplicate-goal-id-across-files",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL.replace("team: analytics", "team: analytcs")},
        [f"{Q4}:3: funnel-v2.team: unknown team 'analytcs'; did you mean 'analytics'?"],
        id="unknown-team-close",
    ),
    pytest.param(
        None,
        {Q4: GOAL},
        [f"{Q4}:3: funnel-v2.team: unknown team 'analytics'; define it under `teams:` in {CFG}"],
        id="unknown-team-no-config",
    ),
    pytest.param(
        TEAM,
        {Q4: "- id: funnel-v2\n  title: Faster funnels\n  team: analytics\n"},
        [
            f"{Q4}:1: funnel-v2.owners: every goal needs an owner: add `owners: [<login>]` "
            "with the engineers who will build it"
        ],
        id="goal-without-owner",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL + "  owners: []\n"},
        [
            f"{Q4}:5: funnel-v2.owners: duplicate key 'owners' (first at line 4); YAML would "
            "keep only this one, so merge or remove one of them"
        ],
        id="duplicate-yaml-key-in-goal",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL.replace("owners: [carol]", "owners: []")},
        [
            f"{Q4}:4: funnel-v2.owners: every goal needs an owner: add `owners: [<login>]` "
            "with the engineers who will build it"
        ],
        id="goal-with-empty-owners",
    ),
    pytest.param(
        TEAM,
        {Q4: GOAL.replace("Faster funnels", '"  "')},
        [f"{Q4}:2: funnel-v2.title: title is empty: say in a few words what the team will build"],
        id="empty-title",
    ),
    pytest.param(
        TEAM,
        {Q4: "- id: funnel-v2\n  team: analytics\n  owners: [carol]\n"},
        [f"{Q4}:1: funnel-v2.title: missing required key 'title'"],
        id="missing-title",
    ),
    pytest.param(
        "review:\n  timezone: Mars/Olympus_Mons\n",
        None,
        [
            f"{CFG}:2: review.timezone: 'Mars/Olympus_Mons' is not a known time zone: use an "
            "IANA name such as UTC or Europe/Berlin"
        ],
        id="bad-timezone",
    ),
    pytest.param(
        "review:\n  branch: --upload-pack=evil\n",
        None,
        [
            f"{CFG}:2: review.branch: '--upload-pack=evil' is not a usable branch name: "
            "write it as git shows it, e.g. main"
        ],
        id="branch-looks-like-an-option",
    ),
    pytest.param(
        "review:\n  branches:\n    - main\n    - -x\n",
        None,
        [
            f"{CFG}:4: review.branches[1]: '-x' is not a usable branch name: "
            "write it as git shows it, e.g. main"
        ],
        id="branches-entry-looks-like-an-option",
    ),
    pytest.param(
        "review:\n  branch: main\n  branches: [main, stable]\n",
        None,
        [f"{CFG}:1: review: set `branches` or `branch`, not both: move the branch into the list"],
        id="branch-and-branches",
    ),
    pytest.param(
        'metrics:\n  - {id: signups, sql: "select 1"}\n',
        None,
        [
            f"{CFG}:2: metrics[0]: signups is not one of the standard metrics, so it needs "
            "title, unit, section"
        ],
        id="metric-not-standard-without-shape",
    ),
    pytest.param(
        'metrics:\n  - {id: mrr, posthog: "a", sql: "b"}\n',
        None,
        [
            f"{CFG}:2: metrics[0]: give a metric exactly one source: posthog, sql, file or "
            "from, not posthog and sql"
        ],
        id="metric-two-sources",
    ),
    pytest.param(
        "metrics:\n  - id: mrr\n    file: revenue.mr\n",
        None,
        [
            f"{CFG}:3: metrics[0].file: 'revenue.mr' is not a figure of the metrics files; "
            "did you mean 'revenue.mrr'?"
        ],
        id="metric-file-key-typo",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, file: sales.bookings}\n",
        None,
        [
            f"{CFG}:2: metrics[0].file: 'sales.bookings' is not a figure of the metrics "
            "files; write one of: revenue.mrr, revenue.mrr_growth, revenue.revenue_churn, "
            "revenue.paying_customers, product.active_users, product.user_growth, "
            "product.org_growth, product.retention, feedback.nps, feedback.interviews, "
            "feedback.support_tickets"
        ],
        id="metric-file-key-unknown",
    ),
    pytest.param(
        "metrics:\n  - {id: mrr, file: revenue.mrr, sql: x}\n",
        None,
        [
            f"{CFG}:2: metrics[0]: give a metric exactly one source: posthog, sql, file or "
            "from, not sql and file"
        ],
        id="metric-file-and-sql",
    ),
    pytest.param(
        "teams:\n  web:\n    metrics:\n      - {id: activation}\n",
        None,
        [
            f"{CFG}:4: teams.web.metrics[0]: this metric has no source: add posthog: (a HogQL "
            "query), sql: (a warehouse query), file: (a key of metrics/YYYY-MM.yml such as "
            "revenue.mrr) or from: (a formula such as growth(mrr))"
        ],
        id="team-metric-without-source",
    ),
    pytest.param(
        'metrics:\n  - {id: arr, from: "mrr * 12", target: ">= 9"}\n',
        None,
        [
            f"{CFG}:2: metrics[0]: 'mrr * 12' is not a formula Quarterdeck computes: write "
            "growth(m), ratio(a, b) or sum(a, b, …) with metric ids"
        ],
        id="metric-bad-formula",
    ),
    pytest.param(
        'metrics:\n  - {id: nps, sql: "x", target: high}\n',
        None,
        [
            f"{CFG}:2: metrics[0]: target 'high' is not a comparison with a number: write "
            "e.g. '>= 9' or '< 2.5'"
        ],
        id="metric-bad-target",
    ),
    pytest.param(
        "goals:\n  files: ../elsewhere\n",
        None,
        [
            f"{CFG}:2: goals.files: '../elsewhere' is not a folder inside the repository: "
            "use a relative path such as goals/"
        ],
        id="folder-outside-repo",
    ),
    pytest.param(
        "review:\n  questions: some\n",
        None,
        [
            f"{CFG}:2: review.questions: expected 'default' or a list of questions, "
            "got the text 'some'"
        ],
        id="bad-questions",
    ),
    pytest.param(
        "teams:\n  analytics:\n    lead: alice\n    lead: bob\n",
        None,
        [
            f"{CFG}:4: teams.analytics.lead: duplicate key 'lead' (first at line 3); YAML "
            "would keep only this one, so merge or remove one of them"
        ],
        id="duplicate-yaml-key",
    ),
    pytest.param(
        "teams:\n  analytics: {}\n  analytics: {}\n",
        None,
        [
            f"{CFG}:3: teams.analytics: duplicate key 'analytics' (first at line 2); YAML "
            "would keep only this one, so merge or remove one of them"
        ],
        id="duplicate-team",
    ),
    pytest.param(
        "teams:\n  analytics: [\n",
        None,
        [
            f"{CFG}:3: invalid YAML: expected the node content, but found '<stream end>'; "
            "check indentation and quoting"
        ],
        id="syntax-error",
    ),
    pytest.param(
        "teams:\n  analytics:\n    lead: a\n   pm: b\n",
        None,
        [
            f"{CFG}:4: invalid YAML: expected <block end>, but found '<block mapping start>'; "
            "check indentation and quoting"
        ],
        id="bad-indentation",
    ),
    pytest.param(
        "teams:\n\tanalytics: {}\n",
        None,
        [f"{CFG}:2: tab character in indentation; indent YAML with spaces"],
        id="tab-indentation",
    ),
    pytest.param(
        "a: 1\n---\nb: 2\n",
        None,
        [
            f"{CFG}:2: invalid YAML: expected a single document in the stream, but found "
            "another document; check indentation and quoting"
        ],
        id="two-documents",
    ),
    pytest.param(
        "teams: !!python/object/apply:os.system [echo]\n",
        None,
        [
            f"{CFG}:1: unreadable YAML value: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'"
        ],
        id="unsafe-tag",
    ),
    pytest.param(
        "teams:\n  analytics:\n    mission: 2026-13-45\n",
        None,
        [
            f"{CFG}:3: unreadable YAML value: '2026-13-45' looks like a date but is not one "
            "(month must be in 1..12); quote it if it is meant as text"
        ],
        id="impossible-date",
    ),
    pytest.param(
        "teams:\n  analytics:\x07\n",
        None,
        [
            f"{CFG}:2: character U+0007 is not allowed in YAML; remove it or save the file "
            "as plain UTF-8 text"
        ],
        id="control-character",
    ),
    pytest.param(
        "- analytics\n",
        None,
        [f"{CFG}:1: expected a mapping of settings (teams:, goals:, review:), got a list"],
        id="list-top-level",
    ),
    pytest.param(
        "hello\n",
        None,
        [
            f"{CFG}:1: expected a mapping of settings (teams:, goals:, review:), got the "
            "text 'hello'"
        ],
        id="scalar-top-level",
    ),
    pytest.param(
        TEAM,
        {Q4: "goals:\n" + textwrap.indent(GOAL, "  ")},
        [
            f"{Q4}:1: expected a list of goals, got a mapping; remove the `goals:` line and "
            "start each goal with `- id:`"
        ],
        id="goals-file-not-a-list",
    ),
    pytest.param(
        "# " + "x" * 1_000_000 + "\n",
        None,
        [f"{CFG}: file is larger than 1 MB; Quarterdeck files are small, so split it or trim it"],
        id="too-large",
    ),
    pytest.param(
        "teams: &a\n  x: &b [*a, *a]\n",
        None,
        [f"{CFG}:1: a YAML alias refers to a value that contains it; write the value out instead"],
        id="alias-cycle",
    ),
    pytest.param(
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
            for p, n in zip("abcdefg", "bcdefgh", strict=True)
        ),
        None,
        [
            f"{CFG}: YAML aliases (*name) would expand this file by more than 10,000 values; "
            "write the values out instead of nesting aliases"
        ],
        id="alias-bomb",
    ),
    pytest.param(
        "teams: " + "[" * 60 + "]" * 60 + "\n",
        None,
        [
            f"{CFG}:1: values are nested more than 50 levels deep; Quarterdeck files need "
            "only a few levels"
        ],
        id="deep-nesting-flow",
    ),
    pytest.param(
        "".join("  " * i + f"k{i}:\n" for i in range(60)),
        None,
        [
            f"{CFG}:50: values are nested more than 50 levels deep; Quarterdeck files need "
            "only a few levels"
        ],
        id="deep-nesting-block",
    ),
    pytest.param(
        TEAM,
        {"goals/q4.yml": GOAL},
        [
            "goals/q4.yml: goals file name 'q4.yml' does not name a quarter: rename it to "
            "YYYY-Qn.yml, e.g. 2026-Q4.yml"
        ],
        id="bad-goals-filename",
    ),
    pytest.param(
        TEAM,
        {"goals/2026-Q5.yml": GOAL},
        [
            "goals/2026-Q5.yml: goals file name '2026-Q5.yml' does not name a quarter: "
            "rename it to YYYY-Qn.yml, e.g. 2026-Q4.yml"
        ],
        id="goals-filename-quarter-5",
    ),
]


@pytest.mark.parametrize(("config", "goals", "expected"), INVALID)
def test_invalid_files_report_exact_problems(
    config: str | None, goals: dict[str, str] | None, expected: list[str]
) -> None:
    assert problems_of(config, goals) == expected


WARNINGS = [
    pytest.param(
        TEAM,
        {Q4: GOAL.replace("[carol]", "[carol, zoe, alcie]")},
        False,
        [
            f"{Q4}:4: funnel-v2.owners[1]: owner 'zoe' is not on team 'analytics'; fine if "
            "they are helping from another team (warning)",
            f"{Q4}:4: funnel-v2.owners[2]: owner 'alcie' is not on team 'analytics'; did you "
            "mean 'alice'? fine if they are helping from another team (warning)",
        ],
        id="owner-not-on-team",
    ),
    pytest.param(
        "teams:\n  big:\n    lead: a\n    pm: p\n    members: [a, b, c, d, e, f]\n",
        None,
        False,
        [
            f"{CFG}:2: teams.big: team 'big' has 7 people; teams work best at six or fewer "
            "— split the team (warning)"
        ],
        id="team-too-big",
    ),
    pytest.param(
        "teams:\n  big:\n    lead: a\n    pm: p\n    members: [a, b, c, d, e, f]\n",
        None,
        True,
        [
            f"{CFG}:2: teams.big: team 'big' has 7 people; teams work best at six or fewer "
            "— split the team"
        ],
        id="team-too-big-strict",
    ),
    pytest.param(
        "teams:\n  six:\n    lead: a\n    pm: p\n    members: [a, b, c, d, p, e]\n",
        None,
        True,
        [],
        id="six-people-counting-lead-and-pm-once",
    ),
]


@pytest.mark.parametrize(("config", "goals", "strict", "expected"), WARNINGS)
def test_warnings_and_strict_mode(
    config: str, goals: dict[str, str] | None, strict: bool, expected: list[str]
) -> None:
    assert problems_of(config, goals, strict=strict) == expected


def test_all_errors_across_files_are_sorted() -> None:
    config = TEAM + "    membrs: []\n"
    goals = {
        Q4: GOAL.replace("[carol]", "[zoe]"),
        "goals/2026-Q3.yml": "- id: x\n  title: ''\n  team: analytics\n  owners: [a]\n",
    }
    assert problems_of(config, goals) == [
        f"{CFG}:6: teams.analytics.membrs: unknown key 'membrs'; did you mean 'members'?",
        "goals/2026-Q3.yml:2: x.title: title is empty: say in a few words what the team will build",
        # With the config itself broken, team checks would only guess; they wait.
    ]


def test_config_error_also_carries_the_warnings() -> None:
    goals = {Q4: GOAL.replace("[carol]", "[zoe]") + "- id: x\n  title: T\n  team: analytics\n"}
    assert problems_of(TEAM, goals) == [
        f"{Q4}:4: funnel-v2.owners[0]: owner 'zoe' is not on team 'analytics'; fine if they "
        "are helping from another team (warning)",
        f"{Q4}:5: x.owners: every goal needs an owner: add `owners: [<login>]` with the "
        "engineers who will build it",
    ]


def test_a_broken_goal_does_not_hide_checks_of_the_others() -> None:
    goals = {Q4: GOAL.replace("Faster funnels", "''") + GOAL.replace("analytics", "nope")}
    assert problems_of(TEAM, goals) == [
        f"{Q4}:2: funnel-v2.title: title is empty: say in a few words what the team will build",
        f"{Q4}:7: funnel-v2.team: unknown team 'nope'; define it under `teams:` in {CFG}",
    ]


def test_config_error_message_lists_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        build_config((CFG, "temas: {}\nreview: {colour: x}\n"), [])
    assert str(info.value).splitlines() == [
        f"{CFG}:1: temas: unknown key 'temas'; did you mean 'teams'?",
        f"{CFG}:2: review.colour: unknown key 'colour'; expected one of: metrics, questions, "
        "timezone, branch, branches, clones",
    ]


# --------------------------------------------------------------------------- metrics

METRICS = """\
revenue: {mrr: 190050, mrr_growth: 4.2, revenue_churn: 1.5, paying_customers: 1311}
product: {active_users: 50870, user_growth: 5.5, org_growth: -3.2, retention: 73}
feedback:
  nps: 44
  interviews: 12
  support_tickets: 287
  highlights: ["Funnels load in seconds."]
notes: |
  Black Friday traffic.
"""


def test_metrics_file_parses_to_business_metrics() -> None:
    m = parse_metrics(METRICS, "metrics/2026-11.yml")
    assert m == BusinessMetrics(
        source="metrics/2026-11.yml",
        mrr=190050,
        mrr_growth=4.2,
        revenue_churn=1.5,
        paying_customers=1311,
        active_users=50870,
        user_growth=5.5,
        org_growth=-3.2,
        retention=73,
        nps=44,
        interviews=12,
        support_tickets=287,
        highlights=("Funnels load in seconds.",),
        notes="Black Friday traffic.",
    )
    assert (m.has_revenue, m.has_product, m.has_feedback) == (True, True, True)


def test_empty_metrics_file_supplies_nothing() -> None:
    m = parse_metrics("", "metrics/2026-11.yml")
    assert m == BusinessMetrics(source="metrics/2026-11.yml")
    assert (m.has_revenue, m.has_product, m.has_feedback) == (False, False, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "revenue:\n  mrr_growth: 4.2%\n",
            "m.yml:2: revenue.mrr_growth: expected a number, got the text '4.2%'; write the "
            "number without quotes or a % sign",
            id="percent-sign",
        ),
        pytest.param(
            "feedback:\n  nps: 120\n",
            "m.yml:2: feedback.nps: must be at most 100, got 120",
            id="nps-range",
        ),
        pytest.param(
            "product:\n  active_users: -5\n",
            "m.yml:2: product.active_users: must be at least 0, got -5",
            id="negative-count",
        ),
        pytest.param(
            "product:\n  retention: .nan\n",
            "m.yml:2: product.retention: must be a finite number",
            id="nan",
        ),
        pytest.param(
            "revenu: {}\n",
            "m.yml:1: revenu: unknown key 'revenu'; did you mean 'revenue'?",
            id="unknown-section",
        ),
        pytest.param(
            "[1, 2]\n",
            "m.yml:1: expected a mapping with revenue:, product:, feedback:, notes: and "
            "teams:, got a list",
            id="not-a-mapping",
        ),
    ],
)
def test_invalid_metrics(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_metrics(text, "m.yml")
    assert [str(p) for p in info.value.problems] == [expected]


# --------------------------------------------------------------------------- schema


def test_committed_schema_matches_the_models() -> None:
    committed = (ROOT / "schema" / "quarterdeck.schema.json").read_text(encoding="utf-8")
    generated = json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
    assert committed == generated, (
        "schema/quarterdeck.schema.json is out of date with the config models; run "
        "`quarterdeck schema > schema/quarterdeck.schema.json` and commit the result"
    )


def test_schema_describes_all_four_file_kinds() -> None:
    schema = json_schema()
    assert set(schema["properties"]) == {
        "teams", "goals", "review", "identities", "bots", "sources", "metrics", "objectives",
        "repos", "org", "_extends",
    }  # fmt: skip
    assert schema["additionalProperties"] is False
    assert {"GoalsFile", "ObjectivesFile", "MetricsFile"} <= set(schema["$defs"])
    assert schema["$defs"]["ObjectiveSpec"]["required"] == ["id", "title", "owner"]
    assert schema["$defs"]["QuarterObjectiveSpec"]["required"] == [
        "id", "title", "owner", "quarter",
    ]  # fmt: skip
    assert schema["$defs"]["GoalSpec"]["required"] == ["id", "title", "team", "owners"]


# --------------------------------------------------------------------------- properties

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_keys = st.sampled_from(
    ["teams", "goals", "review", "identities", "_extends", "members", "lead", "owners", "id",
     "title", "team", "files", "questions", "timezone", "analytics", "membrs", "status"]
) | st.text(max_size=10)  # fmt: skip
_data = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=30,
)


def _outcome(config_text: str, goals_text: str) -> None:
    problems = []
    try:
        config, warnings = build_config((CFG, config_text), [(Q4, goals_text)])
    except ConfigError as exc:
        problems = exc.problems
    else:
        assert isinstance(config, Config)
        assert all(p.severity == "warning" for p in warnings)
        return
    assert problems
    assert all(str(p) for p in problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.text(max_size=300))
def test_arbitrary_text_never_raises_anything_but_config_error(cfg: str, goals: str) -> None:
    _outcome(cfg, goals)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_data, _data)
def test_arbitrary_yaml_data_never_raises_anything_but_config_error(
    cfg: object, goals: object
) -> None:
    _outcome(yaml.safe_dump(cfg), yaml.safe_dump(goals))


@settings(max_examples=200, deadline=None)
@given(_data)
def test_arbitrary_metrics_never_raise_anything_but_config_error(data: object) -> None:
    try:
        metrics = parse_metrics(yaml.safe_dump(data), "m.yml")
    except ConfigError as exc:
        metrics = exc
    assert isinstance(metrics, BusinessMetrics) or metrics.problems


def test_bots_that_ship_are_read_and_checked() -> None:
    config, warnings = build_config((CFG, "bots: {count: [posthog-bot, 'renovate[bot]']}\n"), [])
    assert warnings == []
    assert config.bots.count == ("posthog-bot", "renovate[bot]")
    assert problems_of("bots: {count: ['@posthog-bot']}\n") == [
        f"{CFG}:1: bots.count[0]: '@posthog-bot' is not a GitHub login: write the login "
        "alone, without '@', e.g. alice or alice-smith"
    ]
    assert problems_of("bots: {ship: [posthog-bot]}\n")[0].startswith(
        f"{CFG}:1: bots.ship: unknown key 'ship'"
    )


def test_a_config_text_is_parsed_once_however_many_readers_ask(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Finding the `_extends` base, then the goals folder, then building the config each
    # asked for the same text: three YAML reads and validations of one file.
    from quarterdeck.core.config import loading

    text = (ROOT / "examples" / ".github" / "quarterdeck.yml").read_text(encoding="utf-8")
    reads: list[str] = []
    parse = loading._parse_config
    monkeypatch.setattr(loading, "_parse_config", lambda t, f: reads.append(f) or parse(t, f))
    loading._read_layered.cache_clear()

    first, problems = loading.parse_config(text, ".github/quarterdeck.yml")
    problems.append("a caller's own note")  # type: ignore[arg-type]  # its list, not the cache's
    again, fresh = loading.parse_config(text, ".github/quarterdeck.yml")
    config, _ = loading.build_config((".github/quarterdeck.yml", text), [])

    assert reads == [".github/quarterdeck.yml"]
    assert first is again is not None
    assert "a caller's own note" not in fresh
    assert [team.slug for team in config.teams] == list(first.teams)
