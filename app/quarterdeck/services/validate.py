"""`quarterdeck validate`: every problem of the config, goals and metrics files at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from quarterdeck.core.config import CONFIG_PATH
from quarterdeck.core.config.yaml_nodes import read_yaml, render_key
from quarterdeck.core.model import Config, ReviewSettings
from quarterdeck.core.outbound_policy import policy_from_env
from quarterdeck.errors import ConfigError, Problem, QuarterdeckError
from quarterdeck.sources.git_repo import toplevel
from quarterdeck.sources.repo_files import LocalReader, load_config, metrics_problems

# The GitHub gateway (PyGithub) is imported inside the GitHub-mode functions, and only
# there: offline, this command never loads it (start-up cost; tests/test_install.py).
if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway

__all__ = ["Validation", "validate_repo"]


@dataclass(frozen=True)
class Validation:
    """What `validate` found: the config (None when it is invalid) and every problem."""

    root: Path
    config: Config | None
    problems: tuple[Problem, ...]

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def validate_repo(
    repo: Path,
    *,
    strict: bool = False,
    config_path: str = CONFIG_PATH,
    github: tuple[GitHubGateway, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Validation:
    """Check the clone `repo` is in (from any subfolder): config, goals and metrics.

    With `github` (a client and the home repository's `owner/name`), also that every
    repository `repos:` and `org:` name exists and the token can read it.

    `env` (default: the process's environment) holds the operator's outbound settings
    (`QUARTERDECK_POSTHOG_HOSTS`, `QUARTERDECK_POSTHOG_ALLOW_PRIVATE`): a PostHog host
    they would refuse is an error at its line. It also holds the sources' credentials:
    a metric whose configured source needs one it lacks (POSTHOG_PERSONAL_API_KEY, the
    warehouse's `url_env`; QUARTERDECK_SLACK_TOKEN for a team's Slack channel) is a
    warning at its line, an error with `strict`.

    Raises QuarterdeckError when there is no config file at all: defaults would
    validate, but a person running `validate` expects their config to be read, or when
    an outbound setting is malformed.
    """
    env = os.environ if env is None else env
    try:
        outbound = policy_from_env(env)
    except ValueError as exc:
        raise QuarterdeckError(str(exc)) from None
    root = toplevel(repo)
    reader = LocalReader(root)
    if reader.read(config_path) is None:
        raise QuarterdeckError(
            f"no Quarterdeck config: {config_path} does not exist in {root}; "
            "run `quarterdeck init` to write a starter config and goals file "
            "(if the config lives in your organisation's .github repository, "
            "validate that repository)"
        )
    problems: list[Problem] = []
    config: Config | None
    try:
        config, warnings = load_config(
            reader,
            strict=strict,
            config_path=config_path,
            outbound=outbound,
            credentials=frozenset(name for name, value in env.items() if value.strip()),
        )
        problems += warnings
    except ConfigError as exc:
        config = None
        problems += exc.problems
    # With a broken config, the metrics folder falls back to its default.
    metrics_dir = config.review.metrics_dir if config else ReviewSettings().metrics_dir
    teams = [t.slug for t in config.teams] if config else None
    problems += metrics_problems(reader, metrics_dir, teams)
    if github is not None and config is not None and config.repos:
        problems += _unreadable_repos(reader, config, config_path, *github)
    return Validation(root, config, tuple(sorted(problems, key=Problem.reading_order)))


def _unreadable_repos(
    reader: LocalReader, config: Config, config_path: str, gh: GitHubGateway, home: str
) -> list[Problem]:
    """A problem, at its line, for each `repos:` entry (or `org:`) GitHub cannot answer."""
    selection = gh.resolve_repos(home, config.repos)
    if not selection.problems:
        return []
    doc, _ = read_yaml((reader.read(config_path) or b"").decode("utf-8", "replace"), config_path)
    data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
    written = [str(x) for x in data.get("repos") or []]
    found = []
    for pattern, message in selection.problems:
        loc: list[int | str] = ["repos", written.index(pattern)] if pattern in written else ["org"]
        line = doc.line_of_value(loc) if doc is not None else None
        key = render_key(loc, doc) if doc is not None else ".".join(map(str, loc))
        found.append(Problem(config_path, line, key, message))
    return found
