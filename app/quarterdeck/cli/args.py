"""Arguments several subcommands share, and their validators, declared once.

Each `add_*` puts one option (or one group that always goes together) on a
subcommand's parser; the validators turn a string into the value the services take,
or raise `argparse.ArgumentTypeError`, which argparse reports as a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from quarterdeck.core.calendar import Month, is_quarter
from quarterdeck.core.vocabulary import is_repo_path

# ---------------------------------------------------------------------------- validators


def parse_month(text: str) -> Month:
    """`YYYY-MM`."""
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_quarter(text: str) -> str:
    """`YYYY-Qn`."""
    if not is_quarter(text):
        raise argparse.ArgumentTypeError(
            f"expected a quarter as YYYY-Qn, Q1 to Q4, e.g. 2026-Q4; got {text!r}"
        )
    return text


def parse_pr_number(text: str) -> int:
    """`4214` or `#4214` (as GitHub writes it; quote it in the shell: '#4214')."""
    if not re.fullmatch(r"#?[1-9][0-9]{0,9}", text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a PR number: pass a PR number such as 4214 or #4214"
        )
    return int(text.strip().lstrip("#"))


# ---------------------------------------------------------------------------- arguments

_GITHUB_HELP = (
    "read from GitHub instead of a local clone (token: --token or GITHUB_TOKEN; "
    "API URL: GITHUB_API_URL)"
)


def add_repo_arg(parser: argparse.ArgumentParser, *, several: bool = False) -> None:
    """--repo: the local clone; with `several`, repeatable (the first is the home clone)."""
    if several:
        parser.add_argument(
            "--repo",
            type=Path,
            action="append",
            metavar="PATH",
            help=(
                "path of a local git clone (default: the current directory); repeat it to "
                "review teams that ship in several repositories: the first holds the config"
            ),
        )
        return
    parser.add_argument(
        "--repo",
        type=Path,
        default=Path("."),
        metavar="PATH",
        help="path of the local git clone (default: the current directory)",
    )


def add_github_args(
    parser: argparse.ArgumentParser, *, required: bool = False, help: str = _GITHUB_HELP
) -> None:
    """--github OWNER/REPO and --token; `cli._github` checks OWNER/REPO and connects."""
    parser.add_argument("--github", required=required, metavar="OWNER/REPO", help=help)
    parser.add_argument("--token", help="GitHub token (default: the GITHUB_TOKEN variable)")


def parse_repo_path(text: str) -> str:
    """A file path inside a repository (`vocabulary.is_repo_path`): with `--github` it
    becomes part of a contents API URL, so `..`, a leading `/`, `%` and empty segments
    (which would walk the API) are refused before any request."""
    if not is_repo_path(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a file inside the repository: give a relative path such as "
            ".github/quarterdeck.yml, without '..', '.', empty segments, '%' or a leading '/'"
        )
    return text


def add_config_arg(parser: argparse.ArgumentParser) -> None:
    """--config: where the repo keeps its Quarterdeck config."""
    parser.add_argument(
        "--config",
        default=".github/quarterdeck.yml",
        type=parse_repo_path,
        metavar="PATH",
        help="config file inside the repo (default: .github/quarterdeck.yml)",
    )


def add_team_arg(parser: argparse.ArgumentParser) -> None:
    """--team: one team's report instead of every team's."""
    parser.add_argument("--team", metavar="SLUG", help="only this team (default: every team)")


def add_output_arg(parser: argparse.ArgumentParser) -> None:
    """--output/-o: a file instead of stdout."""
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE")


def add_format_arg(parser: argparse.ArgumentParser, *, help: str = "default: md") -> None:
    """--format md|json."""
    # None, not "md": a terminal draws the Markdown unless --format md asks for it.
    parser.add_argument("--format", choices=("md", "json"), default=None, help=help)


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """--output, --format and --with-bodies: how a review is printed."""
    add_output_arg(parser)
    add_format_arg(parser)
    parser.add_argument(
        "--with-bodies",
        action="store_true",
        help="with --format json: keep each PR's description (offline: its commit message)",
    )


def add_actions_args(parser: argparse.ArgumentParser) -> None:
    """--github-output and --step-summary: the files GitHub Actions reads after a step."""
    parser.add_argument(
        "--github-output",
        type=Path,
        metavar="FILE",
        help="append step outputs (issue-number, issue-url, issues) to FILE "
        "(default in Actions: $GITHUB_OUTPUT)",
    )
    parser.add_argument(
        "--step-summary",
        type=Path,
        metavar="FILE",
        help="append the Markdown to FILE (default in Actions: $GITHUB_STEP_SUMMARY)",
    )


def add_verbose_arg(parser: argparse.ArgumentParser, **kwargs: object) -> None:
    """-v/--verbose: log what happens."""
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens", **kwargs)


def verbose_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept -v after any subcommand too (`quarterdeck review -v`), at every depth."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if "-v" not in sub._option_string_actions:
                    # SUPPRESS: left out, the subcommand keeps what the top level parsed.
                    add_verbose_arg(sub, default=argparse.SUPPRESS)
                verbose_everywhere(sub)


def write_output(args: argparse.Namespace, text: str) -> None:
    """`text` to the `--output` file (saying so on stderr), else to stdout."""
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"quarterdeck: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
