"""Slack's Web API through `slack_sdk`: post a message, update it, reply in its thread.

The one place Quarterdeck talks to Slack. The bot token comes only from the
environment (`TOKEN_ENV`), is registered with the redactor as soon as it is read, and
is never in a message this module raises. `slack_sdk` is the `[slack]` extra and is
imported only when a team has a channel, so a review without Slack never needs it.

Every failure becomes a `SlackFailure` that says what happened, where, and what to do;
the caller (`services.slack_share`) turns it into a note, so Slack never stops a review.
Rate limits are retried once by slack_sdk's own `RateLimitErrorRetryHandler`, but only
when Slack asks for a short wait (`MAX_RETRY_AFTER`): a review is never held for minutes.
Connection errors are retried once by its `ConnectionErrorRetryHandler`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quarterdeck.core.review.slack_overview import SLACK_TOKEN_ENV
from quarterdeck.errors import QuarterdeckError
from quarterdeck.redact import register

if TYPE_CHECKING:
    from slack_sdk import WebClient

__all__ = [
    "API_URL_ENV",
    "MAX_RETRY_AFTER",
    "TOKEN_ENV",
    "Posted",
    "SlackClient",
    "SlackFailure",
    "slack_from_env",
]

TOKEN_ENV = SLACK_TOKEN_ENV
# Another Web API root (a proxy, a test's fake): the token goes there, so it is read
# only from the same environment the token is.
API_URL_ENV = "QUARTERDECK_SLACK_API_URL"
_CODE = re.compile(r"[a-z_]{1,64}")  # Slack's error codes: `channel_not_found`
MAX_RETRY_AFTER = 30  # seconds: a longer Retry-After is reported, not waited out
TIMEOUT = 15  # seconds per request

# What to do about each error Slack answers, in words a person acts on.
_ADVICE = {
    "channel_not_found": "check the team's `slack.channel` in the config (the channel's id, "
    "C0123ABCD, from its details, is safest) and that the bot can see the channel",
    "not_in_channel": "invite the bot to the channel (`/invite @<your app>` in the channel)",
    "is_archived": "unarchive the channel or point the team's `slack.channel` at another one",
    "invalid_auth": f"{TOKEN_ENV} is not a valid bot token: copy the Bot User OAuth Token "
    "(xoxb-…) from the Slack app's OAuth & Permissions page",
    "not_authed": f"set {TOKEN_ENV} to the Slack app's Bot User OAuth Token (xoxb-…)",
    "token_revoked": f"the token in {TOKEN_ENV} was revoked: reinstall the Slack app and "
    "set the new Bot User OAuth Token",
    "account_inactive": f"the token in {TOKEN_ENV} belongs to a deactivated app or user: "
    "reinstall the Slack app",
    "missing_scope": "add the `chat:write` scope to the Slack app and reinstall it",
    "ratelimited": "Slack is rate-limiting this app; the next run posts or updates the overview",
    "msg_too_long": "the overview is too long for Slack; report this as a Quarterdeck bug",
}


class SlackFailure(QuarterdeckError):
    """Slack refused a request or could not be reached; the message says what to do."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error  # Slack's error code ("channel_not_found"), or "network"


@dataclass(frozen=True)
class Posted:
    """A message Slack holds: its channel's id and its timestamp (Slack's message id)."""

    channel: str
    ts: str


class SlackClient:
    """A bot's view of Slack's Web API: post, update, reply (`slack_sdk.WebClient`)."""

    def __init__(self, token: str, *, base_url: str | None = None) -> None:
        register(token)
        self._token = token
        self._base_url = base_url
        self._client: WebClient | None = None

    def __repr__(self) -> str:  # never the token
        return f"SlackClient(base_url={self._base_url!r})"

    def _web(self) -> WebClient:
        if self._client is None:
            self._client = _web_client(self._token, self._base_url)
        return self._client

    def post(
        self, channel: str, text: str, blocks: list[dict[str, Any]], *, thread_ts: str = ""
    ) -> Posted:
        """`chat.postMessage`: a new message (in `thread_ts`'s thread when given)."""
        what = f"posting to Slack channel {channel}"
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        answer = self._call(
            what,
            lambda web: web.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                # Plain text stays plain: no @-mention, channel link or unfurl by accident.
                link_names=False,
                parse="none",
                unfurl_links=False,
                unfurl_media=False,
                **extra,
            ),
        )
        return Posted(str(answer.get("channel") or channel), str(answer["ts"]))

    def update(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        """`chat.update`: rewrite the message `ts` of `channel` in place."""
        answer = self._call(
            f"updating Slack message {ts} in channel {channel}",
            lambda web: web.chat_update(
                channel=channel, ts=ts, text=text, blocks=blocks, link_names=False, parse="none"
            ),
        )
        return Posted(str(answer.get("channel") or channel), str(answer.get("ts") or ts))

    def _call(self, what: str, call: Any) -> Mapping[str, Any]:
        try:
            from slack_sdk.errors import SlackApiError, SlackClientError
        except ImportError:
            raise SlackFailure(
                f"{what}: slack_sdk is not installed; install quarterdeck[slack] "
                "(`pip install 'quarterdeck[slack]'`) where reviews are published",
                "not_installed",
            ) from None
        try:
            response = call(self._web())
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            code = str(error) if isinstance(error, str) and _CODE.fullmatch(error) else ""
            if status == 429:
                code = "ratelimited"
            if code:
                advice = _ADVICE.get(code, "see https://api.slack.com/methods for what it means")
            else:
                # Not Slack's JSON (a proxy's or an outage's page): its words are not quoted.
                code = f"HTTP {status}"
                advice = (
                    "that is not Slack's answer (an outage or a proxy): see "
                    "https://status.slack.com; the next run posts or updates the overview"
                )
            raise SlackFailure(f"{what}: Slack answered {code}; {advice}", code) from None
        except (SlackClientError, OSError) as exc:
            raise SlackFailure(
                f"{what}: could not reach Slack ({type(exc).__name__}); check the network "
                "and https://status.slack.com, the next run posts or updates the overview",
                "network",
            ) from None
        return response.data if isinstance(response.data, dict) else {}


def _web_client(token: str, base_url: str | None) -> WebClient:
    """A WebClient with slack_sdk's retry handlers: one retry on a connection error, one
    on a rate limit whose Retry-After is short."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )

    class ShortRateLimitRetry(RateLimitErrorRetryHandler):
        """Retry a 429 only when Slack asks for at most MAX_RETRY_AFTER seconds."""

        def _can_retry(
            self, *, state: Any, request: Any, response: Any = None, error: Any = None
        ) -> bool:
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            wait = _retry_after(response.headers)
            return wait is not None and wait <= MAX_RETRY_AFTER

    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return WebClient(
        token=token,
        timeout=TIMEOUT,
        retry_handlers=[ConnectionErrorRetryHandler(), ShortRateLimitRetry(max_retry_count=1)],
        **kwargs,
    )


def _retry_after(headers: Mapping[str, Any]) -> int | None:
    """The Retry-After seconds of a response's headers (slack_sdk lists each value)."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            first = value[0] if isinstance(value, list | tuple) and value else value
            try:
                return int(str(first))
            except ValueError:
                return None
    return None


def slack_from_env(env: Mapping[str, str]) -> SlackClient | None:
    """The bot's client from `env` (`TOKEN_ENV`, and `API_URL_ENV` if set); None without
    a token."""
    token = (env.get(TOKEN_ENV) or "").strip()
    if not token:
        return None
    base = (env.get(API_URL_ENV) or "").strip() or None
    if base and not base.endswith("/"):
        base += "/"  # slack_sdk joins the method name onto it
    return SlackClient(token, base_url=base)
