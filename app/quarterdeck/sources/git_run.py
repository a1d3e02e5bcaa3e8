"""Running git for the offline sources: a clean environment, short commands and streams.

Every git process Quarterdeck starts goes through here, so none of them can be
pointed at another repository by the caller's environment, or print differently
because of the user's git config.

Inside `one_run()` (a review, a `link`), each short command is run once per
repository: the same question asked again (the default branch, origin's URL, a
branch's commit, whether the clone is shallow) gets the first answer, not another
process. Outside it every call runs git, as a repository may change between runs.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import subprocess
import tempfile
from collections.abc import Callable, Generator, Iterator
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import IO

from quarterdeck.errors import HistoryError

Progress = Callable[[int], None]
log = logging.getLogger("quarterdeck")
_SAID: set[tuple[str, str]] = set()
# The answers of short commands within the current `one_run()`; None outside one.
# A ContextVar, so that concurrent runs (threads of a server) never share answers.
_ANSWERS: ContextVar[dict[tuple[str, tuple[str, ...]], subprocess.CompletedProcess[str]] | None]
_ANSWERS = ContextVar("quarterdeck_git_answers", default=None)

PROGRESS_EVERY = 1000
CHUNK = 1 << 18  # a few thousand commits: big reads, yet progress every ~1000
_GIT_MIN_STAMP, _GIT_MAX_STAMP = 100_000_000, 4_102_444_800  # 1973-03-03, 2100-01-01
# Variables that would point git at another repository than the one we were given.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE")
# Neutralise user config that would change what `git log` prints.
CONFIG = (
    "-c", "log.showSignature=false",
    "-c", "core.quotePath=false",
    "-c", "color.ui=never",
    "-c", "diff.relative=false",
)  # fmt: skip


# Into a pipe, git log, rev-list and diff-tree write every record as soon as it is
# ready (one write per commit, one read each for us: 17,000 of them for a year of
# authors, more CPU in system calls on both sides than Python's parsing). A stream is
# read a big chunk at a time anyway, so git may fill its buffer first.
_BULK_ENV = {"GIT_FLUSH": "0"}


# Whether the clone is shallow, and the way up to its top folder (empty at the top or in
# a bare repository): one question `check_repo` and `way_up` share in a run.
_SHALLOW_AND_UP = ("rev-parse", "--is-shallow-repository", "--show-cdup")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _command(repo: Path, args: tuple[str, ...]) -> list[str]:
    return ["git", "-C", str(repo), *CONFIG, *args]


def _missing_git() -> HistoryError:
    return HistoryError(
        "git is not installed or not on PATH; install git (https://git-scm.com) "
        "to read history offline, or use the GitHub source instead"
    )


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """A scope in which each short git command (`git`, `git_output`) runs once per
    repository and arguments; a scope inside another shares its answers.

    Only for work that reads: nothing in it may change the repositories it asks about.
    """
    if _ANSWERS.get() is not None:
        yield
        return
    token = _ANSWERS.set({})
    try:
        yield
    finally:
        _ANSWERS.reset(token)


def git(repo: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a short git command and capture its output (no check); inside `one_run()`,
    a command already run there is answered from its first run."""
    answers = _ANSWERS.get()
    if answers is None or stdin is not None:
        return _run(repo, args, stdin)
    key = (str(repo), args)
    done = answers.get(key)
    if done is None:
        done = answers[key] = _run(repo, args, None)
    return done


def _run(repo: Path, args: tuple[str, ...], stdin: str | None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            _command(repo, args),
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise _missing_git() from exc


def git_output(repo: Path, *args: str) -> str:
    """Stdout of a git command that may legitimately fail (empty string then)."""
    done = git(repo, *args)
    return done.stdout.strip() if done.returncode == 0 else ""


def stream(
    repo: Path, args: tuple[str, ...], what: str, stdin: IO[bytes] | None = None
) -> Generator[list[str], None, None]:  # a generator: callers may close() it early
    """NUL-separated tokens of a git command's stdout, a big chunk's worth at a time."""
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(  # stderr to a file: a pipe we do not read could fill
                _command(repo, args),
                stdin=stdin or subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_env() | _BULK_ENV,
            )
        except FileNotFoundError as exc:
            raise _missing_git() from exc
        try:
            assert proc.stdout is not None
            yield from _batches(proc.stdout)
        finally:
            if proc.poll() is None:
                proc.kill()
            code = proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if code != 0:
            errors.seek(0)
            detail = errors.read().decode("utf-8", "replace").strip()
            raise HistoryError(f"git failed while {what} in {repo}: {detail or f'exit {code}'}")


def _batches(stdout: IO[bytes]) -> Iterator[list[str]]:
    pending = b""
    while chunk := stdout.read(CHUNK):
        data = pending + chunk
        cut = data.rfind(b"\0")
        if cut < 0:
            pending = data
            continue
        # NUL never occurs inside a UTF-8 sequence, so the text up to it decodes whole.
        pending = data[cut + 1 :]
        yield data[:cut].decode("utf-8", "replace").split("\0")
    if pending:
        yield [pending.decode("utf-8", "replace")]


def check_repo(repo: Path) -> bool:
    """Fail clearly unless `repo` is a git work tree or repository; return whether shallow."""
    if not Path(repo).is_dir():
        raise HistoryError(f"{repo} does not exist or is not a directory; pass the path of a clone")
    done = git(repo, *_SHALLOW_AND_UP)
    if done.returncode != 0:
        raise HistoryError(
            f"{repo} is not a git repository; pass the path of a local clone "
            f"(git said: {done.stderr.strip() or 'nothing'})"
        )
    return _shallow_and_up(done)[0]


def way_up(repo: Path) -> str | None:
    """The relative way from `repo` up to its clone's top folder (`../../`; "" at the
    top or in a bare repository), or None when `repo` is in no repository."""
    done = git(repo, *_SHALLOW_AND_UP)
    return _shallow_and_up(done)[1] if done.returncode == 0 else None


def _shallow_and_up(done: subprocess.CompletedProcess[str]) -> tuple[bool, str]:
    lines = done.stdout.splitlines()
    shallow = bool(lines) and lines[0].strip() == "true"
    return shallow, lines[1].strip() if len(lines) > 1 else ""


def ref_exists(repo: Path, ref: str) -> bool:
    """Whether the full ref name (`refs/heads/main`) exists."""
    return git(repo, "show-ref", "--verify", "--quiet", ref).returncode == 0


def resolve(repo: Path, branch: str) -> str:
    """The commit `branch` points to, or a HistoryError naming the branches there are.

    A branch a fresh clone has only as `origin/<branch>` (`--branch 8-0-stable`) is read
    from there, as `-v` says.
    """
    sha = try_branch(repo, branch)
    if sha:
        return sha
    known = git_output(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads")
    names = ", ".join(known.split()[:10]) or "none (the repository has no commits yet)"
    remote = git_output(repo, "for-each-ref", "--format=%(refname:short)", "refs/remotes")
    tracking = [n for n in remote.split() if not n.endswith("/HEAD")]
    # `stabel` is close to `stable`, not to `origin/stable`: compare the branch names.
    short = {name.split("/", 1)[-1]: name for name in tracking}
    close = difflib.get_close_matches(branch.split("/", 1)[-1], list(short), n=1)
    hint = f"; did you mean {short[close[0]]!r}?" if close else ""
    also = f"; remote-tracking: {', '.join(tracking[:10])}" if tracking else ""
    raise HistoryError(
        f"branch {branch!r} does not exist in {repo}{hint} (local branches: {names}{also}). "
        "Pass an existing branch (config `review.branches` or --branch), or fetch it first "
        f"(`git fetch origin {branch}`)"
    )


def try_branch(repo: Path, branch: str) -> str:
    """The commit `branch` points to, or origin's branch of that name; "" if neither."""
    sha = try_resolve(repo, branch)
    if sha or branch.startswith("origin/") or not branch:
        return sha
    sha = try_resolve(repo, f"refs/remotes/origin/{branch}")
    if sha and (str(repo), branch) not in _SAID:  # once per run, however often it is read
        _SAID.add((str(repo), branch))
        log.info("branch %s is not a local branch in %s: reading origin/%s", branch, repo, branch)
    return sha


def try_resolve(repo: Path, name: str) -> str:
    """The commit `name` points to, or "" if it names none."""
    if name.startswith("-"):  # never let a branch name pass as an option
        return ""
    spec = f"{name}^{{commit}}"
    return git_output(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", spec)


def bound(flag: str, when: datetime) -> list[str]:
    """`--since`/`--until` for `when`, or nothing where git would misread the date."""
    stamp = int(when.timestamp())
    # git reads `@N` as a timestamp only with 9+ digits, and gives up on dates past 2099;
    # outside that range filtering in Python alone is still exact.
    return [f"{flag}=@{stamp}"] if _GIT_MIN_STAMP <= stamp < _GIT_MAX_STAMP else []


class Counter:
    """Reports commits read, every ~1000, to an optional progress callback."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.count = 0

    def add(self, n: int) -> None:
        before, self.count = self.count, self.count + n
        if self.progress and before // PROGRESS_EVERY != self.count // PROGRESS_EVERY:
            self.progress(self.count)

    def finish(self) -> None:
        if self.progress and self.count % PROGRESS_EVERY:
            self.progress(self.count)
