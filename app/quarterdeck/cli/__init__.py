"""The `quarterdeck` command: parse arguments, call a service, print the result.

Exit codes: 0 success; 1 the repo's input is invalid or the job failed (the message
says why); 2 the command line itself is wrong. The arguments several subcommands share
are declared in `cli.args`; `goals` lives in `cli.goals`, publishing and
`quarter-report` in `cli.publish`, `serve`, `worker` and `schedule`
in `webhook.cli`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from quarterdeck import __version__
from quarterdeck.cli.args import (
    add_github_args,
    add_output_args,
    add_repo_arg,
    add_team_arg,
    add_verbose_arg,
    parse_month,
    parse_pr_number,
    verbose_everywhere,
    write_output,
)
from quarterdeck.cli.forgiving import ForgivingParser, chosen, with_examples
from quarterdeck.cli.publish import add_publish_args, add_quarter_report, writes_as
from quarterdeck.core.calendar import Month
from quarterdeck.core.vocabulary import is_login, repo_reference_problem
from quarterdeck.errors import EXIT_FAILED, EXIT_OK, ConfigError, QuarterdeckError
from quarterdeck.redact import RedactFilter, redact

log = logging.getLogger("quarterdeck")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, exposed for tests and for `--help`."""
    parser = ForgivingParser(
        prog="quarterdeck",
        description=(
            "Engineers own the roadmap. Quarterdeck links every merged PR to the quarterly "
            "goal it moves and writes the monthly growth review."
        ),
        epilog="Start with `quarterdeck demo`, then `quarterdeck init` in your own repo.",
    )
    parser.add_argument("--version", action="version", version=f"quarterdeck {__version__}")
    add_verbose_arg(parser)
    # Not required: bare `quarterdeck` prints this help and exits 0 (`main`).
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    review = sub.add_parser(
        "review",
        help="write the monthly growth review from a local clone (no token, no network)",
        description="Build the growth review of a month from a local clone's git history.",
    )
    add_repo_arg(review, several=True)
    review.add_argument(
        "--month",
        type=parse_month,
        metavar="YYYY-MM",
        help="month to review (default: the last full month)",
    )
    add_team_arg(review)
    add_output_args(review)
    review.add_argument(
        "--branch",
        help="count only PRs merged into this branch (default: all that reach the default)",
    )
    add_github_args(review)
    add_publish_args(review)
    review.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1) when any figure is unavailable, listing each and why; with "
        "--publish or --dry-run, before anything is written",
    )

    link = sub.add_parser(
        "link",
        help="explain which goal a merged PR links to, and by which rule",
        description="Link one merged PR the way the review does and say why.",
    )
    link.add_argument(
        "number", type=parse_pr_number, metavar="PR_NUMBER", help="the PR's number: 4214 or '#4214'"
    )
    add_repo_arg(link)
    add_github_args(link)

    validate = sub.add_parser(
        "validate",
        help="check .github/quarterdeck.yml and the goals files",
        description="Check the config and goals files; print every problem with file:line.",
    )
    add_repo_arg(validate)
    validate.add_argument(
        "--strict", action="store_true", help="treat warnings (e.g. a team of 7) as errors"
    )
    add_github_args(
        validate,
        help="the home repository on GitHub: also check that every repository `repos:` "
        "and `org:` name exists and the token can read it",
    )

    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of .github/quarterdeck.yml",
        description="Print the JSON Schema of the config, goals and metrics files.",
    )
    schema.add_argument(
        "--review-output",
        action="store_true",
        help="print the schema of `review --format json` instead",
    )

    init = sub.add_parser(
        "init",
        help="propose teams from the repo's history and write a config and goals file",
        description=(
            "Write .github/quarterdeck.yml with teams read from the clone (CODEOWNERS teams, "
            "else components such as packages/*, else commit scopes; the people who shipped "
            "most PRs there) and a goals file for this quarter."
        ),
    )
    add_repo_arg(init)
    init.add_argument("--force", action="store_true", help="overwrite existing files")

    demo = sub.add_parser(
        "demo",
        help="build a sample repo with a quarter of history and review it",
        description="Build a sample git repo from the bundled example and print its review.",
    )
    demo.add_argument("--keep", type=Path, metavar="DIR", help="build the sample repo in DIR")
    add_output_args(demo)
    add_quarter_report(sub)

    from quarterdeck.webhook.cli import add_commands

    add_commands(sub)  # `serve`, `worker` and `schedule`: the GitHub App
    from quarterdeck.cli.goals import add_goals_commands, add_plan_command

    add_goals_commands(sub)  # `goals sync` and `goals new`
    add_plan_command(sub)  # `plan`: the next quarter's planning issues
    verbose_everywhere(parser)
    with_examples(parser)  # every subcommand's --help ends with examples
    return parser


def _github(args: argparse.Namespace) -> Any:
    """A GitHub client from --token, else the App's GH_APP_ID and key, else GITHUB_TOKEN,
    with GITHUB_API_URL; checks OWNER/REPO."""
    from quarterdeck.sources.github.client import connect

    problem = repo_reference_problem(args.github)
    if problem is not None:
        raise QuarterdeckError(
            f"--github takes OWNER/REPO (e.g. acme/web) or OWNER for its .github repository; "
            f"got {args.github!r}: {problem}"
        )
    base_url = os.environ.get("GITHUB_API_URL") or None
    if not args.token:  # GH_APP_ID (the Action's `app-id`): sign in as the App instead
        from quarterdeck.cli.app_sign_in import app_client

        memo = vars(args).setdefault("app_sign_in", {})  # one token for the run
        signed_in = app_client(args.github, os.environ, base_url=base_url, memo=memo)
        if signed_in is not None:
            return signed_in
    token = args.token or os.environ.get("GITHUB_TOKEN")
    name = "--token" if args.token else "GITHUB_TOKEN"
    return connect(token, base_url=base_url, setting=name)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    if getattr(args, "with_bodies", False) and args.format != "json":
        # PR descriptions exist only in the JSON output: a silent no-op would mislead.
        chosen(parser, args).error(
            "--with-bodies keeps each PR's description in the JSON output; add --format json "
            "(or leave --with-bodies out)"
        )
    if getattr(args, "github", None) and is_login(args.github):
        # An owner alone names its organisation-wide home: the `.github` repository.
        args.github = f"{args.github}/.github"
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="quarterdeck: %(message)s",
        stream=sys.stderr,
    )
    _redact_log_handlers()
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as exc:
        for problem in exc.problems:
            _error(str(problem), prefix="")
        errors = sum(1 for p in exc.problems if p.severity == "error")
        _error(f"{errors} error(s) found; fix them and re-run `quarterdeck validate`.")
        return EXIT_FAILED
    except QuarterdeckError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except OSError as exc:
        # requests' errors are OSErrors: GitHub unreachable once the retries ran out.
        _error(_os_error(exc))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _error(text: str, *, prefix: str = "quarterdeck: ") -> None:
    """Print one failure on stderr: the one place the CLI reports errors, and so the
    place every one of them passes through the redactor (a token GitHub, a proxy or a
    database echoed back is shown as `[redacted]`)."""
    print(prefix + redact(text), file=sys.stderr)


def _redact_log_handlers() -> None:
    """Put the redaction filter on the root logger's handlers (the CLI's own, or a
    host's), once each, so no log line at any level shows a secret."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())


def _os_error(exc: OSError) -> str:
    """A network or file error as one line for a person (no traceback)."""
    import requests

    if isinstance(exc, requests.RequestException):
        return (
            f"could not reach GitHub ({type(exc).__name__}), even after retrying with "
            "backoff; check the network and GITHUB_API_URL (or https://www.githubstatus.com) "
            "and re-run"
        )
    return f"{exc.strerror or type(exc).__name__}: {exc.filename or exc}"


def _clones(paths: list[Path] | None) -> tuple[Path, list[Path]]:
    """`--repo` given once or more: the home clone's top folder, then the others'."""
    tops = [_top(path) for path in paths or [Path(".")]]
    return tops[0], tops[1:]


def _review(args: argparse.Namespace) -> int:
    from quarterdeck.core.review.review_month import month_error
    from quarterdeck.services.figures import FigureSources
    from quarterdeck.services.review import build_reviews

    today = date.today()
    month = args.month or Month.last_full(today)
    error = month_error(month, today)
    if error:
        raise QuarterdeckError(error)
    sources = FigureSources()  # made here so the job summary can count its queries
    if args.github:
        from quarterdeck.services.review import build_reviews_from_github

        gh = _github(args)
        reviews = build_reviews_from_github(
            gh,
            args.github,
            month,
            team=args.team,
            branch=args.branch,
            config_path=args.config,
            figure_sources=sources,
            writer=writes_as(gh),
        )
        return _review_done(_month_warnings(reviews, month, today), args, sources)
    if args.publish or args.dry_run:
        raise QuarterdeckError("--publish and --dry-run need --github OWNER/REPO to write to")
    args.repo, clones = _clones(args.repo)
    progress = _progress()
    reviews = build_reviews(
        args.repo,
        month,
        team=args.team,
        branch=args.branch,
        progress=progress,
        config_path=args.config,
        figure_sources=sources,
        clones=clones,
    )
    _end_progress(progress)
    return _review_done(_month_warnings(reviews, month, today), args, sources)


def _top(repo: Path) -> Path:
    """The clone's top folder, so a command run from a subfolder finds the config."""
    from quarterdeck.sources.git_repo import toplevel

    return toplevel(repo)


def _month_warnings(reviews: list, month: Month, today: date) -> list:
    """Warn on stderr, and in each review, that the month is partial or the history read
    does not cover it (stale clone, history cut part-way or begun later)."""
    from quarterdeck.services.review import with_period_warnings

    reviews = with_period_warnings(reviews, month, today)
    for warning in reviews[0].incomplete_reasons if reviews else ():
        print(f"quarterdeck: warning: {warning}", file=sys.stderr)
    return reviews


def _review_done(reviews: list, args: argparse.Namespace, sources: Any) -> int:
    """Publish (--publish / --dry-run) or print; in Actions, also the job summary, which
    opens with the figures that could not be read. With --strict, any such figure
    fails the command before anything is printed or published."""
    from quarterdeck.cli.publish import (
        figures_summary,
        publish,
        show_review_in_actions,
        strict_error,
        write_review_markdown,
        write_summary,
    )

    write_summary(args, figures_summary(reviews, sources))
    if args.strict:
        strict_error(reviews)
    if args.publish or args.dry_run:
        code = publish(reviews, args, lambda: _github(args))
        write_review_markdown(args, reviews)  # the `review-markdown` output
        return code
    show_review_in_actions(args, reviews, _emit(reviews, args))
    return EXIT_OK


def _quarter_report(args: argparse.Namespace) -> int:
    from quarterdeck.cli.publish import quarter_report_command
    from quarterdeck.services.review import build_reviews

    if args.github:
        from quarterdeck.services.review import github_home_reviews
        from quarterdeck.sources.github.reviews import held_reviews

        gh = _github(args)
        ours = writes_as(gh)
        homes: list[Any] = []  # the home the reviews were read in: its issues are read next

        def from_github(month: Month) -> list:
            home = github_home_reviews(
                gh,
                args.github,
                month,
                team=args.team,
                branch=args.branch,
                config_path=args.config,
                writer=ours,
                whole_quarter=True,
            )
            homes.append(home)
            return home.reviews

        def held(quarter: str) -> list:
            return held_reviews(homes[-1].repo, quarter, ours)

        return quarter_report_command(args, from_github, date.today(), held)

    args.repo, clones = _clones(args.repo)

    def offline(month: Month) -> list:
        return build_reviews(
            args.repo,
            month,
            team=args.team,
            branch=args.branch,
            config_path=args.config,
            clones=clones,
            whole_quarter=True,
        )

    return quarter_report_command(args, offline, date.today())


def _link(args: argparse.Namespace) -> int:
    from quarterdeck.services.link import explain_from_github, explain_from_repo

    if args.github:
        explanation = explain_from_github(_github(args), args.github, args.number)
    else:
        explanation = explain_from_repo(_top(args.repo), args.number)
    sys.stdout.write(str(explanation))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    import shlex

    from quarterdeck.services.demo import DEMO_MONTH, build_demo_repo
    from quarterdeck.services.review import build_reviews

    with tempfile.TemporaryDirectory(prefix="quarterdeck-demo-") as tmp:
        demo = build_demo_repo(args.keep or Path(tmp) / "sample-repo")
        env = demo.env  # for this run only: the embedded warehouse's URL
        progress = _progress()
        reviews = build_reviews(demo.path, DEMO_MONTH, progress=progress, env=env)
        _end_progress(progress)
        _emit(reviews, args)
    if args.keep:
        variables = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        print(
            f"quarterdeck: sample repo kept in {args.keep}; try "
            f"`{variables} quarterdeck review --repo {shlex.quote(str(args.keep))} "
            f"--month {DEMO_MONTH}`",
            file=sys.stderr,
        )
    return EXIT_OK


def _emit(reviews: list, args: argparse.Namespace) -> str | None:
    """Print (or write) the reviews; returns their Markdown when that is what it rendered."""
    from quarterdeck.services.review import render_reviews, reviews_to_json

    if args.format == "json":
        data = reviews_to_json(reviews, with_bodies=args.with_bodies)
        write_output(args, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return None
    text = render_reviews(reviews)
    write_output(args, text)
    return text


def _validate(args: argparse.Namespace) -> int:
    from quarterdeck.services.validate import validate_repo

    github = (_github(args), args.github) if args.github else None
    found = validate_repo(args.repo, strict=args.strict, github=github)
    for problem in found.problems:
        print(problem, file=sys.stderr)
    warned = f", {found.warnings} warning(s)" if found.warnings else ""
    if found.errors or found.config is None:
        print(
            f"quarterdeck: {found.errors} error(s) found{warned}; fix them and re-run "
            "`quarterdeck validate`.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    config = found.config
    print(
        f"quarterdeck: config OK: {len(config.teams)} team(s), {len(config.goals)} goal(s)"
        + warned,
        file=sys.stderr,
    )
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    from quarterdeck.core.config import json_schema

    if args.review_output:
        from quarterdeck.services.review import review_json_schema

        text = json.dumps(review_json_schema(), indent=2, ensure_ascii=False)
    else:
        text = json.dumps(json_schema(), indent=2, sort_keys=True)
    sys.stdout.write(text + "\n")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from quarterdeck.services.starter import write_starter

    written = write_starter(args.repo, today=date.today(), force=args.force)
    for path in written.paths:
        print(f"quarterdeck: wrote {path}", file=sys.stderr)
    proposal = written.proposal
    if proposal is None:
        print(
            "quarterdeck: no history to read teams from; the files hold placeholders",
            file=sys.stderr,
        )
    else:
        slugs = ", ".join(t.slug for t in proposal.teams)
        print(
            f"quarterdeck: proposed {len(proposal.teams)} team(s) from the history of "
            f"{proposal.survey.branch}: {slugs}; check the lines marked `check`",
            file=sys.stderr,
        )
    print("quarterdeck: next, edit them and run `quarterdeck validate`", file=sys.stderr)
    return EXIT_OK


def _progress() -> Callable[[int], None] | None:
    """A commit counter on stderr when a person is watching; silent in pipes and CI."""
    if not sys.stderr.isatty():
        return None

    def show(count: int) -> None:
        # \r rewrites the line in place; \x1b[K clears what a longer line left behind.
        print(f"\rquarterdeck: read {count:,} commits…\x1b[K", end="", file=sys.stderr, flush=True)

    return show


def _end_progress(progress: Callable[[int], None] | None) -> None:
    if progress is not None:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)


def _goals(args: argparse.Namespace) -> int:
    from quarterdeck.cli.goals import goals_command

    return goals_command(args, _github)


def _plan(args: argparse.Namespace) -> int:
    from quarterdeck.cli.goals import plan_command

    return plan_command(args, _github)


def _serve(args: argparse.Namespace) -> int:
    from quarterdeck.webhook.cli import serve

    return serve(args)


def _worker(args: argparse.Namespace) -> int:
    from quarterdeck.webhook.cli import worker

    return worker(args)


def _schedule(args: argparse.Namespace) -> int:
    from quarterdeck.webhook.cli import schedule

    return schedule(args)


_COMMANDS = {
    "serve": _serve,
    "worker": _worker,
    "schedule": _schedule,
    "review": _review,
    "link": _link,
    "quarter-report": _quarter_report,
    "demo": _demo,
    "validate": _validate,
    "schema": _schema,
    "init": _init,
    "goals": _goals,
    "plan": _plan,
}
