"""Merged pull requests read from a local clone's history: no token, no network.

Which commits are PRs is `core.review.pr_messages`' business (GitHub's three shapes); this
module finds them wherever GitHub merged them, as long as that work reaches the
branches reviewed:

* on the first-parent line of the default branch;
* on the first-parent line of each release branch merged into it (`Merge branch
  'stable'`, `Merge remote-tracking branch 'origin/stable'`), the part not merged
  yet included, so a PR counts at its own merge time whatever branch took it;
* anywhere else reachable from the default branch when GitHub made the commit
  (committer `noreply@github.com`): a PR merged into a branch that later reached
  the default branch by a PR of its own (`Merge stable into main (#3674)`).

With a fixed list of branches (`review.branches`, `--branch`), only those branches'
first-parent lines are read. A PR seen twice (a backport) counts once, at its first
merge; `git cherry-pick -x` copies are not PRs.

The cost stays a constant number of git processes whatever the size of the history:

1. `git log --first-parent --merges` (subjects only) finds the release branches;
2. `git log --first-parent` over the window of every line read, and beside it
   `git log --committer=noreply@github.com` over the same window;
3. `git diff-tree --stdin`: the paths each PR commit changed against its first parent
   (of the PRs whose paths the caller wants: `paths_from`);
4. `git log <merges> --not <bases>`: the commits each merge brought in, for the PR's
   author, co-authors and first commit.

Tree diffs dominate the cost, so they are shared over two processes that run beside
pass 4. See benchmarks/RESULTS.md for what each pass costs.
"""

from __future__ import annotations

import contextlib
import logging
import re
import tempfile
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Generic, TypeVar

from quarterdeck.core.model import PullRequest
from quarterdeck.core.review.identities import Credit, IdentityBook, credit, organisations
from quarterdeck.core.review.pr_messages import (
    PrTrace,
    co_author_trailers,
    is_cherry_pick,
    merged_branch,
    read_pr_trace,
)
from quarterdeck.errors import HistoryError
from quarterdeck.sources.git_run import (
    Counter,
    Progress,
    bound,
    check_repo,
    git_output,
    one_run,
    ref_exists,
    resolve,
    stream,
    try_resolve,
)

__all__ = ["default_branch", "pr_merge_times", "read_merged_prs", "web_url"]

_DIFF_PROCESSES = 2
# Below this many commits a second diff process costs more to start than it saves.
_DIFF_SHARE_MIN = 200
# `--since` compares committer dates and stops the walk at the first older commit, so
# read a day either side of the window and filter exactly in Python.
_SLACK = timedelta(days=1)
# Records are NUL-separated (-z) and fields \x1f-separated, the message last so that
# whatever it contains stays inside its own field.
_MAIN_FORMAT = "%H %P%x1f%ct%x1f%aE%x1f%aN%x1f%B"
_GRAPH_FORMAT = "%H %P%x1f%at%x1f%aE%x1f%aN"
# How far back identities are learned (a name seen with a noreply email names its
# login): a year back, far enough for most people, bounded for big histories.
_LEARN_FROM = timedelta(days=365)
_GITHUB_COMMITTER = r"<noreply@github\.com>"  # web-flow: merges GitHub itself made
_NOREPLY_AUTHOR = "@users.noreply.github.com"  # 123+login@users.noreply.github.com
_NO_IDENTITIES: Mapping[str, tuple[str, ...]] = MappingProxyType({})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_WARNED: set[tuple[str, str]] = set()
log = logging.getLogger("quarterdeck")
_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REMOTE = re.compile(
    r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>[A-Za-z0-9.-]+)(?::\d+)?[:/]"
    r"(?P<path>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)

Identity = tuple[str, str]  # (name, email) as git (and .mailmap) give them


# ---------------------------------------------------------------------------
# Public API


def default_branch(repo: Path, override: str | None = None) -> str:
    """The branch to read: `override`, else origin's default, else HEAD's branch, else "HEAD"."""
    if override:
        return override
    check_repo(repo)
    return _default_branch(repo)


def web_url(repo: Path, remote: str = "origin") -> str:
    """`https://host/owner/name` of `remote`, or "" if it has none a browser could open.

    Any user name or token in the remote URL is dropped, never echoed.
    """
    m = _REMOTE.match(git_output(repo, "remote", "get-url", remote))
    return f"https://{m.group('host')}/{m.group('path')}" if m else ""


@one_run()
def read_merged_prs(
    repo: Path,
    since: datetime,
    until: datetime,
    *,
    branch: str | None = None,
    branches: Sequence[str] = (),
    identities: Mapping[str, tuple[str, ...]] = _NO_IDENTITIES,
    progress: Progress | None = None,
    repo_name: str = "",
    repo_url: str = "",
    paths_from: datetime | None = None,
) -> list[PullRequest]:
    """PRs merged in [since, until) that reach the reviewed branches, oldest first.

    Without `branch` or `branches` the default branch is read with its release
    branches and GitHub's own merges (see the module docstring); with them, exactly
    the first-parent lines of those branches. merged_at is the merge or squash
    commit's committer date, in UTC. The author is a GitHub login (see
    `core.review.identities`; a merge's is the fork owner of `from <login>/…`, else whoever
    wrote most of the merged branch, never the merger); first_commit_at is the
    earliest author date among the commits a merge brought in, None for squashes.
    `progress` gets the number of commits read so far, about every thousand.
    `repo_name` names each PR's repository, and `repo_url` gives each its address
    (`<repo_url>/pull/<N>`) when not empty. Changed paths (a tree diff per PR, the
    dearest read) are listed only for PRs merged at or after `paths_from`; the earlier
    ones carry none. None lists every PR's.
    Raises HistoryError when git, the repo or a branch is missing.
    """
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("since and until must be timezone-aware datetimes")
    shallow = check_repo(repo)
    fixed = [*([branch] if branch else []), *branches]
    tips = [resolve(repo, name) for name in dict.fromkeys(fixed or [_default_branch(repo)])]
    counter = Counter(progress)
    # A shallow clone's history may end inside the window; read up to the tip so
    # that the end of the history is visible, and refuse rather than under-count.
    window = (since - _SLACK, None if shallow else until + _SLACK)
    # Who committed in the year before is evidence only when some author would be a
    # guess, which only the reads below tell; it starts now, beside them, and is
    # stopped unread when not needed (a history of noreply emails).
    with _Speculative(_read_identities, repo, tips, since - _LEARN_FROM, window[1]) as elsewhere:
        with ThreadPoolExecutor(max_workers=2) as pool:
            made_by_github = None if fixed else pool.submit(_read_github_made, repo, tips, window)
            lines = tips if fixed else [*tips, *_release_tips(repo, tips[0], since - _SLACK)]
            line_commits = _read_lines(repo, lines, window, counter)
            extra = made_by_github.result() if made_by_github else []
        if shallow:
            _check_depth(repo, line_commits, since)
        candidates = _pick(line_commits, extra, since, until)
        listed = [c for c in candidates if paths_from is None or c.merged_at >= paths_from]
        changed, brought = _details(repo, candidates, listed, _bases(line_commits), counter)
        counter.finish()
        owner = _owner(repo, candidates)
        orgs: frozenset[str] = frozenset()
        if any(_forked(c, owner) for c in candidates):
            # Whose work each fork carried over a year either side tells a person's fork
            # from an organisation's (one more walk of the merges, only when a fork is
            # merged): an organisation's first PRs are its own too.
            later = None if window[1] is None else until + _LEARN_FROM
            orgs = organisations(*_read_fork_tips(repo, tips, owner, since - _LEARN_FROM, later))
        seen, vouched = _evidence(candidates, brought, owner, orgs)
        book = IdentityBook.build(identities, seen, vouched)
        people = [_people(c, brought.get(c.commit.sha)) for c in candidates]
        if any(book.identify(*who).guessed for authors, _ in people for who in authors[:1]):
            # Only then is who else committed worth waiting for.
            book = IdentityBook.build(identities, [*elsewhere.result(), *seen], vouched)
        credits: dict[tuple[tuple[Identity, ...], tuple[Identity, ...], str | None], Credit] = {}
        result = []
        for c, (authors, trailers) in zip(candidates, people, strict=True):
            # Most PRs share their people with others: credit each set once (it is pure).
            fork = _forked(c, owner)
            key = (tuple(authors), tuple(trailers), fork)
            found = credits.get(key)
            if found is None:
                found = credits[key] = credit(authors, trailers, book, fork, orgs)
            result.append(_to_pull_request(c, found, changed, brought, (repo_name, repo_url)))
        # Clock skew can make dates disagree with the graph's order; callers want time order.
        return sorted(result, key=lambda pr: (pr.merged_at, pr.number))


@one_run()
def pr_merge_times(repo: Path, number: int, branches: Sequence[str] = ()) -> list[datetime]:
    """When PR `number` was merged into the lines `read_merged_prs` reads, oldest first.

    Cheap whatever the size of the history: `git log --grep` keeps only the commits
    whose message names the PR, on the first-parent line of the default branch (or of
    `branches`); if none is there, on its release branches' lines; if none is there
    either, among every commit they reach (a PR merged into a feature branch that
    landed later). Only commits whose subject records the PR count (not a mention in
    a body, not a cherry-pick). The caller reads the history around each time to
    know the PR, as `read_merged_prs` decides what a PR is.
    """
    check_repo(repo)
    fixed = list(dict.fromkeys(branches))
    tips = [resolve(repo, name) for name in fixed or [_default_branch(repo)]]
    found = _grep_pr(repo, number, tips, first_parent=True)
    if not found and not fixed:
        tips += _release_tips(repo, tips[0], _EPOCH)
        found = _grep_pr(repo, number, tips[1:], first_parent=True) if tips[1:] else []
    if not found:
        found = _grep_pr(repo, number, tips, first_parent=False)
    return sorted(set(found))


def _grep_pr(repo: Path, number: int, tips: list[str], *, first_parent: bool) -> list[datetime]:
    """Committer times of the commits of `tips` (their first-parent lines, or all) that
    record PR `number` in their subject."""
    # git matches ^ and $ at every line of the message; the subject is checked after.
    grep = (f"--grep=^Merge pull request #{number} from ", f"--grep=\\(#{number}\\)[[:space:]]*$")
    walk = ("--first-parent",) if first_parent else ()
    args = ("log", "-z", "--encoding=UTF-8", f"--format={_MAIN_FORMAT}", "-E", *grep, *walk)
    return [
        commit.committed
        for batch in stream(repo, (*args, *tips, "--"), f"looking for PR #{number}")
        for commit in map(_parse_commit, batch)
        if commit is not None and _records(commit, number)
    ]


def _records(commit: _Commit, number: int) -> bool:
    """Whether `commit` is PR `number`'s merge or squash (not a copy of one)."""
    if is_cherry_pick(commit.message):
        return False
    trace = read_pr_trace(commit.message, len(commit.parents))
    return trace is not None and trace.number == number


def _default_branch(repo: Path) -> str:
    """origin's default branch, else the checked-out branch, else origin's main branch.

    A clone whose `origin/HEAD` is missing (`git init` + `git fetch`, or a pruned
    remote) and whose checked-out branch has no commits still has origin's branches:
    its `main` or `master`, or its only branch, is read, and a warning says which.
    """
    origin_head = git_output(repo, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
    if origin_head.startswith("refs/remotes/origin/"):
        name = origin_head.removeprefix("refs/remotes/origin/")
        # Prefer the local branch the user works with; a clone without one (a CI
        # checkout of another branch) still has the remote-tracking ref. A stale
        # origin/HEAD (default branch renamed, old ref pruned) matches neither.
        for ref, usable in ((f"refs/heads/{name}", name), (origin_head, f"origin/{name}")):
            if ref_exists(repo, ref):
                return usable
    # One question answers the usual cases: a branch with commits, or a detached HEAD.
    checked_out = git_output(repo, "rev-parse", "--symbolic-full-name", "HEAD")
    if checked_out == "HEAD" or checked_out.startswith("refs/heads/"):
        return checked_out.removeprefix("refs/heads/")
    # HEAD names a branch with no commits yet (git could not resolve it).
    current = git_output(repo, "symbolic-ref", "-q", "--short", "HEAD")
    if not current:
        return "HEAD"
    fallback = _origin_main(repo)
    if fallback is None:
        return current  # nothing better: `resolve` says which branches there are
    key = (str(Path(repo).resolve()), fallback)
    if key not in _WARNED:  # once per run, however many times the branch is asked for
        _WARNED.add(key)
        log.warning(
            "%s has no origin/HEAD and its branch %s has no commits: reading %s; to read "
            "another, pass --branch, or set origin's default with `git remote set-head "
            "origin --auto`",
            repo,
            current,
            fallback,
        )
    return fallback


def _origin_main(repo: Path) -> str | None:
    """origin's `main` or `master`, else its only branch, as `origin/<name>`; None if neither."""
    names = git_output(repo, "for-each-ref", "--format=%(refname:short)", "refs/remotes/origin")
    branches = [n for n in names.split() if n.startswith("origin/") and n != "origin/HEAD"]
    for usual in ("origin/main", "origin/master"):
        if usual in branches:
            return usual
    return branches[0] if len(branches) == 1 else None


# ---------------------------------------------------------------------------
# Passes 1 and 2: which lines to read, and their commits


@dataclass
class _Commit:
    sha: str
    parents: tuple[str, ...]
    committed: datetime
    author_email: str
    author_name: str
    message: str


def _release_tips(repo: Path, tip: str, since: datetime) -> list[str]:
    """Tips of the release branches merged into the default branch since `since`.

    Both the branch as it is now (its PRs not merged back yet count too) and as each
    merge took it (the branch may be gone since).
    """
    args: tuple[str, ...]  # grows below
    args = ("log", "--first-parent", "--merges", "-z", "--format=%P%x1f%s")
    args += (*bound("--since", since), tip, "--")
    names: dict[str, None] = {}
    tips: dict[str, None] = {}
    for batch in stream(repo, args, "finding release branches"):
        for token in batch:
            parents, _, subject = token.partition("\x1f")
            name = merged_branch(subject)
            if name is None:
                continue
            names[name] = None
            tips.update(dict.fromkeys(parents.split()[1:]))
    for name in names:
        # `origin/stable` may be known locally as `stable`, and `stable` as `origin/stable`.
        short = name.split("/", 1)[1] if "/" in name else name
        for ref in (name, f"origin/{short}", short):
            sha = try_resolve(repo, ref)
            if sha:
                tips[sha] = None
    tips.pop(tip, None)
    return list(tips)


def _read_lines(
    repo: Path, tips: list[str], window: tuple[datetime, datetime | None], counter: Counter
) -> list[_Commit]:
    """First-parent commits of every tip's line inside `window`, newest first."""
    args: tuple[str, ...]  # grows below
    args = ("log", "--first-parent", "-z", "--encoding=UTF-8", f"--format={_MAIN_FORMAT}")
    args += (*_window_bounds(window), *tips, "--")
    commits: list[_Commit] = []
    for batch in stream(repo, args, "reading the first-parent history"):
        parsed = [c for c in map(_parse_commit, batch) if c]
        commits += parsed
        counter.add(len(parsed))
    return commits


def _read_github_made(
    repo: Path, tips: list[str], window: tuple[datetime, datetime | None]
) -> list[_Commit]:
    """Commits GitHub itself made (merges, squashes) reachable from `tips` in `window`."""
    args: tuple[str, ...]  # grows below
    args = ("log", "-z", "--encoding=UTF-8", f"--format={_MAIN_FORMAT}")
    args += (f"--committer={_GITHUB_COMMITTER}", *_window_bounds(window), *tips, "--")
    return [
        commit
        for batch in stream(repo, args, "reading the merges GitHub made")
        for commit in map(_parse_commit, batch)
        if commit
    ]


def _read_identities(
    repo: Path, tips: list[str], since: datetime, until: datetime | None, stop: threading.Event
) -> set[Identity]:
    """Every (name, email) with a GitHub noreply email (and a few more) that authored a
    commit from `since` on: evidence for logins.
    Once `stop` is set the walk ends (its git process is ended) and what it has is
    returned, for no one."""
    # Only a noreply email says anything of a login (`IdentityBook.build`), so git
    # leaves the others out (matching the author line, any case, as `noreply_login`;
    # a fixed string, which git matches faster than the same text as a pattern).
    args: tuple[str, ...]  # grows below
    args = ("log", "-z", "--encoding=UTF-8", "--format=%aN%x1f%aE", "--regexp-ignore-case")
    args += ("--fixed-strings", f"--author={_NOREPLY_AUTHOR}")
    args += (*_window_bounds((since, until)), *tips, "--")
    lines: set[str] = set()
    with contextlib.closing(stream(repo, args, "reading who committed")) as batches:
        for batch in batches:
            if stop.is_set():
                break
            # Tens of thousands of commits by a few hundred people: the set keeps
            # each line once (at C speed) before any is split.
            lines.update(batch)
    found: set[Identity] = set()
    for line in lines:
        name, _, email = line.partition("\x1f")
        found.add((name, email))
    return found


_T = TypeVar("_T")


class _Speculative(Generic[_T]):
    """A read started before it is known to be needed, beside the reads that decide.

    `result()` waits for it; leaving the `with` block unread stops it (its function
    gets a `threading.Event` as last argument and ends at the next batch) and drops
    what it found, errors included.
    """

    def __init__(self, read: Callable[..., _T], *args: object) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._future: Future[_T] = self._pool.submit(read, *args, self._stop)
        self._taken = False

    def __enter__(self) -> _Speculative[_T]:
        return self

    def result(self) -> _T:
        """The read's result (its error, raised), waiting for it to end."""
        self._taken = True
        return self._future.result()

    def __exit__(self, *exc: object) -> None:
        if not self._taken:
            self._stop.set()
        self._pool.shutdown(wait=True)


def _read_fork_tips(
    repo: Path, tips: list[str], owner: str | None, since: datetime, until: datetime | None
) -> tuple[list[tuple[str, Identity]], list[Identity]]:
    """Whose work each fork carried from `since` on, to tell organisations apart:
    (fork owner, author of the merged branch's tip) of every PR merged from a fork, and
    who merged PRs (the maintainers, whose fix-ups on a branch say nothing of a fork)."""
    args: tuple[str, ...]  # grows below
    args = ("log", "--merges", "-z", "--encoding=UTF-8", "--format=%P%x1f%aN%x1f%aE%x1f%s")
    args += (*_window_bounds((since, until)), *tips, "--")
    merged: list[tuple[str, str]] = []
    mergers: set[Identity] = set()
    for batch in stream(repo, args, "reading the merges from forks"):
        for token in batch:
            fields = token.split("\x1f", 3)
            if len(fields) != 4:
                continue
            parents, name, email, subject = fields
            trace = read_pr_trace(subject, len(parents.split()))
            if trace is None or trace.style != "merge":
                continue
            mergers.add((name, email))
            fork = trace.head_owner
            if fork and (owner is None or fork.casefold() != owner.casefold()):
                merged.append((fork, parents.split()[1]))
    authors = _tip_authors(repo, [sha for _, sha in merged], _Graph({}, {}, {}))
    return [(fork, authors[sha]) for fork, sha in merged if sha in authors], sorted(mergers)


def _window_bounds(window: tuple[datetime, datetime | None]) -> list[str]:
    start, end = window
    return bound("--since", start) + (bound("--until", end) if end is not None else [])


def _parse_commit(token: str) -> _Commit | None:
    fields = token.split("\x1f", 4)
    if len(fields) != 5:
        return None
    ids, stamp, email, name, message = fields
    sha, *parents = ids.split()
    if not _HEX.match(sha) or not stamp.isdigit():
        return None
    committed = datetime.fromtimestamp(int(stamp), UTC)
    return _Commit(sha, tuple(parents), committed, email, name, message.rstrip())


def _check_depth(repo: Path, line: list[_Commit], since: datetime) -> None:
    """Refuse a shallow history that ends (at a parentless commit) inside the window."""
    oldest = min(line, key=lambda c: c.committed, default=None)
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
    commit: _Commit
    trace: PrTrace

    @property
    def merged_at(self) -> datetime:
        return self.commit.committed

    @property
    def is_merge(self) -> bool:
        return len(self.commit.parents) >= 2


def _pick(
    lines: list[_Commit], extra: list[_Commit], since: datetime, until: datetime
) -> list[_Candidate]:
    """The PR commits merged in [since, until), each PR once (its first merge), oldest first."""
    unique = {c.sha: c for c in (*lines, *extra)}
    found: dict[int, _Candidate] = {}
    for commit in sorted(unique.values(), key=lambda c: c.committed):
        if not since <= commit.committed < until or is_cherry_pick(commit.message):
            continue
        trace = read_pr_trace(commit.message, len(commit.parents))
        if trace is not None and trace.number not in found:
            found[trace.number] = _Candidate(commit, trace)
    return list(found.values())


def _owner(repo: Path, candidates: list[_Candidate]) -> str | None:
    """The repository's owner, to tell same-repository branches from forks' in merges.

    From origin's URL; without one, the owner most merges name, if any names one twice.
    """
    url = web_url(repo)
    if url:
        return url.rsplit("/", 2)[-2]
    named = Tally(c.trace.head_owner.casefold() for c in candidates if c.trace.head_owner)
    best = named.most_common(1)
    return best[0][0] if best and best[0][1] >= 2 else None


# ---------------------------------------------------------------------------
# Passes 3 and 4: changed paths, and what each merge brought in


@dataclass(frozen=True)
class _Brought:
    """What one merge brought in: its first commit, and who wrote the commits."""

    first_commit_at: datetime | None
    authors: tuple[Identity, ...]  # of its non-merge commits, most commits first
    tip_author: Identity | None  # the merged branch's tip, when nothing else is known


def _bases(lines: list[_Commit]) -> set[str]:
    """Where the lines read start: first parents outside them, reached before the window.

    Everything such a parent reaches was brought in earlier, so pass 4 stops there.
    Only the lines count: a PR merged into a feature branch is brought in by the
    feature's own merge, which must see the branch's earlier commits too.
    """
    held = {c.sha for c in lines}
    return {c.parents[0] for c in lines if c.parents and c.parents[0] not in held}


def _details(
    repo: Path,
    candidates: list[_Candidate],
    listed: list[_Candidate],
    bases: set[str],
    counter: Counter,
) -> tuple[dict[str, tuple[str, ...]], dict[str, _Brought]]:
    """Changed paths of the `listed` PR commits, and what every PR merge brought in."""
    merges = [c for c in candidates if c.is_merge]
    commits = [c.commit for c in listed]
    # Tree diffs cost the most, so they are shared out and run beside pass 4; in
    # contiguous runs, because neighbouring commits share most of their trees.
    size = max(_DIFF_SHARE_MIN, -(-len(commits) // _DIFF_PROCESSES))
    shares = [commits[i : i + size] for i in range(0, len(commits), size)]
    with ThreadPoolExecutor(max_workers=_DIFF_PROCESSES) as pool:
        jobs = [pool.submit(_read_paths, repo, share) for share in shares]
        brought = _brought_in(repo, candidates, bases, counter) if merges else {}
        changed = {sha: paths for job in jobs for sha, paths in job.result().items()}
    return changed, brought


def _read_paths(repo: Path, commits: list[_Commit]) -> dict[str, tuple[str, ...]]:
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
        for batch in stream(repo, args, "listing changed paths", stdin=pairs):
            for token in batch:
                # --always prints every commit's hash before its paths, in input order.
                if len(changed) < len(order) and token == order[len(changed)]:
                    current = changed[token] = []
                else:
                    current.append(token)
    return {sha: tuple(paths) for sha, paths in changed.items()}


@dataclass
class _Graph:
    """Commits the merges brought in: parents, author time and author of each."""

    parents: dict[str, list[str]]
    authored: dict[str, int]
    author: dict[str, Identity]


def _brought_in(
    repo: Path, candidates: list[_Candidate], bases: set[str], counter: Counter
) -> dict[str, _Brought]:
    """For each PR merge: the commits its second parent brought in, and their authors."""
    merges = [c for c in candidates if c.is_merge]
    graph = _read_graph(repo, [m.commit.sha for m in merges], bases, counter)
    tips = _tip_authors(repo, [m.commit.parents[1] for m in merges], graph)
    found: dict[str, tuple[int | None, list[str]]] = {}
    # Walk each line from its newest merge down, so one pass covers all its merges.
    for merge in sorted(merges, key=lambda m: m.merged_at, reverse=True):
        if merge.commit.sha not in found:
            found.update(_line_brought_in(graph, merge.commit.sha))
    prs = {c.commit.sha for c in candidates}
    brought: dict[str, _Brought] = {}
    for merge in merges:
        first, commits = found.get(merge.commit.sha, (None, []))
        # A PR merged into this PR's branch (a stacked PR) keeps its own commits.
        nested = {sha for sha in commits if sha in prs}
        for sha in list(nested):
            nested.update(found.get(sha, (None, []))[1])
        brought[merge.commit.sha] = _Brought(
            datetime.fromtimestamp(first, UTC) if first is not None else None,
            _by_share(graph, (sha for sha in commits if sha not in nested)),
            tips.get(merge.commit.parents[1]),
        )
    return brought


def _read_graph(repo: Path, tips: list[str], bases: set[str], counter: Counter) -> _Graph:
    """Every commit reachable from `tips` and not from `bases`, with its author."""
    args = ("log", "-z", "--encoding=UTF-8", f"--format={_GRAPH_FORMAT}", "--stdin", "--")
    graph = _Graph({}, {}, {})
    identities: dict[Identity, Identity] = {}  # one tuple per person: a year has thousands
    with tempfile.TemporaryFile() as revs:
        revs.write("".join(f"{t}\n" for t in tips).encode())
        revs.write("".join(f"^{b}\n" for b in sorted(bases)).encode())
        revs.seek(0)
        # The tightest loop of the module: a year of a busy repo is tens of thousands.
        for batch in stream(repo, args, "reading the merged branches", stdin=revs):
            for token in batch:
                fields = token.split("\x1f", 3)
                if len(fields) != 4 or not fields[1].isdigit():
                    continue
                ids = fields[0].split(" ")
                sha = ids[0]
                graph.parents[sha] = ids[1:]
                graph.authored[sha] = int(fields[1])
                who = (fields[3], fields[2])
                graph.author[sha] = identities.setdefault(who, who)
            counter.add(len(batch))
    return graph


def _tip_authors(repo: Path, tips: list[str], graph: _Graph) -> dict[str, Identity]:
    """Authors of merged branch tips; those outside the graph (already reachable) read apart."""
    found = {t: graph.author[t] for t in tips if t in graph.author}
    missing = [t for t in dict.fromkeys(tips) if t not in found]
    if missing:
        args = ("log", "--no-walk=unsorted", "-z", "--format=%H%x1f%aE%x1f%aN", "--stdin")
        with tempfile.TemporaryFile() as revs:
            revs.write("".join(f"{t}\n" for t in missing).encode())
            revs.seek(0)
            for batch in stream(repo, args, "reading merged branch tips", stdin=revs):
                for token in batch:
                    sha, _, rest = token.partition("\x1f")
                    email, _, name = rest.partition("\x1f")
                    if sha:
                        found[sha] = (name, email)
    return found


def _line_brought_in(graph: _Graph, tip: str) -> dict[str, tuple[int | None, list[str]]]:
    """For each merge on `tip`'s first-parent line: earliest author time, commits brought in.

    Walks the line oldest first, keeping the set of commits already reachable from
    it: a commit a branch shares with an earlier merge was not brought in by the
    later one. Commits outside the graph are reachable from a base, so older.
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
    result: dict[str, tuple[int | None, list[str]]] = {}
    for merge in reversed(line):
        if len(parents[merge]) < 2:
            continue
        stack = parents[merge][1:]
        first: int | None = None
        commits: list[str] = []
        while stack:
            current = stack.pop()
            if current in seen or current not in parents:
                continue
            seen.add(current)
            commits.append(current)
            when = authored[current]
            if first is None or when < first:
                first = when
            stack += parents[current]
        result[merge] = (first, commits)
    return result


def _by_share(graph: _Graph, commits: Iterable[str]) -> tuple[Identity, ...]:
    """Authors of the non-merge commits, most commits first, then earliest commit first."""
    tally: Tally[Identity] = Tally()
    earliest: dict[Identity, int] = {}
    for sha in commits:
        if len(graph.parents[sha]) > 1:
            continue  # "Update branch" and other merges are not anyone's work on the PR
        who = graph.author[sha]
        tally[who] += 1
        earliest[who] = min(earliest.get(who, graph.authored[sha]), graph.authored[sha])
    return tuple(sorted(tally, key=lambda who: (-tally[who], earliest[who], who)))


# ---------------------------------------------------------------------------
# Building the PullRequest


def _forked(candidate: _Candidate, owner: str | None) -> str | None:
    """The fork owner's login of a `Merge pull request #N from <login>/<branch>`, if a fork."""
    login = candidate.trace.head_owner
    if login is None or (owner is not None and login.casefold() == owner.casefold()):
        return None
    return login


def _evidence(
    candidates: list[_Candidate],
    brought: Mapping[str, _Brought],
    owner: str | None,
    orgs: frozenset[str] = frozenset(),
) -> tuple[list[Identity], list[tuple[str, str, str]]]:
    """What the window's PRs say of logins (see `IdentityBook.build`): every (name,
    email) that wrote one, and the (name, email, login) that personal forks vouch for.
    An organisation's fork (`orgs`) vouches for no one; who else committed around the
    window (the identity walk) comes before these, when a guess makes it worth reading.
    """
    seen: list[Identity] = []
    vouched: list[tuple[str, str, str]] = []
    for c in candidates:
        seen.append((c.commit.author_name, c.commit.author_email))
        info = brought.get(c.commit.sha)
        if info is None:
            continue
        seen += info.authors
        fork = _forked(c, owner)
        if fork and fork.casefold() not in orgs and info.authors:
            name, email = info.authors[0]
            vouched.append((name, email, fork))
    return seen, vouched


def _people(candidate: _Candidate, info: _Brought | None) -> tuple[list[Identity], list[Identity]]:
    """Who wrote the PR: its commits' authors, main author first (a merge's branch
    authors, as a merge commit's author only pressed the button; a squash's commit
    author), and the people of its `Co-authored-by:` trailers."""
    authors: list[Identity] = []
    if candidate.is_merge:
        if info is not None:
            authors += info.authors or ([info.tip_author] if info.tip_author else [])
    else:
        authors.append((candidate.commit.author_name, candidate.commit.author_email))
    return authors, list(co_author_trailers(candidate.commit.message))


def _to_pull_request(
    candidate: _Candidate,
    found: Credit,
    changed: Mapping[str, tuple[str, ...]],
    brought: Mapping[str, _Brought],
    where: tuple[str, str] = ("", ""),
) -> PullRequest:
    commit, trace = candidate.commit, candidate.trace
    paths, info = changed.get(commit.sha, ()), brought.get(commit.sha)
    name, url = where
    return PullRequest(
        number=trace.number,
        title=trace.title,
        author=found.author,
        merged_at=commit.committed,
        body=commit.message,
        branch=trace.branch,
        paths=paths,
        is_bot=found.is_bot,
        sha=commit.sha,
        source="git",
        first_commit_at=info.first_commit_at if info else None,
        co_authors=found.co_authors,
        co_authors_guessed=found.co_authors_guessed,
        author_guessed=found.guessed,
        opened_by=found.opened_by,
        repo=name,
        url=f"{url}/pull/{trace.number}" if url else "",
    )
