"""The `quarterdeck` command: parse arguments, call a service, print the result.

Exit codes: 0 success; 1 the repo's input is invalid or the job failed (the message
says why); 2 the command line itself is wrong. The command line is click's
(`cli.base`: examples in every --help, `-v` anywhere); the options several commands
share are declared in `cli.args`; `goals` and `plan` live in `cli.goals`,
`quarter-report` in `cli.publish`, the App's `serve`, `worker` and `schedule` in
`cli.app`, shell completion in `cli.completion`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quarterdeck import __version__
from quarterdeck.cli.args import (
    MONTH,
    PATH,
    PR_NUMBER,
    github_options,
    output_options,
    outputs_file,
    publish_options,
    repo_option,
    summary_file,
    team_option,
    write_output,
)
from quarterdeck.cli.base import Args, LazyGroup, examples, runs
from quarterdeck.cli.publish import quarter_report_command, writes_as
from quarterdeck.core.calendar import Month
from quarterdeck.core.vocabulary import repo_reference_problem
from quarterdeck.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, ConfigError, QuarterdeckError
from quarterdeck.redact import redact

# The gateway (PyGithub) is loaded by the GitHub-mode commands only (start-up cost).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway


def _lazy_commands() -> dict[str, Callable[[], click.Command]]:
    """The commands built only when named (or listed by --help and completion): a run
    of `review` or `--version` does not import the modules of the others."""

    def goals() -> click.Command:
        from quarterdeck.cli.goals import goals_group

        return goals_group(lambda args: _gateway(args))

    def plan() -> click.Command:
        from quarterdeck.cli.goals import plan_command

        return plan_command(lambda args: _gateway(args))

    def app_command(name: str) -> Callable[[], click.Command]:
        def load() -> click.Command:
            from quarterdeck.cli import app

            command: click.Command = getattr(app, f"{name}_command")
            return command

        return load

    def completion() -> click.Command:
        from quarterdeck.cli.completion import completion_command

        return completion_command

    def register() -> click.Command:
        from quarterdeck.cli.app_register import app_group

        return app_group

    return {
        "goals": goals,
        "plan": plan,
        "serve": app_command("serve"),
        "worker": app_command("worker"),
        "schedule": app_command("schedule"),
        "completion": completion,
        "app": register,
    }


@click.group(
    cls=LazyGroup,
    lazy=_lazy_commands(),
    invoke_without_command=True,  # bare `quarterdeck` prints this help and exits 0
    context_settings={"help_option_names": ["-h", "--help"]},  # -h, as argparse had
    help="Engineers own the roadmap. Quarterdeck links every merged PR to the quarterly "
    "goal it moves and writes the monthly growth review.",
    epilog="Start with `quarterdeck demo`, then `quarterdeck init` in your own repo.",
)
@click.version_option(__version__, prog_name="quarterdeck", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="log what happens")
@click.pass_context
def root(ctx: click.Context, verbose: bool) -> int:
    """The `quarterdeck` command: its subcommands do the work."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: run the command line `argv` (default: the
    process's) and return its exit code. A usage error prints the (sub)command's usage
    and what is wrong on stderr and raises SystemExit(2), as a command line's error
    always has; `--help` and `--version` return 0."""
    # pydantic looks for plugins in every installed distribution's entry points the
    # first time it builds a validator (~10-30 ms of each start). Quarterdeck ships and
    # uses none; a user who wants theirs sets PYDANTIC_DISABLE_PLUGINS to "" (README).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = root.main(
            args=list(argv) if argv is not None else sys.argv[1:],
            prog_name="quarterdeck",
            standalone_mode=False,  # exit codes and messages are ours, below
        )
    except click.UsageError as exc:
        exc.show()
        raise SystemExit(EXIT_USAGE) from None
    except click.ClickException as exc:  # e.g. a file click could not open
        exc.show()
        return EXIT_FAILED
    except click.Abort:  # Ctrl-C: click turns KeyboardInterrupt into Abort
        _error("interrupted")
        return 130
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
    return int(code or 0)


def _gateway(args: Args) -> GitHubGateway:
    """What every GitHub-mode command holds: the sealed gateway over `_github`'s client."""
    from quarterdeck.sources.github.gateway import GitHubGateway

    return GitHubGateway(_github(args))


def _github(args: Args) -> Any:
    """A GitHub client from --token, else the App's GH_APP_ID and key, else GITHUB_TOKEN,
    with GITHUB_API_URL; checks OWNER/REPO. Commands take it through `_gateway`."""
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


def _error(text: str, *, prefix: str = "quarterdeck: ") -> None:
    """Print one failure on stderr: the one place the CLI reports errors, and so the
    place every one of them passes through the redactor (a token GitHub, a proxy or a
    database echoed back is shown as `[redacted]`)."""
    print(prefix + redact(text), file=sys.stderr)


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


def _clones(paths: Sequence[Path] | None) -> tuple[Path, list[Path]]:
    """`--repo` given once or more: the home clone's top folder, then the others'."""
    tops = [_top(path) for path in paths or [Path(".")]]
    return tops[0], tops[1:]


@root.command(
    "review",
    short_help="write the monthly growth review from a local clone (no token, no network)",
    help="Build the growth review of a month from a local clone's git history.",
    epilog=examples(
        "quarterdeck review                          # last full month, this clone",
        "quarterdeck review --month 2026-11 --team product-analytics",
        "quarterdeck review --format json --with-bodies -o review.json",
        "quarterdeck review --repo ../web --repo ../sdk   # teams shipping in two clones",
        "quarterdeck review --github acme/web --publish   # open or update the issues",
    ),
)
@repo_option(several=True)
@click.option("--month", type=MONTH, help="month to review (default: the last full month)")
@team_option()
@output_options()
@click.option(
    "--branch",
    help="count only PRs merged into this branch (default: all that reach the default)",
)
@github_options()
@publish_options()
@click.option(
    "--strict",
    is_flag=True,
    help="fail (exit 1) when any figure is unavailable, listing each and why; with "
    "--publish or --dry-run, before anything is written",
)
@runs
def _review(args: Args) -> int:
    from quarterdeck.core.review.review_month import month_error
    from quarterdeck.services.review.offline import build_reviews
    from quarterdeck.services.team_figures import FigureSources
    from quarterdeck.sources.git_run import one_run

    today = date.today()
    month = args.month or Month.last_full(today)
    error = month_error(month, today)
    if error:
        raise QuarterdeckError(error)
    sources = FigureSources()  # made here so the job summary can count its queries
    if args.github:
        from quarterdeck.services.review.on_github import github_home_reviews

        gh = _gateway(args)
        reviews = github_home_reviews(
            gh,
            args.github,
            month,
            team=args.team,
            branch=args.branch,
            config_path=args.config,
            figure_sources=sources,
            writer=writes_as(gh),
        ).reviews
        return _review_done(_month_warnings(reviews, month, today), args, sources)
    if args.publish or args.dry_run:
        raise QuarterdeckError("--publish and --dry-run need --github OWNER/REPO to write to")
    with one_run():  # finding the top folder is the run's first git question
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
    from quarterdeck.services.review.assemble import with_period_warnings

    reviews = with_period_warnings(reviews, month, today)
    for warning in reviews[0].incomplete_reasons if reviews else ():
        print(f"quarterdeck: warning: {warning}", file=sys.stderr)
    return reviews


def _review_done(reviews: list, args: Args, sources: Any) -> int:
    """Publish (--publish / --dry-run) or print; in Actions, also the job summary, which
    opens with the figures that could not be read. With --strict, any such figure
    fails the command before anything is printed or published."""
    if not (args.publish or args.dry_run or args.strict) and not (
        summary_file(args) or outputs_file(args)
    ):
        _emit(reviews, args)  # printed only: nothing to publish, check or write for Actions
        return EXIT_OK
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
        code = publish(reviews, args, lambda: _gateway(args))
        write_review_markdown(args, reviews)  # the `review-markdown` output
        return code
    show_review_in_actions(args, reviews, _emit(reviews, args))
    return EXIT_OK


@quarter_report_command
def _quarter_report(args: Args) -> int:
    from quarterdeck.cli.publish import quarter_report
    from quarterdeck.services.review.offline import build_reviews

    if args.github:
        from quarterdeck.services.review.on_github import github_home_reviews

        gh = _gateway(args)
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
            return homes[-1].repo.held_reviews(quarter, ours)

        return quarter_report(args, from_github, date.today(), held)

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

    return quarter_report(args, offline, date.today())


@root.command(
    "link",
    short_help="explain which goal a merged PR links to, and by which rule",
    help="Link one merged PR the way the review does and say why. PR_NUMBER: the PR's "
    "number, 4214 or '#4214'.",
    epilog=examples(
        "quarterdeck link 4214                       # from this clone's history",
        "quarterdeck link '#4214' --github acme/web   # from GitHub",
    ),
)
@click.argument("number", type=PR_NUMBER, metavar="PR_NUMBER")
@repo_option()
@github_options()
@runs
def _link(args: Args) -> int:
    from quarterdeck.services.link import explain_from_github, explain_from_repo

    if args.github:
        explanation = explain_from_github(_gateway(args), args.github, args.number)
    else:
        explanation = explain_from_repo(_top(args.repo), args.number)
    sys.stdout.write(str(explanation))
    return EXIT_OK


@root.command(
    "demo",
    short_help="build a sample repo with a quarter of history and review it",
    help="Build a sample git repo from the bundled example and print its review.",
    epilog=examples(
        "quarterdeck demo",
        "quarterdeck demo --keep /tmp/sample --format json",
    ),
)
@click.option("--keep", type=PATH, metavar="DIR", help="build the sample repo in DIR")
@output_options()
@runs
def _demo(args: Args) -> int:
    import shlex

    from quarterdeck.services.demo import DEMO_MONTH, build_demo_repo
    from quarterdeck.services.review.offline import build_reviews

    with tempfile.TemporaryDirectory(prefix="quarterdeck-demo-") as tmp:
        demo = build_demo_repo(args.keep or Path(tmp) / "sample-repo")
        env = demo.env  # for this run only: the embedded warehouse's URL
        progress = _progress()
        reviews = build_reviews(
            demo.path, DEMO_MONTH, progress=progress, figure_sources=demo.figure_sources()
        )
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


def _emit(reviews: list, args: Args) -> str | None:
    """Print (or write) the reviews; returns their Markdown when that is what it rendered."""
    if args.format == "json":
        from quarterdeck.services.review.as_json import reviews_to_json

        data = reviews_to_json(reviews, with_bodies=args.with_bodies)
        write_output(args, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return None
    from quarterdeck.services.review.as_markdown import render_reviews

    text = render_reviews(reviews)
    from quarterdeck.cli.terminal import emit_markdown  # drawn for a terminal, else as is

    emit_markdown(args, text)
    return text


@root.command(
    "validate",
    short_help="check .github/quarterdeck.yml and the goals files",
    help="Check the config and goals files; print every problem with file:line.",
    epilog=examples(
        "quarterdeck validate",
        "quarterdeck validate --strict --github acme/web",
    ),
)
@repo_option()
@click.option("--strict", is_flag=True, help="treat warnings (e.g. a team of 7) as errors")
@github_options(
    help="the home repository on GitHub: also check that every repository `repos:` "
    "and `org:` name exists and the token can read it"
)
@runs
def _validate(args: Args) -> int:
    from quarterdeck.services.validate import validate_repo

    github = (_gateway(args), args.github) if args.github else None
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


@root.command(
    "schema",
    short_help="print the JSON Schema of .github/quarterdeck.yml",
    help="Print the JSON Schema of the config, goals and metrics files.",
    epilog=examples(
        "quarterdeck schema > schema/quarterdeck.schema.json",
        "quarterdeck schema --review-output",
    ),
)
@click.option(
    "--review-output", is_flag=True, help="print the schema of `review --format json` instead"
)
@runs
def _schema(args: Args) -> int:
    from quarterdeck.core.config import json_schema

    if args.review_output:
        from quarterdeck.services.review.as_json import review_json_schema

        text = json.dumps(review_json_schema(), indent=2, ensure_ascii=False)
    else:
        text = json.dumps(json_schema(), indent=2, sort_keys=True)
    sys.stdout.write(text + "\n")
    return EXIT_OK


@root.command(
    "init",
    short_help="propose teams from the repo's history and write a config and goals file",
    help="Write .github/quarterdeck.yml with teams read from the clone (CODEOWNERS teams, "
    "else components such as packages/*, else commit scopes; the people who shipped "
    "most PRs there) and a goals file for this quarter.",
    epilog=examples(
        "cd your-repo && quarterdeck init",
        "quarterdeck init --repo ../web --force",
    ),
)
@repo_option()
@click.option("--force", is_flag=True, help="overwrite existing files")
@runs
def _init(args: Args) -> int:
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


# Commands declared with their own modules' code: the goals files, planning, the
# quarter's report, the App, and the shell's completion.
# `_github` is looked up when a command runs, not bound now, so a host (or a test)
# that replaces `quarterdeck.cli._github` gets its client used everywhere.
root.add_command(_quarter_report)
