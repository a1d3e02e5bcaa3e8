"""How GitHub writes a merged pull request into git, read back from one commit. Pure.

GitHub leaves three shapes, whichever branch the PR was merged into:

* a merge commit `Merge pull request #N from owner/branch`, the PR title as the
  first line of the body (the repository setting "Default message");
* a merge commit whose subject is the PR title ending in ` (#N)`, the description in
  the body ("Default to pull request title" / "title and description");
* a squash merge: one commit `Title (#N)`.

A `Merge pull request #N from …` commit with a single parent (a history rewritten
or imported, a merge flattened) is PR #N too, its author read as a squash's.

A rebase merge carries no PR number, so history alone cannot tell it from a direct
push; those commits are not PRs here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "Conventional",
    "PrTrace",
    "co_author_trailers",
    "conventional",
    "is_cherry_pick",
    "merged_branch",
    "read_pr_trace",
    "subject_of",
]

_MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+) from (\S+)\s*$")
# The `(#N)` that ends a subject. Searched for rather than matched after a lazy
# `^(.*?)\s*`, which retried the whitespace from every character: quadratic.
_NUMBER_TAIL = re.compile(r"\(#(\d+)\)\s*$")
# What `git merge` and `git pull` write when a branch (not a PR) is merged:
# "Merge branch 'stable'", "Merge branch '8.1.x' into main",
# "Merge remote-tracking branch 'origin/stable'", "Merge branch 'main' of github.com:o/r".
_BRANCH_MERGE = re.compile(r"^Merge (?:remote-tracking )?branch '(?P<name>[^'\s]+)'")
# A `Co-authored-by:` line; the name and email are then cut out with plain string
# operations: `[ \t]*(?P<name>[^<\n]*?)[ \t]*<` retried both runs of spaces from
# every character, cubic on a long line.
_CO_AUTHOR = re.compile(r"^[ \t]*co-authored-by:(?P<rest>[^\n]*)$", re.IGNORECASE | re.MULTILINE)
# Conventional commits: `type(scope, other)!: subject`; the type is any word.
_CONVENTIONAL = re.compile(r"^\s*(?P<type>[A-Za-z]+)(?:\((?P<scopes>[^()\n]*)\))?!?\s*:\s")
_CHERRY_PICK = re.compile(r"^\(cherry picked from commit [0-9a-f]{7,40}\)$", re.MULTILINE)


@dataclass(frozen=True)
class PrTrace:
    """The PR one commit records."""

    number: int
    title: str
    style: str  # "merge" (Merge pull request …), "titled-merge" or "squash"
    head_owner: str | None = None  # `owner` of `from owner/branch`: the fork's, or the repo's
    branch: str | None = None  # head branch, where the message names it


def subject_of(message: str) -> str:
    """The first line of a commit message, stripped."""
    # Only \n ends a line in git; str.splitlines would also split at \x1c-\x1e, \x0b,
    # \x0c and \x85, which a subject may carry, and lose its `(#N)`.
    return message.split("\n", 1)[0].rstrip("\r").strip()


def read_pr_trace(message: str, parents: int) -> PrTrace | None:
    """The PR a commit with `parents` parents records, or None if it records none."""
    subject = subject_of(message)
    # GitHub's own merge subject names the PR whatever the parents: a single-parent
    # copy (a rewritten or flattened history) is still that PR's only trace.
    m = _MERGE_SUBJECT.match(subject)
    if m:
        owner, _, branch = m.group(2).partition("/")
        head_branch = branch or owner
        # The first line of the body with any text: the PR's title.
        body = message.partition("\n")[2].lstrip()
        title = body.partition("\n")[0].strip() or head_branch
        style = "merge" if parents >= 2 else "squash"
        return PrTrace(int(m.group(1)), title, style, owner if branch else None, head_branch)
    m = _NUMBER_TAIL.search(subject)
    if not m or int(m.group(1)) == 0:
        return None
    title = subject[: m.start()].rstrip()
    return PrTrace(int(m.group(1)), title, "titled-merge" if parents >= 2 else "squash")


def merged_branch(subject: str) -> str | None:
    """The branch a `Merge branch 'x'` / `Merge remote-tracking branch 'o/x'` merged, as written."""
    m = _BRANCH_MERGE.match(subject)
    return m.group("name") if m else None


def co_author_trailers(message: str) -> tuple[tuple[str, str], ...]:
    """(name, email) of each `Co-authored-by:` trailer, in order, each once."""
    found: dict[tuple[str, str], None] = {}
    for m in _CO_AUTHOR.finditer(message):
        trailer = _name_and_email(m["rest"].rstrip(" \t"))
        if trailer is not None:
            found.setdefault(trailer)
    return tuple(found)


def _name_and_email(rest: str) -> tuple[str, str] | None:
    """`Name <email>` (what follows `Co-authored-by:`), or None if it isn't that shape.

    The name holds no `<`; the email is one word without `<` or `>`, last on the line.
    """
    name, bracket, email = rest.partition("<")
    if not bracket or not email.endswith(">"):
        return None
    email = email[:-1]
    if not email or any(c in "<>" or c.isspace() for c in email):
        return None
    return name.strip(), email


def is_cherry_pick(message: str) -> bool:
    """Whether `git cherry-pick -x` wrote this commit: the PR was merged elsewhere first."""
    return _CHERRY_PICK.search(message) is not None


@dataclass(frozen=True)
class Conventional:
    """The conventional-commit prefix of a PR title or commit subject."""

    type: str  # as written, e.g. "feat", "Fix"
    scopes: tuple[str, ...] = ()  # as written, in order: `fix(replay, web)` -> replay, web

    @property
    def scope(self) -> str | None:
        """The first scope, if any."""
        return self.scopes[0] if self.scopes else None


def conventional(title: str) -> Conventional | None:
    """`feat(replay): x` -> Conventional("feat", ("replay",)); None without the prefix."""
    m = _CONVENTIONAL.match(title)
    if m is None:
        return None
    scopes = tuple(s.strip() for s in (m["scopes"] or "").split(",") if s.strip())
    return Conventional(m["type"], scopes)
