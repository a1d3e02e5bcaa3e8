"""The Flask app: a thin shell around the pure intake, then claim, enqueue, answer.

`POST /webhook`: the body size is capped (MAX_CONTENT_LENGTH → 413), then
`intake.accept` makes every check a delivery must pass (signature first; see its
docstring) and either refuses it (4xx, never 500), answers it at once (ping, events
nobody handles) or hands back a `Delivery`. That one is claimed (a repeat → 200
"duplicate") and enqueued → 202; the work runs after the response. When the claim
store or the queue is down the answer is 503 with Retry-After, and no claim is kept.

`GET /metrics` is Prometheus' text format (`metrics.py`): each delivery's event and
outcome are counted here, as it is answered. `GET /healthz` answers 200.

Events are routed with the `github-webhook` package, but only after the checks: on
its own it checks the SHA-1 header only, skips the check without a secret, answers
400 to bad signatures, fails with a 500 on a form post without `payload`, and runs
hooks inside the request (ours only enqueue). The JSON body is parsed once: the
intake uses the request's parser, whose result the router then reuses.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, jsonify, request
from github_webhook import Webhook
from werkzeug.exceptions import HTTPException

from quarterdeck.webhook import intake, metrics
from quarterdeck.webhook.deliveries import PENDING_TTL, DeliveryStore
from quarterdeck.webhook.handlers import HANDLERS, REQUIRED_OBJECT
from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import ConfigLoader
from quarterdeck.webhook.queues import RQ_QUEUE, WorkQueue
from quarterdeck.webhook.runtime import GithubFactory, Identity, Runtime, build_runtime
from quarterdeck.webhook.settings import Settings, load_settings

log = logging.getLogger("quarterdeck.webhook")
ENDPOINT = "/webhook"
# Each handled event and the object it must carry, for the intake.
HANDLED = {event: REQUIRED_OBJECT.get(event, "") for event in HANDLERS}


def create_app(
    settings: Settings,
    *,
    queue: WorkQueue | None = None,
    github_factory: GithubFactory | None = None,
    config_loader: ConfigLoader | None = None,
    deliveries: DeliveryStore | None = None,
    identity: Identity | None = None,
) -> Flask:
    """The App's Flask application; injected parts replace the ones built from settings."""
    secret = settings.webhook_secret.get_secret_value().encode()
    if not secret:
        raise ValueError("a webhook secret is required")  # load_settings already refuses
    runtime = build_runtime(
        settings,
        queue=queue,
        github_factory=github_factory,
        config_loader=config_loader,
        deliveries=deliveries,
        identity=identity,
    )
    app = Flask("quarterdeck.webhook")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["quarterdeck"] = runtime

    # secret=None: the package's SHA-1 check is replaced by ours, which runs first.
    hooks = Webhook(app, endpoint=ENDPOINT, secret=None)
    for event in HANDLERS:
        hooks.hook(event)(_accept)
    routed = app.view_functions[ENDPOINT]
    app.view_functions[ENDPOINT] = lambda: _receive(secret, runtime, routed)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    scraped = metrics.exposition(runtime.redis, RQ_QUEUE)
    token = settings.metrics_token

    @app.get("/metrics")
    def prometheus() -> Response | tuple[Response, int]:
        # The token is compared in constant time; without one, /metrics is open and
        # belongs behind the proxy (SECURITY.md, "Metrics").
        if token is not None and not metrics.authorized(
            request.headers.get("Authorization"), token.get_secret_value()
        ):
            answer, code = _refuse(401, "GET /metrics needs `Authorization: Bearer <token>`")
            answer.headers["WWW-Authenticate"] = 'Bearer realm="quarterdeck-metrics"'
            return answer, code
        from prometheus_client.exposition import choose_encoder

        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(scraped), content_type=content_type)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.description or exc.name), exc.code or 500

    return app


def app_from_env() -> Flask:
    """The Flask app with settings from the environment (serve's processes, any WSGI server)."""
    from quarterdeck.webhook.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.secrets())
    return create_app(settings)


def _refuse(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _receive(secret: bytes, runtime: Runtime, routed: Any) -> Any:
    started = time.perf_counter()
    event = request.headers.get("X-GitHub-Event")
    try:
        answer, outcome = _answer(secret, runtime, routed)
    except HTTPException as exc:  # 413 beyond MAX_CONTENT_LENGTH, from get_data
        metrics.record_delivery(event, metrics.refusal_outcome(exc.code or 400))
        raise
    metrics.record_delivery(event, outcome, time.perf_counter() - started)
    return answer


def _answer(secret: bytes, runtime: Runtime, routed: Any) -> tuple[Any, str]:
    """The answer to a delivery, and its outcome for the metrics."""
    body = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    outcome = intake.accept(
        request.headers,
        body,
        secret,
        handled=HANDLED,
        max_body_bytes=runtime.settings.max_body_bytes,
        length_declared=request.content_length is not None,
        decode=lambda _body: request.get_json(silent=True),
    )
    if isinstance(outcome, intake.Refusal):
        return _refuse(outcome.status, outcome.message), metrics.refusal_outcome(outcome.status)
    if isinstance(outcome, intake.Reply):
        said = "pong" if outcome.body.get("status") == "pong" else "ignored"
        return (jsonify(outcome.body), outcome.status), said
    g.quarterdeck_delivery = outcome
    g.quarterdeck_runtime = runtime
    try:
        routed()  # the package reads the parsed body again and calls our hook, `_accept`
    except HTTPException:
        raise
    except Exception:
        log.exception("could not route delivery", extra=outcome.log_fields())
        if getattr(g, "quarterdeck_status", None) is None:
            return _refuse(400, "the payload could not be routed"), "malformed"
    status = getattr(g, "quarterdeck_status", "unavailable")
    if status == "queued":
        return (jsonify(status="queued", delivery=outcome.id), 202), "queued"
    if status == "duplicate":
        return (jsonify(status="duplicate", delivery=outcome.id), 200), "duplicate"
    answer, code = _refuse(503, "could not queue the delivery; ask GitHub to redeliver it")
    answer.headers["Retry-After"] = str(PENDING_TTL)  # by then no claim of it is left
    return (answer, code), "unavailable"


def _accept(_data: dict[str, Any]) -> None:
    """The package's hook for every handled event: claim the delivery, then enqueue it.

    Never raises: a claim that can't be made or a job that can't be queued is answered
    503, and a claim whose job was not queued is released (or, when Redis took both
    with it, lapses within PENDING_TTL), so GitHub's "Redeliver" is accepted.
    """
    delivery: Delivery = g.quarterdeck_delivery
    runtime: Runtime = g.quarterdeck_runtime
    g.quarterdeck_status = "unavailable"
    try:
        if not runtime.deliveries.claim(delivery.id):
            g.quarterdeck_status = "duplicate"
            log.info("duplicate delivery ignored", extra=delivery.log_fields())
            return
    except Exception:
        log.exception("could not record the delivery", extra=delivery.log_fields())
        return
    try:
        runtime.queue.enqueue(delivery)
    except Exception:
        log.exception("could not queue the delivery", extra=delivery.log_fields())
        _release(runtime, delivery)
        return
    g.quarterdeck_status = "queued"
    try:
        runtime.deliveries.confirm(delivery.id)
    except Exception:
        # The job is queued and will run; only the claim stays short-lived.
        log.warning(
            "delivery queued, but its claim could not be kept for %d s; it lapses in %d s",
            runtime.settings.delivery_ttl,
            PENDING_TTL,
            exc_info=True,
            extra=delivery.log_fields(),
        )
    log.debug("delivery queued", extra=delivery.log_fields())  # the worker logs the outcome


def _release(runtime: Runtime, delivery: Delivery) -> None:
    try:
        runtime.deliveries.release(delivery.id)
    except Exception:
        log.warning(
            "could not release the claim of a delivery that was not queued; it lapses in %d s",
            PENDING_TTL,
            exc_info=True,
            extra=delivery.log_fields(),
        )
