"""The one redactor: every message that can carry a secret passes through `redact`.

Two lines of defence:

1. **Known values.** Each secret in play is registered where it enters the process:
   the GitHub token (`sources.github.client.connect`), the Slack bot token
   (`sources.slack.SlackClient`), the App's private key and webhook secret and
   REDIS_URL's password (`webhook.settings.load_settings`), the JWT and installation
   token the App mints at runtime (`client.connect_app`, at the moment PyGithub creates
   them; the Action's App key and token in `client.sign_in_as_app`), PostHog's key and
   SQL URLs' passwords (the metric sources). Every occurrence of a registered value is
   replaced.
2. **Shapes.** A secret nobody registered is still hidden when it looks like one:
   GitHub tokens (`ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`, `github_pat_`), PostHog keys
   (`phc_`, `phx_`), Slack tokens (`xoxb-`, `xoxp-`, `xapp-`), a JWT's three base64url
   parts, `Authorization:` values, `Bearer …` and `token …` as headers echo them,
   `"token": "…"` (or `secret`, `password`) fields of an echoed body, a URL's password,
   a PEM private key.

Callers: `QuarterdeckError` (so every error message, including GitHub's words in
`translated()`), the CLI's error output and log handler, the App's log filter, the
worker, and the Action's job summary. Pure: no I/O, standard library only. Every
pattern starts where a run of its characters starts, so redaction is linear in the
length of the text, whatever the text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

REDACTED = "[redacted]"
# Shorter values would redact ordinary words; no real secret is this short.
MIN_SECRET = 6
# Values minted at runtime (JWTs, installation tokens) are remembered this many at a
# time, so a long-running server does not grow without bound; older ones expired
# long ago, and their shape is caught anyway.
MINTED_KEPT = 1024
_KEY_LINE = 16  # a line of a PEM key at least this long is a secret on its own

_RUN = r"A-Za-z0-9_\-"  # the characters of base64url and of token bodies
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A PEM private key, whole; unterminated (cut short in a message): to the end.
    (
        re.compile(
            r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----"
            r"(?:.*?-----END [A-Z ]{0,40}PRIVATE KEY-----|.*)",
            re.S,
        ),
        REDACTED,
    ),
    # An echoed header, `Authorization: token …`, `"authorization": "Bearer …"`
    # (PyGithub's own mask, `token (oauth token removed)`, stays as it is).
    (
        re.compile(
            r"""(?i)(\bauthorization["']?\s{0,8}[:=]\s{0,8}["']?)"""
            r"""(?:(?:bearer|token|basic)\s{1,8})?+(?!\()[^\s"',;}]+"""
        ),
        r"\1" + REDACTED,
    ),
    # `Bearer <credential>`, `token <credential>` (a credential: 20+ token characters
    # with a digit, so that "token is missing" or "bearer of news" stay).
    (
        re.compile(
            rf"(?i)\b(bearer|token)(\s{{1,8}})(?=[{_RUN}.~+/=]{{0,200}}\d)[{_RUN}.~+/=]{{20,}}"
        ),
        r"\1\2" + REDACTED,
    ),
    # GitHub's token formats (classic, OAuth, server-to-server, user-to-server,
    # refresh, fine-grained), and PostHog's project and personal keys.
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9_]{16,}|github_pat_[A-Za-z0-9_]{20,})"), REDACTED),
    (re.compile(r"\bph[cx]_[A-Za-z0-9]{20,}"), REDACTED),
    # Slack's bot, user, app-level and refresh tokens (xoxb-, xoxp-, xapp-, xoxe.xoxp-…).
    (re.compile(r"\b(?:xox[abeoprs](?:\.xox[a-z])?|xapp)-[A-Za-z0-9-]{10,}"), REDACTED),
    # A JWT: base64url of `{"…` (so `eyJ`) for the header and the claims, then the
    # signature.
    (re.compile(rf"(?<![{_RUN}])eyJ[{_RUN}]+\.eyJ[{_RUN}]+\.[{_RUN}]*"), REDACTED),
    # A secret field of an echoed JSON body or a dict's repr, as PyGithub's debug log
    # shows the answer that carries a new installation token: `"token": "…"`.
    (
        re.compile(
            r"""(?i)(["'](?:[a-z_]{0,40}token|[a-z_]{0,40}secret|password|private_key)["']"""
            r"""\s{0,8}:\s{0,8}["'])[^"']{4,}"""
        ),
        r"\1" + REDACTED,
    ),
    # A password in a URL: scheme://user:password@host keeps all but the password.
    # (`***`, a mask already shown, stays.)
    (re.compile(r"(://[^\s:/@]{0,256}:)(?!\*+@)[^\s@/]{1,1024}(?=@)"), r"\1" + REDACTED),
)


class Redactor:
    """Registered secret values plus the shapes above; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixed: set[str] = set()
        self._minted: deque[str] = deque(maxlen=MINTED_KEPT)
        self._values: tuple[str, ...] = ()  # longest first, so no secret is half-replaced

    def register(self, *values: str | None, minted: bool = False) -> None:
        """Know these values from now on. `minted` marks short-lived ones (a JWT, an
        installation token), of which only the latest `MINTED_KEPT` are kept."""
        found = [v for value in values if value for v in _forms(value) if len(v) >= MIN_SECRET]
        if not found:
            return
        with self._lock:
            known = set(self._values)
            if all(v in known for v in found):
                return
            if minted:
                self._minted.extend(v for v in found if v not in known)
            else:
                self._fixed.update(found)
            values_now = self._fixed | set(self._minted)
            self._values = tuple(sorted(values_now, key=len, reverse=True))

    def register_url(self, url: str | None) -> None:
        """Know the password of a URL (a database's, Redis's), if it has one."""
        if not url:
            return
        try:
            password = urlsplit(url).password
        except ValueError:  # not a URL urllib can split; the shape rule still applies
            return
        if password:
            self.register(password)

    def known(self, text: str) -> bool:
        """Whether `text` contains a registered value (for tests and assertions)."""
        return any(value in text for value in self._values)

    def clean(self, text: str) -> str:
        """`text` with every registered value and every secret-shaped string replaced."""
        if not text:
            return text
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        for pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        return text


def _forms(value: str) -> list[str]:
    """The value, and the parts of it a message may show alone: each line of a
    multi-line secret (a PEM key's base64 lines), and a URL-encoded value decoded."""
    forms = [value, value.strip()]
    if "\n" in value:
        forms += [line.strip() for line in value.splitlines() if len(line.strip()) >= _KEY_LINE]
        forms.append(value.strip().replace("\n", "\\n"))  # as a repr or JSON shows it
    if "%" in value:
        forms.append(unquote(value))
    # A PEM's BEGIN and END lines are no secret; the PEM shape rule needs them intact.
    return [f for f in forms if not re.fullmatch(r"-----[A-Z ]+-----", f)]


_REDACTOR = Redactor()


def register(*values: str | None) -> None:
    """Register secret values with the process's redactor (see the module docstring)."""
    _REDACTOR.register(*values)


def register_minted(value: str | None) -> None:
    """Register a short-lived secret minted at runtime (a JWT, an installation token)."""
    _REDACTOR.register(value, minted=True)


def register_url(url: str | None) -> None:
    """Register the password of `url`, if it has one."""
    _REDACTOR.register_url(url)


def redact(text: str) -> str:
    """`text` with every known secret and everything shaped like one replaced."""
    return _REDACTOR.clean(text)


def redactor() -> Redactor:
    """The process's redactor (tests ask it what it knows)."""
    return _REDACTOR


class RedactFilter(logging.Filter):
    """A logging filter that redacts a record's message, its string fields and its
    traceback, in place, before any formatter sees them. Attach it to a handler: a
    handler's filters see every record that reaches it, whatever logger made it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        register(*secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted once here, redacted, and kept as the record's traceback text:
            # a formatter prints exc_text when exc_info is gone.
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
