"""The RQ side: `run_delivery` is the job; `work` runs a worker (`quarterdeck worker`).

What keeps a delivery from being lost, all with RQ's own mechanisms:

- Redis going away does not end the worker. RQ's idle loop already reconnects; a
  busy worker's heartbeat failing, or its loop ending on a connection error, used to
  end the process ("unhandled exception, quitting"). `work` now waits for Redis with
  backoff, says so in the log (the URL without its password) and starts a new RQ
  worker on the same queue.
- A worker killed mid-job (SIGKILL, OOM, a lost host) stops sending heartbeats; its
  job's entry in RQ's StartedJobRegistry lapses `abandon_after` seconds after the last
  one, and any live worker's registry maintenance then retries it (RQ's `Retry`,
  which `RQQueue` enqueues every job with) or, with no retries left, fails it.
- A job that fails for good releases its delivery's claim, so GitHub's "Redeliver"
  is accepted: `run_delivery` on a dropped verdict, and `delivery_failed` (RQ's
  failure callback, also called for abandoned jobs) and the work-horse-killed handler
  when RQ will not retry.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import DEFAULT_DELAYS, attempt
from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.runtime import Runtime, build_runtime
from quarterdeck.webhook.settings import SettingsError, load_settings

log = logging.getLogger("quarterdeck.webhook")
_runtime: list[Runtime] = []

DEFAULT_HEARTBEAT = 30  # RQ's job monitoring interval
DEFAULT_ABANDON_AFTER = 90  # RQ's own lapse: the interval plus 60 s
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 30.0


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
    max_attempts = _max_attempts(job)
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


def delivery_failed(job: Any, connection: Any, kind: Any, value: Any, traceback: Any) -> None:
    """RQ's failure callback: when RQ will not retry the job, release its claim.

    RQ calls it before deciding on a retry, for a job that raised, timed out
    (`job_timeout`) or was abandoned by a dead worker (`AbandonedJobError`).
    """
    if job.should_retry:
        return
    _give_up(job, f"{getattr(kind, '__name__', kind)}")


def _horse_killed(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    # RQ's hook when the process running a job died under a live worker (OOM, kill):
    # RQ retries it if it can, and calls no failure callback, so the claim is ours.
    if not job.should_retry:
        _give_up(job, f"work horse {retpid} ended with status {ret_val}")


def _give_up(job: Any, why: str) -> None:
    delivery_id = str(job.args[0]) if job.args else ""
    if not delivery_id:
        return
    log.error(
        "delivery failed for good (%s); its claim is released so GitHub's Redeliver runs it",
        why,
        extra={"delivery": delivery_id, "job": job.id},
    )
    runtime().deliveries.release(delivery_id)


def _max_attempts(job: Any) -> int:
    meta = getattr(job, "meta", None) or {}
    attempts = meta.get("attempts")
    return attempts if isinstance(attempts, int) else len(DEFAULT_DELAYS) + 1


def worker_class() -> type:
    """RQ's Worker, with the abandoned-job lapse set by `abandon_after`, not fixed at +60 s."""
    from redis.exceptions import ConnectionError, TimeoutError
    from rq import Worker

    class QuarterdeckWorker(Worker):  # type: ignore[misc]
        abandon_after = DEFAULT_ABANDON_AFTER
        stop_signalled = False

        def request_stop(self, signum: int, frame: Any) -> None:
            self.stop_signalled = True  # SIGTERM/SIGINT: stop for good, don't start again
            super().request_stop(signum, frame)

        def get_heartbeat_ttl(self, job: Any, working_time: float = 0.0) -> int:
            # How long a running job's entry in the StartedJobRegistry lives without a
            # heartbeat: RQ's rule (up to the job timeout), with our grace, not 60 s.
            grace = max(1, self.abandon_after - self.job_monitoring_interval)
            if job.timeout and job.timeout > 0:
                left = job.timeout - working_time
                return int(min(left, self.job_monitoring_interval)) + grace
            return int(self.job_monitoring_interval) + grace

        def maintain_heartbeats(self, job: Any, execution: Any) -> None:
            # Redis gone while a job runs: let the job finish rather than leave it to
            # run on, orphaned, while this worker quits; heartbeats resume with Redis.
            try:
                super().maintain_heartbeats(job, execution)
            except (ConnectionError, TimeoutError) as exc:
                log.warning(
                    "no heartbeat for job %s: Redis is unreachable (%s); the job goes on",
                    job.id,
                    _describe(exc),
                )

    return QuarterdeckWorker


def work(
    *,
    burst: bool = False,
    heartbeat: int = DEFAULT_HEARTBEAT,
    abandon_after: int = DEFAULT_ABANDON_AFTER,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Run an RQ worker on the App's queue until stopped (or, with `burst`, until empty).

    `heartbeat`: seconds between a busy worker's heartbeats. `abandon_after`: seconds
    after the last one that its job counts as abandoned and is retried elsewhere; the
    registries are checked as often. Without `burst`, a lost Redis is waited for
    (backoff up to 30 s, one log line per try) and a new RQ worker starts.
    """
    from redis.exceptions import AuthenticationError, ConnectionError, TimeoutError

    rt = runtime()
    if rt.redis is None:
        raise SettingsError("REDIS_URL is not set: `quarterdeck worker` takes jobs from Redis")
    if abandon_after <= heartbeat:
        raise SettingsError(
            f"--abandon-after ({abandon_after} s) must be longer than --heartbeat ({heartbeat} s), "
            "or live jobs would be taken for abandoned"
        )
    display = rt.settings.redis_display
    cls = worker_class()
    cls.abandon_after = abandon_after
    pause = RECONNECT_FIRST
    worker: Any = None
    while True:
        if not burst:
            _wait_for_redis(rt.redis, display, sleep)
        if worker is not None:
            _release_scheduler(worker)
        worker = cls(
            [RQ_QUEUE],
            connection=rt.redis,
            job_monitoring_interval=heartbeat,
            maintenance_interval=abandon_after,
            # The idle dequeue blocks for worker_ttl - 15 s: no longer than between checks
            # of the registries, or an idle worker would not look for abandoned jobs.
            worker_ttl=abandon_after + 15,
            work_horse_killed_handler=_horse_killed,
        )
        log.info("worker listening on %s (queue %s)", display, RQ_QUEUE)
        started = time.monotonic()
        try:
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
            why = "the RQ worker loop ended (see the line before)"
        except AuthenticationError:
            raise
        except (ConnectionError, TimeoutError) as exc:
            if burst:
                raise
            worked, why = False, _describe(exc)
        finally:
            _default_signals()
        if burst or worker.stop_signalled:
            return bool(worked)
        # A loop that keeps ending with Redis up (a bug) must not spin: back off too.
        pause = RECONNECT_FIRST if time.monotonic() - started > RECONNECT_MAX else pause
        log.warning("lost Redis at %s (%s); starting a new worker in %.1f s", display, why, pause)
        sleep(pause)
        pause = min(pause * 2, RECONNECT_MAX)


def _release_scheduler(worker: Any) -> None:
    # The ended worker's scheduler process died with Redis, but its lock (restored
    # with Redis's data) would keep the next one from moving due retries to the queue
    # for a minute. It is ours, so hand it back; RQ's release leaves others' locks be.
    from redis.exceptions import RedisError

    scheduler = getattr(worker, "scheduler", None)
    if scheduler is not None:
        try:
            scheduler.release_locks()
        except RedisError as exc:
            log.warning("could not release the old scheduler's lock: %s", _describe(exc))


def _default_signals() -> None:
    # RQ's handlers belong to the worker that ended; between workers no job runs, so
    # a stop request simply ends the process.
    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _wait_for_redis(client: Any, display: str | None, sleep: Callable[[float], None]) -> None:
    """Ping until Redis answers, backing off from 0.5 s to 30 s between tries."""
    from redis.exceptions import AuthenticationError, ConnectionError, TimeoutError

    delay = RECONNECT_FIRST
    while True:
        try:
            client.ping()
            return
        except AuthenticationError:
            raise
        except (ConnectionError, TimeoutError) as exc:
            log.warning(
                "cannot reach Redis at %s (%s); trying again in %.1f s",
                display,
                _describe(exc),
                delay,
            )
            sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
