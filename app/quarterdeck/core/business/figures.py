"""A team's figures for one review: each metric over the window, derived, judged. Pure.

`build_figures` takes the metric definitions, what each queried metric's source
gave (a series, or why it failed) and the review's window, computes the derived
metrics (`growth(mrr)`, …) from the others, and returns one `MetricFigure` each:
its values over the window, whether it met its target, and its anomaly.
A failed source makes its metric, and the metrics derived from it, unavailable;
it never stops the review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quarterdeck.core.business.breakdown import Breakdown
from quarterdeck.core.business.definitions import MetricDef
from quarterdeck.core.business.series import (
    Anomaly,
    Series,
    anomaly,
    growth,
    ratio,
    total,
)
from quarterdeck.core.calendar import Month

__all__ = ["MetricFigure", "build_figures"]


@dataclass(frozen=True)
class MetricFigure:
    """One metric in a review: its monthly values (None: no data), or why it has none."""

    metric: MetricDef
    months: tuple[Month, ...]  # oldest first, the review month last
    values: tuple[float | None, ...]
    unavailable: str | None = None
    # Why it moved, by segment: read only for a flagged figure whose metric has a
    # `breakdown` (services.team_figures), None otherwise.
    breakdown: Breakdown | None = None

    @property
    def flagged(self) -> bool:
        """Whether "What to discuss" raises it: a missed target or an anomaly."""
        return self.target_met is False or self.anomaly is not None

    @property
    def current(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def previous(self) -> float | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def target_met(self) -> bool | None:
        """True or False against the target this month; None with no target or no data."""
        target, now = self.metric.target, self.current
        return None if target is None or now is None else target.met(now)

    @property
    def anomaly(self) -> Anomaly | None:
        if not self.metric.alert or self.unavailable:
            return None
        series = {m: v for m, v in zip(self.months, self.values, strict=True) if v is not None}
        return anomaly(series, self.months)


def build_figures(
    metrics: Sequence[MetricDef], fetched: Mapping[str, Series | str], window: Sequence[Month]
) -> tuple[MetricFigure, ...]:
    """Figures for `metrics`, in their order, over `window` (the review month and the
    six before it, oldest first: `ReviewPeriod.window`). `fetched` maps each queried
    metric's id to its series, or to the reason its source failed; derived metrics are
    computed."""
    window = tuple(window)
    known: dict[str, Series | str] = dict(fetched)
    by_id = {m.id: m for m in metrics}
    for metric in metrics:
        if metric.source == "from":
            known[metric.id] = _derive(metric, known, by_id, set())
    out = []
    for metric in metrics:
        got = known.get(metric.id, f"no figures for {metric.id}")
        if isinstance(got, str):
            out.append(MetricFigure(metric, window, (None,) * len(window), got))
        else:
            out.append(MetricFigure(metric, window, tuple(got.get(m) for m in window)))
    return tuple(out)


def _derive(
    metric: MetricDef,
    known: dict[str, Series | str],
    by_id: Mapping[str, MetricDef],
    visiting: set[str],
) -> Series | str:
    derivation = metric.derivation
    assert derivation is not None
    if metric.id in visiting:
        return f"{metric.id} is computed from itself"
    visiting.add(metric.id)
    inputs: list[Series] = []
    for name in derivation.inputs:
        got = known.get(name)
        if got is None and name in by_id and by_id[name].source == "from":
            got = known[name] = _derive(by_id[name], known, by_id, visiting)
        if got is None:
            return f"{derivation} needs metric {name}, which the config doesn't define"
        if isinstance(got, str):
            return f"{derivation} needs {name}, which is unavailable ({got})"
        inputs.append(got)
    if derivation.kind == "growth":
        return growth(inputs[0])
    if derivation.kind == "ratio":
        return ratio(inputs[0], inputs[1])
    return total(*inputs)
