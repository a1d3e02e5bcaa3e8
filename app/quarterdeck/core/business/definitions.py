"""What a metric is: its id, title, unit, section, one source, and a target.

PostHog's per-product reviews look at a standard list; `STANDARD` names it, so a
team writes only the query (`{id: mrr, sql: "…"}`) and the rest comes from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from quarterdeck.core.business.breakdown import BreakdownDef
from quarterdeck.core.business.series import Target

__all__ = [
    "SECTIONS",
    "SOURCE_KINDS",
    "STANDARD",
    "UNITS",
    "Derivation",
    "MetricDef",
    "Standard",
    "Unit",
    "parse_derivation",
]

# The type is the one list; UNITS is its values (a Literal over a variable is no type).
Unit = Literal["usd", "eur", "gbp", "percent", "count", "score", "days"]
UNITS: tuple[str, ...] = get_args(Unit)
SECTIONS = ("revenue", "product", "feedback")  # or any heading a team writes
SOURCE_KINDS = ("posthog", "sql", "file", "from")
_DERIVATION = re.compile(
    r"^\s*(growth|ratio|sum)\(\s*([a-z][a-z0-9_]*(?:\s*,\s*[a-z][a-z0-9_]*)*)\s*\)\s*$"
)
_ARITY = {"growth": (1, 1), "ratio": (2, 2), "sum": (2, 99)}


@dataclass(frozen=True)
class Standard:
    title: str
    unit: str
    section: str
    derived: str | None = None  # the formula when the metric is computed, not queried


# PostHog's standard list: revenue, growth, retention, customers, input metrics, NPS.
STANDARD: dict[str, Standard] = {
    "mrr": Standard("MRR", "usd", "revenue"),
    "arr": Standard("ARR", "usd", "revenue"),
    # No standard metric carries a target: a target is what a team set, never a default.
    # PostHog's growth benchmarks (above 9 % for a mature product, 15–20 % for a newer
    # one) are suggested, commented out, in `init`'s starter config.
    "mrr_growth": Standard("MRR month-on-month growth", "percent", "revenue", "growth(mrr)"),
    "new_revenue": Standard("New revenue", "usd", "revenue"),
    "expansion_revenue": Standard("Expansion revenue", "usd", "revenue"),
    "contraction_revenue": Standard("Contraction revenue", "usd", "revenue"),
    "churned_revenue": Standard("Churned revenue", "usd", "revenue"),
    "revenue_retention": Standard("Revenue retention", "percent", "revenue"),
    "nrr": Standard("Net revenue retention (quarterly)", "percent", "revenue"),
    "paying_customers": Standard("Paying customers", "count", "revenue"),
    "customer_growth": Standard(
        "Paying customer growth", "percent", "revenue", "growth(paying_customers)"
    ),
    "activation": Standard("Activation", "percent", "product"),
    "key_actions": Standard("Key product actions", "count", "product"),
    "active_users": Standard("Active users", "count", "product"),
    "retention": Standard("User retention", "percent", "product"),
    "nps": Standard("NPS", "score", "feedback"),
}


@dataclass(frozen=True)
class Derivation:
    """A metric computed from others: growth(m), ratio(a, b) or sum(a, b, …)."""

    kind: str
    inputs: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(self.inputs)})"


def parse_derivation(text: str) -> Derivation:
    """`growth(mrr)` -> Derivation("growth", ("mrr",)); ValueError saying what is allowed."""
    m = _DERIVATION.match(text)
    if not m:
        raise ValueError(
            f"{text!r} is not a formula Quarterdeck computes: write growth(m), ratio(a, b) "
            "or sum(a, b, …) with metric ids"
        )
    kind = m.group(1)
    inputs = tuple(part.strip() for part in m.group(2).split(","))
    low, high = _ARITY[kind]
    if not low <= len(inputs) <= high:
        wanted = "one metric" if high == 1 else ("two metrics" if low == high else "two or more")
        raise ValueError(f"{kind}() takes {wanted}, got {len(inputs)}: {text!r}")
    return Derivation(kind, inputs)


@dataclass(frozen=True)
class MetricDef:
    """One figure a review shows, with where it comes from.

    `source` is one of SOURCE_KINDS; `query` is the HogQL or SQL text, the metrics
    file key (`revenue.mrr`), or the formula. `team` is None for company-wide metrics.
    """

    id: str
    title: str
    unit: str
    section: str
    source: str
    query: str
    target: Target | None = None
    team: str | None = None
    alert: bool = True  # the two-sigma anomaly rule
    chart: bool | None = None  # a line chart in the review; None: figure_charts.charted decides
    key: bool = False  # a key metric of the team: charted first (see figure_charts.charted)
    # The segments to explain it by when it is flagged (None: it is not broken down).
    breakdown: BreakdownDef | None = None

    @property
    def derivation(self) -> Derivation | None:
        return parse_derivation(self.query) if self.source == "from" else None

    @property
    def in_points(self) -> bool:
        """Whether its changes are told in points (percentages, scores), not percent."""
        return self.unit in ("percent", "score")
