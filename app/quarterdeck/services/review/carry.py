"""What last month carries into a review: its decision and the goals changed since."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config
from quarterdeck.core.review.decisions import read_boxes, read_record
from quarterdeck.core.review.goal_changes import CarriedForward, goal_changes, goals_in_file
from quarterdeck.services.review.view import TeamReview
from quarterdeck.sources.repo_files import (
    LocalReader,
    read_text,
)

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: an offline review never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.core.review.goal_changes import GoalChange
    from quarterdeck.sources.github.gateway import IssueGateway, RepoGateway
    from quarterdeck.sources.github.writes import Writer


def goals_file_of(config: Config, month: Month) -> str:
    """The goals file of `month`'s quarter (`goals/2026-Q4.yml`)."""
    folder = config.goals_dir.strip("/")
    name = f"{month.quarter}.yml"
    return f"{folder}/{name}" if folder else name


def carried_since(config: Config, month: Month) -> datetime:
    """When last month's review was made, as both modes count it: the start of the
    reviewed month (the end of the month that review covered), in the review's zone.
    The same moment offline and on GitHub, so both modes show the same changes."""
    return month.start(config.review.timezone)


def carry_offline(
    repo: Path, config: Config, month: Month, reviews: list[TeamReview], branch: str
) -> list[TeamReview]:
    """Offline: goal changes from the clone's history (its default `branch`); last
    month's decision lives on its review issue, which only GitHub mode reads."""
    from quarterdeck.sources.git_goals_history import goals_file_at

    if month.month_of_quarter == 1 or all(r.team is None for r in reviews):
        # Nothing to compare: a quarter's first month, or only work no team owns
        # (which carries no goals): the goals file's past is not read.
        return [_carry(r, month, config, None, None, "") for r in reviews]
    path = goals_file_of(config, month)
    since = carried_since(config, month)
    then = goals_file_at(repo, branch, path, since)
    now, _ = read_text(LocalReader(repo), path)
    return [_carry(r, month, config, then.text, now, then.unavailable) for r in reviews]


def _carry(
    review: TeamReview,
    month: Month,
    config: Config,
    then: str | None,
    now: str | None,
    unavailable: str,
    previous: IssueGateway | None = None,
) -> TeamReview:
    """`review` with what last month carries into it: the goal changes between the
    goals file `then` and `now`, and last month's review issue `previous` if read."""
    if review.team is None:
        return review
    path = goals_file_of(config, month)
    changes: tuple[GoalChange, ...] = ()
    if month.month_of_quarter != 1 and not unavailable:
        changes = goal_changes(
            goals_in_file(path, then), goals_in_file(path, now), review.team.slug, month.quarter
        )
    carried = CarriedForward(
        month=month.previous(),
        since=carried_since(config, month),
        changes=changes,
        history_unavailable=unavailable,
        new_quarter=month.month_of_quarter == 1,
    )
    if previous is not None:
        carried = with_previous_issue(carried, previous.number, previous.html_url, previous.body)
    return dataclasses.replace(review, carried=carried)


def with_previous_issue(
    carried: CarriedForward, number: int, url: str, body: str | None
) -> CarriedForward:
    """`carried` with the decision last month's review issue holds (recorded or ticked)."""
    return dataclasses.replace(
        carried,
        issue=number,
        issue_url=url,
        decision=read_record(body),
        ticked=read_boxes(body).ticked,
        read_issue=True,
    )


def carry_from_github(
    repo: RepoGateway, config: Config, month: Month, reviews: list[TeamReview], writer: Writer
) -> list[TeamReview]:
    """GitHub mode: last month's review issues (one listing) and the goals file's
    history (`goals_file_then_and_now`: one request when it did not change)."""
    from quarterdeck.sources.github.gateway import doing

    owned = [r for r in reviews if r.team is not None]
    if not owned:
        return reviews
    previous = repo.previous_review_issues(month, writer)
    then = now = None
    unavailable = ""
    if month.month_of_quarter != 1:
        path = goals_file_of(config, month)
        with doing(f"reading the history of {path}"):
            found = repo.goals_file_then_and_now(path, carried_since(config, month))
        then, now, unavailable = found.then, found.now, found.unavailable
        if not found.changed:
            then = now = ""  # the same text: no change, nothing to read
    return [
        _carry(r, month, config, then, now, unavailable, previous.get(r.summary.team))
        for r in reviews
    ]
