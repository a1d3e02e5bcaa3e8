"""RQ's cron route to the monthly reviews and planning issues, for those who run no
system cron:

    rq cron quarterdeck.webhook.rq_cron --url "$REDIS_URL"

One `rq cron` process (RQ 2.5+) enqueues `schedule_due` daily at `SCHEDULE_CRON`
(UTC); a `quarterdeck worker` runs it, which does what `quarterdeck schedule` does
that day (nothing but on a month's first working day or in a planning window).
Importing this module registers the job with RQ's cron; nothing else imports it.
"""

from __future__ import annotations

from rq import cron

from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.schedule_jobs import SCHEDULE_CRON, schedule_due

cron.register(schedule_due, RQ_QUEUE, cron=SCHEDULE_CRON, name="quarterdeck-schedule")
