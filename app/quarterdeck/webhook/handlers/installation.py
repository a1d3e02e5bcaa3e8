"""`installation` / `installation_repositories` → log it; create the labels if configured."""

from __future__ import annotations

import logging
from typing import Any

from quarterdeck.core.vocabulary import goal_label_spec, review_label_spec
from quarterdeck.webhook.handlers.context import Context

log = logging.getLogger("quarterdeck.webhook")

# Labels the App's features rely on: goal issues and the monthly review.
LABELS = (goal_label_spec("goal"), review_label_spec())


def handle(ctx: Context) -> str:
    """Log who installed the App where; on install, create the labels when asked to."""
    payload = ctx.delivery.payload
    action = ctx.delivery.action
    account = (payload.get("installation") or {}).get("account") or {}
    repos = _repos(payload.get("repositories") or payload.get("repositories_added") or [])
    removed = _repos(payload.get("repositories_removed") or [])
    log.info(
        "installation %s by %s: %d repositories added, %d removed",
        action,
        account.get("login", "?"),
        len(repos),
        len(removed),
        extra={**ctx.delivery.log_fields(), "repositories": repos[:50]},
    )
    if not ctx.create_labels or action not in ("created", "added"):
        return f"installation {action} logged"
    created = sum(_ensure_labels(ctx, name) for name in repos)
    return f"installation {action}: {created} labels created in {len(repos)} repositories"


def _repos(items: list[Any]) -> list[str]:
    return [str(r["full_name"]) for r in items if isinstance(r, dict) and r.get("full_name")]


def _ensure_labels(ctx: Context, full_name: str) -> int:
    repo = ctx.gh.repo(full_name)
    have = repo.label_names()
    return sum(
        repo.create_label(spec.name, spec.color, spec.description)
        for spec in LABELS
        if spec.name not in have
    )
