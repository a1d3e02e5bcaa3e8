"""Goals files (`goals/YYYY-Qn.yml`): the quarter from the file name, the goals inside."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from quarterdeck.core.calendar import is_quarter
from quarterdeck.core.config.messages import describe, validate
from quarterdeck.core.config.schema import GoalSpec
from quarterdeck.core.config.yaml_nodes import Doc, line_of, read_yaml
from quarterdeck.errors import Problem

__all__ = ["parse_goals", "quarter_of_goals_file"]

_GOALS_FILE = re.compile(r"(\d{4}-Q[1-4])\.ya?ml")


def quarter_of_goals_file(filename: str) -> str | None:
    """`2026-Q4` for `goals/2026-Q4.yml`; None when the name does not follow YYYY-Qn.yml."""
    match = _GOALS_FILE.fullmatch(PurePosixPath(filename).name)
    return match.group(1) if match and is_quarter(match.group(1)) else None


def parse_goals(
    text: str, file: str
) -> tuple[tuple[list[tuple[int, GoalSpec]], Doc] | None, list[Problem]]:
    if quarter_of_goals_file(file) is None:
        name = PurePosixPath(file).name
        return None, [
            Problem(
                file,
                None,
                "",
                f"goals file name {name!r} does not name a quarter: rename it to YYYY-Qn.yml, "
                "e.g. 2026-Q4.yml",
            )
        ]
    doc, problems = read_yaml(text, file)
    if doc is None:
        return None, problems
    data = [] if doc.data is None else doc.data
    if not isinstance(data, list):
        hint = ""
        if isinstance(data, dict) and set(data) == {"goals"}:
            hint = "; remove the `goals:` line and start each goal with `- id:`"
        line = line_of(doc.root.start_mark) if doc.root else None
        return None, [
            Problem(file, line, "", f"expected a list of goals, got {describe(data)}{hint}")
        ]
    # One goal at a time, so a broken goal does not hide the checks of the others.
    specs: list[tuple[int, GoalSpec]] = []
    for i, item in enumerate(data):
        spec, found = validate(doc, GoalSpec, item, prefix=[i])
        problems += found
        if spec is not None:
            specs.append((i, spec))
    return (specs, doc), problems
