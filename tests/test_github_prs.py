"""Merged PRs from GitHub's GraphQL search: the mapping, paging, the 1,000 cap, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quarterdeck.core.model import PullRequest
from quarterdeck.errors import GitHubError
from quarterdeck.sources.github.prs import MAX_QUERY, fetch_merged_prs, search_query
from tests.fakegithub import FakeGitHub, fixture

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_one_query_carries_everything_a_pr_needs(github: FakeGitHub) -> None:
    github.add_pull(
        "acme/web",
        7,
        "Funnels on the new engine",
        "2026-11-20T12:00:00Z",
        author="carol",
        body="Fixes #40",
        branch="funnels/engine",
        labels=("goal:funnels", "team/analytics"),
        files=("web/insights/funnel.py", "web/insights/chart.py"),
        created_at="2026-11-10T09:00:00Z",
        ready_at="2026-11-12T09:00:00Z",
        first_commit_at="2026-11-09T18:30:00Z",
        reviews=(("carol", "2026-11-12T10:00:00Z"), ("dave", "2026-11-13T10:00:00Z")),
        comments=(
            ("github-actions[bot]", "2026-11-12T09:05:00Z"),
            ("erin", "2026-11-12T15:00:00Z"),
        ),
        closing=((40, 12), (41, None)),
        sha="ab" * 20,
        co_authors=("dave", "carol", "pre-commit-ci[bot]", "dave"),
    )
    github.add_pull("acme/web", 8, "Bump lodash", "2026-11-21T00:00:00Z", author="dependabot[bot]")

    prs = fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert prs[0] == PullRequest(
        number=7,
        title="Funnels on the new engine",
        author="carol",
        merged_at=at("2026-11-20T12:00:00+00:00"),
        body="Fixes #40",
        branch="funnels/engine",
        labels=("goal:funnels", "team/analytics"),
        paths=("web/insights/funnel.py", "web/insights/chart.py"),
        is_bot=False,
        sha="ab" * 20,
        source="github",
        first_commit_at=at("2026-11-09T18:30:00+00:00"),
        created_at=at("2026-11-10T09:00:00+00:00"),
        ready_at=at("2026-11-12T09:00:00+00:00"),
        # the author's own review and the bot's comment do not count; erin's comment does
        first_review_at=at("2026-11-12T15:00:00+00:00"),
        closing_issues=(40, 41),
        parent_issues={40: 12},
        # commit authors other than the PR's author, once each, bots aside
        co_authors=("dave",),
        repo="acme/web",  # where it was merged: a PR is (repository, number)
        url="https://github.com/acme/web/pull/7",
    )
    assert (prs[1].author, prs[1].is_bot) == ("dependabot[bot]", True)
    assert github.count("POST", "/graphql") == 1


def test_pages_of_100_in_merge_order_inside_the_half_open_window(github: FakeGitHub) -> None:
    start = NOV
    for n in range(250):
        github.add_pull("acme/web", n + 1, f"PR {n}", _z(start + timedelta(minutes=n)))
    github.add_pull("acme/web", 999, "Merged at the very end", _z(DEC))
    github.add_pull("acme/web", 998, "Merged before", _z(NOV - timedelta(seconds=1)))

    prs = fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert [pr.number for pr in prs] == list(range(1, 251))
    assert github.count("POST", "/graphql") == 3


def test_a_window_over_the_search_cap_is_read_on_without_a_wasted_page(
    github: FakeGitHub,
) -> None:
    for n in range(2500):
        github.add_pull("acme/web", n + 1, f"PR {n}", _z(NOV + timedelta(minutes=15 * n)))

    prs = fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert [pr.number for pr in prs] == list(range(1, 2501))
    queries = [c.body["variables"]["q"] for c in github.calls]
    window = (
        "repo:acme/web is:pr is:merged merged:2026-11-01T00:00:00+00:00..2026-11-30T23:59:59+00:00"
    )
    # GitHub lists 1,000 per query: PRs 1-1,000, then from #1,000's creation time
    # 1,000-1,999, then 1,999-2,500; every page is kept, #1,000 and #1,999 are read twice.
    assert queries[0] == window + " sort:created-asc"
    assert queries[10] == window + " sort:created-asc created:>=2026-11-11T09:45:00+00:00"
    assert queries[20] == window + " sort:created-asc created:>=2026-11-21T19:30:00+00:00"
    assert len(queries) == 10 + 10 + 6  # it was 27: a probe page thrown away, then 10 + 10 + 6


def test_base_branch_filter(github: FakeGitHub) -> None:
    github.add_pull("acme/web", 1, "Into main", "2026-11-02T00:00:00Z")
    github.add_pull("acme/web", 2, "Into a release branch", "2026-11-02T00:00:00Z", base="rel")

    github.add_pull("acme/web", 3, "Into a feature branch", "2026-11-03T00:00:00Z", base="f")
    client = github.client()

    assert [pr.number for pr in fetch_merged_prs(client, "acme/web", NOV, DEC)] == [1, 2, 3]
    only = fetch_merged_prs(client, "acme/web", NOV, DEC, bases=["main", "rel"])
    assert [pr.number for pr in only] == [1, 2]


def test_search_query_is_inclusive_so_the_end_is_one_second_earlier() -> None:
    assert search_query("acme/web", NOV, DEC, "main") == (
        "repo:acme/web is:pr is:merged "
        "merged:2026-11-01T00:00:00+00:00..2026-11-30T23:59:59+00:00 base:main"
    )


def test_a_422_is_reported_with_githubs_reasons(github: FakeGitHub) -> None:
    recorded = fixture("errors")[0]
    github.fail("POST", "/graphql", recorded["status"], body=recorded["response"])

    with pytest.raises(GitHubError) as caught:
        fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert "GitHub answered 422 while searching merged PRs (repo:acme/web" in str(caught.value)
    assert "Validation Failed — Label.color is invalid" in str(caught.value)


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_crowded_day_costs_its_pages_and_no_more(github: FakeGitHub) -> None:
    day = datetime(2026, 11, 3, tzinfo=UTC)
    for n in range(1200):
        github.add_pull("acme/web", n + 1, f"PR {n}", _z(day + timedelta(seconds=60 * n)))

    prs = fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert [pr.number for pr in prs] == list(range(1, 1201))
    # 1,000 PRs in 10 pages, then the 201 from #1,000's creation time on in 3. Split by
    # merge time it cost 23: a page thrown away at each of six halvings around the
    # day, and a page for each of four empty windows.
    assert github.count("POST", "/graphql") == 10 + 3


def test_more_than_1000_prs_created_in_one_second_are_refused(github: FakeGitHub) -> None:
    created = "2026-11-03T10:00:00Z"
    for n in range(1001):
        merged = _z(datetime(2026, 11, 4, tzinfo=UTC) + timedelta(minutes=n))
        github.add_pull("acme/web", n + 1, f"PR {n}", merged, created_at=created)

    with pytest.raises(GitHubError) as caught:
        fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    assert str(caught.value) == (
        "more than 1,000 PRs of acme/web merged between 2026-11-01T00:00:00+00:00 and "
        "2026-12-01T00:00:00+00:00 were created within one second "
        "(2026-11-03T10:00:00+00:00); GitHub's search cannot list them: review one base "
        "branch at a time (`--branch`), or report it"
    )


def test_a_full_search_over_many_repositories_is_split_by_merge_time(
    github: FakeGitHub,
) -> None:
    names = [f"acme/service-with-a-long-name-{n:02d}" for n in range(5)]
    for n in range(1100):  # one every 30 minutes from Nov 1, in the first four
        merged = _z(NOV + timedelta(minutes=30 * n))
        github.add_pull(names[n % 4], n // 4 + 1, f"PR {n}", merged)

    prs = fetch_merged_prs(github.client(), names, NOV, DEC)

    assert len(prs) == 1100
    queries = [c.body["variables"]["q"] for c in github.calls]
    assert all(len(q) <= MAX_QUERY for q in queries)
    # The first four share a search with no room left under GitHub's 256 characters
    # for the sort and a creation time: its window is halved by merge time instead (a
    # probe page, then 720 PRs before Nov 16 in 8 pages and 380 after in 4). The
    # fifth, alone, is searched oldest-created first (one empty page).
    full = [q for q in queries if names[0] in q]
    assert len(full) == 1 + 8 + 4
    assert not any("sort:" in q for q in full)
    assert [q for q in queries if q not in full] == [
        f"{search_query(names[4], NOV, DEC, None)} sort:created-asc"
    ]


def test_the_first_human_review_after_many_bot_and_author_comments_is_found(
    github: FakeGitHub,
) -> None:
    start = at("2026-11-10T00:00:00+00:00")
    noise = tuple(
        ("renovate[bot]" if n % 2 else "carol", _z(start + timedelta(minutes=n)))
        for n in range(130)
    )
    github.add_pull(
        "acme/web", 7, "Busy PR", "2026-11-20T12:00:00Z", author="carol",
        comments=(*noise, ("dave", "2026-11-12T09:00:00Z")),
        reviews=(*(("carol", _z(start)),) * 25, ("erin", "2026-11-13T09:00:00Z")),
    )  # fmt: skip

    (pr,) = fetch_merged_prs(github.client(), "acme/web", NOV, DEC)

    # Dave's comment is the 131st and Erin's review the 26th: both past the first page.
    assert pr.first_review_at == at("2026-11-12T09:00:00+00:00")
    # One search, then the comments read on (two pages of 100) and the reviews (one).
    assert github.count("POST", "/graphql") == 4


def test_graphql_reads_are_not_spaced_out_like_writes(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import github.Requester as requester_module

    for n in range(250):
        github.add_pull("acme/web", n + 1, f"PR {n}", _z(NOV + timedelta(minutes=n)))
    waits: list[float] = []
    monkeypatch.setattr(requester_module.time, "sleep", waits.append)
    # PyGithub's default: a second between writes, and it counts every POST as one.
    client = github.client(seconds_between_writes=1.0)

    prs = fetch_merged_prs(client, "acme/web", NOV, DEC)

    assert len(prs) == 250
    assert github.count("POST", "/graphql") == 3
    assert waits == []
