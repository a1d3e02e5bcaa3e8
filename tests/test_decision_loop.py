"""The monthly loop end to end against the one fake GitHub and the App's Flask client:
publish a review, the lead decides on it, the goals change, the next review carries
both forward; re-running everything writes nothing new."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from quarterdeck.core.calendar import Month
from quarterdeck.core.review.decisions import note_marker, read_record
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review_publish import publish_reviews
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import CONFIG, GOALS
from tests.webhooks import encode, headers, ours, settings

REPO = "acme/web"
OCTOBER, NOVEMBER = Month(2026, 10), Month(2026, 11)
# November's goals: analytics drops "Funnels v2" and adds "Retention cohorts".
NEW_GOALS = """\
- id: cohorts
  title: Retention cohorts
  team: analytics
  owners: [bob]
- id: onboarding
  title: Onboarding checklist
  team: growth
  owners: [carol]
"""
CHANGE = "- [ ] Change course (reprioritise, change goals, or start new work)"
CONTINUE = "- [ ] Continue as planned"
NOTE = "Funnels are done enough: cohorts matter more for the Q1 launch."


@pytest.fixture
def remote(github: FakeGitHub) -> FakeRepo:
    repo = github.add_repo(REPO)
    github.commit(
        repo,
        {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS},
        "2026-10-01T09:00:00Z",
    )
    github.add_pull(
        REPO, 3, "Funnel breakdowns", "2026-10-05T12:00:00Z", author="bob",
        body="Part of #12", files=("web/insights/b.py",),
    )  # fmt: skip
    return repo


def app_for(tmp_path: Path, github: FakeGitHub) -> Flask:
    # No config loader: the App reads the config through the fake's contents API.
    return create_app(settings(tmp_path), identity=ours, github_factory=lambda _id: github.client())


def deliver(app: Flask, event: str, payload: dict[str, Any]) -> int:
    body = encode(payload)
    status = app.test_client().post("/webhook", data=body, headers=headers(event, body))
    assert app.extensions["quarterdeck"].queue.wait_idle(10)
    return status.status_code


def publish(github: FakeGitHub, month: Month) -> list[Any]:
    gh = github.gateway()
    reviews = github_home_reviews(gh, REPO, month).reviews
    return publish_reviews(gh.repo(REPO), reviews, writer=github.writer_of(""))


def analytics_issue(remote: FakeRepo, month: Month) -> dict[str, Any]:
    (issue,) = [
        i
        for i in remote.issues.values()
        if f"quarterdeck:review team=analytics month={month}" in (i["body"] or "")
    ]
    return issue


def labels_of(issue: dict[str, Any]) -> list[str]:
    return sorted(lb["name"] for lb in issue["labels"])


def snapshot(remote: FakeRepo) -> tuple[Any, ...]:
    return (
        sorted(remote.issues),
        sorted(remote.comments),
        sorted(remote.labels),
        {n: (i["body"], labels_of(i)) for n, i in remote.issues.items()},
        {c: x["body"] for c, x in remote.comments.items()},
    )


def test_the_monthly_loop_from_review_to_decision_to_the_next_review(
    tmp_path: Path, github: FakeGitHub, remote: FakeRepo
) -> None:
    app = app_for(tmp_path, github)

    # 1. October's review is published.
    github.now = "2026-11-02T08:00:00Z"
    publish(github, OCTOBER)
    october = analytics_issue(remote, OCTOBER)
    number = october["number"]
    assert CHANGE in october["body"]
    assert CONTINUE in october["body"]

    # 2. The lead (alice) ticks "Change course" and writes a note: the App records it.
    github.now = "2026-11-04T10:30:00Z"
    ticked = october["body"].replace(CHANGE, CHANGE.replace("[ ]", "[x]"))
    ticked = ticked.replace("Notes:", f"Notes: {NOTE}")
    assert deliver(app, "issues", github.person_edits(remote, number, ticked, "alice")) == 202
    october = remote.issues[number]
    assert labels_of(october) == ["decision:change-course", "growth-review", "team:analytics"]
    record = read_record(october["body"])
    assert record is not None
    assert (record.choice, record.by, record.notes) == ("change-course", "alice", NOTE)
    assert "**Decision**: change course, decided by `alice` on 2026-11-04." in october["body"]
    assert october["body"].startswith(ticked.rstrip("\n"))  # the person's text, kept as is
    assert remote.comments_on(number) == []  # the lead decided: nothing to say
    # The App's own edit comes back as an event: ignored, nothing written.
    writes = len(github.writes)
    own = github.person_edits(remote, number, october["body"], "quarterdeck[bot]")
    assert deliver(app, "issues", own) == 202
    assert len(github.writes) == writes

    # Then the PM (pat, not the lead) ticks "Continue" instead, and edits once more.
    github.now = "2026-11-05T09:00:00Z"
    by_pm = (
        remote.issues[number]["body"]
        .replace("- [x] Change course", "- [ ] Change course")
        .replace(CONTINUE, CONTINUE.replace("[ ]", "[x]"))
    )
    deliver(app, "issues", github.person_edits(remote, number, by_pm, "pat"))
    github.now = "2026-11-05T09:05:00Z"
    deliver(app, "issues", github.person_edits(remote, number, by_pm + "\nPM here.", "pat"))
    (note,) = remote.comments_on(number)
    assert note["body"].startswith(note_marker(number))
    assert "only `alice`, the team's lead, decides, so `alice`'s tick is awaited" in note["body"]
    assert "The recorded decision stays: change course." in note["body"]
    october = remote.issues[number]
    assert "decision:change-course" in labels_of(october)  # the lead's decision stands
    assert "decision:continue" not in labels_of(october)

    # 3. The goals file changes: "Funnels v2" dropped, "Retention cohorts" added.
    github.commit(remote, {"goals/2026-Q4.yml": NEW_GOALS}, "2026-11-10T09:00:00Z")

    # 4. November's review: October's decision, its notes and the goal changes.
    github.now = "2026-12-01T08:00:00Z"
    publish(github, NOVEMBER)
    november = analytics_issue(remote, NOVEMBER)["body"]
    assert (
        "October 2026: **change course**, decided by `alice` on 2026-11-04 in "
        f"#{number}. Notes: Funnels are done enough: cohorts matter more for the Q1 launch."
    ) in november
    assert "What changed in the goals since 2026-11-01:" in november
    assert "- **Dropped**: Funnels v2 (`funnels`)" in november
    assert "- **Added**: Retention cohorts (`cohorts`)" in november
    assert "no goal changed since" not in november  # the course did change: no flag
    assert "decision:change-course" in labels_of(remote.issues[number])
    assert len(remote.comments_on(number)) == 1  # publish reads pat's tick: same note

    # 5. Everything again: no new issue, comment or label, nothing rewritten.
    before = snapshot(remote)
    writes = len(github.writes)
    publish(github, NOVEMBER)
    deliver(app, "issues", github.person_edits(remote, number, by_pm + "\nPM here.", "pat"))
    publish(github, NOVEMBER)
    assert snapshot(remote) == before
    assert github.writes[writes:] == []
    # October's own review again: it is brought up to date (its goal table now lists
    # November's goals), but nothing is created or labelled, and the record stays.
    publish(github, OCTOBER)
    assert [w for w in github.writes[writes:] if w[0] != "PATCH"] == []
    assert read_record(remote.issues[number]["body"]) == record
    assert sorted(remote.comments) == before[1]


def test_the_action_records_a_tick_the_app_never_saw(github: FakeGitHub, remote: FakeRepo) -> None:
    github.now = "2026-11-02T08:00:00Z"
    publish(github, OCTOBER)
    number = analytics_issue(remote, OCTOBER)["number"]
    body = remote.issues[number]["body"]
    github.now = "2026-11-06T16:00:00Z"
    ticked = body.replace(CONTINUE, "- [X] Continue as planned")
    github.person_edits(remote, number, ticked, "alice")
    github.now = "2026-11-07T08:00:00Z"  # a later edit by the bot must not hide who ticked
    remote.edits[number].append(("quarterdeck[bot]", github.now))

    github.now = "2026-12-01T08:00:00Z"
    publish(github, NOVEMBER)

    october = remote.issues[number]
    assert "decision:continue" in labels_of(october)
    record = read_record(october["body"])
    assert record is not None
    assert (record.choice, record.by) == ("continue", "alice")
    assert record.at.isoformat() == "2026-11-06T16:00:00+00:00"
    november = analytics_issue(remote, NOVEMBER)["body"]
    assert "October 2026: **continue as planned**, decided by `alice` on 2026-11-06" in november
    assert "No goal changed since 2026-11-01." in november
    assert github.count("POST", "/graphql") >= 1


def test_change_course_without_any_goal_change_is_flagged(
    github: FakeGitHub, remote: FakeRepo
) -> None:
    github.now = "2026-11-02T08:00:00Z"
    publish(github, OCTOBER)
    number = analytics_issue(remote, OCTOBER)["number"]
    body = remote.issues[number]["body"]
    github.person_edits(remote, number, body.replace(CHANGE, CHANGE.replace("[ ]", "[x]")), "alice")

    publish(github, NOVEMBER)

    november = analytics_issue(remote, NOVEMBER)["body"]
    summary = november.split("<!-- /quarterdeck:section summary -->")[0]
    assert "**What to discuss**" in summary
    assert "October 2026's decision was to change course, but no goal changed since" in summary


def test_only_the_leads_tick_counts_and_a_forged_record_is_put_back(
    tmp_path: Path, github: FakeGitHub, remote: FakeRepo
) -> None:
    app = app_for(tmp_path, github)
    publish(github, OCTOBER)
    number = analytics_issue(remote, OCTOBER)["number"]
    body = remote.issues[number]["body"]

    # Bob (a member, not the lead) ticks and writes a record claiming alice decided.
    forged = body.replace(CONTINUE, CONTINUE.replace("[ ]", "[x]")) + (
        "\n<!-- quarterdeck:section decision -->\n"
        "<!-- quarterdeck:decision at=2026-11-04T00:00:00Z by=alice choice=continue -->\n"
        "**Decision**: continue as planned, decided by `alice` on 2026-11-04.\n"
        "<!-- /quarterdeck:section decision -->\n"
    )
    deliver(app, "issues", github.person_edits(remote, number, forged, "bob"))

    october = remote.issues[number]
    assert read_record(october["body"]) is None  # taken back
    assert "_No decision is recorded yet._" in october["body"]
    assert not [n for n in labels_of(october) if n.startswith("decision:")]
    (note,) = remote.comments_on(number)
    assert "`bob` ticked “continue as planned”; only `alice`" in note["body"]


def test_both_boxes_then_an_untick_by_the_lead(
    tmp_path: Path, github: FakeGitHub, remote: FakeRepo
) -> None:
    app = app_for(tmp_path, github)
    publish(github, OCTOBER)
    number = analytics_issue(remote, OCTOBER)["number"]
    body = remote.issues[number]["body"]
    tick = {CONTINUE: CONTINUE.replace("[ ]", "[x]"), CHANGE: CHANGE.replace("[ ]", "[x]")}

    github.now = "2026-11-03T09:00:00Z"
    deliver(
        app,
        "issues",
        github.person_edits(remote, number, body.replace(CONTINUE, tick[CONTINUE]), "alice"),
    )
    assert "decision:continue" in labels_of(remote.issues[number])

    both = remote.issues[number]["body"].replace(CHANGE, tick[CHANGE])
    deliver(app, "issues", github.person_edits(remote, number, both, "alice"))
    (note,) = remote.comments_on(number)
    assert "Both boxes are ticked: keep one" in note["body"]
    assert "decision:continue" in labels_of(remote.issues[number])  # the decision stands

    none = both.replace(tick[CHANGE], CHANGE).replace(tick[CONTINUE], CONTINUE)
    github.now = "2026-11-04T09:00:00Z"
    deliver(app, "issues", github.person_edits(remote, number, none, "alice"))
    october = remote.issues[number]
    assert not [n for n in labels_of(october) if n.startswith("decision:")]
    (note,) = remote.comments_on(number)  # the same note, updated in place
    assert (
        "`alice` unticked the decision, so the `decision:continue` label is removed" in note["body"]
    )
    assert "`alice` unticked the decision on 2026-11-04." in october["body"]
