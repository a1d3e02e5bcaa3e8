"""Reads Quarterdeck's YAML files from a local checkout; the only disk access for config.

Everything about what the files mean lives in `quarterdeck.core.config`; this module
only finds the files, reads them as bytes within size limits, decodes UTF-8, and
hands (repo-relative name, text) pairs to the pure loader.
"""

from __future__ import annotations

from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import (
    CONFIG_PATH,
    FILE_TOO_LARGE,
    MAX_FILE_BYTES,
    BusinessMetrics,
    build_config,
    parse_config,
    parse_metrics,
    sort_problems,
)
from quarterdeck.core.model import Config
from quarterdeck.errors import ConfigError, Problem, QuarterdeckError

__all__ = ["load_metrics", "load_repo_config"]

_YAML_SUFFIXES = (".yml", ".yaml")


def load_repo_config(
    repo: Path, *, strict: bool = False, config_path: str = CONFIG_PATH
) -> tuple[Config, list[Problem]]:
    """Load `<repo>/<config_path>` and every goals file under the configured goals folder.

    A missing config file means every setting takes its default. Returns the config and
    its warnings; raises ConfigError with every problem (errors and warnings, sorted by
    file and line) when any file is invalid, and QuarterdeckError when `repo` is not a
    folder.
    """
    root = _repo_root(repo)
    problems: list[Problem] = []

    config: tuple[str, str] | None = None
    config_file = root / config_path
    if config_file.exists():
        text, problem = _read_text(root, config_file)
        if problem:
            problems.append(problem)
        else:
            config = (_display(root, config_file), text)

    # The goals folder is a setting of the config file; with a broken config, fall back
    # to the default so goals files still get checked in the same run.
    goals_dir = "goals"
    if config is not None:
        parsed, _ = parse_config(config[1], config[0])
        if parsed is not None:
            goals_dir = parsed.goals.files

    goal_files: list[tuple[str, str]] = []
    folder = root / goals_dir
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix not in _YAML_SUFFIXES or not path.is_file():
                continue
            text, problem = _read_text(root, path)
            if problem:
                problems.append(problem)
            else:
                goal_files.append((_display(root, path), text))

    try:
        cfg, warnings = build_config(config, goal_files, strict=strict)
    except ConfigError as exc:
        raise ConfigError(sort_problems(problems + exc.problems)) from None
    if problems:
        raise ConfigError(sort_problems(problems + warnings))
    return cfg, warnings


def load_metrics(repo: Path, config: Config, month: str) -> BusinessMetrics | None:
    """The PM's figures for `month` (YYYY-MM) from the configured metrics folder.

    Returns None when the month has no file; raises ConfigError when the file is
    invalid and QuarterdeckError when `month` is malformed.
    """
    root = _repo_root(repo)
    try:
        name = str(Month.parse(month))
    except ValueError as exc:
        raise QuarterdeckError(str(exc)) from None
    for suffix in _YAML_SUFFIXES:
        path = root / config.review.metrics_dir / f"{name}{suffix}"
        if path.is_file():
            text, problem = _read_text(root, path)
            if problem:
                raise ConfigError([problem])
            return parse_metrics(text, _display(root, path))
    return None


def _repo_root(repo: Path) -> Path:
    if not repo.is_dir():
        raise QuarterdeckError(
            f"repository folder {repo} does not exist or is not a folder; "
            "pass --repo with the path of a local clone"
        )
    return repo.resolve()


def _display(root: Path, path: Path) -> str:
    """Repo-relative POSIX name, as users see it on GitHub: `goals/2026-Q4.yml`."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _read_text(root: Path, path: Path) -> tuple[str, Problem | None]:
    """Read a file as UTF-8 within the size limit, or say why it cannot be used."""
    name = _display(root, path)
    # A symlink in a checked-out repo could point anywhere on the machine running us.
    if not path.resolve().is_relative_to(root):
        return "", Problem(
            name,
            None,
            "",
            "is a link to a file outside the repository; Quarterdeck reads "
            "only files inside it, so replace the link with the file",
        )
    if not path.is_file():
        return "", Problem(name, None, "", "is not a file; expected a YAML file here")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return "", Problem(name, None, "", f"could not be read: {exc.strerror or exc}")
    if len(data) > MAX_FILE_BYTES:
        return "", Problem(name, None, "", FILE_TOO_LARGE)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return "", Problem(
            name,
            line,
            "",
            f"is not valid UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file with UTF-8 encoding",
        )
