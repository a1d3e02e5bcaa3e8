"""What deliveries do, after the answer: comments, Shipped sections, goal checks, retries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from quarterdeck.errors import ConfigError, Problem
from quarterdeck.webhook.handlers.shipped import parse_entries
from quarterdeck.webhook.queues import BackgroundQueue
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo, webhook_examples
from tests.webhooks import (
    FILES,
    GOALS_YML,
    REPO,
    encode,
    fixed_loader,
    headers,
    merged_pr,
    ours,
    settings,
)

BOT = {"login": "quarterdeck[bot]", "type": "Bot", "id": 9}


@pytest.fixture
def repo(github: FakeGitHub) -> FakeRepo:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(fake, "Update the README with new information.")  # PR #2's issue side
    return fake


def make_app(tmp_path: Path, github: FakeGitHub, **kwargs: Any) -> Flask:
    # No config_loader: the real one reads FILES through the contents API of the fake.
    app = create_app(
        settings(tmp_path), identity=ours, github_factory=lambda _id: github.client(), **kwargs
    )
    app.extensions["fake_github"] = github
    return app


def deliver(app: Flask, event: str, payload: dict[str, Any], delivery: str | None = None) -> int:
    fake = app.extensions.get("fake_github")
    if event == "pull_request" and fake is not None:
        fake.hold_pull(REPO, payload)  # GitHub holds the PR the event is about
    body = encode(payload)
    status = app.test_client().post("/webhook", data=body, headers=headers(event, body, delivery))
    assert app.extensions["quarterdeck"].queue.wait_idle(10)
    return status.status_code


def test_merged_pr_gets_one_comment_and_the_goal_issue_lists_it(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)

    assert deliver(app, "pull_request", merged_pr(), "d-1") == 202

    (comment,) = repo.comments_on(2)
    assert "<!-- quarterdeck:pr-link pr=2 -->" in comment["body"]
    assert "A README people finish reading" in comment["body"]
    assert "reference" in comment["body"]
    assert "Goal: #1" in comment["body"]
    assert "1 PR shipped" in comment["body"]
    goal_body = repo.issues[1]["body"]
    assert goal_body.startswith("Why: people stop reading.\n")  # the person's text is kept
    assert "- 2019-05-15 · #2 Update the README with new information." in goal_body


def test_same_delivery_again_and_a_redelivery_leave_one_comment(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)
    deliver(app, "pull_request", merged_pr(), "d-1")
    calls = len(github.calls)

    assert deliver(app, "pull_request", merged_pr(), "d-1") == 200  # duplicate: no work
    assert len(github.calls) == calls
    assert deliver(app, "pull_request", merged_pr(), "d-2") == 202  # new id, same content

    assert len(repo.comments_on(2)) == 1
    assert github.count("POST", r"/comments$") == 1
    assert github.count("PATCH") == 1  # the goal issue once; nothing changed the 2nd time
    assert len(parse_entries(repo.issues[1]["body"])) == 1


def test_an_edit_updates_the_same_comment(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)
    deliver(app, "pull_request", merged_pr(), "d-1")
    (before,) = repo.comments_on(2)
    first_body = before["body"]

    edited = merged_pr(action="edited", body="No goal here.", labels=["goal:onboarding"])
    assert deliver(app, "pull_request", edited, "d-edit") == 202

    (after,) = repo.comments_on(2)
    assert after["id"] == before["id"]
    assert after["body"] != first_body
    assert "Onboarding in ten minutes" in after["body"]
    assert "label" in after["body"]
    assert "has no tracking issue" in after["body"]


def test_unplanned_pr_names_the_owning_team_by_paths(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    repo.pull_files[2] = ["web/app.py", "web/views.py", "README.md"]
    app = make_app(tmp_path, github)

    deliver(app, "pull_request", merged_pr(body="Just a fix."), "d-1")

    (comment,) = repo.comments_on(2)
    assert "**unplanned** work of team `web`" in comment["body"]
    assert "2 of 3 changed paths" in comment["body"]
    assert github.count("GET", r"/pulls/2/files") == 0  # the paths come with the PR
    assert "Onboarding in ten minutes" in comment["body"]  # a goal it could be linked to


@pytest.mark.parametrize(
    "payload",
    [
        next(p for p in webhook_examples("pull_request") if p["action"] == "closed"),
        {**merged_pr(), "pull_request": {**merged_pr()["pull_request"], "merged": False}},
        merged_pr(action="edited", sender=BOT),  # a bot editing: could be a loop
        merged_pr(action="synchronize"),
    ],
    ids=["closed-unmerged", "merged-false", "bot-edit", "other-action"],
)
def test_what_is_left_alone(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, payload: dict[str, Any]
) -> None:
    app = make_app(tmp_path, github)
    # Actions no route names are answered at the door (200, nothing claimed or queued);
    # routed ones are queued (202) and their handler leaves them alone.
    routed = payload["action"] in ("closed", "edited")
    assert deliver(app, "pull_request", payload) == (202 if routed else 200)
    assert github.writes == []


def test_title_cannot_mention_or_inject(tmp_path: Path, github: FakeGitHub, repo: FakeRepo) -> None:
    app = make_app(tmp_path, github)
    deliver(app, "pull_request", merged_pr(title="@everyone {{ 7*7 }} <b>x</b>"), "d-1")
    goal_body = repo.issues[1]["body"]
    assert "`@everyone`" in goal_body
    assert "{{ 7\\*7 }}" in goal_body
    assert "<b>" not in goal_body


def _goal_issue_event(action: str, labels: list[str], assignees: list[str]) -> dict[str, Any]:
    example = next(p for p in webhook_examples("issues") if p["action"] == "opened")
    payload = {**example, "action": action, "installation": {"id": 42}}
    payload["issue"] = {
        **example["issue"],
        "number": 1,
        "labels": [{"name": n} for n in labels],
        "assignees": [{"login": a, "type": "User"} for a in assignees],
    }
    return payload


def test_goal_issue_check_comments_once_and_follows_fixes(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)

    deliver(app, "issues", _goal_issue_event("opened", ["goal"], []))
    deliver(app, "issues", _goal_issue_event("labeled", ["goal", "team:nope"], []))
    (comment,) = repo.comments_on(1)
    assert "quarter:2026-Q4" in comment["body"]
    assert "owners" in comment["body"]
    assert "has no `quarter:YYYY-Qn` label" in comment["body"].replace("\\", "")

    # Two quarters: the review leaves such an issue out, so the App must not call it complete.
    labels = ["goal", "quarter:2026-Q3", "quarter:2026-Q4", "team:docs"]
    deliver(app, "issues", _goal_issue_event("labeled", labels, ["Codertocat"]))
    (comment,) = repo.comments_on(1)
    assert "goal issue has 2 labels `quarter:2026-Q3`, `quarter:2026-Q4`; keep one" in (
        comment["body"].replace("\\", "")
    )
    assert "now has a quarter" not in comment["body"]

    labels = ["goal", "quarter:2019-Q2", "team:docs"]
    deliver(app, "issues", _goal_issue_event("assigned", labels, ["Codertocat"]))
    (comment,) = repo.comments_on(1)
    assert "now has a quarter, a team and owners" in comment["body"]


def test_complete_or_unlabelled_issues_get_no_comment(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)
    deliver(
        app, "issues", _goal_issue_event("opened", ["goal", "quarter:2019-Q2", "team:docs"], ["a"])
    )
    deliver(app, "issues", _goal_issue_event("opened", ["bug"], []))
    bot = {**_goal_issue_event("edited", ["goal"], []), "sender": BOT}
    deliver(app, "issues", bot)
    assert github.writes == []


def test_installation_creates_labels_when_configured(tmp_path: Path, github: FakeGitHub) -> None:
    github.add_repo(REPO)
    app = create_app(
        settings(tmp_path, create_labels=True),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    created = next(p for p in webhook_examples("installation") if p["action"] == "created")
    deliver(app, "installation", created)
    deliver(app, "installation", created)  # a new delivery: labels already there
    assert sorted(github.repos[REPO.lower()].labels) == ["goal", "growth-review"]
    assert github.count("POST", r"/labels$") == 2


def test_github_errors_are_retried_by_rule(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    waits: list[float] = []
    app = make_app(tmp_path, github)
    runtime = app.extensions["quarterdeck"]
    queue = BackgroundQueue(
        runtime.processor,
        runtime.deliveries,
        delays=(5, 30),
        schedule=lambda delay, run: (waits.append(delay), run()),  # type: ignore[func-returns-value]
    )
    app = make_app(tmp_path, github, queue=queue)
    github.fail("POST", r"/issues/2/comments$", 502, times=2)

    assert deliver(app, "pull_request", merged_pr(), "d-1") == 202
    assert queue.wait_idle(10)

    assert waits == [5, 30]
    assert len(repo.comments_on(2)) == 1


def test_bad_config_is_dropped_and_the_delivery_released(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_repo: Any) -> Any:
        raise ConfigError([Problem(".github/quarterdeck.yml", 3, "teams", "must be a mapping")])

    app = make_app(tmp_path, github, config_loader=broken)
    with caplog.at_level("INFO", logger="quarterdeck.webhook"):
        assert deliver(app, "pull_request", merged_pr(), "d-bad") == 202
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped
    assert dropped[0].delivery == "d-bad"
    assert "must be a mapping" in dropped[0].getMessage()
    assert github.writes == []
    # Released: once the config is fixed, GitHub's "Redeliver" (same id) does the work.
    assert app.extensions["quarterdeck"].deliveries.claim("d-bad")


def test_a_goal_tracked_only_as_an_issue_links_the_merged_pr(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    github.add_issue(
        repo,
        "Search that finds things",
        labels=["goal", "quarter:2019-Q2", "team:web"],
        assignees=["bob"],
    )  # issue #3: in no goals file
    app = make_app(tmp_path, github)

    deliver(app, "pull_request", merged_pr(body="Part of #3"), "d-1")

    (comment,) = repo.comments_on(2)
    assert "Search that finds things" in comment["body"]
    assert "Part of #3" in comment["body"]


def test_app_links_by_goal_paths_like_the_review(tmp_path: Path, github: FakeGitHub) -> None:
    """No team owns paths, but a goal does: the paths come with the PR, and goal-paths
    outranks the keyword another goal declares, as in the review."""
    config = "teams:\n  web:\n    members: [bob]\n"
    goals = (
        "- id: readme\n  title: README\n  team: web\n  owners: [bob]\n  keywords: [readme]\n"
        "- id: onboarding\n  title: Onboarding\n  team: web\n  owners: [bob]\n"
        '  paths: ["web/onboarding/**"]\n'
    )
    repo = github.add_repo(
        REPO, files={".github/quarterdeck.yml": config, "goals/2019-Q2.yml": goals}
    )
    github.add_issue(repo, "A README people finish reading")
    github.add_issue(repo, "Update the README with new information.")  # PR #2's issue side
    repo.pull_files[2] = ["web/onboarding/a.py"]
    app = make_app(tmp_path, github)

    deliver(app, "pull_request", merged_pr(body="", title="Update the README"), "d-1")

    (comment,) = repo.comments_on(2)
    assert "moves the goal **Onboarding** (`onboarding`)" in comment["body"]
    assert (
        "**Linked by:** goal-paths (1 of 1 changed path is under goal onboarding"
        in (comment["body"])
    )
    assert github.count("GET", r"/pulls/2/files") == 0  # the paths come with the PR


def test_app_links_through_closing_issues_and_their_parents_like_the_review(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)
    payload = merged_pr(body="Small fix, nothing to say.")
    # What only GitHub knows: the PR closes #45, a sub-issue of the goal issue #1.
    github.hold_pull(REPO, payload, closing=((45, 1),))
    app.extensions.pop("fake_github")  # deliver must not replace what we hold

    deliver(app, "pull_request", payload, "d-closing")

    (comment,) = repo.comments_on(2)
    assert "A README people finish reading" in comment["body"]
    assert "GitHub says it closes #45; #45 belongs to #1" in comment["body"]


def test_a_persons_comment_with_the_bots_marker_is_never_edited(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    app = make_app(tmp_path, github)
    copied = "<!-- quarterdeck:pr-link pr=2 -->\nI copied the bot's comment to quote it."
    github.add_comment(repo, 2, copied, author="octocat")

    deliver(app, "pull_request", merged_pr(), "d-1")

    mine, ours = repo.comments_on(2)
    assert mine["body"] == copied  # a person's words stay theirs
    assert ours["user"]["login"] == "quarterdeck[bot]"
    assert "A README people finish reading" in ours["body"]


def test_a_relinked_pr_moves_from_the_old_goals_shipped_list_to_the_new_one(
    tmp_path: Path, github: FakeGitHub
) -> None:
    goals = GOALS_YML.replace("  owners: [bob]\n", "  owners: [bob]\n  issue: 3\n")
    repo = github.add_repo(REPO, files={**FILES, "goals/2019-Q2.yml": goals})
    github.add_issue(repo, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(repo, "Update the README with new information.")  # PR #2's issue side
    github.add_issue(repo, "Onboarding in ten minutes")
    app = make_app(tmp_path, github)

    deliver(app, "pull_request", merged_pr(body="Goal: #1"), "d-1")
    assert list(parse_entries(repo.issues[1]["body"])) == ["#2"]

    # A person edits the description: the PR now moves the onboarding goal.
    deliver(app, "pull_request", merged_pr(body="Goal: #3", action="edited"), "d-2")

    assert list(parse_entries(repo.issues[1]["body"])) == []
    assert repo.issues[1]["body"].startswith("Why: people stop reading.\n")
    assert list(parse_entries(repo.issues[3]["body"])) == ["#2"]
    (comment,) = repo.comments_on(2)
    assert "Onboarding in ten minutes" in comment["body"]
    # Linked to no goal at all: off every list.
    deliver(app, "pull_request", merged_pr(body="Just a fix", action="edited"), "d-3")
    assert list(parse_entries(repo.issues[3]["body"])) == []
