"""A sample repository with a believable quarter of history, for `quarterdeck demo`.

The story is generated from the example config's own teams and goals, so the demo
review shows every part of the product: goal-linked PRs by each linking rule, both
merge styles, unplanned work, a bot, a stalled goal, and commits that are not PRs.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal
from quarterdeck.resources import resource
from quarterdeck.sources.fast_import import HistoryWriter, Signature, import_history
from quarterdeck.sources.repo_files import load_repo_config

DEMO_MONTH = Month(2026, 11)
_HISTORY_START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
_HISTORY_END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
_STEPS = ("spike", "first cut", "tests and fixtures", "edge cases", "docs", "rollout behind a flag")


@dataclass(frozen=True)
class _Pr:
    number: int
    title: str
    author: str
    merged_at: datetime
    branch: str
    body: str
    paths: tuple[str, ...]
    squash: bool
    commits: int


def build_demo_repo(target: Path) -> Path:
    """Write the sample repo (config, goals, metrics and history) into `target`."""
    examples = resource("examples")
    config, _ = load_repo_config(examples)
    prs = _story(config, random.Random(2026))  # noqa: S311 - demo data, not security
    files = {
        str(p.relative_to(examples)): p.read_text(encoding="utf-8")
        for p in sorted(examples.rglob("*"))
        if p.is_file()
    }
    import_history(target, lambda w: _write(w, files, prs))
    return target


def _story(config: Config, rng: random.Random) -> list[_Pr]:
    prs: list[_Pr] = []
    goals = [g for g in config.goals if g.quarter == DEMO_MONTH.quarter]
    stalled = goals[-1].id if len(goals) > 1 else None
    for index, goal in enumerate(goals):
        last = datetime(2026, 10, 20, tzinfo=UTC) if goal.id == stalled else _HISTORY_END
        for step_no, step in enumerate(_STEPS[: 3 + index % 4]):
            prs.append(_goal_pr(config, goal, step, step_no, rng, last))
    for team in config.teams:
        for n in range(3):
            author = rng.choice(team.members or (team.lead or "octocat",))
            paths = tuple(p.replace("**", f"part{n}.py") for p in team.paths[:1]) or ("README.md",)
            prs.append(_pr(f"Fix flaky behaviour in {team.slug} ({n + 1})", author, paths, rng))
    prs.append(_pr("Tidy the contributing guide", "octocat", ("CONTRIBUTING.md",), rng))
    bump = _pr("Bump jinja2 from 3.1.5 to 3.1.6", "dependabot[bot]", ("requirements.txt",), rng)
    prs.append(bump)
    prs.sort(key=lambda pr: pr.merged_at)
    return [
        _Pr(**{**pr.__dict__, "number": 100 + i, "squash": i % 3 == 0}) for i, pr in enumerate(prs)
    ]


def _goal_pr(
    config: Config, goal: Goal, step: str, step_no: int, rng: random.Random, last: datetime
) -> _Pr:
    team = config.team(goal.team)
    paths = tuple(p.replace("**", f"{goal.id}/{step_no}.py") for p in (team.paths if team else ()))
    author = goal.owners[step_no % len(goal.owners)] if goal.owners else "octocat"
    pr = _pr(f"{goal.title}: {step}", author, paths or (f"src/{goal.id}.py",), rng, last)
    # Vary the linking rule so the demo shows each one.
    if step_no % 3 == 0 and goal.issue:
        return _Pr(**{**pr.__dict__, "body": f"Part of #{goal.issue}"})
    if step_no % 3 == 1:
        return _Pr(**{**pr.__dict__, "body": f"goal:{goal.id}"})
    return _Pr(**{**pr.__dict__, "branch": f"{goal.id}/{step.replace(' ', '-')}"})


def _pr(
    title: str,
    author: str,
    paths: tuple[str, ...],
    rng: random.Random,
    last: datetime = _HISTORY_END,
) -> _Pr:
    span = (last - _HISTORY_START).total_seconds()
    merged = _HISTORY_START + timedelta(seconds=rng.uniform(0, span))
    slug = "-".join(title.lower().split()[:4]).strip(":()")
    return _Pr(0, title, author, merged, f"work/{slug}", "", paths, False, rng.randint(1, 5))


def _who(login: str, when: datetime) -> Signature:
    return Signature(login, f"{login}@users.noreply.github.com", when)


def _write(w: HistoryWriter, files: dict[str, str], prs: list[_Pr]) -> None:
    start = _HISTORY_START - timedelta(days=1)
    tip = w.commit("Initial commit", _who("octocat", start), files=files)
    for pr in prs:
        opened = pr.merged_at - timedelta(hours=6 + 30 * pr.commits)
        if pr.squash:
            message = f"{pr.title} (#{pr.number})\n\n{pr.body}".rstrip() + "\n"
            content = {p: f"# {pr.title}\n" for p in pr.paths}
            tip = w.commit(message, _who(pr.author, pr.merged_at), parents=[tip], files=content)
            continue
        head = tip
        for i in range(pr.commits):
            when = opened + (pr.merged_at - opened) * i / pr.commits
            content = {p: f"# {pr.title} step {i}\n" for p in pr.paths}
            head = w.commit(f"WIP {i + 1}", _who(pr.author, when), parents=[head], files=content)
        message = f"Merge pull request #{pr.number} from acme/{pr.branch}\n\n{pr.title}\n"
        if pr.body:
            message += f"\n{pr.body}\n"
        tip = w.commit(message, _who("octocat", pr.merged_at), parents=[tip, head])
    # Work that is not a PR: a commit straight to main and a branch merged by hand.
    late = _HISTORY_END + timedelta(hours=1)
    tip = w.commit("Fix typo in README", _who("octocat", late), parents=[tip])
    release = w.commit("Release notes", _who("octocat", late), parents=[tip])
    w.commit("Merge branch 'release'", _who("octocat", late), parents=[tip, release])


def clean(target: Path) -> None:
    """Remove a demo repo made in a temporary directory."""
    shutil.rmtree(target, ignore_errors=True)
