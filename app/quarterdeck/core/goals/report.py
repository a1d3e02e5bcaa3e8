"""The text `quarterdeck goals sync` prints: the plan, what was written, what to adopt. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from quarterdeck.core.goals.sync_actions import SyncPlan

_VERB = {
    "create": "create",
    "update": "update",
    "unchanged": "ok",
    "skip": "skip",
    "duplicate": "close",
}


def format_sync(
    repo: str,
    quarters: Sequence[str],
    plan: SyncPlan,
    *,
    dry_run: bool,
    written: Sequence[str] = (),
) -> str:
    """The plan as a person reads it; with `written`, what the run actually did."""
    mode = "dry run, nothing written" if dry_run else f"{len(written)} write(s)"
    lines = [f"goals sync: {repo}, {', '.join(quarters) or 'no quarter'} ({mode})", ""]
    lines.append("labels:")
    if plan.labels:
        lines += [f"  create  {s.name}  (#{s.color}) {s.description}" for s in plan.labels]
    else:
        lines.append("  all present")
    lines += ["", "goal issues:"]
    if not plan.issues:
        lines.append("  no goals in the goals files for these quarters")
    for action in plan.issues:
        where = f"#{action.number}" if action.number else "new issue"
        detail = ""
        if action.kind == "create":
            detail = f"{action.title!r}; labels {', '.join(action.labels)}"
            if action.assignees:
                detail += f"; assignees {', '.join(action.assignees)}"
        elif action.kind == "update":
            detail = "changes " + ", ".join(action.changes)
        elif action.reason:
            detail = action.reason
        else:
            detail = "up to date"
        lines.append(f"  {_VERB[action.kind]:<7} {action.goal_id} ({where}): {detail}")
    if plan.problems:
        lines += ["", "problems:"] + [f"  {p}" for p in plan.problems]
    if plan.back:
        lines += [
            "",
            "back to the goals files (Quarterdeck never edits your YAML; paste what fits):",
        ]
        for note in plan.back:
            lines.append(f"  - {note.message}")
            lines += [f"      {line}" for line in note.yaml.splitlines()]
    if written:
        lines += ["", "written:"] + [f"  {line}" for line in written]
    elif not dry_run:
        lines += ["", "nothing to write: GitHub already matches the goals files"]
    return "\n".join(lines) + "\n"
