"""`quarterdeck goals new YYYY-Qn`: start a quarter's goals file from the last one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from quarterdeck.core.goals.next_quarter import carried_over, next_goals_file, previous_quarter
from quarterdeck.core.model import Config
from quarterdeck.errors import QuarterdeckError
from quarterdeck.sources.repo_files import FileReader, LocalReader, load_repo_config, read_text

_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True)
class NewGoals:
    """The file written and the goal ids carried over into it."""

    path: Path
    previous: str  # the quarter carried over from
    carried: tuple[str, ...]


@dataclass(frozen=True)
class GoalsStub:
    """A quarter's goals file as `goals new` writes it, not yet written."""

    target: str  # path in the repo, e.g. goals/2027-Q1.yml
    previous: str
    text: str
    carried: tuple[str, ...]
    existing: str | None  # the quarter's file already in the repo, if any


def goals_stub(repo: Path, quarter: str) -> GoalsStub:
    """The text of `<goals folder>/<quarter>.yml` in the local clone `repo`, carrying
    over the previous quarter's open goals; the config and every goals file must be
    valid (ConfigError otherwise)."""
    config, _ = load_repo_config(repo)
    return stub_from(LocalReader(repo), config, quarter)


def stub_from(reader: FileReader, config: Config, quarter: str) -> GoalsStub:
    """`goals_stub` from any repository's files (a clone's, or GitHub's) and its config."""
    previous = previous_quarter(quarter)
    folder = config.goals_dir.strip("/")
    target = f"{folder}/{quarter}.yml" if folder else f"{quarter}.yml"
    present = set(reader.list_dir(folder))
    existing = [p for p in _candidates(folder, quarter) if p.rsplit("/", 1)[-1] in present]
    goals = None
    for path in _candidates(folder, previous):
        text, problem = read_text(reader, path)
        if problem:
            raise QuarterdeckError(str(problem))
        if text is not None:
            goals = yaml.safe_load(text) or []
            break
    team = config.teams[0] if config.teams else None
    text = next_goals_file(
        quarter,
        previous,
        goals,
        example_team=team.slug if team else "my-team",
        example_owner=(team.people[0] if team and team.people else "your-github-login"),
        objectives=[o.id for o in config.objectives_of(quarter)],
    )
    carried = tuple(str(g["id"]) for g in carried_over(goals or []))
    return GoalsStub(target, previous, text, carried, existing[0] if existing else None)


def new_goals_file(repo: Path, quarter: str, *, force: bool = False) -> NewGoals:
    """Write `<goals folder>/<quarter>.yml`, carrying over the previous quarter's open goals.

    The config and every goals file must be valid first (ConfigError otherwise), and
    an existing file is never overwritten unless `force` is set.
    """
    stub = goals_stub(repo, quarter)
    if stub.existing and not force:
        raise QuarterdeckError(
            f"{stub.existing} already exists; nothing was written. "
            "Edit it, or re-run with --force to start it again from "
            f"{stub.previous}'s goals."
        )
    path = LocalReader(repo).root / (stub.existing or stub.target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stub.text, encoding="utf-8")
    return NewGoals(path, stub.previous, stub.carried)


def _candidates(folder: str, quarter: str) -> list[str]:
    return [f"{folder}/{quarter}{s}" if folder else f"{quarter}{s}" for s in _SUFFIXES]
