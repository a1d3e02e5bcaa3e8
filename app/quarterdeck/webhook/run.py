"""Running the GitHub App's processes: read settings once, then serve or work.

Their command lines (`quarterdeck serve` and `worker`) are the CLI's (`cli/app.py`),
which checks the `app` extra is installed before importing this module.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.settings import (
    Settings,
    load_settings,
    old_journal_notice,
)

log = logging.getLogger("quarterdeck.webhook")

WORKER_NEEDS_REDIS = "`quarterdeck worker` takes jobs from Redis"


def run_server(host: str, port: int, *, dev: bool, workers: int | None, threads: int) -> int:
    """Validate settings, then run uvicorn's processes (or Flask's server with `dev`)."""
    settings = load_settings()
    configure_logging(settings.secrets())
    # Upgrading from a version that kept the journal wherever serve started: say so.
    notice = old_journal_notice(settings, Path.cwd(), os.environ)
    if settings.redis_url is None and notice:
        log.warning(notice)
    from quarterdeck.webhook.server import create_app

    app = create_app(settings)
    if dev:
        log.info("development server on http://%s:%d", host, port)
        app.run(host=host, port=port, threaded=True)
        return 0
    from quarterdeck.webhook.front import THREADS_VARIABLE, serve_forever

    # Each serving process builds its own app from the environment (uvicorn spawns them).
    os.environ[THREADS_VARIABLE] = str(threads)
    return serve_forever(host, port, workers=workers or _default_workers(settings))


def run_worker(*, burst: bool, heartbeat: int | None, abandon_after: int | None) -> int:
    """Run an RQ worker until stopped (with `burst`, until the queue is empty)."""
    settings = load_settings(require_redis=True, redis_for=WORKER_NEEDS_REDIS)
    configure_logging(settings.secrets())
    from redis.exceptions import RedisError

    from quarterdeck.webhook.worker import DEFAULT_ABANDON_AFTER, DEFAULT_HEARTBEAT, work

    try:
        work(
            burst=burst,
            heartbeat=DEFAULT_HEARTBEAT if heartbeat is None else heartbeat,
            abandon_after=DEFAULT_ABANDON_AFTER if abandon_after is None else abandon_after,
        )
    except RedisError as exc:
        raise settings.redis_unusable(exc) from None
    return 0


def _default_workers(settings: Settings) -> int:
    # Without Redis, one process keeps locks, the work thread and its queue in one
    # place; with Redis, the work is elsewhere and acknowledging scales with processes.
    return 1 if settings.redis_url is None else 2 * (os.cpu_count() or 1) + 1
