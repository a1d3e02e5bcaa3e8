"""The bot-owned "Shipped" section of a goal's tracking issue: its merged PRs with dates.

The section is the record: each line carries the PR number and merge date, so a
re-delivery rewrites the same line and the goal's progress this quarter is counted
from the issue itself, with no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Goal, PullRequest
from quarterdeck.core.review.linking import quarter_of
from quarterdeck.core.review.repositories import pr_label
from quarterdeck.core.text.markdown import SafeMarkdown, escape_inline
from quarterdeck.core.text.markers import sections, upsert_section
from quarterdeck.services.templates import render_template
from quarterdeck.sources.github.gateway import IssueGateway
from quarterdeck.webhook.handlers.context import Context

SECTION = "shipped"
# One line per PR, as goal_shipped.md.j2 writes it: `- 2026-11-20 · #12 Title`, or
# `- 2026-11-20 · sdk-js#42 Title` for a PR of another repository than the issue's.
_LABEL = r"(?:[A-Za-z0-9_.-]+)?#\d+"
_ENTRY = re.compile(
    rf"^- (?P<day>\d{{4}}-\d{{2}}-\d{{2}}) · (?P<label>{_LABEL}) (?P<title>.*)$", re.M
)


@dataclass(frozen=True)
class Entry:
    """One shipped PR on the goal issue."""

    label: str  # `#12`, or `sdk-js#42` (`pr_label`): the PR's key on the list
    merged: date
    title: SafeMarkdown  # escaped once, when first written

    @property
    def quarter(self) -> str:
        return Month(self.merged.year, self.merged.month).quarter


@dataclass(frozen=True)
class Progress:
    """A goal's shipping record in one quarter, as its issue lists it."""

    issue: int
    quarter: str
    shipped: int
    first: date | None
    last: date | None


def parse_entries(content: str) -> dict[str, Entry]:
    """The entries of a Shipped section, by PR label (`#12`, `sdk-js#42`)."""
    found: dict[str, Entry] = {}
    for m in _ENTRY.finditer(content):
        try:
            day = date.fromisoformat(m["day"])
        except ValueError:
            continue
        found[m["label"]] = Entry(m["label"], day, SafeMarkdown(m["title"]))
    return found


def entry_label(pr: PullRequest, home: str | None) -> str:
    """How the goal issue in `home` lists `pr`: `#12`, or `sdk-js#42` from elsewhere."""
    label = pr_label(pr, (home or pr.repo, pr.repo))
    if not re.fullmatch(_LABEL, label):
        raise ValueError(f"{label!r} can't be listed: a repository name GitHub would refuse")
    return label


def _ordered(entries: dict[str, Entry]) -> list[Entry]:
    # Home PRs (`#12`) and others (`sdk#3`) by date, then by label: a stable order.
    return sorted(entries.values(), key=lambda e: (e.merged, e.label.rpartition("#")[0], _n(e)))


def _n(entry: Entry) -> int:
    return int(entry.label.rpartition("#")[2])


def updated_body(
    body: str, goal: Goal, pr: PullRequest, tz: str, home: str | None = None
) -> tuple[str, list[Entry]]:
    """`body` with `pr` recorded in its Shipped section (pure; idempotent).

    `home`: the repository of the goal issue (None: the PR's own).
    """
    entries = parse_entries(sections(body).get(SECTION, ""))
    merged = pr.merged_at.astimezone(ZoneInfo(tz)).date()
    label = entry_label(pr, home)
    entries[label] = Entry(label, merged, escape_inline(pr.title, max_length=200))
    ordered = _ordered(entries)
    content = render_template({}, "goal_shipped.md.j2", goal=goal, entries=ordered)
    return upsert_section(body, SECTION, content), ordered


def without_entry(body: str, label: str) -> str:
    """`body` with the PR `label` names taken off its Shipped section (pure; idempotent)."""
    content = sections(body).get(SECTION)
    if content is None:
        return body
    entries = parse_entries(content)
    if entries.pop(label, None) is None:
        return body
    return upsert_section(
        body, SECTION, render_template({}, "goal_shipped.md.j2", entries=_ordered(entries))
    )


def _fresh(ctx: Context, repo: str, issue_number: int) -> tuple[IssueGateway, str]:
    """The issue and its body as GitHub holds it now: call it holding the issue's lock.

    Another process may have added its entry a moment ago; merging into a body read
    before the lock was taken would write that entry away. A new issue object is asked
    for each time, so its body is read now (a lazy client reads it on `.body`).
    """
    issue = ctx.gh.repo(repo).issue(issue_number)
    return issue, issue.body


def remove_shipped(ctx: Context, repo: str, issue_number: int, pr: PullRequest) -> None:
    """Take `pr` off the Shipped section of issue `issue_number` of `repo`; edit only if
    it was there."""
    with ctx.issue_lock(issue_number, repo):
        issue, body = _fresh(ctx, repo, issue_number)
        new_body = without_entry(body, entry_label(pr, repo))
        if new_body != body:
            issue.edit(body=new_body)


def record_shipped(ctx: Context, home: str, goal: Goal, pr: PullRequest, tz: str) -> Progress:
    """Add `pr` to the Shipped section of `goal`'s issue in `home`; edit only if the body
    changed."""
    assert goal.issue is not None
    issue_number = goal.issue
    with ctx.issue_lock(issue_number, home):
        issue, body = _fresh(ctx, home, issue_number)
        new_body, entries = updated_body(body, goal, pr, tz, home)
        if new_body != body:
            issue.edit(body=new_body)
    quarter = quarter_of(pr.merged_at, tz)
    this_quarter = [e for e in entries if e.quarter == quarter]
    return Progress(
        issue=issue_number,
        quarter=quarter,
        shipped=len(this_quarter),
        first=this_quarter[0].merged if this_quarter else None,
        last=this_quarter[-1].merged if this_quarter else None,
    )
