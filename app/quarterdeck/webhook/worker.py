"""The RQ side: `run_delivery` is the job; `work` runs a worker (`quarterdeck worker`).

What keeps a delivery from being lost, all with RQ's own mechanisms:

- No Redis failure that passes ends the worker (`redis_faults.passing`): gone, timing
  out (paused), loading, read-only after a failover, out of memory under `noeviction`,
  back empty after a restart. Every step of RQ's loop that talks to Redis turns such
  a failure into the quiet end of the loop (`RedisLost`, a StopRequested to RQ); a
  busy worker's failing heartbeats let its job finish. `work` then waits until Redis
  takes a write, with backoff and one log line when the outage starts and one when
  it ends (the URL without its password), and starts a new RQ worker on the same
  queue, which registers itself anew. A wrong password or an ACL refusal ends it.
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
from quarterdeck.webhook.redis_faults import describe, passing
from quarterdeck.webhook.runtime import Runtime, build_runtime
from quarterdeck.webhook.settings import SettingsError, load_settings

log = logging.getLogger("quarterdeck.webhook")
_runtime: list[Runtime] = []

DEFAULT_HEARTBEAT = 30  # RQ's job monitoring interval
DEFAULT_ABANDON_AFTER = 90  # RQ's own lapse: the interval plus 60 s
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 30.0
PROBE_KEY = "quarterdeck:worker:probe"  # written to learn that Redis takes writes


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
    if not (isinstance(kind, type) and issubclass(kind, RetryLater)):
        _count_lost(job)  # timed out or abandoned: `attempt` never got to count it
    if job.should_retry:
        return
    _give_up(job, f"{getattr(kind, '__name__', kind)}")


def _horse_killed(job: Any, retpid: int, ret_val: int, rusage: Any) -> None:
    # RQ's hook when the process running a job died under a live worker (OOM, kill):
    # RQ retries it if it can, and calls no failure callback, so the claim is ours.
    _count_lost(job)
    if not job.should_retry:
        _give_up(job, f"work horse {retpid} ended with status {ret_val}")


def _count_lost(job: Any) -> None:
    """Count, in the metrics, a job RQ ended outside `attempt`: retried or failed."""
    from quarterdeck.webhook.metrics import RedisWork

    rt = runtime()
    if rt.redis is not None:
        event = str(job.args[1]) if job.args and len(job.args) > 1 else ""
        RedisWork(rt.redis).lost(event, "retried" if job.should_retry else "failed")


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


class RedisLost(Exception):
    """Redis failed in a way that passes (`redis_faults.passing`): the RQ worker ends
    its loop quietly and `work` waits for Redis, then starts a new one."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


def worker_class() -> type[Any]:
    """RQ's Worker, with the abandoned-job lapse set by `abandon_after`, not fixed at +60 s,
    and every Redis failure that passes turned into the end of its loop (`RedisLost`)."""
    from rq import Queue, Worker
    from rq.exceptions import StopRequested

    class Lost(RedisLost, StopRequested):
        # RQ's loop ends on StopRequested without logging a traceback, and runs its
        # teardown; anything else it logs as "unhandled exception, quitting".
        pass

    def lost(call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            except Exception as exc:
                if isinstance(exc, RedisLost):
                    found: RedisLost = exc
                elif passing(exc):
                    found = Lost(exc)
                else:
                    raise
                if args and isinstance(args[0], QuarterdeckWorker):
                    args[0].lost_to = found  # RQ's loop swallows it: `work` asks here
                raise found from exc

        return wrapped

    class QuarterdeckQueue(Queue):
        @classmethod
        def dequeue_any(cls, *args: Any, **kwargs: Any) -> Any:
            # RQ's idle loop retries a lost connection by itself, one log line per try
            # and with its old connection state: ours waits once, and starts afresh.
            return lost(super().dequeue_any)(*args, **kwargs)

    class QuarterdeckWorker(Worker):
        abandon_after = DEFAULT_ABANDON_AFTER
        stop_signalled = False
        lost_to: RedisLost | None = None
        heartbeat_failing = False
        queue_class = QuarterdeckQueue

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
            # Redis failing while a job runs: let the job finish rather than leave it to
            # run on, orphaned, while this worker quits; heartbeats resume with Redis.
            try:
                super().maintain_heartbeats(job, execution)
                self.heartbeat_failing = False
            except Exception as exc:
                if not passing(exc):
                    raise
                if not self.heartbeat_failing:  # once per outage, not per beat
                    log.warning(
                        "no heartbeat for job %s: Redis fails (%s); the job goes on",
                        job.id,
                        describe(exc),
                    )
                self.heartbeat_failing = True

        # Every step of RQ's loop that talks to Redis: a failure that passes ends the
        # loop (`Lost`), and `work` waits for Redis. A job cut off by it stays in RQ's
        # StartedJobRegistry, which retries it once its heartbeat lapses.
        dequeue_job_and_maintain_ttl = lost(Worker.dequeue_job_and_maintain_ttl)
        check_for_suspension = lost(Worker.check_for_suspension)
        run_maintenance_tasks = lost(Worker.run_maintenance_tasks)
        heartbeat = lost(Worker.heartbeat)
        execute_job = lost(Worker.execute_job)

        def bootstrap(self, *args: Any, **kwargs: Any) -> None:
            # Before RQ's loop and its teardown: a listener thread already started
            # is stopped here, or each outage would leave one behind.
            try:
                lost(Worker.bootstrap)(self, *args, **kwargs)
            except RedisLost:
                self.unsubscribe()
                raise

        def register_death(self) -> None:
            # The loop ended because Redis fails: its record lapses by its own TTL.
            try:
                super().register_death()
            except Exception as exc:
                if not passing(exc):
                    raise

        def unsubscribe(self) -> None:
            # RQ's own waits for its listener thread without a bound, and that thread
            # may sit a minute in a read when Redis fails under it: wait a second,
            # then let the daemon thread go.
            thread = self.pubsub_thread
            if thread is None:
                return
            steps = (self.pubsub.unsubscribe, lambda: thread.stop(timeout=1), self.pubsub.close)
            for step in steps:
                try:
                    step()
                except Exception as exc:
                    if not passing(exc):
                        raise
            self.pubsub_thread = None

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
    registries are checked as often. Without `burst`, a Redis failure that passes (gone,
    timing out, read-only after a failover, out of memory, loading, back empty after a
    restart) is waited for, with backoff up to 30 s and one log line per outage, and a
    new RQ worker starts on the same queue. A wrong password or ACL ends it.
    """
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
    failure: BaseException | None = None
    while True:
        if not burst:
            _wait_for_redis(rt.redis, display, sleep, failure)
        if worker is not None:
            _release_scheduler(worker)
            worker = None
        log.info("worker listening on %s (queue %s)", display, RQ_QUEUE)
        started = time.monotonic()
        failure = None
        worked = False
        try:
            # Making the worker talks to Redis too (its name, its address).
            worker = cls(
                [RQ_QUEUE],
                connection=rt.redis,
                job_monitoring_interval=heartbeat,
                maintenance_interval=abandon_after,
                # The idle dequeue blocks for worker_ttl - 15 s: no longer than between
                # checks of the registries, or an idle worker would not look for
                # abandoned jobs.
                worker_ttl=abandon_after + 15,
                work_horse_killed_handler=_horse_killed,
            )
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
        except Exception as exc:
            if burst or not (isinstance(exc, RedisLost) or passing(exc)):
                raise
            failure = exc
        finally:
            _default_signals()
        if worker is not None:
            failure = failure or worker.lost_to
        stopped = worker is not None and worker.stop_signalled
        if burst or stopped:
            if isinstance(failure, RedisLost):
                raise failure.cause
            return bool(worked)
        if failure is not None:
            continue  # Redis fails: wait for it (logged there), then a new worker
        # A loop that ends with Redis up (a bug: RQ logged why) must not spin: back off.
        pause = RECONNECT_FIRST if time.monotonic() - started > RECONNECT_MAX else pause
        log.warning(
            "the RQ worker loop ended (see the line before); starting a new worker in %.1f s",
            pause,
        )
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
            log.warning("could not release the old scheduler's lock: %s", describe(exc))


def _default_signals() -> None:
    # RQ's handlers belong to the worker that ended; between workers no job runs, so
    # a stop request simply ends the process.
    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def _wait_for_redis(
    client: Any,
    display: str | None,
    sleep: Callable[[float], None],
    failure: BaseException | None = None,
) -> None:
    """Until Redis takes a write, backing off from 0.5 s to 30 s between tries.

    A write, not a PING: a read-only replica and a full Redis answer PING. Logged once
    when the outage is found and once when it ends, never per try.
    """
    delay = RECONNECT_FIRST
    lost_at: float | None = None
    if failure is not None:
        lost_at = time.monotonic()
        _log_outage(display, failure)
    while True:
        try:
            client.set(PROBE_KEY, "1", ex=60)
            break
        except Exception as exc:
            if not passing(exc):
                raise
            if lost_at is None:
                lost_at = time.monotonic()
                _log_outage(display, exc)
            sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)
    if lost_at is not None:
        # The pool's other connections may be from before the outage: after a restart each
        # would fail once more and look like a second outage to the next worker.
        client.connection_pool.disconnect()
        log.warning(
            "Redis at %s takes writes again after %.1f s; the worker resumes",
            display,
            time.monotonic() - lost_at,
        )


def _log_outage(display: str | None, exc: BaseException) -> None:
    cause = exc.cause if isinstance(exc, RedisLost) else exc
    from redis.exceptions import ConnectionError, TimeoutError

    if isinstance(cause, ConnectionError | TimeoutError):
        what = f"cannot reach Redis at {display}"
    else:
        what = f"Redis at {display} refuses the worker's writes"
    log.warning(
        "%s (%s); waiting for it, trying again with backoff up to %.0f s; jobs resume when "
        "it takes writes",
        what,
        describe(cause),
        RECONNECT_MAX,
    )
