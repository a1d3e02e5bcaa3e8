"""Benchmark: the CLI's start-up, against Python's own.

    python -m benchmarks.startup            # 15 runs of each command, medians
    python -m benchmarks.startup --quick    # 5 runs of each, for CI

Ours: `python -m quarterdeck --version`, and an offline `quarterdeck review` of a
small repository (three squash-merged PRs, built with tests/gitrepo.py); each in a
fresh child Python, as a person runs it. The baseline is `python -c pass` with the
same interpreter, measured in the same run, interleaved with ours so a busy moment of
the shared cores hits both. Target: each command at most 0.3 s over Python's own
start-up (the median of each, compared).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.gitrepo import GitRepo

from benchmarks import as_installed, suite_main

OVER = 0.3  # seconds over `python -c pass`


def small_repo(path: Path) -> Path:
    """A clone with three squash-merged PRs in November 2026."""
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "x"}, date=datetime(2026, 10, 1, tzinfo=UTC))
    for n in (1, 2, 3):
        when = datetime(2026, 11, n, tzinfo=UTC)
        repo.squash_pr(n, f"Change {n}", {f"f{n}.py": str(n)}, date=when)
    return repo.path


def _seconds(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=as_installed())
    return time.perf_counter() - began


def run(quick: bool) -> list[dict[str, object]]:
    """Median wall time of each command beside `python -c pass`, interleaved."""
    times = 5 if quick else 15
    with tempfile.TemporaryDirectory(prefix="quarterdeck-startup-") as tmp:
        repo = small_repo(Path(tmp) / "web")
        commands = {
            "quarterdeck --version": [sys.executable, "-m", "quarterdeck", "--version"],
            "offline review of a 3-PR repository": [
                *(sys.executable, "-m", "quarterdeck", "review"),
                *("--repo", str(repo), "--month", "2026-11"),
            ],
        }
        baseline: list[float] = []
        ours: dict[str, list[float]] = {name: [] for name in commands}
        _seconds([sys.executable, "-c", "pass"])  # warm the file cache and .pyc files
        for argv in commands.values():
            _seconds(argv)
        for _ in range(times):
            baseline.append(_seconds([sys.executable, "-c", "pass"]))
            for name, argv in commands.items():
                ours[name].append(_seconds(argv))
    bare = statistics.median(baseline)
    rows: list[dict[str, object]] = []
    for name, samples in ours.items():
        median = statistics.median(samples)
        rows.append(
            {
                "name": f"{name} vs python -c pass (median of {times})",
                "ours_s": median,
                "baseline_s": bare,
                "ratio": median / bare,
                "target": f"<= {OVER} s over Python's start-up",
                "met": median - bare <= OVER,
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.startup", __doc__, "5 runs of each", run))
