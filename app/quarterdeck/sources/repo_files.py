"""Reads Quarterdeck's YAML files from a local checkout; the only disk access for config.

Everything about what the files mean lives in `quarterdeck.core.config`; this module
only finds the files, reads them as bytes within size limits, decodes UTF-8, and
hands (repo-relative name, text) pairs to the pure loader. The finding and reading
is written once over `FileReader`; `LocalReader` serves a checkout, and
`sources.github.config` serves a repository through the contents API.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Collection, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from quarterdeck.core.calendar import Month
from quarterdeck.core.config.essentials import (
    CONFIG_PATH,
    FILE_TOO_LARGE,
    MAX_FILE_BYTES,
    BusinessMetrics,
    MetricsMonth,
)
from quarterdeck.core.model import Config
from quarterdeck.core.review.codeowners import CODEOWNERS_PATHS
from quarterdeck.errors import ConfigError, Problem, QuarterdeckError

if TYPE_CHECKING:  # the config loader brings it when a config is read
    from quarterdeck.core.outbound_policy import OutboundPolicy

__all__ = [
    "FileReader",
    "LocalReader",
    "Unreadable",
    "load_config",
    "load_metrics",
    "load_metrics_with",
    "load_repo_config",
    "local_templates",
    "metrics_in",
    "metrics_problems",
    "read_codeowners",
    "read_metrics_month",
    "read_text",
    "user_templates",
]

log = logging.getLogger(__name__)
# The config of a repository without Quarterdeck files: every setting's default.
_DEFAULTS = Config()
_YAML_SUFFIXES = (".yml", ".yaml")


class Unreadable(Exception):
    """A file exists but cannot be used; the message says why, for the person who fixes it."""


class FileReader(Protocol):
    """Read access to one repository's files by repo path (`goals/2026-Q4.yml`)."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes (at most MAX_FILE_BYTES + 1 of them), or None if it is absent.

        Raises Unreadable when something is there but cannot be used.
        """
        ...

    def list_dir(self, path: str) -> list[str]:
        """Names of the files directly in folder `path`, sorted; [] if there is none."""
        ...

    def display(self, path: str) -> str:
        """How problems name the file: the repo path, prefixed with the repo if foreign."""
        ...


class LocalReader:
    """Files of a local checkout; refuses symlinks that leave it."""

    def __init__(self, repo: Path) -> None:
        self.root = _repo_root(repo)

    def read(self, path: str) -> bytes | None:
        file = self.root / path
        if not file.exists():
            return None
        # A symlink in a checked-out repo could point anywhere on the machine running us.
        if not file.resolve().is_relative_to(self.root):
            raise Unreadable(
                "is a link to a file outside the repository; Quarterdeck reads "
                "only files inside it, so replace the link with the file"
            )
        if not file.is_file():
            raise Unreadable("is not a file; expected a YAML file here")
        try:
            with file.open("rb") as handle:
                return handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise Unreadable(f"could not be read: {exc.strerror or exc}") from None

    def list_dir(self, path: str) -> list[str]:
        folder = self.root / path
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_file())

    def display(self, path: str) -> str:
        return PurePosixPath(path).as_posix()


USER_TEMPLATES = ".github/quarterdeck/templates"


def user_templates(reader: FileReader) -> dict[str, str]:
    """A repo's own templates (`.github/quarterdeck/templates/*.j2`), name -> source.

    They override the bundled ones of the same name; an unreadable one is skipped
    with a warning in the log rather than failing the whole review.
    """
    found: dict[str, str] = {}
    for name in reader.list_dir(USER_TEMPLATES):
        if name.endswith(".j2"):
            text, problem = read_text(reader, f"{USER_TEMPLATES}/{name}")
            if text is not None:
                found[name] = text
            elif problem is not None:
                log.warning("%s", problem)
    return found


def local_templates(repo: Path) -> dict[str, str]:
    """`user_templates` of a local checkout."""
    return user_templates(LocalReader(_repo_root(repo)))


def read_text(reader: FileReader, path: str) -> tuple[str | None, Problem | None]:
    """A file as UTF-8 within the size limit: (text, None), (None, why not) or (None, None)."""
    name = reader.display(path)
    try:
        data = reader.read(path)
    except Unreadable as exc:
        return None, Problem(name, None, "", str(exc))
    if data is None:
        return None, None
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(name, None, "", FILE_TOO_LARGE)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, Problem(
            name,
            line,
            "",
            f"is not valid UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file with UTF-8 encoding",
        )


def load_repo_config(
    repo: Path, *, strict: bool = False, config_path: str = CONFIG_PATH
) -> tuple[Config, list[Problem]]:
    """Load `<repo>/<config_path>` and every goals and objectives file under the
    configured folders.

    A missing config file means every setting takes its default. Returns the config and
    its warnings; raises ConfigError with every problem (errors and warnings, sorted by
    file and line) when any file is invalid, and QuarterdeckError when `repo` is not a
    folder.
    """
    return load_config(LocalReader(repo), strict=strict, config_path=config_path)


class _Read(enum.Enum):
    CONFIG = "read the config file through the reader"


_READ = _Read.CONFIG


def load_config(
    reader: FileReader,
    *,
    strict: bool = False,
    config_path: str = CONFIG_PATH,
    config: tuple[str, str] | _Read | None = _READ,
    base: tuple[str, str] | None = None,
    problems: Sequence[Problem] = (),
    objectives: bool = True,
    outbound: OutboundPolicy | None = None,
    credentials: Collection[str] | None = None,
) -> tuple[Config, list[Problem]]:
    """The one loader over any reader: config file → goals and objectives folders → their
    files → Config.

    By default the config file is read from `config_path`; a caller that found it
    elsewhere (GitHub's org fallback) passes `config` as (display name, text), or None
    for "no config file", plus the `_extends` `base` and the `problems` met finding
    them. `objectives=False` leaves the objectives folder unread (one request fewer on
    GitHub, for callers that only link PRs): the config then has only the config's own
    objectives, and goals' `objective:` is not checked. `outbound` (validate's) checks
    the PostHog host against the operator's policy, `credentials` (validate's: the names
    of the variables set) that each configured source's credential is there. Raises
    ConfigError with every problem when anything is invalid.
    """
    found = list(problems)
    if isinstance(config, _Read):
        text, problem = read_text(reader, config_path)
        found += [problem] if problem else []
        config = (reader.display(config_path), text) if text is not None else None

    # The goals and objectives folders are settings of the config file; with a broken
    # config, fall back to the defaults so their files still get checked in the same run.
    folders = (_DEFAULTS.goals_dir, _DEFAULTS.objectives_dir)
    codeowners: tuple[str, str] | None = None
    if config is not None:
        from quarterdeck.core.config.loading import parse_config  # pydantic: see below

        parsed, _ = parse_config(config[1], config[0], base=base)
        if parsed is not None:
            folders = (parsed.goals.files, parsed.goals.objectives)
            if any(team.owns.codeowners for team in parsed.teams.values()):
                codeowners = read_codeowners(reader, found)

    goal_files = _yaml_files(reader, folders[0], found)
    # A folder named for both holds goals only: its files are not objectives too.
    same = folders[1].strip("/") == folders[0].strip("/")
    objective_files: list[tuple[str, str]] | None = None
    if objectives:
        objective_files = [] if same else _yaml_files(reader, folders[1], found)

    if config is None and not goal_files and not objective_files and not found:
        # No file to read: every setting takes its default, which is what validating no
        # files gives (tests/test_config.py holds the two equal). Skipping the loader
        # keeps pydantic and PyYAML out of such a run (~0.1 s of start-up, issue 23).
        return _DEFAULTS, []
    # Imported here, not at the top, for the same reason.
    from quarterdeck.core.config.loading import build_config

    try:
        cfg, warnings = build_config(
            config,
            goal_files,
            strict=strict,
            base=base,
            codeowners=codeowners,
            objective_files=objective_files,
            outbound=outbound,
            credentials=credentials,
        )
    except ConfigError as exc:
        raise ConfigError(sorted(found + exc.problems, key=Problem.reading_order)) from None
    if any(p.severity == "error" for p in found):
        raise ConfigError(sorted(found + warnings, key=Problem.reading_order))
    return cfg, sorted(found + warnings, key=Problem.reading_order)


def _yaml_files(reader: FileReader, folder: str, found: list[Problem]) -> list[tuple[str, str]]:
    """(display name, text) of each YAML file directly in `folder`; unreadable ones are
    problems in `found`."""
    files: list[tuple[str, str]] = []
    folder = folder.strip("/")
    for name in reader.list_dir(folder):
        if not name.endswith(_YAML_SUFFIXES):
            continue
        path = f"{folder}/{name}" if folder else name
        text, problem = read_text(reader, path)
        if problem:
            found.append(problem)
        elif text is not None:
            files.append((reader.display(path), text))
    return files


def read_codeowners(reader: FileReader, problems: list[Problem]) -> tuple[str, str] | None:
    """The repository's CODEOWNERS file as (display name, text): the first that exists of
    `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS`, GitHub's own order.

    An unreadable file is a warning in `problems` (ownership by paths still works).
    """
    for path in CODEOWNERS_PATHS:
        text, problem = read_text(reader, path)
        if problem is not None:
            problems.append(dataclasses.replace(problem, severity="warning"))
            return None
        if text is not None:
            return reader.display(path), text
    return None


def load_metrics(repo: Path, config: Config, month: str) -> BusinessMetrics | None:
    """The PM's figures for `month` (YYYY-MM) from the configured metrics folder.

    Returns None when the month has no file; raises ConfigError when the file is
    invalid and QuarterdeckError when `month` is malformed.
    """
    found = load_metrics_with(LocalReader(repo), config, month)
    return found.company if found else None


def load_metrics_with(
    reader: FileReader, config: Config, month: str | Month
) -> MetricsMonth | None:
    """A month's metrics file over any reader, company-wide and per-team figures: one
    folder listing, then the file; None when the month has none."""
    try:
        name = month if isinstance(month, Month) else Month.parse(month)
    except ValueError as exc:
        raise QuarterdeckError(str(exc)) from None
    folder = config.review.metrics_dir
    return metrics_in(reader, reader.list_dir(folder.strip("/")), folder, name)


def metrics_in(
    reader: FileReader, names: Collection[str], metrics_dir: str, month: Month
) -> MetricsMonth | None:
    """`month`'s metrics file, given the names in the metrics folder (`reader.list_dir`,
    which a caller reading several months lists once); None when the month has none."""
    folder = metrics_dir.strip("/")
    for suffix in _YAML_SUFFIXES:
        if f"{month}{suffix}" in names:
            path = f"{folder}/{month}{suffix}" if folder else f"{month}{suffix}"
            return read_metrics_month(reader, path)[0]
    return None


def read_metrics_month(
    reader: FileReader, path: str, *, teams: Collection[str] | None = None
) -> tuple[MetricsMonth, list[Problem]]:
    """The metrics file at `path` (company-wide and per-team figures) and its warnings.

    Raises ConfigError when it cannot be read or is invalid; `teams` (the config's
    slugs) makes a `teams:` entry naming no team a warning.
    """
    text, problem = read_text(reader, path)
    if problem:
        raise ConfigError([problem])
    if text is None:  # listed, then gone: the same as no file
        return MetricsMonth(BusinessMetrics(source=reader.display(path))), []
    # The metrics file's validators (pydantic) load with the first file read.
    from quarterdeck.core.config.metrics_file import read_metrics_file

    return read_metrics_file(text, reader.display(path), teams=teams)


def metrics_problems(
    reader: FileReader, metrics_dir: str, teams: Collection[str] | None = None
) -> list[Problem]:
    """Every problem of every file in the metrics folder, as `validate` reports them.

    The review reads the files of its window and stops at a broken one; this checks
    them all, so a broken file fails in a pull request, not in next month's review. A
    YAML file not named YYYY-MM.yml is a warning: no review would read it. With
    `teams` (the config's slugs), a `teams:` entry naming no team is a warning too.
    """
    folder = metrics_dir.strip("/")
    found: list[Problem] = []
    for name in reader.list_dir(folder):
        if not name.endswith(_YAML_SUFFIXES):
            continue
        path = f"{folder}/{name}" if folder else name
        stem = name.rsplit(".", 1)[0]
        try:
            Month.parse(stem)
        except ValueError:
            message = (
                "is not named YYYY-MM.yml, so no review reads it; rename it after its "
                "month, e.g. 2026-11.yml"
            )
            found.append(Problem(reader.display(path), None, "", message, "warning"))
            continue
        try:
            found += read_metrics_month(reader, path, teams=teams)[1]
        except ConfigError as exc:
            found += exc.problems
    return found


def _repo_root(repo: Path) -> Path:
    if not repo.is_dir():
        raise QuarterdeckError(
            f"repository folder {repo} does not exist or is not a folder; "
            "pass --repo with the path of a local clone"
        )
    return repo.resolve()
