"""Locks that span processes: one PR comment and every Shipped entry, however many workers.

The acceptance tests run a real `quarterdeck serve --workers 3` (uvicorn) on
127.0.0.1 against the shared fake GitHub over HTTP (tests/fakegithub_http.py), once
with its locks in the claims' SQLite file and once with Redis and three real
`quarterdeck worker` processes. GitHub answers each request after a short delay, as
the real one does, so work in different processes overlaps.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from quarterdeck.webhook.handlers.pull_request import pr_marker
from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.server import create_app
from quarterdeck.webhook.work_locks import RedisLocks, SQLiteLocks
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.redisdb import REDIS_URL
from tests.servers import served
from tests.test_webhook_live import post
from tests.webhooks import (
    FILES,
    REPO,
    SECRET,
    encode,
    fixed_loader,
    headers,
    merged_pr,
    ours,
    private_key_pem,
    settings,
)

GOAL_ISSUE = 1  # the goal `readme` names issue 1 (tests/webhooks.py GOALS_YML)
ONE_MERGE, COPIES = 2, 12  # PR #2, delivered 12 times under distinct delivery ids
SHIPPED = range(3, 3 + 24)  # 24 more merged PRs, each delivered once, all for goal #1
HANDLED = '"message": "delivery handled'
LATENCY = 0.01  # seconds GitHub takes to answer, here


# -- SQLiteLocks and RedisLocks on their own ----------------------------------------------


def _count_under_lock(db: str, counter: str, rounds: int) -> None:
    """Read, pause, write a counter file `rounds` times, each under the lock."""
    locks = SQLiteLocks(Path(db))
    for _ in range(rounds):
        with locks("counter"):
            value = int(Path(counter).read_text())
            time.sleep(0.002)  # widen the window a lost update needs
            Path(counter).write_text(str(value + 1))


def test_sqlite_locks_exclude_other_processes(tmp_path: Path) -> None:
    import multiprocessing

    counter = tmp_path / "counter"
    counter.write_text("0")
    db = str(tmp_path / "deliveries.sqlite3")
    spawn = multiprocessing.get_context("spawn")
    workers = [
        spawn.Process(target=_count_under_lock, args=(db, str(counter), 25)) for _ in range(4)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0] * 4
    assert int(counter.read_text()) == 4 * 25  # not one increment lost


def test_a_dead_holders_sqlite_lock_is_taken_over_once_it_expires(tmp_path: Path) -> None:
    db = tmp_path / "deliveries.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from quarterdeck.webhook.work_locks import SQLiteLocks\n"
            "print(SQLiteLocks(Path(sys.argv[1]), timeout=1.5).acquire('o/r#1'), flush=True)\n"
            "time.sleep(60)\n",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    held_by = holder.stdout.readline().strip()
    holder.kill()  # dies holding the lock: no release ever comes
    holder.wait(10)
    locks = SQLiteLocks(db, wait=5)

    assert locks.holder("o/r#1") == held_by
    assert not locks.try_acquire("o/r#1", "me")  # still live: not taken early
    started = time.monotonic()
    with locks("o/r#1"):
        assert locks.holder("o/r#1") not in (None, held_by)
    assert time.monotonic() - started < 5
    assert locks.holder("o/r#1") is None  # released by its holder


def test_waiting_for_a_sqlite_lock_is_bounded_and_names_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "deliveries.sqlite3"
    other = SQLiteLocks(db)
    held_by = other.acquire("o/r#7")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=re.escape(held_by)):
        SQLiteLocks(db, wait=0.3).acquire("o/r#7")
    assert 0.3 <= time.monotonic() - started < 2
    assert other.release("o/r#7", held_by)


def test_only_the_holder_releases_a_sqlite_lock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "deliveries.sqlite3"
    locks = SQLiteLocks(db)
    held_by = locks.acquire("o/r#3")
    with caplog.at_level(logging.WARNING, "quarterdeck.webhook"):
        assert not locks.release("o/r#3", "another-holder")
    assert locks.holder("o/r#3") == held_by
    assert "expired while held" in caplog.text


def test_an_expired_sqlite_lock_is_taken_and_its_late_holder_leaves_it_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = [1000.0]
    locks = SQLiteLocks(tmp_path / "deliveries.sqlite3", timeout=120, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "quarterdeck.webhook"), locks("o/r#5"):
        now[0] += 121  # the work overran the lock's life
        assert locks.try_acquire("o/r#5", "the next worker")
        # The late holder's exit logged, raised nothing, and kept the next worker's lock.
    assert locks.holder("o/r#5") == "the next worker"
    assert "expired while held" in caplog.text


def test_a_redis_lock_lost_during_long_work_is_logged_not_raised(
    redis_db: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    locks = RedisLocks(client, timeout=0.3, wait=1)
    with caplog.at_level(logging.WARNING, "quarterdeck.webhook"), locks("o/r#9"):
        assert 0 < client.pttl("quarterdeck:lock:o/r#9") <= 300  # it expires by itself
        assert not client.lock("quarterdeck:lock:o/r#9").acquire(blocking=False)
        time.sleep(0.5)  # past its expiry
        taker = client.lock("quarterdeck:lock:o/r#9", timeout=10)
        assert taker.acquire(blocking=False)
    assert "expired while held" in caplog.text
    assert taker.owned()  # the late holder did not delete the new holder's lock
    taker.release()


def test_waiting_for_a_redis_lock_is_bounded(redis_db: Any) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    held = client.lock("quarterdeck:lock:o/r#4", timeout=10)
    assert held.acquire(blocking=False)
    with pytest.raises(TimeoutError, match="o/r#4"), RedisLocks(client, wait=0.3)("o/r#4"):
        pass
    held.release()


# -- duplicates found anyway ------------------------------------------------------------


def test_later_copies_of_our_comment_are_deleted_a_persons_never(
    tmp_path: Path, github: FakeGitHub
) -> None:
    # Left by an older version without cross-process locks, or by a holder whose lock
    # expired: the next delivery keeps the oldest of ours and deletes the others of ours.
    fake = github.add_repo(REPO)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    stale = f"{pr_marker(ONE_MERGE)}\nan older version's comment"
    oldest = github.add_comment(fake, ONE_MERGE, stale, author="quarterdeck[bot]")
    person = github.add_comment(fake, ONE_MERGE, f"quoting it: {pr_marker(ONE_MERGE)}", "alice")
    later = github.add_comment(fake, ONE_MERGE, stale, author="quarterdeck[bot]")
    github.hold_pull(REPO, merged_pr())
    app = create_app(
        settings(tmp_path),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    body = encode(merged_pr())

    answer = app.test_client().post("/webhook", data=body, headers=headers("pull_request", body))
    assert answer.status_code == 202
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    left = {c["id"]: c for c in fake.comments_on(ONE_MERGE)}
    assert sorted(left) == [oldest["id"], person["id"]]
    assert "A README people finish reading" in left[oldest["id"]]["body"]  # brought up to date
    assert left[person["id"]]["body"] == f"quoting it: {pr_marker(ONE_MERGE)}"
    assert github.count("DELETE", rf"/issues/comments/{later['id']}$") == 1
    assert github.count("DELETE") == 1


# -- acceptance: a real `serve --workers 3` -------------------------------------------


def _pr(number: int) -> dict[str, Any]:
    payload = merged_pr(title=f"Change number {number}")
    payload["number"] = payload["pull_request"]["number"] = number
    return payload


@pytest.fixture
def goal_repo(github: FakeGitHub) -> Iterator[tuple[FakeRepo, HttpFront]]:
    """The repo with goal issue #1 and PRs #2…#26 (PRs hold comments as issues do),
    GitHub answering after `LATENCY`, served over HTTP for other processes."""
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    for number in (ONE_MERGE, *SHIPPED):
        github.add_issue(fake, f"Change number {number}")
        github.hold_pull(REPO, _pr(number))
    assert sorted(fake.issues) == [GOAL_ISSUE, ONE_MERGE, *SHIPPED]
    answer = github._dispatch

    def slowly(request: Any) -> tuple[int, dict[str, str], str]:
        time.sleep(LATENCY)
        return answer(request)

    github._dispatch = slowly  # type: ignore[method-assign]
    front = HttpFront(github)
    yield fake, front
    front.close()


def _phases() -> list[list[tuple[bytes, dict[str, str]]]]:
    """12 copies of one merge (each its own delivery id); then 24 merges for one goal.

    One after the other, so that in each every process starts on the same issue at
    once: the PR's comment, then the goal issue's body.
    """
    copies = [encode(_pr(ONE_MERGE))] * COPIES
    merges = [encode(_pr(number)) for number in SHIPPED]
    return [[(body, headers("pull_request", body)) for body in phase] for phase in (copies, merges)]


def _send(port: int, deliveries: list[tuple[bytes, dict[str, str]]]) -> list[int]:
    """POST each delivery, 20 ms apart; their statuses.

    Spaced, not all at once: under one burst the first server process to wake takes
    every connection; spaced, the kernel hands them to all three, as it does real
    deliveries. Each answer is only an enqueue, so the work still overlaps.
    """
    statuses = []
    for body, sent in deliveries:
        statuses.append(post(port, body, sent))
        time.sleep(0.02)  # pacing the sender, not waiting for the code under test
    return statuses


def _env(tmp_path: Path, front: HttpFront, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "QUARTERDECK_WEBHOOK_SECRET": SECRET,
        "QUARTERDECK_APP_ID": "4242",
        "QUARTERDECK_PRIVATE_KEY": private_key_pem(),
        "QUARTERDECK_DELIVERIES_DB": str(tmp_path / "deliveries.sqlite3"),
        "GITHUB_API_URL": front.url,
        **extra,
    }
    env.pop("QUARTERDECK_PRIVATE_KEY_FILE", None)
    if "REDIS_URL" not in extra:
        env.pop("REDIS_URL", None)
    return env


def _entries(body: str) -> set[int]:
    """The PR numbers listed in a goal issue's Shipped section (`- 2019-05-15 · #3 …`)."""
    return {int(n) for n in re.findall(r"^- \d{4}-\d\d-\d\d · #(\d+) ", body, re.M)}


def _assert_one_comment_each_and_every_entry(github: FakeGitHub, fake: FakeRepo) -> None:
    for number in (ONE_MERGE, *SHIPPED):
        assert len(fake.comments_on(number)) == 1, f"PR #{number}: {fake.comments_on(number)}"
        # Created once, not created twice and one copy cleaned up afterwards.
        assert github.count("POST", rf"/issues/{number}/comments$") == 1, f"PR #{number}"
    assert github.count("DELETE") == 0
    assert _entries(fake.issues[GOAL_ISSUE]["body"]) == {ONE_MERGE, *SHIPPED}
    # Every edit merged into the newest body: no entry written away, even for a while.
    edits = [
        _entries(c.body["body"])
        for c in github.calls
        if c.method == "PATCH" and c.path.endswith(f"/issues/{GOAL_ISSUE}")
    ]
    assert edits, "the goal issue was never edited"
    for before, after in itertools.pairwise(edits):
        assert before <= after, f"an edit dropped {sorted(before - after)}"


def test_serve_with_three_workers_without_redis_loses_nothing(
    tmp_path: Path, github: FakeGitHub, goal_repo: tuple[FakeRepo, HttpFront]
) -> None:
    fake, front = goal_repo
    statuses: list[int] = []
    finished: list[bool] = []

    with served(_env(tmp_path, front), tmp_path, "--workers", "3") as server:
        for phase in _phases():
            statuses += _send(server.port, phase)
            finished.append(server.wait_for(HANDLED, len(statuses), timeout=120))
        log = "".join(server.lines)

    assert statuses == [202] * (COPIES + len(SHIPPED))
    assert finished == [True, True], log[-5000:]
    assert "delivery dropped" not in log
    # Several processes did the work: each gets its own installation token.
    assert github.count("POST", r"^/app/installations/42/access_tokens$") >= 2
    _assert_one_comment_each_and_every_entry(github, fake)


def test_serve_with_three_workers_and_redis_workers_loses_nothing(
    tmp_path: Path,
    github: FakeGitHub,
    goal_repo: tuple[FakeRepo, HttpFront],
    redis_db: Any,
) -> None:
    fake, front = goal_repo
    env = _env(tmp_path, front, REDIS_URL=REDIS_URL)
    command = [sys.executable, "-m", "quarterdeck", "worker", "--burst"]
    worked: list[int] = []

    with served(env, tmp_path, "--workers", "3") as server:
        for phase in _phases():
            assert _send(server.port, phase) == [202] * len(phase)
            assert Queue(RQ_QUEUE, connection=redis_db).count == len(phase)  # only enqueued
            workers = [
                subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True)
                for _ in range(3)
            ]
            logs = [w.communicate(timeout=240)[1] for w in workers]
            assert [w.returncode for w in workers] == [0] * 3, "".join(logs)[-5000:]
            assert sum(log.count(HANDLED) for log in logs) == len(phase), "".join(logs)[-5000:]
            worked.append(sum(HANDLED in log for log in logs))

    assert min(worked) >= 2  # in each phase, more than one worker process did work
    assert Queue(RQ_QUEUE, connection=redis_db).count == 0
    _assert_one_comment_each_and_every_entry(github, fake)
