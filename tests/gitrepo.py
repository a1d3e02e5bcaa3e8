"""Build real git repositories with GitHub-shaped history for tests.

Every commit gets fixed author and committer dates and identities, so tests can
assert exact values. The builder hides the user's git config (no signing, hooks or
aliases leak in). Typical use::

    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("Initial commit", files={"README.md": "hi"}, date=at(1))
    repo.branch("add-login")                       # create and switch to it
    repo.commit("Add login form", files={"web/login.py": "..."}, author=ALICE, date=at(2))
    repo.merge_pr(7, "add-login", "Add login", date=at(3))   # back on main, merged
    repo.squash_pr(8, "Fix typo", {"README.md": "hello"}, author=BOB, date=at(4))

Identities are `(name, email)` pairs; dates are timezone-aware datetimes, and their
UTC offset is recorded in the commit as GitHub would.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

Identity = tuple[str, str]

DEFAULT_AUTHOR: Identity = ("Dev Eloper", "dev@example.com")
GITHUB: Identity = ("GitHub", "noreply@github.com")  # committer of squash and PR merges
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def git_date(when: datetime) -> str:
    """`when` in git's internal date format, keeping its UTC offset."""
    if when.tzinfo is None:
        raise ValueError("commit dates must be timezone-aware")
    offset = when.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"@{int(when.timestamp())} {sign}{hours:02d}{mins:02d}"


@dataclass
class GitRepo:
    """A git repository on disk plus the name of its default branch."""

    path: Path
    default: str = "main"
    _clock: itertools.count[int] = field(default_factory=itertools.count, repr=False)

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> GitRepo:
        """A new empty repository at `path` whose first branch is `branch`."""
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path, branch)
        repo.git("init", "--quiet", f"--initial-branch={branch}")
        return repo

    # -- plumbing ---------------------------------------------------------

    def git(
        self,
        *args: str,
        author: Identity = DEFAULT_AUTHOR,
        committer: Identity | None = None,
        date: datetime | None = None,
        stdin: str | None = None,
    ) -> str:
        """Run git in the repository with fixed identities and dates; return stdout."""
        when = git_date(date or self._next_date())
        committer = committer or author
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": when,
            "LC_ALL": "C",
        }
        done = subprocess.run(
            ["git", "-c", "commit.gpgSign=false", "-C", str(self.path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def sha(self, ref: str = "HEAD") -> str:
        """The commit hash `ref` points to."""
        return self.git("rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def _next_date(self) -> datetime:
        # Distinct, increasing dates for calls that do not care about time.
        return _EPOCH + timedelta(minutes=next(self._clock))

    # -- history ----------------------------------------------------------

    def commit(
        self,
        message: str,
        files: dict[str, str | None] | None = None,
        author: Identity = DEFAULT_AUTHOR,
        date: datetime | None = None,
        committer: Identity | None = None,
    ) -> str:
        """Commit `files` (path -> content, None deletes) on the current branch; return sha."""
        for rel, content in (files or {}).items():
            target = self.path / rel
            if content is None:
                self.git("rm", "--quiet", "--", rel)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
            self.git("add", "--", rel)
        self.git(
            "commit", "--quiet", "--allow-empty", "--cleanup=verbatim", "-F", "-",
            author=author, committer=committer, date=date, stdin=message,
        )  # fmt: skip
        return self.sha()

    def branch(self, name: str, from_: str | None = None) -> None:
        """Create branch `name` at `from_` (default: HEAD) and switch to it."""
        self.git("switch", "--quiet", "--create", name, from_ or "HEAD")

    def checkout(self, name: str) -> None:
        """Switch to a branch (a no-op if already on it, even before its first commit)."""
        if self.git("branch", "--show-current").strip() != name:
            self.git("switch", "--quiet", name)

    def merge_pr(
        self,
        number: int,
        branch: str,
        title: str,
        body: str = "",
        date: datetime | None = None,
        merger: Identity = DEFAULT_AUTHOR,
        owner: str = "acme",
        into: str | None = None,
        titled: bool = False,
    ) -> str:
        """Merge `branch` into `into` (the default branch) as GitHub's merge button does.

        `titled` writes the message GitHub writes under "Default to pull request title":
        `Title (#N)`, the description as the body. Returns the merge commit's sha.
        """
        if titled:
            message = f"{title} (#{number})"
        else:
            message = f"Merge pull request #{number} from {owner}/{branch}\n\n{title}"
        if body:
            message += f"\n\n{body}"
        # GitHub records the person who pressed the button as author, itself as committer.
        return self._merge(branch, message, into or self.default, merger, GITHUB, date)

    def merge_branch(
        self,
        name: str,
        date: datetime | None = None,
        merger: Identity = DEFAULT_AUTHOR,
        into: str | None = None,
    ) -> str:
        """A plain `Merge branch 'name'` into `into` (default branch); not a PR. Return sha."""
        target = into or self.default
        message = f"Merge branch '{name}'" + ("" if target == self.default else f" into {target}")
        return self._merge(name, message, target, merger, merger, date)

    def _merge(
        self,
        branch: str,
        message: str,
        into: str,
        author: Identity,
        committer: Identity,
        date: datetime | None,
    ) -> str:
        self.checkout(into)
        self.git(
            "merge", "--quiet", "--no-ff", "--no-edit", "--cleanup=verbatim", "-m", message, branch,
            author=author, committer=committer, date=date,
        )  # fmt: skip
        return self.sha()

    def squash_pr(
        self,
        number: int,
        title: str,
        files: dict[str, str | None],
        author: Identity = DEFAULT_AUTHOR,
        date: datetime | None = None,
        body: str = "",
        into: str | None = None,
    ) -> str:
        """One commit `Title (#N)` on `into` (the default branch), as GitHub's squash merge."""
        self.checkout(into or self.default)
        message = f"{title} (#{number})" + (f"\n\n{body}" if body else "")
        return self.commit(message, files, author=author, date=date, committer=GITHUB)

    def cherry_pick(
        self, sha: str, into: str, author: Identity = DEFAULT_AUTHOR, date: datetime | None = None
    ) -> str:
        """`git cherry-pick -x` of `sha` onto `into`, as a maintainer backports; return sha."""
        self.checkout(into)
        self.git("cherry-pick", "-x", "--allow-empty", sha, author=author, date=date)
        return self.sha()

    def rename_branch(self, old: str, new: str) -> None:
        """Rename a branch (and the default, if it was the default)."""
        self.git("branch", "--move", old, new)
        if self.default == old:
            self.default = new

    def set_remote_default(self, name: str, remote: str = "origin") -> None:
        """Mirror branch `name` as `remote/name` and point `remote/HEAD` at it, as a clone does."""
        self.git("update-ref", f"refs/remotes/{remote}/{name}", self.sha(name))
        self.git("symbolic-ref", f"refs/remotes/{remote}/HEAD", f"refs/remotes/{remote}/{name}")
