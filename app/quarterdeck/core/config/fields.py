"""Field types of Quarterdeck's files: what a slug, login, folder or branch may look like.

Each custom check raises a PydanticCustomError whose *type* selects the user-facing
message in `CUSTOM_MESSAGES`; the user's value is inserted there by str.format, never
into a template that pydantic would interpret.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.config.essentials import LOGIN, SLUG
from quarterdeck.core.review.codeowners import is_owner
from quarterdeck.core.vocabulary import is_login, is_repo_path, is_repo_pattern, split_extends

__all__ = [
    "CUSTOM_MESSAGES",
    "LOGIN",
    "MAX_PARAGRAPH",
    "MAX_QUERY",
    "MAX_SENTENCE",
    "MAX_SLUG",
    "MAX_TEXT",
    "MAX_TITLE",
    "SLUG",
    "UNION_TAGS",
    "Branch",
    "CodeownersEntry",
    "Count",
    "Extends",
    "Folder",
    "Login",
    "Owner",
    "Paragraph",
    "Percent",
    "Quarter",
    "Query",
    "RepoPattern",
    "Sentence",
    "SlackChannel",
    "Slug",
    "Text",
    "TimeZone",
    "Title",
    "questions_shape",
]

# Caps on free text, stated in the JSON Schema and refused by `validate` with the
# file, line and key. Every value ends up in an issue, a comment or a query, so a cap
# bounds the work each one costs; each is well above any value that reads well.
MAX_SLUG = 100  # ids: team slugs, goal ids (they go into labels and markers)
MAX_TITLE = 256  # goal and metric titles: GitHub's own limit for an issue title
MAX_SENTENCE = 1_000  # a team's mission: one sentence
MAX_TEXT = 1_000  # a path, label, keyword, section, host, file figure, highlight
MAX_PARAGRAPH = 10_000  # a goal's motivation, a month's notes
MAX_QUERY = 20_000  # a HogQL or SQL query, a derived formula
# A user or organisation as GitHub allows one (`vocabulary.is_login`), for editors.
OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# `owner/name`, where the name may hold shell-style wildcards (`posthog-*`) and a
# leading `!` excludes; the owner is literal, so one listing per owner answers it.
# A Slack channel as chat.postMessage takes one: its id (C0123ABCD, G… for a private
# channel) or its name (lowercase, digits, `-`, `_`, up to 80 characters, `#` optional).
SLACK_CHANNEL = re.compile(r"[CG][A-Z0-9]{6,}|#?[a-z0-9][a-z0-9_-]{0,79}")
REPO_PATTERN = re.compile(rf"!?{OWNER.pattern}/[A-Za-z0-9_.*?\[\]-]{{1,100}}")


def _slug(value: str) -> str:
    if not SLUG.fullmatch(value):
        raise PydanticCustomError("qd_slug", "not a slug")
    return value


def _login(value: str) -> str:
    if not LOGIN.fullmatch(value):
        raise PydanticCustomError("qd_login", "not a GitHub login")
    return value


def _slack_channel(value: str) -> str:
    if not SLACK_CHANNEL.fullmatch(value):
        raise PydanticCustomError("qd_slack_channel", "not a Slack channel")
    return value


def _repo_pattern(value: str) -> str:
    # The grammar is `vocabulary.is_repo_pattern`'s (one rule for every repository
    # reference); REPO_PATTERN is its shape for editors.
    if not is_repo_pattern(value):
        raise PydanticCustomError("qd_repo", "not a repository pattern")
    return value


def _owner(value: str) -> str:
    if not is_login(value):
        raise PydanticCustomError("qd_owner", "not a GitHub owner")
    return value


def _extends(value: str) -> str:
    if split_extends(value) is None:
        raise PydanticCustomError("qd_extends", "not a config to extend")
    return value


def _quarter(value: str) -> str:
    if not is_quarter(value):
        raise PydanticCustomError("qd_quarter", "not a quarter")
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
    # `is_repo_path`: the one grammar of paths that become contents API URLs.
    if not value.strip() or path.is_absolute() or not is_repo_path(str(path)):
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


def _codeowner(value: str) -> str:
    if not is_owner(value):
        raise PydanticCustomError("qd_codeowner", "not a CODEOWNERS owner")
    return value


def _questions(value: Any) -> Any:
    # The outer shape only: each question (text, or a mapping with a query) is checked
    # by its own model, so an error names the question and the key at fault.
    if value != "default" and not isinstance(value, list):
        raise PydanticCustomError("qd_questions", "expected 'default' or a list of questions")
    return value


def _text(most: int, *, required: bool) -> Any:
    """Free text of at most `most` characters; `required`: not blank either."""
    schema: dict[str, Any] = {"type": "string", "maxLength": most}
    if not required:
        return Annotated[str, StringConstraints(max_length=most), WithJsonSchema(schema)]
    return Annotated[
        str,
        StringConstraints(max_length=most),
        AfterValidator(_non_empty),
        WithJsonSchema({**schema, "minLength": 1}),
    ]


Slug = Annotated[
    str,
    StringConstraints(max_length=MAX_SLUG),
    AfterValidator(_slug),
    WithJsonSchema({"type": "string", "pattern": f"^{SLUG.pattern}$", "maxLength": MAX_SLUG}),
]
Login = Annotated[
    str,
    AfterValidator(_login),
    WithJsonSchema({"type": "string", "pattern": f"^{LOGIN.pattern}$"}),
]
SlackChannel = Annotated[
    str,
    AfterValidator(_slack_channel),
    WithJsonSchema({"type": "string", "pattern": f"^(?:{SLACK_CHANNEL.pattern})$"}),
]
RepoPattern = Annotated[
    str,
    AfterValidator(_repo_pattern),
    WithJsonSchema({"type": "string", "pattern": f"^{REPO_PATTERN.pattern}$"}),
]
Owner = Annotated[
    str,
    AfterValidator(_owner),
    WithJsonSchema({"type": "string", "pattern": f"^{OWNER.pattern}$"}),
]
Extends = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_extends)]
Text = _text(MAX_TEXT, required=True)
Query = _text(MAX_QUERY, required=True)
Sentence = _text(MAX_SENTENCE, required=False)
Paragraph = _text(MAX_PARAGRAPH, required=False)
Folder = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_folder)]
Percent = Annotated[float | None, Field(allow_inf_nan=False)]
Count = Annotated[int | None, Field(ge=0)]
Title = Annotated[
    str,
    StringConstraints(max_length=MAX_TITLE),
    AfterValidator(_title),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_TITLE}),
]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Quarter = Annotated[
    str,
    AfterValidator(_quarter),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-Q[1-4]$"}),
]
Branch = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_branch)]
CodeownersEntry = Annotated[
    str,
    AfterValidator(_codeowner),
    # Looser than the check itself, enough for an editor to flag "acme/replay".
    WithJsonSchema({"type": "string", "pattern": r"^(@\S+|[^@\s]+@\S+)$"}),
]
# Names of the branches of tagged unions (`review.questions`): validation errors carry
# them in their location, and `messages.validate` drops them so an error points at the
# YAML key.
UNION_TAGS = frozenset({"<default>", "<list>", "<text>", "<query>"})
# `review.questions`' outer shape; schema.py builds the full type over its items.
questions_shape = BeforeValidator(_questions)

CUSTOM_MESSAGES = {
    "qd_slug": "{v} is not a valid id: use lowercase letters, digits and hyphens, "
    "e.g. product-analytics",
    "qd_login": "{v} is not a GitHub login: write the login alone, without '@', "
    "e.g. alice or alice-smith",
    "qd_empty": "must not be empty",
    "qd_title": "title is empty: say in a few words what the team will build",
    "qd_folder": "{v} is not a folder inside the repository: use a relative path such as goals/",
    "qd_timezone": "{v} is not a known time zone: use an IANA name such as UTC or Europe/Berlin",
    "qd_branch": "{v} is not a usable branch name: write it as git shows it, e.g. main",
    "qd_codeowner": "{v} is not an owner as CODEOWNERS writes them: use @org/team, @login "
    "or an email, e.g. @acme/replay",
    "qd_slack_channel": "{v} is not a Slack channel: write its id (C0123ABCD, from the "
    "channel's details) or its name as Slack shows it (lowercase, e.g. growth-review)",
    "qd_repo": "{v} is not a repository: write owner/name, a pattern such as acme/sdk-*, "
    "or !acme/legacy-* to leave some out",
    "qd_owner": "{v} is not a GitHub user or organisation: letters, digits and single "
    "inner hyphens, e.g. acme",
    "qd_extends": "{v} is not a config to extend: write `repo`, `owner/repo` or "
    "`owner/repo:path.yml`, with a path inside that repository (no '..', no leading '/', "
    "no '%', no empty segments)",
    "qd_quarter": "{v} is not a quarter: write YYYY-Qn, e.g. 2026-Q4",
    "qd_questions": "expected 'default' or a list of questions, got {d}",
}
