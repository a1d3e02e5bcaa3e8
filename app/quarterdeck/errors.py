"""One exception tree for everything Quarterdeck reports to a user.

Entry points catch `QuarterdeckError` and print its message; anything else is a bug.
Every message goes through the redactor when the error is made, so GitHub's or a
database's words quoting a token, a key or a URL's password never reach a person,
a log or a job summary, whichever of them prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quarterdeck.redact import redact

# Exit codes of every command: success, the job failed and the message says why, or
# the command line itself is wrong (a usage error, with the command's usage).
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class QuarterdeckError(Exception):
    """Base class: the message is written for the person who will read it."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


@dataclass(frozen=True)
class Problem:
    """One finding about a config or goals file, located to a line and key."""

    file: str
    line: int | None
    key: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def reading_order(self) -> tuple[str, int, str, str]:
        """Where it comes in a list: by file, then line (file-level ones first), then key
        (`sorted(problems, key=Problem.reading_order)`)."""
        return (self.file, self.line or 0, self.key, self.message)

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


class MetricSourceError(QuarterdeckError):
    """A metric's source (PostHog, a SQL warehouse, a file) could not give its figures.

    The review shows that metric as unavailable, with this message, and goes on.
    """


class TemplateError(QuarterdeckError):
    """A review template failed to load or render."""


class GitHubError(QuarterdeckError):
    """GitHub refused or failed a request; the message says what, where and what to do.

    `status` is GitHub's HTTP status, None when no answer came. The subclasses say
    what kind of failure it is, so callers (and the worker's retry rules) test types.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GitHubNotFound(GitHubError):
    """404 or 410: it does not exist (any more), or the token cannot see it."""


class GitHubRefused(GitHubError):
    """Any other 4xx: bad credentials, no permission, invalid data. Retrying won't help."""


class GitHubUnavailable(GitHubError):
    """5xx, a timeout or no connection: GitHub may answer later."""


class RateLimitError(GitHubError):
    """The API rate limit is used up (a retry after the reset may succeed)."""


class PartialWriteError(GitHubError):
    """A run of writes to GitHub stopped part-way; the message says exactly what was
    written and what was not, so a person knows where things stand. Re-runs are safe:
    every write first looks for what an earlier attempt already did."""

    def __init__(self, cause: str, written: Sequence[str], pending: Sequence[str]) -> None:
        self.written, self.pending = tuple(written), tuple(pending)
        lines = [cause]
        if written:
            lines.append("Already written: " + "; ".join(written) + ".")
        else:
            lines.append("Nothing was written to GitHub.")
        if pending:
            lines.append("Not written: " + "; ".join(pending) + ".")
        lines.append("Fix the cause and re-run to finish: nothing is written twice.")
        super().__init__("\n".join(lines))


class PublishError(PartialWriteError):
    """Publishing the growth reviews stopped part-way (`services.review_publish`)."""


class PlanPublishError(PartialWriteError):
    """Publishing the planning issues stopped part-way (`services.plan_publish`)."""


class GoalsSyncError(PartialWriteError):
    """`goals sync` stopped part-way (`services.goals_sync`)."""


class IssueGone(GitHubNotFound):
    """An issue listed a moment ago was deleted or transferred before it was written."""


class LockBusy(QuarterdeckError):
    """Another run held a lock label (`sources.github.lock`) longer than this run waits."""


class PayloadError(QuarterdeckError):
    """A webhook payload lacks what its handler needs; retrying will not help."""
