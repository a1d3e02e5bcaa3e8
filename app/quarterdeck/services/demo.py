"""A sample repository with a believable half-year of history, for `quarterdeck demo`.

The story is generated from the example config's own teams and goals, so the demo
review shows every part of the product: goal-linked PRs by each linking rule, both
merge styles, unplanned work, a bot, a stalled goal, and commits that are not PRs.
The history runs from June, so the review's six months of shipping speed have data.
Beside it the example warehouse (`examples/warehouse/`) becomes a SQLite file, so
the configured `sql:` metrics run offline.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from quarterdeck.core.calendar import Month, months_of_quarter
from quarterdeck.core.model import Config, Goal
from quarterdeck.resources import resource
from quarterdeck.services.team_figures import FigureSources
from quarterdeck.sources.csv_warehouse import build_sqlite
from quarterdeck.sources.fast_import import HistoryWriter, Signature, import_history
from quarterdeck.sources.repo_files import load_repo_config

DEMO_MONTH = Month(2026, 11)
_HISTORY_START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
_HISTORY_END = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
_STALLED_AFTER = datetime(2026, 10, 20, tzinfo=UTC)
# When the story's review is written (the morning after the month): the warehouse's
# answers are "as of" then, so the demo prints the same review whatever the day.
DEMO_AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_STEPS = ("spike", "first cut", "tests and fixtures", "edge cases", "docs", "rollout behind a flag")
# Unplanned work, one kind after another, so the review's work types all show up.
_UNPLANNED = (
    "Fix flaky behaviour in {team}",
    "fix: wrong week numbers in {team} exports",
    "chore: upgrade {team} test fixtures",
    "docs: explain the {team} settings page",
    "feat: keyboard shortcut for {team}",
)
WAREHOUSE_DATA = "warehouse"  # the example data's folder, in the examples and the sample repo
WAREHOUSE_FILE = "warehouse.sqlite"  # built beside it (the sample's .gitignore leaves it out)


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


@dataclass(frozen=True)
class DemoRepo:
    """The sample repo, and the environment its review's metric sources read."""

    path: Path
    env: Mapping[str, str]

    def figure_sources(self) -> FigureSources:
        """The review's metric and question sources: the embedded warehouse, answering
        as of the story's review day."""
        return FigureSources(env=self.env, clock=lambda: DEMO_AS_OF)


def build_demo_repo(target: Path) -> DemoRepo:
    """Write the sample repo (config, goals, metrics, warehouse data, history) into `target`
    and build its warehouse (`warehouse.sqlite` from the `warehouse/` data).

    The environment names the warehouse URL under the config's `url_env` and nothing
    else, so the demo sets no variable globally and no token can reach it.
    """
    examples = resource("examples")
    config, _ = load_repo_config(examples)
    prs = _story(config, random.Random(2026))  # noqa: S311 - demo data, not security
    files = {
        str(p.relative_to(examples)): p.read_text(encoding="utf-8")
        for p in sorted(examples.rglob("*"))
        if p.is_file()
    }
    import_history(target, lambda w: _write(w, files, prs))
    url = build_sqlite(target / WAREHOUSE_DATA, target / WAREHOUSE_FILE)
    url_env = config.sources.warehouse_url_env
    return DemoRepo(target, {url_env: url} if url_env else {})


def _story(config: Config, rng: random.Random) -> list[_Pr]:
    tz = config.review.timezone  # months as the review counts them
    prs = [*_goal_prs(config, rng, tz), *_unplanned_prs(config, rng, tz)]
    # Work no team owns, in the review month: a person's and a bot's.
    november = (DEMO_MONTH.start(tz), _HISTORY_END)
    prs.append(_pr("Tidy the contributing guide", "octocat", ("CONTRIBUTING.md",), rng, *november))
    bump = "Bump jinja2 from 3.1.5 to 3.1.6"
    prs.append(_pr(bump, "dependabot[bot]", ("requirements.txt",), rng, *november))
    prs.sort(key=lambda pr: pr.merged_at)
    # Every third PR is squash-merged, unless its branch links it: a squash merge's
    # message does not name the branch.
    return [
        _Pr(**{**pr.__dict__, "number": 100 + i, "squash": i % 3 == 0 and _plain(pr)})
        for i, pr in enumerate(prs)
    ]


def _plain(pr: _Pr) -> bool:
    """Whether the PR's branch links it to nothing (`work/…`)."""
    return pr.branch.startswith("work/")


def _goal_prs(config: Config, rng: random.Random, tz: str) -> list[_Pr]:
    """Each goal's steps, shipped in its own quarter (as much of it as the history has)."""
    prs: list[_Pr] = []
    for quarter in dict.fromkeys(g.quarter for g in config.goals):
        goals = [g for g in config.goals if g.quarter == quarter]
        # The review quarter's last goal stalls: its PRs stop well before the month ends.
        stalled = goals[-1].id if quarter == DEMO_MONTH.quarter and len(goals) > 1 else None
        first, _, last = months_of_quarter(quarter)
        start = max(first.start(tz), _HISTORY_START)
        end = min(last.end(tz), _HISTORY_END)
        for index, goal in enumerate(goals):
            until = end
            if goal.id == stalled:
                until = _STALLED_AFTER
            elif goal.status == "shipped" and quarter == DEMO_MONTH.quarter:
                # Finished early in the month: quiet since, and no warning for it.
                until = DEMO_MONTH.start(tz) + timedelta(days=10)
            steps = _STEPS[: 3 + index % 4]
            # Steps ship in order, each in the later part of its slice of the span, so an
            # open goal's last step lands late enough that only the stalled goal stalls.
            slice_ = (until - start) / len(steps)
            for no, step in enumerate(steps):
                since, before = start + slice_ * (no + 0.3), start + slice_ * (no + 1)
                prs.append(_goal_pr(config, goal, step, no, rng, since, before))
    return prs


def _unplanned_prs(config: Config, rng: random.Random, tz: str) -> list[_Pr]:
    """One or two unplanned PRs a team each month, of one kind after another."""
    prs: list[_Pr] = []
    for team in config.teams:
        month, count = Month(_HISTORY_START.year, _HISTORY_START.month), 0
        while month.start(tz) < _HISTORY_END:
            since = max(month.start(tz), _HISTORY_START)
            until = min(month.end(tz), _HISTORY_END)
            for n in range(rng.randint(1, 2)):
                count += 1
                kind = _UNPLANNED[(count - 1) % len(_UNPLANNED)]
                title = f"{kind.format(team=team.slug)} ({count})"
                author = rng.choice(team.members or (team.lead or "octocat",))
                paths = tuple(p.replace("**", f"part{n}.py") for p in team.paths[:1])
                prs.append(_pr(title, author, paths or ("README.md",), rng, since, until))
            month = month.next()
    return prs


def _goal_pr(
    config: Config,
    goal: Goal,
    step: str,
    step_no: int,
    rng: random.Random,
    first: datetime,
    last: datetime,
) -> _Pr:
    team = config.team(goal.team)
    paths = tuple(p.replace("**", f"{goal.id}/{step_no}.py") for p in (team.paths if team else ()))
    author = goal.owners[step_no % len(goal.owners)] if goal.owners else "octocat"
    pr = _pr(f"{goal.title}: {step}", author, paths or (f"src/{goal.id}.py",), rng, first, last)
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
    first: datetime,
    last: datetime,
) -> _Pr:
    """A PR merged at a random moment in [first, last)."""
    merged = first + timedelta(seconds=rng.uniform(0, (last - first).total_seconds()))
    slug = "-".join(re.sub(r"[^a-z0-9 ]", "", title.lower()).split()[:4])  # a valid ref name
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
        head, content = tip, {}
        for i in range(pr.commits):
            when = opened + (pr.merged_at - opened) * i / pr.commits
            content = {p: f"# {pr.title} step {i}\n" for p in pr.paths}
            head = w.commit(f"WIP {i + 1}", _who(pr.author, when), parents=[head], files=content)
        message = f"Merge pull request #{pr.number} from acme/{pr.branch}\n\n{pr.title}\n"
        if pr.body:
            message += f"\n{pr.body}\n"
        # fast-import starts a commit from its first parent's tree: the merge names the
        # branch's files, or it would undo the PR's changes.
        tip = w.commit(message, _who("octocat", pr.merged_at), parents=[tip, head], files=content)
    # Work that is not a PR: a commit straight to main and a branch merged by hand.
    late = _HISTORY_END + timedelta(hours=1)
    tip = w.commit("Fix typo in README", _who("octocat", late), parents=[tip])
    release = w.commit("Release notes", _who("octocat", late), parents=[tip])
    tip = w.commit("Merge branch 'release'", _who("octocat", late), parents=[tip, release])
    # The clone is up to date: its history goes on past the month reviewed (a history
    # that ends inside the month would make the review warn that it is cut short).
    after = DEMO_MONTH.end() + timedelta(days=1, hours=9)
    w.commit("Open the next changelog", _who("octocat", after), parents=[tip])


def clean(target: Path) -> None:
    """Remove a demo repo made in a temporary directory."""
    shutil.rmtree(target, ignore_errors=True)
