"""App settings from the environment, loaded once at start-up and validated.

A missing or malformed variable stops the server with a message that names it.
Secret values are wrapped in pydantic's `SecretStr`, whose repr and str never show the value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from quarterdeck.core.outbound_policy import OutboundPolicy, policy_from_env
from quarterdeck.core.settings_rules import http_url_problem, webhook_secret_problem
from quarterdeck.errors import QuarterdeckError
from quarterdeck.redact import register

DEFAULT_MAX_BODY = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
DEFAULT_DELIVERY_TTL = 7 * 24 * 3600
# Seconds a request's headers and body may take to arrive in full; GitHub sends a
# delivery in well under one, so only stalled or hostile clients reach it.
DEFAULT_READ_TIMEOUT = 10
# The App's state (the delivery journal and the locks without Redis) lives in one
# directory, never in whatever folder `serve` happens to start in.
STATE_DIR_ENV = "QUARTERDECK_STATE_DIR"
DELIVERIES_FILE = "deliveries.sqlite3"  # in the state directory
_T = TypeVar("_T")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.+-----END [A-Z ]*PRIVATE KEY-----", re.S)


class SettingsError(QuarterdeckError):
    """An environment variable the App needs is missing or malformed."""


@dataclass(frozen=True)
class Settings:
    """Everything the App reads from its environment."""

    webhook_secret: SecretStr
    app_id: int | None = None
    private_key: SecretStr | None = None
    redis_url: SecretStr | None = None  # may carry a password
    github_api_url: str | None = None
    state_dir: Path = field(default_factory=lambda: default_state_dir(os.environ))
    deliveries_db: Path = field(
        default_factory=lambda: default_state_dir(os.environ) / DELIVERIES_FILE
    )
    delivery_ttl: int = DEFAULT_DELIVERY_TTL
    max_body_bytes: int = DEFAULT_MAX_BODY
    read_timeout: int = DEFAULT_READ_TIMEOUT
    create_labels: bool = False
    config_ttl: float = 60.0
    # installation id -> (the variable holding its PostHog key, the key); see `_posthog_keys`
    posthog_keys: Mapping[int, tuple[str, SecretStr]] = field(default_factory=dict)
    posthog_policy: OutboundPolicy = field(default_factory=OutboundPolicy)
    # installation id -> (the variable holding its warehouse URL, the URL)
    warehouse_urls: Mapping[int, tuple[str, SecretStr]] = field(default_factory=dict)
    # installation id -> (the variable holding its Slack bot token, the token)
    slack_tokens: Mapping[int, tuple[str, SecretStr]] = field(default_factory=dict)
    metrics_token: SecretStr | None = None  # GET /metrics wants `Bearer <it>` when set

    @property
    def redis_display(self) -> str | None:
        """REDIS_URL without its password, for logs."""
        if self.redis_url is None:
            return None
        parts = urlsplit(self.redis_url.get_secret_value())
        if parts.password is None:
            return parts.geturl()
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def redis_unusable(self, exc: Exception) -> SettingsError:
        """The error for a Redis that refuses or cannot be reached: a message, not a
        traceback; the URL without its password, Redis's words through the redactor."""
        return SettingsError(
            f"cannot use Redis at {self.redis_display} ({exc}); check REDIS_URL and "
            "that Redis is running"
        )

    def secrets(self) -> list[str]:
        """Every secret value (registered with the redactor by `load_settings`)."""
        values = [self.webhook_secret, self.private_key, self.redis_url, self.metrics_token]
        values += [key for _, key in self.posthog_keys.values()]
        values += [url for _, url in self.warehouse_urls.values()]
        values += [token for _, token in self.slack_tokens.values()]
        found = [s.get_secret_value() for s in values if s is not None and s.get_secret_value()]
        if self.redis_url is not None:
            password = urlsplit(self.redis_url.get_secret_value()).password
            if password:
                found.append(password)
        return found


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    require_app: bool = True,
    require_redis: bool = False,
    redis_for: str = "",
) -> Settings:
    """Read and validate the App's settings from `env` (default: `os.environ`).

    `require_app=False` lets a test or a dry run go without the App id and key
    (nothing can then reach GitHub); the webhook secret is always required.
    `require_redis=True` (`worker`, `schedule`) counts a missing REDIS_URL among the
    problems, saying it is needed because `redis_for`.
    Raises SettingsError naming every missing or malformed variable, one per line,
    never quoting a secret.
    """
    env = os.environ if env is None else env
    problems: list[str] = []

    def checked(read: Callable[..., _T], *args: Any, default: Any = None) -> _T:
        # Each setting is read on its own, so one message lists every problem.
        try:
            return read(*args)
        except SettingsError as exc:
            problems.append(str(exc))
            return cast(_T, default)

    secret = checked(_webhook_secret, env.get("QUARTERDECK_WEBHOOK_SECRET", ""), default="")
    app_id = checked(_app_id, env.get("QUARTERDECK_APP_ID", ""), require_app)
    key = checked(_private_key, env, require_app)
    redis_url = checked(_redis_url, env.get("REDIS_URL", ""), require_redis, redis_for)
    api_url = checked(_api_url, env.get("GITHUB_API_URL", ""))
    delivery_ttl = checked(
        _positive_int, env, "QUARTERDECK_DELIVERY_TTL", DEFAULT_DELIVERY_TTL, default=0
    )
    max_body = checked(
        _positive_int, env, "QUARTERDECK_MAX_BODY_BYTES", DEFAULT_MAX_BODY, default=0
    )
    read_timeout = checked(
        _positive_int, env, "QUARTERDECK_READ_TIMEOUT", DEFAULT_READ_TIMEOUT, default=0
    )
    create_labels = checked(_flag, env, "QUARTERDECK_CREATE_LABELS", default=False)
    config_ttl = checked(_positive_int, env, "QUARTERDECK_CONFIG_TTL", 60, default=0)
    posthog_keys = checked(_posthog_keys, env, default={})
    posthog_policy = checked(_posthog_policy, env, default=OutboundPolicy())
    warehouse_urls = checked(_warehouse_urls, env, default={})
    slack_tokens = checked(_slack_tokens, env, default={})
    metrics_token = checked(_metrics_token, env.get(METRICS_TOKEN_ENV, ""))
    state_dir = checked(_state_dir, env, default=Path())
    deliveries_db = checked(_deliveries_db, env, state_dir, default=Path())
    if problems:
        if len(problems) == 1:
            raise SettingsError(problems[0])
        raise SettingsError(
            f"{len(problems)} settings are missing or invalid:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    settings = Settings(
        webhook_secret=SecretStr(secret),
        app_id=app_id,
        private_key=key,
        redis_url=redis_url,
        github_api_url=api_url,
        state_dir=state_dir,
        deliveries_db=deliveries_db,
        delivery_ttl=delivery_ttl,
        max_body_bytes=max_body,
        read_timeout=read_timeout,
        create_labels=create_labels,
        config_ttl=float(config_ttl),
        posthog_keys=posthog_keys,
        posthog_policy=posthog_policy,
        warehouse_urls=warehouse_urls,
        slack_tokens=slack_tokens,
        metrics_token=metrics_token,
    )
    register(*settings.secrets())  # from now on, no message, log or answer shows them
    return settings


def _webhook_secret(text: str) -> str:
    if not text.strip():
        raise SettingsError(
            "QUARTERDECK_WEBHOOK_SECRET is not set: the server refuses to start without the "
            "webhook secret (the one entered when registering the GitHub App), because it "
            "could not tell GitHub's deliveries from forged ones"
        )
    register(text)  # before any message could quote it
    weak = webhook_secret_problem("QUARTERDECK_WEBHOOK_SECRET", text)
    if weak:
        raise SettingsError(weak)
    return text


METRICS_TOKEN_ENV = "QUARTERDECK_METRICS_TOKEN"  # noqa: S105 (a variable name)
MIN_METRICS_TOKEN = 16


def _metrics_token(text: str) -> SecretStr | None:
    text = text.strip()
    if not text:
        return None  # /metrics is open: keep it off the public proxy (SECURITY.md)
    register(text)
    if len(text) < MIN_METRICS_TOKEN or re.search(r"[\s\x00-\x1f\x7f]", text):
        raise SettingsError(
            f"{METRICS_TOKEN_ENV} must be at least {MIN_METRICS_TOKEN} characters without "
            "spaces (e.g. `openssl rand -hex 32`); Prometheus sends it as "
            "`Authorization: Bearer <token>`"
        )
    return SecretStr(text)


def _app_id(text: str, required: bool) -> int | None:
    text = text.strip()
    if not text:
        if required:
            raise SettingsError(
                "QUARTERDECK_APP_ID is not set: copy the App ID from the GitHub App's settings page"
            )
        return None
    if not text.isdigit():
        # The value is not echoed: next to the key and the secret, a mix-up is likely.
        raise SettingsError(
            "QUARTERDECK_APP_ID must be a number (the App ID from the GitHub App's settings "
            "page); it holds something else"
        )
    return int(text)


def _private_key(env: Mapping[str, str], required: bool) -> SecretStr | None:
    inline = env.get("QUARTERDECK_PRIVATE_KEY", "")
    path = env.get("QUARTERDECK_PRIVATE_KEY_FILE", "").strip()
    if inline.strip() and path:
        raise SettingsError(
            "both QUARTERDECK_PRIVATE_KEY and QUARTERDECK_PRIVATE_KEY_FILE are set: keep one"
        )
    name = "QUARTERDECK_PRIVATE_KEY"
    if path:
        name = "QUARTERDECK_PRIVATE_KEY_FILE"
        try:
            inline = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(
                f"QUARTERDECK_PRIVATE_KEY_FILE={path}: cannot read it ({exc.strerror}); "
                "point it at the .pem file downloaded from the GitHub App's settings"
            ) from None
    if not inline.strip():
        if required:
            raise SettingsError(
                "QUARTERDECK_PRIVATE_KEY or QUARTERDECK_PRIVATE_KEY_FILE must be set: generate a "
                "private key on the GitHub App's settings page"
            )
        return None
    key = inline.strip().replace("\\n", "\n")  # a key pasted into one env line
    if not _PEM.search(key):
        raise SettingsError(
            f"{name} does not hold a PEM private key (-----BEGIN ... PRIVATE KEY-----); "
            "use the .pem file GitHub generated"
        )
    return SecretStr(key)


def _redis_url(text: str, required: bool = False, needed_for: str = "") -> SecretStr | None:
    text = text.strip()
    if not text:
        if required:
            raise SettingsError(
                f"REDIS_URL is not set: {needed_for or 'this command needs Redis'}; "
                "set it to the Redis `quarterdeck serve` enqueues to, e.g. redis://redis:6379/0"
            )
        return None
    register(text)  # it may carry a password: no message below quotes it anyway
    wanted = (
        "REDIS_URL must look like redis://host:6379/0 (or rediss://, unix://); "
        "unset it to run without Redis"
    )
    if re.search(r"[\s\x00-\x1f\x7f]", text):
        raise SettingsError(f"{wanted}; it holds spaces or a line break")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise SettingsError(f"{wanted}; its host or port cannot be read") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(wanted)
    if parts.scheme != "unix" and not parts.hostname:
        raise SettingsError(f"{wanted}; it names no host")
    if parts.password:
        register(parts.password)
    return SecretStr(text)


def _api_url(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    problem = http_url_problem("GITHUB_API_URL", text, "https://api.github.com")
    if problem:
        raise SettingsError(problem)
    return text.rstrip("/")


def default_state_dir(env: Mapping[str, str]) -> Path:
    """Where the App keeps its state when QUARTERDECK_STATE_DIR is not set: the XDG
    state directory, `$XDG_STATE_HOME/quarterdeck` (`~/.local/state/quarterdeck`)."""
    xdg = env.get("XDG_STATE_HOME", "").strip()
    # The XDG spec ignores a relative XDG_STATE_HOME; so do we.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "quarterdeck"
    home = env.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".local" / "state" / "quarterdeck"


def _state_dir(env: Mapping[str, str]) -> Path:
    text = env.get(STATE_DIR_ENV, "").strip()
    if not text:
        try:
            return default_state_dir(env)
        except RuntimeError:  # no HOME and no passwd entry (a container's arbitrary uid)
            raise SettingsError(
                f"{STATE_DIR_ENV} is not set and this user has no home directory to keep "
                "state in; set it to a directory the App may write, e.g. /var/lib/quarterdeck"
            ) from None
    path = Path(text).expanduser()
    if not path.is_absolute():
        # A relative path would depend on the folder the process starts in.
        raise SettingsError(
            f"{STATE_DIR_ENV} must be an absolute path (such as /var/lib/quarterdeck), not {text!r}"
        )
    return path


def _deliveries_db(env: Mapping[str, str], state_dir: Path) -> Path:
    text = env.get("QUARTERDECK_DELIVERIES_DB", "").strip()
    # Still honoured, as before: relative to the working directory when relative.
    return Path(text).expanduser() if text else state_dir / DELIVERIES_FILE


OLD_DELIVERIES_DB = "quarterdeck-deliveries.sqlite3"  # before QUARTERDECK_STATE_DIR: in the cwd


def old_journal_notice(settings: Settings, cwd: Path, env: Mapping[str, str]) -> str | None:
    """A notice for an upgrade: the journal an older version kept in the working
    directory is there and no longer used (its deliveries not yet done would be lost)."""
    old = cwd / OLD_DELIVERIES_DB
    if env.get("QUARTERDECK_DELIVERIES_DB", "").strip() or not old.is_file():
        return None
    return (
        f"{old} is the delivery journal of an older version, no longer used: this one "
        f"keeps it in {settings.deliveries_db}. To keep the deliveries it holds, stop the "
        f"App and move the file there, or set QUARTERDECK_DELIVERIES_DB={old}"
    )


def prepare_state_dir(settings: Settings) -> None:
    """Create the state directory (owner-only, 0700) before a SQLite file is opened in
    it; a directory that exists is left as it is. Raises SettingsError naming it when it
    cannot be made or written."""
    path = settings.state_dir
    if settings.deliveries_db.parent != path:
        return  # QUARTERDECK_DELIVERIES_DB points elsewhere: nothing is kept here
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(
            f"{STATE_DIR_ENV}={path}: cannot create it ({exc.strerror}); create it writable "
            f"by this user (mode 0700), or point {STATE_DIR_ENV} at one that is"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise SettingsError(
            f"{STATE_DIR_ENV}={path}: this user cannot write to it; give the user running "
            f"the App ownership of it (mode 0700), or point {STATE_DIR_ENV} elsewhere"
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) == 0:
        raise SettingsError(f"{name} must be a positive whole number, not {text!r}")
    return int(text)


def _flag(env: Mapping[str, str], name: str) -> bool:
    text = env.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, not {text!r}")


# --------------------------------------------------------------------------- outbound
# Where metric queries may go and with which key: the operator's settings, never a
# repository's config (SECURITY.md, "A config naming where a key goes").

POSTHOG_KEYS_ENV = "QUARTERDECK_POSTHOG_KEYS"
WAREHOUSE_URLS_ENV = "QUARTERDECK_WAREHOUSE_URLS"
SLACK_TOKENS_ENV = "QUARTERDECK_SLACK_TOKENS"
_VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]*")


def _posthog_policy(env: Mapping[str, str]) -> OutboundPolicy:
    # QUARTERDECK_POSTHOG_HOSTS and QUARTERDECK_POSTHOG_ALLOW_PRIVATE (core.outbound_policy)
    try:
        return policy_from_env(env)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _posthog_keys(env: Mapping[str, str]) -> dict[int, tuple[str, SecretStr]]:
    """QUARTERDECK_POSTHOG_KEYS: a JSON object, inline or in the file it names, mapping
    installation ids to the environment variable holding that installation's own
    PostHog personal API key, e.g. `{"4242": "ACME_POSTHOG_KEY"}`. Unset: no
    installation gets PostHog figures. The operator's own POSTHOG_PERSONAL_API_KEY is
    never one of them (the CLI's and the Action's key is the person's running them)."""
    return _per_installation(
        env, POSTHOG_KEYS_ENV, "PostHog key", "ACME_POSTHOG_KEY", "POSTHOG_PERSONAL_API_KEY"
    )


def _warehouse_urls(env: Mapping[str, str]) -> dict[int, tuple[str, SecretStr]]:
    """QUARTERDECK_WAREHOUSE_URLS: like QUARTERDECK_POSTHOG_KEYS, installation ids to the
    variable holding that installation's own warehouse URL, e.g.
    `{"4242": "ACME_WAREHOUSE_URL"}`. Unset: no installation gets `sql:` figures; a
    config's `warehouse.url_env` never picks a variable of the App's environment."""
    return _per_installation(
        env, WAREHOUSE_URLS_ENV, "warehouse URL", "ACME_WAREHOUSE_URL", "QUARTERDECK_WAREHOUSE_URL"
    )


def _slack_tokens(env: Mapping[str, str]) -> dict[int, tuple[str, SecretStr]]:
    """QUARTERDECK_SLACK_TOKENS: like QUARTERDECK_POSTHOG_KEYS, installation ids to the
    variable holding that installation's own Slack bot token, e.g.
    `{"4242": "ACME_SLACK_TOKEN"}`. Unset: no installation's review is shared in Slack;
    the CLI's QUARTERDECK_SLACK_TOKEN is never one of them, so one installation's config
    can't post with another's workspace token."""
    return _per_installation(
        env, SLACK_TOKENS_ENV, "Slack bot token", "ACME_SLACK_TOKEN", "QUARTERDECK_SLACK_TOKEN"
    )


def _per_installation(
    env: Mapping[str, str], setting: str, what: str, example: str, shared: str
) -> dict[int, tuple[str, SecretStr]]:
    """installation id -> (variable, its secret value) from the JSON object `setting`
    holds, inline or in the file it names; `shared` (the CLI's own variable) refused."""
    text = env.get(setting, "").strip()
    if not text:
        return {}
    sample = f'{{"4242": "{example}"}}'
    where = setting
    if not text.startswith(("{", "[")):  # else the path of a file holding the JSON
        where = f"{setting}={text}"
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise SettingsError(
                f"{where}: cannot read it ({exc.strerror}); give a JSON object such as "
                f"{sample} or the path of a file holding one"
            ) from None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SettingsError(
            f"{where} is not a JSON object; map installation ids to the variables holding "
            f"their {what}s, e.g. {sample}"
        )
    found: dict[int, tuple[str, SecretStr]] = {}
    for installation, variable in data.items():
        if not str(installation).isdigit():
            raise SettingsError(f"{where}: {installation!r} is not an installation id (a number)")
        if not isinstance(variable, str) or not _VARIABLE.fullmatch(variable):
            raise SettingsError(
                f"{where}: installation {installation} must map to the name of an environment "
                f"variable holding its {what} (such as {example}), not the {what} itself"
            )
        if variable == shared:
            raise SettingsError(
                f"{where}: installation {installation} maps to {shared}; give "
                f"each installation a {what} of its own, in a variable of its own"
            )
        value = env.get(variable, "").strip()
        if not value:
            raise SettingsError(
                f"{where}: installation {installation} maps to {variable}, which is not set"
            )
        found[int(installation)] = (variable, SecretStr(value))
    return found
