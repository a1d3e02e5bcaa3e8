"""What an operator scrapes: `GET /metrics` in Prometheus' text format (prometheus-client).

Two kinds of figures, kept where the process that makes them can write them and the
serving processes can read them:

- **At the door** (every serving process): deliveries by event and outcome, and the
  time to answer them. `quarterdeck serve --workers N` runs N processes, so these use
  prometheus-client's multiprocess mode: `serve` points PROMETHEUS_MULTIPROC_DIR at a
  directory of this run's own (`multiprocess_dir`) before it starts the processes, each
  writes its own files there, and a scrape, whichever process answers it, sums them.
- **The work** (jobs handled, retried, failed; their time; GitHub's remaining rate
  limit): with REDIS_URL it runs in `quarterdeck worker` processes, often on another
  host or in another container, so they count in Redis (`RedisWork`: one hash, a
  handful of HINCRBYs per job) and the scrape reads it back (`RedisCollector`), along
  with the queue's depth and RQ's registries, at scrape time. A shared directory would
  bind the worker to the server's disk; Redis is already what both share. Without
  Redis the work runs in the serving processes' own threads and counts in the
  multiprocess files like the door's (`LocalWork`).

Label values are bounded: an event is one the App knows (`KNOWN_EVENTS`) or `other`,
an outcome one of the fixed words below; no repository, login, delivery id, URL or
secret is ever a label or a value.
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from quarterdeck.webhook.routes import EVENTS

log = logging.getLogger("quarterdeck.webhook")

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own setting
KNOWN_EVENTS = frozenset({*EVENTS, "ping"})
OTHER = "other"
# The door's outcomes, by the status of a refusal (intake.Refusal).
REFUSED = {401: "bad_signature", 413: "too_large", 415: "unsupported_type"}
# A job's outcome, by jobs.attempt's verdict.
JOB_OUTCOMES = {"done": "handled", "retry": "retried", "dropped": "failed"}
# A job makes a handful of GitHub requests and may wait a minute for a lock; RQ stops
# one after 300 s (queues.JOB_TIMEOUT).
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
REDIS_KEY = "quarterdeck:metrics"


def event_label(event: str | None) -> str:
    """The event as a label value: one the App knows, else `other` (the header is the
    sender's text until the signature is checked, and GitHub adds events)."""
    return event if event in KNOWN_EVENTS else OTHER


def refusal_outcome(status: int) -> str:
    """The door's outcome for a refusal's status: anything not named is `malformed`."""
    return REFUSED.get(status, "malformed")


# --------------------------------------------------------------------- at the door


@functools.cache
def _door() -> tuple[Any, Any, Any]:
    """The door's registry, counter and histogram (made once per process, on first use,
    after serve has set PROMETHEUS_MULTIPROC_DIR)."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry(auto_describe=True)
    deliveries = Counter(
        "quarterdeck_deliveries",
        "Webhook deliveries received, by event and by what the door did with them.",
        ["event", "outcome"],
        registry=registry,
    )
    seconds = Histogram(
        "quarterdeck_delivery_seconds",
        "Seconds from a delivery's whole body to its answer (checks, claim, enqueue).",
        ["event"],
        registry=registry,
    )
    return registry, deliveries, seconds


def record_delivery(event: str | None, outcome: str, seconds: float | None = None) -> None:
    """Count one delivery at the door; `seconds`, when given, into the answer histogram.

    Never raises: a figure that can't be written (the multiprocess directory removed
    under a running server) must not turn a delivery's answer into a 500.
    """
    label = event_label(event)
    try:
        _, deliveries, histogram = _door()
        deliveries.labels(label, outcome).inc()
        if seconds is not None:
            histogram.labels(label).observe(seconds)
    except Exception as exc:
        log.warning("could not count a delivery in the metrics (%s)", _why(exc))


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


# ------------------------------------------------------------------------ the work

Record = Callable[[str, str, float, int | None], None]


class LocalWork:
    """Jobs counted in this process (the serving processes' own worker threads, without
    Redis): prometheus-client's objects, summed across processes by the multiprocess files."""

    def __init__(self) -> None:
        self.jobs, self.seconds, self.remaining = _local_work()

    def __call__(self, event: str, verdict: str, seconds: float, remaining: int | None) -> None:
        """Record one attempt of a job (never raises, as `record_delivery`)."""
        label = event_label(event)
        try:
            self.jobs.labels(label, JOB_OUTCOMES.get(verdict, verdict)).inc()
            self.seconds.labels(label).observe(seconds)
            if remaining is not None:
                self.remaining.set(remaining)
        except Exception as exc:
            log.warning("could not count a job in the metrics (%s)", _why(exc))


@functools.cache
def _local_work() -> tuple[Any, Any, Any]:
    # Made only where the work runs in-process: in Redis mode the same names come from
    # RedisCollector, and one family must not be exposed twice.
    from prometheus_client import Counter, Gauge, Histogram

    registry = _work_registry()
    jobs = Counter("quarterdeck_jobs", _JOBS_HELP, ["event", "outcome"], registry=registry)
    seconds = Histogram(
        "quarterdeck_job_seconds", _SECONDS_HELP, ["event"], buckets=JOB_BUCKETS, registry=registry
    )
    remaining = Gauge(
        "quarterdeck_github_rate_limit_remaining",
        _RATE_HELP,
        registry=registry,
        multiprocess_mode="mostrecent",  # the last one any process saw
    )
    return jobs, seconds, remaining


@functools.cache
def _work_registry() -> Any:
    from prometheus_client import CollectorRegistry

    return CollectorRegistry(auto_describe=True)


_JOBS_HELP = "Attempts at deliveries' work, by event and outcome (handled, retried, failed)."
_SECONDS_HELP = "Seconds one attempt at a delivery's work took, by event."
_RATE_HELP = "GitHub's X-RateLimit-Remaining, as last seen by a job (all installations)."


class RedisWork:
    """Jobs counted in Redis, where `quarterdeck worker` processes on any host can add to
    them and a scrape of any serving process reads them (`RedisCollector`).

    One pipeline per attempt, never raising: a figure lost to a Redis hiccup must not
    fail the work it counts.
    """

    def __init__(self, redis: Any, key: str = REDIS_KEY) -> None:
        self.redis = redis
        self.key = key

    def __call__(self, event: str, verdict: str, seconds: float, remaining: int | None) -> None:
        """Record one attempt of a job."""
        label = event_label(event)
        bucket = next((i for i, bound in enumerate(JOB_BUCKETS) if seconds <= bound), None)
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hincrby(self.key, f"jobs|{label}|{JOB_OUTCOMES.get(verdict, verdict)}", 1)
            pipe.hincrby(self.key, f"bucket|{label}|{'inf' if bucket is None else bucket}", 1)
            pipe.hincrbyfloat(self.key, f"sum|{label}", seconds)
            if remaining is not None:
                pipe.hset(self.key, "rate_remaining", remaining)
            pipe.execute()
        except Exception as exc:
            log.warning("could not count a job in Redis's metrics (%s)", type(exc).__name__)

    def lost(self, event: str, outcome: str) -> None:
        """Count a job RQ ended outside `attempt` (timed out, abandoned, its process killed)."""
        try:
            self.redis.hincrby(self.key, f"jobs|{event_label(event)}|{outcome}", 1)
        except Exception as exc:
            log.warning("could not count a job in Redis's metrics (%s)", type(exc).__name__)


class RedisCollector:
    """Read at scrape time from Redis: the work's figures (`RedisWork`) and the queue.

    When Redis does not answer, `quarterdeck_redis_up` is 0 and the rest is left out
    (a scrape never fails for it).
    """

    def __init__(self, redis: Any, queue_name: str, key: str = REDIS_KEY) -> None:
        self.redis = redis
        self.queue_name = queue_name
        self.key = key

    def describe(self) -> list[Any]:
        """No fixed description: what Redis holds is read at each scrape."""
        return []

    def collect(self) -> Iterator[Any]:
        """The families, from one HGETALL and a few counts."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        up = GaugeMetricFamily("quarterdeck_redis_up", "1 when Redis answered this scrape.")
        try:
            raw = self.redis.hgetall(self.key)
            depth = self._queue()
        except Exception as exc:
            log.warning("metrics: Redis did not answer the scrape (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        values = {k.decode(): v.decode() for k, v in raw.items()}
        jobs = CounterMetricFamily("quarterdeck_jobs", _JOBS_HELP, labels=["event", "outcome"])
        buckets: dict[str, list[int]] = {}
        sums: dict[str, float] = {}
        for name, value in sorted(values.items()):
            kind, _, rest = name.partition("|")
            if kind == "jobs":
                event, _, outcome = rest.partition("|")
                jobs.add_metric([event, outcome], int(value))
            elif kind == "bucket":
                event, _, index = rest.partition("|")
                counts = buckets.setdefault(event, [0] * (len(JOB_BUCKETS) + 1))
                counts[len(JOB_BUCKETS) if index == "inf" else int(index)] += int(value)
            elif kind == "sum":
                sums[rest] = float(value)
        yield jobs
        histogram = HistogramMetricFamily(
            "quarterdeck_job_seconds", _SECONDS_HELP, labels=["event"]
        )
        for event, counts in sorted(buckets.items()):
            histogram.add_metric([event], _cumulative(counts), sums.get(event, 0.0))
        yield histogram
        if "rate_remaining" in values:
            rate = GaugeMetricFamily("quarterdeck_github_rate_limit_remaining", _RATE_HELP)
            rate.add_metric([], float(values["rate_remaining"]))
            yield rate
        queue = GaugeMetricFamily(
            "quarterdeck_queue_jobs",
            "Jobs in the App's RQ queue now: waiting, scheduled (a retry's delay), "
            "started, failed (RQ's failed-job registry).",
            labels=["state"],
        )
        for state, count in depth.items():
            queue.add_metric([state], count)
        yield queue

    def _queue(self) -> dict[str, int]:
        from rq import Queue
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        queue = Queue(self.queue_name, connection=self.redis)
        # Counted without RQ's cleanup: a scrape must not move or fail anyone's jobs.
        counts = {"waiting": int(self.redis.llen(queue.key))}
        for state, kind in (
            ("scheduled", ScheduledJobRegistry),
            ("started", StartedJobRegistry),
            ("failed", FailedJobRegistry),
        ):
            counts[state] = int(self.redis.zcard(kind(queue=queue).key))
        return counts


def _cumulative(counts: list[int]) -> list[tuple[str, float]]:
    bounds = [*(repr(float(b)) for b in JOB_BUCKETS), "+Inf"]
    total = 0
    out: list[tuple[str, float]] = []
    for bound, count in zip(bounds, counts, strict=True):
        total += count
        out.append((bound, total))
    return out


# ----------------------------------------------------------------------- exposition


class _Merged:
    """The collectors of registries made elsewhere, as one collector."""

    def __init__(self, registries: Iterable[Any]) -> None:
        self.registries = list(registries)

    def collect(self) -> Iterator[Any]:
        for registry in self.registries:
            yield from registry.collect()


def exposition(redis: Any, queue_name: str) -> Any:
    """The registry `GET /metrics` renders: the door's figures (summed across processes
    in multiprocess mode), and the work's from Redis or from this process."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_VARIABLE):
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry)
    else:
        local = [_door()[0]] + ([] if redis is not None else [_work_registry()])
        registry.register(_Merged(local))
    if redis is not None:
        registry.register(RedisCollector(redis, queue_name))
    return registry


def authorized(header: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `Bearer <token>` (constant time)."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        given = ""
    return hmac.compare_digest(given.strip().encode(), token.encode())


def multiprocess_dir() -> tuple[Path, bool]:
    """The directory this run's serving processes write their figures to, emptied of
    any earlier run's files; and whether it is ours to remove at the end.

    PROMETHEUS_MULTIPROC_DIR when the operator set it (its `*.db` files are removed:
    prometheus-client's rule is a directory wiped between runs), else a new one under
    the temporary directory. Set in the environment before the processes start.
    """
    given = os.environ.get(MULTIPROC_VARIABLE, "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path, False
    path = Path(tempfile.mkdtemp(prefix="quarterdeck-metrics-"))
    os.environ[MULTIPROC_VARIABLE] = str(path)
    return path, True


def remove_dir(path: Path) -> None:
    """Remove a directory `multiprocess_dir` made (the end of a run)."""
    shutil.rmtree(path, ignore_errors=True)
