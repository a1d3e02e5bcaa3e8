"""The webhook endpoint itself: signatures, malformed requests, routing, de-duplication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.intake import sign, verify
from quarterdeck.webhook.server import create_app
from tests.fakegithub import FakeGitHub
from tests.webhooks import SECRET, all_examples, encode, fixed_loader, headers, ours, settings


class RecordingQueue:
    """Accepts deliveries and does nothing with them: shows what the request queued."""

    def __init__(self, fail: bool = False) -> None:
        self.deliveries: list[Delivery] = []
        self.fail = fail

    def enqueue(self, delivery: Delivery) -> None:
        if self.fail:
            raise ConnectionError("queue unreachable")
        self.deliveries.append(delivery)


@pytest.fixture
def queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def client(tmp_path: Path, queue: RecordingQueue) -> FlaskClient:
    app = create_app(settings(tmp_path, max_body_bytes=64 * 1024), queue=queue)
    return app.test_client()


def post(client: FlaskClient, event: str, body: bytes, **extra: Any) -> Any:
    sent = headers(event, body)
    sent.update(extra.pop("headers", {}))
    return client.post("/webhook", data=body, headers=sent, **extra)


def test_github_test_vector() -> None:
    secret, body = b"It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign(secret, body) == expected
    assert verify(secret, body, expected)
    assert not verify(secret, body + b" ", expected)
    assert not verify(secret, body, expected.replace("sha256=", "sha1="))
    assert not verify(secret, body, None)
    assert not verify(secret, body, "sha256=ünïcode")
    with pytest.raises(ValueError, match="secret is required"):
        verify(b"", body, expected)


def test_healthz(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("event", "index", "payload"),
    all_examples(),
    ids=[f"{e}-{i}-{p.get('action', '')}" for e, i, p in all_examples()],
)
def test_every_recorded_payload_is_answered_without_a_server_error(
    tmp_path: Path, github: FakeGitHub, event: str, index: int, payload: dict[str, Any]
) -> None:
    # The real in-process worker and the fake GitHub: the work runs too, after the answer.
    github.add_repo("Codertocat/Hello-World")
    app = create_app(
        settings(tmp_path),
        identity=ours,
        github_factory=lambda _id: github.client(),
        config_loader=fixed_loader,
    )
    response = post(app.test_client(), event, encode(payload))
    app.extensions["quarterdeck"].queue.wait_idle(10)

    assert 200 <= response.status_code < 300
    # None of GitHub's examples is a merged PR or a goal issue: nothing may be written.
    assert github.writes == []


def _form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


BAD_REQUESTS = {
    "unsigned": ({"X-Hub-Signature-256": ""}, b'{"zen": "x"}', 401),
    "wrong signature": ({"X-Hub-Signature-256": sign(b"other", b"{}")}, b"{}", 401),
    "sha1 only": (
        {"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=" + "0" * 40},
        b"{}",
        401,
    ),
    "empty body": ({}, b"", 400),
    "not json": ({}, b"{not json", 400),
    "json list": ({}, b"[1, 2]", 400),
    "form without payload": (
        {"Content-Type": "application/x-www-form-urlencoded"},
        _form({"other": "1"}),
        400,
    ),
    "form with charset": (
        {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        _form({"payload": "{}"}),
        415,
    ),
    "plain text": ({"Content-Type": "text/plain"}, b"{}", 415),
    "no event header": ({"X-GitHub-Event": ""}, b"{}", 400),
    "no delivery id": ({"X-GitHub-Delivery": ""}, b"{}", 400),
    "odd delivery id": ({"X-GitHub-Delivery": "../../etc"}, b"{}", 400),
    "malformed pull_request": ({}, b'{"action": "closed", "pull_request": "x"}', 400),
}


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_bad_requests_get_4xx_and_queue_nothing(
    client: FlaskClient, queue: RecordingQueue, case: str
) -> None:
    extra, body, status = BAD_REQUESTS[case]
    sent = headers("pull_request", body)
    if case not in ("unsigned", "wrong signature", "sha1 only"):
        sent["X-Hub-Signature-256"] = sign(SECRET.encode(), body)
    sent.update(extra)
    sent = {k: v for k, v in sent.items() if v}

    response = client.post("/webhook", data=body, headers=sent)

    assert response.status_code == status, response.get_json()
    assert queue.deliveries == []


def test_sha1_only_names_the_header_it_wants(client: FlaskClient) -> None:
    response = client.post(
        "/webhook",
        data=b"{}",
        headers={"X-Hub-Signature": "sha1=abc", "X-GitHub-Event": "ping"},
    )
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.get_json()["error"]


def test_oversized_body_is_413(client: FlaskClient, queue: RecordingQueue) -> None:
    body = encode({"action": "opened", "padding": "x" * 70_000})
    assert post(client, "issues", body).status_code == 413
    assert queue.deliveries == []


def test_form_encoded_payload_is_accepted(client: FlaskClient, queue: RecordingQueue) -> None:
    body = _form({"payload": json.dumps({"action": "opened", "issue": {"number": 1}})})
    response = post(
        client, "issues", body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 202
    assert queue.deliveries[0].payload["issue"] == {"number": 1}


def test_ping_is_answered_and_not_queued(client: FlaskClient, queue: RecordingQueue) -> None:
    response = post(client, "ping", encode({"zen": "Keep it logically awesome."}))
    assert response.status_code == 200
    assert queue.deliveries == []


def test_unhandled_event_is_ignored_with_2xx(client: FlaskClient, queue: RecordingQueue) -> None:
    response = post(client, "milestone", encode({"action": "created"}))
    assert response.status_code == 200
    assert response.get_json()["status"] == "ignored"
    assert queue.deliveries == []


def test_same_delivery_is_queued_once(client: FlaskClient, queue: RecordingQueue) -> None:
    body = encode({"action": "opened", "issue": {"number": 1}})
    sent = headers("issues", body, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")

    first = client.post("/webhook", data=body, headers=sent)
    second = client.post("/webhook", data=body, headers=sent)

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.get_json()["status"] == "duplicate"
    assert [d.id for d in queue.deliveries] == ["72d3162e-cc78-11e3-81ab-4c9367dc0958"]


def test_queue_down_is_503_and_the_delivery_can_come_again(tmp_path: Path) -> None:
    broken = RecordingQueue(fail=True)
    app = create_app(settings(tmp_path), queue=broken)
    body = encode({"action": "opened", "issue": {"number": 1}})
    sent = headers("issues", body)

    assert app.test_client().post("/webhook", data=body, headers=sent).status_code == 503
    broken.fail = False
    # The claim was released, so GitHub's "Redeliver" (same id) is processed.
    assert app.test_client().post("/webhook", data=body, headers=sent).status_code == 202
    assert len(broken.deliveries) == 1


def test_claims_are_shared_through_the_sqlite_file(tmp_path: Path) -> None:
    # Two apps on one file stand for two server processes on one host.
    queues = [RecordingQueue(), RecordingQueue()]
    apps = [create_app(settings(tmp_path), queue=q) for q in queues]
    body = encode({"action": "opened", "issue": {"number": 1}})
    sent = headers("issues", body)

    codes = [
        app.test_client().post("/webhook", data=body, headers=sent).status_code for app in apps
    ]

    assert codes == [202, 200]
    assert sum(len(q.deliveries) for q in queues) == 1
