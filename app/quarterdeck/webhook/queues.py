"""Where accepted deliveries wait: an in-process worker thread, or RQ over Redis.

Either way the request only enqueues; the work runs after the response. A delivery
whose work finally fails releases its claim, so "Redeliver" on GitHub can retry it.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from quarterdeck.webhook.deliveries import DeliveryStore
from quarterdeck.webhook.handlers.context import Delivery
from quarterdeck.webhook.jobs import DEFAULT_DELAYS, Processor, attempt

log = logging.getLogger("quarterdeck.webhook")
Schedule = Callable[[float, Callable[[], None]], None]
RQ_QUEUE = "quarterdeck"
JOB_TIMEOUT = 300  # seconds for one attempt; then RQ stops it and retries


class Journal(Protocol):
    """Where deliveries wait on disk until their work ends (SQLiteDeliveries)."""

    def keep(
        self, delivery_id: str, event: str, payload: dict[str, Any], source: bytes = b""
    ) -> None:
        """Keep the delivery beside its claim (`source`: the JSON it was read from)."""
        ...

    def finish(self, delivery_id: str) -> None:
        """Its work is done."""
        ...

    def take_over(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Unfinished deliveries of processes that died, now this process's."""
        ...


class WorkQueue(Protocol):
    """What the server needs from a queue."""

    def enqueue(self, delivery: Delivery) -> None:
        """Hand a delivery over; raise if it could not be queued."""
        ...


def _timer(delay: float, run: Callable[[], None]) -> None:
    timer = threading.Timer(delay, run)
    timer.daemon = True
    timer.start()


class BackgroundQueue:
    """One worker thread per process, started on first use (so never at import or
    before a server forks). With a `journal`, each delivery is also kept on disk
    before the request is answered, until its work ends: if the process dies, a
    serving process that starts (`resume`) or GitHub's redelivery does it again.
    Without one, work queued in memory is lost with the process.
    """

    def __init__(
        self,
        processor: Processor,
        deliveries: DeliveryStore,
        *,
        delays: Sequence[float] = DEFAULT_DELAYS,
        schedule: Schedule = _timer,
        journal: Journal | None = None,
    ) -> None:
        self.processor = processor
        self.deliveries = deliveries
        self.journal = journal
        self.delays = tuple(delays)
        self._schedule = schedule
        self._queue: queue.Queue[tuple[Delivery, int]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._pending = 0
        self._idle = threading.Condition(self._lock)

    def enqueue(self, delivery: Delivery) -> None:
        """Keep the delivery in the journal (before the answer), then queue it."""
        if self.journal is not None:
            self.journal.keep(delivery.id, delivery.event, delivery.payload, delivery.source)
        self._put(delivery, 1)

    def resume(self) -> int:
        """Queue the journal's deliveries that a dead process answered but never finished."""
        if self.journal is None:
            return 0
        orphans = self.journal.take_over()
        for delivery_id, event, payload in orphans:
            log.warning(
                "redoing a delivery answered by a process that died before its work ended",
                extra={"delivery": delivery_id, "event": event},
            )
            self._put(Delivery(delivery_id, event, payload), 1)
        return len(orphans)

    def _put(self, delivery: Delivery, number: int) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._work, name="quarterdeck-worker", daemon=True
                )
                self._thread.start()
        self._queue.put((delivery, number))

    def _work(self) -> None:
        while True:
            delivery, number = self._queue.get()
            try:
                self._run(delivery, number)
            except Exception:  # never let the worker thread die
                log.exception("worker error", extra=delivery.log_fields())
            finally:
                with self._lock:
                    self._pending -= 1
                    self._idle.notify_all()

    def _run(self, delivery: Delivery, number: int) -> None:
        max_attempts = len(self.delays) + 1
        verdict = attempt(self.processor, delivery, number, max_attempts)
        if verdict == "done" and self.journal is not None:
            self.journal.finish(delivery.id)
        elif verdict == "retry":
            with self._lock:
                self._pending += 1  # the retry is pending until it runs
            self._schedule(self.delays[number - 1], lambda: self._requeue(delivery, number + 1))
        elif verdict == "dropped":
            self.deliveries.release(delivery.id)

    def _requeue(self, delivery: Delivery, number: int) -> None:
        with self._lock:
            self._pending -= 1
        self._put(delivery, number)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued, running or waiting to retry (for tests, shutdown)."""
        with self._lock:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)


class RQQueue:
    """Deliveries as RQ jobs; `quarterdeck worker` processes run them.

    Each job carries RQ's `Retry` (the delays between attempts), which RQ also uses for
    a job abandoned by a dead worker, and a failure callback that releases the
    delivery's claim once RQ gives up. `job_timeout` bounds one attempt: a handler
    makes a handful of GitHub requests and may wait for a lock (up to a minute).
    """

    def __init__(
        self,
        connection: Any,
        *,
        name: str = RQ_QUEUE,
        delays: Sequence[float] = DEFAULT_DELAYS,
        job_timeout: int = JOB_TIMEOUT,
    ) -> None:
        from rq import Queue

        self.queue = Queue(name, connection=connection)
        self.delays = [int(d) for d in delays]
        self.job_timeout = job_timeout

    def enqueue(self, delivery: Delivery) -> None:
        from rq import Callback, Retry

        retry = Retry(max=len(self.delays), interval=self.delays) if self.delays else None
        self.queue.enqueue(
            "quarterdeck.webhook.worker.run_delivery",
            delivery.id,
            delivery.event,
            delivery.payload,
            retry=retry,
            on_failure=Callback("quarterdeck.webhook.worker.delivery_failed"),
            meta={"attempts": len(self.delays) + 1},
            job_timeout=self.job_timeout,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{delivery.event} {delivery.repo or ''} {delivery.id}",
        )
