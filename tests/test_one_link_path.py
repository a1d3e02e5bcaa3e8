"""One answer to "which goal did this PR move?": the review, `quarterdeck link` and the
App's comment agree on goal, team and rule, for any config, goal issues and PRs.

Each example builds a fresh fake GitHub holding the config files, some goal issues
and the merged PRs, then asks all three ways in through their real entry points.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from quarterdeck.core.calendar import Month
from quarterdeck.services.link import explain_from_github
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub
from tests.webhooks import encode, headers, merged_pr, ours
from tests.webhooks import settings as app_settings

REPO = "acme/web"
SLUGS = ["web", "api", "docs"]
LOGINS = ["ann", "ben", "cy"]
PATTERNS = ["src/**", "src/api/", "docs", "*.md", "src/web/**"]
PATHS = ["src/api/x.py", "src/web/y.ts", "docs/guide.md", "README.md", "tests/t.py"]
LABELS = ["goal:search", "goal:login", "bug", "team/web"]
BODIES = ["Goal: #1", "Part of #2", "Fixes #3", "goal:search", "Closes #9", "", "See #1"]

team = st.fixed_dictionaries(
    {
        "members": st.lists(st.sampled_from(LOGINS), max_size=2, unique=True),
        "paths": st.lists(st.sampled_from(PATTERNS), max_size=2, unique=True),
        "labels": st.lists(st.sampled_from(LABELS[2:]), max_size=1),
    }
)
file_goal = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["search", "login", "export"]),
        "team": st.sampled_from(SLUGS),
        "quarter": st.sampled_from(["2026-Q3", "2026-Q4"]),
        "issue": st.none() | st.integers(1, 3),
        "paths": st.lists(st.sampled_from(PATTERNS), max_size=1),
        "scopes": st.lists(st.sampled_from(["api", "web"]), max_size=1),
    }
)
issue_goal = st.fixed_dictionaries(
    {
        "team": st.sampled_from(SLUGS),
        "quarters": st.sampled_from([["2026-Q4"], ["2026-Q3", "2026-Q4"]]),
    }
)
pull = st.fixed_dictionaries(
    {
        "title": st.sampled_from(["Tidy up", "feat(api): faster", "fix(web): crash"]),
        "author": st.sampled_from([*LOGINS, "outsider", "renovate[bot]"]),
        "body": st.lists(st.sampled_from(BODIES), max_size=2).map("\n".join),
        "labels": st.lists(st.sampled_from(LABELS), max_size=2, unique=True),
        "files": st.lists(st.sampled_from(PATHS), max_size=3, unique=True),
        "branch": st.sampled_from(["topic", "search/ui", "login/fix"]),
        "closing": st.lists(st.sampled_from([(1, None), (9, 2), (8, None)]), max_size=1),
        "day": st.integers(2, 27),
    }
)


def config_files(teams: dict[str, dict[str, Any]], goals: list[dict[str, Any]]) -> dict[str, str]:
    lines = ["teams:"]
    for slug, spec in teams.items():
        lines += [
            f"  {slug}:",
            f"    members: [{', '.join(spec['members'])}]",
            f"    owns: {{paths: [{', '.join(repr(p) for p in spec['paths'])}], "
            f"labels: [{', '.join(repr(lb) for lb in spec['labels'])}]}}",
        ]
    files = {".github/quarterdeck.yml": "\n".join(lines) + "\n"}
    for quarter in ("2026-Q3", "2026-Q4"):
        entries = []
        seen: set[str] = set()
        for g in goals:
            if g["quarter"] != quarter or g["id"] in seen:
                continue
            seen.add(g["id"])
            entries.append(
                f"- id: {g['id']}\n  title: Goal {g['id']} {quarter}\n  team: {g['team']}\n"
                f"  owners: [ann]\n"
                + (f"  issue: {g['issue']}\n" if g["issue"] else "")
                + (f"  paths: [{g['paths'][0]!r}]\n" if g["paths"] else "")
                + (f"  scopes: [{g['scopes'][0]}]\n" if g["scopes"] else "")
            )
        files[f"goals/{quarter}.yml"] = "".join(entries) or "[]\n"
    return files


def app_comment(body: str) -> tuple[str | None, str | None, str]:
    """(goal id, team, rule) as the App's comment states them."""
    rule = re.search(r"\*\*Linked by:\*\* (\S+) \(", body)
    goal = re.search(r"moves the goal \*\*.*?\*\* \(`([^`]+)`\) of team `([^`]+)`", body)
    if goal:
        return goal.group(1), goal.group(2), rule.group(1) if rule else "?"
    team = re.search(r"unplanned\*\* work of team `([^`]+)`", body)
    return None, team.group(1) if team else None, rule.group(1) if rule else "?"


@settings(max_examples=60)
@given(
    teams=st.fixed_dictionaries({slug: team for slug in SLUGS}),
    goals=st.lists(file_goal, max_size=3),
    goal_issues=st.lists(issue_goal, max_size=2),
    pulls=st.lists(pull, min_size=1, max_size=4),
)
def test_review_link_and_app_name_the_same_goal_team_and_rule(
    teams: dict[str, dict[str, Any]],
    goals: list[dict[str, Any]],
    goal_issues: list[dict[str, Any]],
    pulls: list[dict[str, Any]],
) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        github = FakeGitHub(mock)
        remote = github.add_repo(REPO, files=config_files(teams, goals))
        # Issues #1-#3: goals tracked only as issues, or the file goals' issues.
        for n in range(1, 4):
            spec = goal_issues[n - 1] if n <= len(goal_issues) else None
            labels = []
            if spec is not None:
                labels = ["goal", f"team:{spec['team']}"]
                labels += [f"quarter:{q}" for q in spec["quarters"]]
            github.add_issue(remote, f"Tracked goal {n}", labels=labels, assignees=["ann"])
        numbers = []
        for p in pulls:
            number = github.add_issue(remote, p["title"])["number"]  # a PR is an issue too
            numbers.append(number)
            github.add_pull(
                REPO, number, p["title"], f"2026-11-{p['day']:02d}T12:00:00Z",
                author=p["author"], body=p["body"], labels=tuple(p["labels"]),
                files=tuple(p["files"]), branch=p["branch"], closing=tuple(p["closing"]),
            )  # fmt: skip
        client = github.gateway()

        reviews = github_home_reviews(client, REPO, Month(2026, 11)).reviews
        in_review = {
            lk.pr.number: (lk.goal_id, lk.team, lk.rule)
            for r in reviews
            for lk in [*(x for gm in r.summary.goals for x in gm.prs), *r.summary.unplanned]
        }
        by_link = {}
        for number in numbers:
            found = explain_from_github(client, REPO, number).link
            by_link[number] = (found.goal_id, found.team, found.rule)

        with tempfile.TemporaryDirectory() as tmp:
            app = create_app(
                app_settings(Path(tmp)), identity=ours, github_factory=lambda _id: github.client()
            )
            for number, p in zip(numbers, pulls, strict=True):
                payload = merged_pr(body=p["body"], merged_at=f"2026-11-{p['day']:02d}T12:00:00Z")
                payload["pull_request"]["number"] = number
                payload["repository"] = {**payload["repository"], "full_name": REPO}
                body = encode(payload)
                answer = app.test_client().post(
                    "/webhook", data=body, headers=headers("pull_request", body)
                )
                assert answer.status_code == 202
            assert app.extensions["quarterdeck"].queue.wait_idle(20)
        by_app = {}
        for number in numbers:
            (comment,) = remote.comments_on(number)
            by_app[number] = app_comment(comment["body"])

    assert set(in_review) == set(numbers)
    assert by_link == in_review
    assert by_app == in_review
