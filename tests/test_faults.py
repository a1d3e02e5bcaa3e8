"""Faults, end to end: each ends retried, reported (exit 1, naming what was written) or
skipped with a note. The CLI runs against the one fake GitHub through the real client
and retry policy; every wait goes through an injected sleep, never a real one.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.config import build_config
from quarterdeck.core.converge import LOCK_PREFIX
from quarterdeck.sources.github.client import retry_policy
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import CONFIG, GOALS, at, seed_github, small_repo
from tests.test_goals_sync import checkout, seed
from tests.webhooks import FILES, REPO, encode, headers, merged_pr, ours, settings

NOW = 1_800_000_000.0  # the injected clock: 2027-01-15 08:00 UTC
ISSUES = r"^/repos/acme/web/issues$"
PUBLISH = ["review", "--github", "acme/web", "--month", "2026-11", "--publish"]
ANALYTICS = "Growth review: analytics — November 2026"
GROWTH = "Growth review: growth — November 2026"
RATE_LIMITED = {"message": "API rate limit exceeded for user ID 1."}
SECONDARY = {"message": "You have exceeded a secondary rate limit."}
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com"}


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> FakeGitHub:
    """The CLI's client: the production retry policy, its sleeps recorded in `waits`."""
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)
    monkeypatch.setattr(cli, "_github", lambda args: github.client(retry=policy))
    return github


@pytest.fixture
def remote(client: FakeGitHub) -> FakeRepo:
    return seed_github(client)


def exhausted(reset_in: float) -> dict[str, str]:
    return {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + reset_in))}


def assert_backoffs(waits: list[float], count: int) -> None:
    """`waits` are the policy's first `count` backoffs: factor * 2**(n-1), plus jitter."""
    policy = retry_policy()
    assert len(waits) == count, waits
    for n, wait in enumerate(waits, start=1):
        low = min(policy.backoff_max, policy.backoff_factor * 2 ** (n - 1))
        assert low <= wait <= low + policy.backoff_jitter, (n, wait)


def reviews_on(remote: FakeRepo) -> list[str]:
    return sorted(i["title"] for i in remote.issues.values() if "quarterdeck:review " in i["body"])


def publish(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(PUBLISH)
    return code, capsys.readouterr().err


def another_pr(github: FakeGitHub) -> None:
    """A PR merged since the last run, so the analytics review changes."""
    github.add_pull(
        "acme/web", 9, "Funnel export", "2026-11-20T12:00:00Z", author="bob",
        files=("web/insights/e.py",),
    )  # fmt: skip


# -- 5xx and timeouts ---------------------------------------------------------------


def test_a_5xx_on_a_create_is_retried_and_the_run_succeeds(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 502)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert client.count("POST", ISSUES) == 3
    assert_backoffs(waits, 1)  # then a look: nothing was created, so a second create


def test_a_5xx_on_an_update_is_retried_too(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    another_pr(client)
    client.fail("PATCH", r"/issues/1$", 503)

    code, err = publish(capsys)

    assert code == 0, err
    assert "Funnel export" in remote.issues[1]["body"]
    assert client.count("PATCH", r"/issues/1$") == 2
    assert len(waits) == 1


def test_5xx_forever_backs_off_then_exits_1_naming_what_was_written(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 503, times=100, skip=1)  # the second team's create never works

    code, err = publish(capsys)

    assert code == 1
    # A create is not re-sent by the client: each lost answer is followed by the
    # policy's backoff, a look for the issue, and only then another create.
    assert_backoffs(waits, retry_policy().total)
    assert client.count("POST", ISSUES) == 1 + 1 + retry_policy().total  # analytics, growth x6
    assert "GitHub answered 503 while opening the review issue of growth" in err
    assert "Already written: created label growth-review; created label team:analytics;" in err
    assert f"created #1 ({ANALYTICS})." in err
    assert f"Not written: {GROWTH}." in err
    assert "Traceback" not in err
    assert reviews_on(remote) == [ANALYTICS]
    # GitHub is back: the re-run finishes the job and repeats nothing.
    client.faults.clear()
    assert publish(capsys)[0] == 0
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def test_timeouts_forever_exit_1_with_a_sentence(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    timeout = requests.ReadTimeout("Read timed out. (read timeout=30)")
    client.fail("POST", ISSUES, 0, error=timeout, times=100, skip=1)

    code, err = publish(capsys)

    assert code == 1
    assert "could not reach GitHub while opening the review issue of growth (ReadTimeout" in err
    assert f"Not written: {GROWTH}." in err
    assert reviews_on(remote) == [ANALYTICS]


def test_a_timeout_after_github_did_the_work_creates_nothing_twice(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    timeout = requests.ReadTimeout("Read timed out. (read timeout=30)")
    client.fail("POST", ISSUES, 0, error=timeout, after=True)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2


def test_github_unreachable_while_reading_is_one_line_not_a_traceback(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    down = requests.ConnectionError("Max retries exceeded with url: /graphql")
    client.fail("POST", r"^/graphql$", 0, error=down, times=100)

    code = main(["review", "--github", "acme/web", "--month", "2026-11"])

    err = capsys.readouterr().err
    assert code == 1
    # The first GraphQL read is the home's (repository, files, labelled issues).
    assert "could not reach GitHub while opening repository acme/web and reading" in err
    assert "(ConnectionError, even after retrying with backoff)" in err
    assert "Traceback" not in err
    assert client.writes == []


# -- rate limits on writes ------------------------------------------------------------


def test_secondary_rate_limit_on_a_publish_write_waits_as_told(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers={"Retry-After": "30"}, body=SECONDARY)

    code, err = publish(capsys)

    assert code == 0, err
    assert waits == [30]
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def test_primary_limit_used_up_during_publish_stops_with_the_reset_time(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers=exhausted(3 * 3600), body=RATE_LIMITED, skip=1)

    code, err = publish(capsys)

    assert code == 1
    assert "rate limit for this token is used up until 2027-01-15 11:00:00 UTC" in err
    assert f"created #1 ({ANALYTICS})" in err
    assert f"Not written: {GROWTH}." in err
    assert waits == []


def test_primary_limit_near_its_reset_during_publish_is_waited_out(
    client: FakeGitHub, remote: FakeRepo, waits: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    client.fail("POST", ISSUES, 403, headers=exhausted(60), body=RATE_LIMITED)

    assert publish(capsys)[0] == 0
    assert waits == [61]
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def sync(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args = ["goals", "sync", "--github", "acme/web", "--repo", str(root), "--quarter", "2026-Q4"]
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_rate_limits_during_goals_sync_are_waited_out(
    client: FakeGitHub,
    tmp_path: Path,
    waits: list[float],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(client)
    client.fail("POST", r"/labels$", 403, headers=exhausted(60), body=RATE_LIMITED)
    client.fail("POST", ISSUES, 403, headers={"Retry-After": "5"}, body=SECONDARY)
    client.fail("PATCH", r"/issues/1$", 429, headers={"Retry-After": "3"})

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert waits == [61, 5, 3]
    assert "created the issue of goal funnel-v2: #3" in out
    assert fake.issues[1]["title"] == "Onboarding checklist"


def test_primary_limit_far_during_goals_sync_names_done_and_not_done(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = seed(client)
    client.fail("POST", ISSUES, 403, headers=exhausted(2 * 3600), body=RATE_LIMITED)

    code, _, err = sync(checkout(tmp_path), capsys)

    assert code == 1
    assert "goals sync of acme/web stopped: GitHub's API rate limit" in err
    assert "used up until 2027-01-15 10:00:00 UTC" in err
    assert "Already written: created label team:analytics." in err
    assert "Not written: issue #1 (goal 'onboarding')." in err
    assert set(fake.issues) == {1, 2}


# -- a token revoked mid-run ------------------------------------------------------------


def revoke(github: FakeGitHub, *, after_posts: int) -> None:
    """From the `after_posts`+1-th POST on, every request is refused with 401."""
    github.fail("POST", r".", 401, body=BAD_CREDENTIALS, times=1000, skip=after_posts)
    github.fail("GET", r".", 401, body=BAD_CREDENTIALS, times=1000, skip=1000)
    github.fail("PATCH", r".", 401, body=BAD_CREDENTIALS, times=1000)


def test_token_revoked_mid_publish_exits_1_naming_done_and_not_done(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    # POSTs before the revocation: the home's GraphQL query, the GraphQL search, three
    # labels, then per team the lock label and the issue: the first team's two, and the
    # second team's lock.
    revoke(client, after_posts=8)

    code, err = publish(capsys)

    assert code == 1
    assert "GitHub answered 401 while opening the review issue of growth: Bad credentials" in err
    assert "the token is missing, wrong or expired; check GITHUB_TOKEN or --token" in err
    assert f"created #1 ({ANALYTICS})" in err
    assert f"Not written: {GROWTH}." in err
    assert "test-token-not-real" not in err
    assert reviews_on(remote) == [ANALYTICS]


def test_token_revoked_mid_goals_sync_exits_1_naming_done_and_not_done(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(client)
    revoke(client, after_posts=2)  # the label and the goal's lock are created, then the token goes

    code, _, err = sync(checkout(tmp_path), capsys)

    assert code == 1
    assert (
        "GitHub answered 401 while writing the issue of goal 'funnel-v2': Bad credentials; "
        "the token is missing, wrong or expired" in err
    )
    assert "Already written: created label team:analytics." in err
    assert "Not written: issue #1 (goal 'onboarding')." in err
    assert "test-token-not-real" not in err


# -- issues and labels changed between runs ----------------------------------------------


def test_a_deleted_review_issue_is_opened_again_on_the_next_run(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    client.delete_issue(remote, 1)

    code, err = publish(capsys)

    assert code == 0, err
    assert f"quarterdeck: created #3: {ANALYTICS}" in err
    assert f"quarterdeck: unchanged #2: {GROWTH}" in err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


@pytest.mark.parametrize("status", [404, 410])
def test_a_review_issue_gone_while_updating_is_replaced_with_a_note(
    client: FakeGitHub, remote: FakeRepo, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    another_pr(client)
    client.fail("PATCH", r"/issues/1$", status, body={"message": "This issue was deleted"})

    code, err = publish(capsys)

    assert code == 0, err
    assert f"quarterdeck: created #3: {ANALYTICS}" in err
    assert f"note: review issue #1 is gone (GitHub answered {status}" in err
    assert "Funnel export" in remote.issues[3]["body"]


def rename_label(remote: FakeRepo, old: str, new: str | None) -> None:
    """A person renames (or, with None, deletes) a label: every issue follows."""
    label = remote.labels.pop(old)
    if new is not None:
        label["name"] = new
        remote.labels[new] = label
    for issue in remote.issues.values():
        if new is None:
            issue["labels"] = [lb for lb in issue["labels"] if lb["name"] != old]


@pytest.mark.parametrize("new_name", ["monthly review", None])
def test_a_renamed_or_deleted_review_label_opens_no_second_issue(
    client: FakeGitHub, remote: FakeRepo, new_name: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    rename_label(remote, "growth-review", new_name)

    code, err = publish(capsys)

    assert code == 0, err
    assert client.count("POST", ISSUES) == 2  # both from the first run
    assert "note: #1 had lost its growth-review label (renamed or deleted)" in err
    assert [lb["name"] for lb in remote.issues[1]["labels"]][-1] == "growth-review"
    writes = len(client.writes)
    assert publish(capsys)[0] == 0
    assert len(client.writes) == writes  # back to normal: nothing to do


def test_an_outsiders_issue_with_a_copied_marker_is_never_adopted(
    client: FakeGitHub,
    remote: FakeRepo,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert publish(capsys)[0] == 0
    official = remote.issues[1]
    # Someone pastes the hidden marker of the first review into an issue of their own,
    # and then the label is deleted, so issues are found by marker alone.
    forged = client.add_issue(remote, "Totally the review", body=official["body"], user="mallory")
    rename_label(remote, "growth-review", None)

    code, err = publish(capsys)

    assert code == 0, err
    # Not adopted, not treated as a duplicate either: never labelled, edited or closed.
    number = forged["number"]
    assert (remote.issues[number]["state"], remote.issues[number]["labels"]) == ("open", [])
    assert remote.comments_on(number) == []
    assert f"#{number}" not in err
    assert "note: #1 had lost its growth-review label" in err  # ours is found by marker
    ignored = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ignored ")]
    assert ignored
    assert all(f"/issues/{number} by mallory" in line for line in ignored)  # and logged


def test_a_renamed_team_label_changes_nothing(
    client: FakeGitHub, remote: FakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert publish(capsys)[0] == 0
    rename_label(remote, "team:analytics", "team/analytics")
    writes = len(client.writes)

    code, err = publish(capsys)

    # Found by label growth-review and marker; the person's label choice is kept.
    assert code == 0, err
    assert len(client.writes) == writes
    assert "team:analytics" not in remote.labels


@pytest.mark.parametrize("new_name", ["objective", None])
def test_a_renamed_or_deleted_goal_label_opens_no_second_goal_issue(
    client: FakeGitHub, tmp_path: Path, new_name: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = seed(client)
    root = checkout(tmp_path)
    assert sync(root, capsys)[0] == 0
    rename_label(fake, "goal", new_name)

    code, out, err = sync(root, capsys)

    assert code == 0, err
    assert set(fake.issues) == {1, 2, 3}  # funnel-v2 is still #3, found by its marker
    assert "updated #3 (labels)" in out
    assert "goal" in [lb["name"] for lb in fake.issues[3]["labels"]]
    writes = len(client.writes)
    assert sync(root, capsys)[0] == 0
    assert len(client.writes) == writes


# -- the App: GitHub down, a goal issue gone, a broken config ------------------------------


def webhook_app(
    tmp_path: Path,
    github: FakeGitHub,
    delays: list[float],
    retry: Any = None,
    base_url: str | None = None,
    timeout: int = 30,
) -> Any:
    """The App with its real config loader and an in-process queue whose retry timer
    records the delay and runs the retry at once; `retry`: the client's retry policy,
    `base_url`: an `HttpFront` to reach the fake over real HTTP, `timeout`: the
    client's read timeout there."""
    from quarterdeck.webhook.queues import BackgroundQueue
    from quarterdeck.webhook.server import create_app

    def factory(_id: int) -> Any:
        if base_url is None:
            return github.client(retry=retry)
        return github.client(retry=retry, base_url=base_url, timeout=timeout)

    app = create_app(settings(tmp_path), identity=ours, github_factory=factory)
    runtime = app.extensions["quarterdeck"]
    queue = BackgroundQueue(
        runtime.processor,
        runtime.deliveries,
        schedule=lambda delay, run: (delays.append(delay), run()),  # type: ignore[func-returns-value]
    )
    return create_app(settings(tmp_path), identity=ours, github_factory=factory, queue=queue)


def deliver(app: Any, payload: dict[str, Any], delivery: str) -> None:
    body = encode(payload)
    answer = app.test_client().post(
        "/webhook", data=body, headers=headers("pull_request", body, delivery)
    )
    assert answer.status_code == 202
    assert app.extensions["quarterdeck"].queue.wait_idle(10)


def dropped(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "delivery dropped" in r.getMessage()]


def test_github_down_retries_by_rule_then_drops_with_the_delivery_id(
    github: FakeGitHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    github.fail("GET", r".", 502, times=1000)
    delays: list[float] = []
    app = webhook_app(tmp_path, github, delays)

    with caplog.at_level(logging.INFO, logger="quarterdeck.webhook"):
        deliver(app, merged_pr(), "d-down")

    assert delays == [10.0, 60.0, 300.0]  # the rule: three retries, then give up
    [record] = dropped(caplog)
    assert record.delivery == "d-down"  # type: ignore[attr-defined]
    assert "gave up after retries" in record.getMessage()
    assert "502" in record.getMessage()
    assert github.writes == []
    # Released: "Redeliver" on GitHub runs it again once GitHub is back.
    assert app.extensions["quarterdeck"].deliveries.claim("d-down")


def test_a_broken_config_on_a_merged_pr_is_one_log_line_and_no_comment(
    github: FakeGitHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = {**FILES, ".github/quarterdeck.yml": "teams:\n  docs: [oops\n"}
    fake = github.add_repo(REPO, files=broken)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    delays: list[float] = []
    app = webhook_app(tmp_path, github, delays)

    with caplog.at_level(logging.INFO, logger="quarterdeck.webhook"):
        deliver(app, merged_pr(), "d-broken")
        deliver(app, merged_pr(action="edited"), "d-broken-2")

    assert delays == []  # a broken file does not heal by waiting
    records = dropped(caplog)
    assert [r.delivery for r in records] == ["d-broken", "d-broken-2"]  # type: ignore[attr-defined]
    assert "not retryable" in records[0].getMessage()
    assert ".github/quarterdeck.yml:3: invalid YAML" in records[0].getMessage()
    assert github.writes == []  # no comment on the PR, ever: no spam


def test_a_deleted_goal_issue_still_gets_the_pr_comment(
    github: FakeGitHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    github.delete_issue(fake, 1)  # the goal's issue (`issue: 1`)
    app = webhook_app(tmp_path, github, [])

    with caplog.at_level(logging.INFO, logger="quarterdeck.webhook"):
        payload = merged_pr(body="goal:readme")
        github.hold_pull(REPO, payload)
        deliver(app, payload, "d-gone")

    [comment] = fake.comments_on(2)
    assert "**A README people finish reading**" in comment["body"]
    assert "the goal's issue #1 can't be found (deleted or transferred)" in comment["body"]
    gone = [r for r in caplog.records if "is gone" in r.getMessage()]
    assert gone[0].delivery == "d-gone"  # type: ignore[attr-defined]
    assert dropped(caplog) == []


# -- a lost answer to a create: looked for, never re-sent blindly ---------------------------
#
# GitHub applies the write and the answer is lost (a 502, or the connection dropped):
# exactly one object exists afterwards, the run says it created it once, and every
# printed number names it.

LOST = ["502", "dropped", "hang"]
# The client's read timeout in the tests that hang over HTTP: short, so a hang costs
# a second, not production's 30 s; long enough for a loaded machine's honest answers.
HANG_TIMEOUT = 1  # PyGithub takes whole seconds
LABELS = r"^/repos/acme/web/labels$"
ALREADY_EXISTS = {
    "message": "Validation Failed",
    "errors": [{"resource": "Label", "code": "already_exists", "field": "name"}],
}


def lose(github: FakeGitHub, method: str, path: str, how: str) -> None:
    """The next `method` to `path` is carried out and its answer lost: a 502 (`how`
    "502"), the connection dropped ("dropped"), or never answered ("hang")."""
    github.lose_answer(method, path, drop=how == "dropped", hang=how == "hang")


def creates(github: FakeGitHub, path: str) -> int:
    """POSTs to `path` (a regex), lock labels left out: they come and go with each
    create (see tests/test_concurrent_writes.py) and aren't the objects counted here."""
    return sum(
        1
        for c in github.calls
        if c.method == "POST"
        and re.search(path, c.path)
        and not str((c.body or {}).get("name", "")).startswith(LOCK_PREFIX)
    )


def goal_issues_of(fake: FakeRepo, goal_id: str) -> list[int]:
    return [n for n, i in fake.issues.items() if f"quarterdeck:goal id={goal_id} " in i["body"]]


@pytest.mark.parametrize("how", LOST)
def test_a_review_issue_whose_answer_was_lost_exists_once_and_is_named(
    client: FakeGitHub,
    remote: FakeRepo,
    waits: list[float],
    how: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lose(client, "POST", ISSUES, how)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2
    assert client.count("POST", ISSUES) == 2  # the lost one was found, not sent again
    assert_backoffs(waits, 1)  # one backoff before looking
    assert err.count(f"quarterdeck: created #1: {ANALYTICS}") == 1
    assert f"quarterdeck: created #2: {GROWTH}" in err
    # The next run finds the same two: nothing to close, nothing created.
    code, err = publish(capsys)
    assert code == 0, err
    assert f"quarterdeck: unchanged #1: {ANALYTICS}" in err
    assert "duplicate" not in err
    assert len(remote.issues) == 2


@pytest.mark.parametrize("how", LOST)
def test_a_goal_issue_whose_answer_was_lost_exists_once_and_is_named(
    client: FakeGitHub,
    tmp_path: Path,
    waits: list[float],
    how: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(client)
    root = checkout(tmp_path)
    lose(client, "POST", ISSUES, how)

    code, out, err = sync(root, capsys)

    assert code == 0, err
    assert goal_issues_of(fake, "funnel-v2") == [3]
    assert client.count("POST", ISSUES) == 1
    assert_backoffs(waits, 1)
    assert out.count("created the issue of goal funnel-v2") == 1
    assert "created the issue of goal funnel-v2: #3 (add `issue: 3` to the goal)" in out
    code, out, err = sync(root, capsys)
    assert code == 0, err
    assert "  ok      funnel-v2 (#3): up to date" in out
    assert goal_issues_of(fake, "funnel-v2") == [3]


@pytest.mark.parametrize("how", LOST)
def test_a_label_whose_answer_was_lost_exists_once_in_goals_sync(
    client: FakeGitHub,
    tmp_path: Path,
    waits: list[float],
    how: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(client)
    lose(client, "POST", LABELS, how)

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert [n for n in fake.labels if n.lower() == "team:analytics"] == ["team:analytics"]
    assert creates(client, LABELS) == 1
    assert_backoffs(waits, 1)
    assert out.count("created label team:analytics") == 1
    assert goal_issues_of(fake, "funnel-v2") == [3]  # and the run went on


@pytest.mark.parametrize("how", LOST)
def test_a_label_whose_answer_was_lost_exists_once_in_publish(
    client: FakeGitHub,
    remote: FakeRepo,
    waits: list[float],
    how: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lose(client, "POST", LABELS, how)

    code, err = publish(capsys)

    assert code == 0, err
    assert sorted(remote.labels) == ["growth-review", "team:analytics", "team:growth"]
    assert creates(client, LABELS) == 3  # one each: the lost one was found
    assert_backoffs(waits, 1)
    assert reviews_on(remote) == [ANALYTICS, GROWTH]


def test_a_label_create_answered_already_exists_after_a_lost_answer_is_success(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, item 13: the re-sent create is answered 422 `already_exists`."""
    fake = seed(client)
    client.lose_answer("POST", LABELS)
    # The look after the lost answer is served by a stale replica that hasn't seen it.
    client.fail("GET", r"/labels/team%3Aanalytics$", 404, body={"message": "Not Found"})

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert creates(client, LABELS) == 2  # the second answered 422 already_exists
    assert [n for n in fake.labels if n.lower() == "team:analytics"] == ["team:analytics"]
    assert out.count("created label team:analytics") == 1
    assert goal_issues_of(fake, "funnel-v2") == [3]


def test_a_label_another_writer_created_meanwhile_stops_nothing(
    client: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(client)
    listing = client._list_labels

    def listed_then_created(repo: FakeRepo, query: Any, body: Any) -> Any:
        answer = listing(repo, query, body)
        client._ensure_label(repo, "team:analytics")  # a person, just after our listing
        return answer

    monkeypatch.setattr(client, "_list_labels", listed_then_created)

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert creates(client, LABELS) == 1  # answered 422 already_exists
    assert "created label team:analytics" not in out  # not ours
    assert goal_issues_of(fake, "funnel-v2") == [3]


def test_a_label_create_refused_for_another_reason_still_stops_the_sync(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(client)
    client.fail("POST", LABELS, 422, body={"message": "Validation Failed", "errors": [
        {"resource": "Label", "code": "invalid", "field": "color"}
    ]})  # fmt: skip

    code, _, err = sync(checkout(tmp_path), capsys)

    assert code == 1
    assert "GitHub answered 422 while writing label 'team:analytics'" in err


@pytest.mark.parametrize("how", LOST)
def test_the_apps_pr_comment_whose_answer_was_lost_exists_once(
    github: FakeGitHub, tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    waits: list[float] = []
    app = webhook_app(tmp_path, github, [], retry=retry_policy(sleep=waits.append))
    lose(github, "POST", r"/issues/2/comments$", how)
    payload = merged_pr(body="goal:readme")
    github.hold_pull(REPO, payload)

    with caplog.at_level(logging.INFO, logger="quarterdeck.webhook"):
        deliver(app, payload, "d-lost")
        deliver(app, merged_pr(body="goal:readme", action="edited"), "d-lost-2")

    [comment] = fake.comments_on(2)
    assert "**A README people finish reading**" in comment["body"]
    assert github.count("POST", r"/issues/2/comments$") == 1
    handled = [r.getMessage() for r in caplog.records if "delivery handled" in r.getMessage()]
    assert [m.rsplit("; ", 1)[-1] for m in handled] == ["comment created", "comment unchanged"]
    assert dropped(caplog) == []
    assert_backoffs(waits, 1)


@pytest.mark.parametrize(
    ("path", "status", "headers"),
    [
        (ISSUES, 429, {"Retry-After": "7"}),
        (LABELS, 429, {"Retry-After": "7"}),
        (ISSUES, 403, {"Retry-After": "7"}),  # a secondary rate limit
    ],
    ids=["issue-429", "label-429", "issue-403"],
)
def test_a_rate_limited_create_is_retried_after_the_wait_and_creates_once(
    client: FakeGitHub,
    remote: FakeRepo,
    waits: list[float],
    path: str,
    status: int,
    headers: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = SECONDARY if status == 403 else {"message": "Too many requests"}
    client.fail("POST", path, status, headers=headers, body=body)
    posts = 2 if path == ISSUES else 3  # two reviews; three labels

    code, err = publish(capsys)

    assert code == 0, err
    assert waits == [float(headers["Retry-After"])]
    assert creates(client, path) == posts + 1  # the rejected one, sent again
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2
    assert sorted(remote.labels) == ["growth-review", "team:analytics", "team:growth"]


def test_a_rate_limited_pr_comment_is_retried_and_created_once(
    github: FakeGitHub, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    waits: list[float] = []
    app = webhook_app(tmp_path, github, [], retry=retry_policy(sleep=waits.append))
    github.fail("POST", r"/issues/2/comments$", 429, headers={"Retry-After": "4"})
    payload = merged_pr(body="goal:readme")
    github.hold_pull(REPO, payload)

    deliver(app, payload, "d-limited")

    assert len(fake.comments_on(2)) == 1
    assert github.count("POST", r"/issues/2/comments$") == 2
    assert waits == [4]


@pytest.fixture
def wired(
    github: FakeGitHub, front: str, monkeypatch: pytest.MonkeyPatch, waits: list[float]
) -> FakeGitHub:
    """The CLI's client over `front`, with the production retry policy (and a short
    read timeout, so a hang ends soon)."""
    policy = retry_policy(sleep=waits.append, clock=lambda: NOW)
    monkeypatch.setattr(
        cli,
        "_github",
        lambda args: github.client(retry=policy, base_url=front, timeout=HANG_TIMEOUT),
    )
    return github


@pytest.mark.parametrize("how", LOST)
def test_over_http_a_lost_review_issue_create_leaves_one(
    wired: FakeGitHub, waits: list[float], how: str, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = seed_github(wired)
    lose(wired, "POST", ISSUES, how)
    lose(wired, "POST", LABELS, how)

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2
    assert sorted(remote.labels) == ["growth-review", "team:analytics", "team:growth"]
    assert (creates(wired, ISSUES), creates(wired, LABELS)) == (2, 3)
    assert f"quarterdeck: created #1: {ANALYTICS}" in err
    assert_backoffs(waits[:1], 1)  # before the label's look
    assert_backoffs(waits[1:], 1)  # before the issue's look


@pytest.mark.parametrize("how", LOST)
def test_over_http_a_lost_goal_issue_create_leaves_one(
    wired: FakeGitHub,
    tmp_path: Path,
    waits: list[float],
    how: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake = seed(wired)
    lose(wired, "POST", ISSUES, how)

    code, out, err = sync(checkout(tmp_path), capsys)

    assert code == 0, err
    assert goal_issues_of(fake, "funnel-v2") == [3]
    assert wired.count("POST", ISSUES) == 1
    assert "created the issue of goal funnel-v2: #3 (add `issue: 3` to the goal)" in out
    assert_backoffs(waits, 1)


@pytest.mark.parametrize("how", LOST)
def test_over_http_a_lost_pr_comment_create_leaves_one(
    github: FakeGitHub, front: str, tmp_path: Path, how: str
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    github.add_issue(fake, "Update the README")
    waits: list[float] = []
    app = webhook_app(
        tmp_path,
        github,
        [],
        retry=retry_policy(sleep=waits.append),
        base_url=front,
        timeout=HANG_TIMEOUT,
    )
    lose(github, "POST", r"/issues/2/comments$", how)
    payload = merged_pr(body="goal:readme")
    github.hold_pull(REPO, payload)

    deliver(app, payload, "d-wire")

    assert len(fake.comments_on(2)) == 1
    assert github.count("POST", r"/issues/2/comments$") == 1
    assert_backoffs(waits, 1)


# -- history: an empty window, a shallow clone ------------------------------------------


def test_a_month_without_prs_is_an_honest_empty_review_offline_and_on_github(
    client: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clone = small_repo(tmp_path / "web")
    client.add_repo(
        "acme/web", files={".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    )

    offline = main(["review", "--repo", str(clone.path), "--month", "2026-09"])
    text = capsys.readouterr().out
    online = main(["review", "--github", "acme/web", "--month", "2026-09"])
    from_github = capsys.readouterr().out

    assert (offline, online) == (0, 0)
    for review in (text, from_github):
        assert "# Growth review: analytics — September 2026" in review
        assert "- **0** PRs merged in September 2026: 0 toward goals, 0 unplanned" in review
        assert "_No goal-linked PRs merged in September 2026._" in review
        assert "_None: no PRs were merged in September 2026._" in review
        assert "| Cycle time | _no merged PRs in the window_ |" in review


def test_a_shallow_clone_ending_inside_the_window_says_how_to_fetch_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = small_repo(tmp_path / "web")
    shallow = tmp_path / "shallow"
    full.git("clone", "--quiet", "--depth", "2", f"file://{full.path}", str(shallow))

    code = main(["review", "--repo", str(shallow), "--month", "2026-11"])

    err = capsys.readouterr().err
    assert code == 1
    # The review reads back to the first of its six trend months, June.
    assert "is a shallow clone whose history starts after 2026-06-01" in err
    assert "git fetch --unshallow" in err
    assert "fetch-depth: 0" in err


# -- a monorepo PR touching 20,000 files ---------------------------------------------------

MONOREPO = """\
teams:
  platform:
    members: [alice]
    owns: {paths: ["services/**", "infra/*.tf", "tools/"]}
  analytics:
    members: [bob]
    owns: {paths: ["web/insights/**", "**/*.sql"]}
  growth:
    members: [carol]
    owns: {paths: ["web/onboarding/**"]}
"""


def huge_pr_repo(path: Path) -> Path:
    from quarterdeck.sources.fast_import import Signature, import_history

    paths = [f"services/api/m{i // 100}/f{i}.py" for i in range(15_000)]
    paths += [f"web/insights/q{i // 100}/f{i}.ts" for i in range(5_000)]

    def build(w: Any) -> None:
        root = w.commit(
            "Initial commit\n",
            Signature("Alice", "alice@example.com", at("2026-10-01T09:00Z")),
            files={".github/quarterdeck.yml": MONOREPO},
        )
        w.commit(
            "Move everything to the new build (#7)\n",
            Signature("Bob", "bob@example.com", at("2026-11-10T09:00Z")),
            parents=[root],
            files=dict.fromkeys(paths, "x\n"),
        )

    import_history(path, build)
    return path


def test_a_pr_touching_20000_files_links_by_paths_correctly_and_fast(tmp_path: Path) -> None:
    import time

    from quarterdeck.core.calendar import Month
    from quarterdeck.core.review.linking import link_pr
    from quarterdeck.services.review.offline import build_reviews
    from quarterdeck.sources.git_history import read_merged_prs

    repo = huge_pr_repo(tmp_path / "mono")
    [pr] = read_merged_prs(repo, at("2026-11-01T00:00Z"), at("2026-12-01T00:00Z"))
    assert len(pr.paths) == 20_000
    config = build_config((".github/quarterdeck.yml", MONOREPO), [])[0]

    started = time.perf_counter()
    link = link_pr(pr, config)
    elapsed = time.perf_counter() - started

    assert (link.team, link.rule) == ("platform", "paths")
    assert link.reason == "15000 of 20000 changed paths are under platform's `services/**`"
    # A guard against a quadratic match (minutes here), not a speed target: about 0.2 s
    # on an idle machine, several times that on a loaded CI box.
    assert elapsed < 10.0
    reviews = build_reviews(repo, Month(2026, 11), team="platform")
    assert [u.pr.number for u in reviews[0].summary.unplanned] == [7]


def test_github_lists_100_files_of_a_huge_pr_and_the_link_says_so(
    client: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    # GraphQL's `files(first: 100)`: ownership from GitHub sees the first 100 paths only.
    client.add_repo("acme/mono", files={".github/quarterdeck.yml": MONOREPO})
    first_100 = tuple(f"web/insights/q/f{i}.ts" for i in range(60))
    first_100 += tuple(f"services/api/f{i}.py" for i in range(40))
    client.add_pull("acme/mono", 7, "Move everything", "2026-11-10T09:00:00Z", files=first_100)

    assert main(["link", "7", "--github", "acme/mono"]) == 0

    out = capsys.readouterr().out
    assert "60 of 100 changed paths are under analytics's `web/insights/**`" in out


def test_a_truncated_answer_from_github_is_a_clear_error_not_a_traceback(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from quarterdeck import cli

    seed_github(github)
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    # The first read: the home's one GraphQL query (the repository and its files).
    github.fail("POST", r"^/graphql$", 200, raw='{"data": {"repository": {"name": "we')

    code = cli.main(["review", "--github", "acme/web", "--month", "2026-11"])

    err = capsys.readouterr().err
    assert code == 1
    assert "was not valid JSON" in err
    assert "opening repository acme/web" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("applied", [True, False], ids=["applied", "not-applied"])
def test_a_create_answered_with_a_cut_short_body_leaves_one_issue(
    wired: FakeGitHub, waits: list[float], applied: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    # A 201 cut short after GitHub made the issue, or a 200 page cut short before: the
    # run looks for the issue by its marker and creates it only if it is missing.
    remote = seed_github(wired)
    wired.fail("POST", ISSUES, 201 if applied else 200, raw='{"id": 1, "num', after=applied,
               skip=1)  # fmt: skip

    code, err = publish(capsys)

    assert code == 0, err
    assert reviews_on(remote) == [ANALYTICS, GROWTH]
    assert len(remote.issues) == 2
    assert wired.count("POST", ISSUES) == (2 if applied else 3)


def test_a_cut_short_answer_to_a_read_mid_publish_names_what_was_written(
    wired: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = seed_github(wired)
    # A read after the first team's issue was created (its look for the second team's
    # issue, under that team's lock) is cut short, every time: stop, and say so. The
    # review read its goal, objective and review issues with the repository (GraphQL);
    # the listings before it: publishing's own of the review issues, the first team's look.
    wired.fail("GET", r"^/repos/acme/web/issues$", 200, raw="[{", skip=2, times=100)

    code, err = publish(capsys)

    assert code == 1
    assert "was not valid JSON" in err
    assert "Already written:" in err
    assert "Not written:" in err
    assert "Traceback" not in err
    assert len(remote.issues) <= 2
