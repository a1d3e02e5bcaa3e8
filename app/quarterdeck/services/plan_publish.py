"""`plan --publish`: one planning issue per team and quarter, idempotently, closed by
itself once the quarter's goals file lands.

An issue is found again by its hidden plan marker among the issues labelled
`quarter-planning` (state=all), like a review issue: a re-run rewrites only the
bot-owned sections and keeps everything a person wrote (the meeting's notes); a closed
issue is updated, never reopened. New issues open only in the planning window (the
last two weeks of the quarter before, `core.goals.planning_issue.planning_window`) unless
forced: outside it a missing issue is not opened and the result says when the
window is. Once the planned quarter's goals file is on the default branch, each open
planning issue gets one comment saying so and is closed; the comment's marker means a
person who reopens the issue keeps it open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from quarterdeck.core.converge import survivor
from quarterdeck.core.goals.planning_issue import (
    TeamPlan,
    landed_marker,
    plan_title,
    planning_window,
)
from quarterdeck.core.text.markers import merge, with_marker
from quarterdeck.core.vocabulary import PLAN_LABEL, plan_label_spec, team_label, team_label_spec
from quarterdeck.errors import PlanPublishError, QuarterdeckError
from quarterdeck.services.plan import GitHubPlans, render_plan
from quarterdeck.sources.github.gateway import IssueGateway, RepoGateway, doing
from quarterdeck.sources.github.reviews import ours
from quarterdeck.sources.github.writes import Writer, close_duplicates, marked_by_us

PlanAction = Literal[
    "created", "updated", "unchanged", "closed", "not opened",
    "would create", "would update", "would close",
]  # fmt: skip


@dataclass(frozen=True)
class PlanResult:
    """What happened to one team's planning issue (or would have, in a dry run)."""

    team: str
    title: str
    action: PlanAction
    number: int | None
    url: str | None
    body: str
    notes: tuple[str, ...] = ()


def publish_plans(
    found: GitHubPlans, *, today: date, force: bool = False, dry_run: bool = False
) -> list[PlanResult]:
    """Open, update or close each team's planning issue in `found.repo`.

    Outside the planning window (and without `force`) a missing issue is not opened: its
    result says when the window is, and existing issues are still kept current, so a
    workflow run on any push to the goals never fails for the date alone. Raises
    PlanPublishError naming what was written when GitHub fails part-way.
    """
    repo = found.repo
    with doing(f"listing the planning issues of {repo.full_name}"):
        listed = repo.marked_issues("plan", ("team", "quarter"), PLAN_LABEL)
    existing = {
        key: [i for i in issues if marked_by_us(i, found.writer)] for key, issues in listed.items()
    }
    plans = found.plans
    # Why a missing issue is not opened today (None: it is); every plan has one quarter.
    shut = None
    if plans and not (force or found.landed):
        shut = _window_shut(plans[0].quarter, today)
    missing = [p for p in plans if not existing.get((p.slug, p.quarter))]
    written: list[str] = []
    results: list[PlanResult] = []
    try:
        with doing(f"publishing the planning issues to {repo.full_name}"):
            labels_ready = dry_run or shut is not None or found.landed is not None
            for plan in plans:
                rendered = _rendered(plan, found)
                issues = existing.get((plan.slug, plan.quarter), [])
                if not issues and shut is not None:
                    title = plan_title(plan.slug, plan.quarter)
                    results.append(
                        PlanResult(plan.slug, title, "not opened", None, None, rendered, (shut,))
                    )
                    continue
                if not issues and not labels_ready:
                    specs = [plan_label_spec(), *(team_label_spec(p.slug) for p in missing)]
                    repo.ensure_labels(specs, written=written)
                    labels_ready = True
                results.append(_one(found, plan, rendered, issues, dry_run, written))
    except QuarterdeckError as exc:
        pending = [plan_title(p.slug, p.quarter) for p in plans[len(results) :]]
        raise PlanPublishError(str(exc), written, pending) from exc
    return results


def _window_shut(quarter: str, today: date) -> str | None:
    """Why no planning issue of `quarter` opens `today`; None inside the window."""
    first, last = planning_window(quarter)
    if first <= today <= last:
        return None
    return (
        f"planning issues for {quarter} open from {first} to {last} (the last two weeks of "
        f"the quarter before), and today is {today}: not opened. Run it then, or add "
        "--force to open it now"
    )


def _rendered(plan: TeamPlan, found: GitHubPlans) -> str:
    body = render_plan(plan, found.templates, standalone=False)
    return with_marker(body, "plan", team=plan.slug, quarter=plan.quarter)


def _one(
    found: GitHubPlans,
    plan: TeamPlan,
    rendered: str,
    issues: Sequence[IssueGateway],
    dry_run: bool,
    written: list[str],
) -> PlanResult:
    title = plan_title(plan.slug, plan.quarter)
    if not issues:
        if found.landed is not None:
            note = f"{found.landed} is already on the default branch: no planning issue needed"
            return PlanResult(plan.slug, title, "not opened", None, None, rendered, (note,))
        if dry_run:
            return PlanResult(plan.slug, title, "would create", None, None, rendered)
        return _create(found, plan, title, rendered, written)
    keep, extra = survivor(list(issues), lambda i: i.number)
    notes = close_duplicates(
        extra, keep, dry_run=dry_run, written=written, writer=found.writer, what="planning issue"
    )
    current = keep.body
    body = merge(current, rendered)
    action: PlanAction = "updated" if body != current else "unchanged"
    if body != current and not dry_run:
        keep.edit(body=body)
        written.append(f"updated #{keep.number} ({title})")
    landed = found.landed
    if landed and _close(
        found.repo, keep, plan.slug, plan.quarter, landed, found.writer, dry_run, written
    ):
        action = "would close" if dry_run else "closed"
    elif dry_run and action == "updated":
        action = "would update"
    return PlanResult(plan.slug, title, action, keep.number, keep.html_url, body, tuple(notes))


def _create(
    found: GitHubPlans, plan: TeamPlan, title: str, rendered: str, written: list[str]
) -> PlanResult:
    repo, key = found.repo, (plan.slug, plan.quarter)
    labels = [PLAN_LABEL, team_label(plan.slug)]

    def look() -> IssueGateway | None:
        again = repo.marked_issues("plan", ("team", "quarter"), PLAN_LABEL).get(key, [])
        return next((i for i in again if marked_by_us(i, found.writer)), None)

    # Concurrent runs (the daily schedule and a push) take turns: the second finds the
    # first's issue under the lock instead of opening another.
    with repo.lock(f"plan:{plan.quarter}:{plan.slug}"):
        earlier = look()
        if earlier is not None:
            return _one(found, plan, rendered, [earlier], False, written)
        issue = repo.create_issue(
            title, rendered, labels=labels, find=look, what=f"the planning issue of {plan.slug}"
        )
    written.append(f"created #{issue.number} ({title})")
    return PlanResult(plan.slug, title, "created", issue.number, issue.html_url, rendered)


def close_landed_plans(repo: RepoGateway, quarter: str, landed: str, writer: Writer) -> list[str]:
    """Close every open planning issue of `quarter` now that its goals file `landed`
    is on the default branch (the App, on a push); what was written, in words."""
    with doing(f"listing the planning issues of {repo.full_name}"):
        listed = repo.marked_issues("plan", ("team", "quarter"), PLAN_LABEL)
    written: list[str] = []
    for (slug, of), issue in sorted(ours(listed, writer).items()):
        if of == quarter:
            with doing(f"closing planning issue #{issue.number} of {slug}"):
                _close(repo, issue, slug, quarter, landed, writer, False, written)
    return written


def _close(
    repo: RepoGateway,
    issue: IssueGateway,
    slug: str,
    quarter: str,
    landed: str,
    writer: Writer,
    dry_run: bool,
    written: list[str],
) -> bool:
    """Say the goals file landed and close `issue`, once; False when done before (a
    person who reopened it keeps it open) or when it is closed already."""
    tag = landed_marker(slug, quarter)
    if issue.state == "closed":
        return False
    if dry_run:
        return issue.find_comment(tag, writer) is None
    # The App (on the push) and the workflow (on the same push) may both get here:
    # under the lock the second finds the first's comment and does nothing.
    with repo.lock(f"plan:{quarter}:{slug}"):
        if issue.find_comment(tag, writer) is not None:
            return False
        text = (
            f"{tag}\n`{landed}` is on the default branch: {quarter} is planned, so "
            "Quarterdeck closed this issue. Reopen it to keep planning here; Quarterdeck "
            "will not close it again.\n"
        )
        issue.write_comment(None, tag, text, writer=writer)
        issue.close("completed")
    written.append(f"closed #{issue.number} ({landed} landed)")
    return True
