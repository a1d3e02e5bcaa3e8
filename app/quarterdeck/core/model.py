"""Plain data the whole of Quarterdeck passes around. No behaviour, no I/O."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # a parsed file is data too; the import is only for the annotation
    from quarterdeck.core.business.definitions import MetricDef
    from quarterdeck.core.review.codeowners import Codeowners

MAX_TEAM_SIZE = 6
# Where a goal stands; a finished goal is never stalled and gets no new issue.
# The type is the one list; GOAL_STATUSES is its values (a Literal over a variable is no type).
GoalStatus = Literal["planned", "in-progress", "shipped", "dropped", "carried-over"]
GOAL_STATUSES: tuple[str, ...] = get_args(GoalStatus)
FINISHED_STATUSES = ("shipped", "dropped")

# The seed article's discussion questions for a growth review.
DEFAULT_QUESTIONS: tuple[str, ...] = (
    "Are our 10 biggest customers happy users of the product?",
    "Do high-ICP and non-ICP customers use the product differently?",
    "Why did customers churn last month, and can we name the reasons?",
    "Which leading indicators predict long-term usage?",
    "Where in the onboarding funnel do new users struggle?",
)


@dataclass(frozen=True)
class Team:
    """A product team: at most six people, led by an engineer, with a PM for context."""

    slug: str
    mission: str = ""
    lead: str | None = None
    pm: str | None = None
    members: tuple[str, ...] = ()
    # Glob patterns (`**` allowed) of the code the team owns, in the home repository, or
    # in another as `owner/name:glob`.
    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # PR labels that mark the team's work
    # Owners in the repository's CODEOWNERS file (`@org/team`, `@login`, an email) whose
    # paths the team owns.
    codeowners: tuple[str, ...] = ()
    # Repositories (`owner/name`, `owner/sdk-*`) whose every PR is the team's, when no
    # path, label or goal says otherwise.
    repos: tuple[str, ...] = ()
    # False while the lead's login is one `init` guessed and nobody confirmed (it sits in
    # the config's `# quarterdeck: check:` block): shown, never @-mentioned.
    lead_confirmed: bool = True
    # The Slack channel (id or name) a published review's overview goes to; None: none.
    slack_channel: str | None = None

    @property
    def people(self) -> tuple[str, ...]:
        """Everyone on the team: members plus lead and PM, each once, in order."""
        seen: dict[str, None] = {}
        for login in (*self.members, self.lead, self.pm):
            if login:
                seen.setdefault(login, None)
        return tuple(seen)


@dataclass(frozen=True)
class Objective:
    """A company objective for a quarter, owned by an exec; team goals serve it."""

    id: str
    title: str
    quarter: str  # "2026-Q4"
    owner: str | None = None  # the exec's GitHub login (None: an objective issue unassigned)
    description: str = ""
    issue: int | None = None  # when it is tracked as an `objective` issue
    # Where it was written ("objectives/2026-Q4.yml", ".github/quarterdeck.yml", "issue #7").
    source: str = ""


@dataclass(frozen=True)
class Goal:
    """A thing a team means to build this quarter, owned by named engineers."""

    id: str
    title: str
    team: str
    quarter: str  # "2026-Q4"
    owners: tuple[str, ...] = ()
    issue: int | None = None  # tracking issue number
    motivation: str = ""
    status: str = "planned"  # one of GOAL_STATUSES
    # The goal issue's "What we'll ship" task list; None when no issue or no list.
    tasks_done: int | None = None
    tasks_total: int | None = None
    # What belongs to the goal without anyone writing `Goal: #12` (core.review.goal_rules):
    paths: tuple[str, ...] = ()  # globs of the code it changes
    labels: tuple[str, ...] = ()  # PR labels
    branches: tuple[str, ...] = ()  # branch-name prefixes, e.g. "replay/"
    scopes: tuple[str, ...] = ()  # conventional-commit scopes: `feat(replay): ...`
    keywords: tuple[str, ...] = ()  # whole words or phrases in the PR title
    objective: str | None = None  # id of the company objective of its quarter it serves


# A discussion question's evidence (core.review.evidence): the query it carries and
# its table's columns; the config's schema states the same caps.
ColumnType = Literal["text", "count", "currency", "percent", "date"]
COLUMN_TYPES: tuple[str, ...] = get_args(ColumnType)
EvidenceSource = Literal["sql", "hogql", "funnel"]
# A table under a question is evidence to glance at, not a report: ten rows by default,
# never more than MAX_ROWS (each row costs issue-body characters and reading time).
DEFAULT_ROWS = 10
MAX_ROWS = 25
MAX_COLUMNS = 6


@dataclass(frozen=True)
class Column:
    """One column of an evidence table: its header and how its values are shown."""

    name: str
    type: ColumnType = "text"


@dataclass(frozen=True)
class EvidenceQuery:
    """The query a discussion question carries, as the config states it.

    `question` is the question's index in `review.questions`. `query` is the SQL or
    HogQL text, or (`funnel`) the FunnelsQuery's fields as canonical JSON, so equal
    queries are one query. `columns` names and types the answer's columns in order
    (empty: the source's own names, types guessed); `rows` caps the rows shown.
    """

    question: int
    source: EvidenceSource
    query: str
    columns: tuple[Column, ...] = ()
    rows: int = DEFAULT_ROWS

    @property
    def funnel(self) -> dict[str, Any]:
        """The FunnelsQuery fields of a `funnel` query (empty for the others)."""
        return json.loads(self.query) if self.source == "funnel" else {}


@dataclass(frozen=True)
class ReviewSettings:
    """How the monthly growth review is built."""

    metrics_dir: str = "metrics"
    questions: tuple[str, ...] = DEFAULT_QUESTIONS
    # The queries some questions carry (each names its question's index): their small
    # tables show under the questions.
    evidence: tuple[EvidenceQuery, ...] = ()
    timezone: str = "UTC"
    # Count only PRs merged into these; empty: the default branch and what reaches it.
    branches: tuple[str, ...] = ()
    # Offline: other clones to read beside this one, as written (relative to it).
    clones: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricSources:
    """Where metric queries run; the secrets themselves come from the environment."""

    posthog_host: str | None = None  # None: no PostHog configured
    posthog_project: str | None = None
    warehouse_url_env: str | None = None  # the variable naming the SQLAlchemy URL


@dataclass(frozen=True)
class BotSettings:
    """How bot accounts' PRs are counted."""

    # Bot logins whose PRs are real work: counted as shipped even when unplanned (still
    # out of every duration). Matched case-insensitively, with or without `[bot]`.
    count: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """A repo's validated Quarterdeck config, with the goals of every quarter file."""

    teams: tuple[Team, ...] = ()
    goals: tuple[Goal, ...] = ()
    goals_dir: str = "goals"
    goal_label: str = "goal"
    # Company objectives of every quarter: objectives files, the config's list, issues.
    objectives: tuple[Objective, ...] = ()
    objectives_dir: str = "objectives"
    objective_label: str = "objective"
    review: ReviewSettings = field(default_factory=ReviewSettings)
    # login -> emails or names it commits under (offline mode has no logins)
    identities: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    bots: BotSettings = field(default_factory=BotSettings)
    # Company-wide metrics (team None) and each team's own; MetricDef from core.business.
    metrics: tuple[MetricDef, ...] = ()
    sources: MetricSources = field(default_factory=MetricSources)
    # The repository's CODEOWNERS file, read when a team names `owns.codeowners`.
    codeowners: Codeowners | None = None
    # More repositories the teams ship in (`owner/name`, `owner/sdk-*`, `!owner/old-*`),
    # as written; `org: acme` comes first as `acme/*`. Empty: this repository alone.
    repos: tuple[str, ...] = ()

    def metrics_of(self, slug: str | None) -> tuple[MetricDef, ...]:
        """The figures a team's review shows: company-wide ones, then the team's own
        (a team's metric replaces a company-wide one of the same id)."""
        own = [m for m in self.metrics if slug is not None and m.team == slug]
        ids = {m.id for m in own}
        shared = [m for m in self.metrics if m.team is None and m.id not in ids]
        return (*shared, *own)

    def team(self, slug: str) -> Team | None:
        """The team with this slug, or None."""
        return next((t for t in self.teams if t.slug == slug), None)

    def unknown_team(self, slug: str) -> str | None:
        """None when a team has this slug; else what is wrong, with the closest slug
        ("did you mean") and the configured ones: the one rule for a mistyped `--team`."""
        if self.team(slug) is not None:
            return None
        slugs = [t.slug for t in self.teams]
        close = difflib.get_close_matches(slug, slugs, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        known = ", ".join(slugs) or "none are configured"
        return f"no team '{slug}' in the config{hint} (teams: {known})"

    def teams_like(self, typed: str) -> list[str]:
        """The slugs a `--team` being typed may mean: those it begins, else (a typo)
        the closest ones, so completion offers the team a person meant."""
        slugs = [t.slug for t in self.teams]
        begun = [s for s in slugs if s.startswith(typed)]
        return begun or difflib.get_close_matches(typed, slugs, n=3)

    def goal(self, goal_id: str) -> Goal | None:
        """The goal with this id, or None."""
        return next((g for g in self.goals if g.id == goal_id), None)

    def objectives_of(self, quarter: str) -> tuple[Objective, ...]:
        """The company objectives of `quarter` (YYYY-Qn), in the order they were written."""
        return tuple(o for o in self.objectives if o.quarter == quarter)


@dataclass(frozen=True)
class PullRequest:
    """A merged pull request, from git history (offline) or from GitHub.

    Fields a source cannot know stay None; metrics then report them as unavailable
    rather than as zero.
    """

    number: int
    title: str
    author: str  # GitHub login where known, else the best identity git has
    merged_at: datetime  # timezone-aware
    body: str = ""  # PR body, or the full commit message offline
    branch: str | None = None
    labels: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    is_bot: bool = False
    sha: str = ""
    source: str = "git"  # "git" or "github"
    first_commit_at: datetime | None = None
    created_at: datetime | None = None
    ready_at: datetime | None = None
    first_review_at: datetime | None = None
    closing_issues: tuple[int, ...] = ()  # in the PR's own repository
    # issue number -> the goal issue it belongs to (sub-issue parent or milestone goal)
    parent_issues: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    # Other people whose work is in the PR (`Co-authored-by:` trailers, other authors of
    # a merged branch's commits), as logins where known; they count for team ownership.
    co_authors: tuple[str, ...] = ()
    # True when `author` is only a guess from a git identity (an email's local part or
    # a name), not a login the history or the config vouches for.
    author_guessed: bool = False
    # The co-authors known only by a guessed login (see author_guessed).
    co_authors_guessed: tuple[str, ...] = ()
    # The bot or AI assistant that opened the PR for `author` (a person in its
    # `Co-authored-by:` trailers, or GitHub's co-author), when one did.
    opened_by: str | None = None
    # Where it was merged: "owner/name" (or a clone's folder name when it has no
    # GitHub remote), and its web address when that differs from the reviewed
    # repository's. A PR is identified by (repo, number): numbers repeat across
    # repositories.
    repo: str = ""
    url: str = ""
    # Issues of other repositories the PR closes, as `owner/name#N` (GitHub mode).
    closing_elsewhere: tuple[str, ...] = ()
    # Issues it closes (of its own repository) whose parent is in another repository:
    # issue number -> `owner/name#P` (a cross-repository sub-issue).
    parents_elsewhere: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def key(self) -> tuple[str, int]:
        """(repository, number): unique across every repository a review reads."""
        return (self.repo.casefold(), self.number)


@dataclass(frozen=True)
class Link:
    """Where one merged PR landed: a goal, or unplanned work of a team (or of nobody)."""

    pr: PullRequest
    goal_id: str | None
    team: str | None
    # A short id: reference | label | branch | goal-label | goal-branch | goal-scope |
    # goal-paths | goal-keyword | paths | team-label | author | none (core.review.linking)
    rule: str
    reason: str  # one sentence a person can check, e.g. "body says `Goal: #12`"
    # The very goal that matched: ids repeat across quarters, so never look it up again.
    goal: Goal | None = None

    @property
    def planned(self) -> bool:
        return self.goal_id is not None
