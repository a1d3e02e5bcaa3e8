"""What the config package offers without pydantic or PyYAML: the config's path, the
limits on a file, the id patterns and a month's figures.

An offline review of a repository without Quarterdeck files needs only these (its
config is the domain `Config()`'s defaults), so it starts without importing the
validators: `quarterdeck.core.config` loads its other modules on first use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

__all__ = [
    "CONFIG_PATH",
    "FILE_TOO_LARGE",
    "LOGIN",
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "SLUG",
    "BusinessMetrics",
    "MetricsMonth",
]

CONFIG_PATH = ".github/quarterdeck.yml"

# Limits that keep a hostile or broken file from hanging the loader. Real config files
# are a few kilobytes and a handful of levels deep, so these never bite honest users.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_ALIAS_EXPANSION = 10_000  # extra values that aliases (*name) may add to a document
FILE_TOO_LARGE = "file is larger than 1 MB; Quarterdeck files are small, so split it or trim it"

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
# GitHub logins: letters, digits, hyphens; `_` appears in enterprise-managed logins and
# `[bot]` in app logins. Loose on purpose: the goal is to catch "@alice" and "Alice Smith".
LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}(\[bot\])?")


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

    def figure(self, key: str) -> float | None:
        """The number at `key` (`revenue.mrr`, one of the schema's METRICS_FILE_KEYS,
        which validating the config checks); None: not given."""
        name = key.partition(".")[2]
        if name not in _FIGURES:
            raise ValueError(f"{key!r} is not a figure of the metrics files")
        value = getattr(self, name)
        return None if value is None else float(value)


# The numbers among BusinessMetrics' fields: what a `file:` metric may read.
_FIGURES = frozenset(
    f.name for f in fields(BusinessMetrics) if f.name not in ("source", "highlights", "notes")
)


@dataclass(frozen=True)
class MetricsMonth:
    """One metrics file: the company-wide figures and each team's, company-wide filled in."""

    company: BusinessMetrics
    teams: Mapping[str, BusinessMetrics] = field(default_factory=lambda: MappingProxyType({}))

    def of(self, team: str | None) -> BusinessMetrics:
        """The figures `team`'s review shows: the team's own where it gave them, else the
        company-wide ones (None, or a team the file does not name: company-wide only)."""
        return self.teams.get(team, self.company) if team is not None else self.company
