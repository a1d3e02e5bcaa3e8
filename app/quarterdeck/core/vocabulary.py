"""GitHub's words as Quarterdeck reads and writes them, in one place. Pure.

Who is a bot, what a timestamp says, and the labels Quarterdeck puts on issues
(`goal`, `quarter:YYYY-Qn`, `team:<slug>`, `growth-review`, `quarter-planning`), with
one colour and one description each. The review, `link`, `goals sync`, `--publish`,
`plan` and the App all use these, so they cannot read the same thing two ways.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "ACTIONS_BOT",
    "GOAL_COLOR",
    "PLAN_LABEL",
    "QUARTER_PREFIX",
    "REVIEW_LABEL",
    "STATUS_PREFIX",
    "TEAM_PREFIX",
    "LabelSpec",
    "actor",
    "app_login",
    "goal_label_spec",
    "is_bot_identity",
    "is_bot_login",
    "is_full_name",
    "is_login",
    "is_repo_name",
    "is_repo_path",
    "is_repo_pattern",
    "label_values",
    "parse_timestamp",
    "plan_label_spec",
    "quarter_label",
    "quarter_label_spec",
    "repo_reference_problem",
    "review_label_spec",
    "split_extends",
    "team_label",
    "team_label_spec",
]

QUARTER_PREFIX = "quarter:"
TEAM_PREFIX = "team:"
STATUS_PREFIX = "status:"
REVIEW_LABEL = "growth-review"
PLAN_LABEL = "quarter-planning"
BOT_SUFFIX = "[bot]"
# Who an Actions workflow's GITHUB_TOKEN writes as.
ACTIONS_BOT = "github-actions[bot]"

GOAL_COLOR = "0e8a16"  # green: `goal`
QUARTER_COLOR = "1d76db"  # blue: `quarter:YYYY-Qn`
TEAM_COLOR = "5319e7"  # purple: `team:<slug>`
REVIEW_COLOR = "fbca04"  # yellow: `growth-review`
PLAN_COLOR = "c5def5"  # light blue: `quarter-planning`


# ---------------------------------------------------------------------------- bots


# A GitHub login: letters, digits and single inner hyphens, at most 39 characters.
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


def is_login(text: str) -> bool:
    """Whether `text` is a GitHub user login as GitHub allows one (bots' `[bot]` aside)."""
    return _LOGIN.fullmatch(text) is not None


# ------------------------------------------------------------ repository references

# A repository's name as GitHub allows one. `.` and `..` match it but are path segments:
# in `/repos/{owner}/{name}/…` they would walk the API's URL (`acme/..` is `/repos/`).
_REPO_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_DOT_SEGMENTS = frozenset({".", ".."})
# A name pattern of `repos:`: the name's characters plus shell wildcards.
_REPO_NAME_PATTERN = re.compile(r"[A-Za-z0-9._*?\[\]-]{1,100}")
# One segment of a file path inside a repository. No `%` (so no `%2e%2e` or `%2f` that a
# server would decode into traversal), no `\`, `?` or `#`, no control characters.
_PATH_SEGMENT = re.compile(r"[^/%\\?#\x00-\x1f\x7f]{1,255}")
MAX_REPO_PATH = 1_000


def is_repo_name(name: str) -> bool:
    """Whether `name` is a repository name GitHub allows: `[A-Za-z0-9._-]{1,100}`, and
    not `.` or `..` (they would be path segments of the API's URL)."""
    return _REPO_NAME.fullmatch(name) is not None and name not in _DOT_SEGMENTS


def is_full_name(text: str) -> bool:
    """Whether `text` is `owner/name`: a login (`is_login`) and a repository name."""
    owner, slash, name = text.partition("/")
    return bool(slash) and is_login(owner) and is_repo_name(name)


def is_repo_pattern(text: str) -> bool:
    """Whether `text` is a `repos:` entry: `owner/name`, where the name may hold shell
    wildcards (`sdk-*`) and a leading `!` excludes; the owner is literal."""
    owner, slash, name = text.removeprefix("!").partition("/")
    return (
        bool(slash)
        and is_login(owner)
        and _REPO_NAME_PATTERN.fullmatch(name) is not None
        and name not in _DOT_SEGMENTS
    )


def is_repo_path(path: str) -> bool:
    """Whether `path` names a file inside a repository: relative, `/`-separated, no
    empty, `.` or `..` segment, no `%` (encoded traversal), `\\`, `?`, `#` or
    control character."""
    if not path or len(path) > MAX_REPO_PATH:
        return False
    return all(
        _PATH_SEGMENT.fullmatch(part) is not None and part not in _DOT_SEGMENTS
        for part in path.split("/")
    )


def repo_reference_problem(full_name: str, path: str | None = None) -> str | None:
    """Why `full_name` (and a file `path` in it) can't be asked of GitHub, or None.

    The one check every repository reference passes before it becomes part of a URL
    (`_extends`, `repos:`, `--github`, `Goal: owner/repo#N`, markers read back).
    """
    owner, slash, name = full_name.partition("/")
    if not slash:
        return f"{full_name!r} is not owner/name"
    if not is_login(owner):
        return (
            f"{owner!r} is not a GitHub owner: letters, digits and single inner hyphens, "
            "at most 39 characters"
        )
    if not is_repo_name(name):
        return (
            f"{name!r} is not a repository name: letters, digits, '.', '_' and '-', at most "
            "100 characters, and not '.' or '..'"
        )
    if path is not None and not is_repo_path(path):
        return (
            f"{path!r} is not a file inside a repository: a relative path without '..', "
            "'.', empty segments, '%' or '\\'"
        )
    return None


def split_extends(value: str) -> tuple[str | None, str, str | None] | None:
    """Probot's `_extends` (`repo`, `owner/repo`, `[owner/]repo:path.yml`) as (owner or
    None, repo, path or None); None when any part fails `repo_reference_problem` or the
    path is not a `.yml`/`.yaml` file, so nothing malformed is ever asked of GitHub."""
    where, colon, path = value.strip().partition(":")
    owner, slash, name = where.rpartition("/")
    full_name = f"{owner if slash else 'owner'}/{name}"
    if colon and not path.lower().endswith((".yml", ".yaml")):
        return None
    if repo_reference_problem(full_name, path if colon else None) is not None:
        return None
    return (owner if slash else None), name, (path if colon else None)


def app_login(slug: str) -> str:
    """The login a GitHub App with `slug` writes as (its installations' comments and issues):
    `quarterdeck` → `quarterdeck[bot]`."""
    return f"{slug}{BOT_SUFFIX}"


# Bots and AI assistants are not people: never authors, co-authors, members or leads.
# Apps sign as `name[bot]` (`dependabot[bot]`, `devin-ai-integration[bot]`,
# `codegen-sh[bot]`, `chatgpt-codex-connector[bot]`, `google-labs-jules[bot]`,
# `cursor[bot]`, `amazon-q-developer[bot]`); the rest are listed here as they write
# their commits and `Co-authored-by:` trailers.
NOT_PEOPLE_EMAILS = frozenset(
    {
        "noreply@anthropic.com",  # Claude Code: `Co-Authored-By: Claude <noreply@anthropic.com>`
        "copilot@github.com",  # GitHub Copilot
        "cursoragent@cursor.com",  # Cursor's agent: `Cursor Agent <cursoragent@cursor.com>`
        "noreply@openai.com",  # OpenAI Codex
        "codex@openai.com",
        "noreply@aider.chat",  # aider
        "aider@aider.chat",
        "noreply@github.com",  # GitHub itself (web-flow): merges and squashes
        "action@github.com",  # GitHub Actions' default committer
        "devin-ai-integration@users.noreply.github.com",
        "bot@codegen.sh",
    }
)
# Accounts of assistants and automation that are not `[bot]` Apps: the Copilot coding
# agent opens PRs and commits as `Copilot <198982749+Copilot@users.noreply.github.com>`.
NOT_PEOPLE_LOGINS = frozenset(
    {"copilot", "copilot-swe-agent", "cursoragent", "web-flow", "github-actions", "ghost"}
)
# An address no one reads (`noreply@…`, `no-reply@…`) belongs to a tool, never to a
# person: GitHub's per-user `…@users.noreply.github.com` aside.
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply)$", re.IGNORECASE)
# `github-bot@acme.com`, `PostHog Github Bot`: automation naming itself a bot.
_BOT_WORD = re.compile(r"(?:^|[-_.+ ])bot$", re.IGNORECASE)


def is_bot_login(login: str) -> bool:
    """A login that is not a person: a GitHub App's (`dependabot[bot]`; REST and git
    write the suffix) or an assistant's account (`Copilot`, see NOT_PEOPLE_LOGINS)."""
    text = login.strip().casefold()
    return text.endswith(BOT_SUFFIX) or text in NOT_PEOPLE_LOGINS


# A review asks this of every commit author of six months (16,000 times for a few
# dozen people); the answer depends on the two strings alone.
@functools.lru_cache(maxsize=4096)
def is_bot_identity(name: str, email: str) -> bool:
    """A git identity that is not a person: a bot (`renovate[bot] <…+renovate[bot]@…>`),
    an AI assistant (`Claude <noreply@anthropic.com>`, NOT_PEOPLE_EMAILS), an account
    in NOT_PEOPLE_LOGINS, a no-reply address or automation naming itself a bot."""
    name, email = name.strip(), email.strip().casefold()
    if BOT_SUFFIX in name.casefold() or BOT_SUFFIX in email or email in NOT_PEOPLE_EMAILS:
        return True
    local, _, domain = email.partition("@")
    if domain == "users.noreply.github.com":
        return local.partition("+")[2 if "+" in local else 0] in NOT_PEOPLE_LOGINS
    return bool(_NO_REPLY.match(local) or _BOT_WORD.search(local) or _BOT_WORD.search(name))


def actor(user: Mapping[str, Any] | None) -> tuple[str, bool]:
    """(login, is a bot) of a REST user or GraphQL actor; bots always as `name[bot]`.

    REST says `type: Bot`, GraphQL `__typename: Bot` and drops the suffix; a deleted
    account is `ghost`.
    """
    if not isinstance(user, Mapping) or not user:
        return "ghost", False
    login = str(user.get("login") or "ghost")
    bot = "Bot" in (user.get("type"), user.get("__typename")) or is_bot_login(login)
    if bot and not login.casefold().endswith(BOT_SUFFIX):
        login += BOT_SUFFIX
    return login, bot


# ---------------------------------------------------------------------------- time


def parse_timestamp(text: object) -> datetime | None:
    """A GitHub ISO-8601 timestamp (`2026-11-20T10:00:00Z`) as an aware datetime, or None."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# ---------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelSpec:
    """A label Quarterdeck creates: name, colour and description."""

    name: str
    color: str
    description: str


def quarter_label(quarter: str) -> str:
    return f"{QUARTER_PREFIX}{quarter}"


def team_label(slug: str) -> str:
    return f"{TEAM_PREFIX}{slug}"


def label_values(labels: Iterable[str], prefix: str) -> list[str]:
    """What follows `prefix` in each label that has it, any case: `team:web` -> `web`."""
    return [label[len(prefix) :].strip() for label in labels if label.lower().startswith(prefix)]


def goal_label_spec(name: str) -> LabelSpec:
    return LabelSpec(name, GOAL_COLOR, "A quarterly goal (with quarter: and team: labels)")


def quarter_label_spec(quarter: str) -> LabelSpec:
    return LabelSpec(quarter_label(quarter), QUARTER_COLOR, f"Goals of {quarter}")


def team_label_spec(slug: str) -> LabelSpec:
    # GitHub caps descriptions at 100 characters; a slug can be long.
    return LabelSpec(team_label(slug), TEAM_COLOR, f"Work of the {slug} team"[:100])


def review_label_spec() -> LabelSpec:
    return LabelSpec(REVIEW_LABEL, REVIEW_COLOR, "Monthly growth review, opened by Quarterdeck")


def plan_label_spec() -> LabelSpec:
    return LabelSpec(PLAN_LABEL, PLAN_COLOR, "A team's planning issue for the next quarter")
