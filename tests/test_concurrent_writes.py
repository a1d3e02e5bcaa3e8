"""Concurrent runs converge on one issue per team and per goal (issue 14, item 2).

Three `review --publish` runs and three `goals sync` runs go at once, each in its own
thread with its own PyGithub client, against the one fake GitHub served over real
HTTP (`HttpFront`). The race is made real by a gate in the fake: the first look of
every run (the issue listing) is answered only once all three have asked, so each
run sees no issue before any of them can create one. Without the lock label, that
race opens one issue per run (`test_without_the_lock_*` proves the race is real);
with it, exactly one create per object is sent, and every output names it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.converge import LOCK_PREFIX, lock_description, lock_name
from quarterdeck.sources.github import gateway
from quarterdeck.sources.github.client import retry_policy
from quarterdeck.sources.github.lock import LockBusy, github_lock
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import CONFIG, seed_github
from tests.test_goals_sync import checkout
from tests.test_goals_sync import seed as seed_goals

RUNS = 3
LOOK_DELAY = 0.25  # seconds: far more than the runs' skew once the gate lets them go
ISSUES = r"^/repos/acme/web/issues$"
PUBLISH = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]
THIRD_TEAM = """\
  platform:
    lead: dan
    members: [dan]
    owns: {paths: ["web/platform/**"]}
identities:
  dan: [dan@example.com]
"""
# Four goals without an issue (funnel-v2 and three more), and one the file adopts.
GOALS = """\
- id: funnel-v2
  title: Rebuild funnels
  team: analytics
  owners: [carol]
- id: exports
  title: CSV exports
  team: analytics
  owners: [dan]
- id: onboarding
  title: Onboarding checklist
  team: growth
  owners: [alice]
  issue: 1
- id: referrals
  title: Referral programme
  team: growth
  owners: [alice]
- id: pricing-page
  title: New pricing page
  team: growth
  owners: [alice]
"""
NEW_GOALS = ["exports", "funnel-v2", "pricing-page", "referrals"]


@pytest.fixture
def clients(github: FakeGitHub, front: str, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """Every CLI run gets a client of its own over HTTP, with the production retries."""
    monkeypatch.setattr(
        cli, "_github", lambda args: github.client(retry=retry_policy(), base_url=front)
    )
    return github


def at_once(run: Callable[[int], int]) -> list[int]:
    """Run `run(0..RUNS-1)` in RUNS threads started together; their exit codes."""
    codes: list[int] = [-1] * RUNS
    start = threading.Barrier(RUNS)

    def go(index: int) -> None:
        start.wait()
        codes[index] = run(index)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "a run never finished"
    return codes


def race(github: FakeGitHub, label: str) -> None:
    """Every run's first listing of the `label` issues is answered once all have asked,
    and every listing's answer arrives a while after it was read: each look (the
    first, and the one just before a create) may be stale when its run acts on it."""
    github.gate("GET", ISSUES, RUNS, query={"labels": label})
    github.slow("GET", ISSUES, LOOK_DELAY, query={"labels": label})


def without_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's code before the lock: look, then create, with nothing in between."""
    # Every lock a service takes is the gateway's (`RepoGateway.lock`).
    monkeypatch.setattr(gateway, "github_lock", lambda repo, scope: nullcontext(scope))


def lock_labels(remote: FakeRepo) -> list[str]:
    return [name for name in remote.labels if name.startswith(LOCK_PREFIX)]


def issue_creates(github: FakeGitHub) -> int:
    return github.count("POST", ISSUES)


# -- review --publish -------------------------------------------------------------------


def three_teams(github: FakeGitHub) -> FakeRepo:
    remote = seed_github(github)
    config = CONFIG.replace("identities:\n", THIRD_TEAM, 1)
    remote.files[".github/quarterdeck.yml"] = config
    github.add_pull(
        "acme/web", 5, "Faster deploys", "2026-11-12T12:00:00Z", author="dan",
        files=("web/platform/d.py",),
    )  # fmt: skip
    return remote


def reviews_by_team(remote: FakeRepo) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for number, issue in sorted(remote.issues.items()):
        team = re.search(r"quarterdeck:review [^>]*team=([\w-]+)", issue["body"] or "")
        if team:
            found.setdefault(team.group(1), []).append(number)
    return found


def publish_at_once(tmp_path: Path) -> tuple[list[int], list[Path]]:
    outputs = [tmp_path / f"output-{i}" for i in range(RUNS)]
    codes = at_once(lambda i: main([*PUBLISH, "--github-output", str(outputs[i])]))
    return codes, outputs


def test_three_concurrent_publish_runs_open_one_issue_per_team(
    clients: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = three_teams(clients)
    race(clients, "growth-review")

    codes, outputs = publish_at_once(tmp_path)

    err = capsys.readouterr().err
    assert codes == [0] * RUNS, err
    by_team = reviews_by_team(remote)
    assert sorted(by_team) == ["analytics", "growth", "platform"]
    assert all(len(numbers) == 1 for numbers in by_team.values()), by_team
    assert issue_creates(clients) == len(by_team)  # no duplicate was ever created
    assert lock_labels(remote) == []  # every lock released
    # Each team's issue is reported created once, and by every other run as found.
    for team, [number] in by_team.items():
        title = remote.issues[number]["title"]
        assert err.count(f"quarterdeck: created #{number}: {title}") == 1, team
        others = re.findall(rf"quarterdeck: (\w+) #(\d+): {re.escape(title)}", err)
        assert len(others) == RUNS
        assert {int(n) for _, n in others} == {number}
    # The Action's `issue-number` output of every run names an issue that exists.
    for output in outputs:
        named = re.search(r"^issue-number=(\d+)$", output.read_text(), re.M)
        assert named
        assert int(named.group(1)) in {n for [n] in by_team.values()}


def test_without_the_lock_the_same_race_duplicates_and_a_later_run_converges(
    clients: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote = three_teams(clients)
    race(clients, "growth-review")
    with monkeypatch.context() as patched:
        without_the_lock(patched)
        codes, _ = publish_at_once(tmp_path)
    capsys.readouterr()
    assert codes == [0] * RUNS
    made = reviews_by_team(remote)
    assert {team: len(numbers) for team, numbers in made.items()} == dict.fromkeys(made, RUNS)

    # A run with the lock (or any later run) closes the younger ones as duplicates of
    # the oldest, and names the oldest.
    output = tmp_path / "output"
    assert main([*PUBLISH, "--github-output", str(output)]) == 0

    err = capsys.readouterr().err
    for numbers in made.values():
        oldest, *younger = numbers
        title = remote.issues[oldest]["title"]
        assert re.search(rf"quarterdeck: (updated|unchanged) #{oldest}: {re.escape(title)}", err)
        assert remote.issues[oldest]["state"] == "open"
        for number in younger:
            closed = remote.issues[number]
            assert (closed["state"], closed["state_reason"]) == ("closed", "duplicate")
            [comment] = remote.comments_on(number)
            assert f"Duplicate of #{oldest}" in comment["body"]
            assert f"quarterdeck: note: #{number} duplicates #{oldest}; closed it" in err
    named = re.search(r"^issue-number=(\d+)$", output.read_text(), re.M)
    assert named
    assert int(named.group(1)) in {numbers[0] for numbers in made.values()}


# -- goals sync ---------------------------------------------------------------------------


def goal_issues(remote: FakeRepo) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for number, issue in sorted(remote.issues.items()):
        goal = re.search(r"quarterdeck:goal id=([\w-]+)", issue["body"] or "")
        if goal:
            found.setdefault(goal.group(1), []).append(number)
    return found


def sync_at_once(tmp_path: Path) -> list[int]:
    root = checkout(tmp_path, GOALS)
    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    return at_once(lambda _: main(args))


def test_three_concurrent_goals_syncs_open_one_issue_per_goal(
    clients: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = seed_goals(clients)
    race(clients, "goal")

    codes = sync_at_once(tmp_path)

    out = capsys.readouterr().out
    assert codes == [0] * RUNS, out
    by_goal = goal_issues(remote)
    assert sorted(g for g in by_goal if g in NEW_GOALS) == NEW_GOALS
    assert all(len(by_goal[goal]) == 1 for goal in NEW_GOALS), by_goal
    assert issue_creates(clients) == len(NEW_GOALS)  # no duplicate was ever created
    assert lock_labels(remote) == []
    for goal in NEW_GOALS:
        [number] = by_goal[goal]
        # Created by one run, found by the two others: all three advise the same number.
        assert out.count(f"created the issue of goal {goal}: #{number} ") == 1
        advised = re.findall(rf"goal {goal}: #(\d+)[ ,].*?\(add `issue: (\d+)`", out)
        assert len(advised) == RUNS
        assert {a for pair in advised for a in pair} == {str(number)}


def test_without_the_lock_goals_syncs_duplicate_and_a_later_sync_closes_them(
    clients: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote = seed_goals(clients)
    race(clients, "goal")
    with monkeypatch.context() as patched:
        without_the_lock(patched)
        assert sync_at_once(tmp_path) == [0] * RUNS
    capsys.readouterr()
    made = goal_issues(remote)
    assert [len(made[goal]) for goal in NEW_GOALS] == [RUNS] * len(NEW_GOALS)

    root = checkout(tmp_path, GOALS)
    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    assert main(args) == 0

    out = capsys.readouterr().out
    for goal in NEW_GOALS:
        oldest, *younger = made[goal]
        assert remote.issues[oldest]["state"] == "open"
        assert f"{goal} (#{oldest})" in out  # the plan names the oldest as the goal's
        for number in younger:
            assert (remote.issues[number]["state"], remote.issues[number]["state_reason"]) == (
                "closed",
                "duplicate",
            )
            assert f"closed #{number} as a duplicate of #{oldest} (goal {goal})" in out
    # Converged: the next sync has nothing to close.
    assert main(args) == 0
    assert "duplicate" not in capsys.readouterr().out


# -- the lock itself --------------------------------------------------------------------


class Clock:
    """A clock the test moves; `sleep` moves it instead of waiting."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


NOW = 1_800_000_000.0


def stale_lock(github: FakeGitHub, remote: FakeRepo, scope: str, until: float) -> str:
    """A lock label left by a holder that died (`until`: its expiry)."""
    name = lock_name(scope)
    description = lock_description("ghost-1-dead", datetime.fromtimestamp(until, UTC))
    remote.labels[name] = github._label_json(remote, name, "cccccc", description)
    return name


def test_a_held_lock_makes_a_waiter_give_up_with_the_label_and_how_to_clear_it(
    github: FakeGitHub,
) -> None:
    remote = github.add_repo("acme/web")
    repo = github.client().get_repo("acme/web")
    name = stale_lock(github, remote, "review:2026-11:growth", until=NOW + 600)
    clock = Clock(NOW)

    with (
        pytest.raises(LockBusy) as busy,
        github_lock(repo, "review:2026-11:growth", wait=30, clock=clock, sleep=clock.sleep),
    ):
        pytest.fail("the lock was held by someone else")

    message = str(busy.value)
    assert f"holds the lock {name} in acme/web" in message
    assert "held by ghost-1-dead until 2027-01-15 08:10:00 UTC" in message
    assert f"gh label delete '{name}' --repo acme/web" in message
    assert sum(clock.slept) == pytest.approx(30)  # waited the bound, backing off
    assert clock.slept[0] <= 0.25
    assert max(clock.slept) <= 5
    assert len(clock.slept) >= 5
    assert name in remote.labels  # not ours: left alone


def test_an_expired_lock_is_taken_over_and_released(github: FakeGitHub) -> None:
    remote = github.add_repo("acme/web")
    repo = github.client().get_repo("acme/web")
    name = stale_lock(github, remote, "goal:funnel-v2", until=NOW - 1)
    clock = Clock(NOW)

    with github_lock(repo, "goal:funnel-v2", clock=clock, sleep=clock.sleep, holder="me-1-ab"):
        held = remote.labels[name]["description"]

    assert "held by me-1-ab until 2027-01-15T08:02:00Z" in held  # NOW + the 120 s TTL
    assert clock.slept == []  # taken over at once
    assert name not in remote.labels  # released
    assert github.count("DELETE", rf"/labels/{re.escape(name)}$") == 2  # the stale one, ours


@pytest.mark.parametrize("how", ["502", "dropped"])
def test_a_lock_whose_create_answer_was_lost_is_known_to_be_ours(
    github: FakeGitHub, how: str
) -> None:
    remote = github.add_repo("acme/web")
    waits: list[float] = []
    repo = github.client(retry=retry_policy(sleep=waits.append)).get_repo("acme/web")
    github.lose_answer("POST", r"/labels$", drop=how == "dropped")

    with github_lock(repo, "goal:x", holder="me-1-ab") as name:
        assert name in remote.labels

    assert github.count("POST", r"/labels$") == 1  # found by its description, not re-sent
    assert lock_labels(remote) == []


def test_lock_names_fit_githubs_limit_and_never_collide() -> None:
    long = "review:2026-11:" + "a-very-long-team-slug-" * 3
    assert len(lock_name(long)) <= 50
    assert lock_name(long) != lock_name(long + "x")
    assert lock_name("Goal:Odd Name") != lock_name("goal:odd-name")
    assert lock_name("goal:funnel-v2") == "quarterdeck-lock:goal:funnel-v2"
