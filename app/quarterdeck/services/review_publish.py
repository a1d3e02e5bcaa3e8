"""Publish growth reviews as GitHub issues: one per team and month, idempotently.

An issue is found again by the hidden marker at the top of its body (among issues
labelled `growth-review`, listed with state=all; never by search, whose index lags
and stops at 1,000), not by its title, which a person may edit. A re-run rewrites
only the bot-owned sections (`core.text.markers.merge`) and sends nothing when nothing
changed. Each create runs under the lock label of its team and month
(`sources.github.lock`) and looks again first, so concurrent runs open one issue; a
create whose response was lost is found by its marker before anything is created
again, and a duplicate left behind anyway (an older version, a run without the lock)
is closed as a duplicate of the oldest, the one every result names.

Faults end in one of three defined ways: retried (by the client's retry policy), a
note on the result, or a `PublishError` that names everything already written:

- an issue deleted (410) or gone (404) between listing and editing: a new one is
  opened in its place, with a note (deleting a review brings it back on the next
  run; close it instead, closed reviews are updated and never reopened);
- the `growth-review` label renamed or deleted: the issues are looked up by their
  marker among the issues updated since the month began, and labelled again.

Before a team's review is written, last month's review issue (among those listed,
so no request more) has its decision recorded (`services.record_decision`), the Action's
half of what the App does on each edit; the new review then opens with it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from quarterdeck.core.converge import survivor
from quarterdeck.core.review.decisions import judge, read_boxes, read_record
from quarterdeck.core.text.issue_body import fit
from quarterdeck.core.text.markers import marker, merge, with_marker
from quarterdeck.core.vocabulary import REVIEW_LABEL, review_label_spec, team_label, team_label_spec
from quarterdeck.errors import (
    GitHubError,
    GitHubNotFound,
    IssueGone,
    PublishError,
    QuarterdeckError,
)
from quarterdeck.services.record_decision import record_decision
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.carry import with_previous_issue
from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.slack_share import share_decision, share_review
from quarterdeck.sources.github.gateway import IssueGateway, RepoGateway, doing
from quarterdeck.sources.github.reviews import previous_of
from quarterdeck.sources.github.writes import Writer, close_duplicates, marked_by_us

if TYPE_CHECKING:
    from quarterdeck.sources.slack import SlackClient

log = logging.getLogger(__name__)

OVERFLOW_HEADER = (
    "**Continued from the review above**: lists too long for one issue (GitHub allows "
    "65,536 characters). Quarterdeck updates this comment when it updates the review.\n\n"
)
NO_OVERFLOW = "_Nothing overflowed this time: the whole review fits in the issue above._\n"
Action = Literal["created", "updated", "unchanged", "would create", "would update"]


@dataclass(frozen=True)
class PublishResult:
    """What happened to one team's review issue (or would have, in a dry run)."""

    team: str
    title: str
    action: Action
    number: int | None
    url: str | None
    body: str
    overflow: str = ""  # the follow-up comment's text ("" when the body held everything)
    notes: tuple[str, ...] = ()  # things a person should know, e.g. an unassignable PM

    @property
    def key(self) -> tuple[str, str]:
        return (self.team, self.title)


def publish_reviews(
    repo: RepoGateway,
    reviews: Sequence[TeamReview],
    *,
    dry_run: bool = False,
    writer: Writer,
    slack: SlackClient | None = None,
) -> list[PublishResult]:
    """Create or update one issue per review in `repo`; `dry_run` reads but never writes.

    `slack` (`services.slack_share.slack_for`) shares each review whose team has a
    Slack channel there, and last month's decision in its thread; a Slack failure is
    a note on the result, never a failure of the publish.

    `writer` is the login Quarterdeck writes as (see `sources.github.writes.written_by_us`):
    only issues and comments it wrote are taken as Quarterdeck's own, labelled or not;
    another bot's or a person's copy of a review issue is never edited or closed.

    Raises `PublishError` (a PartialWriteError naming what was written) when GitHub refuses
    or can't be reached after the client's retries.
    """
    written: list[str] = []
    results: list[PublishResult] = []
    try:
        with doing(f"publishing the reviews to {repo.full_name}"):
            _publish(repo, reviews, dry_run, written, results, writer, slack)
    except QuarterdeckError as exc:
        pending = [r.title for r in reviews[len(results) :]]
        raise PublishError(str(exc), written, pending) from exc
    return results


def _publish(
    repo: RepoGateway,
    reviews: Sequence[TeamReview],
    dry_run: bool,
    written: list[str],
    results: list[PublishResult],
    writer: Writer,
    slack: SlackClient | None = None,
) -> None:
    found = repo.review_issues()
    labels: set[str] | None = None
    relabel: set[int] = set()
    labels_ready = False
    if any((r.summary.team, str(r.month)) not in found for r in reviews):
        with doing(f"listing the labels of {repo.full_name}"):
            labels = repo.label_names()
        if REVIEW_LABEL not in labels:
            # Renamed or deleted: the issues lost it, but they still carry their markers.
            since = min(r.month.start("UTC") for r in reviews) - timedelta(days=1)
            lost = repo.review_issues(None, since, writer)
            relabel = {i.number for issues in lost.values() for i in issues}
            found = {**lost, **found}
    run = _Run(repo, dry_run, written, writer, labels, relabel, slack)
    for review in reviews:
        if not review.repo_url:
            review = dataclasses.replace(review, repo_url=repo.html_url)
        slug, month = review.summary.team, str(review.month)
        notes: list[str] = []
        review = _carry_decision(run, review, found, notes)
        rendered = with_marker(
            render_review(review, standalone=False), "review", team=slug, month=month
        )
        gone: set[int] = set()
        result = _onto(run, found.get((slug, month), []), review, rendered, notes, gone)
        if result is None:
            if not dry_run and not labels_ready:
                _ensure_labels(repo, [_labels(r) for r in reviews], labels, written)
                labels_ready = True
            result = _create(run, review, rendered, notes, gone)
        if not dry_run and result.number is not None and result.url:
            shared = share_review(repo, review, result.number, result.url, slack, writer=writer)
            result = dataclasses.replace(result, notes=(*result.notes, *shared))
        results.append(result)


def _carry_decision(
    run: _Run,
    review: TeamReview,
    found: dict[tuple[str, str], list[IssueGateway]],
    notes: list[str],
) -> TeamReview:
    """Record the decision on last month's review issue, and carry it into `review`."""
    if review.carried is None or review.team is None:
        return review
    previous = previous_of(
        {k: v for k, v in found.items() if k[0] == review.summary.team}, review.month, run.writer
    ).get(review.summary.team)
    if previous is None:
        return review
    body = previous.body
    team = review.team
    # Who ticked costs a request (the edit history): asked only when the boxes say
    # something the record does not.
    if _needs_editor(body, team.lead, team.slug):
        edit = run.repo.last_person_edit(previous.number)
        editor, at = edit if edit else (None, previous.updated_at)
        done = record_decision(
            run.repo,
            previous,
            team=team.slug,
            lead=team.lead,
            editor=editor,
            at=at,
            body=body,
            writer=run.writer,
            dry_run=run.dry_run,
        )
        run.written.extend(done.written)
        if done.written:
            notes.append(f"#{previous.number} (last month's review): {done.verdict.summary}")
        body = done.body if not run.dry_run else body
    if not run.dry_run and team.slack_channel:
        # Every run, not only the one that recorded it: a decision Slack missed (down,
        # rate-limited) is posted by the next run; one already in the thread costs a look.
        notes += share_decision(
            run.repo, previous, team.slug, read_record(body), run.slack, body=body,
            writer=run.writer,
        )  # fmt: skip
    carried = with_previous_issue(review.carried, previous.number, previous.html_url, body)
    return dataclasses.replace(review, carried=carried)


def _needs_editor(body: str, lead: str | None, team: str) -> bool:
    """Whether the boxes of `body` could change its record or need a note."""
    if lead is None:
        return False  # nobody decides; the review says so, no note on every run
    sample = datetime(2000, 1, 1, tzinfo=UTC)
    verdict = judge(read_boxes(body), read_record(body), lead, lead, sample, team)
    return verdict.changed or verdict.note is not None


@dataclass(frozen=True)
class _Run:
    """What every step of one publish run shares."""

    repo: RepoGateway
    dry_run: bool
    written: list[str]
    writer: Writer
    labels: set[str] | None
    relabel: set[int]
    slack: SlackClient | None = None


def _onto(
    run: _Run,
    issues: Sequence[IssueGateway],
    review: TeamReview,
    rendered: str,
    notes: list[str],
    gone: set[int],
) -> PublishResult | None:
    """Update the survivor of `issues` and close the rest; None if there is none (left).

    Only the issues we opened count: another bot's or a person's labelled copy of a
    review issue is neither updated nor closed as a duplicate."""
    issues = [i for i in issues if i.number not in gone and marked_by_us(i, run.writer)]
    if not issues:
        return None
    keep, extra = survivor(issues, lambda i: i.number)
    notes += close_duplicates(
        extra,
        keep,
        dry_run=run.dry_run,
        written=run.written,
        writer=run.writer,
        what="review issue",
    )
    if keep.number in run.relabel:
        notes.append(_relabel(run.repo, keep, run.labels, run.dry_run, run.written))
    try:
        return _update(keep, review, rendered, run.dry_run, notes, run.written, run.writer)
    except IssueGone as exc:
        notes.append(str(exc))
        gone.add(keep.number)
        return None


def _relabel(
    repo: RepoGateway,
    issue: IssueGateway,
    labels: set[str] | None,
    dry_run: bool,
    written: list[str],
) -> str:
    """Put the growth-review label back on an issue that lost it (renamed or deleted)."""
    note = (
        f"#{issue.number} had lost its {REVIEW_LABEL} label (renamed or deleted); found it "
        f"by its marker and labelled it {REVIEW_LABEL} again"
    )
    if not dry_run:
        _ensure_labels(repo, [[REVIEW_LABEL]], labels, written)
        with doing(f"labelling review issue #{issue.number}"):
            issue.add_label(REVIEW_LABEL)
        written.append(f"labelled #{issue.number} {REVIEW_LABEL}")
    return note


def _labels(review: TeamReview) -> list[str]:
    if review.summary.unowned:
        return [REVIEW_LABEL]
    return [REVIEW_LABEL, team_label(review.summary.team)]


def _ensure_labels(
    repo: RepoGateway,
    wanted: Iterable[list[str]],
    have: set[str] | None = None,
    written: list[str] | None = None,
) -> None:
    """Create the labels the issues need, with a colour and description, if missing."""
    names = dict.fromkeys(n for names in wanted for n in names)
    specs = [
        review_label_spec() if name == REVIEW_LABEL else team_label_spec(name.removeprefix("team:"))
        for name in names
    ]
    with doing(f"creating the review labels in {repo.full_name}"):
        repo.ensure_labels(specs, have, written)


def _assignee(repo: RepoGateway, review: TeamReview, notes: list[str]) -> list[str]:
    """The PM as assignee, if GitHub will take them; a note instead of a failure."""
    pm = review.team.pm if review.team else None
    if not pm:
        return []
    try:
        with doing(f"checking whether {pm} can be assigned"):
            if repo.can_assign(pm):
                return [pm]
    except GitHubError as exc:
        log.info("could not check whether %s is assignable: %s", pm, exc.status)
    notes.append(
        f"{pm} (PM of {review.summary.team}) can't be assigned in {repo.full_name}, so the "
        "issue is unassigned; give them access to the repository to have it assigned"
    )
    return []


def _create(
    run: _Run, review: TeamReview, rendered: str, notes: list[str], gone: set[int]
) -> PublishResult:
    body, overflow = fit(rendered)
    slug, month = review.summary.team, str(review.month)
    if run.dry_run:
        return PublishResult(
            slug, review.title, "would create", None, None, body, overflow, tuple(notes)
        )
    repo, written, writer = run.repo, run.written, run.writer
    assignees = _assignee(repo, review, notes)
    # Concurrent runs (a schedule, a dispatch, a person's CLI) take turns: the look
    # and the create happen under one lock, so the second run finds the first's issue.
    with repo.lock(review_lock_scope(slug, month)):
        with doing(f"looking again for the review issue of {slug}"):
            again = repo.review_issues().get((slug, month), [])
        result = _onto(run, again, review, rendered, notes, gone)
        if result is not None:
            return result
        with doing(f"opening the review issue of {slug}"):
            # A lost answer may hide an applied create: it is looked for by its marker
            # before another is opened, so the number reported is the one that exists.
            issue = repo.create_issue(
                review.title,
                body,
                labels=_labels(review),
                assignees=assignees,
                find=lambda: _opened_by_us(repo, slug, month, writer),
                what=f"the review issue of {slug}",
            )
        written.append(f"created #{issue.number} ({review.title})")
        _write_overflow(
            issue, slug, month, overflow, had_issue=False, written=written, writer=writer
        )
    return PublishResult(
        slug, review.title, "created", issue.number, issue.html_url, body, overflow, tuple(notes)
    )


def review_lock_scope(slug: str, month: str) -> str:
    """The lock scope of one team's review issue of one month (`core.converge.lock_name`)."""
    return f"review:{month}:{slug}"


def _opened_by_us(repo: RepoGateway, slug: str, month: str, writer: Writer) -> IssueGateway | None:
    """The oldest review issue of (slug, month) that Quarterdeck opened, if any."""
    issues = repo.review_issues().get((slug, month), [])
    return next((i for i in issues if marked_by_us(i, writer)), None)


def _update(
    issue: IssueGateway,
    review: TeamReview,
    rendered: str,
    dry_run: bool,
    notes: list[str],
    written: list[str],
    writer: Writer,
) -> PublishResult:
    current = issue.body
    body, overflow = fit(merge(current, rendered))
    slug, month = review.summary.team, str(review.month)
    changed = body != current
    if dry_run:
        action: Action = "would update" if changed else "unchanged"
        return PublishResult(
            slug, review.title, action, issue.number, issue.html_url, body, overflow, tuple(notes)
        )
    try:
        with doing(f"updating review issue #{issue.number} of {slug}"):
            if changed:
                issue.edit(body=body)
                written.append(f"updated #{issue.number} ({review.title})")
            _write_overflow(
                issue, slug, month, overflow, had_issue=True, written=written, writer=writer
            )
    except GitHubNotFound as exc:
        raise IssueGone(
            f"review issue #{issue.number} is gone (GitHub answered {exc.status}: deleted "
            "or transferred after it was listed); opened a new one in its place",
            exc.status,
        ) from exc
    action = "updated" if changed else "unchanged"
    return PublishResult(
        slug, review.title, action, issue.number, issue.html_url, body, overflow, tuple(notes)
    )


def overflow_marker(slug: str, month: str) -> str:
    """The hidden marker of a review's one follow-up comment."""
    return marker("review-overflow", team=slug, month=month)


def _write_overflow(
    issue: IssueGateway,
    slug: str,
    month: str,
    overflow: str,
    *,
    had_issue: bool,
    written: list[str],
    writer: Writer,
) -> None:
    """Keep the one follow-up comment current; a fresh issue without overflow needs none.

    GitHub errors propagate: the caller decides between "gone" and a failure to report.
    """
    tag = overflow_marker(slug, month)
    outcome = "unchanged"
    if overflow:
        text = f"{tag}\n{OVERFLOW_HEADER}{overflow}"
        _, outcome = issue.upsert_comment(tag, text, writer=writer)
    elif had_issue and (earlier := issue.find_comment(tag, writer)) is not None:
        # Lists that overflowed last time fit now: say so rather than leave stale ones.
        _, outcome = issue.write_comment(earlier, tag, f"{tag}\n{NO_OVERFLOW}", writer=writer)
    if outcome != "unchanged":
        written.append(f"{outcome} the overflow comment on #{issue.number}")
