"""Run one accepted delivery: the handler its route names, given the installation's client.

Failures are sorted by rule (`classify`): GitHub 5xx, rate limits and network errors
are worth retrying; anything else (a broken config in the repo, a 404, a bug) is
logged with the delivery id and dropped. Nothing here runs inside a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from quarterdeck.sources.github.gateway import doing
from quarterdeck.webhook.handlers.context import Context, Delivery
from quarterdeck.webhook.routes import ROUTES, Table, route_of
from quarterdeck.webhook.work_locks import Locks

log = logging.getLogger("quarterdeck.webhook")

Verdict = Literal["done", "retry", "dropped"]
DEFAULT_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0)  # then the delivery is dropped


@dataclass
class Processor:
    """Runs deliveries with injected I/O: a client per installation and a config loader."""

    github_factory: Callable[[int], Any]
    config_loader: Callable[[str, Any], Any]
    locks: Locks  # SQLiteLocks or RedisLocks: shared by every process (runtime.py)
    identity: Callable[[], str]  # the App's `<slug>[bot]`, asked once (`runtime.app_identity`)
    create_labels: bool = False
    # installation id -> its Slack client, or None
    # (`webhook.installation_access.installation_slack`)
    slack: Callable[[int], Any] = lambda _installation: None
    # (event, verdict, seconds, rate limit left) of each attempt: metrics.LocalWork/RedisWork
    record: Callable[[str, str, float, int | None], None] | None = None
    # The routing table (`routes.ROUTES`); tests may pass their own.
    routes: Table = field(default_factory=lambda: ROUTES)

    def context(self, delivery: Delivery) -> Context:
        """What a handler gets for one delivery."""
        return Context(
            delivery=delivery,
            github_factory=self.github_factory,
            config_loader=self.config_loader,
            lock=self.locks,
            identity=self.identity,
            create_labels=self.create_labels,
            slack_for=self.slack,
        )

    def run(self, ctx: Context) -> str:
        """Handle one delivery; returns what was done, raises on failure."""
        delivery = ctx.delivery
        found = route_of(self.routes, delivery.event, delivery.action)
        if found is None:
            # The door answers these unqueued; only a job queued under an older table
            # (RQ keeps jobs across a deploy) reaches here.
            return f"ignored: no route for {delivery.event} {delivery.action or ''}".rstrip()
        # What a handler did not translate itself becomes the project's exceptions here.
        with doing(f"handling {delivery.event} delivery {delivery.id}"):
            return found.handler(ctx)


def classify(exc: BaseException) -> Literal["retry", "drop"]:
    """Whether a failure may succeed later (GitHub busy, down, rate-limited) or never will.

    GitHub's failures reach here as the gateway's exceptions (`Processor.run`
    translates them), so this tests their types; anything else is a bug: dropped.
    """
    from quarterdeck.errors import GitHubUnavailable, RateLimitError
    from quarterdeck.webhook.redis_faults import passing

    # Redis failing for a while (a lock: gone, read-only after a failover, full): the
    # job is kept in Redis and retried once it is back.
    transient = RateLimitError | GitHubUnavailable | TimeoutError | ConnectionError
    retry = isinstance(exc, transient) or passing(exc)
    return "retry" if retry else "drop"


def attempt(processor: Processor, delivery: Delivery, number: int, max_attempts: int) -> Verdict:
    """Run a delivery once, log the outcome and record it (`Processor.record`); never raises."""
    started = time.perf_counter()
    ctx = processor.context(delivery)
    verdict = _attempt(processor, ctx, number, max_attempts, started)
    if processor.record is not None:
        processor.record(
            delivery.event, verdict, time.perf_counter() - started, ctx.remaining_rate()
        )
    return verdict


def _attempt(
    processor: Processor, ctx: Context, number: int, max_attempts: int, started: float
) -> Verdict:
    fields = ctx.delivery.log_fields()
    try:
        outcome = processor.run(ctx)
    except Exception as exc:
        verdict = classify(exc)
        extra = {**fields, "attempt": number, "rate_remaining": ctx.remaining_rate()}
        if verdict == "retry" and number < max_attempts:
            log.warning(
                "delivery failed, will retry (attempt %d of %d): %s",
                number,
                max_attempts,
                _describe(exc),
                extra=extra,
            )
            return "retry"
        why = "gave up after retries" if verdict == "retry" else "not retryable"
        log.error("delivery dropped (%s): %s", why, _describe(exc), exc_info=exc, extra=extra)
        return "dropped"
    log.info(
        "delivery handled: %s",
        outcome,
        extra={
            **fields,
            "attempt": number,
            "rate_remaining": ctx.remaining_rate(),
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return "done"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
