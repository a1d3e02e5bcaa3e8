"""The webhook intake without Flask: every check, in order, on bytes and headers."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.intake import MAX_JSON_DEPTH, Refusal, Reply, accept, sign
from tests.fakegithub import webhook_examples

SECRET = b"It's a Secret to Everybody"
HANDLED = {"pull_request": "pull_request", "issues": "issue"}
DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


def deliver(
    body: bytes,
    event: str = "pull_request",
    *,
    content_type: str = "application/json",
    signed: bool = True,
    **extra: str,
) -> Delivery | Reply | Refusal:
    headers = {
        "content-type": content_type,  # any case: HTTP headers are case-insensitive
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": DELIVERY,
        **({"X-Hub-Signature-256": sign(SECRET, body)} if signed else {}),
        **extra,
    }
    return accept(headers, body, SECRET, handled=HANDLED, max_body_bytes=1 << 20)


def pull_request_body() -> bytes:
    example = next(p for p in webhook_examples("pull_request") if p["action"] == "closed")
    return json.dumps(example).encode()


def test_githubs_own_test_vector_is_the_signature_checked() -> None:
    assert sign(SECRET, b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_a_real_signed_delivery_is_accepted_whole() -> None:
    body = pull_request_body()

    delivery = deliver(body)

    assert isinstance(delivery, Delivery)
    assert (delivery.id, delivery.event) == (DELIVERY, "pull_request")
    assert delivery.payload == json.loads(body)
    assert delivery.source == body  # what the journal keeps: GitHub's bytes, not a re-encoding


def test_the_same_delivery_form_encoded_is_accepted() -> None:
    body = pull_request_body()
    form = urlencode({"payload": body.decode()}).encode()

    delivery = deliver(form, content_type="application/x-www-form-urlencoded")

    assert isinstance(delivery, Delivery)
    assert delivery.payload == json.loads(body)
    assert delivery.source == body  # the form's `payload` field, the JSON it carries


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("unsigned", 401, "missing or invalid X-Hub-Signature-256"),
        ("sha1 only", 401, "SHA-1 signatures are refused"),
        ("tampered", 401, "missing or invalid"),
        ("bad event", 400, "X-GitHub-Event"),
        ("bad delivery id", 400, "X-GitHub-Delivery"),
        ("not json", 400, "not valid JSON"),
        ("a list", 400, "must be a JSON object"),
        ("too deep", 400, "nested too deeply"),
        ("xml", 415, "must be application/json"),
        ("form with params", 415, "without parameters"),
        ("form without payload", 400, "needs a `payload` field"),
        ("no object", 400, "needs a `pull_request` object"),
    ],
)
def test_each_check_refuses_with_a_4xx_that_says_why(case: str, status: int, words: str) -> None:
    body = pull_request_body()
    form = "application/x-www-form-urlencoded"
    deep = ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)).encode()
    outcome = {
        "unsigned": lambda: deliver(body, signed=False),
        "sha1 only": lambda: deliver(body, signed=False, **{"X-Hub-Signature": "sha1=00"}),
        "tampered": lambda: deliver(
            body, signed=False, **{"X-Hub-Signature-256": sign(SECRET, body + b" ")}
        ),
        "bad event": lambda: deliver(body, event="pull request"),
        "bad delivery id": lambda: deliver(body, **{"X-GitHub-Delivery": "../../etc"}),
        "not json": lambda: deliver(b"{not json"),
        "a list": lambda: deliver(b"[1, 2]"),
        "too deep": lambda: deliver(b'{"a": ' + deep + b"}"),
        "xml": lambda: deliver(b"<xml/>", content_type="text/xml"),
        "form with params": lambda: deliver(b"payload=%7B%7D", content_type=form + "; a=b"),
        "form without payload": lambda: deliver(b"other=1", content_type=form),
        "no object": lambda: deliver(b'{"action": "closed"}'),
    }[case]()

    assert isinstance(outcome, Refusal)
    assert outcome.status == status
    assert words in outcome.message


def test_the_signature_is_checked_before_anything_is_parsed() -> None:
    outcome = deliver(b"\xff not even text", signed=False, **{"X-GitHub-Event": ""})

    assert outcome == Refusal(401, "missing or invalid X-Hub-Signature-256")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1])
@pytest.mark.parametrize("deepest", ["a number", "an empty array"])
def test_values_may_sit_max_json_depth_levels_deep_and_no_deeper(depth: int, deepest: str) -> None:
    # The payload object is level 1 and each value one level below its object or
    # array: the deepest value sits at level `depth`.
    inner: object = 1 if deepest == "a number" else []
    for level in range(depth - 2):
        inner = [inner, "text", 2] if level % 2 else {"k": inner, "n": 3}
    body = json.dumps({"action": "closed", "pull_request": {"number": 1}, "x": inner}).encode()

    outcome = deliver(body)

    if depth <= MAX_JSON_DEPTH:
        assert not isinstance(outcome, Refusal), outcome
    else:
        assert outcome == Refusal(400, "the JSON is nested too deeply to be a GitHub delivery")


def test_thousands_of_levels_are_refused_not_a_crash() -> None:
    body = b"[" * 100_000 + b"]" * 100_000

    assert deliver(body) == Refusal(400, "the JSON is nested too deeply to be a GitHub delivery")


def test_ping_and_unhandled_events_are_answered_without_work() -> None:
    ping = next(iter(webhook_examples("ping")))

    assert deliver(json.dumps(ping).encode(), event="ping") == Reply(
        200, {"status": "pong", "zen": ping["zen"]}
    )
    assert deliver(b"{}", event="star") == Reply(200, {"status": "ignored", "event": "star"})


def test_a_chunked_body_at_the_cap_is_refused() -> None:
    body = b"x" * 100
    headers = {"X-Hub-Signature-256": sign(SECRET, body)}

    outcome = accept(
        headers, body, SECRET, handled=HANDLED, max_body_bytes=100, length_declared=False
    )

    assert outcome == Refusal(413, "the body is larger than 100 bytes")
