"""Small facts about a local clone: where its top is, and when its history begins and ends.

Kept apart from `git_history` (which reads the merged PRs) and run the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from quarterdeck.core.review.review_month import HistorySpan
from quarterdeck.sources.git_run import (  # the one way we run git
    bound,
    git_output,
    try_branch,
    way_up,
)

__all__ = ["history_span", "toplevel"]


def toplevel(path: Path) -> Path:
    """The top folder of the git clone `path` is in, or `path` itself outside a clone.

    A command run from a subfolder then still finds `.github/quarterdeck.yml`.
    """
    if not path.is_dir():
        return path  # the reader says what is wrong with it
    here = path.resolve()
    up = way_up(here)  # the question `check_repo` asks too: answered once a run
    if up is None:
        return path
    return (here / up).resolve() if up else here


def history_span(repo: Path, refs: Sequence[str], since: datetime, name: str = "") -> HistorySpan:
    """When the history of `refs` (the branches a review reads) begins and ends.

    The newest commit is one line of `git log`; whether the history reaches back
    before `since` walks the first-parent lines after it (a few thousand commits on a
    busy history), and only a history whose main line begins later is walked to its
    roots: it reaches back when its oldest root does (a side branch may be older).
    """
    tips = [sha for sha in (try_branch(repo, ref) for ref in refs) if sha]
    if not tips:
        return HistorySpan(name, None, None)
    last = _stamp(git_output(repo, "log", "-1", "--format=%ct", *tips, "--"))
    until = bound("--until", since)
    walk = ("log", "-1", "--format=%ct", "--first-parent", *until, *tips, "--")
    if until and git_output(repo, *walk):
        return HistorySpan(name, None, last)
    roots = git_output(repo, "log", "--max-parents=0", "--format=%ct", *tips, "--")
    first = min(filter(None, map(_stamp, roots.split())), default=None)
    return HistorySpan(name, None if first is not None and first <= since else first, last)


def _stamp(text: str) -> datetime | None:
    text = text.strip()
    return datetime.fromtimestamp(int(text), UTC) if text.isdigit() else None
