"""What every handler receives: the delivery, and lazily the installation's GitHub gateway.

`Context.gh` is a `GitHubGateway` (`sources.github.gateway`), `Context.repository()` a
`RepoGateway`: handlers hold no PyGithub object, and GitHub's failures reach them as
`quarterdeck.errors` types."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quarterdeck.core.review.repositories import RepoInfo, home_of
from quarterdeck.core.vocabulary import actor
from quarterdeck.errors import PayloadError

__all__ = ["Context", "Delivery", "PayloadError"]  # PayloadError: errors.py's, named here too

if TYPE_CHECKING:
    from quarterdeck.sources.github.gateway import GitHubGateway, RepoGateway


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery as accepted by the server: plain JSON-able data."""

    id: str
    event: str
    payload: dict[str, Any]
    # The JSON text `payload` was read from, as GitHub sent it (b"" when the delivery
    # was made otherwise): the journal keeps these bytes instead of encoding the
    # payload again (`SQLiteDeliveries.keep`).
    source: bytes = field(default=b"", repr=False, compare=False)

    @property
    def action(self) -> str | None:
        value = self.payload.get("action")
        return value if isinstance(value, str) else None

    @property
    def repo(self) -> str | None:
        """`owner/name` of the repository the event is about, if any."""
        repo = self.payload.get("repository")
        name = repo.get("full_name") if isinstance(repo, dict) else None
        return name if isinstance(name, str) else None

    def repo_info(self) -> RepoInfo:
        """The event's repository as the payload describes it: no request needed."""
        repo = self.payload.get("repository")
        repo = repo if isinstance(repo, dict) else {}
        return RepoInfo(self.repo or "", bool(repo.get("archived")), bool(repo.get("fork")))

    @property
    def installation_id(self) -> int | None:
        inst = self.payload.get("installation")
        value = inst.get("id") if isinstance(inst, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def sender_is_bot(self) -> bool:
        """Bots (Quarterdeck itself included) never trigger comments: no loops."""
        return actor(self.payload.get("sender"))[1]

    def log_fields(self) -> dict[str, Any]:
        """The structured fields every log line about this delivery carries."""
        return {
            "delivery": self.id,
            "event": self.event,
            "action": self.action,
            "repo": self.repo,
        }


@dataclass
class Context:
    """A handler's world: the delivery, a client for its installation, config, locks,
    and who the App is (`identity`: its `<slug>[bot]` login, asked once per process)."""

    delivery: Delivery
    github_factory: Callable[[int], Any]
    config_loader: Callable[[str, Any], Any]
    lock: Callable[[str], AbstractContextManager[None]]
    identity: Callable[[], str]
    create_labels: bool = False
    slack_for: Callable[[int], Any] = lambda _installation: None
    _gh: GitHubGateway | None = field(default=None, repr=False)
    _app_config: Any = field(default=None, repr=False)

    @property
    def gh(self) -> GitHubGateway:
        """The installation's gateway, built on first use; lazy objects save GETs."""
        if self._gh is None:
            from quarterdeck.sources.github.gateway import GitHubGateway

            installation = self.delivery.installation_id
            if installation is None:
                raise PayloadError("the payload names no installation, so no client can act")
            self._gh = GitHubGateway(self.github_factory(installation)).lazy()
        return self._gh

    def slack(self) -> Any:
        """The installation's own Slack client (QUARTERDECK_SLACK_TOKENS), or None."""
        installation = self.delivery.installation_id
        return None if installation is None else self.slack_for(installation)

    @property
    def ours(self) -> str:
        """The login the App writes as: only comments and issues by it are its own."""
        return self.identity()

    def repository(self) -> RepoGateway:
        """The event's repository, without a request (lazy)."""
        name = self.delivery.repo
        if name is None:
            raise PayloadError("the payload names no repository")
        return self.gh.repo(name)

    def app_config(self) -> Any:
        """The `AppConfig` for the event's repository (read once per delivery; cached
        across deliveries by the loader)."""
        if self._app_config is None:
            self._app_config = self.config_loader(self.delivery.repo or "", self.repository())
        return self._app_config

    def config(self) -> Any:
        """The Quarterdeck config that applies to the event's repository."""
        return self.app_config().config

    def home(self) -> str | None:
        """The repository whose goals the event's repository's PRs move, or None when
        the organisation's config does not select it (`home_of`)."""
        found = self.app_config()
        return home_of(self.delivery.repo_info(), found.source, found.config.repos)

    def home_repository(self) -> RepoGateway:
        """The home repository, without a request (lazy)."""
        home = self.home()
        if home is None:
            raise PayloadError(f"{self.delivery.repo} is not one of its config's repositories")
        return self.gh.repo(home)

    def issue_lock(self, number: int, repo: str | None = None) -> AbstractContextManager[None]:
        """The lock of issue or PR `number` of `repo` (default: the event's repository);
        one name per issue, whichever repository's delivery takes it.

        Hold it around every read-modify-write of that issue's body or of our comment on
        it: what was read before taking it may already be stale.
        """
        return self.lock(f"{(repo or self.delivery.repo or '').lower()}#{number}")

    def remaining_rate(self) -> int | None:
        """Requests left in the installation's rate budget, if a response said so."""
        return None if self._gh is None else self._gh.remaining_rate()
