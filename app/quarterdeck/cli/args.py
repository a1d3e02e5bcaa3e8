"""Options several commands share, and their value types, declared once.

Each option function returns a click decorator that puts one option (or one group
that always goes together) on a command. The value types turn a string into the
value the services take, or fail with a message click reports as a usage error
(exit 2, the command's own usage).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from quarterdeck.cli.base import Args
from quarterdeck.core.calendar import Month, is_quarter
from quarterdeck.core.vocabulary import is_repo_path

F = TypeVar("F", bound=Callable[..., Any])

# ---------------------------------------------------------------------------- value types


class _Type(click.ParamType):
    """A value type whose `parse` raises ValueError with the message to show."""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """click's hook: the parsed value, or a usage error saying what is wrong."""
        if not isinstance(value, str):
            return value  # already converted (a default)
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class MonthType(_Type):
    """`YYYY-MM`."""

    name = "YYYY-MM"

    def parse(self, text: str) -> Month:
        return Month.parse(text)


class QuarterType(_Type):
    """`YYYY-Qn`."""

    name = "YYYY-Qn"

    def parse(self, text: str) -> str:
        if not is_quarter(text):
            raise ValueError(f"expected a quarter as YYYY-Qn, Q1 to Q4, e.g. 2026-Q4; got {text!r}")
        return text


class PrNumberType(_Type):
    """`4214` or `#4214` (as GitHub writes it; quote it in the shell: '#4214')."""

    name = "PR_NUMBER"

    def parse(self, text: str) -> int:
        if not re.fullmatch(r"#?[1-9][0-9]{0,9}", text.strip()):
            raise ValueError(f"{text!r} is not a PR number: pass a PR number such as 4214 or #4214")
        return int(text.strip().lstrip("#"))


class RepoPathType(_Type):
    """A file path inside a repository (`vocabulary.is_repo_path`): with `--github` it
    becomes part of a contents API URL, so `..`, a leading `/`, `%` and empty segments
    (which would walk the API) are refused before any request."""

    name = "PATH"

    def parse(self, text: str) -> str:
        if not is_repo_path(text):
            raise ValueError(
                f"{text!r} is not a file inside the repository: give a relative path such as "
                ".github/quarterdeck.yml, without '..', '.', empty segments, '%' or a leading '/'"
            )
        return text


class SecondsType(_Type):
    """A positive whole number of seconds."""

    name = "SECONDS"

    def parse(self, text: str) -> int:
        if not text.isdigit() or int(text) == 0:
            raise ValueError(f"a positive whole number of seconds, not {text!r}")
        return int(text)


class InstantType(_Type):
    """An ISO 8601 date or time; without a zone, UTC."""

    name = "ISO-8601"

    def parse(self, text: str) -> datetime:
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"--now takes an ISO 8601 date or time (2026-12-01 or 2026-12-01T06:00Z), "
                f"not {text!r}"
            ) from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)


class DelaysType(_Type):
    """Whole seconds separated by commas: `60,600,3600`."""

    name = "SECONDS,…"

    def parse(self, text: str) -> tuple[int, ...]:
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not all(p.isdigit() for p in parts):
            raise ValueError(
                f"--retry takes whole seconds separated by commas (60,600,3600), not {text!r}"
            )
        return tuple(int(p) for p in parts)


MONTH, QUARTER, PR_NUMBER = MonthType(), QuarterType(), PrNumberType()
REPO_PATH = RepoPathType()
PATH = click.Path(path_type=Path)

# ---------------------------------------------------------------------------- completion


def complete_team(ctx: click.Context, param: click.Parameter, typed: str) -> list[CompletionItem]:
    """`--team`'s completion: the team slugs of the config of the clone in `--repo` (the
    first one) or the working directory, read through the one config loader; a typo
    is offered the slugs it most likely meant. Nothing when there is no readable config:
    completion never fails a shell."""
    from quarterdeck.errors import QuarterdeckError
    from quarterdeck.sources.git_repo import toplevel
    from quarterdeck.sources.repo_files import load_repo_config

    repo = ctx.params.get("repo") or Path(".")
    if isinstance(repo, tuple):  # review and quarter-report: repeatable
        repo = repo[0]
    config_path = ctx.params.get("config") or ".github/quarterdeck.yml"
    try:
        config, _ = load_repo_config(toplevel(repo), config_path=config_path)
    except (QuarterdeckError, OSError):
        return []
    return [CompletionItem(slug) for slug in config.teams_like(typed)]


# ---------------------------------------------------------------------------- options

_GITHUB_HELP = (
    "read from GitHub instead of a local clone (token: --token or GITHUB_TOKEN; "
    "API URL: GITHUB_API_URL)"
)


def combined(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several option decorators as one, in the order they are shown in --help."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


def repo_option(*, several: bool = False) -> Callable[[F], F]:
    """--repo: the local clone; with `several`, repeatable (the first is the home clone)."""
    if several:
        return click.option(
            "--repo",
            type=PATH,
            multiple=True,
            metavar="PATH",
            help="path of a local git clone (default: the current directory); repeat it to "
            "review teams that ship in several repositories: the first holds the config",
        )
    return click.option(
        "--repo",
        type=PATH,
        default=Path("."),
        metavar="PATH",
        help="path of the local git clone (default: the current directory)",
    )


def github_options(*, required: bool = False, help: str = _GITHUB_HELP) -> Callable[[F], F]:
    """--github OWNER/REPO and --token; `cli._github` checks OWNER/REPO and connects."""
    return combined(
        click.option("--github", required=required, metavar="OWNER/REPO", help=help),
        click.option("--token", help="GitHub token (default: the GITHUB_TOKEN variable)"),
    )


def config_option() -> Callable[[F], F]:
    """--config: where the repo keeps its Quarterdeck config."""
    return click.option(
        "--config",
        default=".github/quarterdeck.yml",
        type=REPO_PATH,
        metavar="PATH",
        help="config file inside the repo (default: .github/quarterdeck.yml)",
    )


def team_option() -> Callable[[F], F]:
    """--team: one team's report instead of every team's; completes the config's slugs."""
    return click.option(
        "--team",
        metavar="SLUG",
        shell_complete=complete_team,
        help="only this team (default: every team)",
    )


def output_option() -> Callable[[F], F]:
    """--output/-o: a file instead of stdout."""
    return click.option("--output", "-o", type=PATH, metavar="FILE", help="write to FILE")


def format_option(*, help: str = "default: md") -> Callable[[F], F]:
    """--format md|json."""
    # None, not "md": a terminal draws the Markdown unless --format md asks for it.
    return click.option("--format", type=click.Choice(["md", "json"]), default=None, help=help)


def output_options() -> Callable[[F], F]:
    """--output, --format and --with-bodies: how a review is printed."""
    return combined(
        output_option(),
        format_option(),
        click.option(
            "--with-bodies",
            is_flag=True,
            help="with --format json: keep each PR's description (offline: its commit message)",
        ),
    )


def actions_options() -> Callable[[F], F]:
    """--github-output and --step-summary: the files GitHub Actions reads after a step."""
    return combined(
        click.option(
            "--github-output",
            type=PATH,
            metavar="FILE",
            help="append step outputs (issue-number, issue-url, issues) to FILE "
            "(default in Actions: $GITHUB_OUTPUT)",
        ),
        click.option(
            "--step-summary",
            type=PATH,
            metavar="FILE",
            help="append the Markdown to FILE (default in Actions: $GITHUB_STEP_SUMMARY)",
        ),
    )


def outputs_file(args: Args) -> Path | None:
    """The step-output file to append to (`--github-output`, or Actions' own), or None."""
    return _actions_file(getattr(args, "github_output", None), "GITHUB_OUTPUT")


def summary_file(args: Args) -> Path | None:
    """The job summary file to append to (`--step-summary`, or Actions' own), or None."""
    return _actions_file(getattr(args, "step_summary", None), "GITHUB_STEP_SUMMARY")


def _actions_file(explicit: Path | None, variable: str) -> Path | None:
    if explicit is not None:
        return explicit
    if os.environ.get("GITHUB_ACTIONS") == "true" and os.environ.get(variable):
        return Path(os.environ[variable])
    return None


def publish_options() -> Callable[[F], F]:
    """--config, --publish, --dry-run and the Actions output files, on `review`."""
    return combined(
        config_option(),
        click.option(
            "--publish",
            is_flag=True,
            help="open or update one growth-review issue per team in the --github repo",
        ),
        click.option(
            "--dry-run",
            is_flag=True,
            help="print each issue body and what --publish would do; write nothing",
        ),
        actions_options(),
    )


def write_output(args: Args, text: str) -> None:
    """`text` to the `--output` file (saying so on stderr), else to stdout."""
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"quarterdeck: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
