"""`quarterdeck plan --github [--publish]` against the one fake GitHub: the decisions of
the quarter's reviews read back, one planning issue per team opened in the planning
window, person's notes kept across re-runs, and the issues closed once the goals file
lands."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.text.markers import read_marker
from quarterdeck.services.plan import plans_from_github
from quarterdeck.services.plan_publish import publish_plans
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review_publish import publish_reviews
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.mdcheck import parse
from tests.reviewrepos import CONFIG
from tests.test_plan import OBJECTIVES, Q4
from tests.webhooks import encode, headers, ours, settings

REPO = "acme/web"
DECEMBER = Month(2026, 12)
IN_WINDOW = date(2026, 12, 20)
NOTE = "Cohorts | first: the Q1 launch needs them."
CHANGE = "- [ ] Change course (reprioritise, change goals, or start new work)"
NOTES = "_Write the meeting's notes here: Quarterdeck never changes this part._"


@pytest.fixture
def remote(github: FakeGitHub) -> FakeRepo:
    """acme/web with 2026-Q4's goals (every outcome), 2027-Q1's objectives, and the
    reviews of October (the lead chose "change course") and November (no decision)."""
    repo = github.add_repo(REPO)
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": Q4}
    github.commit(repo, {**files, "objectives/2027-Q1.yml": OBJECTIVES}, "2026-10-01T09:00:00Z")
    github.add_pull(
        REPO, 2, "Add checklist", "2026-10-03T12:00:00Z", author="carol",
        labels=("goal:onboarding",), files=("web/onboarding/c.py",),
    )  # fmt: skip
    github.add_pull(
        REPO, 3, "Funnel breakdowns", "2026-11-05T12:00:00Z", author="bob",
        body="Part of #12", files=("web/insights/b.py",),
    )  # fmt: skip
    github.now = "2026-11-02T08:00:00Z"
    publish(github, Month(2026, 10))
    october = review_issue(repo, "analytics", "2026-10")
    github.now = "2026-11-04T10:30:00Z"
    ticked = october["body"].replace(CHANGE, CHANGE.replace("[ ]", "[x]"))
    github.person_edits(
        repo, october["number"], ticked.replace("Notes:", f"Notes: {NOTE}"), "alice"
    )
    github.now = "2026-12-01T08:00:00Z"
    publish(github, Month(2026, 11))  # records October's decision on its issue
    github.now = "2026-12-20T09:00:00Z"
    return repo


def publish(github: FakeGitHub, month: Month) -> None:
    gh = github.gateway()
    reviews = github_home_reviews(gh, REPO, month).reviews
    publish_reviews(gh.repo(REPO), reviews, writer=github.writer_of(""))


def review_issue(repo: FakeRepo, team: str, month: str) -> dict[str, Any]:
    tag = f"quarterdeck:review team={team} month={month}"
    (issue,) = [i for i in repo.issues.values() if tag in (i["body"] or "")]
    return issue


def plan_issues(repo: FakeRepo) -> dict[str, dict[str, Any]]:
    found = {}
    for issue in repo.issues.values():
        attrs = read_marker(issue["body"], "plan")
        if attrs and attrs["quarter"] == "2027-Q1":
            assert attrs["team"] not in found, "one planning issue per team"
            found[attrs["team"]] = issue
    return found


def snapshot(repo: FakeRepo) -> tuple[Any, ...]:
    return (
        {
            n: (i["body"], i["state"], sorted(lb["name"] for lb in i["labels"]))
            for n, i in repo.issues.items()
        },
        {c: x["body"] for c, x in repo.comments.items()},
        sorted(repo.labels),
    )


def plans(github: FakeGitHub) -> Any:
    return plans_from_github(github.gateway(), REPO, "2027-Q1", DECEMBER)


def test_the_plan_shows_the_decisions_of_the_reviews_held_in_the_quarter(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    found = plans(github)

    analytics = next(p for p in found.plans if p.slug == "analytics")
    october = review_issue(remote, "analytics", "2026-10")
    november = review_issue(remote, "analytics", "2026-11")
    assert [(d.month, d.number, d.words) for d in analytics.decisions] == [
        (Month(2026, 9), None, "no review issue"),
        (Month(2026, 10), october["number"], "change course"),
        (Month(2026, 11), november["number"], "no decision recorded"),
    ]
    body = parse(publish_plans(found, today=IN_WINDOW, dry_run=True)[0].body)
    url = f"https://github.com/{REPO}/issues"
    assert body.tables[1] == [
        ["Review of", "Issue", "Decision", "Decided by", "Notes"],
        ["September 2026", "—", "no review issue", "—", "—"],
        [
            "October 2026",
            f"[#{october['number']}]({url}/{october['number']})",
            "change course",
            "`alice` on 2026-11-04",
            NOTE,  # escaped: one cell
        ],
        ["November 2026", f"[#{november['number']}]({url}/{november['number']})",
         "no decision recorded", "—", "—"],
    ]  # fmt: skip
    assert found.landed is None


def test_publish_outside_the_window_opens_nothing_and_says_when(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    before = snapshot(remote)

    results = publish_plans(plans(github), today=date(2026, 12, 2))

    assert [(r.action, r.number) for r in results] == [("not opened", None)] * 2
    assert results[0].notes == (
        "planning issues for 2027-Q1 open from 2026-12-18 to 2026-12-31 (the last two weeks "
        "of the quarter before), and today is 2026-12-02: not opened. Run it then, or add "
        "--force to open it now",
    )
    assert snapshot(remote) == before


def test_publish_opens_one_issue_per_team_keeps_notes_and_closes_when_the_goals_land(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    # Opened in the window: one per team, labelled, the stub and the notes part in it.
    results = publish_plans(plans(github), today=IN_WINDOW)
    assert [(r.team, r.action) for r in results] == [
        ("analytics", "created"),
        ("growth", "created"),
    ]
    issues = plan_issues(remote)
    assert sorted(issues) == ["analytics", "growth"]
    growth = issues["growth"]
    assert growth["title"] == "Planning 2027-Q1: growth"
    assert sorted(lb["name"] for lb in growth["labels"]) == ["quarter-planning", "team:growth"]
    assert NOTES in growth["body"]
    assert "- id: billing" in growth["body"]  # the never-started goal carries over

    # The lead writes the meeting's notes; a re-run keeps them and writes nothing.
    number = growth["number"]
    mine = growth["body"].replace(NOTES, "We split billing in two. @carol owns both.")
    github.person_edits(remote, number, mine, "carol")
    before = snapshot(remote)
    again = publish_plans(plans(github), today=date(2027, 1, 3))  # past the window: updates
    assert [r.action for r in again] == ["unchanged", "unchanged"]
    assert snapshot(remote) == before

    # The goals file lands: each issue gets one comment and is closed; then nothing more.
    github.commit(remote, {"goals/2027-Q1.yml": "[]\n"}, "2027-01-04T10:00:00Z")
    closed = publish_plans(plans(github), today=date(2027, 1, 4))
    assert [r.action for r in closed] == ["closed", "closed"]
    issues = plan_issues(remote)
    assert {t: i["state"] for t, i in issues.items()} == {"analytics": "closed", "growth": "closed"}
    assert "We split billing in two." in issues["growth"]["body"]
    landed = [c for c in remote.comments.values() if "quarterdeck:plan-landed" in c["body"]]
    assert len(landed) == 2
    assert "`goals/2027-Q1.yml` is on the default branch" in landed[0]["body"]

    # A person reopens one: it stays open, and no second comment is written.
    remote.issues[number]["state"] = "open"
    before = snapshot(remote)
    assert [r.action for r in publish_plans(plans(github), today=date(2027, 1, 5))] == [
        "unchanged",
        "unchanged",
    ]
    assert snapshot(remote) == before


def test_no_planning_issue_opens_once_the_goals_file_is_there(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    github.commit(remote, {"goals/2027-Q1.yml": "[]\n"}, "2026-12-19T10:00:00Z")
    before = snapshot(remote)

    results = publish_plans(plans(github), today=date(2026, 12, 2))  # no window to check

    assert {r.action for r in results} == {"not opened"}
    assert results[0].notes == (
        "goals/2027-Q1.yml is already on the default branch: no planning issue needed",
    )
    assert snapshot(remote) == before


def test_the_cli_publishes_with_force_and_writes_the_outputs(
    github: FakeGitHub,
    remote: FakeRepo,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    outputs = tmp_path / "out"
    argv = ["plan", "--github", REPO, "--quarter", "2027-Q1", "--force", "--dry-run"]

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "quarterdeck: would create: Planning 2027-Q1: analytics" in out
    assert plan_issues(remote) == {}

    assert main([*argv[:-1], "--publish", "--github-output", str(outputs)]) == 0
    issues = plan_issues(remote)
    err = capsys.readouterr().err
    number = issues["analytics"]["number"]
    assert f"quarterdeck: created #{number}: Planning 2027-Q1: analytics" in err
    lines = outputs.read_text().splitlines()
    assert lines[0] == f"issue-number={number}"
    assert '"action": "created"' in lines[2]


def test_publish_needs_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--quarter", "2027-Q1", "--publish"]) == 1
    assert "--publish and --dry-run need the repository to write to" in capsys.readouterr().err


def test_the_quarter_report_from_github_shows_each_teams_decisions(
    github: FakeGitHub,
    remote: FakeRepo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    october = review_issue(remote, "analytics", "2026-10")["number"]

    assert main(["quarter-report", "--github", REPO, "--quarter", "2026-Q4"]) == 0
    report = parse(capsys.readouterr().out)
    at = report.headings.index("Decisions of the reviews held in 2026-Q4")
    assert report.headings[at - 1 : at + 3] == [
        "analytics",
        "Decisions of the reviews held in 2026-Q4",
        "growth",
        "Decisions of the reviews held in 2026-Q4",
    ]
    analytics = next(t for t in report.tables if t[0][0] == "Review of")
    assert [row[:4] for row in analytics[1:]] == [
        ["September 2026", "—", "no review issue", "—"],
        ["October 2026", f"[#{october}](https://github.com/{REPO}/issues/{october})",
         "change course", "`alice` on 2026-11-04"],
        ["November 2026", analytics[3][1], "no decision recorded", "—"],
    ]  # fmt: skip

    assert (
        main(["quarter-report", "--github", REPO, "--quarter", "2026-Q4", "--format", "json"]) == 0
    )
    teams = {t["team"]: t for t in json.loads(capsys.readouterr().out)["teams"]}
    assert teams["analytics"]["decisions"][1] == {
        "review_of": "2026-10",
        "issue": october,
        "decision": "change-course",
        "by": "alice",
        "at": "2026-11-04T10:30:00+00:00",
        "notes": NOTE,
    }
    assert [d["decision"] for d in teams["growth"]["decisions"]] == [None, None, None]


def test_the_app_closes_the_planning_issues_when_a_push_lands_the_goals_file(
    github: FakeGitHub, remote: FakeRepo, tmp_path: Any
) -> None:
    publish_plans(plans(github), today=IN_WINDOW)
    app = create_app(settings(tmp_path), identity=ours, github_factory=lambda _id: github.client())

    # A push elsewhere, or of another file, changes nothing.
    before = snapshot(remote)
    elsewhere = github.person_pushes(remote, {"goals/2027-Q1.yml": "[]\n"}, "alice", "wip")
    other = github.person_pushes(remote, {"README.md": "hi\n"}, "alice")
    assert [deliver(app, "push", p) for p in (elsewhere, other)] == [202, 202]
    assert snapshot(remote)[0] == before[0]

    # The goals file lands on main: both planning issues are closed, with one comment each.
    github.now = "2027-01-04T10:00:00Z"
    landing = github.person_pushes(remote, {"goals/2027-Q1.yml": "[]\n"}, "alice")
    assert deliver(app, "push", landing) == 202
    issues = plan_issues(remote)
    assert {t: i["state"] for t, i in issues.items()} == {"analytics": "closed", "growth": "closed"}
    landed = [c for c in remote.comments.values() if "quarterdeck:plan-landed" in c["body"]]
    assert len(landed) == 2

    # The same push redelivered, and the workflow's run after it, write nothing more.
    after = snapshot(remote)
    landing_again = {**landing}
    assert deliver(app, "push", landing_again) == 202
    assert [r.action for r in publish_plans(plans(github), today=date(2027, 1, 4))] == [
        "unchanged",
        "unchanged",
    ]
    assert snapshot(remote) == after


def test_a_push_without_its_repository_is_refused(tmp_path: Any) -> None:
    app = create_app(settings(tmp_path), identity=ours, github_factory=lambda _id: None)
    body = encode({"ref": "refs/heads/main"})
    assert (
        app.test_client().post("/webhook", data=body, headers=headers("push", body)).status_code
        == 400
    )


def deliver(app: Any, event: str, payload: dict[str, Any]) -> int:
    body = encode(payload)
    status = app.test_client().post("/webhook", data=body, headers=headers(event, body))
    assert app.extensions["quarterdeck"].queue.wait_idle(10)
    return status.status_code


def test_a_dry_run_says_what_would_close_and_a_duplicate_is_closed(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    publish_plans(plans(github), today=IN_WINDOW)
    growth = plan_issues(remote)["growth"]
    # A copy from a run without the lock (an older version): ours, newer, same marker.
    labels = ["quarter-planning", "team:growth"]
    copy = github.add_issue(
        remote, growth["title"], body=growth["body"], labels=labels, user="quarterdeck[bot]"
    )
    github.commit(remote, {"goals/2027-Q1.yml": "[]\n"}, "2027-01-04T10:00:00Z")
    before = snapshot(remote)

    dry = publish_plans(plans(github), today=date(2027, 1, 4), dry_run=True)
    assert [(r.team, r.action) for r in dry] == [
        ("analytics", "would close"),
        ("growth", "would close"),
    ]
    assert dry[1].notes == (f"#{copy['number']} duplicates #{growth['number']}; would close it",)
    assert snapshot(remote) == before

    done = publish_plans(plans(github), today=date(2027, 1, 4))
    assert [r.action for r in done] == ["closed", "closed"]
    assert remote.issues[copy["number"]]["state"] == "closed"
    assert [r.number for r in done if r.team == "growth"] == [growth["number"]]
