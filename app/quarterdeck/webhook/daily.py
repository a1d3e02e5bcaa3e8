"""`quarterdeck schedule --daily`: the daily schedule as one long-running process, for
a deployment with no system cron (the compose file's `schedule` service, a systemd
unit).

It checks the App's settings like every command (all problems at once, Redis
required), then runs RQ's cron scheduler with the one job `webhook/rq_cron.py`
registers: `schedule_due`, daily at `SCHEDULE_CRON` (UTC), enqueued for a
`quarterdeck worker`, which does what `quarterdeck schedule` does that day. The same
as `rq cron quarterdeck.webhook.rq_cron`, with the App's settings, logs and errors.
"""

from __future__ import annotations

import logging

from quarterdeck.webhook.settings import Settings, SettingsError

log = logging.getLogger("quarterdeck.webhook")

CRON_CONFIG = "quarterdeck.webhook.rq_cron"  # the one place the daily job is registered


def run_daily(settings: Settings) -> int:
    """Register the daily job with RQ's cron and run it until SIGTERM or SIGINT (0)."""
    from redis.exceptions import RedisError
    from rq.cron import CronScheduler

    from quarterdeck.webhook.runtime import redis_client

    connection = redis_client(settings)
    if connection is None:  # load_settings(require_redis=True) has refused this already
        raise SettingsError("REDIS_URL is not set: `quarterdeck schedule --daily` enqueues there")
    try:
        connection.ping()  # a wrong URL is one line now, not a traceback at the first beat
        scheduler = CronScheduler(connection=connection)
        scheduler.load_config_from_file(CRON_CONFIG)
        log.info("daily schedule: %d job(s) registered", len(scheduler.get_jobs()))
        scheduler.start()
    except RedisError as exc:
        # The restart policy (compose, systemd) starts it again once Redis is back.
        raise settings.redis_unusable(exc) from None
    return 0
