"""`--env-file FILE` of `serve`, `worker` and `schedule`: the App's settings from a file.

The file is the one `quarterdeck app register` writes (python-dotenv's format, as
Probot's `.env`; Docker Compose's `env_file` reads it too). Its values fill in the
environment before the settings are read and validated (all at once, as ever, by
`settings.load_settings`); a variable the operator set (non-empty) wins over the file,
so one setting can be overridden without editing it. The serving processes `serve`
starts inherit the result.
"""

from __future__ import annotations

import io
import logging
import os
import stat
from collections.abc import MutableMapping
from pathlib import Path

from quarterdeck.webhook.settings import SettingsError

log = logging.getLogger("quarterdeck.webhook")


def apply_env_file(path: Path | None, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Fill `environ` (default: `os.environ`) from the file at `path`, if given; returns
    the names taken from the file. Raises SettingsError naming the file when it cannot
    be read or parsed; never quotes a value."""
    if path is None:
        return []
    environ = os.environ if environ is None else environ
    try:
        from dotenv import dotenv_values
    except ImportError:
        raise SettingsError(
            "--env-file needs python-dotenv, part of the App's packages; install "
            "quarterdeck[app] (`pip install 'quarterdeck[app]'`) and re-run"
        ) from None
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise SettingsError(
            f"--env-file {path}: cannot read it ({reason}); give the file "
            "`quarterdeck app register` wrote (its --output, .env by default)"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # Not refused (a container may mount it so), but said: it holds the App's key.
        log.warning(
            "%s can be read by other users (mode %o); it holds the App's private key: chmod 600 it",
            path,
            stat.S_IMODE(mode),
        )
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    taken = []
    for name, value in values.items():
        if value is None or environ.get(name, "").strip():
            continue  # a bare name sets nothing; the operator's own setting wins
        environ[name] = value
        taken.append(name)
    return taken
