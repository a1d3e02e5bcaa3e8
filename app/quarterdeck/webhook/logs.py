"""Structured logs (one JSON object a line) with every secret value redacted.

Fields: time, level, logger, message, and whatever a call passes in `extra`
(delivery, event, action, repo, rate_remaining, attempt, ms).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

from quarterdeck.redact import REDACTED, RedactFilter

__all__ = ["REDACTED", "JsonFormatter", "RedactSecrets", "configure_logging"]
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                data[key] = value
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        elif record.exc_text:  # formatted, and redacted, by the filter
            data["error"] = record.exc_text
        return json.dumps(data, default=str, ensure_ascii=False)


class RedactSecrets(RedactFilter):
    """The redaction filter of the App's log handler: registers the App's own secrets
    (`Settings.secrets()`) with the one redactor, then redacts every record with it,
    by value and by shape (see `quarterdeck.redact`)."""


def configure_logging(secrets: Iterable[str], *, level: int = logging.INFO) -> None:
    """JSON lines on stderr for the App's loggers (PyGithub's, RQ's and every other
    library's included), through the redaction filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # github-webhook logs every delivery at INFO, unstructured; ours say more, once.
    logging.getLogger("webhook").setLevel(logging.WARNING)
    # PyGithub adds its own stderr handler when imported: its lines would be printed
    # twice, once unstructured and past the redaction filter. Let them reach ours only.
    from quarterdeck.sources.github.client import library_logger, route_library_logs

    route_library_logs()
    if level < logging.INFO:  # PyGithub sets its own INFO; at DEBUG, its lines come too
        library_logger().setLevel(level)
