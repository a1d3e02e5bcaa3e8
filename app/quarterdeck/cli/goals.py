"""`quarterdeck goals sync` and `goals new`: the command line over their services."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from quarterdeck.cli.args import (
    QUARTER,
    actions_options,
    config_option,
    github_options,
    repo_option,
)
from quarterdeck.cli.base import Args, Command, Group, examples, runs
from quarterdeck.cli.publish import plan_lines, write_issue_outputs, write_summary, writes_as
from quarterdeck.core.text.markdown import escape_inline
from quarterdeck.errors import EXIT_FAILED, EXIT_OK, QuarterdeckError


def goals_group(github: Callable[[Args], Any]) -> click.Group:
    """The `goals` command and its `sync` and `new`; `github(args)` builds sync's client."""

    @click.group(
        "goals",
        cls=Group,
        short_help="start a quarter's goals file; keep goal issues in step with the goals files",
        help="Goals as GitHub issues and labels.",
        epilog=examples(
            "quarterdeck goals new 2027-Q1",
            "quarterdeck goals sync --github acme/web --dry-run",
        ),
    )
    def goals() -> None:
        """`goals` alone is a usage error (click: a group needs its command)."""

    @goals.command(
        "sync",
        short_help="create labels and goal issues from the goals files; update them when "
        "files change",
        help="Turn the goals files of a local checkout into goal issues on GitHub: create the "
        "labels, open an issue per goal, update title, owners and labels when the files "
        "change. Idempotent; never closes or deletes anything. Changes people made on "
        "GitHub are reported with the YAML that would adopt them.",
        epilog=examples(
            "quarterdeck goals sync --github acme/web --dry-run",
            "quarterdeck goals sync --github acme/web --quarter 2026-Q4",
        ),
    )
    @repo_option()
    @github_options(
        required=True, help="the repository whose issues to write (API URL: GITHUB_API_URL)"
    )
    @click.option("--dry-run", is_flag=True, help="print the plan, write nothing")
    @click.option(
        "--quarter",
        type=QUARTER,
        help="only this quarter (default: the current quarter and any later ones)",
    )
    @runs
    def sync(args: Args) -> int:
        return _sync(args, github)

    @goals.command(
        "new",
        short_help="start a quarter's goals file, carrying over the previous quarter's open goals",
        help="Write goals/YYYY-Qn.yml (in the config's goals folder) for QUARTER (e.g. "
        "2027-Q1). Goals of the quarter before that are not shipped or dropped are carried "
        "over with status carried-over. Never overwrites a file without --force.",
        epilog=examples(
            "quarterdeck goals new 2027-Q1",
            "quarterdeck goals new 2027-Q1 --force",
        ),
    )
    @click.argument("quarter", type=QUARTER, metavar="QUARTER")
    @repo_option()
    @click.option("--force", is_flag=True, help="overwrite an existing file")
    @runs
    def new(args: Args) -> int:
        return _new(args)

    return goals


def plan_command(github: Callable[[Args], Any]) -> click.Command:
    """The `plan` command: the next quarter's planning issue per team."""

    @click.command(
        "plan",
        cls=Command,
        short_help="one planning issue per team for the next quarter, with a goals file to commit",
        help="Print, per team, the planning issue for QUARTER: the outcome of each goal of "
        "the quarter before it (with its PRs), the reviews' decisions (read from GitHub "
        "with --github), QUARTER's company objectives, the team-size check and the goals "
        "file `goals new` would write. With --publish, open one issue per team in the "
        "last two weeks of the quarter before, update it on later runs, and close it "
        "once QUARTER's goals file is on the default branch.",
        epilog=examples(
            "quarterdeck plan                            # print next quarter's planning issues",
            "quarterdeck plan --github acme/web --publish --quarter 2027-Q1",
        ),
    )
    @click.option(
        "--quarter",
        type=QUARTER,
        help="the quarter to plan, e.g. 2027-Q1 (default: in a quarter's last month the next "
        "one, before that the current one)",
    )
    @repo_option()
    @github_options()
    @config_option()
    @click.option(
        "--publish",
        is_flag=True,
        help="open, update or close one planning issue per team in the --github repo",
    )
    @click.option("--dry-run", is_flag=True, help="print what --publish would do; write nothing")
    @click.option(
        "--force",
        is_flag=True,
        help="open the planning issues even outside the last two weeks of the quarter before",
    )
    @actions_options()
    @runs
    def plan(args: Args) -> int:
        return _plan(args, github)

    return plan


def _plan(args: Args, github: Callable[[Args], Any]) -> int:
    """Print each team's planning issue body, or publish them with --publish/--dry-run."""
    from datetime import date

    from quarterdeck.core.calendar import Month
    from quarterdeck.core.goals.planning_issue import quarter_to_plan
    from quarterdeck.services.plan import plans_from_github, plans_offline, render_plan
    from quarterdeck.sources.git_repo import toplevel

    today = date.today()
    this_month = Month(today.year, today.month)
    quarter = args.quarter or quarter_to_plan(this_month)
    if (args.publish or args.dry_run) and not args.github:
        raise QuarterdeckError(
            "--publish and --dry-run need the repository to write to: add --github OWNER/REPO"
        )
    if not args.github:
        plans = plans_offline(toplevel(args.repo), quarter, this_month)
        sys.stdout.write("\n---\n\n".join(render_plan(p) for p in plans))
        return EXIT_OK
    gh = github(args)
    found = plans_from_github(
        gh, args.github, quarter, this_month, config_path=args.config, writer=writes_as(gh)
    )
    if not (args.publish or args.dry_run):
        text = "\n---\n\n".join(render_plan(p, found.templates) for p in found.plans)
        sys.stdout.write(text)
        write_summary(args, text)
        return EXIT_OK
    return _publish_plans(args, found, today)


def _publish_plans(args: Args, found: Any, today: Any) -> int:
    from quarterdeck.services.plan_publish import publish_plans

    results = publish_plans(found, today=today, force=args.force, dry_run=args.dry_run)
    if args.dry_run:
        sys.stdout.write("".join(f"{r.body.rstrip()}\n\n---\n\n" for r in results))
    for line in plan_lines(results, dry_run=args.dry_run):
        print(line, file=sys.stdout if args.dry_run else sys.stderr)
    write_issue_outputs(args, results)
    rows = "".join(f"| {escape_inline(r.title)} | {r.action} | {r.url or '—'} |\n" for r in results)
    write_summary(args, f"## Planning issues\n\n| Issue | Action | Link |\n|---|---|---|\n{rows}")
    return EXIT_OK


def _sync(args: Args, github: Callable[[Args], Any]) -> int:
    """`goals sync`: write the goal issues; `github(args)` builds the client."""
    from quarterdeck.core.goals.report import format_sync
    from quarterdeck.core.goals.sync_actions import quarters_to_sync
    from quarterdeck.core.review.linking import quarter_of
    from quarterdeck.services.goals_sync import sync_goals
    from quarterdeck.sources.repo_files import load_repo_config, local_templates

    config, warnings = load_repo_config(args.repo)
    for problem in warnings:
        print(problem, file=sys.stderr)
    current = quarter_of(datetime.now(UTC), config.review.timezone)
    quarters = quarters_to_sync(config, current, args.quarter)
    gh = github(args)
    result = sync_goals(
        gh,
        args.github,
        config,
        quarters,
        dry_run=args.dry_run,
        templates=local_templates(args.repo),
        writer=writes_as(gh),
    )
    sys.stdout.write(
        format_sync(
            result.repo,
            result.quarters,
            result.plan,
            dry_run=result.dry_run,
            written=result.written,
        )
    )
    return EXIT_FAILED if any(p.severity == "error" for p in result.plan.problems) else EXIT_OK


def _new(args: Args) -> int:
    from quarterdeck.services.goals_new import new_goals_file

    made = new_goals_file(args.repo, args.quarter, force=args.force)
    carried = ", ".join(made.carried) if made.carried else "none"
    print(f"quarterdeck: wrote {made.path}", file=sys.stderr)
    print(
        f"quarterdeck: carried over from {made.previous}: {carried}; "
        "edit it, then run `quarterdeck validate`",
        file=sys.stderr,
    )
    return EXIT_OK
