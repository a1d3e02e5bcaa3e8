"""The Slack overview of a review, the decision's thread reply, and where both are
remembered. Pure.

The overview is short on purpose: the headline figures, what to discuss, and the
link to the review issue, which stays the record. Every piece of user text (a team's
slug, a metric's title, a question, the lead's notes) is escaped for Slack (`&`, `<`,
`>`), so nothing in it becomes a link, a channel-wide or personal mention, or markup
Slack acts on; logins are shown as plain text, never as mentions.

Where a message is remembered: one hidden-marker comment of Quarterdeck's on the review
issue (`slack_tag` finds it, `slack_record` holds the channel, the message's ts and a
digest of what was posted, and the decision reply's ts and digest). It is written only
under the lock label of the team's Slack message (`slack_lock_scope`), so of concurrent
publishes exactly one posts and the others find its record and update (or skip, when the
digest says nothing changed). A comment, not the issue body: a concurrent publish
rewrites the body from what it read before the lock, and would drop a marker kept there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from quarterdeck.core.text.markers import marker, read_marker

__all__ = [
    "SLACK_TOKEN_ENV",
    "Figure",
    "Overview",
    "SlackMessage",
    "SlackRecord",
    "decision_message",
    "overview_message",
    "read_slack_record",
    "slack_comment",
    "slack_escape",
    "slack_lock_scope",
    "slack_tag",
]

# The Slack bot token the CLI and the Action post with (the App: the operator's
# per-installation mapping instead, QUARTERDECK_SLACK_TOKENS).
SLACK_TOKEN_ENV = "QUARTERDECK_SLACK_TOKEN"  # noqa: S105 (a variable's name, not a secret)
KIND = "slack"
RECORD_KIND = "slack-message"
MAX_QUESTIONS = 5
MAX_FIGURES = 6
MAX_FIELD = 300  # characters of one piece of user text in the overview
MAX_SECTION = 3_000  # Slack's limit on a section block's text


def slack_escape(text: str) -> str:
    """`text` as Slack shows it literally: `&`, `<`, `>` escaped (Slack's own rule), so
    `<!channel>`, `<@U123>` or `<https://x|y>` typed by anyone stays text."""
    text = text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Figure:
    """One headline figure: its title, its value as the review shows it, and a flag
    ("missed target", "unusual") or ""."""

    title: str
    value: str
    flag: str = ""


@dataclass(frozen=True)
class Overview:
    """What the overview says about one team's review."""

    team: str
    title: str  # the review issue's title
    url: str  # the review issue's URL
    shipped: int
    planned: int
    unplanned: int
    cycle_time: str  # "3.5 d (median, n=12)" or why there is none
    figures: tuple[Figure, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlackMessage:
    """A message as chat.postMessage takes it: the fallback text and Block Kit blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default=())

    @property
    def digest(self) -> str:
        """A short digest of the message, to tell an unchanged re-run (nothing to send)."""
        data = json.dumps([self.text, list(self.blocks)], sort_keys=True)
        return hashlib.sha256(data.encode()).hexdigest()[:16]


def _section(text: str) -> dict[str, Any]:
    # Slack refuses a section over 3,000 characters (`invalid_blocks`): cut, never fail.
    if len(text) > MAX_SECTION:
        text = text[: MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def overview_message(view: Overview) -> SlackMessage:
    """The overview: headline figures, what to discuss, and the link to the issue."""
    title = slack_escape(view.title)
    link = f"<{_url(view.url)}|{title}>"
    lines = [
        f"*{view.shipped}* PRs shipped ({view.planned} towards goals, {view.unplanned} unplanned)",
        f"Cycle time: {slack_escape(view.cycle_time)}",
    ]
    for figure in view.figures[:MAX_FIGURES]:  # flagged ones first (`overview_of`)
        flag = f" — _{slack_escape(figure.flag)}_" if figure.flag else ""
        lines.append(f"{slack_escape(figure.title)}: *{slack_escape(figure.value)}*{flag}")
    shown = view.figures[:MAX_FIGURES]
    discuss = [f"• {slack_escape(f.title)}: {slack_escape(f.flag)}" for f in shown if f.flag]
    discuss += [f"• {slack_escape(q)}" for q in view.questions[:MAX_QUESTIONS]]
    blocks: list[dict[str, Any]] = [
        _section(f"*{link}*"),
        _section("\n".join(lines)),
    ]
    if discuss:
        blocks.append(_section("*What to discuss*\n" + "\n".join(discuss)))
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "The lead decides in the issue; the decision is added to this "
                    "thread. Posted by Quarterdeck, updated when the review is.",
                    "verbatim": True,
                }
            ],
        }
    )
    text = f"{title}: {view.shipped} PRs shipped — {_url(view.url)}"
    return SlackMessage(text, tuple(blocks))


def decision_message(words: str, by: str, day: str, notes: str, url: str) -> SlackMessage:
    """The thread reply that carries the lead's decision (`words`: "continue as planned")."""
    line = f"*Decision*: {slack_escape(words)}, decided by {slack_escape(by)} on {day}."
    if notes:
        line += f"\n> {slack_escape(' '.join(notes.split()))}"
    line += f"\n<{_url(url)}|See the review issue>"
    return SlackMessage(f"Decision: {words} ({by}, {day})", (_section(line),))


def _url(url: str) -> str:
    # A URL is GitHub's (https://github.com/...), but `|` and `>` would still end Slack's
    # link syntax early: percent-encode them rather than trust the input.
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C").replace(" ", "%20")


def slack_lock_scope(slug: str, month: str) -> str:
    """The lock scope of one team's Slack message of one month (`core.converge.lock_name`)."""
    return f"slack:{month}:{slug}"


def slack_tag(slug: str, month: str) -> str:
    """The hidden marker that finds the one Slack-record comment of a review issue."""
    return marker(KIND, team=slug, month=month)


@dataclass(frozen=True)
class SlackRecord:
    """Where a review's overview was posted, and its decision reply (empty: none yet)."""

    channel: str
    ts: str
    digest: str
    decision_ts: str = ""
    decision_digest: str = ""

    def with_decision(self, ts: str, digest: str) -> SlackRecord:
        """This record with the decision reply `ts` (posted or updated) remembered."""
        return replace(self, decision_ts=ts, decision_digest=digest)


def read_slack_record(body: str | None) -> SlackRecord | None:
    """The record a Slack-record comment holds; None if it holds none (edited away)."""
    attrs = read_marker(body, RECORD_KIND)
    if not attrs or not attrs.get("channel") or not attrs.get("ts"):
        return None
    return SlackRecord(
        attrs["channel"],
        attrs["ts"],
        attrs.get("digest", ""),
        attrs.get("decision-ts", ""),
        attrs.get("decision-digest", ""),
    )


def slack_comment(slug: str, month: str, record: SlackRecord, channel_shown: str) -> str:
    """The Slack-record comment: its finding marker, the record, and a line for people."""
    attrs = {"channel": record.channel, "ts": record.ts, "digest": record.digest}
    if record.decision_ts:
        attrs |= {"decision-ts": record.decision_ts, "decision-digest": record.decision_digest}
    return (
        f"{slack_tag(slug, month)}\n{marker(RECORD_KIND, **attrs)}\n"
        f"Shared in Slack: an overview of this review is in `{channel_shown}`, updated when "
        "this issue is, and the lead's decision goes into its thread. Keep this comment: "
        "it is how Quarterdeck finds that message again (without it, the next run posts a "
        "new one).\n"
    )
