"""Workers that survive: a real Redis of the test's own, killed and started again, and
real `quarterdeck worker` processes, killed mid-job, doing the work over HTTP against
the shared fake GitHub.

What each test proves is in its name; the setup is `tests/workers.py`. The App runs
in-process (Flask's test client): it only claims and enqueues, in the same Redis.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from pydantic import SecretStr
from rq import Queue

from quarterdeck.webhook.deliveries import PENDING_TTL, RedisDeliveries
from quarterdeck.webhook.queues import RQ_QUEUE, RQQueue
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.webhooks import REPO, encode, headers, merged_pr, settings
from tests.workers import Hold, RedisServer, Worker, seed_repo, wait_for, worker_env

# Quick on purpose: a busy worker beats every second; 3 s without one and its job is
# abandoned, and idle workers look for abandoned jobs as often.
FAST = ("--heartbeat", "1", "--abandon-after", "3")
PRS = range(2, 10)  # PR #n is issue #n; issue #1 is the goal "A README people finish reading"


@pytest.fixture
def repo(github: FakeGitHub) -> FakeRepo:
    return seed_repo(github, PRS)


# A job's first read, before it takes any lock: a worker killed here leaves none held
# (one killed holding a PR's lock delays that PR's retry until the lock expires).
CONFIG_READ = f"/repos/{REPO}/contents/"


def delivery_id(number: int) -> str:
    return f"0d3a0e1c-2222-4000-8000-{number:012d}"


def deliver(client: FlaskClient, github: FakeGitHub, number: int) -> Any:
    """GitHub's delivery of PR #number's merge (the PR held by the fake, as GitHub would)."""
    payload = merged_pr()
    payload["pull_request"]["number"] = number
    github.hold_pull(REPO, payload)
    body = encode(payload)
    sent = headers("pull_request", body, delivery=delivery_id(number))
    return client.post("/webhook", data=body, headers=sent)


def app_for(tmp_path: Path, redis_url: str, **parts: Any) -> Flask:
    return create_app(settings(tmp_path, redis_url=SecretStr(redis_url)), **parts)


def handled(output: str) -> list[dict[str, Any]]:
    """The worker's "delivery handled" log records (whole lines only: the last may be
    half-written while the worker runs)."""
    lines = output.split("\n")[:-1]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    return [r for r in records if r.get("message", "").startswith("delivery handled")]


def test_worker_survives_a_redis_outage_and_every_accepted_delivery_is_done(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    # Redis persists (AOF, fsync always), as a production Redis must for its queue to
    # outlive a restart; without persistence a restart empties the queue by definition.
    redis_server = RedisServer(tmp_path, persist=True)
    queue = RQQueue(redis_server.client(), delays=(1, 1, 1))  # RQ's scheduler: 1 s, not 10
    client = app_for(tmp_path, redis_server.url, queue=queue).test_client()
    worker = Worker(worker_env(http_front.url, redis_server.url), tmp_path / "worker.log", *FAST)
    try:
        with Hold(github, "GET", CONFIG_READ) as hold:  # PR #2's job reads its config: held
            before = [deliver(client, github, n).status_code for n in (2, 3)]
            wait_for(hold.arrived.is_set, 15, "the worker to start PR #2's job")
            redis_server.kill()  # while PR #2's job runs and PR #3's waits in the queue
            refused = deliver(client, github, 4)
            hold.release()  # PR #2's job goes on, and ends, without Redis
            # Where RQ's own worker quit ("unhandled exception, quitting"): Redis is
            # still gone when the job ends and the worker reports back.
            wait_for(lambda: "cannot reach Redis" in worker.output, 15, "the worker to wait")
            redis_server.start()
        after = [deliver(client, github, n).status_code for n in (5, 6)]
        done = [2, 3, 5, 6]
        wait_for(lambda: all(repo.comments_on(n) for n in done), 40, "every accepted PR")
        survived = worker.alive()
    finally:
        worker.stop()
        redis_server.stop()

    assert before == [202, 202]
    assert after == [202, 202]
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(PENDING_TTL)
    assert survived, worker.output[-3000:]
    assert {n: len(repo.comments_on(n)) for n in done} == dict.fromkeys(done, 1)
    assert repo.comments_on(4) == []  # refused: GitHub would show it failed, to redeliver
    ids = {r["delivery"] for r in handled(worker.output)}
    assert {delivery_id(n) for n in done} <= ids
    shown = f"redis://:***@127.0.0.1:{redis_server.port}/0"
    assert f"cannot reach Redis at {shown}" in worker.output
    assert redis_server.password not in worker.output


def test_a_killed_workers_job_runs_again_on_another_worker(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    redis_server = RedisServer(tmp_path)
    queue = RQQueue(redis_server.client(), delays=(0, 0, 0))  # retry at once, not in 10 s
    client = app_for(tmp_path, redis_server.url, queue=queue).test_client()
    env = worker_env(http_front.url, redis_server.url)
    first = Worker(env, tmp_path / "first.log", *FAST)
    second: Worker | None = None
    try:
        with Hold(github, "GET", CONFIG_READ) as hold:
            assert deliver(client, github, 2).status_code == 202
            wait_for(hold.arrived.is_set, 15, "the first worker to start the job")
            second = Worker(env, tmp_path / "second.log", *FAST)
            first.kill_all()  # SIGKILL, work horse and all: no heartbeat, no goodbye
        # Its log line, not the comment: the comment exists a moment before the line.
        wait_for(lambda: handled(second.output), 20, "the job to run on the second worker")
        second_output = second.output
    finally:
        first.stop()
        if second is not None:
            second.stop()
        redis_server.stop()

    assert len(repo.comments_on(2)) == 1
    assert handled(first.output) == []
    (record,) = handled(second_output)
    assert (record["delivery"], record["attempt"]) == (delivery_id(2), 2)


def test_a_killed_workers_job_with_no_retry_left_releases_its_claim(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo, http_front: HttpFront
) -> None:
    redis_server = RedisServer(tmp_path)
    queue = RQQueue(redis_server.client(), delays=())  # one attempt: abandoned = failed
    client = app_for(tmp_path, redis_server.url, queue=queue).test_client()
    env = worker_env(http_front.url, redis_server.url)
    first = Worker(env, tmp_path / "first.log", *FAST)
    second: Worker | None = None
    claim = "quarterdeck:delivery:" + delivery_id(2)
    try:
        with Hold(github, "GET", CONFIG_READ) as hold:
            assert deliver(client, github, 2).status_code == 202
            wait_for(hold.arrived.is_set, 15, "the first worker to start the job")
            second = Worker(env, tmp_path / "second.log", *FAST)
            first.kill_all()
        admin = redis_server.client()
        wait_for(lambda: not admin.exists(claim), 20, "the abandoned job's claim to go")
        assert repo.comments_on(2) == []
        again = deliver(client, github, 2)  # GitHub's "Redeliver": same delivery id
        wait_for(lambda: repo.comments_on(2), 20, "the redelivery's work")
        second_output = second.output
    finally:
        first.stop()
        if second is not None:
            second.stop()
        redis_server.stop()

    assert again.status_code == 202
    assert len(repo.comments_on(2)) == 1
    assert "delivery failed for good (AbandonedJobError)" in second_output


def app_user(redis_server: RedisServer, *denied: str) -> str:
    """A Redis user for the App, refused `denied` commands; its URL."""
    admin = redis_server.client()
    rules = ["on", ">app-pass-7Yq", "~*", "&*", "+@all", *(f"-{c}" for c in denied)]
    admin.execute_command("ACL", "SETUSER", "app", "reset", *rules)
    return f"redis://app:app-pass-7Yq@127.0.0.1:{redis_server.port}/0"


def test_an_enqueue_that_fails_answers_503_and_releases_the_claim(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    redis_server = RedisServer(tmp_path)
    try:
        # The claim (SET) is allowed, the job's push onto the queue (RPUSH) is not:
        # the enqueue fails after a successful claim.
        client = app_for(tmp_path, app_user(redis_server, "rpush")).test_client()
        refused = deliver(client, github, 2)
        admin = redis_server.client()
        claimed = admin.exists("quarterdeck:delivery:" + delivery_id(2))
        queued = Queue(RQ_QUEUE, connection=admin).count
        app_user(redis_server)  # the queue works again
        again = deliver(client, github, 2)  # "Redeliver": the same id
        ttl = admin.ttl("quarterdeck:delivery:" + delivery_id(2))
        queued_after = Queue(RQ_QUEUE, connection=admin).count
    finally:
        redis_server.stop()

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == str(PENDING_TTL)
    assert refused.get_json() == {
        "error": "could not queue the delivery; ask GitHub to redeliver it"
    }
    assert (claimed, queued) == (0, 0)
    assert again.status_code == 202
    assert (queued_after, ttl > PENDING_TTL) == (1, True)  # queued: claimed for days


def test_a_claim_that_cannot_be_released_lapses_in_seconds(
    tmp_path: Path, github: FakeGitHub, repo: FakeRepo
) -> None:
    redis_server = RedisServer(tmp_path)
    try:
        # Redis refuses the push and the release (DEL), as one that goes away right
        # after the claim would; the claim was only made for pending_ttl.
        url = app_user(redis_server, "rpush", "del")
        claims = RedisDeliveries(redis.Redis.from_url(url), 3600, pending_ttl=1)
        client = app_for(tmp_path, url, deliveries=claims).test_client()
        refused = deliver(client, github, 2)
        app_user(redis_server)
        duplicate = deliver(client, github, 2)
        time.sleep(1.1)
        again = deliver(client, github, 2)
    finally:
        redis_server.stop()

    assert refused.status_code == 503
    assert duplicate.status_code == 200  # within pending_ttl the claim still holds
    assert again.status_code == 202
