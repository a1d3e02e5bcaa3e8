"""The App installed on an organisation: one home config, the goal issues in the home.

The fake serves acme/.github (the home: an organisation-wide config naming
`repos: [acme/web, acme/sdk-js]`, the goals file, goal issues #1 and #2) and acme/web,
acme/sdk-js without a config of their own. Deliveries are GitHub's recorded
`pull_request` example, retargeted at each repository.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from quarterdeck.core.review.repositories import RepoInfo, home_of
from quarterdeck.webhook.config_cache import CachedConfig
from quarterdeck.webhook.handlers.shipped import parse_entries
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo, webhook_examples
from tests.webhooks import REPO, encode, headers, merged_pr, ours, settings

HOME = "acme/.github"
ORG_CONFIG = """\
teams:
  sdk:
    members: [Codertocat, alice]
repos: [acme/web, acme/sdk-js]
goals: {files: goals/, label: goal}
"""
GOALS = """\
- id: readme
  title: A README people finish reading
  team: sdk
  owners: [Codertocat]
  issue: 1
- id: onboarding
  title: Onboarding in ten minutes
  team: sdk
  owners: [Codertocat]
  issue: 2
"""
OWN_CONFIG = """\
teams:
  tools:
    members: [Codertocat]
goals: {files: goals/, label: goal}
"""
OWN_GOALS = """\
- id: cli
  title: A CLI people like
  team: tools
  owners: [Codertocat]
  issue: 1
"""


@pytest.fixture
def org(github: FakeGitHub) -> dict[str, FakeRepo]:
    home = github.add_repo(
        HOME, files={".github/quarterdeck.yml": ORG_CONFIG, "goals/2019-Q2.yml": GOALS}
    )
    github.add_issue(home, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(home, "Onboarding in ten minutes")
    repos = {"home": home}
    for name in ("acme/web", "acme/sdk-js", "acme/legacy"):
        repos[name] = github.add_repo(name)
    own = github.add_repo(
        "acme/tools", files={".github/quarterdeck.yml": OWN_CONFIG, "goals/2019-Q2.yml": OWN_GOALS}
    )
    github.add_issue(own, "A CLI people like")
    repos["acme/tools"] = own
    return repos


def pr_payload(full_name: str, number: int, *, body: str = "", action: str = "closed") -> Any:
    """GitHub's recorded merged-PR delivery, retargeted at PR `number` of `full_name`."""
    payload = json.loads(json.dumps(merged_pr(body=body, action=action)).replace(REPO, full_name))
    owner, name = full_name.split("/")
    payload["repository"].update(name=name, full_name=full_name)
    payload["repository"]["owner"] = {**payload["repository"]["owner"], "login": owner}
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["title"] = f"Change {number} of {name}"
    return copy.deepcopy(payload)


def hold(github: FakeGitHub, full_name: str, payload: Any, goal_issue: int | None) -> None:
    """GitHub holds the PR; with `goal_issue`, it closes that issue of the home."""
    closing = (((HOME, goal_issue), None),) if goal_issue else ()
    github.hold_pull(full_name, payload, closing=closing)


def make_app(tmp_path: Path, github: FakeGitHub) -> Flask:
    return create_app(settings(tmp_path), identity=ours, github_factory=lambda _id: github.client())


def deliver(app: Flask, payload: Any) -> int:
    body = encode(payload)
    answer = app.test_client().post("/webhook", data=body, headers=headers("pull_request", body))
    assert app.extensions["quarterdeck"].queue.wait_idle(20)
    return answer.status_code


def shipped(repo: FakeRepo, number: int) -> list[str]:
    return list(parse_entries(repo.issues[number]["body"] or ""))


# -- the decision, pure --------------------------------------------------------------


def test_home_of_a_repository_by_where_its_config_is() -> None:
    org = ("acme/web", "acme/sdk-*", "!acme/sdk-old")
    assert home_of(RepoInfo("acme/web"), "acme/web", org) == "acme/web"  # its own file
    assert home_of(RepoInfo("acme/sdk-js"), HOME, org) == HOME
    assert home_of(RepoInfo("acme/sdk-old"), HOME, org) is None  # left out
    assert home_of(RepoInfo("acme/sdk-fork", fork=True), HOME, org) is None  # patterns skip forks
    assert home_of(RepoInfo("acme/web", archived=True), HOME, org) == HOME  # named: read anyway
    assert home_of(RepoInfo("acme/blog"), HOME, org) is None
    assert home_of(RepoInfo("acme/blog"), HOME, ()) == "acme/blog"  # shared config, own goals


# -- acceptance --------------------------------------------------------------------------


def test_two_repositories_update_the_one_goal_issue_in_the_home(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    app = make_app(tmp_path, github)
    for full_name, number in (("acme/web", 7), ("acme/sdk-js", 42)):
        payload = pr_payload(full_name, number)
        hold(github, full_name, payload, 1)
        assert deliver(app, payload) == 202

    home = org["home"]
    # Merged the same day: listed by repository, then number.
    assert shipped(home, 1) == ["sdk-js#42", "web#7"]
    assert home.issues[1]["body"].startswith("Why: people stop reading.\n")
    for full_name, number in (("acme/web", 7), ("acme/sdk-js", 42)):
        (comment,) = org[full_name].comments_on(number)
        assert "A README people finish reading" in comment["body"]
        assert f"GitHub says it closes `{HOME}#1`" in comment["body"]
        assert f"the list is on {HOME}#1" in comment["body"]
        assert f"<!-- quarterdeck:listed-on issue=1 repo={HOME} -->" in comment["body"]
    # Nothing was written in the repositories besides their PRs' comments.
    assert home.comments == {}
    assert org["acme/web"].issues == {}
    assert org["acme/sdk-js"].issues == {}


def test_ten_concurrent_deliveries_from_two_repositories_lose_no_entry(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    # Five apps sharing the claims' SQLite file (and so its locks), as five processes
    # do; each works on its own thread. The goal issue is answered late, so without one
    # lock per home issue two writers would each write the other's entry away.
    github.slow("GET", r"^/repos/acme/\.github/issues/1$", 0.05)
    apps = [make_app(tmp_path, github) for _ in range(5)]
    merges = [("acme/web", n) for n in range(10, 15)] + [("acme/sdk-js", n) for n in range(20, 25)]
    bodies = []
    for full_name, number in merges:
        payload = pr_payload(full_name, number)
        hold(github, full_name, payload, 1)
        bodies.append(encode(payload))
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def send(i: int, body: bytes) -> None:
        start.wait()
        client = apps[i % len(apps)].test_client()
        statuses.append(
            client.post("/webhook", data=body, headers=headers("pull_request", body)).status_code
        )

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(app.extensions["quarterdeck"].queue.wait_idle(60) for app in apps)

    assert statuses == [202] * len(merges)
    want = {f"{name.split('/')[1]}#{n}" for name, n in merges}
    body = org["home"].issues[1]["body"]
    assert set(shipped(org["home"], 1)) == want
    assert len(re.findall(r"^- \d{4}-\d\d-\d\d · ", body, re.M)) == len(want)  # no duplicates
    edits = [
        set(parse_entries(c.body["body"]))
        for c in github.calls
        if c.method == "PATCH" and c.path == "/repos/acme/.github/issues/1"
    ]
    assert len(edits) == len(merges)  # each merge added its line once
    for before, after in itertools.pairwise(edits):
        assert before < after, f"an edit dropped {sorted(before - after)}"
    for full_name, number in merges:
        assert len(org[full_name].comments_on(number)) == 1


def test_a_repository_the_config_does_not_select_gets_no_comment(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path, github)
    payload = pr_payload("acme/legacy", 3)
    hold(github, "acme/legacy", payload, 1)
    with caplog.at_level(logging.INFO, logger="quarterdeck.webhook"):
        assert deliver(app, payload) == 202

    assert github.writes == []
    assert "acme/legacy is not among the repositories acme/.github's config names" in caplog.text
    assert github.count("POST", "/graphql") == 0  # decided before reading the PR


def test_a_repository_with_its_own_config_keeps_using_it(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    tools = org["acme/tools"]
    app = make_app(tmp_path, github)
    payload = pr_payload("acme/tools", 5, body="Goal: #1")
    hold(github, "acme/tools", payload, None)
    assert deliver(app, payload) == 202

    (comment,) = tools.comments_on(5)
    assert "A CLI people like" in comment["body"]
    assert "the list is on #1" in comment["body"]
    assert "repo=" not in comment["body"]
    assert shipped(tools, 1) == ["#5"]
    assert org["home"].issues[1]["body"] == "Why: people stop reading.\n"  # untouched


def test_a_relinked_pr_moves_between_goal_issues_of_the_home(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    home = org["home"]
    app = make_app(tmp_path, github)
    first = pr_payload("acme/sdk-js", 42)
    hold(github, "acme/sdk-js", first, 1)
    deliver(app, first)
    assert (shipped(home, 1), shipped(home, 2)) == (["sdk-js#42"], [])

    # A person edits the description: the PR now names the onboarding goal.
    edited = pr_payload("acme/sdk-js", 42, body="goal:onboarding", action="edited")
    hold(github, "acme/sdk-js", edited, None)
    deliver(app, edited)

    assert (shipped(home, 1), shipped(home, 2)) == ([], ["sdk-js#42"])
    assert home.issues[1]["body"].startswith("Why: people stop reading.\n")
    (comment,) = org["acme/sdk-js"].comments_on(42)
    assert "Onboarding in ten minutes" in comment["body"]
    assert f"<!-- quarterdeck:listed-on issue=2 repo={HOME} -->" in comment["body"]

    unplanned = pr_payload("acme/sdk-js", 42, body="Just a fix", action="edited")
    hold(github, "acme/sdk-js", unplanned, None)
    deliver(app, unplanned)
    assert (shipped(home, 1), shipped(home, 2)) == ([], [])


# -- the config, cached and revalidated ---------------------------------------------------


def _config_of(cache: CachedConfig, github: FakeGitHub, full_name: str) -> Any:
    return cache(full_name, github.gateway().lazy().repo(full_name))


def test_the_home_config_is_read_once_then_revalidated_for_free(
    github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    now = [0.0]
    cache = CachedConfig(None, 60, clock=lambda: now[0])

    first = _config_of(cache, github, "acme/web")
    cold = len(github.calls)
    again = _config_of(cache, github, "acme/sdk-js")  # the same home: only its own probe
    assert again is first
    assert [(c.method, c.path) for c in github.calls[cold:]] == [
        ("GET", "/repos/acme/sdk-js/contents/.github/quarterdeck.yml")
    ]
    assert (first.source, first.goals_repo) == (HOME, HOME)
    assert [g.id for g in first.config.goals] == ["readme", "onboarding"]

    # Past the TTL: every read is asked again with its ETag, and GitHub answers 304.
    now[0] = 61
    before, budget = len(github.calls), github.rate_remaining
    assert _config_of(cache, github, "acme/web") is first
    asked = github.calls[before:]
    conditional = [c for c in asked if "If-None-Match" in c.headers]
    assert [c.path for c in conditional] == [
        "/repos/acme/.github/contents/.github/quarterdeck.yml",
        "/repos/acme/.github/contents/goals",
        "/repos/acme/.github/contents/goals/2019-Q2.yml",
    ]
    assert all(c.method == "GET" for c in asked)
    assert github.not_modified == len(conditional)
    # Charged: only what had no ETag to send, acme/web's absent config file (GitHub
    # tags no 404) and the listing of goal-labelled issues, which was empty.
    assert [c.path for c in asked if c not in conditional] == [
        "/repos/acme/web/contents/.github/quarterdeck.yml",
        "/repos/acme/.github/issues",
    ]
    assert budget - github.rate_remaining == 2

    # A changed goals file is seen at the next revalidation and read again whole.
    org["home"].files["goals/2019-Q2.yml"] = GOALS.replace("Onboarding in", "Onboarding within")
    now[0] = 122
    fresh = _config_of(cache, github, "acme/web")
    assert fresh is not first
    assert fresh.config.goal("onboarding").title == "Onboarding within ten minutes"


def test_the_fake_answers_conditional_reads_as_github(
    github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    gh = github.client()
    content = gh.get_repo(HOME).get_contents(".github/quarterdeck.yml")
    assert content.etag is not None
    assert content.etag.startswith('W/"')
    assert content.update() is False  # 304: PyGithub keeps what it had
    assert github.calls[-1].headers["If-None-Match"] == content.etag
    org["home"].files[".github/quarterdeck.yml"] = ORG_CONFIG + "# edited\n"
    assert content.update() is True
    assert content.decoded_content.decode().endswith("# edited\n")


def test_a_delivery_costs_four_requests_warm(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    app = make_app(tmp_path, github)
    warm_up = pr_payload("acme/web", 7)
    hold(github, "acme/web", warm_up, 1)
    deliver(app, warm_up)
    payload = pr_payload("acme/web", 8)
    hold(github, "acme/web", payload, 1)
    before = len(github.calls)

    deliver(app, payload)

    sent = [(c.method, c.path) for c in github.calls[before:]]
    assert sent == [
        ("POST", "/graphql"),  # the PR and its comments
        ("GET", "/repos/acme/.github/issues/1"),  # the goal issue, under its lock
        ("PATCH", "/repos/acme/.github/issues/1"),
        ("POST", "/repos/acme/web/issues/8/comments"),
    ]
    # A redelivery changes nothing: two reads, no write.
    before = len(github.calls)
    deliver(app, payload)
    assert [c.method for c in github.calls[before:]] == ["POST", "GET"]


def test_pull_request_objects_from_graphql_edit_our_comment_in_place(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    # The comment found in the GraphQL answer is edited without being read by REST.
    app = make_app(tmp_path, github)
    payload = pr_payload("acme/web", 7)
    hold(github, "acme/web", payload, 1)
    deliver(app, payload)
    (comment,) = org["acme/web"].comments_on(7)
    edited = pr_payload("acme/web", 7, body="goal:onboarding", action="edited")
    hold(github, "acme/web", edited, None)
    deliver(app, edited)
    assert github.count("PATCH", rf"/repos/acme/web/issues/comments/{comment['id']}$") == 1
    assert github.count("GET", r"/comments") == 0
    assert "Onboarding in ten minutes" in org["acme/web"].comments_on(7)[0]["body"]


def test_a_shared_config_without_repos_keeps_each_repositorys_goals(
    tmp_path: Path, github: FakeGitHub
) -> None:
    # Today's meaning of the owner's `.github` config: shared settings, goals per repo.
    shared = ORG_CONFIG.replace("repos: [acme/web, acme/sdk-js]\n", "")
    github.add_repo(HOME, files={".github/quarterdeck.yml": shared, "goals/2019-Q2.yml": GOALS})
    blog = github.add_repo("acme/blog", files={"goals/2019-Q2.yml": GOALS})
    github.add_issue(blog, "A README people finish reading")
    app = make_app(tmp_path, github)
    payload = pr_payload("acme/blog", 4, body="Goal: #1")
    hold(github, "acme/blog", payload, None)
    assert deliver(app, payload) == 202

    assert shipped(blog, 1) == ["#4"]
    (comment,) = blog.comments_on(4)
    assert "the list is on #1" in comment["body"]
    assert github.count("GET", r"^/repos/acme/\.github/issues") == 0  # its goals: blog's


def test_goal_issues_of_a_repository_under_an_organisation_config_are_not_checked(
    tmp_path: Path, github: FakeGitHub, org: dict[str, FakeRepo]
) -> None:
    example = next(p for p in webhook_examples("issues") if p["action"] == "opened")
    payload = json.loads(json.dumps(example).replace(REPO, "acme/web"))
    payload["repository"].update(name="web", full_name="acme/web")
    payload["installation"] = {"id": 42}
    payload["issue"] = {**payload["issue"], "number": 1, "labels": [{"name": "goal"}]}
    app = make_app(tmp_path, github)
    body = encode(payload)
    client = app.test_client()
    assert client.post("/webhook", data=body, headers=headers("issues", body)).status_code == 202
    assert app.extensions["quarterdeck"].queue.wait_idle(20)
    assert github.writes == []  # the organisation's goal issues live in acme/.github
