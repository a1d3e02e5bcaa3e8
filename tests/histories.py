"""The shared real histories (`shared/fixtures/histories/*.bundle`, see its README),
cloned as a user's clone reads them. One place finds them and clones them."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["CLICK_CONFIG", "clone", "histories"]

# Two teams for pallets/click, by paths: the docs, and the core module.
CLICK_CONFIG = """\
teams:
  docs:
    lead: davidism
    members: [davidism]
    owns: {paths: ["docs/**"]}
  core:
    lead: davidism
    members: [davidism]
    owns: {paths: ["src/click/core.py"]}
"""


def histories() -> Path:
    """The folder of the shared bundles: `shared/fixtures/histories` beside the checkout
    (`../shared`), or beside any folder above it (a worktree, a CI clone)."""
    for parent in Path(__file__).resolve().parents:
        found = parent / "shared" / "fixtures" / "histories"
        if found.is_dir():
            return found
    raise FileNotFoundError(
        f"no shared/fixtures/histories in any folder above {Path(__file__).parent}; "
        "the shared real histories are part of the test data: restore them there"
    )


def clone(bundle: str, into: Path, *, origin: str | None = None) -> Path:
    """A fresh clone of a shared history's `main` (`bundle`: `pallets-click.bundle` or
    `pallets-click`) in `into`; `origin` gives it its GitHub address, as a user's has."""
    name = bundle if bundle.endswith(".bundle") else f"{bundle}.bundle"
    subprocess.run(
        ["git", "clone", "-q", "-b", "main", str(histories() / name), str(into)], check=True
    )
    if origin is not None:
        subprocess.run(["git", "-C", str(into), "remote", "set-url", "origin", origin], check=True)
    return into
