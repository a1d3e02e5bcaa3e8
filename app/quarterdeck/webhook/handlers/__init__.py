"""Event handlers, one module per concern; each takes a Context and returns a summary."""

from __future__ import annotations

from collections.abc import Callable

from quarterdeck.webhook.handlers import installation, issues, pull_request, push
from quarterdeck.webhook.handlers.context import Context

HANDLERS: dict[str, Callable[[Context], str]] = {
    "pull_request": pull_request.handle,
    "issues": issues.handle,
    "installation": installation.handle,
    "installation_repositories": installation.handle,
    "push": push.handle,
}

# The object each handled event must carry; checked at the door, so a malformed
# delivery gets a 400 instead of being queued to fail later.
REQUIRED_OBJECT: dict[str, str] = {
    "pull_request": "pull_request",
    "issues": "issue",
    "installation": "installation",
    "installation_repositories": "installation",
    "push": "repository",
}
