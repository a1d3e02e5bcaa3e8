"""`quarterdeck link N`: which goal one merged PR moves, and by which rule.

The PR comes from GitHub (one GraphQL request) or from a local clone's history; the
config comes from the same place; the answer is `core.review.linking.link_pr`, the very
rule the review uses, so what this prints is what the review counts.

Offline, `link` reads what the review of the PR's month reads, no more: `git log
--grep` finds when the PR was merged, then the review's own read of that month
(`read_clone` over `review_window`, in the review's time zone) gives the PR, so its
author, team and goal are the review's, at the cost of one month's review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Link, PullRequest
from quarterdeck.core.review.identities import author_words
from quarterdeck.core.review.linking import link_pr, quarter_of
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.errors import QuarterdeckError
from quarterdeck.services.review.assemble import review_window, reviewed_branches
from quarterdeck.services.review.offline import read_clone
from quarterdeck.sources.git_history import default_branch, pr_merge_times
from quarterdeck.sources.git_run import one_run
from quarterdeck.sources.repo_files import load_repo_config

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: offline, this command never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway

__all__ = ["Explanation", "explain_from_github", "explain_from_repo"]


@dataclass(frozen=True)
class Explanation:
    """One PR's link, with the goal's title and team for a person to read."""

    link: Link
    goal_title: str | None

    def __str__(self) -> str:
        pr = self.link.pr
        lines = [f"#{pr.number} {pr.title} ({author_words(pr)}, merged {pr.merged_at:%Y-%m-%d})"]
        if self.link.goal_id is not None:
            lines.append(f"goal: {self.link.goal_id} — {self.goal_title} (team {self.link.team})")
        else:
            owner = f"team {self.link.team}" if self.link.team else "no team"
            lines.append(f"unplanned work of {owner}")
        lines.append(f"rule: {self.link.rule} — {self.link.reason}")
        return "\n".join(lines) + "\n"


def explain_from_github(gh: GitHubGateway, full_name: str, number: int) -> Explanation:
    """Link PR `number` of `full_name` with the repo's config, both read from GitHub."""
    repo = gh.repo(full_name)
    # The same goals the review and the App link against: files and goal issues.
    config, _ = repo.config_with_goal_issues(objectives=False)  # links need none
    return _explain(config, gh.pr(repo.full_name, number))


@one_run()  # each short git question of the run asked once (the clone does not change)
def explain_from_repo(repo: Path, number: int, *, branch: str | None = None) -> Explanation:
    """Link PR `number` found in a local clone's history, with the clone's config.

    The PR is read as the review of the month it was merged in reads it (see the
    module docstring), so both name the same author, team and goal.
    """
    config, _ = load_repo_config(repo)
    branches = reviewed_branches(config, branch)
    tz = config.review.timezone
    months = [_month_of(merged, tz) for merged in pr_merge_times(repo, number, branches)]
    read: set[Month] = set()
    while months:
        month = months.pop(0)
        if month in read:
            continue
        read.add(month)
        name, prs = read_clone(
            repo, *review_window(config, ReviewPeriod.of(month)), config, branches
        )
        pr = next((p for p in prs if p.number == number), None)
        if pr is not None and _month_of(pr.merged_at, tz) == month:
            return _explain(config, pr, home=name)
        if pr is not None:  # merged first elsewhere: that month's review counts it
            months.insert(0, _month_of(pr.merged_at, tz))
    where = ", ".join(branches) or f"{default_branch(repo)} or a branch merged into it"
    raise QuarterdeckError(
        f"no merged PR #{number} on {where} in {repo}; fetch first "
        "(`git fetch origin`), or pass --github OWNER/REPO to ask GitHub"
    )


def _month_of(when: datetime, tz: str) -> Month:
    local = when.astimezone(ZoneInfo(tz))
    return Month(local.year, local.month)


def _explain(config: Config, pr: PullRequest, home: str | None = None) -> Explanation:
    quarter = quarter_of(pr.merged_at, config.review.timezone)
    link = link_pr(pr, config, quarter=quarter, home=home)
    return Explanation(link, link.goal.title if link.goal else None)
