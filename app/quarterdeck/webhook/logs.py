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

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
REDACTED = "[redacted]"


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
        return json.dumps(data, default=str, ensure_ascii=False)


class RedactSecrets(logging.Filter):
    """Replace any secret value found in a record's text with `[redacted]`.

    Secrets are never logged on purpose; this catches the accident (an exception
    message quoting a header, a URL with a password).
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._clean(text) != text:
                record.exc_info = None
                record.exc_text = None
                record.msg = f"{record.msg} ({REDACTED} traceback)"
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self._clean(value))
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure_logging(secrets: Iterable[str], *, level: int = logging.INFO) -> None:
    """JSON lines on stderr for the App's loggers, with the redaction filter."""
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
    from quarterdeck.sources.github.client import library_logger

    library_logger().handlers[:] = []
