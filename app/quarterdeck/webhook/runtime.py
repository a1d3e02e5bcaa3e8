"""Assemble the App's parts from Settings: store, locks, processor and queue.

With REDIS_URL: claims, locks and the queue live in Redis (RQ workers do the work).
Without: claims and locks in one SQLite file (so every server process on the host
agrees), an in-process worker thread in each. Built when the app is
created, never at import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quarterdeck.webhook.config_cache import CachedConfig, ConfigLoader
from quarterdeck.webhook.deliveries import DeliveryStore, RedisDeliveries, SQLiteDeliveries
from quarterdeck.webhook.installation_access import installation_slack
from quarterdeck.webhook.jobs import Processor
from quarterdeck.webhook.queues import BackgroundQueue, RQQueue, WorkQueue
from quarterdeck.webhook.routes import ROUTES, Table
from quarterdeck.webhook.settings import Settings, SettingsError, prepare_state_dir
from quarterdeck.webhook.work_locks import Locks, RedisLocks, SQLiteLocks

GithubFactory = Callable[[int], Any]
Identity = Callable[[], str]


@dataclass
class Runtime:
    """Everything a server or worker process needs, wired once."""

    settings: Settings
    processor: Processor
    deliveries: DeliveryStore
    queue: WorkQueue
    redis: Any = None

    def resume(self) -> int:
        """Redo what a dead process answered but never finished (the SQLite journal only;
        RQ retries a dead worker's jobs itself). How many deliveries were queued again."""
        return self.queue.resume() if isinstance(self.queue, BackgroundQueue) else 0

    def finish(self, delivery_id: str) -> None:
        """Work run in the request is done: an SQLite claim, unfinished until told so,
        now refuses redeliveries for the whole TTL, as a queued delivery's does once
        its worker is done (a Redis claim does from `confirm`)."""
        if isinstance(self.deliveries, SQLiteDeliveries):
            self.deliveries.finish(delivery_id)


def app_github_factory(settings: Settings) -> GithubFactory:
    """Clients acting as the App's installations, one per installation, reused."""
    if settings.app_id is None or settings.private_key is None:
        raise SettingsError(
            "QUARTERDECK_APP_ID and a private key are needed to act on GitHub; see `Run the App` "
            "in the README"
        )
    app_id, key = settings.app_id, settings.private_key
    clients: dict[int, Any] = {}

    def factory(installation_id: int) -> Any:
        from quarterdeck.sources.github.client import connect_app

        if installation_id not in clients:
            clients[installation_id] = connect_app(
                app_id, key.get_secret_value(), installation_id, base_url=settings.github_api_url
            )
        return clients[installation_id]

    return factory


def app_identity(settings: Settings) -> Identity:
    """The App's own login, `<slug>[bot]`: asked of GitHub (`GET /app`, with the App's
    JWT) the first time a handler needs it, then kept for the life of the process.

    It is what "ours" means: the App edits, deletes or adopts only comments and issues
    this login wrote, never another bot's (`sources.github.writes.written_by_us`).
    """
    known: list[str] = []

    def identity() -> str:
        if not known:
            if settings.app_id is None or settings.private_key is None:
                raise SettingsError(
                    "QUARTERDECK_APP_ID and a private key are needed to tell the App's own "
                    "comments from others'; see `Run the App` in the README"
                )
            from quarterdeck.sources.github.client import app_identity as ask

            known.append(
                ask(
                    settings.app_id,
                    settings.private_key.get_secret_value(),
                    base_url=settings.github_api_url,
                )
            )
        return known[0]

    return identity


def redis_client(settings: Settings) -> Any:
    """A Redis client for REDIS_URL, or None."""
    if settings.redis_url is None:
        return None
    import redis

    return redis.Redis.from_url(settings.redis_url.get_secret_value())


def build_runtime(
    settings: Settings,
    *,
    queue: WorkQueue | None = None,
    github_factory: GithubFactory | None = None,
    config_loader: ConfigLoader | None = None,
    deliveries: DeliveryStore | None = None,
    identity: Identity | None = None,
    routes: Table | None = None,
) -> Runtime:
    """Wire the App from settings; injected parts replace the defaults (tests)."""
    redis = redis_client(settings)
    if redis is None:
        prepare_state_dir(settings)  # the claims' and locks' SQLite file goes there
    if deliveries is None:
        deliveries = (
            RedisDeliveries(redis, settings.delivery_ttl)
            if redis is not None
            else SQLiteDeliveries(settings.deliveries_db, settings.delivery_ttl)
        )
    from quarterdeck.webhook.metrics import LocalWork, RedisWork

    processor = Processor(
        github_factory=github_factory or _deferred(settings),
        config_loader=CachedConfig(config_loader, settings.config_ttl),
        locks=shared_locks(settings, redis),
        identity=identity or app_identity(settings),
        create_labels=settings.create_labels,
        slack=lambda installation: installation_slack(settings, installation),
        # With Redis the work runs in `quarterdeck worker` processes anywhere: it counts
        # there; without, in this process's thread (metrics.py says why).
        record=RedisWork(redis) if redis is not None else LocalWork(),
        routes=ROUTES if routes is None else routes,
    )
    if queue is None:
        if redis is not None:
            queue = RQQueue(redis)
        else:
            journal = deliveries if isinstance(deliveries, SQLiteDeliveries) else None
            queue = BackgroundQueue(processor, deliveries, journal=journal)
    return Runtime(settings, processor, deliveries, queue, redis)


def shared_locks(settings: Settings, redis: Any) -> Locks:
    """Locks every process doing the work agrees on: Redis's, or the claims' SQLite file."""
    if redis is not None:
        return RedisLocks(redis)
    # Beside the claims: the processes that share claims share locks, on one host.
    return SQLiteLocks(settings.deliveries_db)


def _deferred(settings: Settings) -> GithubFactory:
    # Checked on first use, so a server that only enqueues (RQ) needs no key.
    made: list[GithubFactory] = []

    def factory(installation_id: int) -> Any:
        if not made:
            made.append(app_github_factory(settings))
        return made[0](installation_id)

    return factory
