"""Run one accepted delivery: pick its handler, give it the installation's client.

Failures are sorted by rule (`classify`): GitHub 5xx, rate limits and network errors
are worth retrying; anything else (a broken config in the repo, a 404, a bug) is
logged with the delivery id and dropped. Nothing here runs inside a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from quarterdeck.sources.github import translated
from quarterdeck.webhook.deliveries import Locks
from quarterdeck.webhook.handlers import HANDLERS
from quarterdeck.webhook.handlers.context import Context, Delivery

log = logging.getLogger("quarterdeck.webhook")

ConfigLoader = Callable[[Any], tuple[Any, list[Any]]]
Verdict = Literal["done", "retry", "dropped"]
DEFAULT_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0)  # then the delivery is dropped


def default_config_loader(repo: Any) -> tuple[Any, list[Any]]:
    """The repo's config and goal issues, from GitHub (imported late: no work at import)."""
    from quarterdeck.sources.github.goals import load_config_with_goal_issues

    return load_config_with_goal_issues(repo)


class CachedConfig:
    """Config per repository, reused for `ttl` seconds so a burst of events reads it once."""

    def __init__(
        self, loader: ConfigLoader, ttl: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}

    def __call__(self, full_name: str, repo: Any) -> Any:
        now = self._clock()
        hit = self._cache.get(full_name.lower())
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        config, warnings = self._loader(repo)
        for problem in warnings:
            log.warning("config warning in %s: %s", full_name, problem)
        self._cache[full_name.lower()] = (now, config)
        return config


@dataclass
class Processor:
    """Runs deliveries with injected I/O: a client per installation and a config loader."""

    github_factory: Callable[[int], Any]
    config_loader: Callable[[str, Any], Any]
    locks: Locks  # SQLiteLocks or RedisLocks: shared by every process (runtime.py)
    create_labels: bool = False

    def context(self, delivery: Delivery) -> Context:
        """What a handler gets for one delivery."""
        return Context(
            delivery=delivery,
            github_factory=self.github_factory,
            config_loader=self.config_loader,
            lock=self.locks,
            create_labels=self.create_labels,
        )

    def run(self, ctx: Context) -> str:
        """Handle one delivery; returns what was done, raises on failure."""
        handler = HANDLERS.get(ctx.delivery.event)
        if handler is None:
            return "ignored: event not handled"
        # What a handler did not translate itself becomes the project's exceptions here.
        with translated(f"handling {ctx.delivery.event} delivery {ctx.delivery.id}"):
            return handler(ctx)


def classify(exc: BaseException) -> Literal["retry", "drop"]:
    """Whether a failure may succeed later (GitHub busy, down, rate-limited) or never will.

    GitHub's failures reach here as the gateway's exceptions (`Processor.run`
    translates them), so this tests their types; anything else is a bug: dropped.
    """
    from redis.exceptions import ConnectionError as RedisDown
    from redis.exceptions import TimeoutError as RedisSlow

    from quarterdeck.errors import GitHubUnavailable, RateLimitError

    # Redis gone (a lock): the job is kept in Redis and retried once it is back.
    transient = RateLimitError | GitHubUnavailable | TimeoutError | ConnectionError
    retry = isinstance(exc, transient | RedisDown | RedisSlow)
    return "retry" if retry else "drop"


def attempt(processor: Processor, delivery: Delivery, number: int, max_attempts: int) -> Verdict:
    """Run a delivery once and log the outcome; never raises."""
    fields = delivery.log_fields()
    ctx = processor.context(delivery)
    started = time.perf_counter()
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
