"""The PM's figures for each team's review, from the sources the config names.

Each queried metric costs one query per run for the whole window (the review month
and the six before it), whichever teams show it: company-wide metrics are asked
once for all teams. A source that fails makes its metric unavailable, with the
reason, and never stops the review.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime

import requests

from quarterdeck.core.business.definitions import MetricDef
from quarterdeck.core.business.figures import WINDOW_MONTHS, MetricFigure, build_figures
from quarterdeck.core.business.series import Series, months_ending
from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config
from quarterdeck.errors import MetricSourceError
from quarterdeck.sources import posthog, warehouse

__all__ = ["FigureSources", "team_figures"]

log = logging.getLogger(__name__)


class FigureSources:
    """What one run asks its metric sources; each distinct query is sent once."""

    def __init__(
        self,
        config: Config,
        env: Mapping[str, str] | None = None,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.env = os.environ if env is None else env
        self.session = session
        self.sleep = sleep
        self.asked: dict[tuple[str, str, datetime, datetime], Series | str] = {}

    @property
    def queries(self) -> int:
        """How many queries this run sent (for the job summary and the benchmark)."""
        return len(self.asked)

    def series(self, metric: MetricDef, start: datetime, end: datetime) -> Series | str:
        """The metric's series over [start, end), or why its source could not give it."""
        key = (metric.source, metric.query, start, end)
        if key not in self.asked:
            try:
                self.asked[key] = self._ask(metric, start, end)
            except MetricSourceError as exc:
                log.warning("%s", exc)
                self.asked[key] = str(exc).removeprefix(f"metric {metric.id}: ")
        return self.asked[key]

    def _ask(self, metric: MetricDef, start: datetime, end: datetime) -> Series:
        sources = self.config.sources
        if metric.source == "posthog":
            if not sources.posthog_project or not sources.posthog_host:
                raise MetricSourceError(
                    f"metric {metric.id}: no PostHog project; add `sources: {{posthog: "
                    "{project: <id>}}` to .github/quarterdeck.yml"
                )
            project = posthog.PostHogProject(sources.posthog_host, sources.posthog_project)
            return posthog.query_series(
                project,
                self.env.get(posthog.KEY_ENV),
                metric.query,
                start,
                end,
                metric=metric.id,
                session=self.session,
                sleep=self.sleep,
            )
        if metric.source == "sql":
            url_env = sources.warehouse_url_env
            if not url_env:
                raise MetricSourceError(
                    f"metric {metric.id}: no warehouse; add `sources: {{warehouse: {{url_env: "
                    "QUARTERDECK_WAREHOUSE_URL}}}}` and set that variable"
                )
            url = self.env.get(url_env)
            return warehouse.query_series(
                url, metric.query, start, end, metric=metric.id, url_env=url_env
            )
        raise MetricSourceError(f"metric {metric.id}: {metric.source} is not a source to query")


def team_figures(
    config: Config, team: str | None, month: Month, sources: FigureSources
) -> tuple[MetricFigure, ...]:
    """The figures `team`'s review shows for `month` (None: only the company-wide ones)."""
    metrics = config.metrics_of(team)
    if not metrics:
        return ()
    tz = config.review.timezone
    start = months_ending(month, WINDOW_MONTHS)[0].start(tz)
    end = month.end(tz)
    fetched = {m.id: sources.series(m, start, end) for m in metrics if m.source != "from"}
    return build_figures(metrics, fetched, month)
