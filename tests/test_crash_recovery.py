"""No answered delivery is lost to a process crash (issue 21), with the SQLite default.

Whatever still ends a serving process (the OOM killer, a bug) after it answered 202:
its claim is "in progress", owned by that process, with the delivery kept beside it;
the process uvicorn starts in its place redoes the work, and GitHub's redelivery of
a claim whose owner died is accepted. A finished claim still answers "duplicate".
Before, a dead process's claims answered every redelivery "duplicate" for 7 days.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quarterdeck.webhook.deliveries import LEASE, SQLiteDeliveries, owner_alive, owner_token
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.servers import served
from tests.test_app_locks import GOAL_ISSUE, HANDLED, _entries, _env, _pr
from tests.test_webhook_live import post
from tests.webhooks import FILES, REPO, encode, headers

DELIVERY = "c0ffee00-0000-4000-8000-00000000dead"


# -- the claims, with a real process that dies ------------------------------------------

_CLAIM_AND_HANG = """
import sys, time
from pathlib import Path
from quarterdeck.webhook.deliveries import SQLiteDeliveries
store = SQLiteDeliveries(Path(sys.argv[1]), ttl=7 * 24 * 3600)
assert store.claim(sys.argv[2])
store.keep(sys.argv[2], "pull_request", {"action": "closed", "number": 7})
print("claimed", flush=True)
time.sleep(600)
"""


@pytest.fixture
def claimed_by_a_process(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A separate process that claimed DELIVERY, kept it, and is still running."""
    db = tmp_path / "deliveries.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", _CLAIM_AND_HANG, str(db), DELIVERY],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "claimed"
    yield db, child
    child.kill()
    child.wait(10)


def test_a_claim_in_progress_by_a_live_process_is_a_duplicate(
    claimed_by_a_process: tuple[Path, subprocess.Popen[str]],
) -> None:
    db, _child = claimed_by_a_process
    store = SQLiteDeliveries(db, ttl=7 * 24 * 3600)
    assert store.claim(DELIVERY) is False
    assert store.take_over() == []


def test_a_claim_whose_process_was_killed_accepts_the_redelivery(
    claimed_by_a_process: tuple[Path, subprocess.Popen[str]],
) -> None:
    db, child = claimed_by_a_process
    child.send_signal(signal.SIGKILL)
    child.wait(10)  # reaped, as uvicorn's supervisor reaps a dead worker
    store = SQLiteDeliveries(db, ttl=7 * 24 * 3600)

    assert store.claim(DELIVERY) is True  # GitHub's redelivery is accepted
    assert store.claim(DELIVERY) is False  # now in progress here
    store.finish(DELIVERY)
    assert store.claim(DELIVERY) is False  # done: a duplicate for the TTL


def test_a_starting_process_takes_over_a_dead_ones_unfinished_delivery_once(
    claimed_by_a_process: tuple[Path, subprocess.Popen[str]],
) -> None:
    db, child = claimed_by_a_process
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    first, second = SQLiteDeliveries(db, ttl=3600), SQLiteDeliveries(db, ttl=3600)

    won = first.take_over()

    assert won == [(DELIVERY, "pull_request", {"action": "closed", "number": 7})]
    assert second.take_over() == []  # ours now, and we are alive
    first.finish(DELIVERY)
    assert first.take_over() == []
    assert second.claim(DELIVERY) is False


def test_a_zombie_or_a_reused_pid_is_not_the_owner(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    token = owner_token(child.pid)  # while it runs
    assert owner_alive(token) is True
    assert child.stdin is not None
    child.stdin.close()  # it exits; not reaped, it stays a zombie with the same pid
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.monotonic() + 10
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting for the child to exit, not retrying the code under test
    assert owner_alive(token) is False
    child.wait(10)
    assert owner_alive(owner_token()) is True
    here = owner_token().rsplit(":", 1)[0]
    assert owner_alive(f"{here}:0") is False  # this pid, but started at another time


def test_an_unfinished_claim_past_its_lease_is_taken_over(tmp_path: Path) -> None:
    now = [1_000_000.0]
    store = SQLiteDeliveries(tmp_path / "d.sqlite3", ttl=7 * 24 * 3600, clock=lambda: now[0])
    assert store.claim(DELIVERY)
    now[0] += LEASE - 1
    assert store.claim(DELIVERY) is False  # its owner (this process) may still be at it
    now[0] += 2
    assert store.claim(DELIVERY) is True  # the lease ran out: redelivery accepted


def test_claims_a_file_from_before_kept_count_as_done(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE deliveries (id TEXT PRIMARY KEY, claimed REAL NOT NULL)")
        conn.execute("INSERT INTO deliveries VALUES (?, ?)", (DELIVERY, time.time()))
    store = SQLiteDeliveries(db, ttl=3600)
    assert store.claim(DELIVERY) is False
    assert store.take_over() == []


# This host and a pid that is not running: a process that died.
_DEAD = f"{owner_token().rsplit(':', 2)[0]}:0:0"


def test_a_kept_delivery_is_stored_compressed_and_read_back_whole(tmp_path: Path) -> None:
    payload = {"action": "closed", "number": 7, "pull_request": {"body": "words " * 4000}}
    store = SQLiteDeliveries(tmp_path / "d.sqlite3", ttl=3600)
    assert store.claim(DELIVERY)
    store.keep(DELIVERY, "pull_request", payload)
    with sqlite3.connect(tmp_path / "d.sqlite3") as db:
        ((stored,),) = db.execute("SELECT payload FROM deliveries").fetchall()
        assert isinstance(stored, bytes)
        assert len(stored) < len(json.dumps(payload)) // 10  # 24 KB of words: a page, not six
        db.execute("UPDATE deliveries SET owner = ?", (_DEAD,))  # its process died
    assert store.take_over() == [(DELIVERY, "pull_request", payload)]


def test_a_delivery_is_kept_as_the_json_github_sent(tmp_path: Path) -> None:
    # Key order and spacing as sent: the bytes are kept, the payload is not encoded again.
    source = b'{"number": 7,  "action": "closed", "pull_request": {"title": "caf\\u00e9"}}'
    payload = json.loads(source)
    store = SQLiteDeliveries(tmp_path / "d.sqlite3", ttl=3600)
    assert store.claim(DELIVERY)
    store.keep(DELIVERY, "pull_request", payload, source)
    with sqlite3.connect(tmp_path / "d.sqlite3") as db:
        ((stored,),) = db.execute("SELECT payload FROM deliveries").fetchall()
        db.execute("UPDATE deliveries SET owner = ?", (_DEAD,))
    assert zlib.decompress(stored) == source
    assert store.take_over() == [(DELIVERY, "pull_request", payload)]


def test_a_delivery_an_older_version_kept_as_plain_json_is_taken_over(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    SQLiteDeliveries(db, ttl=3600)  # the current table
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO deliveries (id, claimed, owner, done, event, payload) "
            "VALUES (?, ?, ?, 0, 'pull_request', ?)",
            (DELIVERY, time.time(), _DEAD, json.dumps({"action": "closed"})),
        )
    assert SQLiteDeliveries(db, ttl=3600).take_over() == [
        (DELIVERY, "pull_request", {"action": "closed"})
    ]


# -- a real `quarterdeck serve`, killed after it answered --------------------------------


@pytest.fixture
def gated_github(github: FakeGitHub) -> Iterator[tuple[FakeRepo, HttpFront, threading.Event]]:
    """The goal repo with merged PR #2; GitHub holds every answer until the gate opens."""
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Change number 2")
    github.hold_pull(REPO, _pr(2))
    gate = threading.Event()
    asked = threading.Event()
    answer = github._dispatch

    def gated(request: Any) -> tuple[int, dict[str, str], str]:
        asked.set()
        if not gate.wait(60):
            raise OSError("the test never opened the gate")
        return answer(request)

    github._dispatch = gated  # type: ignore[method-assign]
    front = HttpFront(github)
    front.asked = asked  # type: ignore[attr-defined]
    yield fake, front, gate
    gate.set()
    front.close()


def test_a_delivery_answered_202_by_a_process_killed_mid_work_is_done_once(
    tmp_path: Path,
    github: FakeGitHub,
    gated_github: tuple[FakeRepo, HttpFront, threading.Event],
) -> None:
    fake, front, gate = gated_github
    body = encode(_pr(2))
    sent = headers("pull_request", body, delivery=DELIVERY)

    with served(_env(tmp_path, front), tmp_path, "--workers", "1") as server:
        (worker,) = server.workers()
        assert post(server.port, body, sent) == 202
        assert front.asked.wait(30)  # type: ignore[attr-defined]  # its work is under way
        os.kill(worker, signal.SIGKILL)  # the OOM killer, after the answer
        deadline = time.monotonic() + 30
        while server.workers() in (set(), {worker}) and time.monotonic() < deadline:
            time.sleep(0.1)  # uvicorn's supervisor notices and starts another
        replacement = server.workers()
        assert replacement
        assert worker not in replacement
        assert server.wait_for("redoing a delivery answered by a process that died", 1, 30)
        assert post(server.port, body, sent) == 200  # in progress in the new process
        gate.set()
        assert server.wait_for(HANDLED, 1, timeout=60), "".join(server.lines)[-3000:]
        assert post(server.port, body, sent) == 200  # done: a duplicate
        log = "".join(server.lines)

    assert server.count(HANDLED) == 1, log[-3000:]
    with sqlite3.connect(tmp_path / "deliveries.sqlite3") as db:
        kept = db.execute("SELECT done, event, payload FROM deliveries").fetchall()
    assert kept == [(1, None, None)]  # done: the payload is no longer on disk
    assert len(fake.comments_on(2)) == 1
    assert github.count("POST", r"/issues/2/comments$") == 1
    assert _entries(fake.issues[GOAL_ISSUE]["body"]) == {2}
