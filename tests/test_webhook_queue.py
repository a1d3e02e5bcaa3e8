"""The scale-out path: claims and jobs in a real Redis, work done by a real RQ worker process.

The worker runs `python -m quarterdeck worker --burst` with the App's settings in its
environment: it authenticates as the App (a JWT signed with a key made here), gets an
installation token, reads the repo's config and writes the comment, all over HTTP to
the shared fake GitHub on 127.0.0.1. What this does not prove: GitHub's real JWT check.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import redis
from pydantic import SecretStr
from rq import Queue

from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.redisdb import REDIS_URL
from tests.webhooks import FILES, REPO, encode, headers, merged_pr, settings
from tests.workers import worker_command, worker_env


def test_rq_worker_process_does_the_work_once(
    tmp_path: Path, github: FakeGitHub, redis_db: Any
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README with new information.")
    app = create_app(settings(tmp_path, redis_url=SecretStr(REDIS_URL)))
    github.hold_pull(REPO, merged_pr())
    body = encode(merged_pr())
    sent = headers("pull_request", body, delivery="0d3a0e1c-1111-4000-8000-00000000aaaa")

    client = app.test_client()
    assert client.post("/webhook", data=body, headers=sent).status_code == 202
    assert client.post("/webhook", data=body, headers=sent).status_code == 200  # claimed in Redis
    assert Queue(RQ_QUEUE, connection=redis_db).count == 1
    assert github.calls == []  # the request only enqueued

    front = HttpFront(github)
    try:
        done = subprocess.run(
            worker_command("--burst"),
            env=worker_env(front.url, REDIS_URL),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        front.close()

    assert done.returncode == 0, done.stderr[-3000:]
    assert github.count("POST", r"^/app/installations/42/access_tokens$") == 1
    (comment,) = fake.comments_on(2)
    assert "A README people finish reading" in comment["body"]
    assert "#2" in fake.issues[1]["body"]
    assert '"delivery": "0d3a0e1c-1111-4000-8000-00000000aaaa"' in done.stderr
    assert "delivery handled" in done.stderr
    assert Queue(RQ_QUEUE, connection=redis_db).count == 0


def test_redis_claims_hold_under_concurrency(redis_db: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from quarterdeck.webhook.deliveries import RedisDeliveries

    store = RedisDeliveries(redis.Redis.from_url(REDIS_URL), ttl=60)
    with ThreadPoolExecutor(16) as pool:
        wins = list(pool.map(lambda _: store.claim("same-delivery"), range(64)))
    assert wins.count(True) == 1
    store.release("same-delivery")
    assert store.claim("same-delivery")
    assert 0 < redis_db.ttl("quarterdeck:delivery:same-delivery") <= 60
