"""A goals file as it stood at a moment, from a local clone's history (offline mode).

`git rev-list -1 --before=<when>` finds the last commit of the branch by then, and
`git show <commit>:<path>` reads the file at it: two git processes whatever the
history's length.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from quarterdeck.sources.git_run import git, git_output

__all__ = ["HistoryAt", "goals_file_at"]


class HistoryAt:
    """What the history says of one file at one moment."""

    def __init__(self, text: str | None, unavailable: str = "") -> None:
        self.text = text  # None: the file did not exist then
        self.unavailable = unavailable  # why it could not be read; "" when it was


def goals_file_at(repo: Path, ref: str, path: str, when: datetime) -> HistoryAt:
    """The text of `path` on `ref` as of `when` (None if it did not exist then).

    A clone without history that far back (a shallow clone), or without `ref`, is
    said in `unavailable`, never taken as "no goals then".
    """
    if ref.startswith("-") or path.startswith("-"):
        return HistoryAt(None, f"{ref}:{path} is not a name git can read safely")
    commit = git_output(repo, "rev-list", "-1", f"--before=@{int(when.timestamp())}", ref, "--")
    if not commit:
        first = git_output(repo, "rev-list", "--max-parents=0", ref, "--")
        if not first:
            return HistoryAt(None, f"branch {ref} has no history in {repo}")
        shallow = git_output(repo, "rev-parse", "--is-shallow-repository") == "true"
        if shallow:
            return HistoryAt(
                None,
                f"the clone's history does not reach back to {when:%Y-%m-%d} (a shallow "
                "clone); fetch more history (`fetch-depth: 0` in actions/checkout)",
            )
        return HistoryAt(None)  # the branch began later: there were no goals then
    shown = git(repo, "show", f"{commit}:{path}")
    if shown.returncode != 0:
        return HistoryAt(None)  # the file did not exist at that commit
    return HistoryAt(shown.stdout)
