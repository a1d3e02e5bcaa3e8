"""Git repositories for publishing tests: a small two-team one and a 5,000-PR one.

Both are real clones that `build_reviews` reads offline; the big one is written with
`git fast-import` so it takes a second, not minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.sources.fast_import import HistoryWriter, Signature, import_history
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.gitrepo import GitRepo

CONFIG = """\
teams:
  analytics:
    mission: Make insights fast
    lead: alice
    pm: pat
    members: [alice, bob]
    owns: {paths: ["web/insights/**"]}
  growth:
    lead: carol
    pm: quinn
    members: [carol]
    owns: {paths: ["web/onboarding/**"]}
identities:
  alice: [alice@example.com]
  bob: [bob@example.com]
  carol: [carol@example.com]
"""
GOALS = """\
- id: funnels
  title: Funnels v2
  team: analytics
  owners: [alice]
  issue: 12
- id: onboarding
  title: Onboarding checklist
  team: growth
  owners: [carol]
"""
ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")
NASTY = "@everyone <script> {{ 7*7 }} | pipe"
REMOTE = "https://github.com/acme/web.git"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def small_repo(path: Path) -> GitRepo:
    """Two teams, a goal each, a few November 2026 PRs (one with a hostile title)."""
    repo = GitRepo.init(path)
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-10-01T09:00Z"))
    repo.git("remote", "add", "origin", REMOTE)
    repo.squash_pr(
        2, "Add checklist", {"web/onboarding/c.py": "1"}, CAROL, at("2026-11-03T12:00Z"),
        body="goal:onboarding",
    )  # fmt: skip
    repo.squash_pr(3, "Funnel breakdowns", {"web/insights/b.py": "1"}, BOB,
                   at("2026-11-05T12:00Z"), body="Part of #12")  # fmt: skip
    repo.squash_pr(4, NASTY, {"web/insights/c.py": "2"}, BOB, at("2026-11-15T12:00Z"))
    return repo


def big_repo(path: Path, prs: int = 5_000) -> Path:
    """`prs` squash-merged PRs in November 2026, half toward a goal, half unplanned."""
    start = at("2026-11-01T00:00Z")
    step = timedelta(days=29) / prs

    def build(w: HistoryWriter) -> None:
        files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
        tip = w.commit("Initial commit\n", Signature(*ALICE, at("2026-10-01T09:00Z")), files=files)
        for n in range(1, prs + 1):
            when = start + step * n
            title = NASTY if n == prs else f"Improve insight number {n} for big customers"
            body = "\n\ngoal:funnels" if n % 2 else ""
            path = f"web/insights/f{n % 50}.py"
            tip = w.commit(
                f"{title} (#{n}){body}\n",
                Signature(*BOB, when),
                parents=[tip],
                files={path: f"{n}\n"},
            )

    import_history(path, build)
    GitRepo(path).git("remote", "add", "origin", REMOTE)
    return path


def seed_github(github: FakeGitHub) -> FakeRepo:
    """`acme/web` on the fake GitHub with the small repo's config and November PRs."""
    remote = github.add_repo(
        "acme/web", files={".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    )
    github.add_pull(
        "acme/web", 2, "Add checklist", "2026-11-03T12:00:00Z", author="carol",
        labels=("goal:onboarding",), files=("web/onboarding/c.py",),
    )  # fmt: skip
    github.add_pull(
        "acme/web", 3, "Funnel breakdowns", "2026-11-05T12:00:00Z", author="bob",
        body="Part of #12", files=("web/insights/b.py",),
    )  # fmt: skip
    github.add_pull(
        "acme/web", 4, NASTY, "2026-11-15T12:00:00Z", author="bob", files=("web/insights/c.py",)
    )
    return remote
