"""Small facts about a local clone: where its top is, and when its history begins and ends.

Kept apart from `git_history` (which reads the merged PRs) and run the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from quarterdeck.core.review.review_month import HistorySpan
from quarterdeck.sources.git_run import bound, git_output, try_branch  # the one way we run git

__all__ = ["history_span", "toplevel"]


def toplevel(path: Path) -> Path:
    """The top folder of the git clone `path` is in, or `path` itself outside a clone.

    A command run from a subfolder then still finds `.github/quarterdeck.yml`.
    """
    if not path.is_dir():
        return path  # the reader says what is wrong with it
    top = git_output(path, "rev-parse", "--show-toplevel")
    return Path(top) if top else path


def history_span(repo: Path, refs: Sequence[str], since: datetime, name: str = "") -> HistorySpan:
    """When the history of `refs` (the branches a review reads) begins and ends.

    The newest commit is one line of `git log`; whether the history reaches back
    before `since` walks only the commits after it, and only a history that begins
    later is walked to its roots (all of it is after `since` then).
    """
    tips = [sha for sha in (try_branch(repo, ref) for ref in refs) if sha]
    if not tips:
        return HistorySpan(name, None, None)
    last = _stamp(git_output(repo, "log", "-1", "--format=%ct", *tips, "--"))
    first = None
    reaches = bound("--until", since)
    if not reaches or not _any_commit(repo, reaches, tips):
        roots = git_output(repo, "log", "--max-parents=0", "--format=%ct", *tips, "--")
        stamps = [stamp for stamp in map(_stamp, roots.split()) if stamp is not None]
        first = min(stamps, default=None)
    return HistorySpan(name, first, last)


def _any_commit(repo: Path, until: list[str], tips: list[str]) -> bool:
    """Whether a commit of `tips` is as old as `until`: first along the first-parent
    lines (a few thousand commits on a busy history), and only if none is there,
    among everything they reach (a side branch may be older than the main line)."""
    for walk in (("--first-parent",), ()):
        if git_output(repo, "log", "-1", "--format=%ct", *walk, *until, *tips, "--"):
            return True
    return False


def _stamp(text: str) -> datetime | None:
    text = text.strip()
    return datetime.fromtimestamp(int(text), UTC) if text.isdigit() else None
