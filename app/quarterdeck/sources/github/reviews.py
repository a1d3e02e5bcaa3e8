"""The growth-review issues of a repository, found by their hidden review marker.

Read by the review (last month's issues carry the lead's decision) and by publishing
(this month's issue is updated, never opened twice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quarterdeck.core.calendar import Month
from quarterdeck.core.converge import survivor
from quarterdeck.core.text.markers import read_marker
from quarterdeck.core.vocabulary import REVIEW_LABEL
from quarterdeck.sources.github import Issue, Repository, translated
from quarterdeck.sources.github.goals import is_pull_request
from quarterdeck.sources.github.home import take_issues
from quarterdeck.sources.github.writes import Writer, marked_by_us

__all__ = ["previous_of", "previous_review_issues", "review_issues"]


def review_issues(
    repo: Repository,
    label: str | None = REVIEW_LABEL,
    since: datetime | None = None,
    writer: Writer = None,
) -> dict[tuple[str, str], list[Issue]]:
    """Review issues by (team, month), oldest first; pull requests and strays skipped.

    With the label, what carries it is ours (labelling takes triage rights); without
    it (renamed or deleted), only issues we opened count, whatever marker a body holds.
    """
    found: dict[tuple[str, str], list[Issue]] = {}
    filters: dict[str, Any] = {"labels": [label]} if label else {"since": since}
    with translated(f"listing the growth-review issues of {repo.full_name}"):
        # Read with the repository (`home.open_home`) when the review opened it so.
        ahead = take_issues(repo, label) if label else None
        for issue in repo.get_issues(state="all", **filters) if ahead is None else ahead:
            attrs = read_marker(issue.body, "review")
            # `issue.pull_request` would cost a GET per issue; the listing's URL says it.
            if not is_pull_request(issue) and attrs and "team" in attrs and "month" in attrs:
                if label is None and not marked_by_us(issue, writer):
                    continue
                found.setdefault((attrs["team"], attrs["month"]), []).append(issue)
    return {key: sorted(issues, key=lambda i: i.number) for key, issues in found.items()}


def previous_review_issues(
    repo: Repository, month: Month, writer: Writer = None
) -> dict[str, Issue]:
    """Each team's review issue of the month before `month` that Quarterdeck opened."""
    found = review_issues(repo)
    return previous_of(found, month, writer)


def previous_of(
    found: dict[tuple[str, str], list[Issue]], month: Month, writer: Writer
) -> dict[str, Issue]:
    """From `review_issues`' answer: each team's issue of the month before `month` that
    Quarterdeck opened (the oldest, should there be copies)."""
    wanted = str(month.previous())
    issues: dict[str, Issue] = {}
    for (slug, of), listed in found.items():
        ours = [i for i in listed if of == wanted and marked_by_us(i, writer)]
        if ours:
            issues[slug] = survivor(ours, lambda i: i.number)[0]
    return issues
