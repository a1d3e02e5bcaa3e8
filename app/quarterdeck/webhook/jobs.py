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

from quarterdeck.sources.github.gateway import RepoGateway, doing
from quarterdeck.webhook.deliveries import Locks
from quarterdeck.webhook.handlers import HANDLERS
from quarterdeck.webhook.handlers.context import Context, Delivery

log = logging.getLogger("quarterdeck.webhook")

ConfigLoader = Callable[[Any], tuple[Any, list[Any]]]
Verdict = Literal["done", "retry", "dropped"]
DEFAULT_DELAYS: tuple[float, ...] = (10.0, 60.0, 300.0)  # then the delivery is dropped


class CachedConfig:
    """The config each delivery links against, read once and then revalidated.

    Two things are kept, each checked again after `ttl` seconds: per repository,
    whether it has a config file of its own (else its owner's `.github` one applies);
    and per config, what was parsed from it (goal files and goal issues included),
    shared by every repository it applies to. Checking again is a conditional
    request per read (`If-None-Match`): while GitHub answers 304, which costs no rate
    limit, the parsed config is reused; on any change it is read again whole.

    `loader` replaces all of it with a plain `repo -> (config, warnings)` read once per
    `ttl` and repository (tests that don't exercise config I/O).
    """

    def __init__(
        self,
        loader: ConfigLoader | None,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}  # with `loader`: per repository
        self._sources: dict[str, tuple[float, str, Any]] = {}  # repo -> its config's repo
        self._configs: dict[tuple[str, str], list[Any]] = {}  # (source, goals) -> [t, cfg]

    def __call__(self, full_name: str, repo: RepoGateway) -> Any:
        """The `AppConfig` for PRs of `full_name` (`repo`: a lazy handle of it)."""
        if self._loader is not None:
            return self._plain(full_name, repo)
        from quarterdeck.sources.github.goal_listing import has_own_config, load_app_config

        now = self._clock()
        key = full_name.casefold()
        reader = None
        known = self._sources.get(key)
        if known is not None and now - known[0] >= self._ttl:
            if repo.still_current([known[2]]):
                known = self._sources[key] = (now, known[1], known[2])
            else:
                # Its own file appeared, changed or went: what was parsed for it is stale.
                for stale in ((known[1].casefold(), key), (key, key)):
                    self._configs.pop(stale, None)
                known = None
        if known is None:
            reader = repo.own_config()
            owner = full_name.split("/", 1)[0]
            source = full_name if has_own_config(reader) else f"{owner}/.github"
            known = self._sources[key] = (now, source, reader.checks[0])
        source = known[1]
        found = self._parsed(source, full_name, now, repo.still_current)
        if found is not None:
            return found
        app = load_app_config(reader or repo.own_config())
        for problem in app.warnings:
            log.warning("config warning in %s: %s", app.source, problem)
        self._configs[(app.source.casefold(), app.goals_repo.casefold())] = [now, app]
        return app

    def _parsed(
        self, source: str, full_name: str, now: float, current: Callable[[Any], bool]
    ) -> Any | None:
        """The config parsed from `source` for `full_name`, if still good; else None."""
        # An organisation-wide config is kept once for all; a shared one per repository.
        for key in ((source.casefold(),) * 2, (source.casefold(), full_name.casefold())):
            entry = self._configs.get(key)
            if entry is None:
                continue
            app = entry[1]
            if key[1] != full_name.casefold() and not app.config.repos:
                continue  # the `.github` repository's own, not organisation-wide
            if now - entry[0] < self._ttl:
                return app
            if app.checks is not None and current(app.checks):
                entry[0] = now
                return app
            del self._configs[key]
        return None

    def _plain(self, full_name: str, repo: RepoGateway) -> Any:
        from quarterdeck.sources.github.goal_listing import AppConfig

        now = self._clock()
        hit = self._cache.get(full_name.lower())
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        assert self._loader is not None
        config, warnings = self._loader(repo)
        for problem in warnings:
            log.warning("config warning in %s: %s", full_name, problem)
        app = AppConfig(config, full_name, full_name, tuple(warnings), None)
        self._cache[full_name.lower()] = (now, app)
        return app


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
        handler = HANDLERS.get(ctx.delivery.event)
        if handler is None:
            return "ignored: event not handled"
        # What a handler did not translate itself becomes the project's exceptions here.
        with doing(f"handling {ctx.delivery.event} delivery {ctx.delivery.id}"):
            return handler(ctx)


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
