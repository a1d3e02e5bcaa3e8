"""The type check's own promises (issue 24): mypy runs over app/ in `.ci/run`, with no
blanket ignores. `.ci/run` runs mypy itself; these keep its configuration honest."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app" / "quarterdeck"


def _mypy_config() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        config = tomllib.load(file)["tool"]["mypy"]
    assert isinstance(config, dict)
    return config


def test_mypy_checks_the_whole_app_without_blanket_ignores() -> None:
    config = _mypy_config()
    assert config["files"] == ["app/quarterdeck"]
    assert config["check_untyped_defs"] is True
    assert config["warn_unused_ignores"] is True
    assert "ignore_missing_imports" not in config, "name each untyped package in an override"
    assert "ignore_errors" not in config
    overrides = config.get("overrides", [])
    assert isinstance(overrides, list)
    for override in overrides:
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        assert "ignore_errors" not in override, f"{modules}: fix the errors instead"
        ours = [m for m in modules if m.split(".")[0] == "quarterdeck"]
        assert ours == [], f"an override of our own modules {ours}: fix their errors instead"
    # Nor on a line: a bare `# type: ignore` hides every error there, a coded one only its own.
    bare = re.compile(r"#\s*type:\s*ignore(?!\[)")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted(APP.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if bare.search(line)
    ]
    assert found == [], f"a `# type: ignore` without its error code: {found}"


def test_ci_runs_mypy_after_ruff() -> None:
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert ".venv/bin/mypy" in steps
    assert steps.index(".venv/bin/mypy") > steps.index(".venv/bin/ruff format --check .")
