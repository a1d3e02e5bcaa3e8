"""The one config loader: YAML text in, validated domain objects (or located problems) out.

Pure: callers pass (display filename, text) pairs and get back a `Config`, a list of
warnings, or a `ConfigError` carrying every problem with its file, line and key. The
pydantic models below are the single source of truth for the shape of the three file
kinds (config, goals, metrics); `json_schema()` publishes them for editors.

Reading goes in three steps so a problem can name its line:
1. compose the YAML into a node tree (nodes carry line marks), refusing abuse early:
   oversized text, deep nesting, alias expansion (YAML bombs), duplicate keys;
2. construct plain Python data from that same tree with the safe constructor;
3. validate with pydantic, then map each error's `loc` back to the node it came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import models_json_schema
from pydantic_core import PydanticCustomError

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.model import (
    DEFAULT_QUESTIONS,
    MAX_TEAM_SIZE,
    Config,
    Goal,
    ReviewSettings,
    Team,
)
from quarterdeck.errors import ConfigError, Problem

__all__ = [
    "CONFIG_PATH",
    "FILE_TOO_LARGE",
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "BusinessMetrics",
    "ConfigFile",
    "GoalsFile",
    "MetricsFile",
    "build_config",
    "json_schema",
    "parse_config",
    "parse_metrics",
    "quarter_of_goals_file",
    "sort_problems",
]

CONFIG_PATH = ".github/quarterdeck.yml"
# Limits that keep a hostile or broken file from hanging the loader. Real config files
# are a few kilobytes and a handful of levels deep, so these never bite honest users.
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_ALIAS_EXPANSION = 10_000  # extra values that aliases (*name) may add to a document

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
# GitHub logins: letters, digits, hyphens; `_` appears in enterprise-managed logins and
# `[bot]` in app logins. Loose on purpose: the goal is to catch "@alice" and "Alice Smith".
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,38}(\[bot\])?")
_GOALS_FILE = re.compile(r"(\d{4}-Q[1-4])\.ya?ml")
FILE_TOO_LARGE = "file is larger than 1 MB; Quarterdeck files are small, so split it or trim it"


# --------------------------------------------------------------------------- field types
# Each custom check raises a PydanticCustomError whose *type* selects the user-facing
# message in `_CUSTOM_MESSAGES`; the user's value is inserted there by str.format, never
# into a template that pydantic would interpret.


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise PydanticCustomError("qd_slug", "not a slug")
    return value


def _login(value: str) -> str:
    if not _LOGIN.fullmatch(value):
        raise PydanticCustomError("qd_login", "not a GitHub login")
    return value


def _title(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("qd_title", "title is empty")
    return value


def _non_empty(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("qd_empty", "must not be empty")
    return value


def _folder(value: str) -> str:
    path = PurePosixPath(value.strip())
    if not value.strip() or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise PydanticCustomError("qd_folder", "not a folder inside the repository")
    return str(path)  # "goals/" -> "goals"


def _timezone(value: str) -> str:
    if value == "UTC":  # valid even on machines without tz data
        return value
    try:
        ZoneInfo(value)
    except Exception as exc:  # ZoneInfo raises ValueError, KeyError or OSError subclasses
        raise PydanticCustomError("qd_timezone", "unknown time zone") from exc
    return value


def _branch(value: str) -> str:
    # The name reaches `git` as an argument: a leading "-" would be read as an option.
    if (
        not value
        or value.startswith(("-", "/"))
        or ".." in value
        or any(c.isspace() or ord(c) < 32 or c in "~^:?*[\\" for c in value)
    ):
        raise PydanticCustomError("qd_branch", "not a branch name")
    return value


def _questions(value: Any) -> Any:
    ok = value == "default" or (
        isinstance(value, list) and all(isinstance(q, str) and q.strip() for q in value)
    )
    if not ok:
        raise PydanticCustomError("qd_questions", "expected 'default' or a list of questions")
    return value


Slug = Annotated[
    str,
    AfterValidator(_slug),
    WithJsonSchema({"type": "string", "pattern": f"^{_SLUG.pattern}$"}),
]
Login = Annotated[
    str,
    AfterValidator(_login),
    WithJsonSchema({"type": "string", "pattern": f"^{_LOGIN.pattern}$"}),
]
Text = Annotated[
    str, AfterValidator(_non_empty), WithJsonSchema({"type": "string", "minLength": 1})
]
Folder = Annotated[str, AfterValidator(_folder)]
Percent = Annotated[float | None, Field(allow_inf_nan=False)]
Count = Annotated[int | None, Field(ge=0)]

_CUSTOM_MESSAGES = {
    "qd_slug": "{v} is not a valid id: use lowercase letters, digits and hyphens, "
    "e.g. product-analytics",
    "qd_login": "{v} is not a GitHub login: write the login alone, without '@', "
    "e.g. alice or alice-smith",
    "qd_empty": "must not be empty",
    "qd_title": "title is empty: say in a few words what the team will build",
    "qd_folder": "{v} is not a folder inside the repository: use a relative path such as goals/",
    "qd_timezone": "{v} is not a known time zone: use an IANA name such as UTC or Europe/Berlin",
    "qd_branch": "{v} is not a usable branch name: write it as git shows it, e.g. main",
    "qd_questions": "expected 'default' or a list of questions, got {d}",
}


# --------------------------------------------------------------------------- file models


class _Model(BaseModel):
    # strict: YAML already gives typed values, so "12" for a number is a mistake to
    # report, not to coerce. frozen: parsed files are facts.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

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
        description='Glob patterns of files the team owns, e.g. "frontend/insights/**".',
    )
    labels: list[Text] = Field(
        default_factory=list,
        description='PR labels that mark the team\'s work, e.g. "team/analytics".',
    )


class TeamSpec(_Model):
    """A product team of six people or fewer, led by an engineer."""

    mission: str = Field("", description="One sentence: why the team exists.")
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
    owns: Ownership = Field(
        default_factory=Ownership,
        description="Paths and labels whose unplanned PRs are this team's.",
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


class ReviewSpec(_Model):
    """How the monthly growth review is built."""

    metrics: Folder = Field(
        "metrics", description="Folder of the PM's monthly figures: metrics/2026-11.yml."
    )
    questions: Annotated[Literal["default"] | list[str], BeforeValidator(_questions)] = Field(
        "default",
        description="Discussion questions: 'default' for the standard five, or your own list.",
    )
    timezone: Annotated[str, AfterValidator(_timezone)] = Field(
        "UTC", description="IANA time zone in which months start and end, e.g. Europe/Berlin."
    )
    branch: Annotated[str, AfterValidator(_branch)] | None = Field(
        None, description="Branch whose history is reviewed; default: the repo's default branch."
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
    extends: str | None = Field(
        None,
        alias="_extends",
        description="Another config to merge under this one: `repo` or `owner/repo:path.yml`.",
    )


def _owners_required(schema: dict[str, Any]) -> None:
    # The loader reports a missing `owners` itself, with advice; editors just need to know.
    schema["required"] = [*schema.get("required", []), "owners"]


class GoalSpec(_Model):
    """A thing a team means to build this quarter, with the engineers who own it."""

    model_config = ConfigDict(json_schema_extra=_owners_required)

    id: Slug = Field(description="Short stable id, e.g. funnel-v2; used in `goal:<id>` labels.")
    title: Annotated[
        str, AfterValidator(_title), WithJsonSchema({"type": "string", "minLength": 1})
    ] = Field(description="What the team will build, in a few words.")
    team: Slug = Field(description="Slug of the team (a key under `teams:`).")
    owners: list[Login] = Field(
        default_factory=list,
        json_schema_extra={"minItems": 1},
        description="GitHub logins of the engineers who own the goal; at least one.",
    )
    issue: Annotated[int, Field(ge=1)] | None = Field(
        None, description="Number of the goal's tracking issue, if any."
    )
    motivation: str = Field("", description="Why this matters now: the context behind it.")
    status: Literal["planned", "in-progress", "shipped", "dropped", "carried-over"] = Field(
        "planned", description="Where the goal stands."
    )


class GoalsFile(RootModel[list[GoalSpec]]):
    """`goals/YYYY-Qn.yml`: the list of one quarter's goals (quarter from the file name)."""

    model_config = ConfigDict(title="Quarterdeck goals file (goals/YYYY-Qn.yml)", strict=True)


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


class MetricsFile(_Model):
    """`metrics/YYYY-MM.yml`: the PM's business, product and feedback figures for a month."""

    model_config = ConfigDict(title="Quarterdeck metrics file (metrics/YYYY-MM.yml)")

    revenue: RevenueMetrics = Field(default_factory=RevenueMetrics, description="Revenue.")
    product: ProductMetrics = Field(default_factory=ProductMetrics, description="Product usage.")
    feedback: FeedbackMetrics = Field(default_factory=FeedbackMetrics, description="Feedback.")
    notes: str = Field("", description="Anything else the team should know this month.")


@dataclass(frozen=True)
class BusinessMetrics:
    """A month's figures from the PM; None means "not supplied", never zero."""

    source: str  # display file name, e.g. metrics/2026-11.yml
    mrr: float | None = None
    mrr_growth: float | None = None  # percent
    revenue_churn: float | None = None  # percent
    paying_customers: int | None = None
    active_users: int | None = None
    user_growth: float | None = None  # percent
    org_growth: float | None = None  # percent
    retention: float | None = None  # percent
    nps: float | None = None
    interviews: int | None = None
    support_tickets: int | None = None
    highlights: tuple[str, ...] = ()
    notes: str = ""

    @property
    def has_revenue(self) -> bool:
        """True when any revenue figure was supplied."""
        return any(
            v is not None
            for v in (self.mrr, self.mrr_growth, self.revenue_churn, self.paying_customers)
        )

    @property
    def has_product(self) -> bool:
        """True when any product-analytics figure was supplied."""
        return any(
            v is not None
            for v in (self.active_users, self.user_growth, self.org_growth, self.retention)
        )

    @property
    def has_feedback(self) -> bool:
        """True when any feedback figure or highlight was supplied."""
        figures = (self.nps, self.interviews, self.support_tickets)
        return any(v is not None for v in figures) or bool(self.highlights)


# --------------------------------------------------------------------------- YAML reading


class _LimitError(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that stops composing past MAX_DEPTH, before Python's recursion limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(
                    f"values are nested more than {MAX_DEPTH} levels deep; "
                    "Quarterdeck files need only a few levels",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # `2026-13-45` matches YAML's date pattern but is no date: say where it is.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} looks like a date but is not one ({exc}); "
                "quote it if it is meant as text",
                node.start_mark,
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _line(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def _check_graph(root: yaml.Node, file: str) -> Problem | None:
    """Refuse alias cycles, alias-induced depth and alias expansion (YAML bombs).

    Iterative post-order walk over unique nodes, so a bomb costs what its text costs.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    unique = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        children = _children(node)
        if done:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in children)
            depth[nid] = 1 + max((depth[id(c)] for c in children), default=0)
            unique += 1
            continue
        if nid in size:
            continue
        if nid in on_path:
            return Problem(
                file,
                _line(node.start_mark),
                "",
                "a YAML alias refers to a value that contains it; write the value out instead",
            )
        on_path.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    if size[id(root)] - unique > MAX_ALIAS_EXPANSION:
        return Problem(
            file,
            None,
            "",
            f"YAML aliases (*name) would expand this file by more than {MAX_ALIAS_EXPANSION:,} "
            "values; write the values out instead of nesting aliases",
        )
    if depth[id(root)] > MAX_DEPTH:
        return Problem(
            file,
            None,
            "",
            f"values are nested more than {MAX_DEPTH} levels deep (counting aliases); "
            "Quarterdeck files need only a few levels",
        )
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


_Loc = list[int | str]


def _duplicate_keys(root: yaml.Node) -> list[tuple[_Loc, int | None, str]]:
    """PyYAML silently keeps the last of two equal keys; find the later ones.

    Runs before construction, which would mix `<<: *merge` keys into the mappings.
    Returns (path, line, message) so the caller can render the path once data exists.
    """
    found: list[tuple[_Loc, int | None, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, _Loc]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    stack.append((value, path))
                    continue
                sub = [*path, key.value]
                if (key.tag, key.value) in first:
                    earlier = _line(first[key.tag, key.value].start_mark)
                    found.append(
                        (
                            sub,
                            _line(key.start_mark),
                            f"duplicate key '{key.value}' (first at line {earlier}); "
                            "YAML would keep only this one, so merge or remove one of them",
                        )
                    )
                else:
                    first[key.tag, key.value] = key
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, [*path, i]) for i, child in enumerate(node.value))
    return found


def _yaml_error(exc: yaml.YAMLError, file: str, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return Problem(
            file,
            line,
            "",
            f"character U+{exc.character:04X} is not allowed in YAML; remove it or save the "
            "file as plain UTF-8 text",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("but ") and exc.context:
            problem = f"{exc.context}, {problem}"
        if "'\\t'" in problem:
            return Problem(
                file, _line(mark), "", "tab character in indentation; indent YAML with spaces"
            )
        if isinstance(exc, yaml.constructor.ConstructorError):
            return Problem(file, _line(mark), "", f"unreadable YAML value: {problem}")
        return Problem(
            file, _line(mark), "", f"invalid YAML: {problem}; check indentation and quoting"
        )
    return Problem(file, None, "", f"invalid YAML: {exc}")


@dataclass(frozen=True)
class _Doc:
    """A parsed YAML document: its data and the node tree to find lines by path."""

    file: str
    root: yaml.Node | None
    data: Any
    # id(mapping node) -> {key text: (key node, value node)}: keeps locating every error
    # of a file with thousands of keys linear rather than quadratic.
    _index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _pairs(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if id(node) not in self._index:
            self._index[id(node)] = {
                k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
            }
        return self._index[id(node)]

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, list[int | str]]:
        """Line of the node at `loc`, and the part of `loc` that exists in the file."""
        node = self.root
        line = _line(node.start_mark) if node is not None else None
        found: list[int | str] = []
        key_node: yaml.Node | None = None
        for item in loc:
            if item == "[key]" and key_node is not None:
                return _line(key_node.start_mark), found
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                pair = self._pairs(node).get(str(item))
                if pair is not None:
                    key_node, child = pair
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(item, int)
                and 0 <= item < len(node.value)
            ):
                key_node = child = node.value[item]
            if child is None:
                # Past the end of the file's own structure (an unknown key's value,
                # a pydantic union tag): the deepest existing node is the best line.
                return line, found
            found.append(item)
            node = child
            line = _line(key_node.start_mark)
        return line, found

    def line_of_value(self, loc: Sequence[int | str]) -> int | None:
        """Line of the value at `loc` (for a key, the key's line)."""
        return self.locate(loc)[0]


def _read_yaml(text: str, file: str) -> tuple[_Doc | None, list[Problem]]:
    """Compose and construct one YAML document, or explain why it cannot be read."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return None, [Problem(file, None, "", FILE_TOO_LARGE)]
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # checks for unprintable characters already
        root = loader.get_single_node()
        if root is None:
            return _Doc(file, None, None), []
        problem = _check_graph(root, file)
        if problem is not None:
            return None, [problem]
        duplicates = _duplicate_keys(root)
        data = loader.construct_document(root)
    except _LimitError as exc:
        return None, [Problem(file, _line(exc.mark), "", exc.message)]
    except yaml.YAMLError as exc:
        return None, [_yaml_error(exc, file, text)]
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. `2026-13-45` looks like a date to YAML and fails to construct
        return None, [Problem(file, None, "", f"unreadable YAML value: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    doc = _Doc(file, root, data)
    if duplicates:
        return None, [Problem(file, line, _render_key(loc, doc), m) for loc, line, m in duplicates]
    return doc, []


# --------------------------------------------------------------------------- validation

_EXPECTED = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "list_type": "expected a list, e.g. [a, b]",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
}


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _describe(value: Any) -> str:
    """The user's value, named the way they wrote it in YAML."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(value)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, bytes):
        return "binary data"
    return f"a {type(value).__name__}"


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: Any, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, found by walking annotations."""
    tp: Any = root
    for item in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, RootModel):
            tp = _unwrap(tp.model_fields["root"].annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = next(
                (f for n, f in tp.model_fields.items() if (f.alias or n) == item),
                None,
            )
            if info is None:
                return None
            tp = info.annotation
        elif getattr(tp, "__origin__", None) in (list, dict):
            tp = tp.__args__[-1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and `X | None` down to X."""
    while True:
        if hasattr(tp, "__metadata__"):
            tp = tp.__origin__
            continue
        args = getattr(tp, "__args__", ())
        if type(tp).__name__ == "UnionType" and len(args) == 2 and type(None) in args:
            tp = next(a for a in args if a is not type(None))
            continue
        return tp


def _message(err: dict[str, Any], root_model: Any) -> str:
    kind, value, loc = err["type"], err.get("input"), err["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(root_model, loc[:-1])
        allowed = _allowed_keys(model) if model else []
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            return f"unknown key '{name}'; did you mean '{close[0]}'?"
        if allowed:
            return f"unknown key '{name}'; expected one of: {', '.join(allowed)}"
        return f"unknown key '{name}'"
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "qd_questions" and isinstance(value, list):
        return "every question must be non-empty text; put quotes around a question with ': '"
    if kind in _CUSTOM_MESSAGES:
        shown = repr(_short(value)) if isinstance(value, str) else _describe(value)
        return _CUSTOM_MESSAGES[kind].format(v=shown, d=_describe(value))
    if kind in _EXPECTED:
        message = f"{_EXPECTED[kind]}, got {_describe(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool | date):
            message += "; put it in quotes if it is meant as text"
        if kind == "int_type" and isinstance(value, str):
            message += "; write the number without quotes"
        if kind == "float_type" and isinstance(value, str):
            message += "; write the number without quotes or a % sign"
        return message
    if kind == "literal_error":
        return f"expected one of {err['ctx']['expected']}, got {_describe(value)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = err["ctx"].get("ge", err["ctx"].get("le"))
        word = "least" if kind == "greater_than_equal" else "most"
        return f"must be at {word} {bound:g}, got {value:g}"
    if kind == "finite_number":
        return "must be a finite number"
    return str(err["msg"])


def _render_key(loc: Sequence[int | str], doc: _Doc) -> str:
    """`teams.analytics.members[2]`: mapping keys dotted, list positions in brackets."""
    key, data = "", doc.data
    for item in loc:
        is_index = isinstance(item, int) and isinstance(data, list)
        key = f"{key}[{item}]" if is_index else _join(key, str(item))
        try:
            data = data[item]
        except (LookupError, TypeError):
            data = None
    if isinstance(doc.data, list) and loc and isinstance(loc[0], int):
        # In a goals file, "funnel-v2.owners" reads better than "[3].owners".
        goal = doc.data[loc[0]] if loc[0] < len(doc.data) else None
        gid = goal.get("id") if isinstance(goal, dict) else None
        if isinstance(gid, str) and _SLUG.fullmatch(gid) and list(loc[1:2]) != ["id"]:
            key = _join(gid, key[len(f"[{loc[0]}]") :].lstrip("."))
    return key


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


M = TypeVar("M", bound=BaseModel)


def _validate(
    doc: _Doc, model: type[M], data: Any, prefix: Sequence[int | str] = ()
) -> tuple[M | None, list[Problem]]:
    """Validate `data` (found at `prefix` in `doc`) and locate every error."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = [*prefix, *(p for p in err["loc"] if isinstance(p, int | str))]
            line, found = doc.locate(loc)
            key_loc = loc if err["type"] in ("extra_forbidden", "missing") else found
            if err["type"] == "missing":
                key_loc = loc
                line, _ = doc.locate(loc[:-1])
            if key_loc and key_loc[-1] == "[key]":
                key_loc = key_loc[:-1]
            err["loc"] = tuple(loc[len(prefix) :])
            problems.append(
                Problem(doc.file, line, _render_key(key_loc, doc), _message(err, model))
            )
        return None, problems


# --------------------------------------------------------------------------- public API


def parse_config(text: str, filename: str) -> tuple[ConfigFile | None, list[Problem]]:
    """Parse `.github/quarterdeck.yml` text; returns the file model (None if invalid)."""
    parsed, problems = _parse_config(text, filename)
    return (parsed[0] if parsed else None), problems


def _parse_config(text: str, file: str) -> tuple[tuple[ConfigFile, _Doc] | None, list[Problem]]:
    doc, problems = _read_yaml(text, file)
    if doc is None:
        return None, problems
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        line = _line(doc.root.start_mark) if doc.root else None
        return None, [
            Problem(
                file,
                line,
                "",
                f"expected a mapping of settings (teams:, goals:, review:), got {_describe(data)}",
            )
        ]
    model, problems = _validate(doc, ConfigFile, data)
    return ((model, doc) if model else None), problems


def quarter_of_goals_file(filename: str) -> str | None:
    """`2026-Q4` for `goals/2026-Q4.yml`; None when the name does not follow YYYY-Qn.yml."""
    match = _GOALS_FILE.fullmatch(PurePosixPath(filename).name)
    return match.group(1) if match and is_quarter(match.group(1)) else None


def _parse_goals(
    text: str, file: str
) -> tuple[tuple[list[tuple[int, GoalSpec]], _Doc] | None, list[Problem]]:
    if quarter_of_goals_file(file) is None:
        name = PurePosixPath(file).name
        return None, [
            Problem(
                file,
                None,
                "",
                f"goals file name {name!r} does not name a quarter: rename it to YYYY-Qn.yml, "
                "e.g. 2026-Q4.yml",
            )
        ]
    doc, problems = _read_yaml(text, file)
    if doc is None:
        return None, problems
    data = [] if doc.data is None else doc.data
    if not isinstance(data, list):
        hint = ""
        if isinstance(data, dict) and set(data) == {"goals"}:
            hint = "; remove the `goals:` line and start each goal with `- id:`"
        line = _line(doc.root.start_mark) if doc.root else None
        return None, [
            Problem(file, line, "", f"expected a list of goals, got {_describe(data)}{hint}")
        ]
    # One goal at a time, so a broken goal does not hide the checks of the others.
    specs: list[tuple[int, GoalSpec]] = []
    for i, item in enumerate(data):
        spec, found = _validate(doc, GoalSpec, item, prefix=[i])
        problems += found
        if spec is not None:
            specs.append((i, spec))
    return (specs, doc), problems


def parse_metrics(text: str, filename: str) -> BusinessMetrics:
    """Parse a `metrics/YYYY-MM.yml` file; raises ConfigError listing every problem."""
    doc, problems = _read_yaml(text, filename)
    model: MetricsFile | None = None
    if doc is not None:
        data = {} if doc.data is None else doc.data
        if isinstance(data, dict):
            model, problems = _validate(doc, MetricsFile, data)
        else:
            line = _line(doc.root.start_mark) if doc.root else None
            problems = [
                Problem(
                    filename,
                    line,
                    "",
                    "expected a mapping with revenue:, product:, feedback: and notes:, "
                    f"got {_describe(data)}",
                )
            ]
    if model is None:
        raise ConfigError(sort_problems(problems))
    r, p, f = model.revenue, model.product, model.feedback
    return BusinessMetrics(
        source=filename,
        mrr=r.mrr,
        mrr_growth=r.mrr_growth,
        revenue_churn=r.revenue_churn,
        paying_customers=r.paying_customers,
        active_users=p.active_users,
        user_growth=p.user_growth,
        org_growth=p.org_growth,
        retention=p.retention,
        nps=f.nps,
        interviews=f.interviews,
        support_tickets=f.support_tickets,
        highlights=tuple(h.strip() for h in f.highlights),
        notes=model.notes.strip(),
    )


def build_config(
    config: tuple[str, str] | None,
    goal_files: list[tuple[str, str]],
    *,
    strict: bool = False,
) -> tuple[Config, list[Problem]]:
    """Validate a config file and goals files into one `Config`.

    Inputs are (display filename, text) pairs; `config=None` means no config file, so
    every setting takes its default. Returns the config and its warnings. Raises
    ConfigError when any file has an error; its `problems` hold every error *and*
    warning across all files, sorted by file and line (filter on `severity`).
    `strict=True` turns team-size warnings into errors.
    """
    problems: list[Problem] = []
    config_file = config[0] if config else CONFIG_PATH
    parsed_cfg: tuple[ConfigFile, _Doc] | None = None
    if config is None:
        parsed_cfg = (ConfigFile(), _Doc(config_file, None, None))
    else:
        parsed_cfg, found = _parse_config(config[1], config[0])
        problems += found

    goals: list[Goal] = []
    placed: list[tuple[GoalSpec, _Doc, int]] = []
    for file, text in goal_files:
        parsed, found = _parse_goals(text, file)
        problems += found
        if parsed:
            specs, doc = parsed
            quarter = quarter_of_goals_file(file) or ""
            for i, spec in specs:
                placed.append((spec, doc, i))
                goals.append(_goal(spec, quarter))

    if parsed_cfg is not None:
        cfg, cfg_doc = parsed_cfg
        problems += _extends_notice(cfg, cfg_doc)
        problems += _team_checks(cfg, cfg_doc, strict=strict)
        problems += _goal_checks(cfg, config_file, placed)
    else:
        # Without valid teams, team checks would only add noise; still check goals alone.
        problems += _goal_checks(None, config_file, placed)

    problems = sort_problems(problems)
    if parsed_cfg is None or any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    cfg = parsed_cfg[0]
    return _config(cfg, goals), problems


def json_schema() -> dict[str, Any]:
    """JSON Schema of `.github/quarterdeck.yml`, with the other file kinds in `$defs`.

    The root validates the config file. Goals files validate against
    `#/$defs/GoalsFile` and metrics files against `#/$defs/MetricsFile`.
    """
    _, top = models_json_schema(
        [(ConfigFile, "validation"), (GoalsFile, "validation"), (MetricsFile, "validation")],
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


# --------------------------------------------------------------------------- semantics


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in reading order: by file, then line (file-level ones first), then key."""
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.key, p.message))


def _extends_notice(cfg: ConfigFile, doc: _Doc) -> Iterator[Problem]:
    if cfg.extends:
        yield Problem(
            doc.file,
            doc.line_of_value(["_extends"]),
            "_extends",
            f"{cfg.extends!r} is not read offline; only this file's settings are used",
            "warning",
        )


def _team_checks(cfg: ConfigFile, doc: _Doc, *, strict: bool) -> Iterator[Problem]:
    for slug, team in cfg.teams.items():
        size = len(_team(slug, team).people)
        if size > MAX_TEAM_SIZE:
            yield Problem(
                doc.file,
                doc.line_of_value(["teams", slug]),
                f"teams.{slug}",
                f"team '{slug}' has {size} people; teams work best at six or fewer — "
                "split the team",
                "error" if strict else "warning",
            )


def _goal_checks(
    cfg: ConfigFile | None, config_file: str, placed: list[tuple[GoalSpec, _Doc, int]]
) -> Iterator[Problem]:
    first: dict[tuple[str, str], tuple[str, int | None]] = {}
    teams = {slug: _team(slug, t) for slug, t in cfg.teams.items()} if cfg else {}
    for spec, doc, i in placed:
        quarter = quarter_of_goals_file(doc.file) or ""
        id_line = doc.line_of_value([i, "id"])
        if (quarter, spec.id) in first:
            where = "{}:{}".format(*first[quarter, spec.id])
            yield Problem(
                doc.file,
                id_line,
                f"{spec.id}.id",
                f"duplicate goal id '{spec.id}' in {quarter} (first at {where}); "
                "give each goal its own id",
            )
        else:
            first[quarter, spec.id] = (doc.file, id_line)
        if not spec.owners:
            line = doc.line_of_value([i, "owners"]) if "owners" in doc.data[i] else None
            yield Problem(
                doc.file,
                line or doc.line_of_value([i]),
                f"{spec.id}.owners",
                "every goal needs an owner: add `owners: [<login>]` with the engineers "
                "who will build it",
            )
        if cfg is None:
            continue
        team = teams.get(spec.team)
        if team is None:
            close = difflib.get_close_matches(spec.team, list(teams), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"define it under `teams:` in {config_file}"
            )
            yield Problem(
                doc.file,
                doc.line_of_value([i, "team"]),
                f"{spec.id}.team",
                f"unknown team '{spec.team}'; {hint}",
            )
            continue
        for j, owner in enumerate(spec.owners):
            if owner not in team.people:
                close = difflib.get_close_matches(owner, list(team.people), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield Problem(
                    doc.file,
                    doc.line_of_value([i, "owners", j]),
                    f"{spec.id}.owners[{j}]",
                    f"owner '{owner}' is not on team '{spec.team}'; {hint}"
                    "fine if they are helping from another team",
                    "warning",
                )


# --------------------------------------------------------------------------- to domain


def _team(slug: str, spec: TeamSpec) -> Team:
    return Team(
        slug=slug,
        mission=spec.mission.strip(),
        lead=spec.lead,
        pm=spec.pm,
        members=tuple(spec.members),
        paths=tuple(spec.owns.paths),
        labels=tuple(spec.owns.labels),
    )


def _goal(spec: GoalSpec, quarter: str) -> Goal:
    return Goal(
        id=spec.id,
        title=spec.title.strip(),
        team=spec.team,
        quarter=quarter,
        owners=tuple(spec.owners),
        issue=spec.issue,
        motivation=spec.motivation.strip(),
        status=spec.status,
    )


def _config(cfg: ConfigFile, goals: list[Goal]) -> Config:
    questions = cfg.review.questions
    return Config(
        teams=tuple(_team(slug, t) for slug, t in cfg.teams.items()),
        goals=tuple(goals),
        goals_dir=cfg.goals.files,
        goal_label=cfg.goals.label,
        review=ReviewSettings(
            metrics_dir=cfg.review.metrics,
            questions=DEFAULT_QUESTIONS
            if questions == "default"
            else tuple(q.strip() for q in questions),
            timezone=cfg.review.timezone,
            branch=cfg.review.branch,
        ),
        identities=MappingProxyType({k: tuple(v) for k, v in cfg.identities.items()}),
    )
