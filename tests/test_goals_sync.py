"""`quarterdeck goals sync` against the shared fake GitHub, through the real PyGithub."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quarterdeck.cli import main
from quarterdeck.core.goals.goal_issues import IssueSnapshot, count_tasks, goal_id_of
from quarterdeck.core.goals.sync_actions import plan_sync, quarters_to_sync
from quarterdeck.core.model import Config, Goal
from quarterdeck.services.goals_sync import GoalsSyncError, SyncResult, sync_goals
from quarterdeck.sources.github import client as github_client
from quarterdeck.sources.repo_files import load_repo_config
from tests.fakegithub import FakeGitHub, FakeRepo, fixture

CONFIG = """\
teams:
  analytics:
    lead: carol
    members: [carol, dan]
  growth:
    lead: alice
    members: [alice]
"""
GOALS = """\
- id: funnel-v2
  title: Rebuild funnels
  team: analytics
  owners: [carol, dan]
  motivation: Funnels over 30 days time out for our biggest customers.
- id: onboarding
  title: Onboarding checklist
  team: growth
  owners: [alice]
  issue: 1
- id: old-thing
  title: Something already shipped
  team: growth
  owners: [alice]
  status: shipped
"""
Q = ("2026-Q4",)


@pytest.fixture
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's real client factory, minus PyGithub's pauses between requests."""
    real_connect = github_client.connect

    def connect(token: str | None, **options: Any) -> Any:
        options.update(seconds_between_writes=0, seconds_between_requests=0)
        return real_connect(token, **options)

    monkeypatch.setattr(github_client, "connect", connect)


def checkout(tmp_path: Path, goals: str = GOALS) -> Path:
    (tmp_path / ".github").mkdir(exist_ok=True)
    (tmp_path / ".github" / "quarterdeck.yml").write_text(CONFIG)
    (tmp_path / "goals").mkdir(exist_ok=True)
    (tmp_path / "goals" / "2026-Q4.yml").write_text(goals)
    return tmp_path


def seed(github: FakeGitHub, *, dark_mode: bool = True) -> FakeRepo:
    """#1 a person's issue the file adopts (`issue: 1`); #2 a goal issue only on GitHub."""
    fake = github.add_repo("acme/web")
    for label in fixture("labels")[0]["response"][:2]:  # GitHub's recorded default labels
        fake.labels[label["name"]] = label
    github.add_issue(fake, "Onboarding", body="Notes from the kickoff.", user="alice")
    if dark_mode:
        # Its labels exist from now on, as on GitHub: a sync creates only the others.
        labels = ["goal", "quarter:2026-Q4", "team:growth"]
        github.add_issue(fake, "Dark mode", body="", labels=labels, user="erin")
    return fake


def run(github: FakeGitHub, root: Path, *, dry_run: bool = False) -> SyncResult:
    config, _ = load_repo_config(root)
    return sync_goals(github.gateway(), "acme/web", config, Q, dry_run=dry_run)


def test_first_sync_creates_labels_and_issues_second_sync_writes_nothing(
    github: FakeGitHub, tmp_path: Path
) -> None:
    fake = seed(github)
    root = checkout(tmp_path)

    first = run(github, root)

    assert github.writes == [
        ("POST", "/repos/acme/web/labels"),
        ("POST", "/repos/acme/web/labels"),  # the lock of funnel-v2's issue, then its create
        ("POST", "/repos/acme/web/issues"),
        ("DELETE", "/repos/acme/web/labels/quarterdeck-lock:goal:funnel-v2"),
        ("PATCH", "/repos/acme/web/issues/1"),
    ]
    label_posts = [c.body for c in github.calls if c.method == "POST" and c.path.endswith("labels")]
    assert label_posts.pop()["name"] == "quarterdeck-lock:goal:funnel-v2"
    assert "funnel-v2" not in str(fake.labels)  # released
    recorded = fixture("labels")[1]  # GitHub's own create-label request: name and color
    assert recorded["method"] == "post"
    assert set(recorded["body"]) <= set(label_posts[0])
    assert label_posts == [
        {"name": "team:analytics", "color": "5319e7", "description": "Work of the analytics team"}
    ]
    created = fake.issues[3]
    assert created["title"] == "Rebuild funnels"
    assert [a["login"] for a in created["assignees"]] == ["carol", "dan"]
    assert [lb["name"] for lb in created["labels"]] == ["goal", "quarter:2026-Q4", "team:analytics"]
    assert "<!-- quarterdeck:goal id=funnel-v2 -->" in created["body"]
    assert "Funnels over 30 days time out" in created["body"]
    assert goal_id_of(_snap(created)) == ("funnel-v2", True)
    adopted = fake.issues[1]
    assert adopted["title"] == "Onboarding checklist"
    assert adopted["body"].startswith("Notes from the kickoff.")  # the person's text stays
    assert "<!-- quarterdeck:section goal -->" in adopted["body"]
    assert first.created == {"funnel-v2": 3}
    assert [(a.goal_id, a.kind) for a in first.plan.issues] == [
        ("funnel-v2", "create"),
        ("onboarding", "update"),
        ("old-thing", "skip"),
    ]
    # Dark mode (#2) is on GitHub only: reported with the YAML that would adopt it.
    assert any(
        "#2 'Dark mode' has no entry in goals/2026-Q4.yml" in n.message for n in first.plan.back
    )

    writes_before = len(github.writes)
    second = run(github, root)

    assert len(github.writes) - writes_before == 0
    assert second.written == []
    assert {a.kind for a in second.plan.issues} == {"unchanged", "skip"}


def test_a_persons_body_text_survives_a_title_change(github: FakeGitHub, tmp_path: Path) -> None:
    fake = seed(github)
    root = checkout(tmp_path)
    run(github, root)
    person = "## What we'll ship\n\n- [x] Query engine port\n- [ ] Saved funnels\n"
    body = fake.issues[3]["body"]
    # A person adds a line above the heading and fills in the task list under it.
    fake.issues[3]["body"] = body[: body.index("## What we'll ship")] + (
        "Design doc: https://example.com/doc\n\n" + person
    )
    before = fake.issues[3]["body"]
    checkout(root, GOALS.replace("title: Rebuild funnels", "title: Funnels on the new engine"))
    writes_before = len(github.writes)

    result = run(github, root)

    assert github.writes[writes_before:] == [("PATCH", "/repos/acme/web/issues/3")]
    patch = github.calls[-1].body
    assert set(patch) == {"title", "body"}  # only what changed; assignees/labels untouched
    body = fake.issues[3]["body"]
    assert fake.issues[3]["title"] == "Funnels on the new engine"
    assert "Design doc: https://example.com/doc" in body
    assert body.endswith(person)
    assert body != before  # the bot's record of the synced title moved on
    assert count_tasks(body) == (1, 2)
    assert [a.changes for a in result.plan.issues if a.kind == "update"] == [("title", "body")]
    assert len(github.writes) == writes_before + 1
    run(github, root)
    assert len(github.writes) == writes_before + 1


def test_changes_people_made_on_github_are_kept_and_reported_back(
    github: FakeGitHub, tmp_path: Path
) -> None:
    fake = seed(github)
    root = checkout(tmp_path)
    run(github, root)
    fake.issues[1]["title"] = "Onboarding checklist, mobile too"
    fake.issues[3]["assignees"] = [github._user_json("dan")]
    fake.issues[3].update(state="closed", state_reason="completed")
    writes_before = len(github.writes)

    result = run(github, root)

    assert len(github.writes) == writes_before
    notes = {n.message: n.yaml for n in result.plan.back}
    retitled = next(m for m in notes if m.startswith("goal 'onboarding' (issue #1) was retitled"))
    assert notes[retitled] == '- id: "onboarding"\n  title: "Onboarding checklist, mobile too"'
    closed = next(m for m in notes if "(issue #3) was closed" in m)
    assert notes[closed] == '- id: "funnel-v2"\n  status: "shipped"'
    dark = next(m for m in notes if "#2 'Dark mode'" in m)
    assert notes[dark] == (
        '- id: "dark-mode"\n  title: "Dark mode"\n  team: "growth"\n  owners: []\n  issue: 2'
    )
    assert fake.issues[3]["state"] == "closed"  # never reopened


def test_owners_changed_by_a_person_are_kept(github: FakeGitHub, tmp_path: Path) -> None:
    fake = seed(github)
    root = checkout(tmp_path)
    run(github, root)
    fake.issues[3]["assignees"] = [github._user_json("erin")]
    checkout(root, GOALS.replace("owners: [carol, dan]", "owners: [carol]"))
    writes_before = len(github.writes)

    result = run(github, root)

    # The file changed the owners too, but erin was assigned by a person: kept, reported.
    assert [lb["login"] for lb in fake.issues[3]["assignees"]] == ["erin"]
    assert any("assigned to erin on GitHub" in n.message for n in result.plan.back)
    assert github.writes[writes_before:] == [("PATCH", "/repos/acme/web/issues/3")]
    assert set(github.calls[-1].body) == {"body"}


@pytest.mark.usefixtures("unthrottled")
def test_dry_run_prints_the_plan_and_writes_nothing(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed(github, dark_mode=False)
    root = checkout(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)

    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    code = main([*args, "--dry-run"])

    out = capsys.readouterr().out
    assert code == 0
    assert github.writes == []
    assert "goals sync: acme/web, 2026-Q4 (dry run, nothing written)" in out
    assert "  create  quarter:2026-Q4  (#1d76db) Goals of 2026-Q4" in out
    assert "  create  funnel-v2 (new issue): 'Rebuild funnels'; labels goal, quarter:2026-Q4" in out
    assert "  update  onboarding (#1): changes title, assignees, labels, body" in out
    assert "  skip    old-thing (new issue): shipped: no issue for a finished goal" in out
    assert "  create  goal  (#0e8a16) A quarterly goal (with quarter: and team: labels)" in out
    assert "test-token-not-real" not in out


@pytest.mark.usefixtures("unthrottled")
def test_cli_runs_twice_and_the_second_run_writes_nothing(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(github)
    root = checkout(tmp_path)
    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]

    assert main([*args, "--token", "test-token-not-real"]) == 0
    first = capsys.readouterr().out
    writes = len(github.writes)
    assert main([*args, "--token", "test-token-not-real"]) == 0
    second = capsys.readouterr().out

    assert writes == 5  # a label, an issue (its lock taken and released), an update
    assert len(github.writes) == writes
    assert "created the issue of goal funnel-v2: #3 (add `issue: 3` to the goal)" in first
    assert "nothing to write: GitHub already matches the goals files" in second
    assert "  ok      funnel-v2 (#3): up to date" in second


@pytest.mark.usefixtures("unthrottled")
def test_a_422_creating_a_label_names_it_and_stops_before_any_issue(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(github, dark_mode=False)
    root = checkout(tmp_path)
    recorded = fixture("errors")[0]
    github.fail("POST", r"/labels$", recorded["status"], body=recorded["response"])
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")

    code = main(
        ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    )

    err = capsys.readouterr().err
    assert code == 1
    assert (
        "GitHub answered 422 while writing label 'goal': Validation Failed — Label.color is invalid"
        in err
    )
    assert "Nothing was written to GitHub." in err
    assert "test-token-not-real" not in err
    assert github.writes == [("POST", "/repos/acme/web/labels")]  # the refused one only
    assert set(fake.issues) == {1}
    assert fake.issues[1]["title"] == "Onboarding"


def test_a_failure_after_some_writes_lists_exactly_what_was_written(
    github: FakeGitHub, tmp_path: Path
) -> None:
    fake = seed(github)
    root = checkout(tmp_path)
    github.fail("POST", r"/issues$", 422, body=fixture("errors")[0]["response"])

    with pytest.raises(GoalsSyncError) as failure:
        run(github, root)

    message = str(failure.value)
    assert "GitHub answered 422 while writing the issue of goal 'funnel-v2'" in message
    assert "Already written: created label team:analytics." in message
    assert "PATCH" not in [m for m, _ in github.writes]
    assert set(fake.issues) == {1, 2}
    # A re-run picks up where it stopped: labels plan as present.
    assert run(github, root).plan.labels == ()


def test_existing_issues_are_found_by_marker_never_by_search(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed(github)
    root = checkout(tmp_path)
    run(github, root)
    calls_before = len(github.calls)

    run(github, root)

    paths = [c.path for c in github.calls[calls_before:]]
    assert not any(p.startswith("/search") for p in paths)
    # `/user`: who the token writes as, asked once, to tell our issues from other bots'.
    assert paths == [
        "/repos/acme/web",
        "/repos/acme/web/labels",
        "/repos/acme/web/issues",
        "/user",
    ]


def test_plan_for_a_missing_issue_number_is_a_problem_not_a_new_issue() -> None:
    goal = Goal("x", "X", "growth", "2026-Q4", owners=("a",), issue=99)
    plan = plan_sync([goal], [], [], {"x": "body"}, Config(), Q)

    assert [(a.kind, a.goal_id) for a in plan.issues] == [("skip", "x")]
    assert plan.problems[0].key == "x.issue"
    assert plan.write_count == 0


def test_a_duplicate_issue_with_the_same_marker_is_closed_as_a_duplicate_of_the_oldest() -> None:
    goal = Goal("x", "X", "growth", "2026-Q4", owners=("a",))
    body = "<!-- quarterdeck:goal id=x -->\n"
    issues = [IssueSnapshot(n, "X", body, "open", ("goal",)) for n in (7, 4, 9)]
    issues.append(IssueSnapshot(11, "X", body, "closed", ("goal",)))  # closed earlier

    plan = plan_sync([goal], issues, ["goal"], {"x": body}, Config(), Q)

    assert [(a.kind, a.number, a.duplicate_of) for a in plan.issues] == [
        ("duplicate", 7, 4),
        ("duplicate", 9, 4),
        ("update", 4, None),  # the oldest is the goal's
    ]
    assert plan.back == ()


def test_quarters_to_sync() -> None:
    config = Config(
        goals=(
            Goal("a", "A", "t", "2026-Q3"),
            Goal("b", "B", "t", "2027-Q1"),
        )
    )
    assert quarters_to_sync(config, "2026-Q4") == ("2026-Q4", "2027-Q1")
    assert quarters_to_sync(config, "2026-Q4", "2026-Q3") == ("2026-Q3",)


def _snap(issue: dict[str, Any]) -> IssueSnapshot:
    return IssueSnapshot(issue["number"], issue["title"], issue["body"] or "", issue["state"])
