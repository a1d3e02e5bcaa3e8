"""`quarterdeck schedule` and its RQ job: the App's monthly reviews and quarterly planning
issues, with no workflow file.

`schedule` lists the App's installations (with its JWT) and enqueues one job per
installation and due period, `run_schedule(installation, period)`, on the queue
`quarterdeck worker` takes from: a month's reviews on its first working day, a
quarter's planning issues on each day of its planning window. Its job id
(`review-<installation>-<month>`, `plan-<installation>-<quarter>`) is the same on
every run:

- a job of that id still queued, scheduled for a retry or running: nothing new is
  enqueued;
- a finished or failed one: its outcome is printed, and a fresh run replaces it
  (publishing is idempotent, so a re-run writes only what changed).

Each job carries RQ's `Retry`; a job that fails on its last attempt stays in RQ's
failed registry (`rq info`, and the next `schedule` prints its error) for
`KEEP_SECONDS`. Without `--month` or `--quarter`, `schedule` acts only on the days
work is due (`core.schedule.due_month` and `due_quarter`, in UTC), so a daily cron is
enough; the same, as an RQ cron job, is `schedule_due` (see `webhook/rq_cron.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from quarterdeck.core.calendar import Month, is_quarter
from quarterdeck.core.review.review_month import month_error
from quarterdeck.core.schedule import (
    Installation,
    due_month,
    due_quarter,
    next_due,
    schedule_job_id,
)
from quarterdeck.errors import QuarterdeckError
from quarterdeck.redact import redact
from quarterdeck.webhook.installation_access import installation_figures, installation_slack
from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.settings import Settings, SettingsError, load_settings

log = logging.getLogger("quarterdeck.webhook")

# Daily at 12:00 UTC: by then the month is over in every timezone a config may name
# (UTC-12 to UTC+14), so the review of the month just ended is whole.
SCHEDULE_CRON = "0 12 * * *"
DEFAULT_RETRY_DELAYS = (60, 600, 3600)  # seconds before each retry: then it is failed for good
JOB_TIMEOUT = 1800  # one attempt: every home's reviews, each a handful of searches
KEEP_SECONDS = 40 * 24 * 3600  # finished and failed jobs, until the next month's run
SCHEDULE_NEEDS_REDIS = "`quarterdeck schedule` enqueues for RQ workers"
_PENDING = {"queued", "started", "scheduled", "deferred"}


def schedule_now(
    *,
    now: datetime | None = None,
    month: Month | None = None,
    quarter: str | None = None,
    dry_run: bool = False,
    delays: Sequence[int] | None = None,
    daily: bool = False,
) -> int:
    """`quarterdeck schedule` (its command line is the CLI's, `cli/app.py`): enqueue the
    work due `now` (default: this moment), or the `month`'s or `quarter`'s, one job per
    installation; print a line per step. `delays`: seconds before each retry
    (default `DEFAULT_RETRY_DELAYS`). `daily`: keep running, enqueuing each day's work
    (RQ's cron) until stopped."""
    # A dry run only lists; anything else enqueues, so a missing REDIS_URL is told
    # with every other missing setting, not after them.
    settings = load_settings(require_redis=not dry_run, redis_for=SCHEDULE_NEEDS_REDIS)
    configure_logging(settings.secrets())
    if daily:
        from quarterdeck.webhook.daily import run_daily

        return run_daily(settings)
    for line in schedule_lines(
        settings,
        now or datetime.now(UTC),
        month=month,
        quarter=quarter,
        dry_run=dry_run,
        delays=DEFAULT_RETRY_DELAYS if delays is None else delays,
    ):
        print(f"quarterdeck: {line}", flush=True)
    return 0


def schedule_due() -> list[str]:
    """RQ cron's job (`webhook/rq_cron.py`): what `schedule` does today, from a worker."""
    from quarterdeck.webhook.worker import runtime

    lines = schedule_lines(runtime().settings, datetime.now(UTC))
    for line in lines:
        log.info("schedule: %s", line)
    return lines


def schedule_lines(
    settings: Settings,
    now: datetime,
    *,
    month: Month | None = None,
    quarter: str | None = None,
    dry_run: bool = False,
    delays: Sequence[int] = DEFAULT_RETRY_DELAYS,
) -> list[str]:
    """Enqueue (or, `dry_run`, plan) the work due at `now`, or the `month`'s reviews or
    the `quarter`'s planning issues when named; one line per step taken."""
    today = now.astimezone(UTC).date()
    periods: list[str] = []
    if month is not None:
        if (why := month_error(month, today)) is not None:
            raise QuarterdeckError(why)
        periods.append(str(month))
    elif quarter is not None:
        periods.append(quarter)
    else:
        due = [due_month(today), due_quarter(today)]
        periods = [str(p) for p in due if p is not None]
    if not periods:
        first = next_due(today)
        return [
            f"{today.isoformat()} (UTC) is neither the first working day of its month nor "
            f"in a quarter's planning window; nothing to schedule (next reviews: "
            f"{first.isoformat()}). Pass --month YYYY-MM or --quarter YYYY-Qn to schedule "
            "them now"
        ]
    if settings.app_id is None or settings.private_key is None:
        raise SettingsError("QUARTERDECK_APP_ID and a private key are needed to list installations")
    queue = None
    if settings.redis_url is not None:
        from quarterdeck.webhook.runtime import redis_client

        queue = ReviewQueue(redis_client(settings), delays)
    elif not dry_run:
        raise SettingsError(f"REDIS_URL is not set: {SCHEDULE_NEEDS_REDIS}")
    from quarterdeck.sources.github.installations import app_installations

    installations = app_installations(
        settings.app_id, settings.private_key.get_secret_value(), base_url=settings.github_api_url
    )
    # A named quarter is planned now, window or not: the job publishes with force.
    force = quarter is not None
    lines = []
    for period in periods:
        lines.append(f"{_what(period)}: {len(installations)} installation(s) of the App")
        for installation in installations:
            done = _one(queue, installation, period, dry_run, force)
            lines.append(f"installation {_name(installation)}: {done}")
    return lines


def _what(period: str) -> str:
    return f"{'planning issues' if is_quarter(period) else 'reviews'} of {period}"


def _one(
    queue: ReviewQueue | None, installation: Installation, period: str, dry_run: bool, force: bool
) -> str:
    if installation.suspended:
        return "suspended on GitHub; skipped (unsuspend it in the installation's settings)"
    if queue is None:
        return f"would enqueue {schedule_job_id(installation.id, period)}"
    return queue.enqueue(installation.id, period, dry_run=dry_run, force=force)


def _name(installation: Installation) -> str:
    return (
        f"{installation.id} ({installation.account})"
        if installation.account
        else str(installation.id)
    )


class ReviewQueue:
    """The scheduled jobs on the App's RQ queue, one per installation and period (a
    month's reviews, a quarter's planning issues)."""

    def __init__(self, connection: Any, delays: Sequence[int] = DEFAULT_RETRY_DELAYS) -> None:
        from rq import Queue

        # Imported here: the queue module loads every webhook handler, which a dry run
        # without Redis (no ReviewQueue) never needs.
        from quarterdeck.webhook.queues import RQ_QUEUE

        self.connection = connection
        self.queue = Queue(RQ_QUEUE, connection=connection)
        self.delays = [int(d) for d in delays]

    def enqueue(
        self,
        installation_id: int,
        period: Month | str,
        *,
        dry_run: bool = False,
        force: bool = False,
    ) -> str:
        """Enqueue the job unless one is pending; say what was done and what came before.
        `force`: a planning job opens its issues even outside the planning window."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        period = str(period)
        job_id = schedule_job_id(installation_id, period)
        try:
            previous: Any = Job.fetch(job_id, connection=self.connection)
        except NoSuchJobError:
            previous = None
        if previous is not None and _status(previous) in _PENDING:
            return f"{job_id} is already {_status(previous)}; nothing new enqueued"
        before = f" (previous run {outcome(previous)})" if previous is not None else ""
        if dry_run:
            return f"would enqueue {job_id}{before}"
        # Two `schedule` runs at once: only one of them enqueues.
        if not self.connection.set(f"quarterdeck:schedule:{job_id}", "1", nx=True, ex=60):
            return f"{job_id} is being enqueued by another `schedule` run; nothing new enqueued"
        try:
            if previous is not None:
                previous.delete()
            self._enqueue(job_id, installation_id, period, force)
        finally:
            self.connection.delete(f"quarterdeck:schedule:{job_id}")
        return f"enqueued {job_id}{before}"

    def _enqueue(self, job_id: str, installation_id: int, period: str, force: bool) -> None:
        from rq import Callback, Retry

        retry = Retry(max=len(self.delays), interval=self.delays) if self.delays else None
        self.queue.enqueue(
            "quarterdeck.webhook.schedule_jobs.run_schedule",
            installation_id,
            period,
            force,
            job_id=job_id,
            retry=retry,
            on_failure=Callback("quarterdeck.webhook.schedule_jobs.schedule_failed"),
            meta={"attempts": len(self.delays) + 1},
            job_timeout=JOB_TIMEOUT,
            result_ttl=KEEP_SECONDS,
            failure_ttl=KEEP_SECONDS,
            description=f"{_what(period)} for installation {installation_id}",
        )


def outcome(job: Any) -> str:
    """A finished or failed review job's outcome, in one line."""
    status = _status(job)
    when = f" at {job.ended_at:%Y-%m-%d %H:%M} UTC" if job.ended_at else ""
    if status == "finished":
        result = job.return_value() or {}
        return f"finished{when}: {result.get('summary', 'done')}"
    if status == "failed":
        error = (job.meta or {}).get("error") or "see `rq info` and the worker's log"
        text = " ".join(redact(str(error)).split())  # one line, however the error spans
        return f"failed{when}: {text[:400]}" + ("…" if len(text) > 400 else "")
    return status


def _status(job: Any) -> str:
    status = job.get_status()
    return str(getattr(status, "value", status))


def run_schedule(installation_id: int, period: str, force: bool = False) -> dict[str, Any]:
    """RQ job: review and publish a month (`period` YYYY-MM) in every home of one
    installation, or open and keep current a quarter's planning issues (YYYY-Qn;
    `force` opens them outside the planning window).

    Raises (so RQ retries, then fails the job) when the installation can't be reached
    or any of its homes failed; the other homes are published first.
    """
    from rq import get_current_job

    from quarterdeck.services.scheduled_work import plan_installation, review_installation
    from quarterdeck.webhook.worker import runtime

    job = get_current_job()
    attempts = (job.meta or {}).get("attempts", 1) if job is not None else 1
    left = job.retries_left if job is not None and job.retries_left is not None else 0
    planning = is_quarter(period)
    fields = {"installation": installation_id, "quarter" if planning else "month": period}
    fields |= {"attempt": attempts - left, "job": job.id if job is not None else None}
    what = "planning issues" if planning else "reviews"
    try:
        processor = runtime().processor
        from quarterdeck.sources.github.gateway import GitHubGateway

        gh = GitHubGateway(processor.github_factory(installation_id))
        if planning:
            today = datetime.now(UTC).date()
            run = plan_installation(
                gh, installation_id, period, today, force=force, writer=processor.identity
            )
        else:
            figures = installation_figures(runtime().settings, installation_id)
            run = review_installation(
                gh,
                installation_id,
                Month.parse(period),
                figure_sources=figures,
                writer=processor.identity,
                slack=installation_slack(runtime().settings, installation_id),
            )
    except Exception as exc:
        error = redact(str(exc)) or type(exc).__name__
        log.error("scheduled %s failed: %s", what, error, extra=fields)
        if job is not None:
            job.meta["error"] = error
            job.save_meta()
        raise
    log.info("scheduled %s published: %s", what, run.describe(), extra=fields)
    return run.to_json()


def schedule_failed(job: Any, connection: Any, kind: Any, value: Any, traceback: Any) -> None:
    """RQ's failure callback: say when an installation's scheduled job failed for good."""
    if job.should_retry:
        return
    installation = job.args[0] if job.args else None
    period = str(job.args[1]) if len(job.args) > 1 else ""
    log.error(
        "scheduled %s failed for good; the job stays in RQ's failed registry, and the "
        "next `quarterdeck schedule` prints its error",
        "planning issues" if is_quarter(period) else "reviews",
        extra={"installation": installation, "job": job.id},
    )
