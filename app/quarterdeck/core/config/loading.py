"""Building the config: a config file, goals and objectives files validated into one
`Config` (see the package's docstring for the steps).

A goals file (`goals/YYYY-Qn.yml`) and an objectives file (`objectives/YYYY-Qn.yml`)
take their quarter from the file's name and hold a list; the quarter is read here and
handed to the checks with each goal (`PlacedGoal`), so they never parse a file name."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.config.checks import (
    PlacedGoal,
    PlacedObjective,
    codeowners_checks,
    credential_checks,
    extends_notice,
    goal_checks,
    metric_checks,
    objective_checks,
    placeholder_checks,
    posthog_host_checks,
    question_checks,
    team_checks,
    to_check_blocks,
    to_check_problems,
)
from quarterdeck.core.config.essentials import CONFIG_PATH
from quarterdeck.core.config.layers import LayeredDoc, merge_data
from quarterdeck.core.config.messages import describe
from quarterdeck.core.config.schema import ConfigFile, GoalSpec, ObjectiveSpec, validate
from quarterdeck.core.config.to_domain import to_config, to_goal, to_objective
from quarterdeck.core.config.yaml_nodes import Doc, line_of, read_yaml
from quarterdeck.core.model import Config, Goal, Objective
from quarterdeck.core.outbound_policy import OutboundPolicy
from quarterdeck.core.review.codeowners import Codeowners, parse_codeowners
from quarterdeck.errors import ConfigError, Problem

__all__ = [
    "build_config",
    "parse_config",
    "parse_goals",
    "parse_objectives",
    "quarter_of_goals_file",
]


def parse_config(
    text: str, filename: str, *, base: tuple[str, str] | None = None
) -> tuple[ConfigFile | None, list[Problem]]:
    """Parse `.github/quarterdeck.yml` text; returns the file model (None if invalid).

    `base` is the (display filename, text) of the file its `_extends` names, merged
    under it (see `layers`).
    """
    model, _, problems = _parse_layered(text, filename, base)
    return model, problems


# (the model, or None if invalid; the document, when it was a mapping; the problems)
_Parsed = tuple[ConfigFile | None, Doc | None, list[Problem]]


def _parse_layered(text: str, file: str, base: tuple[str, str] | None) -> _Parsed:
    """`_read_layered`, parsed once per text: finding a config's `_extends` base and its
    goals folder, then building it, read the same file three times (~15 ms each for
    the example config). The problems come as a new list, for callers to extend."""
    model, doc, problems = _read_layered(text, file, base)
    return model, doc, list(problems)


@functools.lru_cache(maxsize=16)
def _read_layered(text: str, file: str, base: tuple[str, str] | None) -> _Parsed:
    top, top_doc, problems = _parse_config(text, file)
    if base is None:
        return top, top_doc, problems
    under, under_doc, base_problems = _parse_config(base[1], base[0])
    problems += base_problems
    if top is None or under is None or top_doc is None or under_doc is None:
        return None, None, problems
    layers = (top_doc, under_doc)
    merged = merge_data(under_doc.data or {}, top_doc.data or {})
    doc = LayeredDoc(file, top_doc.root, merged, layers=layers)
    model, found = validate(doc, ConfigFile, merged)
    return model, doc, problems + found


def _parse_config(text: str, file: str) -> _Parsed:
    doc, problems = read_yaml(text, file)
    if doc is None:
        return None, None, problems
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        line = line_of(doc.root.start_mark) if doc.root else None
        return (
            None,
            None,
            [
                Problem(
                    file,
                    line,
                    "",
                    "expected a mapping of settings (teams:, goals:, review:), "
                    f"got {describe(data)}",
                )
            ],
        )
    model, problems = validate(doc, ConfigFile, data)
    return model, doc, problems


def _salvage(data: dict[Any, Any]) -> tuple[ConfigFile, frozenset[str]] | None:
    """The sections (and teams) of an invalid config that are valid on their own, and
    the slugs of the teams that are not; None when `teams` itself is unusable.

    The checks across files then still run on what is sound, so a typo under
    `review:` does not hide an unknown team in a goals file.
    """
    kept: dict[Any, Any] = {}
    broken: set[str] = set()
    for key, value in data.items():
        if key == "teams":
            if not isinstance(value, dict):
                return None
            kept["teams"] = {}
            for slug, spec in value.items():
                if _valid({"teams": {slug: spec}}):
                    kept["teams"][slug] = spec
                else:
                    broken.add(str(slug))
        elif _valid({key: value}):
            kept[key] = value
    try:
        return ConfigFile.model_validate(kept), frozenset(broken)
    except ValidationError:
        return None


def _valid(data: dict[Any, Any]) -> bool:
    try:
        ConfigFile.model_validate(data)
    except ValidationError:
        return False
    return True


_GOALS_FILE = re.compile(r"(\d{4}-Q[1-4])\.ya?ml")

M = TypeVar("M", bound=BaseModel)
# (each valid item with its index in the file's list, and the document) or None
_ParsedList = tuple[tuple[list[tuple[int, M]], Doc] | None, list[Problem]]


def quarter_of_goals_file(filename: str) -> str | None:
    """`2026-Q4` for `goals/2026-Q4.yml` (or `objectives/2026-Q4.yml`); None when the
    name does not follow YYYY-Qn.yml."""
    match = _GOALS_FILE.fullmatch(PurePosixPath(filename).name)
    return match.group(1) if match and is_quarter(match.group(1)) else None


def parse_goals(text: str, file: str) -> _ParsedList[GoalSpec]:
    """A goals file's valid goals (with their index) and every problem of the file."""
    return _parse_quarter_list(text, file, GoalSpec, "goals", "goal")


def parse_objectives(text: str, file: str) -> _ParsedList[ObjectiveSpec]:
    """An objectives file's valid objectives (with their index) and every problem."""
    return _parse_quarter_list(text, file, ObjectiveSpec, "objectives", "objective")


def _parse_quarter_list(
    text: str, file: str, model: type[M], kind: str, item: str
) -> _ParsedList[M]:
    if quarter_of_goals_file(file) is None:
        name = PurePosixPath(file).name
        return None, [
            Problem(
                file,
                None,
                "",
                f"{kind} file name {name!r} does not name a quarter: rename it to YYYY-Qn.yml, "
                "e.g. 2026-Q4.yml",
            )
        ]
    doc, problems = read_yaml(text, file)
    if doc is None:
        return None, problems
    data = [] if doc.data is None else doc.data
    if not isinstance(data, list):
        hint = ""
        if isinstance(data, dict) and set(data) == {kind}:
            hint = f"; remove the `{kind}:` line and start each {item} with `- id:`"
        line = line_of(doc.root.start_mark) if doc.root else None
        return None, [
            Problem(file, line, "", f"expected a list of {kind}, got {describe(data)}{hint}")
        ]
    # One item at a time, so a broken one does not hide the checks of the others.
    specs: list[tuple[int, M]] = []
    for i, entry in enumerate(data):
        spec, found = validate(doc, model, entry, prefix=[i])
        problems += found
        if spec is not None:
            specs.append((i, spec))
    return (specs, doc), problems


def build_config(
    config: tuple[str, str] | None,
    goal_files: list[tuple[str, str]],
    *,
    strict: bool = False,
    base: tuple[str, str] | None = None,
    codeowners: tuple[str, str] | None = None,
    objective_files: Sequence[tuple[str, str]] | None = (),
    outbound: OutboundPolicy | None = None,
    credentials: Collection[str] | None = None,
) -> tuple[Config, list[Problem]]:
    """Validate a config file, goals files and objectives files into one `Config`.

    Inputs are (display filename, text) pairs; `config=None` means no config file, so
    every setting takes its default. Returns the config and its warnings. Raises
    ConfigError when any file has an error; its `problems` hold every error *and*
    warning across all files, sorted by file and line (filter on `severity`).
    `strict=True` turns team-size warnings into errors. `base` is the file the
    config's `_extends` names, already read: it is merged under the config.
    `codeowners` is the repository's CODEOWNERS file (display name, text), if it has
    one; teams' `owns.codeowners` entries are checked against it. `objective_files`
    are the objectives files (`objectives/YYYY-Qn.yml`), as (display name, text);
    None when they were not read, so goals' `objective:` references are not checked.
    `outbound` is the operator's rule on where metric queries may go (`validate` passes
    its environment's): a PostHog host it refuses is an error at its line. Reviews leave
    it None and show the figures unavailable instead. `credentials` are the names of the
    environment variables set where `validate` runs: a metric whose source needs one
    missing (the PostHog key, the warehouse's `url_env`) is a warning at its line (an
    error if `strict`); None (reviews, the App) checks nothing.
    """
    problems: list[Problem] = []
    config_file = config[0] if config else CONFIG_PATH
    parsed_cfg: tuple[ConfigFile, Doc] | None = None
    # What the checks across files run on: the valid config, or what is sound of an
    # invalid one (with the slugs of its broken teams, whose goals are not checked).
    checked: tuple[ConfigFile, Doc, frozenset[str]] | None = None
    if config is None:
        parsed_cfg = (ConfigFile(), Doc(config_file, None, None))
        checked = (*parsed_cfg, frozenset())
    else:
        model, doc, found = _parse_layered(config[1], config[0], base)
        problems += found
        if model is not None and doc is not None:
            parsed_cfg = (model, doc)
            checked = (model, doc, frozenset())
        elif doc is not None and isinstance(doc.data, dict):
            salvaged = _salvage(doc.data)
            checked = (salvaged[0], doc, salvaged[1]) if salvaged else None

    goals: list[Goal] = []
    placed: list[PlacedGoal] = []
    for file, text in goal_files:
        parsed, found = parse_goals(text, file)
        problems += found
        if parsed:
            specs, doc = parsed
            quarter = quarter_of_goals_file(file) or ""
            for i, spec in specs:
                placed.append((spec, doc, i, quarter))
                goals.append(to_goal(spec, quarter))

    objectives: list[Objective] = []
    placed_objectives: list[PlacedObjective] = []
    for file, text in objective_files or ():
        parsed_objectives, found = parse_objectives(text, file)
        problems += found
        if parsed_objectives:
            quarter = quarter_of_goals_file(file) or ""
            for i, objective in parsed_objectives[0]:
                placed_objectives.append((objective, parsed_objectives[1], [i], quarter))
                objectives.append(to_objective(objective, quarter, file))
    if checked is not None:
        for i, in_config in enumerate(checked[0].objectives):
            at: list[int | str] = ["objectives", i]
            placed_objectives.append((in_config, checked[1], at, in_config.quarter))
            source = checked[1].file_at(at)
            objectives.append(to_objective(in_config, in_config.quarter, source))
    problems += objective_checks(
        placed_objectives,
        placed if objective_files is not None else [],
        config_file=config_file,
        objectives_dir=checked[0].goals.objectives if checked else "objectives",
    )

    owners: Codeowners | None = None
    if codeowners is not None:
        owners = parse_codeowners(codeowners[1], codeowners[0])
    if checked is not None:
        cfg, cfg_doc, broken = checked
        problems += extends_notice(cfg, cfg_doc)
        problems += team_checks(cfg, cfg_doc, strict=strict)
        problems += placeholder_checks(cfg, cfg_doc, placed, strict=strict)
        if config is not None:
            problems += to_check_problems(config[1], config_file, strict=strict)
        problems += codeowners_checks(cfg, cfg_doc, owners)
        problems += metric_checks(cfg, cfg_doc, strict=strict)
        problems += question_checks(cfg, cfg_doc, credentials, strict=strict)
        if outbound is not None:
            problems += posthog_host_checks(cfg, cfg_doc, outbound)
        if credentials is not None:
            problems += credential_checks(cfg, cfg_doc, credentials, strict=strict)
        problems += goal_checks(cfg, config_file, placed, broken_teams=broken)
    else:
        # Without usable teams, team checks would only add noise; still check goals alone.
        problems += goal_checks(None, config_file, placed)

    problems = sorted(problems, key=Problem.reading_order)
    if parsed_cfg is None or any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    cfg = parsed_cfg[0]
    domain = to_config(cfg, goals, owners, objectives)
    if config is not None:
        domain = _unconfirmed_leads(domain, config[1])
    return domain, problems


def _unconfirmed_leads(config: Config, text: str) -> Config:
    """Mark the leads whose logins still wait in a `# quarterdeck: check:` block."""
    guessed = {login.casefold() for _, logins in to_check_blocks(text) for login in logins}
    if not guessed:
        return config
    teams = tuple(
        replace(team, lead_confirmed=False)
        if team.lead and team.lead.casefold() in guessed
        else team
        for team in config.teams
    )
    return replace(config, teams=teams)
