"""Benchmark (a harness): GitHub requests for a month's review, beside the naive REST way.

    python -m benchmarks.github_requests            # 1,000 PRs in a month; 4,000 in a quarter
    python -m benchmarks.github_requests --quick    # the 1,000-PR month only

Counts the requests `github_home_reviews` sends to the shared fake GitHub
(tests/fakegithub.py, driven by the real PyGithub) in this process, through the
test client (`FakeGitHub.client()`: no pacing, no retries); counts do not depend on
either. The shipped command, its own client over HTTP, is timed and counted by
`benchmarks.shipped_review`. One GraphQL query opens the home
repository with its config, goals, objectives, metrics and templates folders, its
goal, objective and review issues and the goals file's history; merged PRs come
through one GraphQL search query per 100 PRs. The naive count is what the REST API
needs for the same data: the home's reads one by one (measured: the same review with
the home opened through REST, as `gh.get_repo`), one list request per 100 closed PRs,
then per PR its reviews, its comments, its commits and its files (4 requests; more
for long PRs). Target: at most 25 requests for a month of 1,000 merged PRs and 40
goals.

Across an organisation: a month of 3,000 merged PRs in 50 repositories with 60 goals,
the repositories named by one pattern (`repos: [acme/service-*]`), against the naive
REST count (a listing of each repository's closed PRs, 100 a request, then the same 4
requests per PR). Target: at most 40 requests.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from unittest import mock

import responses
from tests.fakegithub import FakeGitHub

from quarterdeck.core.calendar import Month
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.sources.github import home as github_home

PER_PR_NAIVE = 4  # reviews, comments, commits, files: one request each, per PR
TARGET = 25
ORG_TARGET = 40
HARNESS = "(harness: in-process, test client)"


def rest_reads(github: FakeGitHub, full_name: str, month: Month) -> int:
    """The REST requests the same review makes with its home opened the REST way
    (`gh.get_repo`, then a request per file, folder and listing): the naive reads."""
    github.calls.clear()
    # services.review.on_github imports open_home when a GitHub review runs: patch it at its source.
    rest = mock.patch.object(github_home, "open_home", lambda gh, name, plan: gh.get_repo(name))
    with rest:
        github_home_reviews(github.gateway(), full_name, month)
    return len(github.calls) - github.count("POST", "/graphql")


def teams_and_goals(teams: int, goals: int) -> tuple[str, str]:
    """The `teams:` entries of a config and a goals file: goal g is team g % teams's,
    tracked by issue g + 1."""
    team_yaml = "".join(
        f"  team{t}:\n    lead: lead{t}\n    members: [lead{t}]\n" for t in range(teams)
    )
    goal_yaml = "".join(
        f"- {{id: goal-{g}, title: Goal {g}, team: team{g % teams}, "
        f"owners: [lead{g % teams}], issue: {g + 1}}}\n"
        for g in range(goals)
    )
    return team_yaml, goal_yaml


def count_requests(prs: int, goals: int, start: datetime, days: int) -> tuple[int, int, int]:
    """(our requests, the naive count, PRs reviewed) for `prs` PRs over `days`."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake_http:
        github = FakeGitHub(fake_http)
        teams, goal_list = teams_and_goals(4, goals)
        github.add_repo(
            "acme/big",
            files={
                ".github/quarterdeck.yml": f"teams:\n{teams}",
                "goals/2026-Q4.yml": goal_list,
                "metrics/2026-12.yml": "revenue: {mrr: 1000}\n",
            },
        )
        step = timedelta(days=days) / prs
        for n in range(prs):
            merged = (start + step * n).strftime("%Y-%m-%dT%H:%M:%SZ")
            github.add_pull("acme/big", n + 1, f"Change {n}", merged, body=f"Part of #{n % 40 + 1}")
        reviews = github_home_reviews(github.gateway(), "acme/big", Month(2026, 12)).reviews
        ours = len(github.calls)
        naive = (
            rest_reads(github, "acme/big", Month(2026, 12)) + -(-prs // 100) + PER_PR_NAIVE * prs
        )
        return ours, naive, sum(r.summary.planned for r in reviews)


def count_org_requests(prs: int, repos: int, goals: int) -> tuple[int, int, int]:
    """(our requests, the naive count, PRs reviewed) for `prs` PRs spread over `repos`
    repositories of one organisation, each linked to one of `goals` goals."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake_http:
        github = FakeGitHub(fake_http)
        teams, goal_list = teams_and_goals(6, goals)
        config = f"teams:\n{teams}repos: [acme/service-*]\n"
        github.add_repo(
            "acme/web", files={".github/quarterdeck.yml": config, "goals/2026-Q4.yml": goal_list}
        )
        names = [f"acme/service-{n:02d}" for n in range(repos - 1)]
        for name in names:
            github.add_repo(name)
        everywhere = ["acme/web", *names]
        start = datetime(2026, 12, 1, tzinfo=UTC)
        step = timedelta(days=30) / prs
        for n in range(prs):
            merged = (start + step * n).strftime("%Y-%m-%dT%H:%M:%SZ")
            # `goal:<id>` links from any repository; `#N` only from the home one.
            github.add_pull(
                everywhere[n % repos], n // repos + 1, f"Change {n}", merged,
                body=f"goal:goal-{n % goals}",
            )  # fmt: skip
        reviews = github_home_reviews(github.gateway(), "acme/web", Month(2026, 12)).reviews
        ours = len(github.calls)
        reads = rest_reads(github, "acme/web", Month(2026, 12))  # the org's listing too
        naive = reads + repos * -(-(prs // repos) // 100) + PER_PR_NAIVE * prs
        return ours, naive, sum(r.summary.planned for r in reviews)


def _org_row() -> dict[str, object]:
    ours, naive, planned = count_org_requests(3000, 50, 60)
    return {
        "name": f"review of Dec 2026 across 50 repositories: 3,000 PRs, 60 goals {HARNESS}",
        "ours_s": ours,
        "baseline_s": naive,
        "ratio": ours / naive,
        "target": f"<= {ORG_TARGET} requests",
        "met": ours <= ORG_TARGET and planned == 3000,
        "unit": "requests",
    }


def run(quick: bool) -> list[dict[str, object]]:
    """Rows {name, ours_s, baseline_s, ratio, target, met, unit}; here counts of requests."""
    cases = [(f"review of Dec 2026: 1,000 PRs merged in the month, 40 goals {HARNESS}", 1000, 0)]
    if not quick:
        cases.append(
            (f"review of Dec 2026: 4,000 PRs since Oct 1 (past the search cap) {HARNESS}", 4000, 61)
        )
    rows: list[dict[str, object]] = []
    for name, prs, earlier in cases:
        start = datetime(2026, 12, 1, tzinfo=UTC) - timedelta(days=earlier)
        ours, naive, _ = count_requests(prs, 40, start, earlier + 30)
        limit = TARGET if prs <= 1000 else None
        rows.append(
            {
                "name": name,
                "ours_s": ours,
                "baseline_s": naive,
                "ratio": ours / naive,
                "target": f"<= {limit} requests" if limit else "(for scale)",
                "met": limit is None or ours <= limit,
                "unit": "requests",
            }
        )
    rows.append(_org_row())
    return rows


def main(argv: list[str] | None = None) -> int:
    """Print our request count beside the naive one."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.github_requests")
    parser.add_argument("--quick", action="store_true", help="the 1,000-PR month only")
    args = parser.parse_args(argv)
    for row in run(args.quick):
        met = "met" if row["met"] else "NOT MET"
        print(
            f"{row['name']}: {row['ours_s']} requests (naive REST: {row['baseline_s']:,}); "
            f"target {row['target']}: {met}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
