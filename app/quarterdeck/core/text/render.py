"""Render Markdown from Jinja2 templates, sandboxed, with every value escaped.

Templates are data a repo may override, so they run in Jinja2's sandbox; values are
escaped on output (the `finalize` hook) unless a filter below marked them as already
safe Markdown. A PR title like `{{ 7*7 }}` is a value, never template source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from quarterdeck.core.model import PullRequest
from quarterdeck.core.review.figure_rows import change_text, show_value
from quarterdeck.core.review.identities import GUESSED
from quarterdeck.core.review.reasons import rule_words
from quarterdeck.core.review.repositories import from_home, pr_label
from quarterdeck.core.review.work_types import folder_areas
from quarterdeck.core.text.charts import Chart, fence, mermaid_xychart, sparkline
from quarterdeck.core.text.markdown import SafeMarkdown, code_span, escape_inline, mention
from quarterdeck.core.text.units import (
    duration_unit,
    nobreak,
    plural,
    show_duration,
    signed_duration,
    signed_value,
)
from quarterdeck.errors import TemplateError

if TYPE_CHECKING:
    from quarterdeck.core.business.figures import MetricFigure


def _finalize(value: object) -> object:
    if value is None:
        return "—"
    if isinstance(value, SafeMarkdown):
        return value
    return escape_inline(value, max_length=None)


def link(text: object, url: str, title: object = None) -> SafeMarkdown:
    """A Markdown link with escaped text and a URL that cannot break out of `( )`.

    `title` becomes the link's tooltip, on one line, with its quotes and backslashes
    escaped so it cannot end early.
    """
    safe_url = quote(url, safe=":/?#&=%+@,;~-._")
    tip = ""
    if title:
        flat = " ".join(str(title).split()).replace("\\", "\\\\").replace('"', '\\"')
        tip = f' "{flat}"'
    return SafeMarkdown(f"[{escape_inline(text)}]({safe_url}{tip})")


def pr_ref(pr: PullRequest, review: object, title: object = None) -> SafeMarkdown:
    """A PR's number as a review shows it: `#12`, or `sdk#12` when the review reads
    several repositories and the PR is not the home one's; linked to the PR when its
    address is known (`title` is the link's tooltip)."""
    repos = tuple(getattr(review, "repos", ()) or ())
    home_url = str(getattr(review, "repo_url", "") or "")
    label = pr_label(pr, repos)
    url = pr.url
    if not url and home_url and from_home(pr, repos[0] if repos else None):
        url = f"{home_url}/pull/{pr.number}"
    return link(label, url, title) if url else SafeMarkdown(escape_inline(label))


def trusted(value: object) -> SafeMarkdown:
    """Mark a macro's output as safe: it was built from values already escaped on output."""
    return SafeMarkdown(str(value))


def hours(value: float | None, unit: str | None = None) -> str:
    """A duration in hours, in `unit` ("min", "h", "d": one for a whole row or column,
    see `duration_unit`), else in the unit a person reads fastest."""
    return "—" if value is None else show_duration(value, unit)


def unbroken(value: object) -> SafeMarkdown:
    """`value` escaped, then with non-breaking hyphens and spaces: a date in a narrow
    table column stays on one line (escaping first, as it collapses every space)."""
    return SafeMarkdown(nobreak(escape_inline(value, max_length=None)))


def durations_unit(*metrics: object) -> str:
    """The one unit ("min", "h" or "d") a row of duration metrics is written in: by the
    largest of their median, p75 and p90 (an unavailable metric has none)."""
    values: list[float | None] = []
    for metric in metrics:
        if getattr(metric, "available", False):
            values += [getattr(metric, "median", None), getattr(metric, "p75", None)]
            values.append(getattr(metric, "p90", None))
    return duration_unit(values)


def duration_change(change: object, unit: str | None = None) -> str:
    """A change of median duration (a comparison's Change) in the row's `unit`; its
    reason when unavailable."""
    if getattr(change, "available", True) is False:
        return str(getattr(change, "reason", ""))
    delta = getattr(change, "delta", None)
    return signed_duration(delta, unit) if delta is not None else str(getattr(change, "text", ""))


def signed(value: float | None, unit: str = "") -> str:
    """A change with its sign: `+4.2 %`, `−3.0 h`."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{abs(value):.1f}{unit}"


def iso_date(value: date | datetime | None, tz: str | None = None) -> str:
    """`2026-11-30`; a datetime is first put in time zone `tz` (an IANA name) if given,
    so a PR merged at 03:00 UTC on 1 December reads 30 November in Los Angeles."""
    if value is None:
        return "—"
    if tz and isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(tz))
    return value.strftime("%Y-%m-%d")


def mermaid_chart(chart: Chart | None) -> SafeMarkdown:
    """A chart as a ```mermaid fence; nothing for None or a chart with no trend to draw."""
    if chart is None or not chart.drawable:
        return SafeMarkdown("")
    return SafeMarkdown(fence(mermaid_xychart(chart)))


def figure_charts(
    figures: Sequence[MetricFigure], team_figures: Sequence[MetricFigure] | None = None
) -> list[SafeMarkdown]:
    """The fenced line charts of one section's `figures` that the team's review charts
    (chosen among all of `team_figures`: see core.business.figure_charts)."""
    if not figures:
        return []
    # Loaded by a review that has figures: one without metrics never loads the business
    # core at all (the CLI's start-up, issue 23).
    from quarterdeck.core.business.figure_charts import section_charts

    return [mermaid_chart(chart) for chart in section_charts(figures, team_figures)]


def spark(values: Sequence[float | None]) -> SafeMarkdown:
    """A six-month trend as a sparkline (`▁▃▅█`, a gap for a month without data)."""
    return SafeMarkdown(sparkline(values))


def author(pr: PullRequest) -> SafeMarkdown:
    """Who a PR is by, never a mention: `` `jane` ``, `` `jane-doe` (guessed) ``, or
    ``opened by `Copilot` for `jane` `` when a bot or assistant opened it for a person."""
    shown = code_span(pr.author) + (f" {GUESSED}" if pr.author_guessed else "")
    if pr.opened_by:
        shown = f"opened by {code_span(pr.opened_by)} for {shown}"
    return SafeMarkdown(shown)


def make_environment(
    template_dirs: Sequence[Path], overrides: Mapping[str, str] | None = None
) -> SandboxedEnvironment:
    """A sandboxed environment: `overrides` (a repo's own templates, name -> source)
    win, then the first of `template_dirs` that has the file."""
    loader: jinja2.BaseLoader = jinja2.FileSystemLoader([str(d) for d in template_dirs])
    if overrides:
        loader = jinja2.ChoiceLoader([jinja2.DictLoader(dict(overrides)), loader])
    env = SandboxedEnvironment(
        loader=loader,
        autoescape=False,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=escape_inline,
        code=code_span,
        author=author,
        link=link,
        pr_ref=pr_ref,
        hours=hours,
        durations_unit=durations_unit,
        duration_change=duration_change,
        nobreak=unbroken,
        signed=signed,
        date=iso_date,
        chart=mermaid_chart,
        figure_charts=figure_charts,
        spark=spark,
        trusted=trusted,
        mention=mention,
        via=rule_words,
        folders=folder_areas,
        figure=show_value,
        figure_change=change_text,
        figure_delta=signed_value,
        plural=plural,
    )
    return env


def compiled_form(env: jinja2.Environment) -> str:
    """A short name for how `env` compiles templates: Jinja2's version, the class (the
    sandbox compiles operators differently) and every option the generated code depends
    on. Compiled templates kept between runs are reused only under the same name, so a
    Jinja2 upgrade or a changed option never loads stale code."""
    options = (
        jinja2.__version__,
        type(env).__qualname__,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        repr(env.autoescape),
        getattr(env.finalize, "__qualname__", repr(env.finalize)),
        env.undefined.__qualname__,
        sorted(env.extensions),
    )
    return "quarterdeck-" + hashlib.sha256(repr(options).encode()).hexdigest()[:16]


def render(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render template `name`; a broken template raises TemplateError naming file and line."""
    return render_capped(env, name, context, max_chars=None)


def render_capped(
    env: jinja2.Environment,
    name: str,
    context: Mapping[str, object],
    *,
    max_chars: int | None,
) -> str:
    """`render`, stopped with a TemplateError once the output passes `max_chars`.

    The output is built piece by piece, so a template that loops without end stops at
    the cap instead of filling memory. A MemoryError is raised as itself, so whoever
    set a memory limit can name it.
    """
    try:
        stream = env.get_template(name).generate(**context)
        if max_chars is None:
            return "".join(stream)
        parts: list[str] = []
        size = 0
        for part in stream:
            size += len(part)
            if size > max_chars:
                raise TemplateError(
                    f"{name}: the output passed the limit of {max_chars:,} characters; "
                    "a repo template must render a review, not fill memory"
                )
            parts.append(part)
        return "".join(parts)
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise TemplateError(f"{where}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        # `exc.name` is the missing one: `name` itself, or what it imports or includes.
        missing = exc.name or name
        by = "" if missing == name else f" (used by '{name}')"
        raise TemplateError(
            f"template '{missing}'{by} was not found in the template folders"
        ) from None
    except (TemplateError, MemoryError):
        raise
    except Exception as exc:
        # A template is data a repo may override: whatever it does wrong (an unsafe
        # attribute, 1/0, a range over the sandbox's limit, a bad filter argument) is
        # the template's error, reported with its line, never a traceback.
        raise TemplateError(f"{name}: {_template_line(exc)}{_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, jinja2.UndefinedError | jinja2.sandbox.SecurityError):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _template_line(exc: BaseException) -> str:
    # Jinja2 rewrites tracebacks so template frames carry the template's file and line.
    tb = exc.__traceback__
    found = ""
    while tb is not None:
        # A template's frame: a file's path, or "<template>" for one loaded from memory.
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".j2", ".md")) or filename == "<template>":
            found = f"line {tb.tb_lineno}: "
        tb = tb.tb_next
    return found
