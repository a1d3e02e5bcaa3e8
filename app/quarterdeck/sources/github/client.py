"""Build PyGithub clients: by token, or as a GitHub App installation.

Entry points read tokens and keys from their settings and call these; nothing here
reads the environment or runs at import time. Every client gets a Quarterdeck
User-Agent, pages of 100, retries with backoff (see `retry_policy`) and its pacing
(`PACING`): reads go out at once, writes a second apart.

Conditional requests: PyGithub sends `If-None-Match` only when an object already
fetched is refreshed (`obj.update()`), and a 304 is free of rate limit. A one-shot run
reads each file once (`config.GitHubReader` caches), so there is nothing to
revalidate; a long-lived process that re-reads the same objects gets it from `update()`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import requests
from github import (
    Auth,
    Github,
    GithubException,
    GithubIntegration,
    GithubRetry,
    RateLimitExceededException,
)
from github.Requester import Requester
from urllib3 import Retry
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.util import reraise

from quarterdeck import __version__
from quarterdeck.core.settings_rules import header_value_problem, http_url_problem
from quarterdeck.core.vocabulary import ACTIONS_BOT, app_login
from quarterdeck.errors import (
    GitHubError,
    GitHubNotFound,
    GitHubRefused,
    GitHubUnavailable,
    QuarterdeckError,
    RateLimitError,
)
from quarterdeck.redact import register, register_minted, register_url

_T = TypeVar("_T")
log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = f"quarterdeck/{__version__} (+https://github.com/quarterdeck)"
PER_PAGE = 100
DEFAULT_MAX_RESET_WAIT = 900.0  # seconds: wait out a used-up rate limit if it resets by then
# PyGithub's `Requester` sleeps `seconds_between_requests` (0.25 s by default) before
# every request and `seconds_between_writes` (1 s) between requests that are not GETs.
# GitHub asks for the second (content-creating requests a second apart, against its
# secondary rate limits) but not the first: a read waits for nothing, so a 1,000-PR
# month doesn't spend seconds asleep. GraphQL reads, POSTs that PyGithub would space
# as writes, go through `graphql`'s own requester without the write spacing.
WRITE_SPACING = 1.0
PACING: dict[str, float | None] = {
    "seconds_between_requests": None,
    "seconds_between_writes": WRITE_SPACING,
}
# POSTs that create nothing, so sending one twice does what sending it once does:
# GraphQL queries (Quarterdeck sends no mutations), an installation token (a fresh one
# each time) and labels added to an issue (adding one it has changes nothing).
_REPEATABLE_POST = re.compile(
    r"(?:/graphql|/app/installations/\d+/access_tokens|/issues/\d+/labels)$"
)
# Answers GitHub gives before doing any of the work: rate limits, primary or secondary.
_REJECTED_UNDONE = frozenset({403, 429})


def repeatable(method: str | None, url: str | None) -> bool:
    """Whether re-sending this request after a lost answer can't make a second object.

    GET, PUT, DELETE and PATCH can (every PATCH Quarterdeck sends sets whole fields);
    a POST only when it creates nothing (`_REPEATABLE_POST`). Every other POST creates
    an issue, a comment or a label, and goes through `writes.create_once` instead.
    """
    if (method or "").upper() != "POST":
        return True
    return bool(_REPEATABLE_POST.search(urlsplit(url or "").path))


class QuarterdeckRetry(GithubRetry):
    """`GithubRetry` whose every wait goes through an injected `sleep`, timed by `clock`.

    - 5xx, 429 and timeouts: exponential backoff (`backoff_factor * 2**(n-1)` seconds,
      plus up to `backoff_jitter` of jitter), at most `total` retries;
    - a POST that creates (see `repeatable`) is re-sent only after an answer that proves
      GitHub did nothing (a rate limit, or no connection made at all): after a 5xx, a
      timeout or a dropped connection the write may have been applied, so the failure
      goes back to the caller, who looks before creating again (`writes.create_once`);
    - a secondary rate limit (403/429 with `Retry-After`): waits exactly as told;
    - the primary limit used up (`X-RateLimit-Remaining: 0`): waits until
      `X-RateLimit-Reset` if that is at most `max_reset_wait` seconds away, else raises
      `RateLimitError` naming the reset time.

    urllib3 would sleep after `increment` returns, and `responses` (tests) never
    sleeps at all; so the wait happens inside `increment` and `sleep()` does nothing.
    """

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_reset_wait: float = DEFAULT_MAX_RESET_WAIT,
        **kwargs: Any,
    ) -> None:
        self.sleep_fn = sleep
        self.clock = clock
        self.max_reset_wait = max_reset_wait
        kwargs.setdefault("status_forcelist", [*range(500, 600), 429])  # GithubRetry adds 403
        kwargs.setdefault("raise_on_status", False)  # give PyGithub the last error to report
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> Self:
        kw.update(sleep=self.sleep_fn, clock=self.clock, max_reset_wait=self.max_reset_wait)
        return super().new(**kw)

    # GithubRetry's own increment is declared so (urllib3's returns Self); ours follows it.
    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> Retry:
        path = urlsplit(url or "").path
        if not repeatable(method, url):
            self._refuse_resend(method, path, response, error, _pool, _stacktrace)
        headers = response.headers if response is not None else {}
        if (
            response is not None
            and response.status in (403, 429)
            and "Retry-After" not in headers
            and headers.get("X-RateLimit-Remaining") == "0"
        ):
            retry: Retry
            wait = self._until_reset(headers)
            # Counted like any retry, but GithubRetry's own reset wait is bypassed: ours
            # goes through the injected clock and sleep.
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
        else:
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            told = self.get_retry_after(response) if response is not None else None
            wait = told if told is not None else max(self._backoff(retry), retry.get_backoff_time())
        what = f"{response.status}" if response is not None else type(error).__name__
        log.warning("GitHub %s on %s %s; retrying in %.1f s", what, method, path, wait)
        if wait > 0:
            self.sleep_fn(wait)
        return retry

    def _refuse_resend(
        self,
        method: str | None,
        path: str,
        response: Any,
        error: Exception | None,
        pool: Any,
        stacktrace: TracebackType | None,
    ) -> None:
        """Hand a create's possibly-applied failure back instead of sending it again."""
        if error is not None and not self._is_connection_error(error):
            # Sent, and the answer lost (a timeout, a dropped connection): urllib3's own
            # way of declining a retry, so requests reports it as it always does.
            log.warning(
                "GitHub's answer to %s %s was lost (%s); not sent again, the caller looks "
                "for what it may have created",
                method,
                path,
                type(error).__name__,
            )
            reraise(type(error), error, stacktrace)
        if response is not None and response.status not in _REJECTED_UNDONE:
            log.warning(
                "GitHub %s on %s %s; not sent again, the caller looks for what it may have created",
                response.status,
                method,
                path,
            )
            # With raise_on_status off, urllib3 (and `responses`) hand this answer back.
            cause = ResponseError(ResponseError.SPECIFIC_ERROR.format(status_code=response.status))
            raise MaxRetryError(pool, path, cause)

    def sleep(self, response: Any = None) -> None:
        """No-op: `increment` has already waited (see the class docstring)."""

    def pause(self, attempt: int) -> float:
        """Wait as before retry number `attempt` (1, 2, ...) of a 5xx; returns the wait.

        For writes that retry by themselves (`writes.create_once`): the same backoff,
        through the same injected sleep, as the retries this policy makes.
        """
        wait = self._backoff_for(attempt)
        if wait > 0:
            self.sleep_fn(wait)
        return wait

    def _backoff(self, retry: Retry) -> float:
        return self._backoff_for(max(1, len(retry.history)))

    def _backoff_for(self, n: int) -> float:
        wait = min(self.backoff_max, self.backoff_factor * 2 ** (n - 1))
        return float(wait + random.uniform(0, self.backoff_jitter))  # noqa: S311 (jitter, not crypto)

    def _until_reset(self, headers: Any) -> float:
        raw = headers.get("X-RateLimit-Reset", "")
        reset = int(raw) if str(raw).isdigit() else int(self.clock()) + 3600
        wait = max(0.0, reset - self.clock()) + 1  # the reset lands somewhere in that second
        if wait > self.max_reset_wait:
            when = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            raise RateLimitError(
                f"GitHub's API rate limit for this token is used up until {when} "
                f"(in {_minutes(wait)}), longer than the {_minutes(self.max_reset_wait)} "
                "Quarterdeck waits; re-run after that time, or use a token with its own "
                "limit (a GitHub App installation gets a larger one)"
            )
        log.warning("GitHub rate limit used up; waiting %s for the reset", _minutes(wait))
        return wait


def _minutes(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def retry_policy(
    max_reset_wait: float = DEFAULT_MAX_RESET_WAIT,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> QuarterdeckRetry:
    """Retries for 5xx, timeouts and rate limits: exponential backoff, `Retry-After` obeyed.

    Reads, PATCH (every PATCH Quarterdeck sends sets whole fields: a body, a title, a
    state) and the POSTs that create nothing are retried after any of those. A POST
    that creates an issue, comment or label is re-sent only after a rate limit, which
    GitHub answers before doing anything: a lost answer may hide a write that was
    applied, so it reaches the caller, and `writes.create_once` looks for the object
    before creating it again. Tests pass `sleep` and `clock` to assert the waits
    without waiting.
    """
    return QuarterdeckRetry(
        total=5,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        backoff_factor=1.0,
        backoff_jitter=0.5,
        secondary_rate_wait=60,
        sleep=sleep,
        clock=clock,
        max_reset_wait=max_reset_wait,
    )


def log_rate_limit(gh: Github) -> None:
    """Log the budget left, as of the last response (no request; never the token)."""
    remaining, limit = gh.requester.rate_limiting
    if limit > 0:
        log.info("GitHub API budget: %d of %d requests left", remaining, limit)


def github_error(exc: GithubException, doing: str) -> GitHubError:
    """A GitHub failure as a message for a person: status, GitHub's words, what to do.

    The error's class says what kind of failure it is (see `quarterdeck.errors`). A
    GraphQL query's `errors` in a 200 answer (PyGithub raises them as a 400) are
    GitHub's words alone: there is no message beside them.
    """
    data = exc.data if isinstance(exc.data, dict) else {}
    details = [_detail(e) for e in data.get("errors") or [] if isinstance(e, dict)]
    if _graphql_errors(exc, data) and details:
        limited = any(
            e.get("type") == "RATE_LIMITED" for e in data["errors"] if isinstance(e, dict)
        )
        kind: type[GitHubError] = RateLimitError if limited else GitHubRefused
        return kind(
            f"GitHub's GraphQL API answered with errors while {doing}: {'; '.join(details)}; "
            "run again in a few minutes, and if it persists report it as a Quarterdeck bug",
            400,
        )
    said = str(data.get("message") or exc.message or "no message")
    if details:
        said += " — " + "; ".join(details)
    hint = _HINTS.get(exc.status) or (
        "GitHub is having trouble; try again in a few minutes"
        if exc.status >= 500
        else "see the message above"
    )
    kind = _kind(exc, said)
    return kind(f"GitHub answered {exc.status} while {doing}: {said}; {hint}", exc.status)


def _graphql_errors(exc: GithubException, data: dict[str, Any]) -> bool:
    """Whether `exc` is PyGithub's 400 for a 200 GraphQL answer carrying `errors`."""
    return exc.status == 400 and "message" not in data and "errors" in data


def _kind(exc: GithubException, said: str) -> type[GitHubError]:
    if isinstance(exc, RateLimitExceededException) or exc.status == 429:
        return RateLimitError
    if exc.status == 403 and "rate limit" in said.lower():
        return RateLimitError  # a secondary rate limit: a 403 that says so
    if exc.status in (404, 410):
        return GitHubNotFound
    if exc.status >= 500:
        return GitHubUnavailable
    return GitHubRefused


def unreachable(exc: requests.RequestException, doing: str) -> GitHubUnavailable:
    """No answer from GitHub (after the client's retries), as a message for a person."""
    return GitHubUnavailable(
        f"could not reach GitHub while {doing} ({type(exc).__name__}, even after retrying "
        "with backoff); check the network and GITHUB_API_URL (or https://www.githubstatus.com) "
        "and re-run"
    )


# The words of the work in progress, innermost first (`translated`, `doing`): a gateway
# call inside the block reports its failure "while <them>" (`gateway`).
_DOING: ContextVar[str | None] = ContextVar("quarterdeck_github_doing", default=None)


@contextmanager
def doing(words: str) -> Iterator[None]:
    """Name the work of the block: a GitHub failure inside it reads "... while `words`".

    What services and handlers use (through `gateway`): the gateway's calls in the block
    translate their failures with these words, the innermost name winning, as the
    innermost step is the one that failed. It is `translated` under the name callers
    need, so a failure of a reader the gateway handed out (`config.GitHubReader`) is
    translated the same way.
    """
    with translated(words):
        yield


def current_doing(default: str) -> str:
    """The innermost `doing` (or `translated`) words, else `default`."""
    return _DOING.get() or default


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """Run GitHub calls with their failures turned into the project's exceptions.

    PyGithub's `GithubException` becomes a `GitHubError` subclass (`github_error`),
    a network failure or an answer that is not JSON (truncated, or a proxy's HTML page)
    `GitHubUnavailable`; the original stays as the cause. GitHub's words are quoted
    through the redactor (every `QuarterdeckError` is), so a token a proxy or GitHub
    Enterprise echoes back in its answer is shown as `[redacted]`. A gateway call
    inside the block names its failure with `doing` too.
    """
    token = _DOING.set(doing)
    try:
        yield
    except GithubException as exc:
        raise github_error(exc, doing) from exc
    except requests.RequestException as exc:
        raise unreachable(exc, doing) from exc
    except json.JSONDecodeError as exc:
        raise GitHubUnavailable(
            f"GitHub's answer while {doing} was not valid JSON (cut short, or a proxy's "
            f"page: {exc.msg} at character {exc.pos}); nothing after it was done. Run "
            "again; if it persists, check any proxy between you and GitHub"
        ) from exc
    finally:
        _DOING.reset(token)


_HINTS = {
    400: "the request was malformed; this is a Quarterdeck bug, please report it",
    401: "the token is missing, wrong or expired; check GITHUB_TOKEN or --token",
    403: "the token lacks permission for this; grant it access to the repository",
    404: "it does not exist, or the token cannot see it; check the name and the token's access",
    422: "GitHub rejected the data; nothing more was written",
}


def _detail(error: dict[str, Any]) -> str:
    if error.get("message"):
        return str(error["message"])
    where = ".".join(str(error[k]) for k in ("resource", "field") if error.get(k))
    return f"{where} is {error.get('code', 'invalid')}".replace("_", " ")


def connect(
    token: str | None,
    *,
    base_url: str | None = None,
    setting: str = "GITHUB_TOKEN",
    **options: Any,
) -> Github:
    """A client authenticated by a personal access or Actions token.

    `setting` is where the token came from (`GITHUB_TOKEN`, `--token`): a token
    that could not be sent (a line break, a character outside Latin-1) is refused
    here, naming it, before any request.
    """
    if not token:
        raise QuarterdeckError(
            "no GitHub token: set GITHUB_TOKEN (in Actions: `token: ${{ github.token }}`) "
            "or pass --token"
        )
    register(token)
    problem = header_value_problem(setting, token)
    if problem:
        raise QuarterdeckError(problem)
    route_library_logs()
    return Github(auth=Auth.Token(token), **_options(base_url, options))


def connect_app(
    app_id: int | str,
    private_key: str,
    installation_id: int,
    *,
    base_url: str | None = None,
    **options: Any,
) -> Github:
    """A client acting as one installation of a GitHub App (installation token).

    The key, and every JWT and installation token minted with it, are registered with
    the redactor (see `_RegisteredAppAuth`).
    """
    integration = connect_integration(app_id, private_key, base_url=base_url, **options)
    return integration.get_github_for_installation(installation_id)


@dataclass(frozen=True)
class AppInputs:
    """How a person names the App sign-in's three settings, for messages: the Action's
    inputs and the variables the CLI reads them from."""

    app_id: str = "the App ID"
    private_key: str = "the App's private key"
    installation_id: str = "the installation ID"


@dataclass(frozen=True)
class AppSignIn:
    """A client acting as the App's installation on one repository, and its token (the
    caller masks it where a log could show it; it is registered with the redactor)."""

    gh: Github
    token: str
    installation_id: int


def sign_in_as_app(
    app_id: str,
    private_key: str,
    repo: str,
    *,
    installation_id: int | None = None,
    base_url: str | None = None,
    names: AppInputs = AppInputs(),
    **options: Any,
) -> AppSignIn:
    """Sign in as the GitHub App's installation on `repo` (`owner/name`), as a workflow
    signs in with an App rather than its GITHUB_TOKEN.

    Without `installation_id` it is found from the repository
    (`GET /repos/{owner}/{repo}/installation`, asked with the App's JWT); the token is
    minted at once (`POST /app/installations/{id}/access_tokens`), so a bad key, a wrong
    App ID or an App not installed on the repository fails here, naming the setting to
    fix (`names`). The client writes as the App (`<slug>[bot]`, `token_writer`).
    Raises QuarterdeckError (GitHubError when GitHub refused).
    """
    app_id = app_id.strip()
    if not app_id or any(c.isspace() for c in app_id):
        raise QuarterdeckError(
            f"{names.app_id} is {'empty' if not app_id else 'not one word'}: give the App ID "
            "shown on the GitHub App's settings page (a number, e.g. 123456)"
        )
    # A key pasted into a one-line variable often arrives with literal \n for its breaks.
    if "\n" not in private_key and "\\n" in private_key:
        private_key = private_key.replace("\\n", "\n")
    register(private_key)
    integration = connect_integration(app_id, private_key, base_url=base_url, **options)
    try:
        integration.auth.create_jwt()
    except Exception as exc:  # PyJWT and cryptography raise several kinds for a bad key
        raise QuarterdeckError(
            f"{names.private_key} is not a usable RSA private key ({type(exc).__name__}): give "
            "the whole .pem file generated on the GitHub App's settings page, from "
            "-----BEGIN to -----END"
        ) from None
    refused = (
        f"check {names.app_id} ({app_id}) and that {names.private_key} is that App's key "
        "(the App's settings page lists its keys)"
    )
    if installation_id is None:
        owner, _, name = repo.partition("/")
        doing = f"finding the App's installation on {repo} (GET /repos/{repo}/installation)"
        installation_id = _as_app(
            lambda: int(integration.get_repo_installation(owner, name).id),
            doing,
            refused,
            not_found=f"the GitHub App {app_id} is not installed on {repo} (GitHub answered "
            f"404 while {doing}): install it on that repository from the App's page "
            f"(Install App), or set {names.installation_id}",
        )
    gh = integration.get_github_for_installation(installation_id)
    auth = gh.requester.auth
    assert auth is not None  # PyGithub signs an installation's client in as it makes it
    doing = (
        f"minting a token for installation {installation_id} "
        f"(POST /app/installations/{installation_id}/access_tokens)"
    )
    token = _as_app(
        lambda: str(auth.token),
        doing,
        refused,
        not_found=f"GitHub answered 404 while {doing}: the App {app_id} has no installation "
        f"{installation_id}; check {names.installation_id}, or leave it empty so it is "
        f"found from {repo}",
    )
    setattr(gh, _APP_LOGIN, _app_login_once(integration))
    return AppSignIn(gh, token, installation_id)


def _as_app(call: Callable[[], _T], doing: str, refused: str, *, not_found: str) -> _T:
    """`call()`, a request signed with the App's JWT, with GitHub's and the network's
    errors told as the user's next step: `not_found` for a 404, the settings to check
    (`refused`) for a 401."""
    try:
        return call()
    except GithubException as exc:
        if exc.status == 404:
            raise GitHubNotFound(not_found, 404) from None
        if exc.status == 401:
            raise _refused_jwt(exc, doing, refused) from None
        raise github_error(exc, doing) from None
    except requests.RequestException as exc:
        raise unreachable(exc, doing) from None


def _refused_jwt(exc: GithubException, doing: str, what_to_check: str) -> GitHubRefused:
    """GitHub's 401 to the App's JWT: its words, and which settings to check."""
    data = exc.data if isinstance(exc.data, dict) else {}
    said = str(data.get("message") or "Bad credentials")
    return GitHubRefused(
        f"GitHub refused the App's credentials (401 while {doing}: {said}); {what_to_check}",
        401,
    )


# The attribute `sign_in_as_app` sets on an App's client: how to ask its login.
_APP_LOGIN = "_quarterdeck_app_login"


def _app_login_once(integration: GithubIntegration) -> Callable[[], str]:
    """The App's `<slug>[bot]`, asked of `GET /app` the first time it is needed."""
    known: list[str] = []

    def login() -> str:
        if not known:
            with translated("asking GitHub for the App's own name (GET /app)"):
                slug = integration.get_app().slug
            if not slug:
                raise GitHubError(
                    "GitHub's answer to GET /app carried no slug; re-run, or report it"
                )
            known.append(app_login(slug))
        return known[0]

    return login


def connect_integration(
    app_id: int | str, private_key: str, *, base_url: str | None = None, **options: Any
) -> GithubIntegration:
    """A client acting as the GitHub App itself (its JWT): lists installations, mints
    installation tokens. The key and every JWT are registered with the redactor."""
    register(private_key)
    route_library_logs()
    return GithubIntegration(
        auth=_RegisteredAppAuth(app_id, private_key), **_options(base_url, options)
    )


class _RegisteredAppAuth(Auth.AppAuth):
    """PyGithub's App auth, registering each JWT with the redactor as it is signed, and
    handing out installation auths that register each installation token as it is got."""

    def create_jwt(self, expiration: int | None = None) -> str:
        jwt = super().create_jwt(expiration)
        register_minted(jwt)
        return jwt

    def get_installation_auth(
        self,
        installation_id: int,
        token_permissions: dict[str, str] | None = None,
        requester: Requester | None = None,
    ) -> Auth.AppInstallationAuth:
        return _RegisteredInstallationAuth(self, installation_id, token_permissions, requester)


class _RegisteredInstallationAuth(Auth.AppInstallationAuth):
    """An installation's auth whose token (fetched, and refreshed near its expiry, by
    PyGithub) is registered with the redactor before any request carries it."""

    @property
    def token(self) -> str:
        token = super().token
        register_minted(token)
        return token


def _options(base_url: str | None, options: dict[str, Any]) -> dict[str, Any]:
    register_url(base_url)  # a GitHub Enterprise URL may carry a password
    if base_url is not None:
        problem = http_url_problem("GITHUB_API_URL", base_url, DEFAULT_API_URL)
        if problem:
            raise QuarterdeckError(problem)
    settings: dict[str, Any] = {
        "base_url": (base_url or DEFAULT_API_URL).rstrip("/"),
        "user_agent": USER_AGENT,
        "per_page": PER_PAGE,
        "retry": retry_policy(),
        "timeout": 30,
        **PACING,
    }
    settings.update(options)
    return settings


def graphql(gh: Github, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Run a GraphQL *read*: not spaced out like a write, although it is a POST.

    PyGithub waits `seconds_between_writes` (1 s by default, GitHub's advice for
    content-creating requests) before every POST, GraphQL queries included; a month
    of 1,000 PRs would spend most of its time asleep. Reads go through a twin
    requester that keeps every other setting (auth, retries, timeouts) but that one.
    """
    _, data = _reader(gh).graphql_query(query, variables)
    return data


def _reader(gh: Github) -> Requester:
    requester = gh.requester
    twin = getattr(requester, "_quarterdeck_reader", None)
    if twin is None:
        twin = Requester(**{**requester.kwargs, "seconds_between_writes": None})
        requester._quarterdeck_reader = twin  # type: ignore[attr-defined]
    return twin


def token_writer(gh: Github, *, in_actions: bool) -> Callable[[], str]:
    """The login a token client `gh` writes as, asked once and only when first needed.

    A personal token writes as its user (`GET /user`). An Actions GITHUB_TOKEN can't
    read `/user` (GitHub answers 403): in Actions (`in_actions`, the entry point's
    `GITHUB_ACTIONS=true`) that refusal means the token is the workflow's, which writes
    as `github-actions[bot]`. Anywhere else a refusal leaves Quarterdeck unable to tell
    its own comments and issues from other bots', so it stops with a `QuarterdeckError`
    rather than guess; an App's installations know their login (`app_identity`).
    """
    app_login_of: Callable[[], str] | None = getattr(gh, _APP_LOGIN, None)
    if app_login_of is not None:  # signed in as an App (`sign_in_as_app`): it writes as the App
        return app_login_of
    known: list[str] = []

    def login() -> str:
        if not known:
            known.append(_token_login(gh, in_actions))
        return known[0]

    return login


def _token_login(gh: Github, in_actions: bool) -> str:
    try:
        return str(gh.get_user().login)
    except GithubException as exc:
        # 403 "Resource not accessible by integration": an installation's token, which
        # the workflow's GITHUB_TOKEN is. A 401 is a bad token, reported as one below.
        if exc.status == 403 and in_actions:
            return ACTIONS_BOT
        if exc.status == 403:
            raise QuarterdeckError(
                "GitHub answered 403 to GET /user, so Quarterdeck can't tell which "
                "account this token writes as, and it edits only what that account wrote; "
                "use a personal access token, or run in GitHub Actions with its GITHUB_TOKEN"
            ) from None
        raise github_error(exc, "asking which account the token writes as (GET /user)") from None
    except requests.RequestException as exc:
        raise unreachable(exc, "asking which account the token writes as (GET /user)") from None


def app_identity(
    app_id: int | str, private_key: str, *, base_url: str | None = None, **options: Any
) -> str:
    """The login the App's installations write as: `<slug>[bot]`, from `GET /app` asked
    with the App's JWT (the slug is the App's, whatever its installations)."""
    return _app_login_once(connect_integration(app_id, private_key, base_url=base_url, **options))()


def library_logger() -> logging.Logger:
    """PyGithub's logger, after PyGithub set it up (it adds a handler on import)."""
    return logging.getLogger("github")


def route_library_logs() -> None:
    """Send PyGithub's log lines through the entry point's handlers only.

    PyGithub adds its own stderr handler when imported, and its retry logic logs a
    refused answer's body at INFO: through that handler the line would be printed raw,
    past the redaction filter (and a second time). Without it, the lines propagate to
    the root logger's handlers, which redact (the CLI's and the App's alike).
    """
    library_logger().handlers[:] = [
        h for h in library_logger().handlers if type(h) is not logging.StreamHandler
    ]
