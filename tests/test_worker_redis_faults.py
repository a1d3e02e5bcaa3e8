"""The worker outlives every Redis failure that passes: a failover that leaves its Redis
a read-only replica, `maxmemory` reached under `noeviction`, a paused Redis, a Redis
that comes back empty.

Everything is real: a `quarterdeck serve` (gunicorn) and a `quarterdeck worker`
subprocess share a `redis-server` of the test's own (ports 6420-6429), and the work
reaches the shared fake GitHub over HTTP. What each test proves is in its name;
"exactly once" is counted in the fake's comment writes, per PR.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import Queue

from quarterdeck.webhook.queues import RQ_QUEUE
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.servers import Served, served
from tests.webhooks import REPO, encode, headers, merged_pr
from tests.workers import Hold, RedisServer, Worker, seed_repo, wait_for, worker_env

FAST = ("--heartbeat", "1", "--abandon-after", "3")  # as in test_worker_faults.py
PRS = range(2, 12)
CONFIG_READ = f"/repos/{REPO}/contents/"  # a job's first read, before it takes a lock
PORTS = range(6420, 6430)  # this file's own Redis servers


def own_port() -> int:
    """A free port of PORTS (several Redis servers per test, and other runs, share them)."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {PORTS.start}-{PORTS.stop - 1} for a Redis")


@pytest.fixture
def repo(github: FakeGitHub) -> FakeRepo:
    return seed_repo(github, PRS)


def redis_server(tmp_path: Path, name: str) -> RedisServer:
    home = tmp_path / name
    home.mkdir()
    # masterauth: after a failover this server replicates from a peer with the same password.
    return RedisServer(home, port=own_port(), options=("--masterauth", RedisServer.password))


@contextlib.contextmanager
def app_and_worker(
    tmp_path: Path, http_front: HttpFront, server: RedisServer
) -> Iterator[tuple[Served, Worker]]:
    """A real `quarterdeck serve` and a real `quarterdeck worker` on `server`."""
    env = worker_env(http_front.url, server.url)
    worker = Worker(env, tmp_path / "worker.log", *FAST)
    try:
        with served(env, tmp_path, "--workers", "1", "--threads", "2") as app:
            yield app, worker
    finally:
        worker.stop()


def delivery_id(number: int, attempt: int = 0) -> str:
    return f"0d3a0e1c-3333-4000-8{attempt:03d}-{number:012d}"


def deliver(app: Served, github: FakeGitHub, number: int, attempt: int = 0) -> int:
    """PR #number's merge delivered over HTTP; the answer's status."""
    payload = merged_pr()
    payload["pull_request"]["number"] = number
    github.hold_pull(REPO, payload)
    body = encode(payload)
    sent = headers("pull_request", body, delivery=delivery_id(number, attempt))
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    try:
        conn.request("POST", "/webhook", body=body, headers=sent)
        return conn.getresponse().status
    finally:
        conn.close()


def comment_writes(github: FakeGitHub, number: int) -> int:
    """How many comments were created on PR #number (a second would be a duplicate)."""
    return github.count("POST", rf"^/repos/{REPO}/issues/{number}/comments$")


def log_lines(worker: Worker, text: str) -> list[dict[str, Any]]:
    records = []
    for line in worker.output.split("\n")[:-1]:
        if line.startswith("{"):
            record = json.loads(line)
            if text in record.get("message", ""):
                records.append(record)
    return records


def run_through_a_fault(
    github: FakeGitHub,
    app: Served,
    worker: Worker,
    fault: Any,
    recover: Any,
    refusal: str,
) -> tuple[dict[int, int], list[int], int]:
    """PR #2 answered, its job cut off mid-flight by `fault`; PR #3 and #4 delivered
    during it; Redis recovers; PR #5 and #6 after. Returns each delivery's answer,
    the PRs answered 2xx, and the PR that GitHub redelivers once refused."""
    answers: dict[int, int] = {}
    with Hold(github, "GET", CONFIG_READ) as hold:  # PR #2's job: held at its first read
        answers[2] = deliver(app, github, 2)
        assert answers[2] == 202, app.lines[-20:]
        wait_for(hold.arrived.is_set, 30, "the worker to start PR #2's job")
        fault()
        hold.release()  # the job goes on while Redis fails
        answers[3] = deliver(app, github, 3)
        answers[4] = deliver(app, github, 4)
        noticed = lambda: refusal in worker.output or not worker.alive()  # noqa: E731
        wait_for(noticed, 30, "the worker to notice the fault")
        assert worker.alive(), worker.output[-3000:]  # today's main: "cannot use Redis", exit 1
    time.sleep(2)  # the worker waits out a failure that lasts, not a blip
    recover()
    wait_for(lambda: "takes writes again" in worker.output, 60, "the worker to resume")
    for number in (5, 6):
        answers[number] = deliver(app, github, number)
    # GitHub's "Redeliver" for what was refused during the fault: a new delivery id.
    redelivered = [n for n in (3, 4) if answers[n] >= 500]
    for number in redelivered:
        answers[number] = deliver(app, github, number, attempt=1)
    accepted = [n for n, status in answers.items() if 200 <= status < 300]
    wait_for(
        lambda: all(comment_writes(github, n) for n in accepted),
        120,
        f"every accepted PR's comment ({accepted})",
    )
    time.sleep(5)  # a job retried after it was done would write now: give it the time
    return answers, accepted, len(redelivered)


def assert_done_once(
    github: FakeGitHub, repo: FakeRepo, worker: Worker, answers: dict[int, int]
) -> None:
    assert set(answers.values()) == {202}, answers  # each answered 2xx, at last
    writes = {n: comment_writes(github, n) for n in answers}
    assert writes == dict.fromkeys(answers, 1), writes
    assert {n: len(repo.comments_on(n)) for n in answers} == dict.fromkeys(answers, 1)
    assert "cannot use Redis" not in worker.output
    assert RedisServer.password not in worker.output


def test_worker_outlives_a_failover_that_leaves_its_redis_read_only(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    primary = redis_server(tmp_path, "primary")
    replica = redis_server(tmp_path, "replica")
    replica.client().replicaof("127.0.0.1", primary.port)
    wait_for(lambda: _linked(replica), 20, "the replica to sync")

    def failover() -> None:
        # The replica is promoted and the worker's Redis demoted to its replica, with
        # its data: every write it gets now is answered READONLY.
        primary.client().execute_command("WAIT", 1, 5000)
        replica.client().replicaof("NO", "ONE")
        primary.client().replicaof("127.0.0.1", replica.port)
        wait_for(lambda: _linked(primary), 20, "the demoted Redis to sync")

    def promote_back() -> None:
        primary.client().replicaof("NO", "ONE")

    try:
        with app_and_worker(tmp_path, http_front, primary) as (app, worker):
            answers, _accepted, redelivered = run_through_a_fault(
                github, app, worker, failover, promote_back, "refuses the worker's writes"
            )
            outages = log_lines(worker, "refuses the worker's writes")
            survived = worker.alive()
    finally:
        primary.stop()
        replica.stop()

    assert survived, worker.output[-4000:]
    assert_done_once(github, repo, worker, answers)
    assert redelivered >= 1  # deliveries did arrive during the fault, and were refused
    assert any("ReadOnlyError" in r["message"] for r in outages), outages
    assert len(outages) <= 2, outages  # once per outage, not per try


def test_worker_outlives_redis_out_of_memory(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    server = redis_server(tmp_path, "full")
    admin = server.client()

    def fill() -> None:
        # 1 MB of values, then maxmemory below what is used, with noeviction: every
        # command that would grow the dataset is answered OOM until memory is freed.
        for n in range(32):
            admin.set(f"test:filler:{n}", b"x" * (32 * 1024))
        used = int(admin.info("memory")["used_memory"])
        admin.config_set("maxmemory-policy", "noeviction")
        admin.config_set("maxmemory", used - 256 * 1024)
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            admin.set("test:probe", "1")

    def free() -> None:
        admin.delete(*admin.keys("test:filler:*"))

    try:
        with app_and_worker(tmp_path, http_front, server) as (app, worker):
            answers, _accepted, redelivered = run_through_a_fault(
                github, app, worker, fill, free, "refuses the worker's writes"
            )
            outages = log_lines(worker, "refuses the worker's writes")
            survived = worker.alive()
    finally:
        server.stop()

    assert survived, worker.output[-4000:]
    assert_done_once(github, repo, worker, answers)
    assert redelivered >= 1
    assert any("OutOfMemoryError" in r["message"] for r in outages), outages
    assert len(outages) <= 2, outages


def _linked(server: RedisServer) -> bool:
    info = server.client().info("replication")
    return info.get("role") == "slave" and info.get("master_link_status") == "up"


def _idle(server: RedisServer) -> bool:
    """Whether the worker has finished every job it took and RQ has recorded it."""
    queue = Queue(RQ_QUEUE, connection=server.client())
    return queue.finished_job_registry.count >= 1 and queue.started_job_registry.count == 0


def _signal(server: RedisServer, sig: int) -> None:
    assert server.process is not None
    os.kill(server.process.pid, sig)


def test_worker_outlives_a_paused_redis_and_one_that_comes_back_empty(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    server = redis_server(tmp_path, "plain")  # no persistence: a restart starts empty
    try:
        with app_and_worker(tmp_path, http_front, server) as (app, worker):
            assert deliver(app, github, 2) == 202
            wait_for(lambda: comment_writes(github, 2), 60, "PR #2's comment")
            # Idle first: a pause while RQ records the job's end is a fault mid-job
            # (run_through_a_fault's cases), whose detection waits on each of RQ's writes.
            wait_for(lambda: _idle(server), 60, "PR #2's job to be recorded as finished")
            # Paused (SIGSTOP): connections open, no answer; the worker's reads time out.
            _signal(server, signal.SIGSTOP)
            try:
                wait_for(lambda: "cannot reach Redis" in worker.output, 60, "the timeout")
            except AssertionError as exc:
                raise AssertionError(f"{exc}; the worker said:\n{worker.output[-6000:]}") from None
            _signal(server, signal.SIGCONT)
            wait_for(lambda: "takes writes again" in worker.output, 60, "the worker to resume")
            assert deliver(app, github, 3) == 202
            wait_for(lambda: comment_writes(github, 3), 60, "PR #3's comment")
            # Restarted without persistence: the worker's own records are gone too.
            server.kill()
            server.start()
            wait_for(
                lambda: len(log_lines(worker, "takes writes again")) == 2,
                60,
                "the worker to resume on the empty Redis",
            )
            assert deliver(app, github, 4) == 202
            wait_for(lambda: comment_writes(github, 4), 60, "PR #4's comment")
            registered = server.client().smembers("rq:workers")
            survived = worker.alive()
    finally:
        server.stop()

    assert survived, worker.output[-4000:]
    assert {n: comment_writes(github, n) for n in (2, 3, 4)} == {2: 1, 3: 1, 4: 1}
    assert len(registered) == 1  # the worker registered itself again on the empty Redis
    assert len(log_lines(worker, "cannot reach Redis")) == 2  # one line per outage
    assert RedisServer.password not in worker.output
