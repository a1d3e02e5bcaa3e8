""" "Ours" means this App (or this Action, or this CLI user), never any bot.

Another bot's comment or issue carrying Quarterdeck's hidden markers (a bot quoting a
PR body, another App, a copy left by a script) is never edited, deleted, adopted,
labelled or closed as a duplicate: across `review --publish`, the Action, `goals sync`,
`plan --publish` and the App's PR comment, goal-issue check and planning-issue close.
Quarterdeck's own comments and issues are still found and updated in place, and a
re-run writes nothing. Everything runs through real PyGithub against the one fake
GitHub; the App through its real client factory (App JWT, installation token,
`GET /app`).
"""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.goals.goal_issues import goal_marker
from quarterdeck.core.text.markers import marker, read_marker
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.plan_publish import publish_plans
from quarterdeck.services.review_publish import overflow_marker
from quarterdeck.sources.github.client import token_writer
from quarterdeck.sources.github.writes import written_by_us
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.reviewrepos import seed_github
from tests.servers import served
from tests.test_app_locks import _env as lock_env
from tests.test_goals_sync import checkout
from tests.test_goals_sync import run as sync
from tests.test_goals_sync import seed as seed_goals
from tests.test_plan_github import IN_WINDOW, plans
from tests.test_plan_github import remote as plan_remote  # noqa: F401 (a fixture)
from tests.test_webhook_events import _goal_issue_event, deliver
from tests.test_webhook_live import post
from tests.webhooks import FILES, REPO, encode, headers, merged_pr, private_key_pem, settings

OTHER = "renovate[bot]"  # another App: its comments and issues are never ours
ANALYTICS = marker("review", team="analytics", month="2026-11")
GROWTH = marker("review", team="growth", month="2026-11")
NOVEMBER = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]


def frozen(repo: FakeRepo, numbers: list[int]) -> dict[int, Any]:
    """Issues `numbers` and every comment on them, as they stand (to compare later)."""
    issues = {n: copy.deepcopy(repo.issues[n]) for n in numbers}
    comments = {n: copy.deepcopy(repo.comments_on(n)) for n in numbers}
    return {"issues": issues, "comments": comments}


def touched(github: FakeGitHub, numbers: list[int]) -> list[tuple[str, str]]:
    """Writes sent to issues `numbers` (their body, labels, state or comments)."""
    return [
        (method, path)
        for method, path in github.writes
        for n in numbers
        if path.startswith(f"/repos/acme/web/issues/{n}/") or path == f"/repos/acme/web/issues/{n}"
    ]


@pytest.fixture
def cli_fake(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """acme/web seeded for November's review; the CLI's client pointed at the fake."""
    seed_github(github)
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return github


# ------------------------------------------------------------------------- the identity


def test_only_the_writers_own_login_is_ours() -> None:
    class User:
        def __init__(self, login: str, kind: str) -> None:
            self.login, self.type = login, kind

    asked: list[None] = []

    def me() -> str:
        asked.append(None)
        return "Quarterdeck[bot]"

    assert written_by_us(User("quarterdeck[bot]", "Bot"), me)
    assert not written_by_us(User(OTHER, "Bot"), me)
    assert not written_by_us(User("github-actions[bot]", "Bot"), me)
    assert not written_by_us(User("alice", "User"), me)
    assert not written_by_us(None, me)
    assert written_by_us(User("alice", "User"), "alice")


def test_a_token_says_who_it_writes_as_once(github: FakeGitHub) -> None:
    github.viewer = "alice"
    writer = token_writer(github.client(), in_actions=False)

    assert [writer(), writer()] == ["alice", "alice"]
    assert github.count("GET", r"^/user$") == 1


def test_the_actions_token_is_github_actions_bot_and_elsewhere_a_refusal_stops(
    github: FakeGitHub,
) -> None:
    github.viewer = None  # an Actions GITHUB_TOKEN: GET /user is 403

    assert token_writer(github.client(), in_actions=True)() == "github-actions[bot]"
    with pytest.raises(QuarterdeckError, match=r"403 to GET /user.*personal access token"):
        token_writer(github.client(), in_actions=False)()


# ------------------------------------------------------------------- review --publish


def test_review_publish_adopts_no_other_bots_issue_labelled_or_not(
    cli_fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github, remote = cli_fake, cli_fake.repos["acme/web"]
    # No `growth-review` label in the repository: publish looks for its issues by marker.
    unlabelled = github.add_issue(remote, "Growth review", body=f"{GROWTH}\nmine", user=OTHER)
    before = frozen(remote, [unlabelled["number"]])

    assert main(NOVEMBER) == 0

    assert touched(github, [unlabelled["number"]]) == []
    assert frozen(remote, [unlabelled["number"]]) == before
    opened = {n: i for n, i in remote.issues.items() if n != unlabelled["number"]}
    assert sorted(i["user"]["login"] for i in opened.values()) == ["quarterdeck[bot]"] * 2
    assert "relabel" not in capsys.readouterr().err

    # Now with the label: another bot's labelled copy is neither updated nor closed.
    labelled = github.add_issue(
        remote, "Growth review", body=f"{ANALYTICS}\ncopy", labels=["growth-review"], user=OTHER
    )
    ours = next(
        n for n, i in opened.items() if read_marker(i["body"], "review")["team"] == "analytics"
    )
    # Another bot quotes our overflow marker under our own issue: its comment stays.
    tag = overflow_marker("analytics", "2026-11")
    quoted = github.add_comment(remote, ours, f"> {tag}\nsee above", author=OTHER)
    before = frozen(remote, [unlabelled["number"], labelled["number"]])
    github.calls.clear()

    assert main(NOVEMBER) == 0

    assert github.writes == []  # ours unchanged; the others untouched
    assert frozen(remote, [unlabelled["number"], labelled["number"]]) == before
    assert remote.comments[quoted["id"]]["body"] == f"> {tag}\nsee above"


def test_the_action_writes_as_github_actions_bot_and_leaves_another_apps_issue(
    cli_fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    github, remote = cli_fake, cli_fake.repos["acme/web"]
    github.viewer = None  # the workflow's GITHUB_TOKEN
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    # The App (`quarterdeck[bot]`) is another bot to the Action.
    app_issue = github.add_issue(
        remote,
        "Growth review",
        body=f"{GROWTH}\n",
        labels=["growth-review"],
        user="quarterdeck[bot]",
    )
    before = frozen(remote, [app_issue["number"]])

    assert main(NOVEMBER) == 0
    github.calls.clear()
    assert main(NOVEMBER) == 0  # a re-run finds its own issues and writes nothing

    assert github.writes == []
    assert frozen(remote, [app_issue["number"]]) == before
    mine = [i for n, i in remote.issues.items() if n != app_issue["number"]]
    assert sorted(i["user"]["login"] for i in mine) == ["github-actions[bot]"] * 2


def test_a_token_that_cannot_say_who_it_is_writes_nothing(
    cli_fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    github, remote = cli_fake, cli_fake.repos["acme/web"]
    github.viewer = None  # an installation token used outside Actions
    github.add_issue(
        remote, "Growth review", body=f"{GROWTH}\n", labels=["growth-review"], user=OTHER
    )
    github.calls.clear()

    assert main(NOVEMBER) == 1

    assert github.writes == []
    assert "can't tell which account this token writes as" in capsys.readouterr().err


# ------------------------------------------------------------------------- goals sync


@pytest.mark.parametrize("labelled", [False, True], ids=["unlabelled", "labelled"])
def test_goals_sync_never_adopts_edits_or_closes_another_bots_goal_issue(
    github: FakeGitHub, tmp_path: Path, labelled: bool
) -> None:
    fake = seed_goals(github, dark_mode=False)
    labels = ["goal", "quarter:2026-Q4", "team:analytics"] if labelled else []
    body = f"{goal_marker('funnel-v2')}\nquoted from a PR body"
    other = github.add_issue(fake, "Rebuild funnels", body=body, labels=labels, user=OTHER)
    before = frozen(fake, [other["number"]])
    root = checkout(tmp_path)

    first = sync(github, root)
    github.calls.clear()
    sync(github, root)

    assert github.writes == []  # the second run: our issue found, theirs still not ours
    assert touched(github, [other["number"]]) == []
    assert frozen(fake, [other["number"]]) == before
    made = fake.issues[first.created["funnel-v2"]]
    assert made["user"]["login"] == "quarterdeck[bot]"
    assert made["number"] != other["number"]


# ----------------------------------------------------------------------- plan --publish


def test_plan_publish_and_the_app_leave_another_bots_planning_issue_alone(
    github: FakeGitHub,
    plan_remote: FakeRepo,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    body = f"{marker('plan', team='growth', quarter='2027-Q1')}\nPlanning 2027-Q1: growth"
    other = github.add_issue(
        plan_remote,
        "Planning 2027-Q1: growth",
        body=body,
        labels=["quarter-planning", "team:growth"],
        user=OTHER,
    )
    before = frozen(plan_remote, [other["number"]])

    results = publish_plans(plans(github), today=IN_WINDOW)

    assert [(r.team, r.action) for r in results] == [
        ("analytics", "created"),
        ("growth", "created"),
    ]
    assert results[1].number != other["number"]
    # The goals file lands and the App hears the push: ours close, theirs stays open.
    app = _app(tmp_path, github)
    github.now = "2027-01-04T10:00:00Z"
    landing = github.person_pushes(plan_remote, {"goals/2027-Q1.yml": "[]\n"}, "alice")
    assert deliver(app, "push", landing) == 202
    assert [r.action for r in publish_plans(plans(github), today=date(2027, 1, 4))] == [
        "unchanged",
        "unchanged",
    ]

    assert frozen(plan_remote, [other["number"]]) == before
    assert touched(github, [other["number"]]) == []
    assert [plan_remote.issues[r.number]["state"] for r in results] == ["closed", "closed"]


# ------------------------------------------------------------------------------ the App


def _app(tmp_path: Path, github: FakeGitHub) -> Any:
    """The App with nothing injected: its own factory mints an installation token with
    its JWT (from the fake), and it asks `GET /app` who it is (`FakeGitHub.app_slug`)."""
    loaded = settings(tmp_path, app_id=1, private_key=SecretStr(private_key_pem()))
    app = create_app(loaded)
    app.extensions["fake_github"] = github
    return app


def test_the_apps_pr_comment_leaves_other_bots_comments_alone(
    tmp_path: Path, github: FakeGitHub
) -> None:
    github.app_slug = "quarterdeck-staging"  # so `quarterdeck[bot]` is another App here
    repo = github.add_repo(REPO, files=FILES)
    github.add_issue(repo, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(repo, "Update the README with new information.")
    tag = "<!-- quarterdeck:pr-link pr=2 -->"
    # Older than ours would be: another App's copy, and a bot quoting the PR's body.
    older = github.add_comment(repo, 2, f"{tag}\nanother App's words", author="quarterdeck[bot]")
    quoting = github.add_comment(repo, 2, f"> {tag}\n> Goal: #1", author=OTHER)
    before = {c["id"]: c["body"] for c in repo.comments_on(2)}
    app = _app(tmp_path, github)

    assert deliver(app, "pull_request", merged_pr(), "d-1") == 202
    assert deliver(app, "pull_request", merged_pr(), "d-2") == 202  # another delivery id

    comments = repo.comments_on(2)
    theirs = {c["id"]: c["body"] for c in comments if c["id"] in before}
    assert theirs == before  # 0 edited, 0 deleted
    assert {older["id"], quoting["id"]} <= {c["id"] for c in comments}
    [mine] = [c for c in comments if c["user"]["login"] == "quarterdeck-staging[bot]"]
    assert mine["body"].startswith(tag)
    assert github.count("DELETE") == 0
    assert github.count("GET", r"^/app$") == 1  # asked once per process


def test_the_apps_goal_check_leaves_another_bots_check_comment_alone(
    tmp_path: Path, github: FakeGitHub
) -> None:
    repo = github.add_repo(REPO, files=FILES)
    github.add_issue(repo, "A README people finish reading")
    theirs = github.add_comment(
        repo, 1, "<!-- quarterdeck:goal-check issue=1 -->\nold", author=OTHER
    )
    app = _app(tmp_path, github)

    deliver(app, "issues", _goal_issue_event("opened", ["goal"], []))
    deliver(app, "issues", _goal_issue_event("labeled", ["goal", "team:nope"], []))

    assert repo.comments[theirs["id"]]["body"] == "<!-- quarterdeck:goal-check issue=1 -->\nold"
    mine = [c for c in repo.comments_on(1) if c["user"]["login"] == "quarterdeck[bot]"]
    assert len(mine) == 1  # created once, then updated in place
    assert github.count("DELETE") == 0


def test_a_real_serve_overwrites_and_deletes_no_other_bots_comment(
    tmp_path: Path, github: FakeGitHub
) -> None:
    """The same over real HTTP: a `quarterdeck serve` process asks the fake (served on
    127.0.0.1) `GET /app` with its JWT, and writes as `quarterdeck-staging[bot]`."""
    github.app_slug = "quarterdeck-staging"
    repo = github.add_repo(REPO, files=FILES)
    github.add_issue(repo, "A README people finish reading")
    github.add_issue(repo, "Update the README with new information.")
    github.hold_pull(REPO, merged_pr())
    tag = "<!-- quarterdeck:pr-link pr=2 -->"
    github.add_comment(repo, 2, f"{tag}\nanother App's words", author="quarterdeck[bot]")
    github.add_comment(repo, 2, f"> {tag}\n> Goal: #1", author=OTHER)
    before = {c["id"]: c["body"] for c in repo.comments_on(2)}
    front = HttpFront(github)
    body = encode(merged_pr())
    try:
        with served(lock_env(tmp_path, front), tmp_path, "--workers", "1") as server:
            statuses = [post(server.port, body, headers("pull_request", body)) for _ in range(2)]
            done = server.wait_for('"message": "delivery handled', 2, timeout=120)
            log = "".join(server.lines)
    finally:
        front.close()

    assert statuses == [202, 202]
    assert done, log[-3000:]
    comments = repo.comments_on(2)
    assert {c["id"]: c["body"] for c in comments if c["id"] in before} == before
    assert len(comments) == len(before) + 1
    assert comments[-1]["user"]["login"] == "quarterdeck-staging[bot]"
    assert github.count("DELETE") == 0
    assert github.count("GET", r"^/app$") == 1
