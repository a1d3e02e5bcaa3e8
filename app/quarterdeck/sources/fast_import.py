"""Write git history in bulk with `git fast-import`: the demo repo and the benchmarks.

One `git fast-import` process writes any number of commits, so a 100,000-commit
history takes seconds where a `git commit` per commit would take many minutes.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from quarterdeck.errors import HistoryError


@dataclass(frozen=True)
class Signature:
    """Who made a commit, and when (timezone-aware)."""

    name: str
    email: str
    when: datetime

    def raw(self) -> bytes:
        offset = self.when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        sign = "-" if minutes < 0 else "+"
        tz = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return f"{self.name} <{self.email}> {int(self.when.timestamp())} {tz}".encode()


class HistoryWriter:
    """Emits a fast-import stream; each commit returns a mark to use as a parent."""

    def __init__(self, stream: IO[bytes], ref: str) -> None:
        self._stream = stream
        self._ref = ref.encode()
        self._marks = 0

    def commit(
        self,
        message: str,
        author: Signature,
        *,
        committer: Signature | None = None,
        parents: Sequence[int] = (),
        files: Mapping[str, str] | None = None,
    ) -> int:
        """Write one commit with the given parent marks; returns its mark."""
        self._marks += 1
        body = message.encode()
        out = [
            b"commit " + self._ref,
            b"mark :%d" % self._marks,
            b"author " + author.raw(),
            b"committer " + (committer or author).raw(),
            b"data %d" % len(body),
            body,
        ]
        if parents:
            out.append(b"from :%d" % parents[0])
            out.extend(b"merge :%d" % p for p in parents[1:])
        for path, content in (files or {}).items():
            data = content.encode()
            out += [b"M 100644 inline " + path.encode(), b"data %d" % len(data), data]
        self._stream.write(b"\n".join(out) + b"\n\n")
        return self._marks


def import_history(
    repo: Path, build: Callable[[HistoryWriter], None], *, branch: str = "main"
) -> None:
    """Create a git repo at `repo` whose `branch` holds the history `build` writes."""
    repo.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(
            ["git", "init", "-q", "-b", branch, str(repo)], check=True, env=env, timeout=60
        )
        with subprocess.Popen(
            ["git", "-C", str(repo), "fast-import", "--quiet"],
            stdin=subprocess.PIPE,
            env=env,
        ) as proc:
            assert proc.stdin is not None
            build(HistoryWriter(proc.stdin, f"refs/heads/{branch}"))
            proc.stdin.close()
            if proc.wait() != 0:
                raise HistoryError(f"git fast-import failed while writing {repo}")
        subprocess.run(
            ["git", "-C", str(repo), "checkout", "-q", "-f", branch],
            check=True,
            env=env,
            timeout=600,
        )
    except FileNotFoundError:
        raise HistoryError("git is not installed or not on PATH; install git and retry") from None
    except subprocess.CalledProcessError as exc:
        raise HistoryError(f"git failed while creating {repo}: {exc}") from None
