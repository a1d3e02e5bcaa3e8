"""Metrics files (`metrics/YYYY-MM.yml`): the PM's monthly figures as `BusinessMetrics`."""

from __future__ import annotations

from dataclasses import dataclass

from quarterdeck.core.config.messages import describe, sort_problems, validate
from quarterdeck.core.config.schema import MetricsFile
from quarterdeck.core.config.yaml_nodes import line_of, read_yaml
from quarterdeck.errors import ConfigError, Problem

__all__ = ["BusinessMetrics", "parse_metrics"]


@dataclass(frozen=True)
class BusinessMetrics:
    """A month's figures from the PM; None means "not supplied", never zero."""

    source: str  # display file name, e.g. metrics/2026-11.yml
    mrr: float | None = None
    mrr_growth: float | None = None  # percent
    revenue_churn: float | None = None  # percent
    paying_customers: int | None = None
    active_users: int | None = None
    user_growth: float | None = None  # percent
    org_growth: float | None = None  # percent
    retention: float | None = None  # percent
    nps: float | None = None
    interviews: int | None = None
    support_tickets: int | None = None
    highlights: tuple[str, ...] = ()
    notes: str = ""

    @property
    def has_revenue(self) -> bool:
        """True when any revenue figure was supplied."""
        return any(
            v is not None
            for v in (self.mrr, self.mrr_growth, self.revenue_churn, self.paying_customers)
        )

    @property
    def has_product(self) -> bool:
        """True when any product-analytics figure was supplied."""
        return any(
            v is not None
            for v in (self.active_users, self.user_growth, self.org_growth, self.retention)
        )

    @property
    def has_feedback(self) -> bool:
        """True when any feedback figure or highlight was supplied."""
        figures = (self.nps, self.interviews, self.support_tickets)
        return any(v is not None for v in figures) or bool(self.highlights)


def parse_metrics(text: str, filename: str) -> BusinessMetrics:
    """Parse a `metrics/YYYY-MM.yml` file; raises ConfigError listing every problem."""
    doc, problems = read_yaml(text, filename)
    model: MetricsFile | None = None
    if doc is not None:
        data = {} if doc.data is None else doc.data
        if isinstance(data, dict):
            model, problems = validate(doc, MetricsFile, data)
        else:
            line = line_of(doc.root.start_mark) if doc.root else None
            problems = [
                Problem(
                    filename,
                    line,
                    "",
                    "expected a mapping with revenue:, product:, feedback: and notes:, "
                    f"got {describe(data)}",
                )
            ]
    if model is None:
        raise ConfigError(sort_problems(problems))
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
