"""Read what `init` needs to propose teams: recent commits and the CODEOWNERS file.

Runs a constant number of git processes whatever the history's size: the default
branch and remote (a few short commands), the newest commit's date, and one
`git log --name-only` over the six months before it. Anchoring the window at the
newest commit, not today, keeps the proposal the same for the same history.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.core.init.repo_survey import RepoSurvey, SurveyCommit
from quarterdeck.core.review.codeowners import Codeowners, parse_codeowners
from quarterdeck.errors import HistoryError
from quarterdeck.sources.git_history import default_branch, web_url
from quarterdeck.sources.git_run import git
from quarterdeck.sources.repo_files import LocalReader, read_codeowners

__all__ = ["WINDOW", "survey_repo"]

WINDOW = timedelta(days=183)  # about six months
_RECORD, _FIELD = "\x1e", "\x1f"
_FORMAT = f"--format={_RECORD}%H{_FIELD}%P{_FIELD}%aE{_FIELD}%aN{_FIELD}%s{_FIELD}%b{_FIELD}"


def survey_repo(repo: Path) -> RepoSurvey | None:
    """The last six months of `repo`'s default branch and its CODEOWNERS.

    None when `repo` is not a git repository or its branch has no commits: there is
    nothing to propose from, and `init` writes the plain starter instead.
    """
    try:
        branch = default_branch(repo)
    except HistoryError:
        return None
    newest = _stdout(repo, "log", "-1", "--format=%ct", "--end-of-options", branch)
    if not newest.strip().isdigit():
        return None
    until = datetime.fromtimestamp(int(newest.strip()), tz=UTC)
    since = until - WINDOW
    out = _stdout(
        repo, "log", "--name-only", "--no-renames", _FORMAT,
        f"--since=@{int(since.timestamp())}", "--end-of-options", branch, "--",
    )  # fmt: skip
    owner = web_url(repo).rstrip("/").split("/")[-2:-1]
    return RepoSurvey(
        branch=branch,
        commits=tuple(_parse(out)),
        codeowners=_codeowners(repo),
        owner=owner[0] if owner else "",
        since=since.date().isoformat(),
        until=until.date().isoformat(),
    )


def _codeowners(repo: Path) -> Codeowners | None:
    """The CODEOWNERS the config loader would read (`repo_files.read_codeowners`), parsed.

    A first location that cannot be read gives none, as it does for the config; the
    warning it makes there is the loader's to show, not the proposal's."""
    found = read_codeowners(LocalReader(repo), [])
    return parse_codeowners(found[1], found[0]) if found else None


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


def _stdout(repo: Path, *args: str) -> str:
    """Stdout of a survey command, unstripped (its records start with a separator that
    `str.strip` would eat); empty when git fails."""
    done = git(repo, *args)
    return done.stdout if done.returncode == 0 else ""
