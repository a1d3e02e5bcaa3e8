"""Publishing reviews against the one fake GitHub: one issue per team, updated in place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.text.issue_body import GITHUB_LIMIT
from quarterdeck.errors import GitHubError
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review_publish import overflow_marker, publish_reviews
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import BOB, at, big_repo, small_repo

NOVEMBER = Month(2026, 11)
ISSUES = r"^/repos/acme/web/issues$"


@pytest.fixture
def clone(tmp_path: Path) -> GitRepo:
    return small_repo(tmp_path / "web")


@pytest.fixture
def remote(github: FakeGitHub) -> FakeRepo:
    return github.add_repo("acme/web")


def _publish(github: FakeGitHub, path: Path, **kwargs: object) -> list:
    repo = github.gateway().repo("acme/web")
    kwargs.setdefault("writer", github.writer_of(""))
    return publish_reviews(repo, build_reviews(path, NOVEMBER), **kwargs)  # type: ignore[arg-type]


def _review_issues(remote: FakeRepo) -> list[dict]:
    return [i for i in remote.issues.values() if "quarterdeck:review " in (i["body"] or "")]


def test_first_run_opens_one_issue_per_team(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    results = _publish(github, clone.path)

    assert [(r.team, r.action, r.number) for r in results] == [
        ("analytics", "created", 1),
        ("growth", "created", 2),
    ]
    assert github.count("POST", ISSUES) == 2
    analytics = remote.issues[1]
    assert analytics["title"] == "Growth review: analytics — November 2026"
    assert [lb["name"] for lb in analytics["labels"]] == ["growth-review", "team:analytics"]
    assert [a["login"] for a in analytics["assignees"]] == ["pat"]
    assert analytics["body"].startswith(
        "<!-- quarterdeck:review team=analytics month=2026-11 -->\n"
    )
    assert remote.labels["team:growth"]["color"] == "5319e7"  # core.labels.TEAM_COLOR
    assert results[0].url == "https://github.com/acme/web/issues/1"
    # Only the lead is mentioned, once, in the decision; the hostile title pings nobody.
    doc = parse(analytics["body"])
    assert doc.mentions == ["@a"]
    assert "@alice, after the discussion" in analytics["body"]
    # The number links to the PR, with the link's reason as its tooltip.
    assert re.search(
        r'\[#4\]\(https://github\.com/acme/web/pull/4 "[^"\n]+"\) `@everyone` &lt;script&gt;',
        analytics["body"],
    )
    assert doc.raw_html == []


def test_rerun_updates_in_place_and_keeps_a_person_s_edits(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    _publish(github, clone.path)
    # Between the runs: the PM answers a question, the lead decides, a PR merges.
    body = remote.issues[1]["body"]
    edited = body.replace(
        "- [ ] Continue as planned", "- [x] Continue as planned  \r\n  We agreed — *ship it*"
    ).replace("## Discussion\n", "## Discussion\n\nPat: the top 10 are happy 🎉\n")
    assert edited != body
    remote.issues[1]["body"] = edited
    clone.squash_pr(9, "Funnel export", {"web/insights/e.py": "1"}, BOB, at("2026-11-20T12:00Z"))
    github.calls.clear()

    results = _publish(github, clone.path)

    assert [(r.team, r.action) for r in results] == [
        ("analytics", "updated"),
        ("growth", "unchanged"),
    ]
    assert github.writes == [("PATCH", "/repos/acme/web/issues/1")]
    new = remote.issues[1]["body"]
    assert "Funnel export" in new
    outside = edited.split("<!-- /quarterdeck:section feedback -->")[1]
    assert new.endswith(outside)  # the person's part, byte for byte
    assert "Pat: the top 10 are happy 🎉" in new

    github.calls.clear()
    assert [r.action for r in _publish(github, clone.path)] == ["unchanged", "unchanged"]
    assert github.writes == []  # nothing changed: nothing sent


def test_a_run_failing_halfway_then_rerun_leaves_one_issue_per_team(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    github.fail("POST", ISSUES, 502, skip=1)  # the second team's create fails

    with pytest.raises(GitHubError, match="502 while opening the review issue of growth"):
        _publish(github, clone.path)
    assert len(_review_issues(remote)) == 1

    results = _publish(github, clone.path)

    assert [r.action for r in results] == ["unchanged", "created"]
    assert sorted(i["title"] for i in _review_issues(remote)) == [
        "Growth review: analytics — November 2026",
        "Growth review: growth — November 2026",
    ]


def test_a_create_whose_response_was_lost_is_not_repeated(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    github.fail("POST", ISSUES, 502, after=True)  # created, but the answer never came

    results = _publish(github, clone.path)

    assert [(r.action, r.number) for r in results] == [("created", 1), ("created", 2)]
    assert github.count("POST", ISSUES) == 2
    assert len(_review_issues(remote)) == 2


def test_a_duplicate_left_by_a_retried_create_is_closed(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    _publish(github, clone.path)
    twin = github.add_issue(  # as a retried create of ours would leave it: by our login
        remote,
        "Growth review: growth — November 2026",
        body=remote.issues[2]["body"],
        labels=["growth-review", "team:growth"],
        user=github.writer_of(""),
    )

    planned = _publish(github, clone.path, dry_run=True)
    assert planned[1].notes == (f"#{twin['number']} duplicates #2; would close it",)
    assert remote.issues[twin["number"]]["state"] == "open"

    results = _publish(github, clone.path)

    assert results[1].number == 2
    assert results[1].notes == (f"#{twin['number']} duplicates #2; closed it",)
    assert remote.issues[twin["number"]]["state"] == "closed"
    assert remote.issues[2]["state"] == "open"
    # Already closed: a later run neither closes it again nor says it did.
    assert _publish(github, clone.path)[1].notes == ()


def test_issue_is_found_by_marker_not_title(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    _publish(github, clone.path)
    remote.issues[1]["title"] = "November review (renamed by a person)"
    github.add_issue(remote, "Growth review: analytics — November 2026", labels=["growth-review"])
    github.calls.clear()

    _publish(github, clone.path)

    assert github.writes == []


def test_unassignable_pm_leaves_the_issue_unassigned_with_a_note(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    remote.assignable = {"alice", "carol"}

    results = _publish(github, clone.path)

    assert remote.issues[1]["assignees"] == []
    assert "pat (PM of analytics) can't be assigned in acme/web" in results[0].notes[0]


def test_dry_run_reads_but_writes_nothing(
    github: FakeGitHub, remote: FakeRepo, clone: GitRepo
) -> None:
    results = _publish(github, clone.path, dry_run=True)

    assert [r.action for r in results] == ["would create", "would create"]
    assert github.writes == []
    assert results[0].body.startswith("<!-- quarterdeck:review team=analytics month=2026-11 -->")


def test_five_thousand_prs_overflow_into_one_comment_updated_in_place(
    github: FakeGitHub, remote: FakeRepo, tmp_path: Path
) -> None:
    path = big_repo(tmp_path / "big")
    reviews = build_reviews(path, NOVEMBER, team="analytics")
    repo = github.gateway().repo("acme/web")

    [first] = publish_reviews(repo, reviews, writer=github.writer_of(""))

    issue = remote.issues[first.number]
    [comment] = remote.comments_on(first.number)
    assert len(issue["body"]) < GITHUB_LIMIT
    assert len(comment["body"]) < GITHUB_LIMIT
    assert comment["body"].startswith(overflow_marker("analytics", "2026-11"))
    assert "#5000" in comment["body"]

    github.calls.clear()
    [again] = publish_reviews(repo, reviews, writer=github.writer_of(""))
    assert again.action == "unchanged"
    assert github.writes == []
    assert len(remote.comments_on(first.number)) == 1
