"""Metrics files (`metrics/YYYY-MM.yml`): the PM's monthly figures as `BusinessMetrics`.

A file holds the company-wide figures (today's flat form) and, optionally, each team's
own under `teams:`. A team's figure replaces the company-wide one in that team's
review; what the team leaves out stays company-wide.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator
from types import MappingProxyType
from typing import Any

from quarterdeck.core.config.essentials import SLUG, BusinessMetrics, MetricsMonth
from quarterdeck.core.config.messages import describe
from quarterdeck.core.config.schema import MetricsFile, TeamMetrics, validate
from quarterdeck.core.config.yaml_nodes import Doc, line_of, read_yaml
from quarterdeck.errors import ConfigError, Problem

__all__ = ["BusinessMetrics", "MetricsMonth", "parse_metrics", "read_metrics_file"]


def parse_metrics(text: str, filename: str) -> BusinessMetrics:
    """The company-wide figures of a `metrics/YYYY-MM.yml` file; raises ConfigError
    listing every problem."""
    return read_metrics_file(text, filename)[0].company


def read_metrics_file(
    text: str, filename: str, *, teams: Collection[str] | None = None
) -> tuple[MetricsMonth, list[Problem]]:
    """Parse a metrics file: its figures and its warnings.

    With `teams` (the config's team slugs), an entry under `teams:` naming no team is a
    warning with the closest slugs: its figures would show in no review. Raises
    ConfigError with every problem (errors and warnings) when the file is invalid.
    """
    doc, problems = read_yaml(text, filename)
    model: MetricsFile | None = None
    warnings: list[Problem] = []
    if doc is not None:
        data = {} if doc.data is None else doc.data
        if isinstance(data, dict):
            model, problems = validate(doc, MetricsFile, data)
            if teams is not None:
                warnings = list(_unknown_teams(doc, data, teams))
        else:
            line = line_of(doc.root.start_mark) if doc.root else None
            problems = [
                Problem(
                    filename,
                    line,
                    "",
                    "expected a mapping with revenue:, product:, feedback:, notes: and "
                    f"teams:, got {describe(data)}",
                )
            ]
    if model is None:
        raise ConfigError(sorted(problems + warnings, key=Problem.reading_order))
    company = _figures(model, filename)
    base = model.model_dump(exclude={"teams"})
    own = {
        slug: _figures(
            TeamMetrics.model_validate(_merge(base, spec.model_dump(exclude_unset=True))), filename
        )
        for slug, spec in model.teams.items()
    }
    return MetricsMonth(company, MappingProxyType(own)), warnings


def _figures(model: TeamMetrics, filename: str) -> BusinessMetrics:
    r, p, f = model.revenue, model.product, model.feedback
    return BusinessMetrics(
        source=filename,
        mrr=r.mrr,
        mrr_growth=r.mrr_growth,
        revenue_churn=r.revenue_churn,
        paying_customers=r.paying_customers,
        active_users=p.active_users,
        user_growth=p.user_growth,
        org_growth=p.org_growth,
        retention=p.retention,
        nps=f.nps,
        interviews=f.interviews,
        support_tickets=f.support_tickets,
        highlights=tuple(h.strip() for h in f.highlights),
        notes=model.notes.strip(),
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`base` with every value `over` gives replacing it, section by section."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_teams(doc: Doc, data: dict[Any, Any], known: Collection[str]) -> Iterator[Problem]:
    entries = data.get("teams")
    if not isinstance(entries, dict):
        return
    slugs = sorted(known)
    for slug in entries:
        if not isinstance(slug, str) or slug in known or not SLUG.fullmatch(slug):
            continue  # a malformed slug is an error of the schema already
        close = difflib.get_close_matches(slug, slugs, n=3)
        if close:
            hint = "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"
        elif slugs:
            hint = f"the config's teams are {', '.join(slugs)}"
        else:
            hint = "the config defines no teams"
        yield Problem(
            doc.file,
            doc.line_of_value(["teams", slug]),
            f"teams.{slug}",
            f"no team '{slug}' in the config, so these figures show in no review; {hint}",
            "warning",
        )
