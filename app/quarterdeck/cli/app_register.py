"""`quarterdeck app register`: the local page, its callback and the browser.

A small HTTP server on 127.0.0.1 (a random port) serves `GET /`, the page whose form
posts the App manifest to GitHub, and `GET /callback`, where GitHub sends the browser
back with the code; the flow itself is `services/register.py`. Requests naming another
host are refused (a web page elsewhere cannot reach the callback through DNS tricks).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when the command runs: building the parser stays cheap
    import threading
    from http.server import BaseHTTPRequestHandler

import click

from quarterdeck.cli.args import PATH
from quarterdeck.cli.base import Args, Command, Group, examples, runs
from quarterdeck.errors import EXIT_OK, QuarterdeckError

DEFAULT_OUTPUT = Path(".env")
DEFAULT_TIMEOUT = 3600  # seconds: GitHub's codes last an hour, a person may take a while


@click.group(
    "app",
    cls=Group,
    short_help="set up the GitHub App: register it on GitHub from app.yml",
    help="Set up Quarterdeck's GitHub App.",
    epilog=examples(
        "quarterdeck app register --webhook-url https://quarterdeck.example.org/webhook",
    ),
)
def app_group() -> None:
    """`app` alone is a usage error (click: a group needs its command)."""


@app_group.command(
    "register",
    cls=Command,
    short_help="register the GitHub App from its manifest and save its settings to a file",
    help="Register the GitHub App from the shipped app.yml with GitHub's manifest flow: "
    "a page on 127.0.0.1 posts the manifest to GitHub, you confirm there, and GitHub's "
    "answer (the App's ID, private key and webhook secret) is written to --output, "
    "readable by you alone. Then `quarterdeck serve --env-file FILE` starts from it. "
    "GitHub Enterprise Server: set GITHUB_API_URL=https://HOST/api/v3.",
    epilog=examples(
        "quarterdeck app register --webhook-url https://quarterdeck.example.org/webhook",
        "quarterdeck app register --org acme --webhook-url https://qd.acme.dev/webhook -o app.env",
    ),
)
@click.option(
    "--org", metavar="ORG", help="register the App on this organisation (default: your account)"
)
@click.option(
    "--webhook-url",
    metavar="URL",
    help="the https URL where `quarterdeck serve` answers POST /webhook "
    "(http:// only for 127.0.0.1 or localhost)",
)
@click.option(
    "--output",
    "-o",
    type=PATH,
    default=DEFAULT_OUTPUT,
    metavar="FILE",
    help=f"where to write the App's settings (default: {DEFAULT_OUTPUT}; created 0600)",
)
@click.option(
    "--no-browser", is_flag=True, help="print the local page's URL instead of opening a browser"
)
@click.option("--force", is_flag=True, help="replace an existing --output")
@click.option(
    "--timeout",
    type=click.IntRange(min=1),
    default=DEFAULT_TIMEOUT,
    metavar="SECONDS",
    help=f"give up when GitHub has not come back by then (default {DEFAULT_TIMEOUT})",
)
@runs
def register_command(args: Args) -> int:
    """Serve the local page, open it, wait for GitHub's callback, report the next step."""
    return register(args)


@dataclass
class _Outcome:
    """What the callback got: the result, or the error to report."""

    done: threading.Event
    registered: Any = None
    error: QuarterdeckError | None = None


def register(args: Args) -> int:
    """`app register`'s work: the local server, the browser, GitHub's callback."""
    import threading
    import webbrowser
    from http.server import ThreadingHTTPServer

    from quarterdeck.services.register import finish_registration, start_registration

    outcome = _Outcome(threading.Event())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(outcome))
    port = server.server_port
    base = f"http://127.0.0.1:{port}"
    try:
        registration = start_registration(
            redirect_url=f"{base}/callback",
            output=args.output,
            org=args.org,
            webhook_url=args.webhook_url,
            api_url=os.environ.get("GITHUB_API_URL") or None,
            force=args.force,
        )
    except BaseException:
        server.server_close()
        raise

    def finish(code: str, state: str) -> Any:
        return finish_registration(registration, code=code, state=state)

    server.registration_page = registration.page()  # type: ignore[attr-defined]
    server.finish = finish  # type: ignore[attr-defined]
    server.allowed_hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    try:
        where = f"the organisation {args.org}" if args.org else "your account"
        _say(f"registering the GitHub App on {registration.web} for {where}")
        if args.no_browser or not webbrowser.open(f"{base}/"):
            _say(f"open {base}/ in a browser on this machine to continue")
        else:
            _say(f"opened {base}/ in your browser; confirm the App on GitHub")
        if not outcome.done.wait(args.timeout):
            raise QuarterdeckError(
                f"GitHub did not come back to {base}/callback within {args.timeout} seconds; "
                "nothing was written. Run `quarterdeck app register` again"
            )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    if outcome.error is not None:
        raise outcome.error
    registered = outcome.registered
    app = registered.app
    _say(f"registered the GitHub App {app.name} (ID {app.id}): {app.html_url}")
    _say(f"wrote its ID, private key and webhook secret to {registered.output} (mode 0600)")
    if registered.secret_generated:
        _say(
            f"GitHub sent no webhook secret: set the one in {registered.output} "
            f"(QUARTERDECK_WEBHOOK_SECRET) as the webhook secret on {registered.settings_url}"
        )
    _say(f"next: quarterdeck serve --env-file {registered.output}")
    _say(f"then install the App on your repositories: {app.install_url}")
    return EXIT_OK


def _say(text: str) -> None:
    print(f"quarterdeck: {text}", file=sys.stderr, flush=True)


_DONE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title><style>body {{ font: 16px/1.5 sans-serif; max-width: 40em;
margin: 3em auto; }}</style></head><body><h1 id="outcome">{title}</h1><p>{text}</p>
</body></html>"""


def _handler(outcome: _Outcome) -> type[BaseHTTPRequestHandler]:
    from html import escape
    from http.server import BaseHTTPRequestHandler
    from urllib.parse import parse_qs, urlsplit

    class Handler(BaseHTTPRequestHandler):
        server_version = "quarterdeck-register"

        def do_GET(self) -> None:
            server: Any = self.server
            if self.headers.get("Host") not in server.allowed_hosts:
                self._send(421, "Wrong address", "Open this page at 127.0.0.1.")
                return
            parts = urlsplit(self.path)
            if parts.path == "/":
                self._send_html(200, server.registration_page)
            elif parts.path == "/callback" and not outcome.done.is_set():
                self._callback(server, parse_qs(parts.query))
            elif parts.path == "/callback":
                self._send(409, "Already done", "This registration has finished.")
            else:
                self._send(404, "Not found", "Nothing here.")

        def _callback(self, server: Any, query: dict[str, list[str]]) -> None:
            code = (query.get("code") or [""])[0]
            state = (query.get("state") or [""])[0]
            try:
                outcome.registered = server.finish(code, state)
            except QuarterdeckError as exc:
                outcome.error = exc
                self._send(400, "Not registered", f"{exc}")
            except OSError as exc:
                outcome.error = QuarterdeckError(
                    f"could not write the App's settings: {exc.strerror or exc} "
                    f"({exc.filename or ''}); the App was created on GitHub: delete it in "
                    "Developer settings → GitHub Apps, fix the path and run again"
                )
                self._send(500, "Not saved", str(outcome.error))
            else:
                app = outcome.registered.app
                self._send(
                    200,
                    "GitHub App registered",
                    f"{app.name} is registered; its settings are saved in "
                    f"{outcome.registered.output}. You can close this tab and go back to "
                    "the terminal.",
                )
            finally:
                outcome.done.set()

        def _send(self, status: int, title: str, text: str) -> None:
            self._send_html(status, _DONE_PAGE.format(title=escape(title), text=escape(text)))

        def _send_html(self, status: int, page: str) -> None:
            data = page.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Referrer-Policy", "no-referrer")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the query string holds the one-time code: no access log

    return Handler
