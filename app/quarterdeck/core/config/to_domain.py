"""File models to domain objects: `Team`s, `Goal`s and the `Config` that holds them."""

from __future__ import annotations

from types import MappingProxyType

from quarterdeck.core.config.schema import ConfigFile, GoalSpec, TeamSpec
from quarterdeck.core.model import (
    DEFAULT_QUESTIONS,
    BotSettings,
    Config,
    Goal,
    ReviewSettings,
    Team,
)
from quarterdeck.core.review.codeowners import Codeowners

__all__ = ["to_config", "to_goal", "to_team"]


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
        paths=tuple(spec.paths),
        labels=tuple(spec.labels),
        branches=tuple(spec.branches),
        scopes=tuple(s.strip() for s in spec.scopes),
        keywords=tuple(k.strip() for k in spec.keywords),
    )


def to_config(cfg: ConfigFile, goals: list[Goal], codeowners: Codeowners | None = None) -> Config:
    questions = cfg.review.questions
    return Config(
        teams=tuple(to_team(slug, t) for slug, t in cfg.teams.items()),
        goals=tuple(goals),
        goals_dir=cfg.goals.files,
        goal_label=cfg.goals.label,
        review=ReviewSettings(
            metrics_dir=cfg.review.metrics,
            questions=DEFAULT_QUESTIONS
            if questions == "default"
            else tuple(q.strip() for q in questions),
            timezone=cfg.review.timezone,
            branches=(cfg.review.branch,) if cfg.review.branch else tuple(cfg.review.branches),
        ),
        identities=MappingProxyType({k: tuple(v) for k, v in cfg.identities.items()}),
        bots=BotSettings(count=tuple(cfg.bots.count)),
        codeowners=codeowners,
    )
