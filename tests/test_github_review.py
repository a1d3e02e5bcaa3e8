"""The review and `link` from GitHub: same answers as offline, few requests, clean failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.link import explain_from_github, explain_from_repo
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review.view import TeamReview
from tests.fakegithub import FakeGitHub, fixture
from tests.gitrepo import GitRepo
from tests.reviewrepos import CONFIG, GOALS

FILES = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
PEOPLE = {
    "alice": ("Alice", "alice@example.com"),
    "bob": ("Bob", "1+bob@users.noreply.github.com"),
    "carol": ("Carol", "carol@example.com"),
    "dave": ("Dave", "dave@example.com"),
    "erin": ("Erin", "7+erin@users.noreply.github.com"),
    "frank": ("Frank", "frank@example.org"),
    "dependabot[bot]": ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
}


@dataclass(frozen=True)
class Spec:
    """One merged PR of the scenario, written once for both sources."""

    number: int
    title: str
    author: str
    merged: str
    files: dict[str, str]
    body: str = ""
    branch: str = ""  # a merge commit's branch; "" means a squash merge
    label: str = ""  # offline, a label can only be written into the message
    titled: bool = False  # the merge commit says `Title (#N)`, not `Merge pull request`
    base: str = "main"  # the branch it was merged into
    fork: str = ""  # the fork's owner, for a PR from a fork
    # Issues GitHub says it closes (`closingIssuesReferences`): numbers of its own
    # repository, (owner/name, number) of another, or (number, parent) for a sub-issue
    # whose parent may be (owner/name, number); offline history cannot know them.
    closes: tuple[object, ...] = ()


SCENARIO = (
    Spec(
        1,
        "Funnel spike",
        "alice",
        "2026-10-20T12:00Z",
        {"web/insights/a.py": "1"},
        branch="funnels/spike",
    ),
    Spec(
        2,
        "Add checklist",
        "carol",
        "2026-11-03T12:00Z",
        {"web/onboarding/c.py": "1"},
        label="goal:onboarding",
    ),
    Spec(
        3,
        "Funnel breakdowns",
        "bob",
        "2026-11-05T12:00Z",
        {"web/insights/b.py": "1"},
        "Part of #12",
        "breakdowns",
    ),
    Spec(4, "Tweak insights page", "bob", "2026-11-15T12:00Z", {"web/insights/c.py": "2"}),
    Spec(5, "Bump jinja2", "dependabot[bot]", "2026-11-20T12:00Z", {"requirements.txt": "j"}),
    Spec(6, "Fix the docs", "dave", "2026-11-25T12:00Z", {"docs/x.md": "x"}, "Fixes #12"),
    Spec(7, "Next month", "dave", "2026-12-01T00:00Z", {"docs/y.md": "y"}),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def build_git(
    path: Path,
    scenario: tuple[Spec, ...] = SCENARIO,
    merge_back: dict[int, str] | None = None,
    *,
    full_name: str = "acme/web",
    files: dict[str, str] = FILES,
) -> GitRepo:
    """The scenario as git history; `merge_back`: after PR N, `Merge branch 'stable'` at T."""
    repo = GitRepo.init(path)
    repo.commit("Initial commit", files, PEOPLE["alice"], at("2026-10-01T09:00Z"))
    repo.git("remote", "add", "origin", f"https://github.com/{full_name}.git")
    if any(pr.base != "main" for pr in scenario):
        repo.git("branch", "stable")
    for pr in scenario:
        merged = at(pr.merged)
        body = "\n\n".join(x for x in (pr.body, pr.label) if x)
        if pr.branch:
            repo.branch(pr.branch, from_=pr.base)
            repo.commit(pr.title, pr.files, PEOPLE[pr.author], merged - timedelta(days=2))
            owner = pr.fork or "acme"
            repo.merge_pr(pr.number, pr.branch, pr.title, body, merged, owner=owner,
                          into=pr.base, titled=pr.titled)  # fmt: skip
        else:
            repo.squash_pr(
                pr.number, pr.title, pr.files, PEOPLE[pr.author], merged, body, into=pr.base
            )
        if pr.number in (merge_back or {}):
            repo.merge_branch("stable", at((merge_back or {})[pr.number]))
    repo.checkout("main")
    return repo


def build_fake(
    github: FakeGitHub,
    scenario: tuple[Spec, ...] = SCENARIO,
    *,
    full_name: str = "acme/web",
    files: dict[str, str] = FILES,
) -> None:
    github.add_repo(full_name, files=files)
    for pr in scenario:
        merged = at(pr.merged)
        github.add_pull(
            full_name,
            pr.number,
            pr.title,
            merged.strftime("%Y-%m-%dT%H:%M:%SZ"),
            author=pr.fork or pr.author,
            body=pr.body,
            branch=pr.branch or f"patch-{pr.number}",
            base=pr.base,
            labels=(pr.label,) if pr.label else (),
            files=tuple(pr.files),
            created_at=_z(merged - timedelta(days=2)),
            reviews=(("alice" if pr.author != "alice" else "bob", _z(merged - timedelta(days=1))),),
            # (number, parent) pairs as given; a bare number or (repo, number) has none.
            closing=tuple(
                c if isinstance(c, tuple) and isinstance(c[0], int) else (c, None)
                for c in pr.closes
            ),
        )


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def shipped(reviews: list[TeamReview], *, with_repo: bool = False) -> list[tuple[object, ...]]:
    """Every PR of the month, as the review lists it: team, PR, goal and rule (and, with
    `with_repo`, the repository it was merged in, last)."""
    rows = []
    for review in reviews:
        links = [lk for gm in review.summary.goals for lk in gm.prs] + list(
            review.summary.unplanned
        )
        for lk in links:
            rows.append(
                (
                    review.summary.team,
                    lk.pr.number,
                    lk.pr.title,
                    lk.pr.author,
                    lk.pr.merged_at,
                    lk.goal_id,
                    lk.rule,
                    *([lk.pr.repo] if with_repo else []),
                )
            )
    return sorted(rows, key=lambda row: (row[1], row[-1]))


def test_offline_and_github_give_the_same_prs_and_links(github: FakeGitHub, tmp_path: Path) -> None:
    repo = build_git(tmp_path / "web")
    build_fake(github)

    offline = build_reviews(repo.path, Month(2026, 11))
    online = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews

    assert shipped(online) == shipped(offline)
    assert [row[1:] for row in shipped(online) if row[5]] == [
        (2, "Add checklist", "carol", at("2026-11-03T12:00Z"), "onboarding", "label"),
        (3, "Funnel breakdowns", "bob", at("2026-11-05T12:00Z"), "funnels", "reference"),
        (6, "Fix the docs", "dave", at("2026-11-25T12:00Z"), "funnels", "reference"),
    ]
    assert {r.source for r in online} == {"github"}
    assert online[0].repo_url == "https://github.com/acme/web"


# Real histories: PRs merged into a release branch, merge commits titled like the PR,
# a fork's PR, authors only the history tells.
SHAPES = (
    Spec(11, "Funnel export", "erin", "2026-11-02T12:00Z", {"web/insights/e.py": "1"},
         "Part of #12", "export", titled=True),
    Spec(12, "Fix checklist crash", "bob", "2026-11-04T12:00Z", {"web/onboarding/f.py": "1"},
         base="stable"),
    Spec(13, "Insights typo", "frank", "2026-11-06T12:00Z", {"web/insights/t.py": "1"},
         branch="patch-1", base="stable", fork="frank-fork"),
    Spec(14, "Onboarding copy", "carol", "2026-11-08T12:00Z", {"web/onboarding/c.md": "1"},
         "Fixes #12"),
    Spec(15, "Late stable fix", "bob", "2026-11-20T12:00Z", {"web/insights/l.py": "1"},
         base="stable"),
)  # fmt: skip


def test_real_history_shapes_give_the_same_prs_and_links_in_both_modes(
    github: FakeGitHub, tmp_path: Path
) -> None:
    # #12 and #13 reach main through `Merge branch 'stable'`; #15 is not merged back yet.
    repo = build_git(tmp_path / "web", SHAPES, merge_back={13: "2026-11-07T12:00Z"})
    build_fake(github, SHAPES)

    offline = build_reviews(repo.path, Month(2026, 11))
    online = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews

    assert shipped(online) == shipped(offline)
    assert [(row[1], row[3]) for row in shipped(offline)] == [
        (11, "erin"), (12, "bob"), (13, "frank-fork"), (14, "carol"), (15, "bob"),
    ]  # fmt: skip
    # A fixed list of branches counts the same PRs in both modes too.
    only_main = build_reviews(repo.path, Month(2026, 11), branch="main")
    online_main = github_home_reviews(
        github.gateway(), "acme/web", Month(2026, 11), branch="main"
    ).reviews
    assert [row[1] for row in shipped(only_main)] == [11, 14]
    assert shipped(online_main) == shipped(only_main)


def test_github_mode_fills_the_review_time_metrics(github: FakeGitHub) -> None:
    build_fake(github)

    analytics = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews[0]
    speed = analytics.summary.speed

    # PRs 3 and 4 by paths, 6 by its reference: each opened 2 days and reviewed 1 day
    # before it merged
    assert (speed.cycle_time.n, speed.cycle_time.median) == (3, 48.0)
    assert (speed.time_to_first_review.n, speed.review_time.median) == (3, 24.0)
    assert "needs GitHub" not in render_review(analytics)


def test_a_month_of_1000_prs_and_40_goals_in_11_requests(github: FakeGitHub) -> None:
    teams = "".join(
        f"  team{t}:\n    lead: lead{t}\n    members: [lead{t}, dev{t}]\n" for t in range(4)
    )
    goals = "".join(
        f"- id: goal-{g}\n  title: Goal {g}\n  team: team{g % 4}\n  owners: [lead{g % 4}]\n"
        f"  issue: {g + 1}\n"
        for g in range(40)
    )
    github.add_repo(
        "acme/big",
        files={
            ".github/quarterdeck.yml": f"teams:\n{teams}",
            "goals/2026-Q4.yml": goals,
            "metrics/2026-11.yml": "revenue: {mrr: 1000}\n",
        },
    )
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for n in range(1000):
        github.add_pull(
            "acme/big",
            100 + n,
            f"Change {n}",
            _z(start + timedelta(minutes=40 * n)),
            author=f"dev{n % 4}",
            body=f"Part of #{n % 40 + 1}",
        )

    reviews = github_home_reviews(github.gateway(), "acme/big", Month(2026, 11)).reviews

    assert sum(r.summary.planned for r in reviews) == 1000
    assert len({gm.goal.id for r in reviews for gm in r.summary.goals if gm.prs}) == 40
    # One query opens the home: the repository, its config, goals, objectives, metrics
    # and templates folders with their files, the goal, objective and review issues and
    # the goals file's history; then ten search pages of 100 PRs. Target: at most 25.
    assert len(github.calls) == 11
    assert github.count("POST", "/graphql") == 11


def test_link_explains_goal_and_rule_from_both_sources(github: FakeGitHub, tmp_path: Path) -> None:
    repo = build_git(tmp_path / "web")
    build_fake(github)

    online = explain_from_github(github.gateway(), "acme/web", 3)
    offline = explain_from_repo(repo.path, 3)

    assert str(online) == (
        "#3 Funnel breakdowns (by bob, merged 2026-11-05)\n"
        "goal: funnels — Funnels v2 (team analytics)\n"
        "rule: reference — the body says `Part of #12` (goal issue of funnels)\n"
    )
    assert (offline.link.goal_id, offline.link.rule) == ("funnels", "reference")
    assert str(explain_from_github(github.gateway(), "acme/web", 4)).splitlines()[1:] == [
        "unplanned work of team analytics",
        "rule: paths — 1 of 1 changed path is under analytics's `web/insights/**`",
    ]


def test_cli_review_and_link_from_github(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_fake(github)
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-not-real")
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    out = tmp_path / "review.md"

    code = main(["review", "--github", "acme/web", "--month", "2026-11", "--output", str(out)])
    linked = main(["link", "6", "--github", "acme/web"])

    assert code == 0
    assert "Growth review: analytics — November 2026" in out.read_text()
    assert linked == 0
    assert "rule: reference — the body says `Fixes #12`" in capsys.readouterr().out
    assert all(c.headers["Authorization"] == "token test-token-not-real" for c in github.calls)
    assert github.writes == []


def test_cli_422_is_a_clear_failure_that_writes_nothing(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_fake(github)
    recorded = fixture("errors")[0]
    # The search's answer (the home's one query before it goes through).
    github.fail("POST", "/graphql", recorded["status"], body=recorded["response"], skip=1)
    out = tmp_path / "review.md"

    code = main(
        ["review", "--github", "acme/web", "--token", "test-token-not-real", "--output", str(out)]
    )

    err = capsys.readouterr().err
    assert code == 1
    assert "quarterdeck: GitHub answered 422 while searching merged PRs" in err
    assert "Validation Failed — Label.color is invalid" in err
    assert "test-token-not-real" not in err
    assert not out.exists()
    assert github.writes == []


def test_cli_without_a_token_or_with_a_bad_name(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)

    assert main(["review", "--github", "acme/web"]) == 1
    assert "no GitHub token" in capsys.readouterr().err
    assert main(["link", "3", "--github", "not a repo", "--token", "t"]) == 1
    assert "--github takes OWNER/REPO" in capsys.readouterr().err
    assert github.calls == []


def test_goals_tracked_only_as_issues_link_prs_in_the_github_review(github: FakeGitHub) -> None:
    fake = github.add_repo("acme/web", files=FILES)
    github.add_issue(
        fake,
        "Billing alerts",
        body="## What we'll ship\n- [x] threshold model\n- [ ] email\n",
        labels=["goal", "quarter:2026-Q4", "team:growth"],
        assignees=["carol"],
    )  # issue #1: a goal no file lists
    github.add_pull("acme/web", 40, "Alert thresholds", "2026-11-09T10:00:00Z", body="Goal: #1")

    [growth] = github_home_reviews(
        github.gateway(), "acme/web", Month(2026, 11), team="growth"
    ).reviews

    [goal_month] = [gm for gm in growth.summary.goals if gm.prs]
    assert (goal_month.goal.title, goal_month.goal.issue) == ("Billing alerts", 1)
    assert [(lk.pr.number, lk.rule) for lk in goal_month.prs] == [(40, "reference")]
    progress = {p.goal.title: p for p in growth.summary.progress}
    assert (progress["Billing alerts"].tasks_done, progress["Billing alerts"].tasks_total) == (1, 2)


def test_a_repos_own_templates_override_the_bundled_ones_from_github(github: FakeGitHub) -> None:
    custom = "Our own review of {{ review.month.label }}: {{ review.merged }} PRs\n"
    github.add_repo(
        "acme/web", files={**FILES, ".github/quarterdeck/templates/review.md.j2": custom}
    )
    github.add_pull("acme/web", 41, "Anything", "2026-11-09T10:00:00Z")

    reviews = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews

    assert render_review(reviews[0]) == "Our own review of November 2026: 1 PRs\n"


def test_link_from_github_knows_goals_tracked_only_as_issues(github: FakeGitHub) -> None:
    fake = github.add_repo("acme/web", files=FILES)
    github.add_issue(
        fake, "Billing alerts", labels=["goal", "quarter:2026-Q4", "team:growth"], assignees=["x"]
    )  # issue #1: a goal no file lists
    github.add_pull("acme/web", 40, "Alert thresholds", "2026-11-09T10:00:00Z", body="Goal: #1")

    found = explain_from_github(github.gateway(), "acme/web", 40)

    assert (found.link.goal_id, found.link.team, found.link.rule) == (
        "billing-alerts",
        "growth",
        "reference",
    )
    assert found.goal_title == "Billing alerts"


def test_link_names_the_goal_that_matched_when_ids_repeat_across_quarters(
    github: FakeGitHub,
) -> None:
    q3 = "- {id: funnels, title: Funnels v1, team: analytics, owners: [alice]}\n"
    q4 = "- {id: funnels, title: Funnels v2, team: growth, owners: [carol], issue: 7}\n"
    files = {**FILES, "goals/2026-Q3.yml": q3, "goals/2026-Q4.yml": q4}
    github.add_repo("acme/web", files=files)
    # Q3's goal of the same id comes first in the config; the PR moves Q4's.
    github.add_pull("acme/web", 41, "Funnels v2 step", "2026-11-05T10:00:00Z", body="Part of #7")

    found = explain_from_github(github.gateway(), "acme/web", 41)

    assert (found.link.goal_id, found.link.team, found.goal_title) == (
        "funnels",
        "growth",
        "Funnels v2",
    )
