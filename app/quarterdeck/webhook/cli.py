"""`quarterdeck serve`, `worker` and `schedule`: read settings once, then run."""

from __future__ import annotations

import argparse
import importlib.util
import logging
from typing import Any

from quarterdeck.errors import QuarterdeckError
from quarterdeck.webhook.logs import configure_logging
from quarterdeck.webhook.settings import Settings, SettingsError, load_settings

log = logging.getLogger("quarterdeck.webhook")

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


def _missing(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):  # a parent that fails, or a module without a spec
        return True


def add_commands(sub: Any) -> None:
    """Register `serve`, `worker` and `schedule` on the main parser's subcommands."""
    serve = sub.add_parser(
        "serve",
        help="run the GitHub App's webhook server (uvicorn)",
        description=(
            "Serve POST /webhook and GET /healthz. Settings come from the environment: "
            "QUARTERDECK_WEBHOOK_SECRET (required), QUARTERDECK_APP_ID, QUARTERDECK_PRIVATE_KEY "
            "or QUARTERDECK_PRIVATE_KEY_FILE, optional REDIS_URL and GITHUB_API_URL. "
            "A request must arrive whole within QUARTERDECK_READ_TIMEOUT seconds (default 10) "
            "or is answered 408; slow clients wait in uvicorn's event loop, not in threads."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="default: 8000")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="Flask's development server instead (no read timeout: never expose it)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="server processes (default: 1 without REDIS_URL, 2 × CPUs + 1 with it); "
        "one that dies is replaced",
    )
    serve.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    worker = sub.add_parser(
        "worker",
        help="run an RQ worker for the App's queue (needs REDIS_URL)",
        description="Take deliveries from Redis and do their work; run as many as you like.",
    )
    worker.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    worker.add_argument(
        "--heartbeat",
        type=_seconds,
        help="seconds between a busy worker's heartbeats (default 30)",
    )
    worker.add_argument(
        "--abandon-after",
        type=_seconds,
        help="seconds without a heartbeat after which a job counts as abandoned by a dead "
        "worker and is retried by another; registries are checked as often (default 90)",
    )
    from quarterdeck.webhook.schedule import add_command

    add_command(sub)


def serve(args: argparse.Namespace) -> int:
    """Validate settings, then run uvicorn's processes (or Flask's server with --dev)."""
    require_app_extra("serve")
    settings = load_settings()
    configure_logging(settings.secrets())
    from quarterdeck.webhook.server import create_app

    app = create_app(settings)
    if args.dev:
        log.info("development server on http://%s:%d", args.host, args.port)
        app.run(host=args.host, port=args.port, threaded=True)
        return 0
    import os

    from quarterdeck.webhook.front import THREADS_VARIABLE, serve_forever

    # Each serving process builds its own app from the environment (uvicorn spawns them).
    os.environ[THREADS_VARIABLE] = str(args.threads)
    return serve_forever(args.host, args.port, workers=args.workers or _default_workers(settings))


def worker(args: argparse.Namespace) -> int:
    """Run an RQ worker until stopped."""
    require_app_extra("worker")
    settings = load_settings()
    configure_logging(settings.secrets())
    from redis.exceptions import RedisError

    from quarterdeck.webhook.worker import work

    try:
        timing = {"heartbeat": args.heartbeat, "abandon_after": args.abandon_after}
        work(burst=args.burst, **{k: v for k, v in timing.items() if v is not None})
    except RedisError as exc:
        # A message, not a traceback; the URL is shown without its password, and
        # Redis's words go through the redactor, as every error's do.
        raise SettingsError(
            f"cannot use Redis at {settings.redis_display} ({exc}); check REDIS_URL and "
            "that Redis is running"
        ) from None
    return 0


def schedule(args: argparse.Namespace) -> int:
    """Enqueue the due month's review jobs, one per installation of the App."""
    require_app_extra("schedule")
    from quarterdeck.webhook.schedule import schedule_command

    return schedule_command(args)


def _seconds(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"a positive whole number of seconds, not {text!r}")
    return int(text)


def _default_workers(settings: Settings) -> int:
    import os

    # Without Redis, one process keeps locks, the work thread and its queue in one
    # place; with Redis, the work is elsewhere and acknowledging scales with processes.
    return 1 if settings.redis_url is None else 2 * (os.cpu_count() or 1) + 1
