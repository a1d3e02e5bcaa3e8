"""Merged pull requests read from a local clone's history: no token, no network.

GitHub leaves two kinds of traces on the default branch's first-parent line:

* merge commits, subject `Merge pull request #N from owner/branch`, PR title as the
  first line of the body;
* squash merges, a single commit whose subject ends in ` (#N)`.

Everything else (`Merge branch 'stable'`, commits straight to main, reverts without
a number) is not a pull request. This is the only module that runs git, and it
runs a constant number of processes whatever the size of the history:

1. `git log --first-parent` over the window: hashes, dates, authors, messages;
2. `git diff-tree --stdin`: the paths each PR commit changed against its first parent;
3. `git log base..tip`: every commit that entered the branch in the window, to find
   each merged branch's tip author and first commit.

Tree diffs dominate the cost, so only PR commits get one, shared over two processes
that run beside pass 3. See benchmarks/RESULTS.md for what each pass costs.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import IO

from quarterdeck.core.model import PullRequest
from quarterdeck.errors import HistoryError

Progress = Callable[[int], None]

_PROGRESS_EVERY = 1000
_DIFF_PROCESSES = 2
_CHUNK = 1 << 18  # a few thousand commits: big reads, yet progress every ~1000
# `--since` compares committer dates and stops the walk at the first older commit, so
# read a day either side of the window and filter exactly in Python.
_SLACK = timedelta(days=1)
_GIT_MIN_STAMP, _GIT_MAX_STAMP = 100_000_000, 4_102_444_800  # 1973-03-03, 2100-01-01
# Records are NUL-separated (-z) and fields \x1f-separated, the message last so that
# whatever it contains stays inside its own field.
_MAIN_FORMAT = "%H %P%x1f%ct%x1f%aE%x1f%aN%x1f%B"
_GRAPH_FORMAT = "%H %P%x1f%at%x1f%aE%x1f%aN"
_NO_IDENTITIES: Mapping[str, tuple[str, ...]] = MappingProxyType({})
_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+) from (\S+)\s*$")
_SQUASH_SUBJECT = re.compile(r"^(.*?)\s*\(#(\d+)\)\s*$")
_NOREPLY = re.compile(r"^(?:\d+\+)?([^@\s]+)@users\.noreply\.github\.com$", re.IGNORECASE)
# Variables that would point git at another repository than the one we were given.
_REPO_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_NAMESPACE")
# Neutralise user config that would change what `git log` prints.
_CONFIG = (
    "-c", "log.showSignature=false",
    "-c", "core.quotePath=false",
    "-c", "color.ui=never",
    "-c", "diff.relative=false",
)  # fmt: skip


# ---------------------------------------------------------------------------
# Public API


def default_branch(repo: Path, override: str | None = None) -> str:
    """The branch to read: `override`, else origin's default, else HEAD's branch, else "HEAD"."""
    if override:
        return override
    _check_repo(repo)
    return _default_branch(repo)


_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[A-Za-z0-9.-]+)(?::\d+)?[:/]"
    r"(?P<path>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def web_url(repo: Path, remote: str = "origin") -> str:
    """`https://host/owner/name` of `remote`, or "" if it has none a browser could open.

    Any user name or token in the remote URL is dropped, never echoed.
    """
    m = _REMOTE.match(_git_output(repo, "remote", "get-url", remote))
    return f"https://{m.group('host')}/{m.group('path')}" if m else ""


def read_merged_prs(
    repo: Path,
    since: datetime,
    until: datetime,
    *,
    branch: str | None = None,
    identities: Mapping[str, tuple[str, ...]] = _NO_IDENTITIES,
    progress: Progress | None = None,
) -> list[PullRequest]:
    """Merged PRs on `branch`'s first-parent line with merged_at in [since, until), oldest first.

    merged_at is the merge or squash commit's committer date, in UTC. The author is
    the merged branch tip's author for merge commits (the merge commit's is whoever
    pressed the button; it stands in only when the tip is already on the branch),
    the commit author for squashes, both as git (and .mailmap) name them, turned into
    a login by: `identities` (login -> emails or names, case-insensitive), else a
    GitHub noreply email, else the email's local part, else the name.
    first_commit_at is the earliest author date among the commits a merge brought in;
    None for squashes, whose commits git no longer has. `branch` defaults to
    `default_branch(repo)`; `progress` gets the number of commits read so far, about
    every thousand. Raises HistoryError when git, the repo or the branch is missing.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    shallow = _check_repo(repo)
    tip = _resolve(repo, branch or _default_branch(repo))
    counter = _Counter(progress)
    # A shallow clone's history may end inside the window; read up to the tip so
    # that the end of the history is visible, and refuse rather than under-count.
    main_line = _read_main_line(repo, tip, since, None if shallow else until, counter)
    if shallow:
        _check_depth(repo, main_line, since)
    prs = [c for c in map(_candidate, main_line) if c and since <= c.merged_at < until]
    changed, branch_info = _details(repo, prs, counter)
    counter.finish()
    login = _LoginMapper(identities)
    result = [
        _to_pull_request(c, changed.get(c.commit.sha, ()), branch_info.get(c.commit.sha), login)
        for c in reversed(prs)
    ]
    # git lists the main line newest first; clock skew can make dates disagree with
    # that order, and callers want time order.
    return sorted(result, key=lambda pr: pr.merged_at)


def _details(
    repo: Path, prs: list[_Candidate], counter: _Counter
) -> tuple[dict[str, tuple[str, ...]], dict[str, _BranchInfo]]:
    """Passes 2 and 3: changed paths of every PR commit, branch details of every merge."""
    merges = [c for c in prs if c.kind == "merge"]
    commits = [c.commit for c in prs]
    # Tree diffs cost the most, so they are shared out and run beside pass 3; in
    # contiguous runs, because neighbouring commits share most of their trees.
    size = max(1, -(-len(commits) // _DIFF_PROCESSES))
    shares = [commits[i : i + size] for i in range(0, len(commits), size)]
    with ThreadPoolExecutor(max_workers=_DIFF_PROCESSES) as pool:
        jobs = [pool.submit(_read_paths, repo, share) for share in shares]
        branch_info = _branch_info(repo, merges, counter) if merges else {}
        changed = {sha: paths for job in jobs for sha, paths in job.result().items()}
    return changed, branch_info


def _default_branch(repo: Path) -> str:
    origin_head = _git_output(repo, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
    if origin_head.startswith("refs/remotes/origin/"):
        name = origin_head.removeprefix("refs/remotes/origin/")
        # Prefer the local branch the user works with; a clone without one (a CI
        # checkout of another branch) still has the remote-tracking ref. A stale
        # origin/HEAD (default branch renamed, old ref pruned) matches neither.
        for ref, usable in ((f"refs/heads/{name}", name), (origin_head, f"origin/{name}")):
            if _ref_exists(repo, ref):
                return usable
    current = _git_output(repo, "symbolic-ref", "-q", "--short", "HEAD")
    return current or "HEAD"


# ---------------------------------------------------------------------------
# Running git


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV}
    env["LC_ALL"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env


def _command(repo: Path, args: tuple[str, ...]) -> list[str]:
    return ["git", "-C", str(repo), *_CONFIG, *args]


def _missing_git() -> HistoryError:
    return HistoryError(
        "git is not installed or not on PATH; install git (https://git-scm.com) "
        "to read history offline, or use the GitHub source instead"
    )


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a short git command and capture its output (no check)."""
    try:
        return subprocess.run(
            _command(repo, args),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_env(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise _missing_git() from exc


def _git_output(repo: Path, *args: str) -> str:
    """Stdout of a git command that may legitimately fail (empty string then)."""
    done = _git(repo, *args)
    return done.stdout.strip() if done.returncode == 0 else ""


def _stream(
    repo: Path, args: tuple[str, ...], what: str, stdin: IO[bytes] | None = None
) -> Iterator[list[str]]:
    """NUL-separated tokens of a git command's stdout, a big chunk's worth at a time."""
    with tempfile.TemporaryFile() as errors:
        try:
            proc = subprocess.Popen(  # stderr to a file: a pipe we do not read could fill
                _command(repo, args),
                stdin=stdin or subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=errors,
                env=_env(),
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
    while chunk := stdout.read(_CHUNK):
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


def _check_repo(repo: Path) -> bool:
    """Fail clearly unless `repo` is a git work tree or repository; return whether shallow."""
    if not Path(repo).is_dir():
        raise HistoryError(f"{repo} does not exist or is not a directory; pass the path of a clone")
    done = _git(repo, "rev-parse", "--is-shallow-repository")
    if done.returncode != 0:
        raise HistoryError(
            f"{repo} is not a git repository; pass the path of a local clone "
            f"(git said: {done.stderr.strip() or 'nothing'})"
        )
    return done.stdout.strip() == "true"


def _ref_exists(repo: Path, ref: str) -> bool:
    return _git(repo, "show-ref", "--verify", "--quiet", ref).returncode == 0


def _resolve(repo: Path, branch: str) -> str:
    """The commit `branch` points to, or a HistoryError naming the branches there are."""
    if not branch.startswith("-"):  # never let a branch name pass as an option
        spec = f"{branch}^{{commit}}"
        sha = _git_output(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", spec)
        if sha:
            return sha
    known = _git_output(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads")
    names = ", ".join(known.split()[:10]) or "none (the repository has no commits yet)"
    raise HistoryError(
        f"branch {branch!r} does not exist in {repo}; local branches: {names}. "
        "Pass an existing branch (config `review.branch` or --branch)"
    )


class _Counter:
    """Reports commits read, every ~1000, to an optional progress callback."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.count = 0

    def add(self, n: int) -> None:
        before, self.count = self.count, self.count + n
        if self.progress and before // _PROGRESS_EVERY != self.count // _PROGRESS_EVERY:
            self.progress(self.count)

    def finish(self) -> None:
        if self.progress and self.count % _PROGRESS_EVERY:
            self.progress(self.count)


# ---------------------------------------------------------------------------
# Passes 1 and 2: the first-parent line, with messages and changed paths


@dataclass
class _MainCommit:
    sha: str
    parents: tuple[str, ...]
    committed: datetime
    author_email: str
    author_name: str
    message: str


def _read_main_line(
    repo: Path, tip: str, since: datetime, until: datetime | None, counter: _Counter
) -> list[_MainCommit]:
    """First-parent commits from a day before `since` to a day after `until`, newest first."""
    window = _bound("--since", since - _SLACK)
    if until is not None:
        window += _bound("--until", until + _SLACK)
    args = (
        "log",
        "--first-parent",
        "-z",
        "--encoding=UTF-8",
        f"--format={_MAIN_FORMAT}",
        *window,
        tip,
        "--",
    )
    commits: list[_MainCommit] = []
    for batch in _stream(repo, args, "reading the first-parent history"):
        parsed = [c for c in map(_parse_main, batch) if c]
        commits += parsed
        counter.add(len(parsed))
    return commits


def _bound(flag: str, when: datetime) -> list[str]:
    """`--since`/`--until` for `when`, or nothing where git would misread the date."""
    stamp = int(when.timestamp())
    # git reads `@N` as a timestamp only with 9+ digits, and gives up on dates past 2099;
    # outside that range filtering in Python alone is still exact.
    return [f"{flag}=@{stamp}"] if _GIT_MIN_STAMP <= stamp < _GIT_MAX_STAMP else []


def _parse_main(token: str) -> _MainCommit | None:
    fields = token.split("\x1f", 4)
    if len(fields) != 5:
        return None
    ids, stamp, email, name, message = fields
    sha, *parents = ids.split()
    if not _HEX.match(sha) or not stamp.isdigit():
        return None
    committed = datetime.fromtimestamp(int(stamp), UTC)
    return _MainCommit(sha, tuple(parents), committed, email, name, message.rstrip())


def _read_paths(repo: Path, commits: list[_MainCommit]) -> dict[str, tuple[str, ...]]:
    """Paths each commit changed against its first parent (all of them for a root)."""
    if not commits:
        return {}
    with tempfile.TemporaryFile() as pairs:
        # "<commit> <parent>" diffs against that parent only: a merge's own changes.
        pairs.write(
            "".join(
                f"{c.sha} {c.parents[0]}\n" if c.parents else f"{c.sha}\n" for c in commits
            ).encode()
        )
        pairs.seek(0)
        args = (
            "diff-tree",
            "--stdin",
            "-z",
            "-r",
            "--root",
            "--always",
            "--no-renames",
            "--name-only",
            "--no-relative",
        )
        order = [c.sha for c in commits]
        changed: dict[str, list[str]] = {}
        current: list[str] = []
        for batch in _stream(repo, args, "listing changed paths", stdin=pairs):
            for token in batch:
                # --always prints every commit's hash before its paths, in input order.
                if len(changed) < len(order) and token == order[len(changed)]:
                    current = changed[token] = []
                else:
                    current.append(token)
    return {sha: tuple(paths) for sha, paths in changed.items()}


def _check_depth(repo: Path, main_line: list[_MainCommit], since: datetime) -> None:
    """Refuse a shallow history that ends (at a parentless commit) inside the window."""
    oldest = main_line[-1] if main_line else None
    if oldest is not None and not oldest.parents and oldest.committed >= since:
        raise HistoryError(
            f"{repo} is a shallow clone whose history starts after {since:%Y-%m-%d}; "
            "fetch the full history (`git fetch --unshallow`, or `fetch-depth: 0` "
            "in actions/checkout) and run again"
        )


# ---------------------------------------------------------------------------
# Recognising pull requests


@dataclass
class _Candidate:
    commit: _MainCommit
    kind: str  # "merge" or "squash"
    number: int
    title: str
    branch: str | None

    @property
    def merged_at(self) -> datetime:
        return self.commit.committed


def _candidate(commit: _MainCommit) -> _Candidate | None:
    """The PR a main-line commit records, if it records one."""
    # Only \n ends a line in git; str.splitlines would also split at \x1c-\x1e, \x0b,
    # \x0c and \x85, which a subject may carry, and lose its `(#N)`.
    lines = [line.rstrip("\r") for line in commit.message.split("\n")]
    subject = lines[0].strip() if lines else ""
    if len(commit.parents) >= 2:
        m = _MERGE_SUBJECT.match(subject)
        if not m:
            return None
        owner_branch = m.group(2)
        branch = owner_branch.split("/", 1)[1] if "/" in owner_branch else owner_branch
        title = next((line.strip() for line in lines[1:] if line.strip()), branch)
        return _Candidate(commit, "merge", int(m.group(1)), title, branch)
    m = _SQUASH_SUBJECT.match(subject)
    if not m:
        return None
    return _Candidate(commit, "squash", int(m.group(2)), m.group(1), None)


# ---------------------------------------------------------------------------
# Pass 3: the commits merges brought in (branch author, first commit time)


@dataclass(frozen=True)
class _BranchInfo:
    author_email: str | None  # of the merged branch tip, None if git has no such commit
    author_name: str | None
    first_commit_at: datetime | None


@dataclass
class _Graph:
    """Commits that entered the branch: parents and author time of each."""

    parents: dict[str, list[str]]
    authored: dict[str, int]
    tip_authors: dict[str, tuple[str, str]]  # sha -> (email, name), merged branch tips only


def _branch_info(repo: Path, merges: list[_Candidate], counter: _Counter) -> dict[str, _BranchInfo]:
    """For each PR merge commit: its branch tip's author and its earliest authored commit."""
    newest, oldest = merges[0].commit, merges[-1].commit
    tips = {m.commit.parents[1] for m in merges}
    graph = _read_graph(repo, newest.sha, oldest.parents[0], tips, counter)
    brought = _brought_in(graph, newest.sha)
    info: dict[str, _BranchInfo] = {}
    for m in merges:
        email, name = graph.tip_authors.get(m.commit.parents[1], (None, None))
        first = brought.get(m.commit.sha)
        when = datetime.fromtimestamp(first, UTC) if first is not None else None
        info[m.commit.sha] = _BranchInfo(email, name, when)
    return info


def _read_graph(repo: Path, tip: str, base: str, tips: set[str], counter: _Counter) -> _Graph:
    """Every commit in base..tip, with the authors of the branch `tips` among them."""
    args = ("log", "-z", "--encoding=UTF-8", f"--format={_GRAPH_FORMAT}", tip, f"^{base}", "--")
    graph = _Graph({}, {}, {})
    # The tightest loop of the module: a year of a busy repo is tens of thousands.
    for batch in _stream(repo, args, "reading the merged branches"):
        for token in batch:
            fields = token.split("\x1f", 3)
            if len(fields) != 4 or not fields[1].isdigit():
                continue
            ids = fields[0].split(" ")
            sha = ids[0]
            graph.parents[sha] = ids[1:]
            graph.authored[sha] = int(fields[1])
            if sha in tips:
                graph.tip_authors[sha] = (fields[2], fields[3])
        counter.add(len(batch))
    return graph


def _brought_in(graph: _Graph, tip: str) -> dict[str, int]:
    """Earliest author time among the commits each first-parent commit brought in.

    Walks the main line oldest first, keeping the set of commits already reachable
    from it: a commit a branch shares with an earlier merge was not brought in by
    the later one. Commits outside the graph are reachable from the base, so older.
    """
    parents, authored = graph.parents, graph.authored
    line: list[str] = []
    sha = tip
    while sha in parents:
        line.append(sha)
        if not parents[sha]:
            break
        sha = parents[sha][0]
    seen: set[str] = set(line)
    earliest: dict[str, int] = {}
    for merge in reversed(line):
        stack = parents[merge][1:]
        first: int | None = None
        while stack:
            current = stack.pop()
            if current in seen or current not in parents:
                continue
            seen.add(current)
            when = authored[current]
            if first is None or when < first:
                first = when
            stack += parents[current]
        if first is not None:
            earliest[merge] = first
    return earliest


# ---------------------------------------------------------------------------
# Building the PullRequest


class _LoginMapper:
    """Best GitHub login for a git identity (see `read_merged_prs`)."""

    def __init__(self, identities: Mapping[str, tuple[str, ...]]) -> None:
        self.known: dict[str, str] = {}
        for login, aliases in identities.items():
            for alias in (aliases,) if isinstance(aliases, str) else aliases:
                if alias.strip():
                    self.known.setdefault(alias.strip().lower(), login)

    def __call__(self, name: str, email: str) -> str:
        for key in (email, name):
            login = self.known.get(key.strip().lower())
            if login:
                return login
        noreply = _NOREPLY.match(email.strip())
        if noreply:
            return noreply.group(1)
        local = email.strip().partition("@")[0]
        return local or name.strip() or "unknown"


def _to_pull_request(
    candidate: _Candidate,
    paths: tuple[str, ...],
    info: _BranchInfo | None,
    login: _LoginMapper,
) -> PullRequest:
    commit = candidate.commit
    name, email = commit.author_name, commit.author_email
    if info and info.author_email is not None and info.author_name is not None:
        # A merge commit's author is whoever clicked merge; the branch tip's is the PR's.
        name, email = info.author_name, info.author_email
    return PullRequest(
        number=candidate.number,
        title=candidate.title,
        author=login(name, email),
        merged_at=commit.committed,
        body=commit.message,
        branch=candidate.branch,
        paths=paths,
        is_bot="[bot]" in name or "[bot]" in email,
        sha=commit.sha,
        source="git",
        first_commit_at=info.first_commit_at if info else None,
    )
