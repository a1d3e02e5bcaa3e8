"""Share a published review where the team talks: its overview in the team's Slack
channel, updated in place on re-runs, and the lead's decision in its thread.

Where the message is remembered, and why there: a hidden-marker comment of Quarterdeck's
on the review issue (`core.review.slack_overview`), read and written only under the
lock label `slack:<month>:<team>` (`sources.github.lock`), the same mechanism that makes
concurrent publishes open one issue. Of three runs at once, the first to hold the lock
posts and records the message's ts; the others, holding it in turn, read that record
and update in place (or send nothing when the digest says nothing changed). Slack's
own message metadata, found with `conversations.history`, has no such lock: two runs
can both look, both find nothing, and both post.

A Slack failure never stops or fails a review: every function here returns notes
(what happened, where, what to do) that the caller shows with the publish result, and
logs them. The token is the environment's (`sources.slack.TOKEN_ENV`) and redacted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from quarterdeck.core.review.decisions import Record
from quarterdeck.core.review.slack_overview import (
    Figure,
    Overview,
    SlackMessage,
    SlackRecord,
    decision_message,
    overview_message,
    read_slack_record,
    slack_comment,
    slack_lock_scope,
    slack_tag,
)
from quarterdeck.core.text.markers import read_marker
from quarterdeck.core.text.units import show_duration, show_value
from quarterdeck.errors import QuarterdeckError
from quarterdeck.sources.github.gateway import IssueGateway, RepoGateway, doing
from quarterdeck.sources.github.writes import Writer

if TYPE_CHECKING:
    from quarterdeck.services.review.view import TeamReview
    from quarterdeck.sources.slack import SlackClient

__all__ = ["overview_of", "share_decision", "share_review", "slack_for"]

log = logging.getLogger(__name__)
# A message Slack no longer has (deleted by a person): post a new one in its place.
_GONE = frozenset({"message_not_found", "cant_update_message"})


def slack_for(teams: Any, env: Any) -> SlackClient | None:
    """The Slack client for a run, from `env`, when any of `teams` has a channel; None
    otherwise (and slack_sdk is then never imported). `teams`: Team objects or None."""
    if not any(t is not None and t.slack_channel for t in teams):
        return None
    from quarterdeck.sources.slack import slack_from_env

    return slack_from_env(env)


def overview_of(review: TeamReview, url: str) -> Overview:
    """The overview's facts from a review: its headline figures and questions."""
    summary = review.summary
    cycle = summary.speed.cycle_time
    if cycle.available:
        cycle_text = f"{show_duration(cycle.median)} median (n={cycle.n})"  # type: ignore[union-attr]
    else:
        cycle_text = f"none ({cycle.reason})"  # type: ignore[union-attr]
    figures = []
    for figure in review.figures:
        if figure.unavailable:
            continue
        flag = ""
        if figure.target_met is False:
            flag = f"missed its target ({figure.metric.target})"
        elif figure.anomaly is not None:
            flag = "unusual this month"
        value = show_value(figure.current, figure.metric.unit)
        figures.append(Figure(figure.metric.title, value, flag))
    # Flagged figures first: they are what the meeting should look at.
    figures.sort(key=lambda f: not f.flag)
    return Overview(
        team=summary.team,
        title=review.title,
        url=url,
        shipped=summary.shipped,
        planned=summary.planned,
        unplanned=len(summary.unplanned),
        cycle_time=cycle_text,
        figures=tuple(figures),
        questions=tuple(review.questions),
    )


def share_review(
    repo: RepoGateway,
    review: TeamReview,
    number: int,
    url: str,
    slack: SlackClient | None,
    *,
    writer: Writer,
) -> list[str]:
    """Post or update the overview of `review` (published as issue `number`) in its
    team's channel; the notes to show. Nothing without a channel."""
    team = review.team
    if team is None or not team.slack_channel:
        return []
    slug, month = review.summary.team, str(review.month)
    if slack is None:
        from quarterdeck.sources.slack import TOKEN_ENV

        return _noted(
            f"the review of {slug} was not shared in Slack channel {team.slack_channel}: "
            f"no Slack bot token for this run; set {TOKEN_ENV} to the Slack app's bot token "
            "(xoxb-…, scope chat:write) where the CLI or the Action runs (the App: its "
            "operator maps the installation to a token in QUARTERDECK_SLACK_TOKENS)"
        )
    message = overview_message(overview_of(review, url))
    shared = _Shared(repo, slug, month, writer)
    channel = team.slack_channel
    return shared.run(
        lambda issue: shared.overview(issue, slack, channel, message),
        number,
        done=lambda record: record is not None and record.digest == message.digest,
    )


def share_decision(
    repo: RepoGateway,
    issue: IssueGateway,
    team: str,
    record: Record | None,
    slack: SlackClient | None,
    *,
    body: str,
    writer: Writer,
) -> list[str]:
    """Post (or update) the lead's decision `record` in the thread of the review's
    overview, once; the notes to show. Nothing when the review was never shared."""
    attrs = read_marker(body, "review")
    if slack is None or record is None or not attrs or "month" not in attrs:
        return []
    words = record.words
    day = record.at.strftime("%Y-%m-%d")
    message = decision_message(words, record.by, day, record.notes, issue.html_url)
    shared = _Shared(repo, team, attrs["month"], writer)
    return shared.run(
        lambda i: shared.decision(i, slack, message),
        issue,
        done=lambda found: found is None or found.decision_digest == message.digest,
    )


class _Shared:
    """One review issue's Slack record, read and written under its lock."""

    def __init__(self, repo: RepoGateway, slug: str, month: str, writer: Writer) -> None:
        self.repo, self.slug, self.month, self.writer = repo, slug, month, writer
        self.tag = slack_tag(slug, month)
        self.posted = ""  # what was sent to Slack before a failure, for the note

    def run(self, step: Any, issue: IssueGateway | int, *, done: Any) -> list[str]:
        """`step(issue)` under the lock, its failures turned into notes. `done(record)`
        says, from a first look without the lock, that there is nothing to do: an
        unchanged re-run costs one listing of comments, no lock and no Slack call."""
        where = f"the review of {self.slug} ({self.month})"
        try:
            with doing(f"reading the Slack record of {where}"):
                if isinstance(issue, int):
                    issue = self.repo.issue(issue)
            if done(self._find(issue)[1]):
                return []
            with self.repo.lock(slack_lock_scope(self.slug, self.month)):
                return step(issue)
        except QuarterdeckError as exc:
            from quarterdeck.sources.slack import SlackFailure

            if isinstance(exc, SlackFailure):
                return _noted(f"{where} was not shared in Slack: {exc}")
            if self.posted:
                return _noted(
                    f"{self.posted} in Slack, but could not record it on the review issue "
                    f"({exc}); the next run may post it again: delete the older message then"
                )
            return _noted(f"{where} was not shared in Slack: {exc}")

    def _find(self, issue: IssueGateway) -> tuple[Any, SlackRecord | None]:
        with doing(f"reading the Slack record of review issue #{issue.number}"):
            comment = issue.find_comment(self.tag, self.writer)
        return comment, read_slack_record(comment.body if comment is not None else None)

    def _write(self, issue: IssueGateway, comment: Any, record: SlackRecord, channel: str) -> None:
        text = slack_comment(self.slug, self.month, record, channel)
        with doing(f"recording the Slack message on review issue #{issue.number}"):
            issue.write_comment(comment, self.tag, text, writer=self.writer)

    def overview(
        self, issue: IssueGateway, slack: SlackClient, channel: str, message: SlackMessage
    ) -> list[str]:
        from quarterdeck.sources.slack import SlackFailure

        comment, record = self._find(issue)
        if record is not None and record.digest == message.digest:
            return []  # what Slack shows is what this run would post
        blocks = list(message.blocks)
        if record is not None:
            try:
                posted = slack.update(record.channel, record.ts, message.text, blocks)
                self.posted = what = f"updated the overview of {self.slug}"
                new = SlackRecord(posted.channel, posted.ts, message.digest,
                                  record.decision_ts, record.decision_digest)  # fmt: skip
            except SlackFailure as exc:
                if exc.error not in _GONE:
                    raise
                record = None  # deleted in Slack: a new one takes its place
        if record is None:
            posted = slack.post(channel, message.text, blocks)
            self.posted = what = f"posted the overview of {self.slug} to {channel}"
            new = SlackRecord(posted.channel, posted.ts, message.digest)
        self._write(issue, comment, new, channel)
        log.info("%s: %s (message %s)", self.repo.full_name, what, new.ts)
        return [f"{what} in Slack"]

    def decision(self, issue: IssueGateway, slack: SlackClient, message: SlackMessage) -> list[str]:
        comment, record = self._find(issue)
        if record is None or record.decision_digest == message.digest:
            return []  # never shared (nothing to thread onto), or already says this
        blocks = list(message.blocks)
        if record.decision_ts:
            posted = slack.update(record.channel, record.decision_ts, message.text, blocks)
            what = "updated the decision"
        else:
            posted = slack.post(record.channel, message.text, blocks, thread_ts=record.ts)
            what = "posted the decision"
        self.posted = f"{what} of {self.slug} ({self.month})"
        self._write(issue, comment, record.with_decision(posted.ts, message.digest), record.channel)
        return [f"{self.posted} in its Slack thread"]


def _noted(note: str) -> list[str]:
    log.warning("%s", note)
    return [note]
