"""The fake GitHub itself, driven by the real PyGithub: shapes, pagination, faults."""

from __future__ import annotations

import pytest
from github import GithubException

from tests.fakegithub import FakeGitHub


def test_issues_labels_comments_round_trip(github: FakeGitHub) -> None:
    github.add_repo("acme/web", files={".github/quarterdeck.yml": "teams: {}\n"})
    repo = github.client().get_repo("acme/web")

    issue = repo.create_issue("Goal", body="text", labels=["goal"], assignees=["alice"])
    issue.create_comment("first")
    comment = next(iter(issue.get_comments()))
    comment.edit("edited")

    assert repo.default_branch == "main"
    assert [i.number for i in repo.get_issues(labels=["goal"])] == [1]
    assert [c.body for c in issue.get_comments()] == ["edited"]
    assert issue.assignees[0].login == "alice"
    assert repo.get_contents(".github/quarterdeck.yml").decoded_content == b"teams: {}\n"
    assert github.writes == [
        ("POST", "/repos/acme/web/issues"),
        ("POST", "/repos/acme/web/issues/1/comments"),
        ("PATCH", f"/repos/acme/web/issues/comments/{comment.id}"),
    ]


def test_pagination_follows_link_headers(github: FakeGitHub) -> None:
    fake = github.add_repo("acme/web")
    for n in range(250):
        github.add_issue(fake, f"Issue {n}")
    gh = github.client(per_page=100)

    titles = [i.title for i in gh.get_repo("acme/web").get_issues()]

    assert len(titles) == 250
    assert github.count("GET", r"/issues$") == 3


def test_faults_and_recorded_error_bodies(github: FakeGitHub) -> None:
    github.add_repo("acme/web")
    repo = github.client().get_repo("acme/web")
    github.fail("GET", r"/repos/acme/web$", 502)

    with pytest.raises(GithubException) as first:
        github.client().get_repo("acme/web")
    with pytest.raises(GithubException) as invalid:
        repo.create_label("foo", "invalid")

    assert first.value.status == 502
    assert invalid.value.status == 422
    assert invalid.value.data["errors"][0]["field"] == "color"
    assert github.client().get_repo("acme/web").full_name == "acme/web"


def test_upsert_comment_creates_once_then_updates_or_leaves_alone(github: FakeGitHub) -> None:
    from quarterdeck.core.text.markers import marker
    from quarterdeck.sources.github.writes import upsert_comment

    fake = github.add_repo("acme/web")
    github.add_issue(fake, "Goal")
    github.add_comment(fake, 1, f"a person quoting {marker('pr', n=1)}", author="alice")
    issue = github.client().get_repo("acme/web").get_issue(1)
    tag = marker("pr", n=1)

    ours = github.writer_of("")
    first = upsert_comment(issue, tag, f"{tag}\nv1", writer=ours)[1]
    again = upsert_comment(issue, tag, f"{tag}\nv1", writer=ours)[1]
    changed = upsert_comment(issue, tag, f"{tag}\nv2", writer=ours)[1]

    assert (first, again, changed) == ("created", "unchanged", "updated")
    bodies = [c["body"] for c in fake.comments_on(1)]
    assert bodies == [f"a person quoting {tag}", f"{tag}\nv2"]
