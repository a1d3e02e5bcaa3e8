"""The pydantic models of Quarterdeck's four file kinds, and their JSON Schema.

These models are the single source of truth for the shape of the config file
(`.github/quarterdeck.yml`), goals files (`goals/YYYY-Qn.yml`), objectives files
(`objectives/YYYY-Qn.yml`) and metrics files (`metrics/YYYY-MM.yml`); `json_schema()`
publishes them for editors, and `validate` reads data into one of them (a file with
errors gets each one located and worded by `messages`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from quarterdeck.core.business.definitions import STANDARD, Unit, parse_derivation
from quarterdeck.core.business.series import parse_target
from quarterdeck.core.config.fields import (
    MAX_SLUG,
    Branch,
    CodeownersEntry,
    Count,
    Extends,
    Folder,
    Login,
    Owner,
    Paragraph,
    Percent,
    Quarter,
    Query,
    RepoPattern,
    Sentence,
    SlackChannel,
    Slug,
    Text,
    TimeZone,
    Title,
    questions_shape,
)
from quarterdeck.core.config.messages import located
from quarterdeck.core.config.yaml_nodes import Doc
from quarterdeck.core.model import DEFAULT_ROWS, MAX_COLUMNS, MAX_ROWS, ColumnType, GoalStatus
from quarterdeck.errors import Problem

__all__ = [
    "METRICS_FILE_KEYS",
    "BotsSpec",
    "BreakdownSpec",
    "ConfigFile",
    "FeedbackMetrics",
    "GoalSpec",
    "GoalsFile",
    "GoalsSettings",
    "MetricsFile",
    "ObjectiveSpec",
    "ObjectivesFile",
    "Ownership",
    "ProductMetrics",
    "QuarterObjectiveSpec",
    "QuestionSpec",
    "RevenueMetrics",
    "ReviewSpec",
    "TeamMetrics",
    "TeamSpec",
    "json_schema",
    "validate",
]


class _Model(BaseModel):
    # strict: YAML already gives typed values, so "12" for a number is a mistake to
    # report, not to coerce. frozen: parsed files are facts. defer_build: a model's
    # validator is built when first used, not at import (start-up: the config file
    # builds its tree in one go, and a review without goal files never builds theirs).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        # `teams:` with everything below commented out is YAML null; a user means "none".
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class Ownership(_Model):
    """The code and PR labels a team owns; used to place unplanned work."""

    paths: list[Text] = Field(
        default_factory=list,
        description='Glob patterns of files the team owns, e.g. "frontend/insights/**"; '
        "the most specific pattern across teams wins a file. In another repository than "
        'this one: "acme/sdk:src/**".',
    )
    repos: list[RepoPattern] = Field(
        default_factory=list,
        description="Repositories whose every PR is the team's unplanned work when no path "
        'or label says otherwise, e.g. "acme/posthog-js" or "acme/sdk-*".',
    )
    codeowners: list[CodeownersEntry] = Field(
        default_factory=list,
        description="Owners in the repository's CODEOWNERS file whose files the team owns, "
        'e.g. "@acme/replay" or "@alice".',
    )
    labels: list[Text] = Field(
        default_factory=list,
        description='PR labels that mark the team\'s work, e.g. "team/analytics".',
    )


class BreakdownSpec(_Model):
    """The dimension a flagged metric is explained by, and the query that splits it."""

    by: Title = Field(
        description="The dimension's name as the review shows it, e.g. plan, region or customer."
    )
    sql: Query | None = Field(
        None,
        description="A SQL query on the warehouse returning (segment, month, value) rows; "
        "bind :start and :end (the review month and the one before).",
    )
    posthog: Query | None = Field(
        None,
        description="A HogQL query returning (segment, month, value) rows, e.g. the "
        "metric's query with `properties.plan` selected and grouped by; use {start} and "
        "{end}.",
    )
    unit: Unit | None = Field(
        None,
        description="The unit of the segments' values; default: the metric's. A growth "
        "metric's breakdown is of what grows: `unit: usd` for MRR by plan.",
    )

    @model_validator(mode="after")
    def _one_query(self) -> BreakdownSpec:
        given = [k for k in ("sql", "posthog") if getattr(self, k)]
        if len(given) != 1:
            raise PydanticCustomError(
                "qd_breakdown_query",
                "give a breakdown exactly one query, sql: or posthog:, returning "
                "(segment, month, value) rows" + (", not both" if given else ""),
            )
        return self


class MetricSpec(_Model):
    """One figure a review shows over six months, and the one source it comes from."""

    model_config = ConfigDict(populate_by_name=True)

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=MAX_SLUG)] = Field(
        description="Metric id, e.g. mrr or activation; PostHog's standard ids need no title, "
        "unit or section."
    )
    title: Title | None = Field(None, description="What the review calls it.")
    unit: Unit | None = Field(None, description="usd, eur, gbp, percent, count, score or days.")
    section: Text | None = Field(
        None, description="revenue, product, feedback, or a heading of your own."
    )
    posthog: Query | None = Field(
        None,
        description="A HogQL query returning (month, value) rows; use {start} and {end} for "
        "the window.",
    )
    sql: Query | None = Field(
        None,
        description="A SQL query on the warehouse returning (month, value) rows; bind :start "
        "and :end for the window.",
    )
    file: Text | None = Field(
        None,
        description="A figure of the metrics files (metrics/YYYY-MM.yml), e.g. revenue.mrr; "
        "a team's own value under `teams:` wins in its review.",
    )
    derived: Query | None = Field(
        None,
        alias="from",
        description="Computed from other metrics: growth(m), ratio(a, b) or sum(a, b, …).",
    )
    target: Text | None = Field(None, description="A goal for the figure, e.g. '>= 9'.")
    alert: bool = Field(
        True, description="Flag a month two standard deviations off the trailing six."
    )
    chart: bool | None = Field(
        None,
        description="true: always draw its six months as a line chart under the section's "
        "table; false: never. Default: the team's key metrics, then those with a target or "
        "an anomaly this month, at most three charts a team.",
    )
    key: bool = Field(
        False,
        description="A key metric of the team: charted first (every table row has its "
        "sparkline; a chart shows the shape of the few that matter).",
    )
    breakdown: BreakdownSpec | None = Field(
        None,
        description="When the figure misses its target or stands out, show the segments "
        "that moved it most: {by: plan, sql: ...} with a query returning (segment, month, "
        "value) rows; one more query per flagged metric, never for the others.",
    )

    @field_validator("file")
    @classmethod
    def _a_metrics_file_figure(cls, key: str | None) -> str | None:
        # Metrics files refuse unknown keys, so a key outside them could never have data.
        if key is not None and key.strip() not in METRICS_FILE_KEYS:
            close = difflib.get_close_matches(key.strip(), list(METRICS_FILE_KEYS), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else "write one of: " + ", ".join(METRICS_FILE_KEYS)
            )
            raise PydanticCustomError(
                "qd_metric_file_key",
                "'{key}' is not a figure of the metrics files; {hint}",
                {"key": key, "hint": hint},
            )
        return key.strip() if key is not None else None

    @model_validator(mode="after")
    def _one_source_and_a_shape(self) -> MetricSpec:
        standard = STANDARD.get(self.id)
        sources = [k for k in ("posthog", "sql", "file", "derived") if getattr(self, k)]
        if len(sources) > 1:
            raise PydanticCustomError(
                "qd_metric_sources",
                "give a metric exactly one source: posthog, sql, file or from, not "
                + " and ".join("from" if k == "derived" else k for k in sources),
            )
        if not sources and not (standard and standard.derived):
            raise PydanticCustomError(
                "qd_metric_source",
                "this metric has no source: add posthog: (a HogQL query), sql: (a warehouse "
                "query), file: (a key of metrics/YYYY-MM.yml such as revenue.mrr) or from: "
                "(a formula such as growth(mrr))",
            )
        if standard is None:
            missing = [k for k in ("title", "unit", "section") if getattr(self, k) is None]
            if missing:
                raise PydanticCustomError(
                    "qd_metric_shape",
                    "{id} is not one of the standard metrics, so it needs " + ", ".join(missing),
                    {"id": self.id},
                )
        if self.derived:
            try:
                parse_derivation(self.derived)
            except ValueError as exc:
                raise PydanticCustomError("qd_metric_formula", "{why}", {"why": str(exc)}) from None
        if self.target:
            try:
                parse_target(self.target)
            except ValueError as exc:
                raise PydanticCustomError("qd_metric_target", "{why}", {"why": str(exc)}) from None
        return self


class PostHogSource(_Model):
    """The PostHog project metric queries run in; the key is POSTHOG_PERSONAL_API_KEY."""

    host: Text = Field(
        "https://us.posthog.com",
        description="https://us.posthog.com or https://eu.posthog.com; a self-hosted PostHog "
        "only where the environment allows it (QUARTERDECK_POSTHOG_HOSTS).",
    )
    project: Annotated[str, Field(pattern=r"^[0-9]+$")] | int = Field(
        description="The project id, from the project's settings page."
    )


class WarehouseSource(_Model):
    """The SQL warehouse metric queries run on, named by an environment variable."""

    url_env: Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]*$")] = Field(
        "QUARTERDECK_WAREHOUSE_URL",
        description="The environment variable holding the SQLAlchemy URL (never the URL itself).",
    )


class SourcesSpec(_Model):
    """Where metric queries run."""

    posthog: PostHogSource | None = Field(None, description="PostHog's query API.")
    warehouse: WarehouseSource | None = Field(None, description="A SQL warehouse.")


class SlackSpec(_Model):
    """Where a team's review overview is posted; the bot token comes from the environment."""

    channel: SlackChannel = Field(
        description="The channel's id (C0123ABCD) or name; the bot token is "
        "QUARTERDECK_SLACK_TOKEN in the environment, never in the repository."
    )


class TeamSpec(_Model):
    """A product team of six people or fewer, led by an engineer."""

    mission: Sentence = Field("", description="One sentence: why the team exists.")
    lead: Login | None = Field(
        None, description="GitHub login of the engineer who leads the team and decides in reviews."
    )
    pm: Login | None = Field(
        None, description="GitHub login of the product manager who prepares the monthly review."
    )
    members: list[Login] = Field(
        default_factory=list,
        description="GitHub logins of the team's engineers (lead and PM count as members too).",
    )
    metrics: list[MetricSpec] = Field(
        default_factory=list, description="The team's own figures, beside the company-wide ones."
    )
    owns: Ownership = Field(
        default_factory=Ownership,
        description="Paths and labels whose unplanned PRs are this team's.",
    )
    slack: SlackSpec | None = Field(
        None,
        description="Post a short overview of each published review to this Slack channel, "
        "updated in place on re-runs, with the lead's decision in its thread.",
    )


class GoalsSettings(_Model):
    """Where quarterly goals live."""

    files: Folder = Field(
        "goals", description="Folder of goals files, one per quarter: goals/2026-Q4.yml."
    )
    label: Text = Field(
        "goal",
        description="Label of goal issues (with `quarter:YYYY-Qn` and `team:<slug>` labels).",
    )
    objectives: Folder = Field(
        "objectives",
        description="Folder of the company objectives, one file per quarter: "
        "objectives/2026-Q4.yml.",
    )
    objective_label: Text = Field(
        "objective",
        description="Label of objective issues (with a `quarter:YYYY-Qn` label).",
    )


class FunnelStepSpec(_Model):
    """One step of a PostHog funnel: an `EventsNode` of PostHog's FunnelsQuery."""

    kind: Literal["EventsNode"] = Field("EventsNode", description="PostHog's node kind.")
    event: Text | None = Field(
        description="The event that makes the step, e.g. '$pageview' or 'insight saved'; "
        "null: any event."
    )
    name: Text | None = Field(None, description="The step's name (default: the event).")
    custom_name: Text | None = Field(None, description="What the review calls the step.")


class FunnelsFilterSpec(_Model):
    """How PostHog counts a funnel: its `funnelsFilter`."""

    funnelWindowInterval: int = Field(
        14, ge=1, le=365, description="How long a user has to complete the funnel."
    )
    funnelWindowIntervalUnit: Literal["second", "minute", "hour", "day", "week", "month"] = Field(
        "day", description="The unit of funnelWindowInterval."
    )
    funnelOrderType: Literal["ordered", "unordered", "strict"] = Field(
        "ordered", description="Whether the steps must happen in order (strict: nothing between)."
    )


class DateRangeSpec(_Model):
    """A PostHog date range; the review's month when left out."""

    date_from: Text = Field(description="e.g. '2026-11-01' or '-30d'.")
    date_to: Text | None = Field(None, description="e.g. '2026-11-30'; null: now.")


class FunnelSpec(_Model):
    """A PostHog funnel, as PostHog's `FunnelsQuery` takes it (`kind` is added)."""

    series: list[FunnelStepSpec] = Field(
        min_length=2, max_length=MAX_ROWS, description="The funnel's steps, in order."
    )
    funnelsFilter: FunnelsFilterSpec | None = Field(
        None, description="Conversion window and step order."
    )
    dateRange: DateRangeSpec | None = Field(None, description="Default: the review's month.")
    filterTestAccounts: bool = Field(
        False, description="Leave out the project's internal and test users."
    )


class PostHogQuestionSpec(_Model):
    """A question's query in PostHog: HogQL, or a funnel."""

    hogql: Query | None = Field(
        None,
        description="A HogQL query whose rows make the table; use {start} and {end} for the "
        "review's month.",
    )
    funnel: FunnelSpec | None = Field(
        None, description="A funnel: its steps with conversion and drop-off."
    )

    @model_validator(mode="after")
    def _one_query(self) -> PostHogQuestionSpec:
        if (self.hogql is None) == (self.funnel is None):
            raise PydanticCustomError(
                "qd_question_posthog", "give exactly one of hogql: (a query) or funnel: (its steps)"
            )
        return self


class ColumnSpec(_Model):
    """One column of a question's table: its header and how its values read."""

    name: Text = Field(description="The column's header.")
    type: ColumnType = Field("text", description="text, count, currency (USD), percent or date.")


class QuestionSpec(_Model):
    """A discussion question with a query whose small table the review shows under it."""

    ask: Text = Field(description="The question, as the review asks it.")
    sql: Query | None = Field(
        None,
        description="A SQL query on the warehouse; bind :start and :end for the review's month.",
    )
    posthog: PostHogQuestionSpec | None = Field(
        None, description="A HogQL query or a funnel in PostHog."
    )
    columns: list[ColumnSpec] = Field(
        default_factory=list,
        max_length=MAX_COLUMNS,
        description="Names and types of the table's columns, in order (default: the query's "
        "own names).",
    )
    rows: int = Field(
        DEFAULT_ROWS, ge=1, le=MAX_ROWS, description="At most this many rows are shown."
    )

    @model_validator(mode="after")
    def _one_source(self) -> QuestionSpec:
        if self.sql is not None and self.posthog is not None:
            raise PydanticCustomError(
                "qd_question_sources", "give a question one query: sql or posthog, not both"
            )
        return self


def _question_kind(value: Any) -> str:
    return "<query>" if isinstance(value, dict | QuestionSpec) else "<text>"


def _questions_kind(value: Any) -> str:
    return "<default>" if isinstance(value, str) else "<list>"


Question = Annotated[
    Annotated[Text, Tag("<text>")] | Annotated[QuestionSpec, Tag("<query>")],
    Discriminator(_question_kind),
]
Questions = Annotated[
    Annotated[Literal["default"], Tag("<default>")] | Annotated[list[Question], Tag("<list>")],
    Discriminator(_questions_kind),
    questions_shape,
]


class ReviewSpec(_Model):
    """How the monthly growth review is built."""

    metrics: Folder = Field(
        "metrics", description="Folder of the PM's monthly figures: metrics/2026-11.yml."
    )
    questions: Questions = Field(
        "default",
        description="Discussion questions: 'default' for the standard five, or your own "
        "list; a question may be a mapping with `ask:` and a query (`sql:`, or `posthog:` "
        "with `hogql:` or `funnel:`) whose small table the review shows under it.",
    )
    timezone: TimeZone = Field(
        "UTC", description="IANA time zone in which months start and end, e.g. Europe/Berlin."
    )
    branch: Branch | None = Field(
        None,
        description="One branch whose merged PRs are reviewed: the same as `branches: [name]`.",
    )
    branches: list[Branch] = Field(
        default_factory=list,
        description="Count only PRs merged into these branches (e.g. [main, stable]). "
        "Default: every PR merged into the default branch or into a branch that reaches it.",
    )
    clones: list[Text] = Field(
        default_factory=list,
        description="Offline only: local clones of the other repositories the teams ship in, "
        "relative to this clone (e.g. ../sdk); read as if each were given with --repo.",
    )

    @model_validator(mode="after")
    def _one_branch_setting(self) -> ReviewSpec:
        if self.branch is not None and self.branches:
            raise PydanticCustomError(
                "qd_branch_twice",
                "set `branches` or `branch`, not both: move the branch into the list",
            )
        return self


class BotsSpec(_Model):
    """How bot accounts' PRs count."""

    count: list[Login] = Field(
        default_factory=list,
        description="Bot logins whose PRs are real work, e.g. posthog-bot or renovate[bot]: "
        "counted as shipped even when linked to no goal (never in durations). Other bots' "
        "unplanned PRs are listed, not counted. Case-insensitive; `[bot]` optional.",
    )


RootT = TypeVar("RootT")


class _FileOf(RootModel[RootT], Generic[RootT]):
    """A file that is one list (goals, objectives). defer_build here, not only on the
    file's own class: `RootModel[list[X]]` would build its validator at import (about
    30 ms of every start), though most runs read no such file."""

    model_config = ConfigDict(defer_build=True)


class ObjectiveSpec(_Model):
    """A company objective for the quarter, set by an exec before teams pick goals."""

    id: Slug = Field(description="Short stable id, e.g. top-of-funnel; goals name it.")
    title: Title = Field(description="The objective, in a few words.")
    owner: Login = Field(description="GitHub login of the exec who owns the objective.")
    description: Paragraph = Field("", description="What it means and how it is judged.")


class QuarterObjectiveSpec(ObjectiveSpec):
    """An objective written in the config, where the quarter is not in the file name."""

    quarter: Quarter = Field(description="The quarter it is for, e.g. 2026-Q4.")


class ObjectivesFile(_FileOf[list[ObjectiveSpec]]):
    """`objectives/YYYY-Qn.yml`: one quarter's company objectives (quarter from the file name)."""

    model_config = ConfigDict(
        title="Quarterdeck objectives file (objectives/YYYY-Qn.yml)", strict=True, defer_build=True
    )


class ConfigFile(_Model):
    """`.github/quarterdeck.yml`: teams, where goals and metrics live, review settings."""

    model_config = ConfigDict(title="Quarterdeck config (.github/quarterdeck.yml)")

    teams: dict[Slug, TeamSpec] = Field(
        default_factory=dict, description="Product teams by slug, e.g. product-analytics."
    )
    goals: GoalsSettings = Field(default_factory=GoalsSettings, description="Quarterly goals.")
    review: ReviewSpec = Field(default_factory=ReviewSpec, description="Monthly growth review.")
    identities: dict[Login, list[Text]] = Field(
        default_factory=dict,
        description="GitHub login -> the emails or names it commits under (offline mode).",
    )
    bots: BotsSpec = Field(default_factory=BotsSpec, description="Bots whose PRs count.")
    sources: SourcesSpec = Field(
        default_factory=SourcesSpec, description="Where metric queries run: PostHog, a warehouse."
    )
    metrics: list[MetricSpec] = Field(
        default_factory=list, description="Company-wide figures every team's review shows."
    )
    objectives: list[QuarterObjectiveSpec] = Field(
        default_factory=list,
        description="Company objectives, each with its quarter; beside (or instead of) the "
        "files in `goals.objectives`.",
    )
    repos: list[RepoPattern] = Field(
        default_factory=list,
        description=(
            "More repositories the teams ship in, besides this one: owner/name, patterns "
            "such as acme/sdk-* (archived repositories and forks only when named), and "
            "!acme/legacy-* to leave some out."
        ),
    )
    org: Owner | None = Field(
        None, description="Every repository of this organisation (same as repos: [org/*])."
    )
    extends: Extends | None = Field(
        None,
        alias="_extends",
        description="Another config to merge under this one: `repo` or `owner/repo:path.yml`.",
    )

    @property
    def org_wide(self) -> bool:
        """Whether it names more repositories (`repos:`, `org:`): in an owner's `.github`
        repository, that makes it the organisation's home rather than a shared default."""
        return bool(self.repos or self.org)


def _owners_required(schema: dict[str, Any]) -> None:
    # The loader reports a missing `owners` itself, with advice; editors just need to know.
    schema["required"] = [*schema.get("required", []), "owners"]


class GoalSpec(_Model):
    """A thing a team means to build this quarter, with the engineers who own it."""

    model_config = ConfigDict(json_schema_extra=_owners_required)

    id: Slug = Field(description="Short stable id, e.g. funnel-v2; used in `goal:<id>` labels.")
    title: Title = Field(description="What the team will build, in a few words.")
    team: Slug = Field(description="Slug of the team (a key under `teams:`).")
    owners: list[Login] = Field(
        default_factory=list,
        json_schema_extra={"minItems": 1},
        description="GitHub logins of the engineers who own the goal; at least one.",
    )
    issue: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Number of the goal's tracking issue, if any."
    )
    motivation: Paragraph = Field("", description="Why this matters now: the context behind it.")
    objective: Slug | None = Field(
        None, description="Id of the company objective of its quarter the goal serves."
    )
    status: GoalStatus = Field("planned", description="Where the goal stands.")
    # What belongs to the goal, for PRs that name no goal (core.review.goal_rules).
    labels: list[Text] = Field(
        default_factory=list, description='PR labels of the goal\'s work, e.g. "replay".'
    )
    branches: list[Text] = Field(
        default_factory=list, description='Branch-name prefixes of its work, e.g. "replay/".'
    )
    scopes: list[Text] = Field(
        default_factory=list,
        description='Conventional-commit scopes of its PR titles: "replay" for `feat(replay): …`.',
    )
    paths: list[Text] = Field(
        default_factory=list,
        description='Glob patterns of the code it changes, e.g. "frontend/replay/**".',
    )
    keywords: list[Text] = Field(
        default_factory=list,
        description='Words or phrases in its PR titles (whole words, any case), e.g. "replay".',
    )


class GoalsFile(_FileOf[list[GoalSpec]]):
    """`goals/YYYY-Qn.yml`: the list of one quarter's goals (quarter from the file name)."""

    model_config = ConfigDict(
        title="Quarterdeck goals file (goals/YYYY-Qn.yml)", strict=True, defer_build=True
    )


class RevenueMetrics(_Model):
    """Revenue figures for the month."""

    mrr: Annotated[float | None, Field(ge=0, allow_inf_nan=False)] = Field(
        None, description="Monthly recurring revenue at month end."
    )
    mrr_growth: Percent = Field(None, description="MRR growth on last month, in %: 4.2 = 4.2 %.")
    revenue_churn: Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        None, description="Revenue lost to churn and contraction, in % of last month's MRR."
    )
    paying_customers: Count = Field(None, description="Paying customers at month end.")


class ProductMetrics(_Model):
    """Product analytics for the month."""

    active_users: Count = Field(None, description="Monthly active users.")
    user_growth: Percent = Field(None, description="Active-user growth on last month, in %.")
    org_growth: Percent = Field(None, description="Active-organisation growth on last month, in %.")
    retention: Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)] = Field(
        None, description="Share of last month's active users still active, in %."
    )


class FeedbackMetrics(_Model):
    """What users told the team this month."""

    nps: Annotated[float | None, Field(ge=-100, le=100, allow_inf_nan=False)] = Field(
        None, description="Net Promoter Score, -100 to 100."
    )
    interviews: Count = Field(None, description="User interviews held.")
    support_tickets: Count = Field(None, description="Support tickets opened.")
    highlights: list[Text] = Field(
        default_factory=list, description="Quotes or findings worth the whole team's attention."
    )


class TeamMetrics(_Model):
    """One team's own figures for the month; each one given replaces the company-wide one
    in that team's review, the others stay company-wide."""

    revenue: RevenueMetrics = Field(default_factory=RevenueMetrics, description="Revenue.")
    product: ProductMetrics = Field(default_factory=ProductMetrics, description="Product usage.")
    feedback: FeedbackMetrics = Field(default_factory=FeedbackMetrics, description="Feedback.")
    notes: Paragraph = Field("", description="Anything else the team should know this month.")


class MetricsFile(TeamMetrics):
    """`metrics/YYYY-MM.yml`: the PM's business, product and feedback figures for a month,
    company-wide, and optionally each team's own under `teams:`."""

    model_config = ConfigDict(title="Quarterdeck metrics file (metrics/YYYY-MM.yml)")

    teams: dict[Slug, TeamMetrics] = Field(
        default_factory=dict,
        description="Figures of one team (by its slug under `teams:` in the config), e.g. "
        "{checkout: {revenue: {mrr: 1200}}}; they win over the company-wide ones in that "
        "team's review.",
    )


# `section.key` of every number a metrics file holds: what a `file:` metric may name.
METRICS_FILE_KEYS: tuple[str, ...] = tuple(
    f"{section}.{name}"
    for section, info in TeamMetrics.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    for name, field in info.annotation.model_fields.items()
    if get_origin(field.annotation) is not list  # highlights: text, not a figure
)


def json_schema() -> dict[str, Any]:
    """JSON Schema of `.github/quarterdeck.yml`, with the other file kinds in `$defs`.

    The root validates the config file. Goals files validate against
    `#/$defs/GoalsFile`, objectives files against `#/$defs/ObjectivesFile` and
    metrics files against `#/$defs/MetricsFile`.
    """
    _, top = models_json_schema(
        [
            (ConfigFile, "validation"),
            (GoalsFile, "validation"),
            (ObjectivesFile, "validation"),
            (MetricsFile, "validation"),
        ],
        ref_template="#/$defs/{model}",
    )
    defs = top["$defs"]
    root = dict(defs.pop("ConfigFile"))
    schema: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(root)
    schema["$defs"] = defs
    _close_pattern_maps(schema)
    return schema


def _close_pattern_maps(schema: Any) -> None:
    # pydantic leaves keys that miss the slug/login pattern allowed; the loader refuses
    # them, so tell editors too.
    if isinstance(schema, dict):
        if "patternProperties" in schema:
            schema.setdefault("additionalProperties", False)
        for value in schema.values():
            _close_pattern_maps(value)
    elif isinstance(schema, list):
        for value in schema:
            _close_pattern_maps(value)


M = TypeVar("M", bound=BaseModel)


def validate(
    doc: Doc, model: type[M], data: Any, prefix: Sequence[int | str] = ()
) -> tuple[M | None, list[Problem]]:
    """`data` (found at `prefix` in `doc`) as a `model`, or None and every error, located
    (`messages.located`: only a file with errors needs its words)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, located(exc, doc, model, prefix)
