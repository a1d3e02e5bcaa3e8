"""The Flask app: verify, de-duplicate, enqueue, answer — and nothing slow in between.

`POST /webhook` order of business, each step before the next:

1. body size is capped (MAX_CONTENT_LENGTH → 413, declared or chunked);
2. `X-Hub-Signature-256` is checked over the raw bytes in constant time (→ 401;
   the legacy SHA-1 header alone is refused too);
3. headers and payload are checked (→ 400/415, never 500; JSON deeper than
   MAX_JSON_DEPTH levels is refused);
4. `ping` → 200, events nobody handles → 200 "ignored";
5. the delivery id is claimed (a repeat → 200 "duplicate");
6. the delivery is enqueued → 202. The work runs after the response.

Events are routed with the `github-webhook` package, but only after the checks
above: on its own it checks the SHA-1 header only, skips the check without a
secret, answers 400 to bad signatures, fails with a 500 on a form post without
`payload`, and runs hooks inside the request (ours only enqueue).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g, jsonify, request
from github_webhook import Webhook
from werkzeug.exceptions import HTTPException

from quarterdeck.webhook import signature
from quarterdeck.webhook.deliveries import DeliveryStore, valid_delivery_id
from quarterdeck.webhook.handlers import HANDLERS, REQUIRED_OBJECT
from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import ConfigLoader
from quarterdeck.webhook.queues import WorkQueue
from quarterdeck.webhook.runtime import GithubFactory, Runtime, build_runtime
from quarterdeck.webhook.settings import Settings, load_settings

log = logging.getLogger("quarterdeck.webhook")
ENDPOINT = "/webhook"
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_TOO_DEEP = "the JSON is nested too deeply to be a GitHub delivery"
# GitHub's payloads nest about 6 levels; far deeper data could still overflow the
# stack later (RQ pickles the payload), so it is refused at the door.
MAX_JSON_DEPTH = 64


def create_app(
    settings: Settings,
    *,
    queue: WorkQueue | None = None,
    github_factory: GithubFactory | None = None,
    config_loader: ConfigLoader | None = None,
    deliveries: DeliveryStore | None = None,
) -> Flask:
    """The App's Flask application; injected parts replace the ones built from settings."""
    secret = settings.webhook_secret.reveal().encode()
    if not secret:
        raise ValueError("a webhook secret is required")  # load_settings already refuses
    runtime = build_runtime(
        settings,
        queue=queue,
        github_factory=github_factory,
        config_loader=config_loader,
        deliveries=deliveries,
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

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.description or exc.name), exc.code or 500

    return app


def app_from_env() -> Flask:
    """For `gunicorn 'quarterdeck.webhook.server:app_from_env()'`: settings from the environment."""
    from quarterdeck.webhook.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.secrets())
    return create_app(settings)


def _refuse(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _receive(secret: bytes, runtime: Runtime, routed: Any) -> Any:
    body = request.get_data(cache=True)  # 413 beyond MAX_CONTENT_LENGTH
    if request.content_length is None and len(body) >= runtime.settings.max_body_bytes:
        # A chunked body has no Content-Length to refuse up front; Werkzeug stops
        # reading at the cap and hands over the truncated bytes, so refuse them here.
        return _refuse(413, f"the body is larger than {runtime.settings.max_body_bytes} bytes")
    if not signature.verify(secret, body, request.headers.get(signature.HEADER)):
        if request.headers.get("X-Hub-Signature"):
            return _refuse(401, "X-Hub-Signature-256 is required; SHA-1 signatures are refused")
        return _refuse(401, "missing or invalid X-Hub-Signature-256")
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery")
    if not event or not event.replace("_", "").isalnum():
        return _refuse(400, "missing or malformed X-GitHub-Event header")
    if not valid_delivery_id(delivery_id):
        return _refuse(400, "missing or malformed X-GitHub-Delivery header")
    payload, problem = _payload(body)
    if problem is not None:
        return problem
    if event == "ping":
        return jsonify(status="pong", zen=str(payload.get("zen", ""))[:200]), 200
    if event not in HANDLERS:
        return jsonify(status="ignored", event=event), 200
    needed = REQUIRED_OBJECT.get(event)
    if needed and not isinstance(payload.get(needed), dict):
        return _refuse(400, f"a {event} delivery needs a `{needed}` object")
    g.quarterdeck_delivery = Delivery(str(delivery_id), event, payload)
    g.quarterdeck_runtime = runtime
    try:
        routed()  # the package re-parses the body and calls our hook, `_accept`
    except HTTPException:
        raise
    except Exception:
        log.exception("could not route delivery", extra={"delivery": delivery_id, "event": event})
        if getattr(g, "quarterdeck_status", None) is None:
            return _refuse(400, "the payload could not be routed")
    status = getattr(g, "quarterdeck_status", "unavailable")
    if status == "queued":
        return jsonify(status="queued", delivery=delivery_id), 202
    if status == "duplicate":
        return jsonify(status="duplicate", delivery=delivery_id), 200
    return _refuse(503, "could not queue the delivery; ask GitHub to redeliver it")


def _payload(body: bytes) -> tuple[dict[str, Any], None] | tuple[None, tuple[Response, int]]:
    """The JSON object a delivery carries, or the 4xx answer saying what is wrong."""
    mimetype = request.mimetype
    if mimetype == _FORM:
        if request.content_type != _FORM:
            # The router compares the whole header; parameters would reach its JSON branch.
            return None, _refuse(415, "send application/x-www-form-urlencoded without parameters")
        text = request.form.get("payload")
        if text is None:
            return None, _refuse(400, "a form-encoded delivery needs a `payload` field")
    elif mimetype == _JSON:
        # Flask caches what get_json parsed, so the router's own call costs nothing.
        try:
            payload = request.get_json(silent=True)
        except RecursionError:  # `[[[[…` thousands deep: json gives up, not ValueError
            return None, _refuse(400, _TOO_DEEP)
        if payload is None:
            return None, _refuse(400, "the body is not valid JSON")
        text = None
    else:
        return None, _refuse(415, "deliveries must be application/json (or form-encoded)")
    if text is not None:
        try:
            payload = json.loads(text)
        except ValueError:
            return None, _refuse(400, "the body is not valid JSON")
        except RecursionError:
            return None, _refuse(400, _TOO_DEEP)
    if not isinstance(payload, dict):
        return None, _refuse(400, "the payload must be a JSON object")
    if _too_deep(payload, MAX_JSON_DEPTH):
        return None, _refuse(400, _TOO_DEEP)
    return payload, None


def _too_deep(value: Any, limit: int) -> bool:
    """Whether JSON data nests more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _accept(_data: dict[str, Any]) -> None:
    """The package's hook for every handled event: claim the delivery, then enqueue it."""
    delivery: Delivery = g.quarterdeck_delivery
    runtime: Runtime = g.quarterdeck_runtime
    try:
        if not runtime.deliveries.claim(delivery.id):
            g.quarterdeck_status = "duplicate"
            log.info("duplicate delivery ignored", extra=delivery.log_fields())
            return
    except Exception:
        log.exception("could not record the delivery", extra=delivery.log_fields())
        g.quarterdeck_status = "unavailable"
        return
    try:
        runtime.queue.enqueue(delivery)
    except Exception:
        log.exception("could not queue the delivery", extra=delivery.log_fields())
        runtime.deliveries.release(delivery.id)
        g.quarterdeck_status = "unavailable"
        return
    g.quarterdeck_status = "queued"
    log.debug("delivery queued", extra=delivery.log_fields())  # the worker logs the outcome
