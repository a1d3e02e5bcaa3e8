"""Quarter files: goals (`goals/YYYY-Qn.yml`) and company objectives
(`objectives/YYYY-Qn.yml`). The quarter comes from the file name, the list from inside."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TypeVar

from pydantic import BaseModel

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.config.messages import describe
from quarterdeck.core.config.schema import GoalSpec, ObjectiveSpec, validate
from quarterdeck.core.config.yaml_nodes import Doc, line_of, read_yaml
from quarterdeck.errors import Problem

__all__ = ["parse_goals", "parse_objectives", "quarter_of_goals_file"]

_GOALS_FILE = re.compile(r"(\d{4}-Q[1-4])\.ya?ml")

M = TypeVar("M", bound=BaseModel)
# (each valid item with its index in the file's list, and the document) or None
_Parsed = tuple[tuple[list[tuple[int, M]], Doc] | None, list[Problem]]


def quarter_of_goals_file(filename: str) -> str | None:
    """`2026-Q4` for `goals/2026-Q4.yml` (or `objectives/2026-Q4.yml`); None when the
    name does not follow YYYY-Qn.yml."""
    match = _GOALS_FILE.fullmatch(PurePosixPath(filename).name)
    return match.group(1) if match and is_quarter(match.group(1)) else None


def parse_goals(text: str, file: str) -> _Parsed[GoalSpec]:
    """A goals file's valid goals (with their index) and every problem of the file."""
    return _parse_quarter_list(text, file, GoalSpec, "goals", "goal")


def parse_objectives(text: str, file: str) -> _Parsed[ObjectiveSpec]:
    """An objectives file's valid objectives (with their index) and every problem."""
    return _parse_quarter_list(text, file, ObjectiveSpec, "objectives", "objective")


def _parse_quarter_list(text: str, file: str, model: type[M], kind: str, item: str) -> _Parsed[M]:
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
