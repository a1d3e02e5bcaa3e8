"""`quarterdeck serve`, `worker` and `schedule`: the GitHub App's command lines.

Their options live here, with the rest of the CLI; what they run (settings, the
server, the worker, the scheduler) is the `webhook` package's, imported only once a
command has checked the `app` extra is installed, so no other command pays for it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click

from quarterdeck.cli.args import MONTH, PATH, QUARTER, DelaysType, InstantType, SecondsType
from quarterdeck.cli.base import Args, Command, examples, runs
from quarterdeck.errors import QuarterdeckError

# What the `app` extra installs (pyproject.toml), by import name: the core package
# (the CLI and the Action) has none of them.
APP_MODULES = (
    "flask",
    "github_webhook",
    "uvicorn",
    "h11",
    "a2wsgi",
    "redis",
    "rq",
    "prometheus_client",
)


# `serve`, `worker` and `schedule` alike: the settings file `app register` writes.
env_file_option = click.option(
    "--env-file",
    type=PATH,
    metavar="FILE",
    help="read settings from FILE (KEY=value lines, as `quarterdeck app register` "
    "writes); variables already set in the environment win",
)


def require_app_extra(command: str) -> None:
    """Raise QuarterdeckError (exit 1) naming what to install when the App's packages
    are missing: `serve`, `worker` and `schedule` need the `app` extra, the CLI's
    other commands do not. Looks them up without importing them."""
    missing = [name for name in APP_MODULES if _missing(name)]
    if missing:
        raise QuarterdeckError(
            f"`quarterdeck {command}` runs the GitHub App, whose packages are not installed "
            f"(missing: {', '.join(missing)}); install quarterdeck[app] "
            "(`pip install 'quarterdeck[app]'`, or `pip install '.[app]'` in a clone) "
            "and re-run"
        )


def _settings_file(path: Path | None) -> None:
    """Fill the environment from `--env-file`, before any setting is read."""
    if path is not None:
        from quarterdeck.webhook.env_file import apply_env_file

        apply_env_file(path)


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # a parent that fails, or a module without a spec
        return True


@click.command(
    "serve",
    cls=Command,
    short_help="run the GitHub App's webhook server (uvicorn)",
    help="Serve POST /webhook and GET /healthz. Settings come from the environment: "
    "QUARTERDECK_WEBHOOK_SECRET (required), QUARTERDECK_APP_ID, QUARTERDECK_PRIVATE_KEY "
    "or QUARTERDECK_PRIVATE_KEY_FILE, optional REDIS_URL and GITHUB_API_URL. "
    "A request must arrive whole within QUARTERDECK_READ_TIMEOUT seconds (default 10) "
    "or is answered 408; slow clients wait in uvicorn's event loop, not in threads.",
    epilog=examples(
        "quarterdeck serve --host 0.0.0.0 --port 8000",
        "REDIS_URL=redis://localhost:6379/0 quarterdeck serve --workers 9",
    ),
)
@click.option("--host", default="127.0.0.1", help="default: 127.0.0.1")
@click.option("--port", type=int, default=8000, help="default: 8000")
@click.option(
    "--dev",
    is_flag=True,
    help="Flask's development server instead (no read timeout: never expose it)",
)
@click.option(
    "--workers",
    type=int,
    help="server processes (default: 1 without REDIS_URL, 2 × CPUs + 1 with it); "
    "one that dies is replaced",
)
@click.option("--threads", type=int, default=8, help="threads per process (default 8)")
@env_file_option
@runs
def serve_command(args: Args) -> int:
    """Validate settings, then run uvicorn's processes (or Flask's server with --dev)."""
    require_app_extra("serve")
    _settings_file(args.env_file)
    from quarterdeck.webhook.run import run_server

    return run_server(
        args.host, args.port, dev=args.dev, workers=args.workers, threads=args.threads
    )


@click.command(
    "worker",
    cls=Command,
    short_help="run an RQ worker for the App's queue (needs REDIS_URL)",
    help="Take deliveries from Redis and do their work; run as many as you like.",
    epilog=examples(
        "REDIS_URL=redis://localhost:6379/0 quarterdeck worker",
        "quarterdeck worker --burst                  # until the queue is empty",
    ),
)
@click.option("--burst", is_flag=True, help="exit once the queue is empty")
@click.option(
    "--heartbeat",
    type=SecondsType(),
    help="seconds between a busy worker's heartbeats (default 30)",
)
@click.option(
    "--abandon-after",
    type=SecondsType(),
    help="seconds without a heartbeat after which a job counts as abandoned by a dead "
    "worker and is retried by another; registries are checked as often (default 90)",
)
@env_file_option
@runs
def worker_command(args: Args) -> int:
    """Run an RQ worker until stopped."""
    require_app_extra("worker")
    _settings_file(args.env_file)
    from quarterdeck.webhook.run import run_worker

    return run_worker(burst=args.burst, heartbeat=args.heartbeat, abandon_after=args.abandon_after)


@click.command(
    "schedule",
    cls=Command,
    short_help="enqueue each App installation's monthly reviews and planning issues for RQ",
    help="List the GitHub App's installations and enqueue one job per installation for "
    "`quarterdeck worker`: each reviews and publishes every home repository of the "
    "installation, or opens its planning issues. Without --month or --quarter it "
    "reviews the last full month on the first working day (Monday to Friday, UTC) "
    "of a month, and plans the next quarter on each day of the last two weeks of "
    "this one, so a daily cron is enough. Same environment as `quarterdeck "
    "worker` (REDIS_URL, QUARTERDECK_APP_ID, the private key).",
    epilog=examples(
        "quarterdeck schedule                        # daily, from cron",
        "quarterdeck schedule --month 2026-11 --dry-run",
        "quarterdeck schedule --daily                # no cron: runs until stopped",
    ),
)
@click.option("--month", type=MONTH, help="review this month (YYYY-MM), any day")
@click.option(
    "--quarter",
    type=QUARTER,
    help="plan this quarter (its planning issues), any day: opened even outside the window",
)
@click.option(
    "--now",
    type=InstantType(),
    help="the moment to judge the first working day by (ISO 8601, default: now)",
)
@click.option(
    "--daily",
    is_flag=True,
    help="keep running and enqueue the day's work every day at 12:00 UTC (RQ's cron), "
    "for hosts with no system cron: the compose file's `schedule` service",
)
@click.option("--dry-run", is_flag=True, help="list what would be enqueued; enqueue nothing")
@click.option(
    "--retry",
    type=DelaysType(),
    help="seconds before each retry of a failed job (default: 60,600,3600; 0 retries at once)",
)
@env_file_option
@runs
def schedule_command(args: Args) -> int:
    """Enqueue the due month's review jobs, one per installation of the App."""
    if sum(x is not None for x in (args.month, args.quarter)) + args.daily > 1:
        raise click.UsageError(
            "--month, --quarter and --daily each name what to schedule: give one of them",
            click.get_current_context(),
        )
    if args.daily and (args.dry_run or args.now):
        raise QuarterdeckError(
            "--daily runs until stopped and judges each day as it comes; drop "
            "--dry-run and --now, or drop --daily to run once"
        )
    require_app_extra("schedule")
    _settings_file(args.env_file)
    from quarterdeck.webhook.schedule_jobs import schedule_now

    return schedule_now(
        now=args.now,
        month=args.month,
        quarter=args.quarter,
        dry_run=args.dry_run,
        delays=args.retry,
        daily=args.daily,
    )
