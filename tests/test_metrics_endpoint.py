"""`GET /metrics`: what an operator scrapes, from a real `quarterdeck serve`.

Real parts throughout: `quarterdeck serve` processes (tests/servers.py) and a real
`quarterdeck worker` (tests/workers.py) on the shared Redis (a database of this file's
own), GitHub's recorded payloads, signed as GitHub signs them, the shared fake GitHub
over HTTP, and prometheus-client's own parser reading the scrape. Every expected count
is derived from what the test sent.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub, webhook_examples
from tests.fakegithub_http import HttpFront
from tests.redisdb import REDIS_URL
from tests.servers import served
from tests.test_webhook_live import post, post_all_at_once
from tests.webhooks import REPO, SECRET, encode, headers, merged_pr, settings
from tests.workers import Worker, free_port, seed_repo, wait_for, worker_env

TOKEN = "metrics-Token-4f9c2e7a1b3d5e6f"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int, token: str | None = None) -> tuple[int, str]:
    """GET /metrics: the status and the text."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        sent = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", "/metrics", headers=sent)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def samples(text: str) -> Samples:
    """Every sample of a scrape, parsed by prometheus-client's own parser."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def by_label(found: Samples, name: str, label: str) -> dict[str, float]:
    """{label value: sample} of a family with one label."""
    return {dict(key[1])[label]: v for key, v in found.items() if key[0] == name}


def example(event: str, needs: str) -> dict[str, Any]:
    """GitHub's first recorded payload of `event` carrying `needs`."""
    return next(p for p in webhook_examples(event) if needs in p)


def stale_figures(folder: Path) -> None:
    """A file a killed earlier run left behind, as serve must not count it."""
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"\x00" * 64 + b"left over from an earlier run")


def pids_writing(folder: Path) -> set[int]:
    return {
        int(m.group(1))
        for p in folder.glob("counter_*.db")
        if (m := re.search(r"_(\d+)\.db$", p.name))
    }


def test_a_scrape_counts_deliveries_by_event_and_outcome_summed_across_two_processes(
    tmp_path: Path, redis_db: Any
) -> None:
    figures = tmp_path / "figures"
    stale_figures(figures)
    env = worker_env("http://127.0.0.1:9", REDIS_URL)  # nothing reaches GitHub: no worker
    env["PROMETHEUS_MULTIPROC_DIR"] = str(figures)
    env["QUARTERDECK_DELIVERIES_DB"] = str(tmp_path / "deliveries.sqlite3")
    sent: list[tuple[str, str]] = []  # (event, outcome) of each delivery sent

    def signed(event: str, payload: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = encode(payload)
        return body, headers(event, body)

    pr = merged_pr()
    with served(env, tmp_path, "--workers", "2", "--threads", "2") as app:
        # Bursts of concurrent merges until both processes have answered some.
        for _ in range(10):
            burst = [signed("pull_request", pr) for _ in range(8)]
            statuses = post_all_at_once(app.port, burst)
            assert statuses == [202] * len(burst)
            sent += [("pull_request", "queued")] * len(burst)
            if len(pids_writing(figures) & app.workers()) >= 2:
                break
        writers = pids_writing(figures) & app.workers()
        first_body, first_headers = burst[0]
        assert post(app.port, first_body, first_headers) == 200  # GitHub's redelivery
        sent.append(("pull_request", "duplicate"))
        for event, needs in (("issues", "issue"), ("push", "repository")):
            assert post(app.port, *signed(event, example(event, needs))) == 202
            sent.append((event, "queued"))
        assert post(app.port, *signed("ping", example("ping", "zen"))) == 200
        sent.append(("ping", "pong"))
        assert post(app.port, *signed("label", example("label", "label"))) == 200
        sent.append(("other", "ignored"))  # an event the App does not handle
        forged_body, forged = signed("pull_request", pr)
        forged["X-Hub-Signature-256"] = "sha256=" + "0" * 64
        assert post(app.port, forged_body, forged) == 401
        sent.append(("pull_request", "bad_signature"))
        broken = b'{"issue": {"number": 1'
        assert post(app.port, broken, headers("issues", broken)) == 400
        sent.append(("issues", "malformed"))
        assert post(app.port, *signed("security_advisory_x", {"a": 1})) == 200
        sent.append(("other", "ignored"))

        scrapes = [scrape(app.port) for _ in range(6)]  # each process answers some

    assert len(writers) == 2, "both serving processes should have answered deliveries"
    expected = Counter(sent)
    queued = sum(n for (_, outcome), n in expected.items() if outcome == "queued")
    per_event = Counter(event for event, _ in sent)
    for status, text in scrapes:
        assert status == 200
        found = samples(text)
        counted = {
            (dict(k[1])["event"], dict(k[1])["outcome"]): v
            for k, v in found.items()
            if k[0] == "quarterdeck_deliveries_total"
        }
        assert counted == expected
        answered = by_label(found, "quarterdeck_delivery_seconds_count", "event")
        assert answered == per_event  # the histogram timed every one of them
        assert value(found, "quarterdeck_delivery_seconds_bucket", event="ping", le="+Inf") == 1
        assert value(found, "quarterdeck_queue_jobs", state="waiting") == queued
        assert value(found, "quarterdeck_queue_jobs", state="failed") == 0
        assert value(found, "quarterdeck_redis_up") == 1
        # Nothing a sender wrote or a secret: no repository, login, id, URL or key.
        for private in (REPO, "Codertocat", SECRET, first_headers["X-GitHub-Delivery"], "6390"):
            assert private not in text
    assert not figures.exists() or "counter_1.db" not in os.listdir(figures)


def test_the_workers_jobs_show_as_handled_and_failed_and_the_queue_as_drained(
    tmp_path: Path, redis_db: Any, github: FakeGitHub, http_front: HttpFront
) -> None:
    repo = seed_repo(github, range(2, 4))
    github.rate_remaining = 4321
    env = worker_env(http_front.url, REDIS_URL)
    env["QUARTERDECK_DELIVERIES_DB"] = str(tmp_path / "deliveries.sqlite3")
    handled = merged_pr()
    github.hold_pull(REPO, handled)
    failing = merged_pr()  # a repository GitHub does not know: a 404, never retried
    failing["repository"] = {**failing["repository"], "full_name": "Codertocat/Gone"}
    failing["pull_request"]["number"] = 3
    with served(env, tmp_path, "--workers", "1", "--threads", "2") as app:
        for payload in (handled, failing):
            body = encode(payload)
            assert post(app.port, body, headers("pull_request", body)) == 202
        waiting = samples(scrape(app.port)[1])
        worker = Worker(env, tmp_path / "worker.log", "--burst")
        try:
            wait_for(lambda: not worker.alive(), 120, "the burst worker to empty the queue")
        finally:
            worker.stop()
        done = samples(scrape(app.port)[1])

    assert value(waiting, "quarterdeck_queue_jobs", state="waiting") == 2
    assert by_label(waiting, "quarterdeck_jobs_total", "outcome") == {}
    jobs = {
        (dict(k[1])["event"], dict(k[1])["outcome"]): v
        for k, v in done.items()
        if k[0] == "quarterdeck_jobs_total"
    }
    assert jobs == {("pull_request", "handled"): 1, ("pull_request", "failed"): 1}, worker.output
    assert value(done, "quarterdeck_job_seconds_count", event="pull_request") == 2
    assert value(done, "quarterdeck_job_seconds_sum", event="pull_request") > 0
    assert value(done, "quarterdeck_queue_jobs", state="waiting") == 0
    assert value(done, "quarterdeck_github_rate_limit_remaining") == github.rate_remaining
    assert len(repo.comments_on(2)) == 1  # the handled one did its work
    assert worker.output.count("delivery dropped (not retryable)") == 1


def test_a_metrics_token_is_required_when_set_and_bad_requests_are_4xx(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, metrics_token=SecretStr(TOKEN)))
    client = app.test_client()
    body = encode(example("ping", "zen"))
    assert client.post("/webhook", data=body, headers=headers("ping", body)).status_code == 200

    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN[:-1]}x"})
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    posted = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Bearer" in json.loads(refused.data)["error"]
        assert TOKEN not in refused.get_data(as_text=True)
    assert posted.status_code == 405
    assert right.status_code == 200
    assert right.content_type.startswith("text/plain")
    found = samples(right.get_data(as_text=True))
    assert value(found, "quarterdeck_deliveries_total", event="ping", outcome="pong") >= 1
    assert TOKEN not in right.get_data(as_text=True)


def test_without_redis_the_serving_process_counts_its_own_jobs(
    tmp_path: Path, github: FakeGitHub
) -> None:
    seed_repo(github, range(2, 3))
    github.hold_pull(REPO, merged_pr())
    app = create_app(
        settings(tmp_path), github_factory=lambda _id: github.client(), identity=lambda: "x[bot]"
    )
    client = app.test_client()
    before = samples(client.get("/metrics").get_data(as_text=True))
    body = encode(merged_pr())
    assert (
        client.post("/webhook", data=body, headers=headers("pull_request", body)).status_code == 202
    )
    assert app.extensions["quarterdeck"].queue.wait_idle(20)
    after = samples(client.get("/metrics").get_data(as_text=True))

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("quarterdeck_jobs_total", event="pull_request", outcome="handled") == 1
    assert grew("quarterdeck_job_seconds_count", event="pull_request") == 1
    assert grew("quarterdeck_deliveries_total", event="pull_request", outcome="queued") == 1
    assert value(after, "quarterdeck_github_rate_limit_remaining") == github.rate_remaining
    assert not any(k[0].startswith("quarterdeck_queue") for k in after)  # no queue to read


def test_an_unknown_event_is_other_and_a_job_count_lost_in_redis_never_fails(
    tmp_path: Path,
) -> None:
    from quarterdeck.webhook.metrics import RedisWork, event_label

    assert event_label("pull_request") == "pull_request"
    assert event_label("Codertocat/Hello-World") == "other"
    assert event_label(str(uuid.uuid4())) == "other"
    gone = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    RedisWork(gone)("pull_request", "done", 0.1, 10)  # logs, never raises into the job


def test_a_scrape_while_redis_is_down_answers_200_without_the_redis_figures(
    tmp_path: Path,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    client = create_app(settings(tmp_path, redis_url=SecretStr(closed))).test_client()
    body = encode(example("ping", "zen"))
    assert client.post("/webhook", data=body, headers=headers("ping", body)).status_code == 200

    answer = client.get("/metrics")

    assert answer.status_code == 200
    found = samples(answer.get_data(as_text=True))
    assert value(found, "quarterdeck_redis_up") == 0
    assert value(found, "quarterdeck_deliveries_total", event="ping", outcome="pong") >= 1
    assert not any(k[0].startswith(("quarterdeck_queue", "quarterdeck_jobs")) for k in found)


def test_without_redis_serves_processes_count_the_work_they_did_and_a_scrape_sums_it(
    tmp_path: Path, github: FakeGitHub, http_front: HttpFront
) -> None:
    repo = seed_repo(github, range(2, 6))
    github.rate_remaining = 4000
    env = worker_env(http_front.url, "")
    env.pop("REDIS_URL")
    env["QUARTERDECK_DELIVERIES_DB"] = str(tmp_path / "deliveries.sqlite3")
    merges = []
    for number in range(2, 6):
        payload = merged_pr()
        payload["pull_request"]["number"] = number
        github.hold_pull(REPO, payload)
        body = encode(payload)
        merges.append((body, headers("pull_request", body)))
    with served(env, tmp_path, "--workers", "2", "--threads", "2") as app:
        assert post_all_at_once(app.port, merges) == [202] * len(merges)
        assert app.wait_for("delivery handled", len(merges), 60), "".join(app.lines)[-3000:]
        scrapes = [samples(scrape(app.port)[1]) for _ in range(4)]

    for found in scrapes:
        assert value(
            found, "quarterdeck_jobs_total", event="pull_request", outcome="handled"
        ) == len(merges)
        assert value(found, "quarterdeck_job_seconds_count", event="pull_request") == len(merges)
        assert value(found, "quarterdeck_github_rate_limit_remaining") == github.rate_remaining
        assert value(
            found, "quarterdeck_deliveries_total", event="pull_request", outcome="queued"
        ) == len(merges)
        assert not any(k[0].startswith(("quarterdeck_queue", "quarterdeck_redis")) for k in found)
    assert all(len(repo.comments_on(n)) == 1 for n in range(2, 6))
