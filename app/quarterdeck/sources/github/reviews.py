"""The growth-review issues of a repository, found by their hidden review marker.

Read by the review (last month's issues carry the lead's decision) and by publishing
(this month's issue is updated, never opened twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

from github.Issue import Issue
from github.Repository import Repository

from quarterdeck.core.calendar import Month
from quarterdeck.core.converge import survivor
from quarterdeck.core.review.quarter_decisions import ReviewIssue, reviews_held_in
from quarterdeck.core.text.markers import read_marker
from quarterdeck.core.vocabulary import REVIEW_LABEL
from quarterdeck.sources.github.client import translated
from quarterdeck.sources.github.goal_listing import is_pull_request, take_issues
from quarterdeck.sources.github.writes import Writer, marked_by_us


class _Numbered(Protocol):
    """An issue as `previous_of` and `ours` read it: PyGithub's, or a gateway's."""

    @property
    def number(self) -> int: ...


_I = TypeVar("_I", bound=_Numbered)

__all__ = [
    "held_reviews",
    "marked_issues",
    "ours",
    "previous_of",
    "previous_review_issues",
    "review_issues",
]


def review_issues(
    repo: Repository,
    label: str | None = REVIEW_LABEL,
    since: datetime | None = None,
    writer: Writer | None = None,
) -> dict[tuple[str, str], list[Issue]]:
    """Review issues by (team, month), oldest first; pull requests and strays skipped.

    With the label, every issue that carries it and the marker is listed (callers keep
    the ones `writer` opened: `ours`); without it (renamed or deleted), only issues
    `writer` opened are, whatever marker a body holds (none when `writer` is None).
    """
    return marked_issues(repo, "review", ("team", "month"), label, since, writer)


def marked_issues(
    repo: Repository,
    kind: str,
    keys: tuple[str, str],
    label: str | None,
    since: datetime | None = None,
    writer: Writer | None = None,
) -> dict[tuple[str, str], list[Issue]]:
    """Issues whose `kind` marker holds both `keys`, by their values, oldest first.

    One listing (state=all) of the issues labelled `label`, or, with `label` None,
    of those updated since `since`, of which only the ones we opened count.
    """
    found: dict[tuple[str, str], list[Issue]] = {}
    filters: dict[str, Any] = {"labels": [label]} if label else {"since": since}
    with translated(f"listing the {label or kind} issues of {repo.full_name}"):
        # Read with the repository (`home.open_home`) when the review opened it so.
        ahead = take_issues(repo, label) if label else None
        for issue in repo.get_issues(state="all", **filters) if ahead is None else ahead:
            attrs = read_marker(issue.body, kind)
            # `issue.pull_request` would cost a GET per issue; the listing's URL says it.
            if not is_pull_request(issue) and attrs and all(k in attrs for k in keys):
                if label is None and (writer is None or not marked_by_us(issue, writer)):
                    continue
                found.setdefault((attrs[keys[0]], attrs[keys[1]]), []).append(issue)
    return {key: sorted(issues, key=lambda i: i.number) for key, issues in found.items()}


def previous_review_issues(repo: Repository, month: Month, writer: Writer) -> dict[str, Issue]:
    """Each team's review issue of the month before `month` that Quarterdeck opened."""
    found = review_issues(repo)
    return previous_of(found, month, writer)


def held_reviews(
    repo: Repository,
    quarter: str,
    writer: Writer,
    found: dict[tuple[str, str], list[Issue]] | None = None,
) -> list[ReviewIssue]:
    """The review issues Quarterdeck opened for the reviews held in `quarter`
    (`core.review.quarter_decisions.reviews_held_in`), one per team and month; from
    `found` (a `review_issues` answer) when given, else from one listing."""
    held = {str(m): m for m in reviews_held_in(quarter)}
    kept = ours(review_issues(repo) if found is None else found, writer)
    return [
        ReviewIssue(team, held[month], issue.number, issue.html_url, issue.body or "")
        for (team, month), issue in kept.items()
        if month in held
    ]


def previous_of(
    found: dict[tuple[str, str], list[_I]], month: Month, writer: Writer
) -> dict[str, _I]:
    """From `review_issues`' answer: each team's issue of the month before `month` that
    Quarterdeck opened (the oldest, should there be copies)."""
    wanted = str(month.previous())
    return {slug: issue for (slug, of), issue in ours(found, writer).items() if of == wanted}


def ours(found: dict[tuple[str, str], list[_I]], writer: Writer) -> dict[tuple[str, str], _I]:
    """Per key of `marked_issues`' answer, the oldest issue Quarterdeck opened, if any."""
    kept: dict[tuple[str, str], _I] = {}
    for key, listed in found.items():
        mine = [i for i in listed if marked_by_us(i, writer)]
        if mine:
            kept[key] = survivor(mine, lambda i: i.number)[0]
    return kept
