"""Reviews across an organisation from GitHub: the repositories a config names, one
search per chunk of them, PRs and goals across repositories, limits said out loud.

Expectations come from the fake's own records of what it holds (which PRs each
repository has), never from the review's output.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.review.repositories import RepoInfo, select_repos
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.sources.github.prs import MAX_QUERY, repo_chunks, search_query
from tests.fakegithub import FakeGitHub
from tests.reviewrepos import CONFIG, GOALS
from tests.test_github_review import Spec, build_fake, build_git, shipped

NOVEMBER = Month(2026, 11)
NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
ORG_CONFIG = CONFIG + "repos: [acme/sdk-*, acme/docs, '!acme/sdk-legacy']\n"
HOME = {".github/quarterdeck.yml": ORG_CONFIG, "goals/2026-Q4.yml": GOALS}
SDK = (
    # The same number as a home PR: another PR.
    Spec(3, "Capture funnel events", "bob", "2026-11-06T12:00Z", {"src/f.ts": "1"},
         "goal:funnels"),
    # `Fixes #12` here is the SDK's own issue 12: GitHub says so, and it is no goal.
    Spec(4, "Fix a crash on start", "alice", "2026-11-07T12:00Z", {"src/s.ts": "1"},
         "Fixes #12", closes=(12,)),
    # A reference to the home repository's goal issue #12, written and as GitHub reads it.
    Spec(5, "Funnel SDK docs", "bob", "2026-11-08T12:00Z", {"docs/f.md": "1"},
         "Fixes acme/web#12", closes=(("acme/web", 12),)),
    # Only GitHub knows: a closing reference (e.g. linked in the sidebar) to acme/web#12.
    Spec(6, "Funnel SDK retries", "bob", "2026-11-09T12:00Z", {"src/r.ts": "1"},
         closes=(("acme/web", 12),)),
    # Closes its own #40, a sub-issue of the home repository's goal issue #12.
    Spec(7, "Funnel SDK batching", "bob", "2026-11-10T12:00Z", {"src/b.ts": "1"},
         closes=((40, ("acme/web", 12)),)),
    # `Part of acme/other#12`: issue 12 of yet another repository, no goal.
    Spec(8, "Other work", "alice", "2026-11-11T12:00Z", {"src/o.ts": "1"},
         "Part of acme/other#12"),
)  # fmt: skip
HOME_PRS = (
    Spec(3, "Funnel breakdowns", "bob", "2026-11-05T12:00Z", {"web/insights/b.py": "1"},
         "Part of #12"),
    Spec(6, "Onboarding copy", "carol", "2026-11-09T12:00Z", {"web/onboarding/c.md": "1"},
         "goal:onboarding"),
)  # fmt: skip


def seed_org(github: FakeGitHub) -> None:
    """acme/web (home) and the repositories around it, each kind the selection meets."""
    build_fake(github, HOME_PRS, files=HOME)
    build_fake(github, SDK, full_name="acme/sdk-js", files={})
    one = (Spec(1, "Python SDK", "bob", "2026-11-10T12:00Z", {"sdk.py": "1"}),)
    build_fake(github, one, full_name="acme/sdk-py", files={})
    for name, flags in {
        "acme/sdk-legacy": {},  # excluded by `!acme/sdk-legacy`
        "acme/sdk-old": {"archived": True},  # archived: only when named
        "acme/sdk-fork": {"fork": True},  # a fork: only when named
        "acme/docs": {"archived": True},  # archived, but named: read
        "acme/website": {},  # not named at all
    }.items():
        build_fake(github, one, full_name=name, files={})
        github.repos[name].archived = flags.get("archived", False)
        github.repos[name].fork = flags.get("fork", False)


def test_the_review_reads_exactly_the_named_repositories(github: FakeGitHub) -> None:
    seed_org(github)

    reviews = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    chosen = ("acme/web", "acme/docs", "acme/sdk-js", "acme/sdk-py")
    assert set(reviews[0].repos) == set(chosen)
    assert reviews[0].repos[0] == "acme/web"
    expected = {
        (name, node["number"])
        for name in chosen
        for node in github.pulls[name]
        if node["mergedAt"].startswith("2026-11")
    }
    seen = {(row[-1], row[1]) for row in shipped(reviews, with_repo=True)}
    assert seen == expected
    assert github.count("GET", r"^/orgs/acme/repos$") == 1  # one listing, not one per repo
    # The home's one query (repository, files, labelled issues), and one search:
    # four repositories fit in it.
    assert github.count("POST", "/graphql") == 2


def test_goals_count_prs_from_every_repository_by_github_s_references(
    github: FakeGitHub,
) -> None:
    seed_org(github)

    reviews = github_home_reviews(github.gateway(), "acme/web", NOVEMBER, team="analytics").reviews

    (funnels,) = [g for g in reviews[0].summary.goals if g.goal.id == "funnels"]
    assert [(lk.pr.repo, lk.pr.number, lk.rule) for lk in funnels.prs] == [
        ("acme/web", 3, "reference"),
        ("acme/sdk-js", 3, "label"),
        ("acme/sdk-js", 5, "reference"),
        ("acme/sdk-js", 6, "reference"),
        ("acme/sdk-js", 7, "reference"),
    ]
    assert "GitHub says it closes acme/web#12" in funnels.prs[3].reason
    assert "#40, which belongs to acme/web#12" in funnels.prs[4].reason
    (other,) = [lk for lk in reviews[0].summary.unplanned if lk.pr.number == 8]
    assert other.goal_id is None
    assert "says `Fixes acme/web#12`" in funnels.prs[2].reason
    (crash,) = [lk for lk in reviews[0].summary.unplanned if lk.pr.number == 4]
    assert crash.pr.repo == "acme/sdk-js"
    assert crash.goal_id is None
    body = render_review(reviews[0])
    assert "[sdk-js#3](https://github.com/acme/sdk-js/pull/3 " in body
    assert "[#3](https://github.com/acme/web/pull/3 " in body


def test_a_repository_the_token_cannot_read_is_named_in_every_review(
    github: FakeGitHub,
) -> None:
    seed_org(github)
    github.add_repo("acme/secret", readable=False)
    config = ORG_CONFIG.replace("acme/docs,", "acme/docs, acme/secret,")
    github.repos["acme/web"].files[".github/quarterdeck.yml"] = config

    reviews = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    for review in reviews:
        (warning,) = [w for w in review.warnings if "acme/secret" in w]
        assert "Pull requests: read" in warning
        assert "acme/secret" not in review.repos


def test_an_owner_that_is_a_user_is_listed_as_one(github: FakeGitHub) -> None:
    build_fake(github, HOME_PRS, full_name="alice/app", files={
        ".github/quarterdeck.yml": CONFIG + "repos: [alice/*]\n", "goals/2026-Q4.yml": GOALS,
    })  # fmt: skip
    build_fake(github, SDK, full_name="alice/tool", files={})
    github.users.add("alice")

    reviews = github_home_reviews(github.gateway(), "alice/app", NOVEMBER).reviews

    assert set(reviews[0].repos) == {"alice/app", "alice/tool"}
    assert github.count("GET", r"^/users/alice/repos$") == 1


def test_many_repositories_are_searched_in_chunks_under_githubs_limit(
    github: FakeGitHub,
) -> None:
    build_fake(github, HOME_PRS, files={
        ".github/quarterdeck.yml": CONFIG + "org: acme\n", "goals/2026-Q4.yml": GOALS,
    })  # fmt: skip
    names = [f"acme/service-with-a-long-name-{n:02d}" for n in range(30)]
    for n, name in enumerate(names):
        spec = Spec(n + 1, f"Change {n}", "bob", f"2026-11-{n % 28 + 1:02d}T12:00Z", {"a": "1"})
        build_fake(github, (spec,), full_name=name, files={})

    reviews = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    assert len(shipped(reviews)) == len(HOME_PRS) + len(names)
    posts = [c.body["variables"] for c in github.calls if c.path == "/graphql"]
    queries = [v["q"] for v in posts if "q" in v]
    assert all(len(q) <= MAX_QUERY for q in queries)
    assert len(queries) == len(repo_chunks(["acme/web", *names], NOV, DEC, None)) > 1


def test_chunks_are_as_few_as_the_limit_allows() -> None:
    names = [f"acme/r{n}" for n in range(100)]
    chunks = repo_chunks(names, NOV, DEC, "main")

    assert [n for chunk in chunks for n in chunk] == names  # every one, once, in order
    for chunk, after in itertools.pairwise(chunks):
        assert len(search_query(chunk, NOV, DEC, "main")) <= MAX_QUERY
        # The next name would not have fit: no chunk could be fuller.
        assert len(search_query([*chunk, after[0]], NOV, DEC, "main")) > MAX_QUERY


@pytest.mark.parametrize(
    ("patterns", "expected", "problems"),
    [
        ([], ["acme/web"], 0),
        (["acme/*"], ["acme/web", "acme/api", "acme/sdk-js"], 0),
        (["acme/*", "!acme/sdk-*"], ["acme/web", "acme/api"], 0),
        (["!acme/sdk-*", "acme/*"], ["acme/web", "acme/api"], 0),  # order does not matter
        (["acme/old", "acme/fork"], ["acme/web", "acme/old", "acme/fork"], 0),  # named
        (["ACME/API"], ["acme/web", "acme/api"], 0),  # GitHub's names ignore case
        (["acme/missing"], ["acme/web"], 1),
        (["acme/nothing-*"], ["acme/web"], 1),
        (["acme/*", "!acme/web"], ["acme/web", "acme/api", "acme/sdk-js"], 0),  # home stays
    ],
)
def test_selection_rules(patterns: list[str], expected: list[str], problems: int) -> None:
    readable = [
        RepoInfo("acme/web"),
        RepoInfo("acme/api"),
        RepoInfo("acme/sdk-js"),
        RepoInfo("acme/old", archived=True),
        RepoInfo("acme/fork", fork=True),
    ]
    chosen = select_repos("acme/web", patterns, readable)
    assert (sorted(chosen.repos), len(chosen.problems)) == (sorted(expected), problems)
    assert chosen.repos[0] == "acme/web"


def test_offline_across_clones_gives_the_same_review_as_github_mode(
    github: FakeGitHub, tmp_path: Path
) -> None:
    home_files = {".github/quarterdeck.yml": CONFIG + "repos: [acme/sdk-js]\n",
                  "goals/2026-Q4.yml": GOALS}  # fmt: skip
    # What history alone can tell: no closing references to another repository.
    sdk = SDK[:2]
    web_clone = build_git(tmp_path / "web", HOME_PRS, files=home_files)
    sdk_clone = build_git(tmp_path / "sdk", sdk, full_name="acme/sdk-js", files={})
    build_fake(github, HOME_PRS, files=home_files)
    build_fake(github, sdk, full_name="acme/sdk-js", files={})

    offline = build_reviews(web_clone.path, NOVEMBER, clones=[sdk_clone.path])
    online = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    assert shipped(offline, with_repo=True) == shipped(online, with_repo=True)
    assert {row[-1] for row in shipped(online, with_repo=True)} == {"acme/web", "acme/sdk-js"}
    assert [r.repos for r in offline] == [r.repos for r in online]
    strip = [_pr_lines(render_review(r)) for r in offline]
    assert strip == [_pr_lines(render_review(r)) for r in online]


def test_offline_says_when_the_config_names_repositories_it_did_not_read(
    tmp_path: Path,
) -> None:
    web_clone = build_git(tmp_path / "web", HOME_PRS, files=HOME)

    (first, *_) = build_reviews(web_clone.path, NOVEMBER)

    assert any("pass each other clone with another --repo" in w for w in first.warnings)


def _pr_lines(body: str) -> list[str]:
    """The PR lines of a review: number, link, title, author, date and rule. The
    tooltip quotes where the reference was found (a commit message offline, the body on
    GitHub), so it is left out."""
    lines = (line for line in body.splitlines() if re.match(r"- \[[\w.-]*#\d+\]", line))
    return [re.sub(r' "[^"]*"\)', ")", line) for line in lines]


def test_validate_with_github_names_each_repository_it_cannot_read_at_its_line(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_org(github)
    github.add_repo("acme/secret", readable=False)
    config = CONFIG + "repos:\n  - acme/sdk-js\n  - acme/secret\n  - acme/nothing-*\n"
    clone = build_git(tmp_path / "web", HOME_PRS, files={
        ".github/quarterdeck.yml": config, "goals/2026-Q4.yml": GOALS,
    })  # fmt: skip
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    first = len(CONFIG.splitlines()) + 2  # the line of `- acme/sdk-js`

    offline = main(["validate", "--repo", str(clone.path)])
    online = main(["validate", "--repo", str(clone.path), "--github", "acme/web"])

    assert offline == 0  # offline, nothing to ask GitHub
    assert online == 1
    err = capsys.readouterr().err
    assert f".github/quarterdeck.yml:{first + 1}: repos[1]: cannot read acme/secret" in err
    assert f".github/quarterdeck.yml:{first + 2}: repos[2]: `acme/nothing-*` matches no" in err
    assert "acme/sdk-js" not in err
    assert github.writes == []


def test_an_owner_alone_names_its_dot_github_repository_as_the_home(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The organisation-wide config lives in acme/.github and names the repositories.
    build_fake(github, (), full_name="acme/.github", files={
        ".github/quarterdeck.yml": CONFIG + "repos: [acme/web, acme/sdk-js]\n",
        "goals/2026-Q4.yml": GOALS,
    })  # fmt: skip
    build_fake(github, HOME_PRS, full_name="acme/web", files={})
    build_fake(github, SDK, full_name="acme/sdk-js", files={})
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)

    code = main(["review", "--github", "acme", "--month", "2026-11", "--format", "json"])

    assert code == 0
    data = json.loads(capsys.readouterr().out)
    repos = {lk["pr"]["repo"] for r in data["reviews"] for lk in r["summary"]["unplanned"]}
    repos |= {lk["pr"]["repo"] for r in data["reviews"] for g in r["summary"]["goals"]
              for lk in g["prs"]}  # fmt: skip
    assert repos == {"acme/web", "acme/sdk-js"}
    # The home is acme/.github: opened, with its config and goals, in one query.
    posts = [c.body["variables"] for c in github.calls if c.path == "/graphql"]
    homes = [v for v in posts if "owner" in v]
    assert [(v["owner"], v["name"]) for v in homes] == [("acme", ".github")]
