"""Small facts about a local clone: where its top is, and when its history ends.

Kept apart from `git_history` (which reads the merged PRs) and run the same way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from quarterdeck.sources.git_run import git_output  # the one way we run git

__all__ = ["last_commit_at", "toplevel"]


def toplevel(path: Path) -> Path:
    """The top folder of the git clone `path` is in, or `path` itself outside a clone.

    A command run from a subfolder then still finds `.github/quarterdeck.yml`.
    """
    if not path.is_dir():
        return path  # the reader says what is wrong with it
    top = git_output(path, "rev-parse", "--show-toplevel")
    return Path(top) if top else path


def last_commit_at(repo: Path, ref: str) -> datetime | None:
    """When the newest commit of `ref` was committed (timezone-aware); None if unknown."""
    stamp = git_output(repo, "log", "-1", "--format=%cI", ref, "--")
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
