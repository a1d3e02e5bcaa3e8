"""One exception tree for everything Quarterdeck reports to a user.

Entry points catch `QuarterdeckError` and print its message; anything else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes of every command: success, or the job failed and the message says why.
# (2, a wrong command line, is argparse's own.)
EXIT_OK, EXIT_FAILED = 0, 1


class QuarterdeckError(Exception):
    """Base class: the message is written for the person who will read it."""


@dataclass(frozen=True)
class Problem:
    """One finding about a config or goals file, located to a line and key."""

    file: str
    line: int | None
    key: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        tag = " (warning)" if self.severity == "warning" else ""
        return f"{where}:{key} {self.message}{tag}"


class ConfigError(QuarterdeckError):
    """The repo's Quarterdeck config or goals files are invalid."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class HistoryError(QuarterdeckError):
    """The local git history could not be read."""


class TemplateError(QuarterdeckError):
    """A review template failed to load or render."""


class GitHubError(QuarterdeckError):
    """GitHub refused or failed a request; the message says what, where and what to do."""


class RateLimitError(GitHubError):
    """The API rate limit is used up until a reset further away than we are willing to wait."""
