"""Compiled templates kept between runs: Jinja2's own bytecode cache, in a per-user folder.

Compiling the review's templates was the largest single cost of a small offline
review (about 0.1–0.2 s of every run; benchmarks/startup.py). Jinja2 can keep what it
compiled on disk (`FileSystemBytecodeCache`) and load it next time, checked against
the template's source, so an edited template is compiled again. Only Quarterdeck's
own templates (read from files) are kept; a repo's own (`.github/quarterdeck/
templates/`, read into memory) are compiled in their limited child every time.

Loading cached bytecode runs it, so the folder must be one nobody else can write:
`$XDG_CACHE_HOME/quarterdeck/templates` (else `~/.cache/...`), created 0700, used only
while it is a real folder owned by this user that no one else may write. When it
cannot be made or is not safe, or a write fails (a read-only home, a full disk),
templates are simply compiled in memory as before: the cache is never an error.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

__all__ = ["bytecode_cache", "cache_folder"]


def cache_folder() -> Path | None:
    """The per-user folder for compiled templates, created if missing; None when there is
    no home to put it in or the folder is not safe to load code from."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
        folder = root / "quarterdeck" / "templates"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return None
    if not stat.S_ISDIR(info.st_mode):  # a symlink or a file planted in its place
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's file cache of Quarterdeck's own templates, where an unreadable or
    unwritable entry means "compile"."""

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        # A repo's own template comes from memory (no file name): it is never kept, so
        # a repo cannot fill the user's disk (`'x' * 10**8` folds to a 100 MB constant
        # when compiled) nor leave code behind for a later run; its child compiles it.
        return "" if filename is None else super().get_cache_key(name, filename)

    def load_bytecode(self, bucket: Bucket) -> None:
        if not bucket.key:
            return
        try:
            super().load_bytecode(bucket)
        except Exception:
            # A truncated or foreign entry fails in pickle or marshal with one of a dozen
            # errors; whichever it is, forget the entry and the template is compiled.
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not bucket.key:
            return
        # Read-only or full: this run compiled it; the next one will too.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache(form: str) -> jinja2.BytecodeCache | None:
    """Jinja2's bytecode cache in `cache_folder()`, or None when there is none.

    `form` names what compiled code depends on besides the template's source (Jinja2's
    version, the environment's options; `core.text.render.compiled_form`), so code
    compiled under other settings is never loaded.
    """
    folder = cache_folder()
    if folder is None:
        return None
    return _QuietBytecodeCache(str(folder), pattern=f"{form}-%s.cache")
