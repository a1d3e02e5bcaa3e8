"""File models to domain objects: `Team`s, `Goal`s, `Objective`s and the `Config` that
holds them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import MappingProxyType

from quarterdeck.core.business.breakdown import BreakdownDef
from quarterdeck.core.business.definitions import STANDARD, MetricDef
from quarterdeck.core.business.series import parse_target
from quarterdeck.core.config.schema import (
    BreakdownSpec,
    ConfigFile,
    GoalSpec,
    MetricSpec,
    ObjectiveSpec,
    QuestionSpec,
    TeamSpec,
)
from quarterdeck.core.model import (
    DEFAULT_QUESTIONS,
    BotSettings,
    Column,
    Config,
    EvidenceQuery,
    EvidenceSource,
    Goal,
    MetricSources,
    Objective,
    ReviewSettings,
    Team,
)
from quarterdeck.core.review.codeowners import Codeowners

__all__ = ["to_config", "to_evidence_query", "to_goal", "to_objective", "to_team"]


def to_team(slug: str, spec: TeamSpec) -> Team:
    return Team(
        slug=slug,
        mission=spec.mission.strip(),
        lead=spec.lead,
        pm=spec.pm,
        members=tuple(spec.members),
        paths=tuple(spec.owns.paths),
        labels=tuple(spec.owns.labels),
        codeowners=tuple(spec.owns.codeowners),
        repos=tuple(spec.owns.repos),
        slack_channel=spec.slack.channel if spec.slack else None,
    )


def to_goal(spec: GoalSpec, quarter: str) -> Goal:
    return Goal(
        id=spec.id,
        title=spec.title.strip(),
        team=spec.team,
        quarter=quarter,
        owners=tuple(spec.owners),
        issue=spec.issue,
        motivation=spec.motivation.strip(),
        status=spec.status,
        objective=spec.objective,
        paths=tuple(spec.paths),
        labels=tuple(spec.labels),
        branches=tuple(spec.branches),
        scopes=tuple(s.strip() for s in spec.scopes),
        keywords=tuple(k.strip() for k in spec.keywords),
    )


def to_objective(spec: ObjectiveSpec, quarter: str, source: str) -> Objective:
    return Objective(
        id=spec.id,
        title=spec.title.strip(),
        quarter=quarter,
        owner=spec.owner,
        description=spec.description.strip(),
        source=source,
    )


def to_config(
    cfg: ConfigFile,
    goals: list[Goal],
    codeowners: Codeowners | None = None,
    objectives: Sequence[Objective] = (),
) -> Config:
    """The domain config, with every objective read (objectives files and the config's
    own `objectives:`)."""
    default = cfg.review.questions == "default"
    questions = () if default else tuple(cfg.review.questions)
    return Config(
        teams=tuple(to_team(slug, t) for slug, t in cfg.teams.items()),
        goals=tuple(goals),
        goals_dir=cfg.goals.files,
        goal_label=cfg.goals.label,
        objectives=tuple(objectives),
        objectives_dir=cfg.goals.objectives,
        objective_label=cfg.goals.objective_label,
        review=ReviewSettings(
            metrics_dir=cfg.review.metrics,
            questions=DEFAULT_QUESTIONS
            if default
            else tuple((q if isinstance(q, str) else q.ask).strip() for q in questions),
            evidence=tuple(
                query
                for index, q in enumerate(questions)
                if isinstance(q, QuestionSpec) and (query := to_evidence_query(q, index))
            ),
            timezone=cfg.review.timezone,
            branches=(cfg.review.branch,) if cfg.review.branch else tuple(cfg.review.branches),
            clones=tuple(cfg.review.clones),
        ),
        identities=MappingProxyType({k: tuple(v) for k, v in cfg.identities.items()}),
        bots=BotSettings(count=tuple(cfg.bots.count)),
        codeowners=codeowners,
        repos=(*([f"{cfg.org}/*"] if cfg.org else []), *cfg.repos),
        metrics=(
            *(to_metric(spec, None) for spec in cfg.metrics),
            *(to_metric(spec, slug) for slug, team in cfg.teams.items() for spec in team.metrics),
        ),
        sources=MetricSources(
            posthog_host=cfg.sources.posthog.host if cfg.sources.posthog else None,
            posthog_project=str(cfg.sources.posthog.project) if cfg.sources.posthog else None,
            warehouse_url_env=cfg.sources.warehouse.url_env if cfg.sources.warehouse else None,
        ),
    )


def to_evidence_query(spec: QuestionSpec, index: int) -> EvidenceQuery | None:
    """The query question `index` carries (None: it carries none)."""
    source: EvidenceSource
    if spec.sql is not None:
        source, query = "sql", spec.sql
    elif spec.posthog is not None and spec.posthog.hogql is not None:
        source, query = "hogql", spec.posthog.hogql
    elif spec.posthog is not None and spec.posthog.funnel is not None:
        # Canonical JSON: the same funnel asked twice is one query (FigureSources).
        funnel = spec.posthog.funnel.model_dump(mode="json", exclude_none=True)
        source, query = "funnel", json.dumps(funnel, sort_keys=True)
    else:
        return None
    columns = tuple(Column(c.name.strip(), c.type) for c in spec.columns)
    return EvidenceQuery(index, source, query, columns, spec.rows)


def to_metric(spec: MetricSpec, team: str | None) -> MetricDef:
    """A metric as the review uses it: PostHog's standard list fills what is left out."""
    standard = STANDARD.get(spec.id)
    if spec.posthog:
        source, query = "posthog", spec.posthog
    elif spec.sql:
        source, query = "sql", spec.sql
    elif spec.file:
        source, query = "file", spec.file
    else:  # validated: a formula of its own, or the standard one
        source, query = "from", spec.derived or (standard.derived if standard else "") or ""
    unit = spec.unit or (standard.unit if standard else "count")
    return MetricDef(
        id=spec.id,
        title=(spec.title or (standard.title if standard else spec.id)).strip(),
        unit=unit,
        section=(spec.section or (standard.section if standard else "product")).strip(),
        source=source,
        query=query,
        target=parse_target(spec.target, unit) if spec.target else None,
        team=team,
        alert=spec.alert,
        chart=spec.chart,
        key=spec.key,
        breakdown=_breakdown(spec.breakdown, unit),
    )


def _breakdown(spec: BreakdownSpec | None, unit: str) -> BreakdownDef | None:
    if spec is None:
        return None
    source, query = ("sql", spec.sql) if spec.sql else ("posthog", spec.posthog or "")
    return BreakdownDef(spec.by.strip(), source, query, spec.unit or unit)
