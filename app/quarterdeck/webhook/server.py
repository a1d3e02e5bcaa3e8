"""The Flask app: the one front door, a thin shell around the pure intake and the routes.

`POST /webhook`: the body size is capped (MAX_CONTENT_LENGTH → 413), then
`intake.accept` makes every check a delivery must pass (signature first; see its
docstring) and either refuses it (4xx, never 500), answers it at once (ping, events
no route names) or hands back a `Delivery`. An action its event's routes don't name
is answered 200 "ignored" here, unclaimed. Otherwise its route (`routes.ROUTES`, by event and
action) says whether its work is queued (→ 202, the work runs after the response) or
runs in the request (→ 200). Either way it is claimed first (a repeat → 200
"duplicate"). When the claim store or the queue is down the answer is 503 with
Retry-After, and no claim is kept. Each step returns its answer: no request state is
kept anywhere else (no `flask.g`).

`GET /metrics` is Prometheus' text format (`metrics.py`): each delivery's event and
outcome are counted here, as it is answered. `GET /healthz` answers 200.

The `github-webhook` package is used in one place (`_mount`) for the one thing it
does that we keep: registering the POST endpoint. Its own view is replaced by the
front door, because it checks the SHA-1 header only, skips the check without a
secret, answers 400 to bad signatures, fails with a 500 on a form post without
`payload`, and routes by event alone, inside the request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Literal

from flask import Flask, Response, jsonify, request
from github_webhook import Webhook
from werkzeug.exceptions import HTTPException

from quarterdeck.webhook import intake, metrics
from quarterdeck.webhook.config_cache import ConfigLoader
from quarterdeck.webhook.deliveries import PENDING_TTL, DeliveryStore
from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import attempt
from quarterdeck.webhook.queues import RQ_QUEUE, WorkQueue
from quarterdeck.webhook.routes import Table, required_objects, route_of
from quarterdeck.webhook.runtime import GithubFactory, Identity, Runtime, build_runtime
from quarterdeck.webhook.settings import Settings, load_settings

log = logging.getLogger("quarterdeck.webhook")
ENDPOINT = "/webhook"


def create_app(
    settings: Settings,
    *,
    queue: WorkQueue | None = None,
    github_factory: GithubFactory | None = None,
    config_loader: ConfigLoader | None = None,
    deliveries: DeliveryStore | None = None,
    identity: Identity | None = None,
    routes: Table | None = None,
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
        routes=routes,
    )
    app = Flask("quarterdeck.webhook")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["quarterdeck"] = runtime

    handled = required_objects(runtime.processor.routes)  # each routed event's object
    _mount(app, lambda: _receive(secret, runtime, handled))

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


def _mount(app: Flask, door: Callable[[], Any]) -> None:
    """The one adapter to `github-webhook`: its `Webhook` registers `POST /webhook`;
    the view it would run (SHA-1 check, event-only routing) is replaced by `door`,
    and no hook is registered with it."""
    Webhook(app, endpoint=ENDPOINT, secret=None)
    app.view_functions[ENDPOINT] = door


def _receive(secret: bytes, runtime: Runtime, handled: dict[str, str]) -> Any:
    started = time.perf_counter()
    event = request.headers.get("X-GitHub-Event")
    try:
        answer, outcome = _answer(secret, runtime, handled)
    except HTTPException as exc:  # 413 beyond MAX_CONTENT_LENGTH, from get_data
        metrics.record_delivery(event, metrics.refusal_outcome(exc.code or 400))
        raise
    metrics.record_delivery(event, outcome, time.perf_counter() - started)
    return answer


def _answer(secret: bytes, runtime: Runtime, handled: dict[str, str]) -> tuple[Any, str]:
    """The answer to a delivery, and its outcome for the metrics."""
    body = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    outcome = intake.accept(
        request.headers,
        body,
        secret,
        handled=handled,
        max_body_bytes=runtime.settings.max_body_bytes,
        length_declared=request.content_length is not None,
    )
    if isinstance(outcome, intake.Refusal):
        return _refuse(outcome.status, outcome.message), metrics.refusal_outcome(outcome.status)
    if isinstance(outcome, intake.Reply):
        said = "pong" if outcome.body.get("status") == "pong" else "ignored"
        return (jsonify(outcome.body), outcome.status), said
    found = route_of(runtime.processor.routes, outcome.event, outcome.action)
    if found is None:
        # A routed event whose action no route names (a PR's `synchronize`, an issue's
        # `closed`): answered here, with no claim and no job, as an unrouted event is.
        ignored = {"status": "ignored", "event": outcome.event, "action": outcome.action}
        return (jsonify(ignored), 200), "ignored"
    status = _accept(runtime, outcome, queued=found.queued)
    if status in ("queued", "handled"):
        code = 202 if status == "queued" else 200
        return (jsonify(status=status, delivery=outcome.id), code), status
    if status == "duplicate":
        return (jsonify(status="duplicate", delivery=outcome.id), 200), "duplicate"
    if status == "failed":
        message = f"the work of delivery {outcome.id} failed; the App's log says why"
        return _refuse(500, message), "failed"
    answer, code = _refuse(503, "could not queue the delivery; ask GitHub to redeliver it")
    answer.headers["Retry-After"] = str(PENDING_TTL)  # by then no claim of it is left
    return (answer, code), "unavailable"


Accepted = Literal["queued", "handled", "duplicate", "failed", "unavailable"]


def _accept(runtime: Runtime, delivery: Delivery, *, queued: bool) -> Accepted:
    """Claim the delivery, then enqueue it (or, when its route says so, run it now).

    Never raises: a claim that can't be made or a job that can't be queued is
    "unavailable" (503), and a claim whose job was not queued is released (or, when
    Redis took both with it, lapses within PENDING_TTL), so GitHub's "Redeliver" is
    accepted. Work run in the request that fails releases its claim too ("failed").
    """
    try:
        if not runtime.deliveries.claim(delivery.id):
            log.info("duplicate delivery ignored", extra=delivery.log_fields())
            return "duplicate"
    except Exception:
        log.exception("could not record the delivery", extra=delivery.log_fields())
        return "unavailable"
    if not queued:
        # `attempt` logs the outcome and never raises; no retry inside a request.
        if attempt(runtime.processor, delivery, 1, 1) != "done":
            _release(runtime, delivery)
            return "failed"
        _keep(runtime, delivery, done=True)
        return "handled"
    try:
        runtime.queue.enqueue(delivery)
    except Exception:
        log.exception("could not queue the delivery", extra=delivery.log_fields())
        _release(runtime, delivery)
        return "unavailable"
    _keep(runtime, delivery)
    log.debug("delivery queued", extra=delivery.log_fields())  # the worker logs the outcome
    return "queued"


def _keep(runtime: Runtime, delivery: Delivery, *, done: bool = False) -> None:
    """Keep the claim for the TTL; `done`: its work already ran, so it is finished too
    (an unfinished claim would take a redelivery once its lease ran out)."""
    try:
        runtime.deliveries.confirm(delivery.id)
        if done:
            runtime.finish(delivery.id)
    except Exception:
        # The work is queued (or done); only the claim stays short-lived.
        log.warning(
            "delivery accepted, but its claim could not be kept for %d s; it lapses in %d s",
            runtime.settings.delivery_ttl,
            PENDING_TTL,
            exc_info=True,
            extra=delivery.log_fields(),
        )


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
