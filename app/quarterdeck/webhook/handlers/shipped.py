"""The bot-owned "Shipped" section of a goal's tracking issue: its merged PRs with dates.

The section is the record: each line carries the PR number and merge date, so a
re-delivery rewrites the same line and the goal's progress this quarter is counted
from the issue itself, with no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Goal, PullRequest
from quarterdeck.core.review.linking import quarter_of
from quarterdeck.core.text.markdown import SafeMarkdown, escape_inline
from quarterdeck.core.text.markers import sections, upsert_section
from quarterdeck.webhook.handlers.context import Context
from quarterdeck.webhook.handlers.templates import render_template

SECTION = "shipped"
# One line per PR, as goal_shipped.md.j2 writes it: `- 2026-11-20 · #12 Title`.
_ENTRY = re.compile(r"^- (?P<day>\d{4}-\d{2}-\d{2}) · #(?P<number>\d+) (?P<title>.*)$", re.M)


@dataclass(frozen=True)
class Entry:
    """One shipped PR on the goal issue."""

    number: int
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


def parse_entries(content: str) -> dict[int, Entry]:
    """The entries of a Shipped section, by PR number."""
    found: dict[int, Entry] = {}
    for m in _ENTRY.finditer(content):
        try:
            day = date.fromisoformat(m["day"])
        except ValueError:
            continue
        found[int(m["number"])] = Entry(int(m["number"]), day, SafeMarkdown(m["title"]))
    return found


def updated_body(body: str, goal: Goal, pr: PullRequest, tz: str) -> tuple[str, list[Entry]]:
    """`body` with `pr` recorded in its Shipped section (pure; idempotent)."""
    entries = parse_entries(sections(body).get(SECTION, ""))
    merged = pr.merged_at.astimezone(ZoneInfo(tz)).date()
    entries[pr.number] = Entry(pr.number, merged, escape_inline(pr.title, max_length=200))
    ordered = sorted(entries.values(), key=lambda e: (e.merged, e.number))
    content = render_template("goal_shipped.md.j2", goal=goal, entries=ordered)
    return upsert_section(body, SECTION, content), ordered


def without_entry(body: str, number: int) -> str:
    """`body` with PR `number` taken off its Shipped section (pure; idempotent)."""
    content = sections(body).get(SECTION)
    if content is None:
        return body
    entries = parse_entries(content)
    if entries.pop(number, None) is None:
        return body
    ordered = sorted(entries.values(), key=lambda e: (e.merged, e.number))
    return upsert_section(body, SECTION, render_template("goal_shipped.md.j2", entries=ordered))


def _fresh(ctx: Context, issue_number: int) -> tuple[Any, str]:
    """The issue and its body as GitHub holds it now: call it holding the issue's lock.

    Another process may have added its entry a moment ago; merging into a body read
    before the lock was taken would write that entry away. A new issue object is asked
    for each time, so its body is read now (a lazy client reads it on `.body`).
    """
    issue = ctx.repository().get_issue(issue_number)
    return issue, str(issue.body or "")


def remove_shipped(ctx: Context, issue_number: int, pr: PullRequest) -> None:
    """Take `pr` off the Shipped section of issue `issue_number`; edit only if it was there."""
    with ctx.issue_lock(issue_number):
        issue, body = _fresh(ctx, issue_number)
        new_body = without_entry(body, pr.number)
        if new_body != body:
            issue.edit(body=new_body)


def record_shipped(ctx: Context, goal: Goal, pr: PullRequest, tz: str) -> Progress:
    """Add `pr` to the Shipped section of `goal`'s issue; edit only if the body changed."""
    assert goal.issue is not None
    issue_number = goal.issue
    with ctx.issue_lock(issue_number):
        issue, body = _fresh(ctx, issue_number)
        new_body, entries = updated_body(body, goal, pr, tz)
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
