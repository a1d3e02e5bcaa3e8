"""One installation's scheduled work: find its homes, then review and publish each
month's reviews, or open and keep current each quarter's planning issues.

A home is a repository whose config makes reviews: every repository of the
installation holding its own `.github/quarterdeck.yml`, and the owner's `.github`
repository when its config names `repos:` or `org:` (an organisation-wide home;
without them its file is only the default other repositories fall back to).
Archived repositories and forks are left out: GitHub refuses issues in the first, and
the second carry their upstream's config.

Publishing is `publish_reviews` (or `publish_plans`), so a re-run updates what
changed and nothing else.
One home failing (a broken config, a refusal) does not stop the others; the run then
ends in `ScheduleError`, naming each failed home, after the rest were published.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from quarterdeck.core.calendar import Month, is_quarter
from quarterdeck.core.config import CONFIG_PATH, parse_config
from quarterdeck.errors import QuarterdeckError
from quarterdeck.redact import redact
from quarterdeck.services.plan import plans_from_github
from quarterdeck.services.plan_publish import PlanResult, publish_plans
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review_publish import PublishResult, publish_reviews
from quarterdeck.services.team_figures import FigureSources
from quarterdeck.sources.github.config import ORG_CONFIG_REPO, locate_config
from quarterdeck.sources.github.gateway import GitHubGateway, RepoGateway, doing
from quarterdeck.sources.github.writes import Writer
from quarterdeck.sources.repo_files import Unreadable

if TYPE_CHECKING:
    from quarterdeck.sources.slack import SlackClient

log = logging.getLogger(__name__)

__all__ = [
    "HomeRun",
    "InstallationRun",
    "ScheduleError",
    "find_home",
    "plan_installation",
    "review_installation",
]


@dataclass(frozen=True)
class HomeRun:
    """What one home's reviews (or plans) came to: the publish results, or why it failed."""

    home: str
    results: tuple[PublishResult | PlanResult, ...] = ()
    error: str = ""

    @property
    def actions(self) -> dict[str, int]:
        """How many issues were created, updated or left unchanged."""
        return dict(Counter(r.action for r in self.results))

    def describe(self) -> str:
        if self.error:
            return f"{self.home}: failed: {_first_line(self.error)}"
        counts = ", ".join(f"{n} {action}" for action, n in sorted(self.actions.items()))
        return f"{self.home}: {counts or 'no teams to review'}"


@dataclass(frozen=True)
class InstallationRun:
    """One installation's scheduled run: the reviews of a month (`period` YYYY-MM) or
    the planning issues of a quarter (YYYY-Qn)."""

    installation: int
    period: str
    homes: tuple[HomeRun, ...] = field(default=())

    @property
    def what(self) -> str:
        """`reviews of 2026-11` or `planning issues of 2027-Q1`."""
        return f"{'planning issues' if is_quarter(self.period) else 'reviews'} of {self.period}"

    @property
    def failed(self) -> tuple[HomeRun, ...]:
        return tuple(h for h in self.homes if h.error)

    def describe(self) -> str:
        """One line: each home and what happened there."""
        if not self.homes:
            return "no home repositories (none holds .github/quarterdeck.yml)"
        return "; ".join(h.describe() for h in self.homes)

    def to_json(self) -> dict[str, Any]:
        """The job's result as RQ keeps it (plain JSON)."""
        return {
            "installation": self.installation,
            "period": self.period,
            "homes": [
                {
                    "home": h.home,
                    "error": h.error,
                    "issues": [
                        {"team": r.team, "action": r.action, "number": r.number, "url": r.url}
                        for r in h.results
                    ],
                }
                for h in self.homes
            ],
            "summary": self.describe(),
        }


class ScheduleError(QuarterdeckError):
    """Some home of an installation failed; the others were published."""

    def __init__(self, run: InstallationRun) -> None:
        failed = "\n".join(f"{h.home}: {h.error}" for h in run.failed)
        published = len(run.homes) - len(run.failed)
        super().__init__(
            f"installation {run.installation}, {run.what}: {failed}\n"
            f"({len(run.failed)} home(s) failed, {published} published)"
        )
        self.run = run


def find_home(repo: RepoGateway) -> bool:
    """Whether `repo` is a home: see the module's docstring.

    A config that can't be read or parsed counts as one, so reviewing it reports why.
    """
    if repo.archived or repo.fork:
        return False
    try:
        with doing(f"reading {repo.full_name}:{CONFIG_PATH}"):
            if repo.reader().read(CONFIG_PATH) is None:
                return False
    except Unreadable:
        return True
    if repo.name != ORG_CONFIG_REPO:
        return True
    # Only the config file (read above, kept by the reader) and its `_extends` base:
    # its goals and objectives are read once, by the review.
    with doing(f"reading {repo.full_name}:{CONFIG_PATH}"):
        found, _, base = locate_config(repo.reader(), [])
    parsed, _ = parse_config(found[1], found[0], base=base) if found else (None, [])
    return parsed is None or parsed.org_wide


def review_installation(
    gh: GitHubGateway,
    installation: int,
    month: Month,
    *,
    figure_sources: FigureSources,
    writer: Writer,
    slack: SlackClient | None = None,
) -> InstallationRun:
    """Review and publish `month` in every home of the installation `gh` acts as;
    `writer` is the App's login (`webhook.runtime.app_identity`); `slack`, the
    installation's own Slack client (`webhook.installation_access.installation_slack`), if any.

    `figure_sources` carries the installation's own PostHog key, if its operator gave
    it one (`webhook.installation_access.installation_figures`): there is no default, so the
    process's POSTHOG_PERSONAL_API_KEY is never picked up by accident.

    Raises `ScheduleError` when any home failed (after every other was published), and
    the GitHub error itself when the installation's repositories can't be listed.
    """

    def review(repo: RepoGateway) -> tuple[PublishResult, ...]:
        reviews = github_home_reviews(
            gh, repo.full_name, month, figure_sources=figure_sources, writer=writer
        ).reviews
        return tuple(publish_reviews(repo, reviews, writer=writer, slack=slack))

    return _each_home(gh, installation, str(month), review)


def plan_installation(
    gh: GitHubGateway,
    installation: int,
    quarter: str,
    today: date,
    *,
    writer: Writer,
    force: bool = False,
) -> InstallationRun:
    """Open (in the planning window, or anyway with `force`) or keep current `quarter`'s
    planning issues in every home of the installation, and close them once its goals
    file has landed; raises like `review_installation`."""

    def plan(repo: RepoGateway) -> tuple[PlanResult, ...]:
        found = plans_from_github(
            gh, repo.full_name, quarter, Month(today.year, today.month), writer=writer
        )
        return tuple(publish_plans(found, today=today, force=force))

    return _each_home(gh, installation, quarter, plan)


def _each_home(
    gh: GitHubGateway,
    installation: int,
    period: str,
    work: Callable[[RepoGateway], tuple[PublishResult | PlanResult, ...]],
) -> InstallationRun:
    """`work` on every home of the installation; one home's failure stops no other."""
    repos = gh.installation_repos()
    homes: list[HomeRun] = []
    for repo in repos:
        try:
            if not find_home(repo):
                continue
            homes.append(HomeRun(repo.full_name, work(repo)))
        except Exception as exc:  # one home's failure must not stop the others
            if not isinstance(exc, QuarterdeckError):
                log.exception("scheduled run of %s failed", repo.full_name)
            homes.append(
                HomeRun(repo.full_name, error=redact(str(exc).strip() or type(exc).__name__))
            )
    run = InstallationRun(installation, period, tuple(homes))
    if run.failed:
        raise ScheduleError(run)
    return run


def _first_line(text: str) -> str:
    lines = text.splitlines() or [""]
    return lines[0] + (f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else "")
