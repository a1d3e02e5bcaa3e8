"""`push` to the home's default branch with a quarter's goals file → close that
quarter's planning issues: the App's half of what `plan --publish` does on its next
run (`services.plan_publish.close_landed_plans`, the one path both take)."""

from __future__ import annotations

from typing import Any

from quarterdeck.core.goals.planning_issue import landed_goals_files
from quarterdeck.services.plan_publish import close_landed_plans
from quarterdeck.webhook.handlers.context import Context, PayloadError


def handle(ctx: Context) -> str:
    """Close the planning issues of each quarter whose goals file the push landed."""
    payload = ctx.delivery.payload
    repository = payload.get("repository")
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    if not isinstance(branch, str):
        raise PayloadError("a push event without the repository's default branch")
    if payload.get("ref") != f"refs/heads/{branch}" or payload.get("deleted"):
        return "ignored: not a push to the default branch"
    commits: list[Any] = [c for c in payload.get("commits") or [] if isinstance(c, dict)]
    # Most pushes touch no quarter's file anywhere: said from the payload alone, before
    # the config (and its requests) is asked for.
    if not landed_goals_files(commits, None):
        return "ignored: no quarter's goals file in the push"
    home = ctx.home()
    if home is None or home.casefold() != (ctx.delivery.repo or "").casefold():
        return f"ignored: goals files are read in {home or 'another repository'}"
    landed = landed_goals_files(commits, ctx.config().goals_dir)
    if not landed:
        return "ignored: no quarter's goals file in the push"
    repo = ctx.repository()
    written = [
        line
        for quarter, path in sorted(landed.items())
        for line in close_landed_plans(repo, quarter, path, ctx.ours)
    ]
    quarters = ", ".join(sorted(landed))
    return f"goals landed for {quarters}: " + ("; ".join(written) or "no planning issue open")
