"""Benchmark: `quarterdeck review --github` as shipped, a 1,000-PR month over HTTP.

    python -m benchmarks.shipped_review            # the command, then it with reads paced
    python -m benchmarks.shipped_review --quick    # the command alone (what CI runs)

The shipped command in a child process, as a person or the Action runs it:
`quarterdeck review --github acme/big --month 2026-11`, with its own client
(`sources.github.client.connect`: PyGithub's defaults but for the pacing Quarterdeck
sets, the production retry policy) talking over real HTTP on 127.0.0.1 to the shared
fake GitHub (tests/fakegithub.py behind tests/fakegithub_http.py, found through
`GITHUB_API_URL`). The repository is the one `benchmarks.github_requests` builds:
1,000 PRs merged in a month and 40 goals (November 2026 here, a month
that is over whenever the benchmark runs after it).

Three figures, each the best of a few runs (the one least slowed by other processes
on shared cores):

- wall time of the whole command (Python start-up included), beside the same command
  with every read paced as PyGithub paces it by default (0.25 s before each request,
  as the command was shipped before; full mode only). Target: under 3 s;
- the command's own CPU time (user + sys) beside its wall time, for scale: on a busy
  machine the difference is time spent waiting for a core;
- requests the command sent, beside the floor: one search page per 100 PRs plus the
  one GraphQL read that opens the home (config, goals, issues). Target: the floor.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import responses
from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront

from benchmarks import suite_main
from benchmarks.github_requests import teams_and_goals

PRS = 1000
GOALS = 40
TARGET = 3.0  # seconds for the whole command
HOME_READS = 1  # the one GraphQL query that opens the home repository
PAGE = 100  # PRs per search page
PYGITHUB_READ_PAUSE = 0.25  # PyGithub's default seconds_between_requests
ARGS = ("review", "--github", "acme/big", "--month", "2026-11")
# The command as it was shipped before reads went unpaced: the same entry point, with
# PyGithub's default pause before every request put back in the one place clients
# are built.
PACED = (
    "import runpy; from quarterdeck.sources.github import client; "
    f"client.PACING['seconds_between_requests'] = {PYGITHUB_READ_PAUSE}; "
    "runpy.run_module('quarterdeck', run_name='__main__', alter_sys=True)"
)


MERGED = re.compile(r"^- \*\*([\d,]+)\*\* PRs merged in ", re.MULTILINE)


def fake_github() -> FakeGitHub:
    """A 1,000-PR November 2026 of acme/big with 40 goals, as `benchmarks.github_requests`."""
    # The fake registers its answers with a `responses` mock; never started here, it
    # intercepts nothing: the child process reaches the fake through `HttpFront`.
    github = FakeGitHub(responses.RequestsMock(assert_all_requests_are_fired=False))
    teams, goals = teams_and_goals(4, GOALS)
    github.add_repo(
        "acme/big",
        files={
            ".github/quarterdeck.yml": f"teams:\n{teams}",
            "goals/2026-Q4.yml": goals,
            "metrics/2026-11.yml": "revenue: {mrr: 1000}\n",
        },
    )
    start, step = datetime(2026, 11, 1, tzinfo=UTC), timedelta(days=30) / PRS
    for n in range(PRS):
        merged = (start + step * n).strftime("%Y-%m-%dT%H:%M:%SZ")
        github.add_pull("acme/big", n + 1, f"Change {n}", merged, body=f"Part of #{n % 40 + 1}")
    return github


def shipped_command() -> list[str]:
    """The console script next to this interpreter (`pip install` put it there)."""
    script = Path(sys.executable).with_name("quarterdeck")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quarterdeck"]


def run_command(argv: list[str], api_url: str) -> tuple[float, float, str]:
    """(wall seconds, the child's CPU seconds, stdout) of one run of `argv` against
    the fake at `api_url`."""
    env = {
        **os.environ,
        "GITHUB_API_URL": api_url,
        "GITHUB_TOKEN": "ghp_benchmark_token_not_real",
    }
    env.pop("GITHUB_ACTIONS", None)  # a person's run, not the Action's
    cpu = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {done.returncode} against the fake GitHub: "
            f"{done.stderr.strip()[-2000:]}"
        )
    return seconds, cpu, done.stdout


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def measure(runs: int, *, paced: bool) -> dict[str, tuple[float, float, int]]:
    """The fastest of `runs` runs of the command, as (wall seconds, CPU seconds,
    requests): "shipped", and "paced" when asked, interleaved so that a busy moment of
    the shared cores hits both. The fastest run is the one least slowed by other
    processes; the request count is the same in every run."""
    github = fake_github()
    front = HttpFront(github)
    commands = {"shipped": [*shipped_command(), *ARGS]}
    if paced:
        commands["paced"] = [sys.executable, "-c", PACED, *ARGS]
    best: dict[str, tuple[float, float, int]] = {}
    try:
        run_command([*shipped_command(), "--version"], front.url)  # warm .pyc files
        for _ in range(runs):
            for name, argv in commands.items():
                github.calls.clear()
                seconds, cpu, out = run_command(argv, front.url)
                _check(out)
                sent = len(github.calls)
                was = best.get(name, (seconds, cpu, sent))
                best[name] = (min(seconds, was[0]), min(cpu, was[1]), max(sent, was[2]))
    finally:
        front.close()
    return best


def _check(out: str) -> None:
    """Refuse a run whose review did not count every PR of the month."""
    # Each team's review says how many PRs it counted: together, every PR of the month.
    reviewed = sum(int(n.replace(",", "")) for n in MERGED.findall(out))
    if reviewed != PRS:
        raise RuntimeError(
            f"the command's review counted {reviewed} PRs of the {PRS} the fake holds; "
            "run it by hand against the fake to see why"
        )


def run(quick: bool) -> list[dict[str, object]]:
    """Rows {name, ours_s, baseline_s, ratio, target, met, unit} for the shipped command."""
    runs = 2 if quick else 3
    best = measure(runs, paced=not quick)
    seconds, cpu, sent = best["shipped"]
    paced = best["paced"][0] if "paced" in best else None
    floor = -(-PRS // PAGE) + HOME_READS
    name = "shipped `quarterdeck review --github` (child process, HTTP): 1,000-PR month"
    against = (
        f" vs PyGithub's default {PYGITHUB_READ_PAUSE} s read pause"
        if paced is not None
        else " (no paced baseline in --quick)"
    )
    return [
        {
            "name": f"{name}, wall time (fastest of {runs}){against}",
            "ours_s": seconds,
            "baseline_s": paced if paced is not None else seconds,
            "ratio": seconds / paced if paced is not None else 1.0,
            "target": f"< {TARGET:g} s",
            "met": seconds < TARGET,
        },
        {
            "name": f"{name}, CPU time (user + sys, least of {runs}) beside its wall time",
            "ours_s": cpu,
            "baseline_s": seconds,
            "ratio": cpu / seconds,
            "target": "(for scale: the rest is waiting)",
            "met": True,
        },
        {
            "name": f"{name}, requests vs the floor (search pages + the home read)",
            "ours_s": sent,
            "baseline_s": floor,
            "ratio": sent / floor,
            "target": "= the floor",
            "met": sent == floor,
            "unit": "requests",
        },
    ]


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.shipped_review", __doc__, "no paced baseline", run))
