"""The review where the team talks (issue 25): a published review's overview in the
team's Slack channel, through the real `slack_sdk.WebClient` against a fake Slack Web API
on 127.0.0.1 (tests/fakeslack.py) and the one fake GitHub.

One message per review however many runs publish it, at once or one after another;
updated in place when the review changes; the lead's decision once in its thread; a
Slack failure reported and never a failed review; the token never shown.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.review.slack_overview import (
    Figure,
    Overview,
    overview_message,
    read_slack_record,
    slack_escape,
)
from quarterdeck.redact import REDACTED
from quarterdeck.services.review.on_github import github_home_reviews
from quarterdeck.services.review_publish import publish_reviews
from quarterdeck.sources.github.client import retry_policy
from quarterdeck.sources.slack import API_URL_ENV, TOKEN_ENV, SlackClient
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakeslack import FakeSlack, serving
from tests.reviewrepos import CONFIG, NASTY
from tests.test_concurrent_writes import (
    LOOK_DELAY,
    PUBLISH,
    RUNS,
    THIRD_TEAM,
    at_once,
    lock_labels,
    race,
    reviews_by_team,
    three_teams,
)

COMMENTS = r"^/repos/acme/web/issues/\d+/comments$"
TOKEN = "xoxb-" + secrets.token_hex(12)  # fresh per run: a canary no output may show
CHANNELS = {"analytics": "analytics-review", "growth": "growth", "platform": "platform-team"}
SLACK_CONFIG = (
    CONFIG.replace("identities:\n", THIRD_TEAM, 1)
    .replace("    owns: {paths: [\"web/insights/**\"]}\n",
             "    owns: {paths: [\"web/insights/**\"]}\n    slack: {channel: analytics-review}\n")
    .replace("    owns: {paths: [\"web/onboarding/**\"]}\n",
             "    owns: {paths: [\"web/onboarding/**\"]}\n    slack: {channel: \"#growth\"}\n")
    .replace("    owns: {paths: [\"web/platform/**\"]}\n",
             "    owns: {paths: [\"web/platform/**\"]}\n    slack: {channel: platform-team}\n")
)  # fmt: skip


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(tokens={TOKEN})
    for name in CHANNELS.values():
        fake.channel(name)
    with serving(fake):
        yield fake


@pytest.fixture
def clients(
    github: FakeGitHub, front: str, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> FakeGitHub:
    """Every CLI run gets a GitHub client of its own over HTTP, and the environment's
    Slack token and API root (the fake's)."""
    monkeypatch.setattr(
        cli, "_github", lambda args: github.client(retry=retry_policy(), base_url=front)
    )
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(API_URL_ENV, slack.url)
    return github


def slack_teams(github: FakeGitHub) -> FakeRepo:
    remote = three_teams(github)
    remote.files[".github/quarterdeck.yml"] = SLACK_CONFIG
    return remote


def top_level(slack: FakeSlack) -> dict[str, list[dict[str, Any]]]:
    return {team: slack.in_channel(slack.channels[name]) for team, name in CHANNELS.items()}


def slack_records(remote: FakeRepo, number: int) -> list[Any]:
    return [
        read_slack_record(c["body"])
        for c in remote.comments_on(number)
        if "quarterdeck:slack " in c["body"]
    ]


# -- one message per review --------------------------------------------------------------


def test_three_concurrent_publishes_post_one_message_per_team_and_reruns_update_it(
    clients: FakeGitHub, slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = slack_teams(clients)
    race(clients, "growth-review")
    # Every look for the Slack record is answered as of when it was asked, but late:
    # without the lock, each run would find none and post.
    clients.slow("GET", COMMENTS, LOOK_DELAY)

    codes = at_once(lambda i: main(PUBLISH))

    err = capsys.readouterr().err
    assert codes == [0] * RUNS, err
    by_team = reviews_by_team(remote)
    messages = top_level(slack)
    assert {team: len(found) for team, found in messages.items()} == {t: 1 for t in CHANNELS}
    assert len(slack.calls("chat.postMessage")) == len(CHANNELS)  # never posted twice
    assert lock_labels(remote) == []
    for team, [number] in by_team.items():
        [message] = messages[team]
        # The overview links its review issue; the issue remembers the message.
        assert f"https://github.com/acme/web/issues/{number}" in str(message["blocks"])
        [record] = slack_records(remote, number)
        assert (record.channel, record.ts) == (message["channel"], message["ts"])
    assert err.count("posted the overview of") == len(CHANNELS)
    assert all(c["headers"]["authorization"] == f"Bearer {TOKEN}" for c in slack.requests)

    # A re-run with nothing new sends nothing to Slack at all.
    asked = len(slack.requests)
    assert main(PUBLISH) == 0
    assert len(slack.requests) == asked

    # A new PR changes the review: the same message is updated in place.
    clients.add_pull(
        "acme/web", 6, "Faster builds", "2026-11-20T12:00:00Z", author="dan",
        files=("web/platform/e.py",),
    )  # fmt: skip
    assert main(PUBLISH) == 0
    assert "updated the overview of platform" in capsys.readouterr().err
    [platform] = slack.in_channel(slack.channels["platform-team"])
    assert platform["edits"] == 1
    assert "*2* PRs shipped" in str(platform["blocks"])
    assert len(slack.calls("chat.postMessage")) == len(CHANNELS)


def test_three_runs_at_once_on_an_open_review_post_once_under_the_lock(
    clients: FakeGitHub,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The reviews were opened before the team had a token; now three runs share them at
    # once, each reaching Slack at the same moment (no issue create orders them).
    remote = slack_teams(clients)
    monkeypatch.delenv(TOKEN_ENV)
    assert main(PUBLISH) == 0
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    race(clients, "growth-review")
    clients.slow("GET", COMMENTS, LOOK_DELAY)
    capsys.readouterr()

    codes = at_once(lambda i: main(PUBLISH))

    err = capsys.readouterr().err
    assert codes == [0] * RUNS, err
    assert {team: len(found) for team, found in top_level(slack).items()} == {
        t: 1 for t in CHANNELS
    }
    assert len(slack.calls("chat.postMessage")) == len(CHANNELS)
    for [number] in reviews_by_team(remote).values():
        assert len(slack_records(remote, number)) == 1
    assert lock_labels(remote) == []


def test_a_message_deleted_in_slack_is_posted_again_and_remembered(
    clients: FakeGitHub, slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = slack_teams(clients)
    assert main(PUBLISH) == 0
    [growth] = reviews_by_team(remote)["growth"]
    slack.messages.clear()  # someone deleted them in Slack
    clients.add_pull(
        "acme/web", 7, "Checklist copy", "2026-11-21T12:00:00Z", author="carol",
        labels=("goal:onboarding",), files=("web/onboarding/d.py",),
    )  # fmt: skip
    assert main(PUBLISH) == 0
    [message] = slack.in_channel(slack.channels["growth"])
    [record] = slack_records(remote, growth)
    assert record.ts == message["ts"]
    assert "posted the overview of growth" in capsys.readouterr().err


# -- the decision in its thread ----------------------------------------------------------

CONTINUE = "- [ ] Continue as planned"
CHANGE = "- [ ] Change course (reprioritise, change goals, or start new work)"


def test_the_leads_decision_goes_once_into_the_overviews_thread(
    github: FakeGitHub, slack: FakeSlack
) -> None:
    remote = slack_teams(github)
    client = SlackClient(TOKEN, base_url=slack.url)

    def publish(month: Month) -> list[Any]:
        gh = github.gateway()
        reviews = github_home_reviews(gh, "acme/web", month).reviews
        return publish_reviews(
            gh.repo("acme/web"), reviews, writer=github.writer_of(""), slack=client
        )

    github.now = "2026-12-01T08:00:00Z"
    publish(Month(2026, 11))
    [number] = reviews_by_team(remote)["analytics"]
    [overview] = slack.in_channel(slack.channels["analytics-review"])
    github.now = "2026-12-03T16:00:00Z"
    ticked = remote.issues[number]["body"].replace(CONTINUE, "- [x] Continue as planned")
    github.person_edits(remote, number, ticked, "alice")

    github.now = "2027-01-04T08:00:00Z"
    results = publish(Month(2026, 12))

    [reply] = slack.in_channel(overview["channel"], thread=overview["ts"])
    assert "continue as planned" in str(reply["blocks"])
    assert "alice" in str(reply["blocks"])
    assert f"/issues/{number}" in str(reply["blocks"])
    [record] = slack_records(remote, number)
    assert record.decision_ts == reply["ts"]
    assert any("posted the decision of analytics" in n for r in results for n in r.notes)

    # Re-running the next review never posts the decision again.
    publish(Month(2026, 12))
    assert slack.in_channel(overview["channel"], thread=overview["ts"]) == [reply]
    assert reply["edits"] == 0


# -- failures are local and reported -----------------------------------------------------


def _fail_analytics(slack: FakeSlack, failure: str) -> None:
    if failure == "channel_not_found":
        del slack.channels["analytics-review"]
    elif failure == "not_in_channel":
        slack.joined.discard(slack.channels["analytics-review"])
    elif failure == "invalid_auth":
        slack.tokens.clear()
    elif failure == "ratelimited":
        slack.ratelimit, slack.retry_after = 10_000, "120"  # too long to wait out
    elif failure == "down":
        slack.down = True


ADVICE = {
    "channel_not_found": "Slack answered channel_not_found; check the team's `slack.channel`",
    "not_in_channel": "Slack answered not_in_channel; invite the bot to the channel",
    "invalid_auth": f"Slack answered invalid_auth; {TOKEN_ENV} is not a valid bot token",
    "ratelimited": "Slack answered ratelimited; Slack is rate-limiting this app",
    "down": "Slack answered HTTP 503",
}


@pytest.mark.parametrize("failure", sorted(ADVICE))
def test_a_slack_failure_never_fails_the_review_and_says_what_to_do(
    failure: str,
    clients: FakeGitHub,
    slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote = slack_teams(clients)
    _fail_analytics(slack, failure)

    code = main(["-v", *PUBLISH])

    out, err = capsys.readouterr()
    assert code == 0, err
    assert sorted(reviews_by_team(remote)) == ["analytics", "growth", "platform"]
    assert "quarterdeck: note: the review of analytics (2026-11) was not shared in Slack" in err
    assert ADVICE[failure] in err
    assert "Traceback" not in err
    assert TOKEN not in out + err
    if failure in {"channel_not_found", "not_in_channel"}:  # local to that team's channel
        assert err.count("posted the overview of") == 2
    if failure == "ratelimited":
        assert len(slack.requests) == len(CHANNELS)  # a 120 s wait is not waited out


def test_a_short_rate_limit_is_retried_by_slack_sdk(clients: FakeGitHub, slack: FakeSlack) -> None:
    slack_teams(clients)
    slack.ratelimit, slack.retry_after = 1, "0"
    assert main(PUBLISH) == 0
    assert len(slack.calls("chat.postMessage")) == len(CHANNELS) + 1  # one 429, retried
    assert all(len(found) == 1 for found in top_level(slack).values())


def test_slack_unreachable_is_reported_and_the_review_published(
    clients: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = slack_teams(clients)
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9/api/")  # nothing listens there
    assert main(PUBLISH) == 0
    err = capsys.readouterr().err
    assert "could not reach Slack" in err
    assert "quarterdeck: created #" in err
    assert len(reviews_by_team(remote)) == 3


def test_a_channel_without_a_token_is_a_note_not_a_failure(
    clients: FakeGitHub,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack_teams(clients)
    monkeypatch.delenv(TOKEN_ENV)
    assert main(PUBLISH) == 0
    assert f"no Slack bot token for this run; set {TOKEN_ENV}" in capsys.readouterr().err
    assert slack.requests == []


def test_without_slack_sdk_installed_the_note_names_the_extra(
    clients: FakeGitHub,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slack_teams(clients)
    for name in [m for m in sys.modules if m == "slack_sdk" or m.startswith("slack_sdk.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoSlackSdk(), *sys.meta_path])
    assert main(PUBLISH) == 0
    assert "slack_sdk is not installed; install quarterdeck[slack]" in capsys.readouterr().err
    assert slack.requests == []


class _NoSlackSdk:
    """An import hook that makes `slack_sdk` missing, as in a core-only install."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "slack_sdk" or name.startswith("slack_sdk."):
            raise ModuleNotFoundError(f"No module named {name!r}")


# -- the token never shown ---------------------------------------------------------------


def test_a_token_quoted_back_by_slack_is_never_shown(
    clients: FakeGitHub,
    slack: FakeSlack,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack_teams(clients)
    slack.echo_token = True
    slack.joined.clear()  # every answer an error that quotes the token
    caplog.set_level("DEBUG")

    assert main(["-v", *PUBLISH]) == 0

    out, err = capsys.readouterr()
    assert slack.requests, "Slack was asked"
    assert "not_in_channel" in err
    assert TOKEN not in out + err
    assert TOKEN not in caplog.text
    # slack_sdk's DEBUG log of each answer carried the echoed token, redacted.
    assert f"request with token {REDACTED} refused" in caplog.text


# -- the message itself ------------------------------------------------------------------


def test_the_overview_escapes_user_text_and_mentions_nobody() -> None:
    view = Overview(
        team="growth",
        title=f"Growth review: {NASTY} <!here> & <@U123|x>",
        url="https://github.com/acme/web/issues/3",
        shipped=3,
        planned=2,
        unplanned=1,
        cycle_time="1.0 d median (n=3)",
        figures=(Figure("MRR <!channel>", "$1,200", "missed its target (>= 9)"),),
        questions=("Why was churn high? <!subteam^S1> @here",),
    )
    message = overview_message(view)
    shown = str(message.blocks) + message.text
    assert "<!" not in shown
    assert "<@" not in shown
    assert "&lt;!here&gt; &amp; &lt;@U123|x&gt;" in shown
    assert "&lt;!channel&gt;" in shown
    assert "<https://github.com/acme/web/issues/3|" in shown  # the one real link
    assert "*What to discuss*" in shown
    assert shown.index("MRR &lt;!channel&gt;: missed its target") < shown.index("Why was churn")
    assert slack_escape("a&b<c>d") == "a&amp;b&lt;c&gt;d"


# -- validate ----------------------------------------------------------------------------


def _checkout(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "checkout"
    (root / ".github").mkdir(parents=True)
    (root / ".github" / "quarterdeck.yml").write_text(config, encoding="utf-8")
    return root


def test_validate_reports_a_channel_without_a_token_at_its_line_and_strict_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path, SLACK_CONFIG)
    line = SLACK_CONFIG.splitlines().index("    slack: {channel: analytics-review}") + 1
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    finding = (
        rf"\.github/quarterdeck\.yml:{line}\b.*teams\.analytics\.slack\.channel.*team analytics "
        rf"shares its review in Slack, but {TOKEN_ENV} is not set"
    )
    assert main(["validate", "--repo", str(root)]) == 0  # not strict: a warning
    shown = "".join(capsys.readouterr())
    assert re.search(finding, shown), shown

    assert main(["validate", "--strict", "--repo", str(root)]) == 1
    shown = "".join(capsys.readouterr())
    assert re.search(finding, shown), shown

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert main(["validate", "--strict", "--repo", str(root)]) == 0
    assert TOKEN not in "".join(capsys.readouterr())


def test_validate_reports_a_malformed_channel_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SLACK_CONFIG.replace("{channel: analytics-review}", "{channel: Growth Review!}")
    line = config.splitlines().index("    slack: {channel: Growth Review!}") + 1
    assert main(["validate", "--repo", str(_checkout(tmp_path, config))]) == 1
    shown = "".join(capsys.readouterr())
    assert re.search(rf"quarterdeck\.yml:{line}\b.*is not a Slack channel", shown), shown


# -- the App: each installation its own token, or none ------------------------------------


def test_the_apps_scheduled_review_posts_with_the_installations_own_token_only(
    github: FakeGitHub, slack: FakeSlack, tmp_path: Path
) -> None:
    from tests.fakegithub_http import HttpFront
    from tests.test_outbound_app import FIRST_WORKING_DAY, run
    from tests.workers import RedisServer, worker_command, worker_env

    acme_token, globex_token = "xoxb-acme-" + secrets.token_hex(8), TOKEN
    slack.tokens |= {acme_token}
    config = "teams:\n  web:\n    lead: alice\n    members: [alice]\n    slack: {channel: growth}\n"
    for number, (owner, iid) in enumerate((("acme", 101), ("globex", 202))):
        github.add_repo(f"{owner}/web", files={".github/quarterdeck.yml": config})
        github.add_installation(iid, owner, [f"{owner}/web"])
        github.add_pull(
            f"{owner}/web", number + 1, "Change", "2026-11-10T12:00:00Z",
            author="alice", files=("a.py",),
        )  # fmt: skip
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = {
            **worker_env(front.url, server.url),
            API_URL_ENV: slack.url,
            TOKEN_ENV: globex_token,  # the CLI's token: never the App's for anyone
            "QUARTERDECK_SLACK_TOKENS": '{"101": "ACME_SLACK_TOKEN"}',
            "ACME_SLACK_TOKEN": acme_token,
        }
        out = run(env, "schedule", "--month", "2026-11", "--retry", "0", "--now", FIRST_WORKING_DAY)
        log = run(env, *worker_command("--burst")[3:])
    finally:
        front.close()
        server.stop()

    assert log.count("scheduled reviews published") == 2, out + log
    assert {r["headers"]["authorization"] for r in slack.requests} == {f"Bearer {acme_token}"}
    [message] = slack.in_channel(slack.channels["growth"])
    assert "https://github.com/acme/web/issues/" in str(message["blocks"])
    assert "no Slack bot token for this run" in log  # globex's channel: a note, not a post
    assert acme_token not in out + log
    assert globex_token not in out + log


def test_the_app_posts_the_leads_decision_into_the_thread_when_recorded(
    github: FakeGitHub, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import SecretStr

    from quarterdeck.webhook.server import create_app
    from tests.test_decision_loop import deliver
    from tests.webhooks import ours, settings

    remote = slack_teams(github)
    github.now = "2026-12-01T08:00:00Z"
    gh = github.gateway()
    reviews = github_home_reviews(gh, "acme/web", Month(2026, 11)).reviews
    client = SlackClient(TOKEN, base_url=slack.url)
    publish_reviews(gh.repo("acme/web"), reviews, writer=ours(), slack=client)
    [number] = reviews_by_team(remote)["analytics"]
    [overview] = slack.in_channel(slack.channels["analytics-review"])
    monkeypatch.setenv(API_URL_ENV, slack.url)
    tokens = {42: ("ACME_SLACK_TOKEN", SecretStr(TOKEN))}  # the delivery's installation
    app = create_app(
        settings(tmp_path, slack_tokens=tokens),
        identity=ours,
        github_factory=lambda _id: github.client(),
    )

    github.now = "2026-12-03T16:00:00Z"
    ticked = remote.issues[number]["body"].replace(CONTINUE, "- [x] Continue as planned")
    assert deliver(app, "issues", github.person_edits(remote, number, ticked, "alice")) == 202

    [reply] = slack.in_channel(overview["channel"], thread=overview["ts"])
    assert "continue as planned" in str(reply["blocks"])
    # Another edit (a typo fixed elsewhere) re-records the same decision: nothing new.
    github.now = "2026-12-03T17:00:00Z"
    edited = remote.issues[number]["body"] + "\nA typo fixed.\n"
    assert deliver(app, "issues", github.person_edits(remote, number, edited, "bob")) == 202
    assert slack.in_channel(overview["channel"], thread=overview["ts"]) == [reply]
    assert reply["edits"] == 0

    # The lead changes their mind: the one reply is updated, not a second one posted.
    github.now = "2026-12-04T09:00:00Z"
    changed = (
        remote.issues[number]["body"]
        .replace("- [x] Continue as planned", CONTINUE)
        .replace(CHANGE, CHANGE.replace("[ ]", "[x]"))
    )
    assert deliver(app, "issues", github.person_edits(remote, number, changed, "alice")) == 202
    assert slack.in_channel(overview["channel"], thread=overview["ts"]) == [reply]
    assert reply["edits"] == 1
    assert "change course" in str(reply["blocks"])


def test_a_long_overview_stays_within_slacks_block_limits() -> None:
    long = "x" * 5_000
    view = Overview(
        team="growth", title=long, url="https://github.com/acme/web/issues/3", shipped=1,
        planned=1, unplanned=0, cycle_time=long,
        figures=tuple(Figure(long, long, long) for _ in range(20)),
        questions=(long,) * 20,
    )  # fmt: skip
    message = overview_message(view)
    texts = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert texts
    assert all(len(text) <= 3_000 for text in texts)


def test_the_action_adds_slack_sdk_only_when_a_token_is_given() -> None:
    import yaml

    root = Path(__file__).resolve().parents[1]
    steps = yaml.safe_load((root / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    names = [s.get("name", "") for s in steps]
    core = names.index("Install Quarterdeck from the action's own checkout")
    [slack_step] = [i for i, s in enumerate(steps) if "[slack]" in s.get("run", "")]
    assert core < slack_step < next(i for i, s in enumerate(steps) if s.get("id") == "review")
    condition = steps[slack_step]["if"]
    assert "inputs.slack-token != ''" in condition
    assert f"env.{TOKEN_ENV} != ''" in condition
