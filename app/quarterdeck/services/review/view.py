"""The growth review's view model: one team's review, as the template renders it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quarterdeck.core.calendar import Month, weeks_of_quarter
from quarterdeck.core.config import BusinessMetrics
from quarterdeck.core.goals.objectives import ObjectiveGroup, group_by_objective
from quarterdeck.core.model import Objective, Team
from quarterdeck.core.review.figure_rows import FigureRow, figure_rows
from quarterdeck.core.review.goal_changes import CarriedForward
from quarterdeck.core.review.monthly import (
    Balance,
    TeamMonth,
    balance_kinds,
    speed_charts,
    total_balance,
)
from quarterdeck.core.review.progress import GoalProgress
from quarterdeck.core.review.review_month import HistorySpan
from quarterdeck.core.review.summary import TeamSummary
from quarterdeck.core.review.work_types import (
    NOT_FOLDERS,
    AreaGroup,
    TypeGroup,
    group_by_area,
    group_by_type,
    main_folder,
)
from quarterdeck.core.text.charts import Chart
from quarterdeck.core.text.units import duration_unit

if TYPE_CHECKING:  # loaded with the figures, by a review that has some (start-up)
    from quarterdeck.core.business.definitions import MetricDef
    from quarterdeck.core.business.figures import MetricFigure
    from quarterdeck.core.review.evidence import EvidenceTable

# Which of the quarter's three monthly reviews this is, and what it is for.
REVIEW_FOCUS = {
    1: "First review of the quarter: is the research done, and has work started on every goal?",
    2: "Mid-quarter review: what have we learned so far, and does the plan still hold?",
    3: "Last review before planning: what impact did this quarter's work have?",
}


@dataclass(frozen=True)
class TeamReview:
    """Everything one team's growth review shows; the template renders this directly."""

    repo: str
    month: Month
    previous_month: Month
    team: Team | None  # None: work no team owns
    summary: TeamSummary
    questions: tuple[str, ...]
    business: BusinessMetrics | None = None
    previous_business: BusinessMetrics | None = None
    warnings: tuple[str, ...] = ()
    branch: str = ""
    source: str = "git"
    repo_url: str = ""  # https://github.com/owner/name when known: PR numbers become links
    metrics_dir: str = "metrics"
    timezone: str = "UTC"  # review.timezone: months and the dates shown are in it
    # The configured metrics over the review month and the six before it.
    figures: tuple[MetricFigure, ...] = ()
    # The repo's own templates (name -> source), overriding the bundled ones.
    templates: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Every repository the review read ("owner/name"), the home one first.
    repos: tuple[str, ...] = ()
    # Last month's decision and what changed in the team's goals since (None: not read).
    carried: CarriedForward | None = None
    # The company objectives of the review's quarter (every team's review has them all).
    objectives: tuple[Objective, ...] = ()
    # What each clone's history covers (offline; GitHub mode knows every PR: none).
    histories: tuple[HistorySpan, ...] = ()
    # False when the month is not over or the history does not cover it; the reasons
    # are among `warnings` too (see `with_period_warnings`).
    complete: bool = True
    incomplete_reasons: tuple[str, ...] = ()
    # The tables of the questions that carry a query (each names its question's index).
    evidence: tuple[EvidenceTable, ...] = ()

    def evidence_for(self, question: int) -> EvidenceTable | None:
        """The table under question `question` (0-based); None when it carries no query."""
        return next((t for t in self.evidence if t.question == question), None)

    @property
    def figure_months(self) -> tuple[Month, ...]:
        """The six months the trend tables show (the window's first month only feeds growth)."""
        return self.figures[0].months[1:] if self.figures else ()

    def figures_in(self, section: str) -> tuple[MetricFigure, ...]:
        """The configured metrics of one section, in config order."""
        return tuple(f for f in self.figures if f.metric.section == section)

    @property
    def custom_sections(self) -> tuple[str, ...]:
        """Sections teams named beyond revenue, product and feedback, in order."""
        if not self.figures:
            return ()
        # With the figures only: a review without metrics never loads them (start-up).
        from quarterdeck.core.business.definitions import SECTIONS

        named = (f.metric.section for f in self.figures if f.metric.section not in SECTIONS)
        return tuple(dict.fromkeys(named))

    @property
    def missed_targets(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.target_met is False)

    @property
    def anomalies(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.anomaly is not None)

    @property
    def unavailable_figures(self) -> tuple[MetricFigure, ...]:
        return tuple(f for f in self.figures if f.unavailable)

    @property
    def unread(self) -> tuple[tuple[str, str], ...]:
        """(what, why) of each figure, each flagged figure's breakdown and each question's
        table whose source failed: `mrr`, `mrr_growth breakdown by plan` or `question 2`
        (for --strict and the job summary)."""
        figures = tuple((f.metric.id, f.unavailable) for f in self.figures if f.unavailable)
        breakdowns = tuple(
            (f"{f.metric.id} breakdown by {f.breakdown.by}", f.breakdown.unavailable)
            for f in self.figures
            if f.breakdown and f.breakdown.unavailable
        )
        questions = tuple(
            (f"question {t.question + 1}", t.unavailable)
            for t in self.evidence
            if t.unavailable is not None
        )
        return figures + breakdowns + questions

    @property
    def quarter(self) -> str:
        return self.month.quarter

    @property
    def review_number(self) -> int:
        return self.month.month_of_quarter

    @property
    def quarter_weeks(self) -> tuple[int, int]:
        """First and last week of the quarter that the reviewed month covers."""
        return weeks_of_quarter(self.month)

    @property
    def focus(self) -> str:
        return REVIEW_FOCUS[self.review_number]

    @property
    def merged(self) -> int:
        """Every PR merged this month, bots' unplanned ones included."""
        return self.summary.planned + len(self.summary.unplanned)

    @property
    def unplanned_bot_prs(self) -> int:
        """Unplanned PRs of bots not in `bots.count`: listed, not counted as shipped."""
        return self.merged - self.summary.shipped

    @property
    def unplanned_groups(self) -> tuple[TypeGroup, ...]:
        """Unplanned PRs by type, then area: what the review lists them under."""
        return group_by_type(self.summary.unplanned)

    @property
    def unowned_areas(self) -> tuple[AreaGroup, ...]:
        """Unplanned PRs by the top folder they changed most: the triage of work no
        team owns (scopes are ignored, as `owns.paths` takes folders)."""
        return group_by_area(self.summary.unplanned, main_folder)

    @property
    def unowned_example_folder(self) -> str | None:
        """The folder with the most unowned PRs, for the `owns.paths` example."""
        return next((a.area for a in self.unowned_areas if a.area not in NOT_FOLDERS), None)

    @property
    def history(self) -> tuple[TeamMonth, ...]:
        """The team's last six months, the review month last."""
        return self.summary.history

    @property
    def speed_charts(self) -> tuple[Chart, ...]:
        return speed_charts(self.summary.history)

    @property
    def balance_kinds(self) -> tuple[tuple[str, str], ...]:
        return balance_kinds(self.summary.history)

    @property
    def history_balance(self) -> Balance:
        """Where the six months' shipped PRs went, together."""
        return total_balance(self.summary.history)

    @property
    def changed_course_in_name_only(self) -> bool:
        """Last month's lead decided to change course, and no goal changed since."""
        return self.carried is not None and self.carried.changed_course_in_name_only

    @property
    def objective_groups(self) -> tuple[ObjectiveGroup[GoalProgress], ...]:
        """The team's goal progress under the objectives its goals serve, then the goals
        that serve none; empty when the quarter has no objectives (one table then)."""
        if not self.objectives:
            return ()
        return group_by_objective(self.summary.progress, lambda p: p.goal, self.objectives)

    @property
    def stalled_goals(self) -> tuple[GoalProgress, ...]:
        return tuple(p for p in self.summary.progress if p.stalled)

    @property
    def metrics_file(self) -> str:
        return self.business.source if self.business else f"{self.metrics_dir}/{self.month}.yml"

    def history_unit(self, metric: str) -> str:
        """The one unit ("min", "h" or "d") the six-month table writes the median of
        duration `metric` (`lead_time`, `cycle_time`) in, for every month alike."""
        medians = [getattr(tm.speed, metric) for tm in self.history]
        return duration_unit(m.median for m in medians if m.available)

    @property
    def _configured(self) -> tuple[MetricDef, ...]:
        """The configured metrics this review shows (their figures drop the file's twins)."""
        return tuple(f.metric for f in self.figures)

    @property
    def revenue_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("revenue", self.business, self.previous_business, self._configured)

    @property
    def product_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("product", self.business, self.previous_business, self._configured)

    @property
    def feedback_rows(self) -> tuple[FigureRow, ...]:
        return figure_rows("feedback", self.business, self.previous_business, self._configured)

    @property
    def title(self) -> str:
        name = "work no team owns" if self.summary.unowned else self.summary.team
        return f"Growth review: {name} — {self.month.label}"
