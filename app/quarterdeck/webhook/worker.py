"""The RQ side: `run_delivery` is the job; `work` runs a worker (`quarterdeck worker`)."""

from __future__ import annotations

import logging
from typing import Any

from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import DEFAULT_DELAYS, attempt
from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.runtime import Runtime, build_runtime
from quarterdeck.webhook.settings import load_settings

log = logging.getLogger("quarterdeck.webhook")
_runtime: list[Runtime] = []


class RetryLater(Exception):
    """Raised so RQ schedules the job's next attempt."""


def runtime() -> Runtime:
    """This worker process's runtime, built from the environment on first use."""
    if not _runtime:
        _runtime.append(build_runtime(load_settings()))
    return _runtime[0]


def run_delivery(delivery_id: str, event: str, payload: dict[str, Any]) -> str:
    """RQ job: handle one delivery; raise to be retried, return when done or dropped."""
    from rq import get_current_job

    job = get_current_job()
    max_attempts = len(DEFAULT_DELAYS) + 1
    left = job.retries_left if job is not None and job.retries_left is not None else 0
    number = max_attempts - left
    delivery = Delivery(delivery_id, event, payload)
    rt = runtime()
    verdict = attempt(rt.processor, delivery, number, max_attempts)
    if verdict == "retry":
        raise RetryLater(f"delivery {delivery_id}: attempt {number} failed; RQ retries it")
    if verdict == "dropped":
        rt.deliveries.release(delivery_id)
    return verdict


def work(*, burst: bool = False) -> bool:
    """Run an RQ worker on the App's queue until stopped (or, with `burst`, until empty)."""
    from rq import Worker

    rt = runtime()
    if rt.redis is None:
        from quarterdeck.webhook.settings import SettingsError

        raise SettingsError("REDIS_URL is not set: `quarterdeck worker` takes jobs from Redis")
    log.info("worker listening on %s (queue %s)", rt.settings.redis_display, RQ_QUEUE)
    worker = Worker([RQ_QUEUE], connection=rt.redis)
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
