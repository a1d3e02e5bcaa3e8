"""The files `quarterdeck app register` reads and writes: the shipped `app.yml`, and the
settings file holding the new App's secrets (readable by its owner alone)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from quarterdeck.errors import QuarterdeckError
from quarterdeck.resources import resource

PRIVATE_MODE = 0o600


def read_app_manifest() -> Any:
    """The App manifest shipped as `app.yml` (in the wheel, or at a clone's root)."""
    path = resource("app.yml")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuarterdeckError(
            f"{path}: cannot read the App manifest ({exc}); reinstall Quarterdeck"
        ) from None


def refuse_existing(path: Path, *, force: bool) -> None:
    """Raise QuarterdeckError when `path` exists and `force` is off: checked before the
    registration starts, so no App is created whose settings could not be saved."""
    if not force and (path.exists() or path.is_symlink()):
        raise QuarterdeckError(
            f"{path} already exists; it may hold another App's settings. Give another "
            "--output FILE, or --force to replace it"
        )


def write_private_file(path: Path, text: str, *, force: bool) -> None:
    """Write `text` to `path`, readable and writable by its owner alone (0600).

    The file is created 0600 (never wider, whatever the umask) under a temporary name
    beside `path`, written and flushed to disk, then moved into place in one step: a
    hard link that fails if `path` exists, or with `force` a rename over it. So `path`
    is never world-readable, never half-written, and never replaced unless asked.
    """
    folder = path.parent if str(path.parent) else Path(".")
    keep = False
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(handle, PRIVATE_MODE)  # mkstemp's 0600 already; said, not assumed
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if force:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                # The App exists now and its code is spent: keep its settings, elsewhere.
                keep = True
                raise QuarterdeckError(
                    f"{path} appeared while the App was being registered, so it was left as "
                    f"it was; the new App's settings are in {temporary} (mode 0600): rename "
                    "that file to use them"
                ) from None
    finally:
        if not keep:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
