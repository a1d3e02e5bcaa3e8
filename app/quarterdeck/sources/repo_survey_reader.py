"""Read what `init` needs to propose teams: recent commits and the CODEOWNERS file.

Runs a constant number of git processes whatever the history's size: the default
branch and remote (a few short commands), the newest commit's date, and one
`git log --name-only` over the six months before it. Anchoring the window at the
newest commit, not today, keeps the proposal the same for the same history.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.core.config import MAX_FILE_BYTES
from quarterdeck.core.init.repo_survey import RepoSurvey, SurveyCommit
from quarterdeck.core.review.codeowners import CODEOWNERS_PATHS, Codeowners, parse_codeowners
from quarterdeck.errors import HistoryError
from quarterdeck.sources.git_history import default_branch, web_url
from quarterdeck.sources.repo_files import FileReader, LocalReader, Unreadable

__all__ = ["WINDOW", "read_codeowners", "survey_repo"]

WINDOW = timedelta(days=183)  # about six months
_RECORD, _FIELD = "\x1e", "\x1f"
_FORMAT = f"--format={_RECORD}%H{_FIELD}%P{_FIELD}%aE{_FIELD}%aN{_FIELD}%s{_FIELD}%b{_FIELD}"
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE")
_CONFIG = ("-c", "log.showSignature=false", "-c", "core.quotePath=false", "-c", "color.ui=never")


def survey_repo(repo: Path) -> RepoSurvey | None:
    """The last six months of `repo`'s default branch and its CODEOWNERS.

    None when `repo` is not a git repository or its branch has no commits: there is
    nothing to propose from, and `init` writes the plain starter instead.
    """
    try:
        branch = default_branch(repo)
    except HistoryError:
        return None
    newest = _git(repo, "log", "-1", "--format=%ct", "--end-of-options", branch)
    if not newest.strip().isdigit():
        return None
    until = datetime.fromtimestamp(int(newest.strip()), tz=UTC)
    since = until - WINDOW
    out = _git(
        repo, "log", "--name-only", "--no-renames", _FORMAT,
        f"--since=@{int(since.timestamp())}", "--end-of-options", branch, "--",
    )  # fmt: skip
    owner = web_url(repo).rstrip("/").split("/")[-2:-1]
    return RepoSurvey(
        branch=branch,
        commits=tuple(_parse(out)),
        codeowners=read_codeowners(LocalReader(repo)),
        owner=owner[0] if owner else "",
        since=since.date().isoformat(),
        until=until.date().isoformat(),
    )


def read_codeowners(reader: FileReader) -> Codeowners | None:
    """The first of GitHub's CODEOWNERS locations that exists, parsed; None if none does."""
    for path in CODEOWNERS_PATHS:
        try:
            data = reader.read(path)
        except Unreadable:
            continue
        if data is not None and len(data) <= MAX_FILE_BYTES:
            return parse_codeowners(data.decode("utf-8", "replace"), reader.display(path))
    return None


def _parse(out: str) -> list[SurveyCommit]:
    commits = []
    for record in out.split(_RECORD)[1:]:
        fields = record.split(_FIELD)
        if len(fields) < 7:
            continue
        sha, parents, email, name, subject, body = fields[:6]
        tail = _FIELD.join(fields[6:])
        paths = tuple(_unquote(p) for p in tail.splitlines() if p.strip())
        commits.append(
            SurveyCommit(sha, tuple(parents.split()), email, name, subject, body.strip(), paths)
        )
    return commits


def _unquote(path: str) -> str:
    # git quotes names with control characters or quotes even with quotePath=false.
    if len(path) >= 2 and path[0] == path[-1] == '"':
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return path


def _git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env.update(LC_ALL="C", GIT_TERMINAL_PROMPT="0")
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *_CONFIG, *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            check=False,
        )
    except FileNotFoundError:
        return ""
    return done.stdout if done.returncode == 0 else ""
