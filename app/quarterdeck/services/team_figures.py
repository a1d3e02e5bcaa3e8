"""The PM's figures for each team's review, from the sources the config names.

Each queried metric costs one query per run for the whole window (the review month
and the six before it), whichever teams show it: company-wide metrics are asked
once for all teams. `file:` metrics read the repository's `metrics/YYYY-MM.yml`
files of the window, each file once per run however many metrics and teams use it
(the legacy "previous vs current" rows read the same cached files). A source that
fails makes its metric unavailable, with the reason, and never stops the review.

PostHog queries carry a key, so `PostHogAccess` says which one and where it may go:
the CLI and the Action use `POSTHOG_PERSONAL_API_KEY` and the operator's
`QUARTERDECK_POSTHOG_HOSTS` from their environment (the person running them chose
both); the App passes the key its operator mapped to the installation, or none.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import MetricsMonth
from quarterdeck.core.model import Config
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.errors import ConfigError, MetricSourceError, QuarterdeckError
from quarterdeck.sources.repo_files import FileReader, metrics_in

# The business core (figures, breakdowns, question tables, PostHog's key rules) is
# imported by the methods that use it: a review whose config names no metrics and no
# question queries never loads it (the CLI's start-up, issue 23).
if TYPE_CHECKING:
    from quarterdeck.core.business.breakdown import Breakdown
    from quarterdeck.core.business.definitions import MetricDef
    from quarterdeck.core.business.figures import MetricFigure
    from quarterdeck.core.business.series import Series
    from quarterdeck.core.outbound_policy import PostHogAccess
    from quarterdeck.core.review.evidence import EvidenceQuery, EvidenceTable
    from quarterdeck.sources.posthog import PostHogProject

__all__ = [
    "FigureSources",
    "WarehouseAccess",
    "question_evidence",
    "team_figures",
]

log = logging.getLogger(__name__)

# A question's query as asked once per run: (source, query text, start, end).
_Key = tuple[str, str, datetime, datetime]
# What a source answered a question's query: its column names, its rows (at most
# MAX_ROWS + 1) and when it answered; or why it could not.
_Answer = tuple[list[str], list[Any], datetime] | str


@dataclass(frozen=True)
class WarehouseAccess:
    """The warehouse URL `sql:` metrics query, where it came from (for messages), and
    what to say when there is none. The App's, per installation; the CLI and the Action
    read the variable the config's `warehouse.url_env` names instead."""

    url: str | None
    url_source: str
    no_url: str


class FigureSources:
    """What one run asks its metric sources; each distinct query is sent once and each
    metrics file read once.

    `config` and `reader` (the repository's files, for `file:` metrics) may be given
    later with `bind`, so a caller can make the run's sources before the config is read
    and count its queries afterwards.
    """

    def __init__(
        self,
        config: Config | None = None,
        env: Mapping[str, str] | None = None,
        *,
        posthog: PostHogAccess | None = None,
        warehouse: WarehouseAccess | None = None,
        sleep: Callable[[float], None] = time.sleep,
        reader: FileReader | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config or Config()
        self.env = os.environ if env is None else env
        self.posthog = posthog  # None: from `env`, when a query first needs it
        self.warehouse = warehouse  # None: the variable the config names, from `env`
        self.sleep = sleep
        self.reader = reader
        self.clock = clock  # when a source answered: a question's table is "as of" then
        self.answers: dict[_Key, _Answer] = {}  # the questions' queries, each asked once
        self.asked: dict[tuple[str, str, datetime, datetime], Series | str] = {}
        # Flagged metrics' breakdowns: their rows, or why the source gave none.
        self.explained: dict[
            tuple[str, str, datetime, datetime], Sequence[Sequence[object]] | str
        ] = {}
        self.files_read = 0  # metrics files read (for the job summary)
        self._listing: list[str] | None = None
        self._months: dict[Month, MetricsMonth | QuarterdeckError | None] = {}

    def bind(self, config: Config, reader: FileReader | None = None) -> FigureSources:
        """Answer for `config`, reading `file:` metrics through `reader`, from now on;
        the queries sent so far stay counted. Returns self."""
        if reader is not self.reader:  # another repository's files: read them afresh
            self._listing, self._months = None, {}
        self.config, self.reader = config, reader
        return self

    @property
    def queries(self) -> int:
        """How many queries this run sent (for the job summary and the benchmarks): one
        per distinct metric query, breakdown query and question query."""
        return len(self.asked) + len(self.explained) + len(self.answers)

    def tables(
        self, queries: Sequence[EvidenceQuery], start: datetime, end: datetime
    ) -> tuple[EvidenceTable, ...]:
        """Each question query's table over [start, end) (`period` names the month).

        Each distinct query is asked once per run, whichever teams show it; the
        warehouse's are sent together over one connection, PostHog's one request each
        (its query API takes one query a request). A source that fails makes its
        question's table unavailable, with the reason; the others still come.
        """
        new = [q for q in queries if (q.source, q.query, start, end) not in self.answers]
        sql = list({q.query: q for q in new if q.source == "sql"}.values())
        if sql:
            self._ask_warehouse(sql, start, end)
        for q in new:
            key = (q.source, q.query, start, end)
            if q.source != "sql" and key not in self.answers:
                self.answers[key] = self._ask_posthog(q, start, end)
        period = f"{start:%Y-%m}"
        return tuple(
            _table(q, period, self.answers[(q.source, q.query, start, end)]) for q in queries
        )

    def series(
        self, metric: MetricDef, start: datetime, end: datetime, *, team: str | None = None
    ) -> Series | str:
        """The metric's series over [start, end), or why its source could not give it.

        `team` is the team whose review shows it: a `file:` metric takes that team's own
        values from the metrics files (company-wide ones where it has none).
        """
        if metric.source == "file":
            return self._file_series(metric, start, end, team or metric.team)
        key = (metric.source, metric.query, start, end)
        if key not in self.asked:
            try:
                self.asked[key] = self._ask(metric, start, end)
            except MetricSourceError as exc:
                log.warning("%s", exc)
                self.asked[key] = str(exc).removeprefix(f"metric {metric.id}: ")
        return self.asked[key]

    def _ask_warehouse(
        self, queries: Sequence[EvidenceQuery], start: datetime, end: datetime
    ) -> None:
        labels = [f"question {q.question + 1}" for q in queries]
        try:
            url, url_env = self._warehouse_url(labels[0])
        except MetricSourceError as exc:
            why = str(exc).removeprefix(f"{labels[0]}: ")  # the same for every question
            for q in queries:
                self.answers[("sql", q.query, start, end)] = why
            return
        from quarterdeck.core.review.evidence import MAX_ROWS
        from quarterdeck.sources import warehouse  # SQLAlchemy only when asked (start-up)

        found = warehouse.query_tables(
            url,
            [q.query for q in queries],
            start,
            end,
            limits=[MAX_ROWS] * len(queries),
            labels=labels,
            url_env=url_env,
        )
        now = self.clock()
        for q, label, answer in zip(queries, labels, found, strict=True):
            key = ("sql", q.query, start, end)
            if isinstance(answer, str):
                log.warning("%s", answer)
                self.answers[key] = answer.removeprefix(f"{label}: ")
            else:
                self.answers[key] = (answer[0], answer[1], now)

    def _ask_posthog(self, query: EvidenceQuery, start: datetime, end: datetime) -> _Answer:
        label = f"question {query.question + 1}"
        from quarterdeck.sources import posthog  # loaded by the first PostHog query

        if query.source == "hogql":
            node: dict[str, Any] = {
                "kind": "HogQLQuery",
                "query": query.query,
                "values": {"start": posthog.when(start), "end": posthog.when(end)},
            }
        else:
            # The review's month unless the funnel names its own dates; PostHog reads
            # `date_to` as the whole of that day.
            last = datetime.fromtimestamp(end.timestamp() - 1, end.tzinfo)
            month = {"date_from": f"{start:%Y-%m-%d}", "date_to": f"{last:%Y-%m-%d}"}
            node = {"kind": "FunnelsQuery", "dateRange": month, **query.funnel}
        try:
            project, access = self._posthog_project(label)
            results, columns = posthog.query_node(
                project, access, node, label=label, sleep=self.sleep
            )
        except MetricSourceError as exc:
            log.warning("%s", exc)
            return str(exc).removeprefix(f"{label}: ")
        return ([str(c) for c in columns], results, self.clock())

    def _posthog_project(self, label: str) -> tuple[PostHogProject, PostHogAccess]:
        """Where PostHog queries go and the key they carry; raises MetricSourceError
        naming `label` when the config names no project."""
        sources = self.config.sources
        if not sources.posthog_project or not sources.posthog_host:
            raise MetricSourceError(
                f"{label}: no PostHog project; add `sources: {{posthog: "
                "{project: <id>}}` to .github/quarterdeck.yml"
            )
        from quarterdeck.sources.posthog import PostHogProject

        project = PostHogProject(sources.posthog_host, sources.posthog_project)
        if self.posthog is not None:
            return project, self.posthog
        from quarterdeck.core.outbound_policy import PostHogAccess

        try:
            return project, PostHogAccess.from_env(self.env)
        except ValueError as exc:  # the operator's host settings are malformed
            raise MetricSourceError(str(exc)) from None

    def _warehouse_url(self, label: str) -> tuple[str | None, str]:
        """The warehouse URL (None: not set) and where it came from; raises
        MetricSourceError naming `label` when the config names no warehouse."""
        url_env = self.config.sources.warehouse_url_env
        if not url_env:
            raise MetricSourceError(
                f"{label}: no warehouse; add `sources: {{warehouse: {{url_env: "
                "QUARTERDECK_WAREHOUSE_URL}}` and set that variable"
            )
        if self.warehouse is not None:
            if self.warehouse.url is None:
                raise MetricSourceError(f"{label}: {self.warehouse.no_url}")
            return self.warehouse.url, self.warehouse.url_source
        return self.env.get(url_env), url_env

    def metrics_month(self, month: Month) -> MetricsMonth | None:
        """`month`'s metrics file, read at most once per run; None when there is none.

        Raises ConfigError when the file is invalid (QuarterdeckError when GitHub
        refuses the read), every time it is asked for.
        """
        if month not in self._months:
            try:
                self._months[month] = self._read_month(month)
            except QuarterdeckError as exc:
                self._months[month] = exc
        got = self._months[month]
        if isinstance(got, QuarterdeckError):
            raise got
        return got

    def _read_month(self, month: Month) -> MetricsMonth | None:
        if self.reader is None:
            return None
        folder = self.config.review.metrics_dir
        if self._listing is None:
            self._listing = self.reader.list_dir(folder.strip("/"))
        found = metrics_in(self.reader, self._listing, folder, month)
        if found is not None:
            self.files_read += 1
        return found

    def _file_series(
        self, metric: MetricDef, start: datetime, end: datetime, team: str | None
    ) -> Series | str:
        if self.reader is None:
            return "this run reads no metrics files"
        from quarterdeck.core.business.series import month_of

        series: dict[Month, float] = {}
        month, last = month_of(start), month_of(end).previous()
        while month <= last:
            try:
                found = self.metrics_month(month)
            except QuarterdeckError as exc:
                why = _unreadable(exc)
                log.warning("metric %s: %s", metric.id, why)
                return why
            value = found.of(team).figure(metric.query) if found else None
            if value is not None:  # a missing file or key is no data, never 0
                series[month] = value
            month = month.next()
        return series

    def breakdown(self, metric: MetricDef, month: Month, tz: str) -> Breakdown | None:
        """Why flagged `metric` moved in `month`: its breakdown's one query over that month
        and the one before (each distinct query sent once per run), or the breakdown
        unavailable with the reason; None when the metric names no breakdown."""
        definition = metric.breakdown
        if definition is None:
            return None
        previous = month.previous()
        start, end = previous.start(tz), month.end(tz)
        key = (definition.source, definition.query, start, end)
        if key not in self.explained:
            try:
                self.explained[key] = self._rows(
                    definition.source, definition.query, start, end, metric.id
                )
            except MetricSourceError as exc:
                log.warning("%s (its breakdown by %s)", exc, definition.by)
                self.explained[key] = str(exc).removeprefix(f"metric {metric.id}: ")
        from quarterdeck.core.business.breakdown import breakdown_from_rows, unavailable_breakdown

        got = self.explained[key]
        if isinstance(got, str):
            return unavailable_breakdown(definition, month, previous, got)
        try:
            return breakdown_from_rows(
                definition,
                got,
                month,
                previous,
                f"the breakdown by {definition.by}",
                quote=definition.source != "posthog",  # PostHog's cells stay unshown, as a series'
            )
        except ValueError as exc:
            return unavailable_breakdown(definition, month, previous, str(exc))

    def _ask(self, metric: MetricDef, start: datetime, end: datetime) -> Series:
        got = self._query(metric.source, metric.query, start, end, metric.id, series=True)
        assert isinstance(got, dict)
        return got

    def _rows(
        self, source: str, query: str, start: datetime, end: datetime, metric: str
    ) -> Sequence[Sequence[object]]:
        got = self._query(source, query, start, end, metric, series=False)
        assert isinstance(got, list)
        return got

    def _query(
        self, source: str, query: str, start: datetime, end: datetime, metric: str, *, series: bool
    ) -> Series | Sequence[Sequence[object]]:
        # One request to the source `source` names, read as a `(month, value)` series or
        # as rows; errors name `metric`.
        label = f"metric {metric}"
        if source == "posthog":
            project, access = self._posthog_project(label)
            from quarterdeck.sources import posthog  # loaded by the first PostHog query

            return (posthog.query_series if series else posthog.query_rows)(
                project, access, query, start, end, metric=metric, sleep=self.sleep
            )
        if source == "sql":
            url, url_env = self._warehouse_url(label)
            # Imported here, and only here: SQLAlchemy is loaded when a SQL metric is
            # read, not by every command (start-up cost; tests/test_install.py).
            from quarterdeck.sources import warehouse

            read = warehouse.query_series if series else warehouse.query_rows
            return read(url, query, start, end, metric=metric, url_env=url_env)
        raise MetricSourceError(f"metric {metric}: {source} is not a source to query")


def team_figures(
    config: Config, team: str | None, period: ReviewPeriod, sources: FigureSources
) -> tuple[MetricFigure, ...]:
    """The figures `team`'s review of `period` shows (None: only the company-wide ones),
    over the period's window."""
    metrics = config.metrics_of(team)
    if not metrics:
        return ()
    tz = config.review.timezone
    start, end = period.window[0].start(tz), period.month.end(tz)
    fetched = {
        m.id: sources.series(m, start, end, team=team) for m in metrics if m.source != "from"
    }
    from quarterdeck.core.business.figures import build_figures

    figures = build_figures(metrics, fetched, period.window)
    # One more query per flagged metric that names a breakdown, never for the others:
    # the "why" is asked only where "What to discuss" raises the figure.
    return tuple(
        replace(f, breakdown=sources.breakdown(f.metric, period.month, tz))
        if f.flagged and f.metric.breakdown and not f.unavailable
        else f
        for f in figures
    )


def _unreadable(exc: QuarterdeckError) -> str:
    if isinstance(exc, ConfigError) and exc.problems:
        more = len(exc.problems) - 1
        also = f" (and {more} more problem(s))" if more else ""
        return f"{exc.problems[0]}{also}; `quarterdeck validate` lists them"
    return str(exc)


def question_evidence(
    config: Config, period: ReviewPeriod, sources: FigureSources
) -> tuple[EvidenceTable, ...]:
    """The tables of the questions that carry a query, over the review's month (each
    query asked once per run, whichever teams' reviews show it)."""
    if not config.review.evidence:
        return ()
    tz = config.review.timezone
    return sources.tables(config.review.evidence, period.month.start(tz), period.month.end(tz))


def _table(query: EvidenceQuery, period: str, answer: _Answer) -> EvidenceTable:
    from quarterdeck.core.review.evidence import funnel_table, make_table, unavailable_table

    if isinstance(answer, str):
        return unavailable_table(query, period, answer)
    names, rows, as_of = answer
    try:
        if query.source == "funnel":
            return funnel_table(query, period, rows, as_of)
        if not all(isinstance(r, list | tuple) for r in rows):
            raise ValueError("the query's results are not rows")
        return make_table(query, period, names, rows, as_of)
    except (ValueError, TypeError, AttributeError) as exc:
        return unavailable_table(query, period, f"{exc}; see the README on questions' queries")
