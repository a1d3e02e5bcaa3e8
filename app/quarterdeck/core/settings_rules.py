"""What an operator's setting must be before anything uses it. Pure.

Each rule returns what is wrong, in words that name the setting and say how to fix
it, or None. No rule ever quotes the value: a secret pasted into the wrong variable
must not reach a log. The App's settings (`webhook/settings.py`) and the GitHub
client (`sources/github/client.py`, for `GITHUB_TOKEN`/`--token` and
`GITHUB_API_URL`) apply the same ones.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8
GENERATOR_COMMAND = "python -c 'import secrets; print(secrets.token_hex(32))'"
# Words a secret copied from a template or a tutorial starts with or holds.
_PLACEHOLDERS = (
    "changeme",
    "replaceme",
    "placeholder",
    "yoursecret",
    "mysecret",
    "webhooksecret",
    "password",
    "example",
    "xxxxxxxx",
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def webhook_secret_problem(name: str, value: str) -> str | None:
    """Why `value` is too weak to be the webhook secret, or None.

    Too short (under 32 characters), one character repeated, fewer than 8 distinct
    characters, or a placeholder (`changeme`, `secret…`, `password`, …): anyone who
    guesses it can forge deliveries.
    """
    how = (
        f"make one with `{GENERATOR_COMMAND}`, set it as {name} and as the webhook secret in "
        "the GitHub App's settings"
    )
    if len(value) < MIN_SECRET_LENGTH:
        count = f"{len(value)} character" + ("" if len(value) == 1 else "s")
        return (
            f"{name} is too short ({count}; at least {MIN_SECRET_LENGTH}): "
            f"a short secret can be guessed and deliveries forged; {how}"
        )
    letters = re.sub(r"[^a-z0-9]", "", value.lower())
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return (
            f"{name} has fewer than {MIN_SECRET_DISTINCT} distinct characters: a secret "
            f"that repeats itself can be guessed; {how}"
        )
    if letters.startswith("secret") or any(word in letters for word in _PLACEHOLDERS):
        return f"{name} looks like a placeholder (a word such as changeme or secret); {how}"
    return None


def header_value_problem(name: str, value: str, what: str = "token") -> str | None:
    """Why `value` cannot be sent in an HTTP header (a token), or None.

    A line break would end the header (and is usually a pasted newline); a character
    outside Latin-1 cannot be encoded at all; spaces inside mean two values run together.
    """
    if _CONTROL.search(value):
        return (
            f"{name} holds a line break or another control character: the {what} must be "
            "one line; copy it again without the newline"
        )
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return (
            f"{name} holds a character that cannot be sent in an HTTP header (outside "
            f"Latin-1, such as a typographic quote): copy the {what} again as plain text"
        )
    if value != value.strip() or " " in value:
        return f"{name} holds spaces: the {what} is one word; copy it again without them"
    return None


def http_url_problem(name: str, value: str, example: str) -> str | None:
    """Why `value` is not a usable http(s) URL such as `example`, or None."""
    wanted = f"{name} must be an http(s) URL such as {example}"
    if _CONTROL.search(value) or any(c.isspace() for c in value):
        return f"{wanted}; it holds spaces or a line break"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        return f"{wanted}; it is not a URL (its host or port cannot be read)"
    if not parts.scheme:
        return f"{wanted}; it has no scheme (https://)"
    if parts.scheme not in ("http", "https"):
        return f"{wanted}, not {parts.scheme}://"
    if not parts.hostname:
        return f"{wanted}; it names no host"
    if port == 0:
        return f"{wanted}; port 0 is not a port"
    return None
