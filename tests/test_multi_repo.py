"""A review over several local clones: one history, PRs named by repository.

Two real git repositories in a temp dir: the home clone (config and goals) and an SDK
the same teams ship in. Expectations come from `git log` of each clone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from tests.gitrepo import GitRepo
from tests.reviewrepos import ALICE, BOB, at, small_repo

NOVEMBER = Month(2026, 11)
SDK_REMOTE = "https://github.com/acme/sdk.git"


@pytest.fixture
def clones(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """The home clone (acme/web, goal `funnels` is issue #12) and acme/sdk."""
    home = small_repo(tmp_path / "web")
    sdk = GitRepo.init(tmp_path / "sdk")
    sdk.commit("Initial commit", {"README.md": "sdk"}, ALICE, at("2026-10-01T09:00Z"))
    sdk.git("remote", "add", "origin", SDK_REMOTE)
    # Same number as a home PR: a different PR.
    sdk.squash_pr(2, "Capture funnel events", {"src/funnel.ts": "1"}, BOB,
                  at("2026-11-06T12:00Z"), body="goal:funnels")  # fmt: skip
    # `#12` here is the SDK's own issue #12, not the home goal issue #12.
    sdk.squash_pr(3, "Fix a crash on start", {"src/start.ts": "1"}, ALICE,
                  at("2026-11-07T12:00Z"), body="Fixes #12")  # fmt: skip
    return home, sdk


def merged_in_november(repo: GitRepo) -> set[int]:
    """PR numbers of the squash commits `git log` shows in November (what GitHub wrote)."""
    out = repo.git(
        "log", "--first-parent", "--format=%s",
        "--since=2026-11-01T00:00Z", "--until=2026-12-01T00:00Z",
    )  # fmt: skip
    return {int(m.group(1)) for m in re.finditer(r"\(#(\d+)\)$", out, re.MULTILINE)}


def test_every_pr_of_both_clones_is_in_the_review_once_named_by_repository(
    clones: tuple[GitRepo, GitRepo],
) -> None:
    home, sdk = clones
    reviews = build_reviews(home.path, NOVEMBER, clones=[sdk.path])

    seen = {
        (pr["repo"], pr["number"])
        for review in reviews_to_json(reviews)["reviews"]
        for pr in _prs(review)
    }
    expected = {("acme/web", n) for n in merged_in_november(home)} | {
        ("acme/sdk", n) for n in merged_in_november(sdk)
    }
    assert seen == expected
    assert reviews[0].repos == ("acme/web", "acme/sdk")


def test_a_goal_counts_its_prs_from_every_repository_and_bare_numbers_stay_home(
    clones: tuple[GitRepo, GitRepo],
) -> None:
    home, sdk = clones
    analytics = build_reviews(home.path, NOVEMBER, clones=[sdk.path], team="analytics")[0]

    (funnels,) = [g for g in analytics.summary.goals if g.goal.id == "funnels"]
    assert [(lk.pr.repo, lk.pr.number, lk.rule) for lk in funnels.prs] == [
        ("acme/web", 3, "reference"),  # `Part of #12` in the home repository
        ("acme/sdk", 2, "label"),  # `goal:funnels` works from any repository
    ]
    (crash,) = [lk for lk in analytics.summary.unplanned if lk.pr.title.startswith("Fix a crash")]
    assert crash.goal_id is None  # the SDK's `Fixes #12` is not the goal issue


def test_the_markdown_names_other_repositories_and_links_each_pr_where_it_was_merged(
    clones: tuple[GitRepo, GitRepo],
) -> None:
    home, sdk = clones
    analytics = build_reviews(home.path, NOVEMBER, clones=[sdk.path], team="analytics")[0]

    body = render_review(analytics)

    assert "[sdk#2](https://github.com/acme/sdk/pull/2 " in body
    assert "[sdk#3](https://github.com/acme/sdk/pull/3 " in body
    assert "[#3](https://github.com/acme/web/pull/3 " in body
    assert "web#3" not in body  # the home repository's PRs keep their short form


def test_one_clone_reads_as_before_and_a_clone_named_twice_is_read_once(
    clones: tuple[GitRepo, GitRepo],
) -> None:
    home, _ = clones
    alone = build_reviews(home.path, NOVEMBER)
    twice = build_reviews(home.path, NOVEMBER, clones=[home.path])

    assert [render_review(r) for r in twice] == [render_review(r) for r in alone]
    assert alone[0].repos == ("acme/web",)
    assert "[#3](https://github.com/acme/web/pull/3 " in render_review(alone[0])


def test_the_cli_takes_repo_more_than_once(
    clones: tuple[GitRepo, GitRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    home, sdk = clones
    argv = ["review", "--repo", str(home.path), "--repo", str(sdk.path), "--month", "2026-11"]

    assert main([*argv, "--format", "json"]) == 0

    data = json.loads(capsys.readouterr().out)
    repos = {pr["repo"] for review in data["reviews"] for pr in _prs(review)}
    assert repos == {"acme/web", "acme/sdk"}


def _prs(review: dict) -> list[dict]:
    summary = review["summary"]
    return [lk["pr"] for g in summary["goals"] for lk in g["prs"]] + [
        lk["pr"] for lk in summary["unplanned"]
    ]


OWNING = """\
teams:
  analytics:
    lead: alice
    members: [alice, bob]
    owns: {paths: ["web/insights/**"]}
  growth:
    lead: carol
    members: [carol]
    owns: {paths: ["acme/sdk:src/onboarding/**"]}
  platform:
    lead: dave
    members: [dave]
    owns: {repos: [acme/sdk]}
identities:
  alice: [alice@example.com]
  bob: [bob@example.com]
  carol: [carol@example.com]
  dave: [dave@example.com]
"""
SCOPED_GOALS = """\
- id: funnel-sdk
  title: Funnels in the SDK
  team: analytics
  owners: [alice]
  paths: ["acme/sdk:src/funnel/**"]
- id: insights-web
  title: Insights pages
  team: analytics
  owners: [alice]
  paths: ["web/insights/pages/**"]
"""
ERIN = ("Erin", "erin@example.com")  # on no team: only paths or the repository place her PRs


def test_paths_belong_to_a_repository_and_teams_can_own_whole_repositories(
    tmp_path: Path,
) -> None:
    home = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": OWNING, "goals/2026-Q4.yml": SCOPED_GOALS}
    home.commit("Initial commit", files, ALICE, at("2026-10-01T09:00Z"))
    home.git("remote", "add", "origin", "https://github.com/acme/web.git")
    home.squash_pr(1, "Insights page", {"web/insights/pages/a.py": "1"}, ERIN,
                   at("2026-11-02T12:00Z"))  # fmt: skip
    sdk = GitRepo.init(tmp_path / "sdk")
    sdk.commit("Initial commit", {"README.md": "sdk"}, ALICE, at("2026-10-01T09:00Z"))
    sdk.git("remote", "add", "origin", SDK_REMOTE)
    for number, path in enumerate(
        ("src/onboarding/a.ts", "web/insights/pages/b.py", "src/funnel/c.ts", "README.md"), 1
    ):
        sdk.squash_pr(number, f"Change {path}", {path: "1"}, ERIN,
                      at(f"2026-11-{number + 2:02d}T12:00Z"))  # fmt: skip

    reviews = build_reviews(home.path, NOVEMBER, clones=[sdk.path])

    placed = {
        (lk.pr.repo, lk.pr.number): (r.summary.team, lk.goal_id, lk.rule)
        for r in reviews
        for lk in [*(lk for g in r.summary.goals for lk in g.prs), *r.summary.unplanned]
    }
    assert placed == {
        ("acme/web", 1): ("analytics", "insights-web", "goal-paths"),  # plain: the home's
        ("acme/sdk", 1): ("growth", None, "paths"),  # `acme/sdk:src/onboarding/**`
        # `web/insights/**` and the goal's plain paths are the home repository's, so the
        # SDK's own `web/insights/` falls to the team owning the SDK.
        ("acme/sdk", 2): ("platform", None, "repo"),
        ("acme/sdk", 3): ("analytics", "funnel-sdk", "goal-paths"),  # the goal's scoped path
        ("acme/sdk", 4): ("platform", None, "repo"),
    }


def test_a_reference_naming_the_home_repository_links_from_any_clone(tmp_path: Path) -> None:
    home = small_repo(tmp_path / "web")
    home.squash_pr(5, "Funnel copy", {"web/insights/d.py": "1"}, BOB,
                   at("2026-11-08T12:00Z"), body="Part of acme/web#12")  # fmt: skip
    sdk = GitRepo.init(tmp_path / "sdk")
    sdk.commit("Initial commit", {"README.md": "sdk"}, ALICE, at("2026-10-01T09:00Z"))
    sdk.git("remote", "add", "origin", SDK_REMOTE)
    sdk.squash_pr(1, "Funnel events", {"src/f.ts": "1"}, BOB,
                  at("2026-11-06T12:00Z"), body="Goal: acme/web#12")  # fmt: skip
    sdk.squash_pr(2, "Other fix", {"src/o.ts": "1"}, BOB,
                  at("2026-11-07T12:00Z"), body="Fixes acme/other#12")  # fmt: skip

    analytics = build_reviews(home.path, NOVEMBER, clones=[sdk.path], team="analytics")[0]

    (funnels,) = [g for g in analytics.summary.goals if g.goal.id == "funnels"]
    assert [(lk.pr.repo, lk.pr.number) for lk in funnels.prs] == [
        ("acme/web", 3),  # `Part of #12`
        ("acme/sdk", 1),  # `Goal: acme/web#12` from the SDK
        ("acme/web", 5),  # `Part of acme/web#12`: the home repository by name
    ]
    assert "says `Goal: acme/web#12`" in funnels.prs[1].reason
    (other,) = [lk for lk in analytics.summary.unplanned if lk.pr.title == "Other fix"]
    assert other.goal_id is None  # issue 12 of a third repository is no goal


def test_review_clones_in_the_config_read_like_repeated_repo(
    clones: tuple[GitRepo, GitRepo], tmp_path: Path
) -> None:
    home, sdk = clones
    given = build_reviews(home.path, NOVEMBER, clones=[sdk.path])
    config = home.path / ".github" / "quarterdeck.yml"
    config.write_text(config.read_text() + "review: {clones: [../sdk]}\n")

    configured = build_reviews(home.path, NOVEMBER)

    assert [render_review(r) for r in configured] == [render_review(r) for r in given]
    config.write_text(config.read_text().replace("../sdk", "../nowhere"))
    with pytest.raises(QuarterdeckError, match=r"review.clones: \.\./nowhere .* is not a git"):
        build_reviews(home.path, NOVEMBER)
