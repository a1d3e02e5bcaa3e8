"""The CLI's publishing side: `review --publish/--dry-run`, Actions outputs, quarter-report.

Kept apart from cli/__init__.py so the argument parsing there stays short. In GitHub Actions
(GITHUB_ACTIONS=true) the step outputs and job summary go to the files GitHub names
in GITHUB_OUTPUT and GITHUB_STEP_SUMMARY unless --github-output/--step-summary say
otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from quarterdeck.cli.args import (
    QUARTER,
    actions_options,
    combined,
    config_option,
    format_option,
    github_options,
    output_option,
    outputs_file,
    repo_option,
    summary_file,
    team_option,
    write_output,
)
from quarterdeck.cli.base import Args, Command, examples, runs
from quarterdeck.errors import EXIT_OK, QuarterdeckError
from quarterdeck.redact import redact

# The gateway (PyGithub) is loaded by the GitHub-mode commands only (start-up cost).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway


def quarter_report_command(handler: Callable[[Args], int]) -> click.Command:
    """The `quarter-report` command, running `handler(args)`: from a local clone, or
    from GitHub with --github."""
    options = combined(
        repo_option(several=True),
        github_options(),
        config_option(),
        click.option(
            "--quarter", type=QUARTER, help="quarter to report (default: the current one)"
        ),
        team_option(),
        click.option("--branch", help="branch to read (default: the repo's default branch)"),
        output_option(),
        format_option(help="default: md; json: see README's quarter-report section"),
        actions_options(),
    )
    return click.command(
        "quarter-report",
        cls=Command,
        short_help="per goal: shipped, carried over or not started, for the planning meeting",
        help="Summarise a quarter per team and goal for the planning meeting.",
        epilog=examples(
            "quarterdeck quarter-report                  # the current quarter, so far",
            "quarterdeck quarter-report --quarter 2026-Q4 --format json",
            "quarterdeck quarter-report --github acme/web --quarter 2026-Q4",
        ),
    )(options(runs(handler)))


def writes_as(gh: GitHubGateway) -> Callable[[], str]:
    """The login `gh` writes as, asked once when first needed (`token_writer`): in GitHub
    Actions (`GITHUB_ACTIONS=true`) a token refused `GET /user` is the workflow's own
    GITHUB_TOKEN, which writes as `github-actions[bot]`. Only what it wrote is edited."""
    return gh.writer(in_actions=os.environ.get("GITHUB_ACTIONS") == "true")


def publish(reviews: Sequence[Any], args: Args, connect: Callable[[], GitHubGateway]) -> int:
    """Publish (or plan, with --dry-run) `reviews` to the --github repo; report on stdout."""
    from quarterdeck.services.review_publish import publish_reviews
    from quarterdeck.sources.github.gateway import doing

    if not args.github:
        raise QuarterdeckError(
            "--publish and --dry-run need the repository to write to: add --github OWNER/REPO"
        )

    if any(r.templates for r in reviews):
        # A repo's own template may fail or pass a limit for one team only (it renders
        # each team's data): render every review once before the first write, so such a
        # template publishes nothing rather than some teams' issues.
        from quarterdeck.services.review.as_markdown import render_review

        for review in reviews:
            render_review(review, standalone=False)
    gh = connect()
    with doing(f"opening {args.github}"):
        repo = gh.repo(args.github)
    from quarterdeck.services.slack_share import slack_for

    slack = None if args.dry_run else slack_for([r.team for r in reviews], os.environ)
    results = publish_reviews(
        repo, reviews, dry_run=args.dry_run, writer=writes_as(gh), slack=slack
    )
    for result in results:
        if args.dry_run:
            sys.stdout.write(result.body + ("\n" if not result.body.endswith("\n") else ""))
            if result.overflow:
                sys.stdout.write("\n<!-- follow-up comment -->\n" + result.overflow)
            sys.stdout.write("\n---\n\n")
    for line in plan_lines(results, dry_run=args.dry_run):
        print(line, file=sys.stdout if args.dry_run else sys.stderr)
    write_issue_outputs(args, results)
    write_summary(args, _summary(results, args.dry_run))
    return EXIT_OK


def write_issue_outputs(args: Args, results: Sequence[Any]) -> None:
    """The step outputs of a publishing run: the first issue's number and URL, and every
    team's issue as JSON (team, action, number, url)."""
    first = next((r for r in results if r.number is not None), None)
    issues = [
        {"team": r.team, "action": r.action, "number": r.number, "url": r.url} for r in results
    ]
    write_outputs(
        args,
        {
            "issue-number": str(first.number) if first else "",
            "issue-url": (first.url or "") if first else "",
            "issues": json.dumps(issues),
        },
    )


def plan_lines(results: Sequence[Any], *, dry_run: bool) -> list[str]:
    """One line per issue (what was or would be done), then any notes."""
    lines = []
    for r in results:
        where = f" #{r.number}" if r.number is not None else ""
        url = f" {r.url}" if r.url else ""
        overflow = getattr(r, "overflow", "")  # a planning issue has none
        extra = " (+ a follow-up comment for the overflow)" if overflow else ""
        lines.append(f"quarterdeck: {r.action}{where}: {r.title}{url}{extra}")
        lines += [f"quarterdeck: note: {note}" for note in r.notes]
    if dry_run:
        lines.append("quarterdeck: dry run: nothing was written to GitHub")
    return lines


def _summary(results: Sequence[Any], dry_run: bool) -> str:
    from quarterdeck.core.text.markdown import escape_inline

    rows = "".join(
        f"| {escape_inline(r.title)} | {r.action} | "
        + (f"[#{r.number}]({r.url})" if r.number is not None and r.url else "—")
        + " |\n"
        for r in results
    )
    title = "Growth review (dry run)" if dry_run else "Growth review"
    bodies = "\n\n---\n\n".join(r.body for r in results)
    return f"## {title}\n\n| Issue | Action | Link |\n|---|---|---|\n{rows}\n{bodies}\n"


def unavailable_figures(reviews: Sequence[Any]) -> list[tuple[str, str, str]]:
    """(team, what, why) of every figure, flagged figure's breakdown or question's table
    the reviews could not read, in order."""
    return [(r.summary.team, what, why) for r in reviews for what, why in r.unread]


def strict_error(reviews: Sequence[Any]) -> None:
    """--strict: raise a QuarterdeckError listing each figure, breakdown or question's
    table that could not be read, and why."""
    failed = unavailable_figures(reviews)
    if failed:
        lines = "\n".join(f"  {team}: {metric}: {why}" for team, metric, why in failed)
        raise QuarterdeckError(
            f"--strict: {len(failed)} of the review's figures, breakdowns or question tables "
            "could not be read, so nothing was "
            f"published or printed:\n{lines}\nfix these sources, or run without --strict to "
            "show them as unavailable"
        )


def figures_summary(reviews: Sequence[Any], sources: Any) -> str:
    """The job summary's account of the figures: queries sent, metrics files read, and
    each figure that could not be read (team, metric, why); "" with no figures at all."""
    from quarterdeck.core.text.markdown import code_span, escape_inline

    if not (sources.queries or sources.files_read or any(r.figures for r in reviews)):
        return ""
    text = (
        f"## Figures\n\n{sources.queries} quer{'y' if sources.queries == 1 else 'ies'} asked "
        f"of metric sources, {sources.files_read} metrics file(s) read.\n\n"
    )
    failed = unavailable_figures(reviews)
    if not failed:
        return text + "Every figure was read.\n\n"
    rows = "".join(
        f"| {escape_inline(team)} | {code_span(metric)} | {escape_inline(why)} |\n"
        for team, metric, why in failed
    )
    return text + f"| Team | Metric | Unavailable because |\n|---|---|---|\n{rows}\n"


def write_outputs(args: Args, values: dict[str, str]) -> None:
    """Append `name=value` lines to the step-output file, if there is one."""
    target = outputs_file(args)
    if target is None:
        return
    with target.open("a", encoding="utf-8") as out:
        for name, value in values.items():
            if "\n" in value:  # GitHub's own rule: one line per value in this form
                raise ValueError(f"output {name} must be a single line")
            out.write(f"{name}={redact(value)}\n")


def write_review_markdown(args: Args, reviews: Sequence[Any], markdown: str | None = None) -> None:
    """The `review-markdown` step output: the reviews' Markdown (every team's; `markdown`
    when already rendered) in a new file under $RUNNER_TEMP (outside a runner: beside
    the step-output file), and its path set as the output, so a later step can post or
    archive it. Nothing, and nothing rendered, without a step-output file. Through the
    redactor, as the job summary is."""
    target = outputs_file(args)
    if target is None:
        return
    if markdown is None:
        from quarterdeck.services.review.as_markdown import render_reviews

        markdown = render_reviews(reviews)
    folder = os.environ.get("RUNNER_TEMP") or str(target.resolve().parent)
    # A file of its own: two reviews in one job (two months, two repositories) both keep theirs.
    handle, name = tempfile.mkstemp(prefix="quarterdeck-review-", suffix=".md", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(redact(markdown))
    write_outputs(args, {"review-markdown": name})


def show_review_in_actions(args: Args, reviews: Sequence[Any], markdown: str | None) -> None:
    """A printed review's job summary and `review-markdown` output. `markdown` is what
    was printed (None for JSON): each review is rendered once, and only if one of
    them is wanted."""
    if markdown is None and (summary_file(args) or outputs_file(args)) is not None:
        from quarterdeck.services.review.as_markdown import render_reviews

        markdown = render_reviews(reviews)
    if markdown is None:
        return
    if summary_file(args) is not None:
        write_summary(args, markdown)
    write_review_markdown(args, reviews, markdown)


def write_summary(args: Args, markdown: str) -> None:
    """Append Markdown to the job summary file, if there is one (nothing for "").

    Through the redactor: the summary is shown to everyone who can read the run, and
    quotes the reasons figures could not be read (a source's own words).
    """
    target = summary_file(args)
    if target is None or not markdown:
        return
    markdown = redact(markdown)
    with target.open("a", encoding="utf-8") as out:
        out.write(markdown if markdown.endswith("\n") else markdown + "\n")


def quarter_report(
    args: Args,
    build: Callable[[Any], Sequence[Any]],
    today: date,
    held: Callable[[str], Sequence[Any]] | None = None,
) -> int:
    """Build the reviews of the quarter's last month begun with `build(month)` (their
    six-month history holds the quarter's earlier months) and print the report; with
    `held(quarter)`, the review issues held in the quarter give its decisions."""
    from quarterdeck.core.calendar import Month
    from quarterdeck.services.quarter_report import (
        quarter_report,
        quarter_report_to_json,
        render_quarter_report,
        report_months,
    )

    # A quarter still under way is reported up to this month, marked as not over.
    this_month = Month(today.year, today.month)
    months = report_months(args.quarter or this_month.quarter, this_month)
    reviews = build(months[-1])
    report = quarter_report(reviews, held(months[0].quarter) if held else None, today)
    for reason in report.incomplete_reasons:
        print(f"quarterdeck: warning: {reason}", file=sys.stderr)
    if args.format == "json":
        write_output(
            args, json.dumps(quarter_report_to_json(report), indent=2, ensure_ascii=False) + "\n"
        )
        return EXIT_OK
    from quarterdeck.cli.terminal import emit_markdown  # drawn for a terminal, else as is

    text = render_quarter_report(report)
    emit_markdown(args, text)
    write_summary(args, text)
    return EXIT_OK
